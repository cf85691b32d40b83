"""Dispatchers: one protocol, a registry by name, and the engine that runs their schedules."""

from sim.dispatch import policies as _policies  # noqa: F401  (registers the built-ins)
from sim.dispatch import pooling as _pooling  # noqa: F401
from sim.dispatch import rebalance as _rebalance  # noqa: F401
from sim.dispatch.base import (
    DISPATCHERS,
    Dispatcher,
    FleetView,
    Insertion,
    RequestView,
    TravelTimes,
    get_dispatcher,
    register_dispatcher,
)

__all__ = [
    "DISPATCHERS",
    "Dispatcher",
    "FleetView",
    "Insertion",
    "RequestView",
    "TravelTimes",
    "get_dispatcher",
    "register_dispatcher",
]
