"""The dispatch protocol.

At a decision time the engine hands a dispatcher the open requests and the available vehicles
(as arrays) plus a travel-time oracle; the dispatcher returns ``(request_id, vehicle_id)``
pairs. It never mutates engine state, so the same dispatcher serves the city model, the
dynamic benchmark instances and any other model.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar, Protocol

import numpy as np

from sim.errors import FleetTwinError


@dataclass(frozen=True)
class RequestView:
    """Open requests at a decision time (parallel arrays)."""

    ids: np.ndarray  # int64
    origin: np.ndarray  # int64 location index of the pickup
    created_s: np.ndarray  # float64
    latest_pickup_s: np.ndarray  # float64: the rider gives up / the window closes then
    deadline_s: np.ndarray  # float64: due time of the whole task (inf if none)
    trip_s: np.ndarray  # float64: travel time pickup -> drop-off
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

    def __len__(self) -> int:
        return int(self.ids.size)


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
    ) -> list[tuple[int, int]]: ...


DISPATCHERS: dict[str, Callable[..., Dispatcher]] = {}


def register_dispatcher(cls: Any) -> Any:
    """Class decorator registering a dispatcher under its ``name``."""
    DISPATCHERS[cls.name] = cls
    return cls


def get_dispatcher(name: str, **params: Any) -> Dispatcher:
    try:
        factory = DISPATCHERS[name]
    except KeyError:
        raise FleetTwinError(
            f"unknown dispatcher {name!r} (known: {', '.join(sorted(DISPATCHERS))})"
        ) from None
    return factory(**params)


def arrival_times(
    now_s: float, requests: RequestView, fleet: FleetView, tt: TravelTimes
) -> np.ndarray:
    """Time each vehicle (rows) would reach each request's pickup (columns)."""
    drive = tt.times(fleet.location, requests.origin)
    start = np.maximum(fleet.available_s, now_s)[:, None]
    return start + drive
