"""Checks of a city scenario before it runs: the fleets' profiles resolved, the dispatcher
and its parameters, requests no vehicle could carry, and places off the road network (each
problem named by its field)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from sim.city.schema import CityScenario
from sim.dispatch import DISPATCHERS
from sim.dispatch.params import check_params
from sim.errors import Problem, ScenarioError
from sim.schema.profiles import ProfileBase, ProfileCatalog

if TYPE_CHECKING:
    from sim.city.network import RoadNetwork

#: A fleet's depot farther than this from every road node is a typo (it would be snapped to
#: the nearest node, wherever that is).
MAX_DEPOT_OFF_KM = 10.0


def prepare_scenario(sc: CityScenario, catalog: ProfileCatalog, source: str
                     ) -> tuple[dict[str, ProfileBase], list[Problem]]:
    """The fleets' resolved profiles, and every problem of the scenario found before a
    run: unknown profiles or dispatcher, bad dispatcher parameters, loads no vehicle
    carries, unknown stop names."""
    profiles: dict[str, ProfileBase] = {}
    problems: list[Problem] = []
    for name, f in sc.fleets.items():
        for kind, ref, ov, key in (("vehicle", f.vehicle_profile, f.vehicle_overrides, "vehicle"),
                                   ("vehicle_terminal", f.terminal_profile, f.terminal_overrides,
                                    "terminal")):
            try:
                profiles[f"{name}.{key}"] = catalog.resolve(
                    kind, ref, ov, f"fleets.{name}.{key}_profile", source,
                    overrides_field=f"fleets.{name}.{key}_overrides")
            except ScenarioError as exc:
                problems += exc.problems
    disp = sc.policies.dispatch
    if disp.algorithm not in DISPATCHERS:
        problems.append(Problem("policies.dispatch.algorithm",
                                f"unknown dispatcher (known: {', '.join(sorted(DISPATCHERS))})",
                                disp.algorithm))
    else:
        params: dict[str, Any] = dict(disp.params)
        for key in ("batch_window_s", "max_pickup_s"):
            if getattr(disp, key) is not None:
                if key in params:
                    problems.append(Problem(f"policies.dispatch.params.{key}",
                                            f"given twice: also as policies.dispatch.{key} "
                                            f"({getattr(disp, key)!r}); keep one",
                                            params[key]))
                params[key] = getattr(disp, key)
        problems += check_params(DISPATCHERS[disp.algorithm], params, "policies.dispatch.params")
    problems += check_loads(sc, profiles)
    return profiles, problems


def check_loads(sc: CityScenario, profiles: dict[str, ProfileBase]) -> list[Problem]:
    """Requests no vehicle of the scenario could ever carry, and unknown stop names."""
    vehicles = [p for k, p in profiles.items() if k.endswith(".vehicle")]
    if len(vehicles) != len(sc.fleets):
        return []  # a profile problem is reported already
    seats = max(int(getattr(p, "seats", 0)) for p in vehicles)
    payload = max(float(getattr(p, "payload_kg", 0.0)) for p in vehicles)
    stops = sc.policies.service.stops
    out: list[Problem] = []
    d = sc.demand
    for size, share in d.riders.items():
        if share > 0 and size > seats:
            out.append(Problem(f"demand.riders.{size}", f"a party of {size} fits no vehicle of "
                               f"the scenario (most seats: {seats})", size))
    if isinstance(d.goods_kg, int | float) and d.goods_kg > payload:
        out.append(Problem("demand.goods_kg", f"fits no vehicle of the scenario (largest "
                           f"payload: {payload:g} kg)", d.goods_kg))
    for i, r in enumerate(d.requests or []):
        if r.riders > seats:
            out.append(Problem(f"demand.requests[{i}].riders", f"request {i} fits no vehicle "
                               f"of the scenario (most seats: {seats})", r.riders))
        if r.goods_kg > payload:
            out.append(Problem(f"demand.requests[{i}].goods_kg", f"request {i} fits no vehicle "
                               f"of the scenario (largest payload: {payload:g} kg)", r.goods_kg))
        for key in ("origin_stop", "destination_stop"):
            name = getattr(r, key)
            if name is not None and name not in stops:
                known = ", ".join(sorted(stops)) or "none defined in policies.service.stops"
                out.append(Problem(f"demand.requests[{i}].{key}",
                                   f"unknown stop (known: {known})", name))
    return out


def check_network(sc: CityScenario, net: RoadNetwork) -> list[Problem]:
    """Explicit requests and start nodes that are no road node, depots far off the network,
    and a minimum trip longer than any trip of the network."""
    n = net.n_nodes
    problems = []
    for i, r in enumerate(sc.demand.requests or []):
        for field in ("origin", "destination"):
            node = getattr(r, field)
            if node is not None and node >= n:
                problems.append(Problem(f"demand.requests[{i}].{field}",
                                        f"no such road node (the network has {n})", node))
    xy = net.xy_m
    lo, hi = xy.min(axis=0) / 1000, xy.max(axis=0) / 1000
    spans = f"the network spans {lo[0]:.1f}..{hi[0]:.1f} km x {lo[1]:.1f}..{hi[1]:.1f} km"
    for name, f in sc.fleets.items():
        for i, node in enumerate(f.start_nodes or []):
            if not 0 <= node < n:
                problems.append(Problem(f"fleets.{name}.start_nodes[{i}]",
                                        f"no such road node (the network has {n})", node))
        if f.depot_km is not None:
            x, y = f.depot_km
            near = xy[net.nearest_node(x * 1000, y * 1000)] / 1000
            off = float(np.hypot(near[0] - x, near[1] - y))
            if off > MAX_DEPOT_OFF_KM:
                problems.append(Problem(f"fleets.{name}.depot_km", f"is {off:.3g} km from "
                                        f"the nearest road node ({spans})", list(f.depot_km)))
    longest = 2.0 * float((hi - lo).sum())  # generous: twice the Manhattan extent
    demand = sc.demand
    if "min_trip_km" in demand.model_fields_set and not demand.requests \
            and demand.min_trip_km > longest:
        problems.append(Problem("demand.min_trip_km", f"no trip in the network is that "
                                f"long ({spans})", demand.min_trip_km))
    return problems
