"""The discrete-event engine: simulation, random streams, recorder, model registry."""
