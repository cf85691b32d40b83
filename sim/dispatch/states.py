"""The states the dispatch engine gives requests and vehicles.

Request states: pending (not yet known), open (known, not placed), assigned (in a schedule),
served, abandoned (its pickup window closed while it waited for a vehicle) and rejected (a
dispatcher that answers at once found no schedule that could take it, as MATSim DRT rejects).

Vehicle states are what a vehicle is doing as the engine sees it, derived from its leg, load
and schedule; the host maps them onto its own states (off shift, in repair ...).

Both are re-exported by :mod:`sim.dispatch.engine`, where callers import them from.
"""

#: Request states (:attr:`sim.dispatch.engine.DispatchEngine.status`), and their names.
PENDING, OPEN, ASSIGNED, SERVED, ABANDONED, REJECTED = range(6)
STATUS_NAMES = ("pending", "open", "assigned", "served", "abandoned", "rejected")
#: What a vehicle is doing, as the engine sees it (the host maps these onto its own states).
IDLE, TO_PICKUP, BUSY, REPOSITIONING = "idle", "to_pickup", "busy", "repositioning"
