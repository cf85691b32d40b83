"""Routing benchmark instances served online by the registered dispatchers, and the offline
PyVRP reference they are measured against."""
