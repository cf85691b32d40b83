"""Scenario sections of the city fleet model (kind ``city_fleet``)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator

from sim.schema.base import StrictModel
from sim.schema.distributions import Quantity
from sim.schema.scenario import ScenarioBase


class SyntheticCity(StrictModel):
    """A grid of local streets with arterials every few blocks and an optional ring road."""

    source: Literal["synthetic"] = "synthetic"
    rows: int = Field(default=30, ge=2, le=400)
    cols: int = Field(default=30, ge=2, le=400)
    block_m: float = Field(default=400.0, gt=10, le=5000)
    arterial_every: int = Field(default=5, ge=1)
    local_kmh: float = Field(default=30.0, gt=0)
    arterial_kmh: float = Field(default=50.0, gt=0)
    ring: bool = True
    ring_kmh: float = Field(default=70.0, gt=0)
    removed_share: float = Field(default=0.05, ge=0, lt=0.5,
                                 description="share of local street segments removed at random")

    @model_validator(mode="after")
    def _size(self) -> SyntheticCity:
        if self.rows * self.cols > 160_000:
            raise ValueError(f"rows x cols = {self.rows * self.cols} nodes: at most 160,000")
        span_km = (max(self.rows, self.cols) - 1) * self.block_m / 1000.0
        if span_km > 100.0:
            raise ValueError(f"the city spans {span_km:,.0f} km (blocks of {self.block_m:g} m):"
                             " at most 100 km across")
        return self


class OsmNetwork(StrictModel):
    """A real road network read from an OpenStreetMap file, ``.osm`` XML or ``.osm.pbf``
    (needs the ``osm`` extra)."""

    source: Literal["osm"] = "osm"
    path: str
    default_kmh: float = Field(default=30.0, gt=0, le=200)
    highway_kmh: dict[str, Annotated[float, Field(gt=0, le=200)]] = Field(
        default_factory=dict,
        description="speed by OSM highway type where a way has no maxspeed tag (overrides "
                    "the defaults of sim.city.osm.HIGHWAY_KMH)")


class SumoNetwork(StrictModel):
    """A SUMO network (``.net.xml``) and optionally SUMO route files whose taxi rides and trips
    become the requests and whose taxis become the first fleet (count and start positions);
    needs the ``sumo`` extra (sumolib)."""

    source: Literal["sumo"] = "sumo"
    path: str
    routes: list[str] = Field(default_factory=list, max_length=100,
                              description="SUMO route files: persons riding taxis, trips, taxis")


class Zone(StrictModel):
    """A named demand hot spot: a disc on the map with a weight."""

    center_km: tuple[Annotated[float, Field(ge=-1e4, le=1e4)],
                     Annotated[float, Field(ge=-1e4, le=1e4)]]
    radius_km: float = Field(gt=0, le=1000)
    weight: float = Field(ge=0)
    dest_weight: float | None = Field(default=None, ge=0)


HourFactors = Annotated[list[Annotated[float, Field(gt=0, le=10)]],
                        Field(min_length=24, max_length=24)]


class Speeds(StrictModel):
    """Speeds by time of day: an edge's travel time in hour ``h`` is its free-flow time
    divided by its factor for ``h`` (1: free flow; 0.5: half the speed, twice the time).

    ``profile`` gives every road the same 24 factors (``free_flow``: all 1; ``cn_congestion``:
    the inverse of a Chinese big-city congestion delay index by hour, see
    :data:`sim.city.speeds.CN_CONGESTION_INDEX`); ``factors`` sets them per road class
    (``road_class`` of the network's edges: local, arterial, ring, ramp, or an OSM highway
    type), and ``edges_file`` per edge (CSV ``u,v,hour,factor``; ``hour`` empty for every
    hour; ``u, v`` road nodes as in the run's ``tables/edges.parquet``). Hours with the same
    factors on every edge share one set of travel-time tables."""

    profile: Literal["free_flow", "cn_congestion"] = "free_flow"
    factors: dict[str, HourFactors] = Field(default_factory=dict)
    edges_file: str | None = None


class World(StrictModel):
    network: SyntheticCity | OsmNetwork | SumoNetwork = Field(default_factory=SyntheticCity,
                                                              discriminator="source")
    origin_lonlat: tuple[float, float] = (104.066, 30.657)
    cache_paths: bool = True
    speeds: Speeds = Field(default_factory=Speeds)
    routing: Literal["auto", "tables", "search"] = Field(
        default="auto",
        description="tables: travel times for every pair of nodes (fast, n x n memory); "
                    "search: answered by shortest-path searches (memory grows with the "
                    "network); auto: tables up to 10,000 nodes")


class ExplicitRequest(StrictModel):
    """One request: from ``origin`` to ``destination`` (road nodes, or named stops of
    ``policies.service.stops``); ``destination: -1`` is a single visit (no drop-off)."""

    t_s: float = Field(ge=0, le=366 * 86400)
    origin: int | None = Field(default=None, ge=0)
    destination: int | None = Field(default=None, ge=-1)
    origin_stop: str | None = None
    destination_stop: str | None = None
    urgent: bool = False
    patience_s: float | None = Field(default=None, gt=0, le=366 * 86400)
    deadline_s: float | None = Field(default=None, gt=0, le=366 * 86400)
    riders: int = Field(default=1, ge=0, le=1000, description="seats taken")
    goods_kg: float = Field(default=0.0, ge=0, le=1e6, description="payload taken")
    service_s: float | None = Field(default=None, ge=0, le=86400,
                                    description="time at each of its stops (default dwell_s)")
    pickup_window_s: tuple[float, float] | None = Field(
        default=None, description="[earliest, latest] start of the pickup, s")
    dropoff_window_s: tuple[float, float] | None = Field(
        default=None, description="[earliest, latest] start of the drop-off, s")

    @model_validator(mode="after")
    def _ends(self) -> ExplicitRequest:
        if self.origin is None and self.origin_stop is None:
            raise ValueError("needs origin (a road node) or origin_stop (a stop name)")
        if self.destination is None and self.destination_stop is None:
            raise ValueError("needs destination (a road node, -1 for a single visit) or "
                             "destination_stop (a stop name)")
        return self

    @field_validator("pickup_window_s", "dropoff_window_s")
    @classmethod
    def _window(cls, w: tuple[float, float] | None) -> tuple[float, float] | None:
        if w is not None and w[0] > w[1]:
            raise ValueError(f"the window starts after it ends ({w[0]:g} > {w[1]:g})")
        return w


class Demand(StrictModel):
    requests_per_day: float = Field(default=10000.0, ge=0, le=5_000_000)
    hourly_profile: list[float] = Field(
        default_factory=lambda: [0.3, 0.2, 0.15, 0.1, 0.15, 0.3, 0.7, 1.3, 1.6, 1.2, 1.0, 1.0,
                                 1.1, 1.0, 0.95, 1.0, 1.1, 1.5, 1.7, 1.4, 1.1, 0.9, 0.7, 0.5],
        min_length=24, max_length=24,
    )
    zones: dict[str, Zone] = Field(default_factory=dict)
    background_weight: float = Field(default=1.0, ge=0)
    min_trip_km: float = Field(default=1.0, ge=0)
    urgent_share: float = Field(default=0.0, ge=0, le=1)
    urgent_priority: int = Field(default=2, ge=1)
    deadline_s: float | None = Field(default=None, gt=0,
                                     description="task due this long after it is created")
    urgent_deadline_s: float | None = Field(default=None, gt=0)
    patience_s: Quantity = 600.0
    urgent_patience_s: Quantity | None = None
    dwell_s: float = Field(default=30.0, ge=0, le=86400,
                           description="time at each pickup and drop-off (the default)")
    pickup_service_s: float | None = Field(default=None, ge=0, le=86400,
                                           description="time at a pickup (default dwell_s)")
    dropoff_service_s: float | None = Field(default=None, ge=0, le=86400,
                                            description="time at a drop-off (default dwell_s)")
    riders: dict[int, float] = Field(
        default_factory=lambda: {1: 1.0},
        description="party size -> share of requests (seats taken per request)")
    goods_kg: Quantity = Field(default=0.0, description="payload per request, kg")
    requests: list[ExplicitRequest] | None = Field(
        default=None, max_length=5_000_000,
        description="explicit requests; replace the Poisson demand when given")

    @model_validator(mode="after")
    def _profile_positive(self) -> Demand:
        if any(w < 0 for w in self.hourly_profile):
            raise ValueError("hourly_profile weights must be >= 0")
        if any(k < 0 or k > 1000 for k in self.riders) or any(
                not w >= 0 for w in self.riders.values()) or sum(self.riders.values()) <= 0:
            raise ValueError(f"riders: party sizes 0..1000 with shares >= 0 summing above 0 "
                             f"(got {self.riders})")
        if self.requests is None and sum(self.hourly_profile) <= 0:
            raise ValueError("hourly_profile must have a positive weight")
        return self


class Shift(StrictModel):
    start_h: float = Field(ge=0, lt=24)
    hours: float = Field(gt=0, le=24)
    share: float = Field(default=1.0, gt=0)


class Fleet(StrictModel):
    count: int = Field(gt=0, le=200000)
    vehicle_profile: str
    terminal_profile: str
    vehicle_overrides: dict[str, object] = Field(default_factory=dict)
    terminal_overrides: dict[str, object] = Field(default_factory=dict)
    placement: Literal["uniform", "demand", "depot"] = "uniform"
    depot_km: tuple[float, float] | None = None
    start_nodes: list[int] | None = None
    shifts: list[Shift] = Field(default_factory=lambda: [Shift(start_h=0, hours=24)],
                                min_length=1, max_length=1000,
                                description="at least one (the default: all day)")
    max_driving_h: float = Field(default=24.0, gt=0, le=24)

    @model_validator(mode="after")
    def _placement(self) -> Fleet:
        if self.placement == "depot" and self.depot_km is None:
            raise ValueError("placement 'depot' needs depot_km: [x_km, y_km]")
        if self.start_nodes is not None and len(self.start_nodes) != self.count:
            raise ValueError(f"start_nodes has {len(self.start_nodes)} entries for "
                             f"count {self.count}")
        return self


class DispatchPolicy(StrictModel):
    algorithm: str = "nearest_idle"
    batch_window_s: float | None = Field(default=None, ge=0, le=3600)
    max_pickup_s: float | None = Field(default=None, gt=0, le=86400)
    params: dict[str, float | int | str | bool] = Field(default_factory=dict)


class Service(StrictModel):
    """Service constraints with MATSim DRT's meaning, and optional stop-based service."""

    max_wait_s: float | None = Field(
        default=None, gt=0, le=86400,
        description="latest pickup = request time + max_wait_s (and the rider's patience)")
    max_travel_time_alpha: float | None = Field(
        default=None, ge=1, le=100,
        description="latest drop-off = request time + alpha x direct ride time + beta")
    max_travel_time_beta_s: float | None = Field(default=None, ge=0, le=86400)
    stops: dict[str, tuple[float, float]] = Field(
        default_factory=dict, description="named stops [x_km, y_km]: riders walk to the "
                                          "nearest one and are picked up there")
    max_walk_m: float = Field(default=500.0, gt=0, le=10000)
    walk_speed_mps: float = Field(default=1.2, gt=0, le=5)

    @model_validator(mode="after")
    def _alpha_beta(self) -> Service:
        if (self.max_travel_time_alpha is None) != (self.max_travel_time_beta_s is None):
            raise ValueError("max_travel_time_alpha and max_travel_time_beta_s go together")
        return self


class IdlePolicy(StrictModel):
    """What a vehicle with nothing to do does: stay, return to its depot (its start node),
    go to the nearest stand, or cruise to a random node within ``cruise_radius_s``."""

    policy: Literal["stay", "depot", "stand", "cruise"] = "stay"
    stands: list[tuple[float, float]] = Field(default_factory=list,
                                              description="taxi stands [x_km, y_km]")
    cruise_radius_s: float = Field(default=300.0, gt=0, le=3600)

    @model_validator(mode="after")
    def _stands(self) -> IdlePolicy:
        if self.policy == "stand" and not self.stands:
            raise ValueError("policy 'stand' needs stands: [[x_km, y_km], ...]")
        return self


class Policies(StrictModel):
    dispatch: DispatchPolicy = Field(default_factory=DispatchPolicy)
    service: Service = Field(default_factory=Service)
    idle: IdlePolicy = Field(default_factory=IdlePolicy)


class Economics(StrictModel):
    fuel_price_cny_per_l: float = Field(default=7.8, ge=0)
    driver_cost_cny_per_h: float = Field(default=35.0, ge=0)
    fare_base_cny: float = Field(default=10.0, ge=0)
    fare_per_km_cny: float = Field(default=2.3, ge=0)
    urgent_surcharge_cny: float = Field(default=0.0, ge=0)


class CityScenario(ScenarioBase):
    kind: Literal["city_fleet"] = "city_fleet"
    start_time_s: float = Field(default=0.0, ge=0, lt=86400,
                                description="time of day at simulated time 0")
    world: World = Field(default_factory=World)
    fleets: dict[str, Fleet] = Field(min_length=1)
    demand: Demand = Field(default_factory=Demand)
    policies: Policies = Field(default_factory=Policies)
    economics: Economics = Field(default_factory=Economics)
