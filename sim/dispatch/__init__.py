"""Dispatchers: one protocol, a registry by name."""

from sim.dispatch import policies as _policies  # noqa: F401  (registers the built-ins)
from sim.dispatch import rebalance as _rebalance  # noqa: F401
from sim.dispatch.base import (
    DISPATCHERS,
    Dispatcher,
    FleetView,
    RequestView,
    TravelTimes,
    get_dispatcher,
    register_dispatcher,
)

__all__ = [
    "DISPATCHERS",
    "Dispatcher",
    "FleetView",
    "RequestView",
    "TravelTimes",
    "get_dispatcher",
    "register_dispatcher",
]
