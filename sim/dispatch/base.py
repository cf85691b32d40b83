"""The dispatch protocol.

At a decision time the engine hands a dispatcher the open requests and the vehicles that may
take them (as arrays) plus a travel-time oracle; the dispatcher returns assignments:
``(request_id, vehicle_id)`` pairs, or :class:`Insertion` records that place a request's
stops at given positions of a vehicle's schedule.

Dispatchers that plan over schedules (``uses_schedules = True``) see every available vehicle,
busy ones included, and reach the schedules through ``fleet.plan`` (a
:class:`sim.dispatch.plan.Plan`), which evaluates insertions and commits them; the others see
the idle vehicles only and their pairs become one-request schedules (the capacity-1 case). A
dispatcher never changes engine state except through the plan, so the same dispatcher serves
the city model, the dynamic benchmark instances and any other model.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

import numpy as np

from sim.engine.registry import Registry
from sim.errors import FleetTwinError

log = logging.getLogger(__name__)

if TYPE_CHECKING:
    from sim.dispatch.plan import Plan


@dataclass(frozen=True)
class RequestView:
    """Open requests at a decision time (parallel arrays)."""

    ids: np.ndarray  # int64
    origin: np.ndarray  # int64 location index of the pickup
    created_s: np.ndarray  # float64
    latest_pickup_s: np.ndarray  # float64: the rider gives up / the window closes then
    deadline_s: np.ndarray  # float64: due time of the whole task (inf if none)
    trip_s: np.ndarray  # float64: pickup service + ride + drop-off service
    urgent: np.ndarray  # bool
    priority: np.ndarray  # int64, higher is more important

    def __len__(self) -> int:
        return int(self.ids.size)


@dataclass(frozen=True)
class FleetView:
    """Vehicles that may take a request now (parallel arrays)."""

    ids: np.ndarray  # int64
    location: np.ndarray  # int64 location index
    available_s: np.ndarray  # float64: when the vehicle is free at ``location``
    plan: Plan | None = None  # schedules of all vehicles (dispatchers with uses_schedules)

    def __len__(self) -> int:
        return int(self.ids.size)


@dataclass(frozen=True)
class Insertion:
    """Request ``request`` placed in vehicle ``vehicle``'s schedule: its pickup before
    original stop ``pickup_pos``, its drop-off before original stop ``dropoff_pos``."""

    request: int
    vehicle: int
    pickup_pos: int
    dropoff_pos: int


class TravelTimes(Protocol):
    def times(self, src: np.ndarray, dst: np.ndarray) -> np.ndarray:
        """Matrix of travel times in seconds, ``len(src) x len(dst)``."""
        ...


class Dispatcher(Protocol):
    name: ClassVar[str]
    #: 0 means "decide at every request arrival and every vehicle release".
    batch_window_s: float

    def assign(
        self, now_s: float, requests: RequestView, fleet: FleetView, tt: TravelTimes
    ) -> list[Any]: ...


#: Dispatchers by name: the same registry mechanism as model kinds and profile kinds.
DISPATCHERS: Registry[Callable[..., Dispatcher]] = Registry(
    "dispatcher", key=lambda cls: str(getattr(cls, "name")))  # noqa: B009


def register_dispatcher(cls: Any) -> Any:
    """Class decorator registering a dispatcher under its ``name``."""
    return DISPATCHERS.register(cls)


def get_dispatcher(name: str, **params: Any) -> Dispatcher:
    """A dispatcher by name. Parameters it does not take but another dispatcher does are
    ignored with a warning (switching the algorithm of a scenario keeps working)."""
    from sim.dispatch.params import split_params

    try:
        factory = DISPATCHERS[name]
    except KeyError:
        raise FleetTwinError(
            f"unknown dispatcher {name!r} (known: {', '.join(sorted(DISPATCHERS))})"
        ) from None
    params, ignored = split_params(factory, params)
    if ignored:
        log.warning("dispatcher %s ignores %s (parameters of other dispatchers)", name,
                    ", ".join(ignored))
    return factory(**params)


def arrival_times(
    now_s: float, requests: RequestView, fleet: FleetView, tt: TravelTimes
) -> np.ndarray:
    """Time each vehicle (rows) would reach each request's pickup (columns)."""
    drive = tt.times(fleet.location, requests.origin)
    start = np.maximum(fleet.available_s, now_s)[:, None]
    return start + drive
