"""Bad-input corpus: scenarios of every kind, hardware profiles, ``--set`` and CLI options.

Every case runs ``fleettwin`` in process and asserts, within a wall-clock limit: the exit code,
no traceback, and the file, the field and the bad value named in the message. Nothing here
reaches a simulation: bad input is refused before any work starts.
"""

from __future__ import annotations

import signal
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from sim.cli.main import main

#: Seconds one case may take (the slowest build a road network to check zones: ~2 s).
LIMIT_S = 20.0


class _Hung(BaseException):
    """Raised by the alarm; a BaseException so that the CLI's own handlers cannot catch it."""


@contextmanager
def _time_limit(seconds: float) -> Iterator[None]:
    def _alarm(signum: int, frame: object) -> None:
        raise _Hung(f"no answer within {seconds:g} s")

    old = signal.signal(signal.SIGALRM, _alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


@pytest.fixture(scope="module", autouse=True)
def _imports_done() -> None:
    """Import every command and model once, outside the timed cases (a cold import of
    SciPy, pyarrow and the models takes seconds on a loaded machine)."""
    from sim.cli.main import build_parser
    from sim.engine.registry import model_kinds

    build_parser()
    model_kinds()


@dataclass
class Case:
    """One bad input: the command line (``{tmp}``, ``{file}`` filled in), what to expect."""

    id: str
    argv: list[str]
    expect: list[str]
    code: int = 2
    file_text: str | bytes | None = None
    profile: tuple[str, str | bytes] | None = None  # (kind folder, YAML) in FLEETTWIN_PROFILES
    env: dict[str, str] = field(default_factory=dict)
    file_name: str = "bad.yaml"


def _cli(capsys, argv: list[str]) -> tuple[int, str, str, float]:
    t0 = time.perf_counter()
    with _time_limit(LIMIT_S):
        code = main(argv)
    elapsed = time.perf_counter() - t0
    out, err = capsys.readouterr()
    return code, out, err, elapsed


def _check(case: Case, tmp_path: Path, monkeypatch, capsys) -> str:
    file = tmp_path / case.file_name
    if case.file_text is not None:
        data = case.file_text
        file.write_bytes(data if isinstance(data, bytes) else data.encode())
    if case.profile is not None:
        kind, text = case.profile
        (tmp_path / "prof" / kind).mkdir(parents=True)
        target = tmp_path / "prof" / kind / "bad_profile.yaml"
        target.write_bytes(text if isinstance(text, bytes) else text.encode())
        monkeypatch.setenv("FLEETTWIN_PROFILES", str(tmp_path / "prof"))
    for k, v in case.env.items():
        monkeypatch.setenv(k, _fill(v, tmp_path, file))
    argv = [_fill(a, tmp_path, file) for a in case.argv]
    code, out, err, elapsed = _cli(capsys, argv)
    assert "Traceback" not in err + out
    assert code == case.code, err
    for text in case.expect:
        assert _fill(text, tmp_path, file) in err, (text, err)
    assert elapsed < LIMIT_S
    runs = tmp_path / "runs"
    assert not runs.exists() or not any(runs.iterdir()), "no run directory after bad input"
    return err


# --- builders ---------------------------------------------------------------------------

RUN = ["run", "--quiet", "--out", "{tmp}/runs"]


def sset(cid: str, scenario: str, *sets: str, expect: list[str]) -> Case:
    """A shipped scenario with ``--set`` overrides; the scenario file is named in the message."""
    argv = [*RUN, scenario]
    for s in sets:
        argv += ["--set", s]
    return Case(cid, argv, [f"scenarios/{scenario}.yaml", *expect])


def sfile(cid: str, text: str | bytes, expect: list[str]) -> Case:
    """A scenario file of our own; its path is named in the message."""
    return Case(cid, [*RUN, "{file}"], ["{file}", *expect], file_text=text)


def prof(cid: str, kind: str, text: str | bytes, expect: list[str]) -> Case:
    """A profile file in an extra profile folder; ``fleettwin profiles`` reads every one."""
    return Case(cid, ["profiles"], ["bad_profile.yaml", *expect], profile=(kind, text))


def opt(cid: str, argv: list[str], expect: list[str], code: int = 2) -> Case:
    return Case(f"option-{cid}", argv, expect, code=code)


def _fill(text: str, tmp: Path, file: Path) -> str:
    return text.replace("{tmp}", str(tmp)).replace("{file}", str(file))


_BOMB = (
    "name: bomb\nkind: city_fleet\n"
    'a: &a ["x","x","x","x","x","x","x","x","x","x"]\n'
    + "".join(
        f"{c}: &{c} [{', '.join([f'*{p}'] * 10)}]\n"
        for p, c in zip("abcdefgh", "bcdefghi", strict=True)
    )
)
_TAXI_HEAD = "name: t\nkind: city_fleet\nhorizon_s: 3600\n"
_VEHICLE = (
    "id: bad_profile\nkind: vehicle\nfuel_l_per_100km: 8\nfailure_rate_per_1000h: 1\n"
)
_TERMINAL = "id: bad_profile\nkind: vehicle_terminal\nreport_interval_s: 30\ngps_error_m: 5\n" \
    "failure_rate_per_1000h: 0.1\n"

SCENARIO_FILES = [
    sfile("yaml-unclosed-bracket", "name: x\nkind: city_fleet\nfleets: [unclosed\n",
          ["malformed YAML at line"]),
    sfile("yaml-bad-indent", "name: x\n  kind: city_fleet\n bad: 1\n", ["malformed YAML"]),
    sfile("yaml-duplicate-key", "name: a\nkind: city_fleet\nname: b\n",
          ["duplicate key 'name'", "line 3", "first at line 1"]),
    sfile("yaml-duplicate-nested-key", _TAXI_HEAD + "fleets:\n  t: {count: 1, count: 2}\n",
          ["duplicate key 'count'"]),
    sfile("yaml-alias-bomb", _BOMB, ["expands to more than 1,000,000 values"]),
    sfile("yaml-self-alias", _TAXI_HEAD + "fleets: &f {a: *f}\n", ["refers to itself"]),
    sfile("yaml-20000-deep-flow", "name: x\nkind: city_fleet\nw: " + "[" * 20000 + "]" * 20000,
          ["nested deeper than 64 levels"]),
    sfile("yaml-20000-deep-unclosed", "name: x\nkind: city_fleet\nw: " + "{a: " * 20000,
          ["nested deeper than 64 levels"]),
    sfile("yaml-70-deep", _TAXI_HEAD + "world: " + "[" * 70 + "]" * 70,
          ["world[0][0]", "nested deeper than 64 levels"]),
    sfile("yaml-python-tag", "name: !!python/object/apply:os.system ['true']\n",
          ["malformed YAML", "python/object/apply"]),
    sfile("yaml-top-level-list", "- a\n- b\n", ["top level must be a mapping", "['a', 'b']"]),
    sfile("yaml-top-level-scalar", "42\n", ["top level must be a mapping", "(got 42)"]),
    sfile("yaml-empty-file", "", ["kind: required field is missing"]),
    sfile("yaml-invalid-utf8", b"name: \xff\xfe\nkind: city_fleet\n", ["cannot read file"]),
    sfile("yaml-nul-bytes", "name: a\x00b\nkind: city_fleet\n", ["malformed YAML"]),
    sfile("kind-unknown", "name: x\nkind: teleport\nhorizon_s: 10\n",
          ["kind: unknown scenario kind", "'teleport'", "city_fleet"]),
    sfile("kind-list", "name: x\nkind: [city_fleet]\nhorizon_s: 10\n",
          ["kind: must be a name", "['city_fleet']"]),
    sfile("kind-missing", "name: x\nhorizon_s: 10\n", ["kind: required field is missing"]),
    sfile("city-fleets-missing", _TAXI_HEAD, ["fleets: required field is missing"]),
    sfile("city-fleet-count-string",
          _TAXI_HEAD + "fleets: {t: {count: many, vehicle_profile: sedan_ice, "
          "terminal_profile: jt808_basic}}\n",
          ["fleets.t.count", "'many'"]),
    sfile("hotline-calls-missing", "name: h\nkind: hotline\nhorizon_s: 3600\nagents: 3\n",
          ["calls: required field is missing"]),
    sfile("hotline-handle-dist-bad-family",
          "name: h\nkind: hotline\nhorizon_s: 3600\nagents: 3\n"
          "calls: {per_h: 10, handle_s: {family: cauchy, scale: 1}}\n",
          ["calls.handle_s", "'cauchy'"]),
    sfile("iptv-site-groups-missing", "name: i\nkind: iptv\nhorizon_s: 3600\n",
          ["site_groups: required field is missing"]),
    sfile("iptv-site-group-duplicate-names",
          "name: i\nkind: iptv\nhorizon_s: 3600\nsite_groups:\n"
          "  - {name: a, vertical: hotel, province: P, sites: 1, boxes_per_site: 5, "
          "stb: tianyi_hd_stb}\n"
          "  - {name: a, vertical: hotel, province: P, sites: 1, boxes_per_site: 5, "
          "stb: tianyi_hd_stb}\n",
          ["site_groups: site group names must be unique", "(got ['a'])"]),
    Case("file-missing", [*RUN, "{tmp}/nope.yaml"], ["nope.yaml", "no such scenario"]),
    Case("file-is-directory", [*RUN, "{tmp}"], ["no such scenario"]),
    Case("file-name-with-nul", [*RUN, "a\x00b"], ["no such scenario"]),
    Case("file-name-too-long", [*RUN, "a" * 5000], ["no such scenario", "aaaa..."]),
    Case("file-too-large", [*RUN, "{file}"], ["{file}", "larger than 20 MB"],
         file_text="name: x\nkind: city_fleet\ndescription: '" + "x" * (21 << 20) + "'\n"),
]

NUMBERS = [
    sset("horizon-nan", "city_taxi", "horizon_s=.nan", expect=["horizon_s", "(got nan)"]),
    sset("horizon-inf", "city_taxi", "horizon_s=.inf", expect=["horizon_s", "(got inf)"]),
    sset("horizon-huge", "city_taxi", "horizon_s=1e15",
         expect=["horizon_s: Input should be less than or equal to 157680000", "'1e15'"]),
    sset("horizon-negative", "hotline_support", "horizon_s=-1",
         expect=["horizon_s: Input should be greater than 0", "(got -1)"]),
    sset("horizon-string", "hotline_support", "horizon_s=tomorrow",
         expect=["horizon_s", "'tomorrow'"]),
    sset("horizon-1e400-is-inf", "hotline_support", "horizon_s=1e400",
         expect=["horizon_s", "'1e400'"]),
    sset("horizon-bigint", "iptv_hotel_district", "horizon_s=" + "9" * 5000,
         expect=["horizon_s", "(got '99999999999"]),
    sset("warmup-after-horizon", "city_taxi", "warmup_s=1e9",
         expect=["warmup_s: must be shorter than horizon_s (86400)", "(got '1e9')"]),
    sset("warmup-nan", "hotline_support", "warmup_s=.nan", expect=["warmup_s", "(got nan)"]),
    sset("record-interval-tiny", "city_taxi", "record_interval_s=1e-9",
         expect=["record_interval_s", "records per series", "'1e-9'"]),
    sset("record-interval-zero", "hotline_support", "record_interval_s=0",
         expect=["record_interval_s: Input should be greater than 0", "(got 0)"]),
    sset("record-interval-inf", "iptv_boot_storm", "record_interval_s=.inf",
         expect=["record_interval_s", "(got inf)"]),
    sset("seed-negative", "city_taxi", "seed=-1", expect=["seed", "(got -1)"]),
    sset("seed-huge", "city_taxi", "seed=99999999999999999999999999",
         expect=["seed: Input should be less than or equal to 9223372036854775807"]),
    sset("seed-float", "hotline_support", "seed=1.5", expect=["seed", "(got 1.5)"]),
    sset("seed-nan", "hotline_support", "seed=.nan", expect=["seed", "(got nan)"]),
    sset("replications-zero", "hotline_support", "replications=0",
         expect=["replications", "(got 0)"]),
    sset("replications-huge", "hotline_support", "replications=1000000",
         expect=["replications: Input should be less than or equal to 1000"]),
    sset("sla-threshold-nan", "city_taxi", "slas[0].threshold=.nan",
         expect=["slas[0].threshold", "(got nan)"]),
    sset("sla-threshold-inf", "hotline_support", "slas[0].threshold=-.inf",
         expect=["slas[0].threshold", "(got -inf)"]),
    sset("sla-op-bad", "hotline_support", "slas[0].op='=='", expect=["slas[0].op", "'=='"]),
    sset("sla-kpi-unknown", "hotline_support", "slas[0].kpi=happiness",
         expect=["slas[0].kpi: unknown KPI for hotline", "'happiness'"]),
    Case("sla-list-item-missing", [*RUN, "hotline_support", "--set", "slas[7].threshold=1"],
         ["--set", "slas[7].threshold", "no list item 7", "(got 1)"]),
    sset("sla-not-a-list", "hotline_support", "slas=yes", expect=["slas", "(got True)"]),
    sset("name-path", "city_taxi", "name=../../etc", expect=["name", "'../../etc'"]),
    sset("name-too-long", "hotline_support", "name=" + "a" * 500,
         expect=["name: String should have at most 100 characters"]),
    sset("profile-dirs-not-list", "hotline_support", "profile_dirs=3",
         expect=["profile_dirs", "(got 3)"]),
    # distributions (hotline handle_s, city patience)
    sset("dist-exponential-mean-nan", "hotline_support", "calls.handle_s.mean=.nan",
         expect=["calls.handle_s.mean", "(got nan)"]),
    sset("dist-exponential-mean-zero", "hotline_support", "calls.handle_s.mean=0",
         expect=["calls.handle_s.mean: Input should be greater than 0", "(got 0)"]),
    sset("dist-exponential-mean-huge", "hotline_support", "calls.handle_s.mean=1e300",
         expect=["calls.handle_s.mean", "less than or equal to 1000000000000"]),
    sset("dist-unknown-family", "hotline_support", "calls.handle_s={family: cauchy}",
         expect=["calls.handle_s", "'cauchy'"]),
    sset("dist-no-family", "hotline_support", "calls.handle_s={mean: 240}",
         expect=["calls.handle_s: a distribution needs a 'family' key", "{'mean': 240}"]),
    sset("dist-unknown-parameter", "hotline_support",
         "calls.handle_s={family: exponential, mean: 240, shape: 2}",
         expect=["calls.handle_s.shape: unknown field", "(got 2)"]),
    sset("dist-lognormal-sigma-inf", "hotline_support",
         "calls.handle_s={family: lognormal, median: 200, sigma: .inf}",
         expect=["calls.handle_s.sigma", "(got inf)"]),
    sset("dist-lognormal-sigma-huge", "hotline_support",
         "calls.handle_s={family: lognormal, median: 200, sigma: 500}",
         expect=["calls.handle_s.sigma: Input should be less than or equal to 10"]),
    sset("dist-gamma-shape-tiny", "hotline_support",
         "calls.handle_s={family: gamma, shape: 1e-300, scale: 10}",
         expect=["calls.handle_s.shape", "(got '1e-300')"]),
    sset("dist-weibull-scale-negative", "hotline_support",
         "calls.handle_s={family: weibull, shape: 2, scale: -3}",
         expect=["calls.handle_s.scale", "(got -3)"]),
    sset("dist-normal-no-mass", "hotline_support",
         "calls.handle_s={family: normal, mean: 0, sd: 1, low: 100}",
         expect=["calls.handle_s", "holds almost none of the normal's mass"]),
    sset("dist-normal-low-above-high", "hotline_support",
         "calls.handle_s={family: normal, mean: 200, sd: 10, low: 300, high: 100}",
         expect=["calls.handle_s", "low (300.0) must be below high (100.0)"]),
    sset("dist-normal-high-nan", "hotline_support",
         "calls.handle_s={family: normal, mean: 200, sd: 10, high: .nan}",
         expect=["calls.handle_s.high", "(got nan)"]),
    sset("dist-empirical-decreasing", "hotline_support",
         "calls.handle_s={family: empirical, values: [300, 100]}",
         expect=["calls.handle_s", "values must be non-decreasing"]),
    sset("dist-empirical-one-value", "hotline_support",
         "calls.handle_s={family: empirical, values: [300]}",
         expect=["calls.handle_s.values", "at least 2 items"]),
    sset("dist-empirical-nan-value", "hotline_support",
         "calls.handle_s={family: empirical, values: [1, .nan]}",
         expect=["calls.handle_s.values[1]", "(got nan)"]),
    sset("dist-empirical-probs-bad", "hotline_support",
         "calls.handle_s={family: empirical, values: [1, 2], probs: [0.2, 1]}",
         expect=["calls.handle_s", "probs must increase strictly from 0 to 1"]),
    sset("dist-deterministic-huge", "hotline_support",
         "calls.handle_s={family: deterministic, value: 1e200}",
         expect=["calls.handle_s.value", "(got '1e200')"]),
    sset("city-patience-string", "city_taxi", "demand.patience_s=forever",
         expect=["demand.patience_s", "'forever'"]),
    # hotline fields
    sset("hotline-rate-nan", "hotline_support", "calls.per_h=.nan",
         expect=["calls.per_h", "(got nan)"]),
    sset("hotline-rate-huge", "hotline_support", "calls.per_h=1e12",
         expect=["calls.per_h: Input should be less than or equal to 1000000"]),
    sset("hotline-too-many-calls", "hotline_support", "calls.per_h=900000",
         "horizon_s=150000000", "record_interval_s=86400",
         expect=["expected calls per replication"]),
    sset("hotline-agents-zero", "hotline_blocking", "agents=0", expect=["agents", "(got 0)"]),
    sset("hotline-agents-float", "hotline_support", "agents=2.5", expect=["agents", "(got 2.5)"]),
    sset("hotline-when-busy-bad", "hotline_support", "when_busy=hang_up",
         expect=["when_busy", "'hang_up'"]),
    sset("hotline-batches-one", "hotline_support", "batches=1", expect=["batches", "(got 1)"]),
    sset("hotline-answer-within-inf", "hotline_support", "answer_within_s=.inf",
         expect=["answer_within_s", "(got inf)"]),
    sset("hotline-drain-huge", "hotline_support", "drain_s=1e12", expect=["drain_s", "'1e12'"]),
    sset("hotline-unknown-field", "hotline_support", "calls.colour=red",
         expect=["calls.colour: unknown field", "'red'"]),
    # city fields (schema in sim/city/schema.py)
    sset("city-count-negative", "city_taxi", "fleets.taxis.count=-5",
         expect=["fleets.taxis.count: Input should be greater than 0 (got -5)"]),
    sset("city-count-huge", "city_taxi", "fleets.taxis.count=99999999999999999999999",
         expect=["fleets.taxis.count", "(got 99999999999999999999999)"]),
    sset("city-count-1e400", "city_taxi", "fleets.taxis.count=1e400",
         expect=["fleets.taxis.count", "'1e400'"]),
    sset("city-urgent-share-above-1", "city_taxi", "demand.urgent_share=1.5",
         expect=["demand.urgent_share", "(got 1.5)"]),
    sset("city-urgent-share-nan", "city_logistics", "demand.urgent_share=.nan",
         expect=["demand.urgent_share", "(got nan)"]),
    sset("city-fuel-price-nan", "city_taxi", "economics.fuel_price_cny_per_l=.nan",
         expect=["economics.fuel_price_cny_per_l", "(got nan)"]),
    sset("city-fare-inf", "city_logistics", "economics.fare_base_cny=.inf",
         expect=["economics.fare_base_cny", "(got inf)"]),
    sset("city-hourly-profile-short", "city_taxi", "demand.hourly_profile=[1, 2]",
         expect=["demand.hourly_profile", "at least 24 items"]),
    sset("city-hourly-profile-nan", "city_logistics",
         "demand.hourly_profile[3]=.nan", expect=["demand.hourly_profile[3]", "(got nan)"]),
    sset("city-zone-unreachable", "city_taxi",
         "demand.zones.airport={center_km: [40.0, 40.0], radius_km: 1.0, weight: 1.0}",
         expect=["demand.zones.airport.center_km: zone is unreachable", "[40.0, 40.0]"]),
    sset("city-zone-center-nan", "city_taxi",
         "demand.zones.x={center_km: [.nan, 1], radius_km: 1, weight: 1}",
         expect=["demand.zones.x.center_km", "(got nan)"]),
    sset("city-shift-start-24", "city_logistics", "fleets.vans.shifts[0].start_h=24",
         expect=["fleets.vans.shifts[0].start_h", "(got 24)"]),
    sset("city-rows-one", "city_taxi", "world.network.rows=1",
         expect=["world.network.rows", "(got 1)"]),
    sset("city-network-source-bad", "city_taxi", "world.network.source=satellite",
         expect=["world.network", "'satellite'"]),
    sset("city-dispatcher-unknown", "city_taxi", "policies.dispatch.algorithm=telepathy",
         expect=["policies.dispatch.algorithm: unknown dispatcher", "'telepathy'"]),
    sset("city-dispatch-param-nan", "city_taxi", "policies.dispatch.params.x=.nan",
         expect=["policies.dispatch.params", "nan"]),
    sset("city-vehicle-profile-unknown", "city_taxi", "fleets.taxis.vehicle_profile=hover_car",
         expect=["fleets.taxis.vehicle_profile: no vehicle profile with this id", "'hover_car'"]),
    sset("city-vehicle-profile-version-missing", "city_taxi",
         "fleets.taxis.vehicle_profile=sedan_ice@99",
         expect=["fleets.taxis.vehicle_profile", "'sedan_ice@99'"]),
    sset("city-vehicle-override-nan", "city_taxi",
         "fleets.taxis.vehicle_overrides={fuel_l_per_100km: .nan}",
         expect=["fuel_l_per_100km", "(got nan)"]),
    sset("city-vehicle-override-unknown", "city_taxi",
         "fleets.taxis.vehicle_overrides={wings: 2}", expect=["wings: unknown field", "(got 2)"]),
    sset("city-terminal-override-message-size-huge", "city_taxi",
         "fleets.taxis.terminal_overrides={message_size_bytes: 1.0e+300}",
         expect=["fleets.taxis.terminal_overrides.message_size_bytes", "(got 1e+300)"]),
    sset("city-terminal-override-dist-bad", "city_taxi",
         "fleets.taxis.terminal_overrides={report_interval_s: {family: normal, mean: 30, "
         "sd: 1, high: 2}}",
         expect=["report_interval_s", "holds almost none"]),
    # IPTV fields (schema in sim/iptv/scenario.py)
    sset("iptv-window-nan", "iptv_hotel_district", "window_s=.nan",
         expect=["window_s", "(got nan)"]),
    sset("iptv-window-zero", "iptv_boot_storm", "window_s=0", expect=["window_s", "(got 0)"]),
    sset("iptv-start-hour-24", "iptv_hotel_district", "start_hour=24",
         expect=["start_hour", "(got 24)"]),
    sset("iptv-sites-zero", "iptv_hotel_district", "site_groups[0].sites=0",
         expect=["site_groups[0].sites", "(got 0)"]),
    sset("iptv-vertical-unknown", "iptv_hotel_district", "site_groups[0].vertical=castle",
         expect=["site_groups[0].vertical", "'castle'"]),
    sset("iptv-boxes-per-site-nan", "iptv_hotel_district", "site_groups[2].boxes_per_site=.nan",
         expect=["site_groups[2].boxes_per_site", "(got nan)"]),
    sset("iptv-stb-unknown", "iptv_hotel_district", "site_groups[0].stb=toaster",
         expect=["site_groups[0].stb", "'toaster'"]),
    sset("iptv-hd-above-live", "iptv_hotel_district", "service.hd_channels=5000",
         expect=["service", "hd_channels (5000) exceeds live_channels"]),
    sset("iptv-diurnal-above-1", "iptv_hotel_district",
         "viewing.hotel.diurnal=[2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, "
         "2, 2, 2, 2]", expect=["viewing.hotel", "diurnal shares must be within"]),
    sset("iptv-overload-threshold-inf", "iptv_hotel_district",
         "network.overload_threshold=.inf", expect=["network.overload_threshold", "(got inf)"]),
    sset("iptv-boot-storm-at-nan", "iptv_boot_storm", "events.boot_storm.at_s=.nan",
         expect=["events.boot_storm.at_s", "(got nan)"]),
    sset("iptv-wave-size-and-share", "iptv_firmware_campaign",
         "events.firmware_campaign.waves=[{size: 10, share: 0.5}]",
         expect=["events.firmware_campaign.waves[0]", "give exactly one of size or share"]),
    sset("iptv-egress-cap-negative", "iptv_firmware_campaign",
         "events.firmware_campaign.egress_cap_gbps=-1",
         expect=["events.firmware_campaign.egress_cap_gbps", "(got -1)"]),
]

SET_SYNTAX = [
    Case("set-no-equals", [*RUN, "city_taxi", "--set", "horizon_s"],
         ["--set", "override must look like path=value", "'horizon_s'"]),
    Case("set-empty-path", [*RUN, "city_taxi", "--set", "=5"],
         ["--set", "override has an empty path"]),
    Case("set-inside-scalar", [*RUN, "city_taxi", "--set", "seed.x=1"],
         ["seed.x", "cannot set inside a plain value"]),
    Case("set-index-on-mapping", [*RUN, "hotline_support", "--set", "calls[0]=1"],
         ["calls[0]: Keys should be strings", "(got 1)"]),
    Case("set-duplicate-key-in-value", [*RUN, "city_taxi", "--set", "demand={a: 1, a: 2}"],
         ["--set", "demand", "duplicate key 'a'"]),
    Case("set-deep-value", [*RUN, "city_taxi", "--set", "world=" + "[" * 20000 + "]" * 20000],
         ["--set", "world", "nested deeper than 64 levels"]),
    Case("set-self-alias", [*RUN, "city_taxi", "--set", "world=&w [*w]"],
         ["--set", "world[0]", "refers to itself"]),
    Case("set-alias-bomb", [*RUN, "city_taxi", "--set",
                            "world=[&a [1,1,1,1,1,1,1,1,1,1], &b [*a,*a,*a,*a,*a,*a,*a,*a,*a,*a], "
                            "&c [*b,*b,*b,*b,*b,*b,*b,*b,*b,*b], &d [*c,*c,*c,*c,*c,*c,*c,*c,*c,*c], "
                            "&e [*d,*d,*d,*d,*d,*d,*d,*d,*d,*d], [*e,*e,*e,*e,*e,*e,*e,*e,*e,*e], "
                            "[*e,*e,*e,*e,*e,*e,*e,*e,*e,*e]]"],
         ["--set", "world", "expands to more than 1,000,000 values"]),
    Case("set-path-5000-chars", [*RUN, "city_taxi", "--set", "a" * 5000 + "=1"],
         ["aaaa...: unknown field", "(got 1)"]),
    Case("set-unknown-top-field", [*RUN, "city_taxi", "--set", "colour=yellow"],
         ["colour: unknown field", "'yellow'"]),
    Case("set-huge-list-index", [*RUN, "city_taxi", "--set", "slas[99999999999999999999]=1"],
         ["slas[99999999999999999999]", "no list item"]),
    Case("set-negative-index-out", [*RUN, "city_taxi", "--set", "slas[-9].threshold=1"],
         ["slas[-9].threshold", "no list item -9"]),
    Case("set-python-tag", [*RUN, "city_taxi", "--set", "name=!!python/name:os.system"],
         ["name", "python/name"]),
]

OPTIONS = [
    opt("seed-negative", [*RUN, "--seed", "-5"], ["--seed", "(got -5)"]),
    opt("seed-text", [*RUN, "--seed", "abc"], ["--seed", "'abc'"]),
    opt("seed-2-64", [*RUN, "--seed", str(2**64)], ["--seed", str(2**64)]),
    opt("seed-float", [*RUN, "--seed", "1.5"], ["--seed", "'1.5'"]),
    opt("replications-zero", [*RUN, "--replications", "0"], ["--replications", "(got 0)"]),
    opt("replications-huge", [*RUN, "--replications", "100000"],
        ["--replications", "(got 100000)"]),
    opt("replications-nan", [*RUN, "--replications", "nan"], ["--replications", "'nan'"]),
    opt("name-parent", [*RUN, "--name", "../evil"], ["--name", "'../evil'"]),
    opt("name-dotdot", [*RUN, "--name", ".."], ["--name", "'..'"]),
    opt("name-empty", [*RUN, "--name", ""], ["--name", "''"]),
    opt("name-slash", [*RUN, "--name", "a/b"], ["--name", "'a/b'"]),
    opt("name-too-long", [*RUN, "--name", "n" * 101], ["--name", "must be 1 to 100"]),
    opt("out-is-file", ["run", "--quiet", "hotline_support", "--out", "{tmp}/afile"],
        ["--out: exists and is not a folder", "afile"]),
    opt("out-under-file", ["run", "--quiet", "hotline_support", "--out", "{tmp}/afile/sub"],
        ["--out: cannot write here", "afile/sub"]),
    opt("out-in-proc", ["run", "--quiet", "hotline_support", "--out", "/proc/fleettwin-runs"],
        ["--out: cannot write here", "/proc/fleettwin-runs"]),
    opt("unknown-option", [*RUN, "--colour", "red"], ["unrecognized arguments: --colour"]),
    opt("unknown-command", ["teleport"], ["invalid choice: 'teleport'"]),
    opt("sweep-no-grid", ["sweep", "hotline_support", "--out", "{tmp}/runs"],
        ["give at least one --grid"]),
    opt("sweep-grid-no-equals", ["sweep", "hotline_support", "--grid", "agents",
                                 "--out", "{tmp}/runs"], ["--grid", "path=v1,v2"]),
    opt("sweep-grid-bad-value", ["sweep", "hotline_support", "--grid", "agents=20,-1",
                                 "--dry-run", "--out", "{tmp}/runs"],
        ["agents", "(got -1)", "grid point agents=-1"]),
    opt("sweep-grid-too-big", ["sweep", "hotline_support", "--grid",
                               "agents=" + ",".join(map(str, range(20, 220))),
                               "--grid", "seed=" + ",".join(map(str, range(200))),
                               "--out", "{tmp}/runs"],
        ["agents x seed", "40,000 grid points; at most 10,000"]),
    opt("sweep-grid-duplicate-key", ["sweep", "hotline_support", "--grid",
                                     "calls={per_h: 1, per_h: 2}", "--out", "{tmp}/runs"],
        ["duplicate key 'per_h'"]),
    opt("sweep-workers-negative", ["sweep", "hotline_support", "--grid", "agents=20",
                                   "--workers", "-1"], ["--workers", "(got -1)"]),
    opt("sweep-replications-zero", ["sweep", "hotline_support", "--grid", "agents=20",
                                    "--replications", "0"], ["--replications", "(got 0)"]),
    opt("sweep-seed-text", ["sweep", "hotline_support", "--grid", "agents=20",
                            "--seed", "x"], ["--seed", "'x'"]),
    opt("sweep-out-is-file", ["sweep", "hotline_support", "--grid", "agents=22",
                              "--replications", "1", "--workers", "0", "--quiet",
                              "--out", "{tmp}/afile"],
        ["--out: exists and is not a folder"]),
    opt("bench-tolerance-nan", ["bench", "--fast", "--tolerance", "nan"],
        ["--tolerance 'nan'", "must be >= 0"]),
    opt("bench-tolerance-negative", ["bench", "--fast", "--tolerance", "wait_p95_s=-1"],
        ["--tolerance 'wait_p95_s=-1'", "must be >= 0"]),
    opt("staffing-rate-nan", ["staffing", "--calls-per-h", "nan", "--handle-s", "240"],
        ["--calls-per-h", "(got nan)"]),
    opt("staffing-rate-inf", ["staffing", "--calls-per-h", "inf", "--handle-s", "240"],
        ["--calls-per-h", "(got inf)"]),
    opt("staffing-rate-zero", ["staffing", "--calls-per-h", "0", "--handle-s", "240"],
        ["--calls-per-h", "(got 0)"]),
    opt("staffing-handle-negative", ["staffing", "--calls-per-h", "300", "--handle-s", "-4"],
        ["--handle-s", "(got -4)"]),
    opt("staffing-target-one", ["staffing", "--calls-per-h", "300", "--handle-s", "240",
                                "--target", "1"], ["--target: target must be a share", "(got '1')"]),
    opt("staffing-target-nan", ["staffing", "--calls-per-h", "300", "--handle-s", "240",
                                "--target", "nan"], ["target must be a share", "(got 'nan')"]),
    opt("staffing-within-nan", ["staffing", "--calls-per-h", "300", "--handle-s", "240",
                                "--within-s", "nan"], ["--within-s", "(got nan)"]),
    opt("staffing-calls-huge", ["staffing", "--calls-per-h", "300", "--handle-s", "240",
                                "--simulate", "--calls", str(10**12)], ["--calls"]),
    opt("calibrate-bootstrap-negative", ["calibrate", "sedan_ice", "--data", "x.csv",
                                         "--field", "repair_time_h", "--bootstrap", "-1"],
        ["--bootstrap", "(got -1)"]),
    opt("calibrate-seed-negative", ["calibrate", "sedan_ice", "--data", "x.csv",
                                    "--field", "repair_time_h", "--seed", "-1"],
        ["--seed", "(got -1)"]),
    opt("calibrate-zipf-channels-zero", ["calibrate-behaviour", "zipf", "--data", "x.csv",
                                         "--channels", "0"], ["--channels", "(got 0)"]),
    opt("calibrate-zipf-simulations-huge", ["calibrate-behaviour", "zipf", "--data", "x.csv",
                                            "--simulations", "99999999"],
        ["--simulations", "(got 99999999)"]),
]

PROFILES = [
    prof("profile-nan", "vehicle", _VEHICLE.replace("8\n", ".nan\n", 1),
         ["fuel_l_per_100km", "(got nan)"]),
    prof("profile-inf", "vehicle", _VEHICLE.replace("rate_per_1000h: 1", "rate_per_1000h: .inf"),
         ["failure_rate_per_1000h", "(got inf)"]),
    prof("profile-negative", "vehicle", _VEHICLE.replace("8\n", "-3\n", 1),
         ["fuel_l_per_100km", "(got -3)"]),
    prof("profile-string-number", "vehicle", _VEHICLE + "seats: lots\n", ["seats", "'lots'"]),
    prof("profile-unknown-field", "vehicle", _VEHICLE + "wings: 2\n",
         ["wings: unknown field", "(got 2)"]),
    prof("profile-missing-field", "vehicle", "id: bad_profile\nkind: vehicle\n",
         ["fuel_l_per_100km: required field is missing"]),
    prof("profile-duplicate-key", "vehicle", _VEHICLE + "seats: 4\nseats: 5\n",
         ["duplicate key 'seats'"]),
    prof("profile-alias-bomb", "vehicle", _BOMB.replace("name: bomb\nkind: city_fleet\n", ""),
         ["expands to more than 1,000,000 values"]),
    prof("profile-deep", "vehicle", _VEHICLE + "provenance: " + "[" * 20000 + "]" * 20000,
         ["nested deeper than 64 levels"]),
    prof("profile-malformed", "vehicle", "id: [bad\n", ["malformed YAML"]),
    prof("profile-not-mapping", "vehicle", "- 1\n- 2\n", ["top level must be a mapping"]),
    prof("profile-kind-unknown", "vehicle", _VEHICLE.replace("kind: vehicle", "kind: ufo"),
         ["kind", "'ufo'"]),
    prof("profile-id-bad", "vehicle", _VEHICLE.replace("id: bad_profile", "id: ../x"),
         ["id", "'../x'"]),
    prof("profile-version-zero", "vehicle", _VEHICLE + "version: 0\n", ["version", "(got 0)"]),
    prof("profile-version-huge-float", "vehicle", _VEHICLE + "version: 1.5\n",
         ["version", "(got 1.5)"]),
    prof("profile-dist-no-mass", "vehicle",
         _VEHICLE + "repair_time_h: {family: normal, mean: 0, sd: 1, low: 50}\n",
         ["repair_time_h", "holds almost none"]),
    prof("profile-dist-nan", "vehicle",
         _VEHICLE + "repair_time_h: {family: lognormal, median: .nan, sigma: 1}\n",
         ["repair_time_h.median", "(got nan)"]),
    prof("terminal-report-interval-inf", "vehicle_terminal",
         _TERMINAL.replace("report_interval_s: 30", "report_interval_s: .inf"),
         ["report_interval_s", "(got inf)"]),
    prof("terminal-report-interval-negative-dist", "vehicle_terminal",
         _TERMINAL.replace("report_interval_s: 30",
                           "report_interval_s: {family: exponential, mean: -1}"),
         ["report_interval_s.mean", "(got -1)"]),
    prof("terminal-gps-error-nan", "vehicle_terminal",
         _TERMINAL.replace("gps_error_m: 5", "gps_error_m: .nan"),
         ["gps_error_m", "(got nan)"]),
    prof("terminal-report-interval-tiny", "vehicle_terminal",
         _TERMINAL.replace("report_interval_s: 30", "report_interval_s: 0.00001"),
         ["report_interval_s: must average at least 0.1 s", "(got 1e-05)"]),
    prof("terminal-message-size-huge", "vehicle_terminal",
         _TERMINAL + "message_size_bytes: 1.0e+300\n",
         ["message_size_bytes", "(got 1e+300)"]),
    prof("vehicle-fuel-huge", "vehicle", _VEHICLE.replace("8\n", "1.0e+308\n", 1),
         ["fuel_l_per_100km: Input should be less than or equal to 1000", "(got 1e+308)"]),
    prof("vehicle-repair-time-huge", "vehicle", _VEHICLE + "repair_time_h: 1.0e+300\n",
         ["repair_time_h", "(got 1e+300)"]),
    prof("stb-boot-time-nan", "stb",
         "id: bad_profile\nkind: stb\nboot_time_s: .nan\n", ["boot_time_s", "(got nan)"]),
    prof("profile-invalid-utf8", "vehicle", b"id: bad\xff\n", ["cannot read file"]),
    prof("fuzz-server-streams-huge", "server",
         "id: bad_profile\nkind: server\nrole: vod\nstreams: 1000000000000000000\n",
         ["streams: Input should be less than or equal to 10000000"]),
    # a Weibull failure shape of 1e-12: OverflowError in the fleet-year reliability model
    prof("fuzz-vehicle-failure-shape-tiny", "vehicle", _VEHICLE + "failure_shape: 1.0e-12\n",
         ["failure_shape: Input should be greater than or equal to 0.1"]),
    # request servers of 1e18 workers or queue places: MemoryError / "array is too big"
    # in the boot-storm simulation
    prof("fuzz-server-workers-huge", "server",
         "id: bad_profile\nkind: server\nrole: dhcp\nrequests_per_s: 100\n"
         "workers: 1000000000000000000\n",
         ["workers: Input should be less than or equal to 100000"]),
    prof("fuzz-server-queue-huge", "server",
         "id: bad_profile\nkind: server\nrole: auth\nrequests_per_s: 100\n"
         "queue_limit: 1000000000000000000\n",
         ["queue_limit: Input should be less than or equal to 10000000"]),
]

CALIBRATE = ["calibrate", "sedan_ice", "--data", "{file}", "--field", "repair_time_h",
             "--dry-run", "--no-plots", "--quiet", "--bootstrap", "20"]


def data(cid: str, text: str | bytes, expect: list[str]) -> Case:
    """A measured-data file for ``fleettwin calibrate``; its name is in the message."""
    return Case(f"calibrate-{cid}", CALIBRATE, ["data.csv", *expect], file_text=text,
                file_name="data.csv")


CALIBRATION_DATA = [
    data("nan-and-inf", "repair_time_h\n1.5\nnan\n2\ninf\n",
         ["repair_time_h (row 3): not a finite number", "'nan'", "(row 5)", "'inf'"]),
    data("no-rows", "repair_time_h\n", ["repair_time_h: file has no data rows"]),
    data("too-few", "repair_time_h\n3\n", ["at least 5 are needed for a fit"]),
    data("negative", "repair_time_h\n-1\n2\n3\n", ["(row 2): negative value", "'-1'"]),
    data("text", "repair_time_h\nabc\n2\n", ["(row 2): not a finite number", "'abc'"]),
    data("binary", b"\xff\xfe\x00", ["cannot read file"]),
    data("huge", "repair_time_h\n" + "1e308\n" * 6, ["larger than 1e+12", "'1e308'"]),
    # found by the data-file fuzz: constant data was "fitted" (a normal of sd 7e-304, or
    # a SciPy error on a large file)
    data("constant", "repair_time_h\n" + "7\n" * 50,
         ["repair_time_h: all 50 observed values are equal: no spread", "(got 7.0)"]),
    Case("zipf-viewers-huge", ["calibrate-behaviour", "zipf", "--data", "{file}", "--quiet"],
         ["data.csv", "viewers (row 2): more than 1e+12 viewers on one channel", "'1e308'"],
         file_text="viewers\n1e308\n5\n3\n", file_name="data.csv"),
    Case("zipf-too-many-channels", ["calibrate-behaviour", "zipf", "--data", "{file}",
                                    "--quiet"],
         ["data.csv", "viewers: 100,001 rows (channels); at most 100,000"],
         file_text="viewers\n" + "7\n" * 100_001, file_name="data.csv"),
    Case("bench-baseline-not-utf8", ["bench", "--fast", "--compare", "{file}"],
         ["base.json", "not UTF-8 text (byte 1)"], file_text=b"{\x80}", file_name="base.json"),
    Case("bench-baseline-deep", ["bench", "--fast", "--compare", "{file}"],
         ["base.json", "JSON nested too deeply"], file_text="[" * 100_000 + "]" * 100_000,
         file_name="base.json"),
]

# Found by mutating every field of every shipped scenario and profile (negative, zero, 1e18,
# NaN/inf, wrong types, null, empty, duplicates, unknown references) and running each one.
FUZZ_FINDINGS = [
    # a traceback (OverflowError in the horizon default) instead of a message
    sset("fuzz-fleet-year-months-inf", "city_fleet_year", "months=.inf",
         expect=["months", "(got inf)"]),
    sset("fuzz-fleet-year-months-minus-inf", "city_fleet_year", "months=-.inf",
         expect=["months", "(got -inf)"]),
    # a mapping where a number belongs inside a union (distribution, network): "0 problems"
    sset("fuzz-dist-parameter-mapping", "hotline_support", "calls.handle_s.mean={a: 1}",
         expect=["1 problem", "calls.handle_s.mean: Input should be a valid number",
                 "(got {'a': 1})"]),
    sset("fuzz-network-rows-mapping", "city_taxi", "world.network.rows={a: 1}",
         expect=["1 problem", "world.network.rows: Input should be a valid integer",
                 "(got {'a': 1})"]),
    sset("fuzz-dist-family-named", "hotline_support", "calls.handle_s.family=cauchy",
         expect=["calls.handle_s.family: unknown family", "(got 'cauchy')"]),
    # true/false where a number belongs was read as 1/0
    sset("fuzz-bool-count", "city_taxi", "fleets.taxis.count=yes",
         expect=["fleets.taxis.count: Input should be a valid integer (got True)"]),
    sset("fuzz-bool-horizon", "hotline_support", "horizon_s=true",
         expect=["horizon_s: Input should be a valid number (got True)"]),
    sset("fuzz-bool-list-item", "city_taxi", "demand.zones.downtown.center_km=[true, 6]",
         expect=["demand.zones.downtown.center_km[0]: Input should be a valid number"]),
    sset("fuzz-bool-dist-parameter", "city_taxi",
         "demand.patience_s={family: exponential, mean: true}",
         expect=["demand.patience_s.mean: Input should be a valid number (got True)"]),
    sset("fuzz-bool-iptv-window", "iptv_boot_storm", "window_s=true",
         expect=["window_s", "(got True)"]),
    # negative quantities (times, sizes, speeds) were taken as they came
    sset("fuzz-negative-patience", "city_logistics", "demand.patience_s=-1",
         expect=["demand.patience_s: must not be negative (got -1)"]),
    sset("fuzz-negative-urgent-patience", "city_logistics", "demand.urgent_patience_s=-1",
         expect=["demand.urgent_patience_s: must not be negative (got -1)"]),
    sset("fuzz-negative-boxes-per-site", "iptv_national_rollout_day",
         "site_groups[0].boxes_per_site=-1",
         expect=["site_groups[0].boxes_per_site: must not be negative (got -1)"]),
    sset("fuzz-negative-normal-low", "hotline_support",
         "calls.handle_s={family: normal, mean: 200, sd: 50, low: -100}",
         expect=["calls.handle_s: must not be negative (normal distribution reaching -100)"]),
    sset("fuzz-negative-empirical", "hotline_support",
         "calls.handle_s={family: empirical, values: [-5, 100]}",
         expect=["calls.handle_s: must not be negative (empirical distribution reaching -5)"]),
    sset("fuzz-fleet-year-task-speed-negative", "city_fleet_year", "tasks[0].speed_kmh=-1",
         expect=["tasks[0].speed_kmh: must not be negative (got -1)"]),
    sset("fuzz-fleet-year-task-speed-zero", "city_fleet_year", "tasks[0].speed_kmh=0",
         expect=["tasks[0].speed_kmh: must be greater than 0 on average (got 0)"]),
    # a crawling speed between sites: OverflowError deep in the workshop calendar
    sset("fuzz-fleet-year-travel-speed-tiny", "city_fleet_year", "travel.speed_kmh=1.0e-12",
         expect=["travel.speed_kmh: Input should be greater than or equal to 1"]),
    # no shift at all: IndexError when the fleet starts
    sset("fuzz-city-shifts-empty", "city_taxi", "fleets.taxis.shifts=[]",
         expect=["fleets.taxis.shifts", "at least 1 item", "(got [])"]),
    # duplicate ids were accepted (the second shadowed the first) or named no field
    sset("fuzz-fleet-year-duplicate-task-id", "city_fleet_year", "tasks[1].id=delivery",
         expect=["tasks: task type ids must be unique", "(got ['delivery'])"]),
    sset("fuzz-fleet-year-duplicate-depot-id", "city_fleet_year", "depots[1].id=baiyun",
         expect=["depots: depot ids must be unique", "(got ['baiyun'])"]),
    sset("fuzz-fleet-year-duplicate-station-id", "city_fleet_year",
         "charging.stations[1].id=baiyun_depot",
         expect=["charging.stations: charging station ids must be unique",
                 "(got ['baiyun_depot'])"]),
    sset("fuzz-fleet-year-duplicate-workshop-id", "city_fleet_year",
         "workshops[1].id=ev_dealer_4s",
         expect=["workshops: workshop ids must be unique", "(got ['ev_dealer_4s'])"]),
    sset("fuzz-fleet-year-depot-share-unknown", "city_fleet_year",
         "tasks[0].depot_share={nowhere: 1}",
         expect=["tasks[0].depot_share: names unknown depots nowhere", "{'nowhere': 1}"]),
    sset("fuzz-fleet-year-pool-depot-unknown", "city_fleet_year",
         "drivers.pools[0].depot=nowhere",
         expect=["drivers.pools[0].depot: is not a depot", "(got 'nowhere')"]),
    sset("fuzz-cameras-duplicate-province", "shop_cameras_trial", "provinces[1].name=Guangdong",
         expect=["provinces: province names must be unique", "(got ['Guangdong'])"]),
    # a VoD server of 1e18 streams: MemoryError (exabytes) after the run started; the
    # message named network.vod_server.streams, not the override's own path
    sset("fuzz-vod-streams-huge", "iptv_boot_storm",
         "network.profile_overrides.vod_server.streams=1000000000000000000",
         expect=["network.profile_overrides.vod_server.streams: Input should be less than or "
                 "equal to 10000000"]),
    sset("fuzz-link-override-named", "iptv_boot_storm",
         "network.profile_overrides.pon={down_gbps: -1}",
         expect=["network.profile_overrides.pon.down_gbps: Input should be greater than 0",
                 "(got -1)"]),
    sset("fuzz-vod-streams-per-1000-huge", "iptv_national_rollout_day",
         "network.vod_streams_per_1000_boxes=1.0e+18",
         expect=["network.vod_streams_per_1000_boxes: Input should be less than or equal to "
                 "1000"]),
    # a backoff that starts above its own ceiling
    sset("fuzz-boot-backoff-base-above-max", "iptv_boot_storm",
         "events.boot_storm.client.backoff_base_s=500",
         expect=["events.boot_storm.client.backoff_base_s: must not exceed backoff_max_s",
                 "(got 500"]),
    # rollout: negative shares of a mix were accepted; a reversed or negative crew shift
    # was blamed on every vertical's window_h; an unbounded group size
    sset("fuzz-rollout-package-share-negative", "iptv_rollout_2016",
         "adoption.verticals.hotel.packages.hotel_basic=-1",
         expect=["adoption.verticals.hotel.packages.hotel_basic: Input should be greater than "
                 "or equal to 0 (got -1)"]),
    sset("fuzz-rollout-segment-shares-zero", "iptv_rollout_2016",
         "adoption.verticals.school.segments={1402002: 0}",
         expect=["adoption.verticals.school.segments: shares must have a positive sum"]),
    sset("fuzz-rollout-shift-reversed", "iptv_rollout_2016", "installation.shift_h=[17.5, 8.5]",
         expect=["1 problem", "installation.shift_h: must be 0 <= start < end <= 24",
                 "(got [17.5, 8.5])"]),
    sset("fuzz-rollout-shift-negative", "iptv_rollout_2016", "installation.shift_h=[-1, 17.5]",
         expect=["installation.shift_h: must be 0 <= start < end <= 24"]),
    sset("fuzz-rollout-weekday-unknown", "iptv_rollout_2016",
         "installation.working_weekdays=[0, 9]",
         expect=["installation.working_weekdays[1]", "(got 9)"]),
    sset("fuzz-rollout-max-boxes-huge", "iptv_rollout_2016",
         "adoption.verticals.hotel.max_boxes=1000000000000000000",
         expect=["adoption.verticals.hotel.max_boxes: Input should be less than or equal to "
                 "100000"]),
    # a token lifetime of 1e-12 s: the camera run never ended (renewals without end)
    sset("fuzz-camera-token-ttl-tiny", "shop_cameras_trial", "tokens.ttl_s=1.0e-12",
         expect=["tokens.ttl_s: Input should be greater than or equal to 1"]),
    # a horizon shorter than one window: ZeroDivisionError (terminals), an empty run (IPTV,
    # cameras)
    sset("fuzz-terminals-horizon-under-window", "vehicle_terminals", "horizon_s=1.0e-12",
         expect=["horizon_s: must hold at least one window (window_s 60)", "(got 1e-12)"]),
    sset("fuzz-iptv-horizon-under-window", "iptv_boot_storm", "horizon_s=10",
         "events.boot_storm.at_s=0",
         expect=["horizon_s: must hold at least one window (window_s 30)", "(got 10)"]),
    sset("fuzz-cameras-horizon-under-window", "shop_cameras_trial", "horizon_s=5", "warmup_s=0",
         "power_cut=null", "reboot=null", "firmware_campaign=null",
         expect=["horizon_s: must hold at least one window (window_s 600)", "(got 5)"]),
    # the warm-up check named the whole file ("<file>: warmup_s ... must be shorter")
    sset("fuzz-warmup-named", "hotline_support", "warmup_s=90000",
         expect=["  - warmup_s: must be shorter than horizon_s (90000) (got 90000)"]),
    # a rollout whose market rounds to no box: IndexError when the visits were built; a
    # target of 1e18 (x 10,000 boxes) ran without end
    sset("fuzz-rollout-no-market", "iptv_rollout_2016", "adoption.potential_factor=1.0e-12",
         expect=["provinces: targets x adoption.potential_factor (1e-12) leave no box"]),
    sset("fuzz-rollout-target-huge", "iptv_rollout_2016",
         "provinces.Guangdong.target_10k=1.0e+18",
         expect=["provinces.Guangdong.target_10k: Input should be less than or equal to 1000"]),
    # a depot 1e18 km away was snapped to the nearest corner of the city, and a minimum trip
    # longer than the city was given up on after 20 redraws: both ran, exit 0
    sset("fuzz-city-depot-off-network", "city_logistics", "fleets.vans.depot_km=[-1.0e+18, 1]",
         expect=["fleets.vans.depot_km: is 1e+18 km from the nearest road node",
                 "(the network spans 0.0..12.0 km x 0.0..12.0 km)"]),
    sset("fuzz-city-min-trip-too-long", "city_taxi", "demand.min_trip_km=1.0e+18",
         expect=["demand.min_trip_km: no trip in the network is that long", "(got 1e+18)"]),
    # a missing register was reported as a "data file" problem of "<file>", not as the
    # scenario's register_csv
    sset("fuzz-fleet-year-register-missing", "city_fleet_year", "register_csv=nowhere.csv",
         expect=["register_csv: no such register file", "(got 'nowhere.csv')"]),
    # an unknown profile a workshop serves was accepted (the workshop then served nobody)
    sset("fuzz-fleet-year-workshop-profile-unknown", "city_fleet_year",
         "workshops[0].profiles=[no_such_car]",
         expect=["workshops[0].profiles[0]: no vehicle profile with this id",
                 "(got 'no_such_car')"]),
]

CASES = (SCENARIO_FILES + NUMBERS + SET_SYNTAX + OPTIONS + PROFILES + CALIBRATION_DATA
         + FUZZ_FINDINGS)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_input_is_refused_clearly(case: Case, tmp_path, monkeypatch, capsys):
    (tmp_path / "afile").write_text("not a folder\n")
    _check(case, tmp_path, monkeypatch, capsys)


def test_a_long_value_is_cut_short_in_the_message(tmp_path, monkeypatch, capsys):
    """pydantic's text for an unknown distribution family repeated the family whole: a
    5,000-character typo became a 5,000-character message."""
    case = sset("fuzz-dist-family-long", "hotline_support", "calls.handle_s.family=" + "x" * 5000,
                expect=["calls.handle_s.family: unknown family", "(got 'xxxx"])
    err = _check(case, tmp_path, monkeypatch, capsys)
    assert len(err) < 600, err


EVENTS_AFTER_END = [
    ("iptv_boot_storm", "events.boot_storm.at_s=1.0e+18", "events.boot_storm.at_s (1e+18)"),
    ("iptv_firmware_campaign", "events.firmware_campaign.start_s=1.0e+9",
     "events.firmware_campaign.start_s (1e+09)"),
    ("shop_cameras_trial", "reboot.at_s=1.0e+9", "reboot.at_s (1e+09)"),
    ("shop_cameras_trial", "power_cut.at_s=86400", "power_cut.at_s (86400)"),
]


@pytest.mark.parametrize(("scenario", "override", "text"), EVENTS_AFTER_END,
                         ids=[e[1].split("=")[0] for e in EVENTS_AFTER_END])
def test_an_event_after_the_horizon_is_said(scenario, override, text, caplog):
    """An event set at or after the horizon never happens: the run goes on (a horizon
    shortened for a quick look may mean it) but says so, instead of nothing at all."""
    from sim.engine.loading import load_scenario

    with caplog.at_level("WARNING"):
        load_scenario(scenario, [override])
    assert f"{text} is not before horizon_s" in caplog.text
    assert "does not happen in this run" in caplog.text


def test_corpus_is_large_and_ids_unique():
    ids = [c.id for c in CASES]
    assert len(ids) == len(set(ids))
    assert len(ids) >= 100


# --- bounds owned by the model packages ---------------------------------------------------
# These values would hang or try to allocate terabytes in the model or its compiled kernels,
# where no time limit can interrupt them; so they are checked here at validation only
# (load_scenario, no run).

def _refused_at_validation(scenario: str, override: str, field_name: str) -> None:
    from sim.engine.loading import load_scenario
    from sim.errors import ScenarioError

    t0 = time.perf_counter()
    with _time_limit(LIMIT_S), pytest.raises(ScenarioError) as exc:
        load_scenario(scenario, [override])
    assert time.perf_counter() - t0 < LIMIT_S
    assert field_name in str(exc.value)


DISPATCH_PARAMS = [
    ("city_taxi", "policies.dispatch.algorithm=batch_matching",
     "policies.dispatch.batch_window_s=0", "batch_window_s"),
    ("city_taxi", "policies.dispatch.algorithm=rebalance",
     "policies.dispatch.params.rebalance_interval_s=-1", "rebalance_interval_s"),
    ("city_taxi", "policies.dispatch.algorithm=rebalance",
     "policies.dispatch.params.rebalance_interval_s=0", "rebalance_interval_s"),
    pytest.param("city_logistics", "policies.dispatch.algorithm=batch_matching",
                 "policies.dispatch.params.batch_window_s=-5", "batch_window_s",
                 id="params.batch_window_s=-5-city_logistics"),
]


@pytest.mark.parametrize(("scenario", "algorithm", "override", "field_name"), DISPATCH_PARAMS)
def test_dispatcher_interval_zero_or_negative_is_refused(scenario, algorithm, override,
                                                         field_name):
    from sim.engine.loading import load_scenario
    from sim.errors import ScenarioError

    with _time_limit(LIMIT_S), pytest.raises(ScenarioError) as exc:
        load_scenario(scenario, [algorithm, override])
    assert field_name in str(exc.value)


MODEL_BOUNDS = [
    ("city_taxi", "demand.requests_per_day=1e9", "demand.requests_per_day"),
    ("city_taxi", "demand.requests_per_day=1e15", "demand.requests_per_day"),
    ("city_taxi", "world.network.rows=400", "world.network"),
    ("city_taxi", "world.network.block_m=1e12", "world.network.block_m"),
    ("iptv_hotel_district", "site_groups[0].sites=1000000000", "site_groups[0].sites"),
    ("iptv_hotel_district", "site_groups[2].boxes_per_site=1000000000",
     "site_groups[2].boxes_per_site"),
    ("iptv_hotel_district", "service.vod_titles=1000000000000", "service.vod_titles"),
    ("iptv_hotel_district", "service.edge_cache_titles=1000000000000",
     "service.edge_cache_titles"),
    ("iptv_hotel_district", "window_s=0.001", "window_s"),
    ("iptv_hotel_district", "threads=100000", "threads"),
    ("iptv_hotel_district", "network.vod_servers_per_province=1000000000",
     "network.vod_servers_per_province"),
    ("iptv_hotel_district", "site_groups[0].boxes_per_port=1000000000",
     "site_groups[0].boxes_per_port"),
    ("iptv_boot_storm", "events.boot_storm.bin_s=0.000001", "events.boot_storm.bin_s"),
    ("iptv_boot_storm", "events.boot_storm.client.timeout_s=1e-9",
     "events.boot_storm.client.timeout_s"),
]


@pytest.mark.parametrize(("scenario", "override", "field_name"), MODEL_BOUNDS,
                         ids=[f"{m[0]}-{m[1].split('=')[0]}-{m[1].split('=')[1][:8]}"
                              for m in MODEL_BOUNDS])
def test_model_bound_is_refused_at_validation(scenario, override, field_name):
    _refused_at_validation(scenario, override, field_name)


# --- the common header, on every shipped scenario of every kind ----------------------------

def _shipped() -> list[str]:
    from sim.engine.loading import available_scenarios

    return [p.stem for p in available_scenarios()]


COMMON = [
    ("horizon_s=.nan", ["horizon_s", "(got nan)"]),
    ("horizon_s=1e15", ["horizon_s", "less than or equal to 157680000"]),
    ("seed=-1", ["seed", "(got -1)"]),
    ("warmup_s=1.0e+8", ["warmup_s: must be shorter than horizon_s", "(got 100000000.0)"]),
    ("record_interval_s=1e-9", ["record_interval_s", "records per series"]),
    ("replications=0", ["replications", "(got 0)"]),
    ("name=a/b", ["name", "'a/b'"]),
    ("no_such_field=1", ["no_such_field: unknown field", "(got 1)"]),
    ("slas=[{kpi: x, threshold: .inf}]", ["slas[0].threshold", "(got inf)"]),
]


@pytest.mark.parametrize("scenario", _shipped())
@pytest.mark.parametrize(("override", "expect"), COMMON, ids=[c[0] for c in COMMON])
def test_common_fields_of_every_scenario_kind(scenario, override, expect, tmp_path,
                                              monkeypatch, capsys):
    case = sset(f"{scenario}-{override}", scenario, override, expect=expect)
    _check(case, tmp_path, monkeypatch, capsys)
