"""Initial state of a city fleet, e.g. taken from a digital twin to fork a what-if."""

from __future__ import annotations

from dataclasses import dataclass, field

STATES = ("idle", "to_pickup", "busy", "off_shift", "maintenance", "repositioning")
IDLE, TO_PICKUP, BUSY, OFF_SHIFT, MAINTENANCE, REPOSITIONING = range(6)
#: States in which a vehicle is on duty (its driver's time is paid and counted).
ON_DUTY_STATES = (IDLE, TO_PICKUP, BUSY, REPOSITIONING)


@dataclass(frozen=True)
class VehicleInit:
    """Where a vehicle is and what it does at the start (state names as in :data:`STATES`).

    Vehicles reported on the way to a pickup or carrying a passenger start idle at their
    reported node: the task they were on is not known to the model.
    """

    node: int
    state: str = "idle"
    odometer_km: float = 0.0
    fuel_l: float = 0.0


@dataclass
class CityInitialState:
    """``t0_s`` is the time of day (s since midnight) at simulated time 0."""

    t0_s: float
    vehicles: dict[int, VehicleInit] = field(default_factory=dict)
