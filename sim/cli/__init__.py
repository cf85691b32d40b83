"""The ``fleettwin`` command line."""
