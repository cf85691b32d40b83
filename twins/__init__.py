"""Digital twins: telemetry ingest, live fleet state, drift against the model, forks.

A twin folder holds a configuration (``twin.yaml``), a DuckDB store and Parquet record parts.
:class:`twins.ingest.Twin` keeps the state per device in step with telemetry (JSON lines,
CSV, Parquet, JT/T 808 frames); :mod:`twins.drift` compares what arrives with what the model
predicts; :mod:`twins.fork` starts a simulation from the twin's current state;
:mod:`twins.emit` turns a run into a telemetry stream with known truth.
"""
