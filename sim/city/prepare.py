"""Checks of a city scenario before it runs: the fleets' profiles resolved, the dispatcher
and its parameters, and requests no vehicle could carry (each problem named by its field)."""

from __future__ import annotations

from typing import Any

from sim.city.schema import CityScenario
from sim.dispatch import DISPATCHERS
from sim.dispatch.params import check_params
from sim.errors import Problem, ScenarioError
from sim.schema.profiles import ProfileBase, ProfileCatalog


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
