"""Fleet operations over months: a vehicle register, drivers, tasks, charging, and the
vehicles' health (reliability, maintenance, workshops, early warning) and economics.

The shared per-vehicle state and the contract between the operations and the health parts
are in :mod:`sim.fleetops.state`.
"""
