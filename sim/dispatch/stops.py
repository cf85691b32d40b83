"""The codes of schedule stops, vehicle modes and legs, shared by the dispatch engine and its
compiled kernels (:mod:`sim.dispatch.insertion` reads them as constants).

Kept apart from the kernels so that code needing only the codes does not load the compiler:
a run whose dispatcher never searches insertions (``nearest_idle`` and the other pair
dispatchers) starts without it.
"""

#: Stop kinds.
PICKUP, DROPOFF, VISIT, DEPOT = 1, 2, 3, 4
#: Vehicle modes: at a node (free from ``free_at``) or on a leg.
STOPPED, DRIVING = 0, 1
#: Leg kinds: toward the first stop of the schedule, or a move with no stop (repositioning).
TO_STOP, MOVE = 0, 1
