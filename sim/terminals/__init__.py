"""Vehicle terminals under load: sessions, reports, alarms, gateway, ingest, cells, UBI."""
