"""Parameter sweeps: a grid of scenario overrides x replications, run on Dask.

One run directory per grid point and replication, named deterministically so that a
restarted sweep skips what is finished and every run is the same on one worker or many.
"""
