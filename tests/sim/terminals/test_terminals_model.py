"""The vehicle terminals model: determinism, conservation of messages, reports by state,
the fatigue rule, the gateway's limits, bad input."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from sim.cli.main import main
from sim.engine.loading import load_scenario
from sim.engine.simulation import Simulation, run_scenario

N = 3000
SMALL: list[tuple[str, Any]] = [
    ("horizon_s", 6 * 3600.0), ("preroll_s", 3600.0), ("slas", []),
    ("fleets", {"vans": {"count": N, "profile": "jt808_dashcam", "video_per_on_h": 0.2},
                "trucks": {"count": N, "profile": "jt808_basic", "speed_kmh": 50.0}}),
    ("cells", {"cells": 20, "cell_uplink_mbps": 50.0}),
    ("gateway", {"nodes": 2, "max_connections_per_node": 100_000}),
]


def _run(extra: list[tuple[str, Any]] = ()) -> Any:  # type: ignore[assignment]
    return Simulation(load_scenario("vehicle_terminals", SMALL + list(extra))).run()


@pytest.fixture(scope="module")
def rep() -> Any:
    return _run()


def _col(table: Any, name: str) -> np.ndarray:
    return np.asarray(table.column(name).to_numpy(zero_copy_only=False), float)


def test_same_seed_same_kpis_and_threads_do_not_matter(rep: Any) -> None:
    again = _run([("threads", 1)])
    assert again.kpis == rep.kpis
    assert set(rep.kpis) == set(load_scenario("vehicle_terminals").model.kpis)


def test_every_message_is_counted_in_one_window(rep: Any) -> None:
    terminals = rep.tables["terminals"]
    series = rep.series["terminals"]
    sent = _col(terminals, "msgs").sum()
    assert _col(series, "messages_sent").sum() == pytest.approx(sent, rel=1e-12)
    # the gateway rounds each window's share of spread reports up or down at random
    offered = (_col(series, "gateway_offered").sum() + _col(series, "radio_lost").sum()
               + _col(series, "link_lost").sum())
    assert abs(offered - sent) < 5 * np.sqrt(_col(series, "t_s").size)
    alarms = sum(_col(terminals, k).sum() for k in
                 ("harsh_braking", "harsh_acceleration", "speeding", "fatigue"))
    by_window = sum(_col(series, f"alarms_{k}").sum() for k in
                    ("harsh_braking", "harsh_acceleration", "speeding", "fatigue"))
    assert alarms == by_window > 0


def test_km_is_speed_times_moving_time(rep: Any) -> None:
    t = rep.tables["terminals"]
    speed = np.where(np.asarray(t.column("fleet").to_pylist()) == "trucks", 50.0, 35.0)
    np.testing.assert_allclose(_col(t, "km"), speed * _col(t, "move_s") / 3600.0, rtol=1e-9)


def test_reports_follow_the_interval_of_each_state() -> None:
    # no alarms, fixed intervals: messages = terminal-seconds / interval per state, plus a
    # report at every state change
    quiet = {"profiles": {"saint": {"share": 1.0, "harsh_braking_per_100km": 0,
                                    "harsh_acceleration_per_100km": 0,
                                    "speeding_per_100km": 0}}}
    fleet = {"count": N, "profile": "jt808_basic", "leg_s": 20_000.0, "stop_s": 20_000.0,
             "profile_overrides": {"report_interval_s": 30.0, "report_interval_parked_s": 90.0,
                                   "report_interval_off_s": 600.0}}
    r = _run([("fleets", {"f": fleet}), ("behaviour", quiet)])
    s = r.series["terminals"]
    dt = 60.0
    expected = (_col(s, "moving").sum() * dt / 30.0 + _col(s, "parked").sum() * dt / 90.0
                + _col(s, "off").sum() * dt / 600.0)
    sent = _col(r.tables["terminals"], "msgs").sum()
    changes = _col(s, "sessions").sum() * 2  # ignition on and off, legs last all session
    assert sent == pytest.approx(expected + changes, rel=0.02)
    assert r.kpis["harsh_braking_per_100km"] == 0
    assert r.kpis["speeding_per_100km"] == 0


def test_fatigue_needs_four_hours_without_a_20_minute_rest() -> None:
    long_day = {"session_median_s": 30_000.0, "session_sigma": 0.1, "leg_s": 1200.0,
                "sessions_per_day": 2.0}
    one = {"profiles": {"d": {"share": 1.0}}}
    short_stops = _run([("fleets", {"f": {"count": 1000, "profile": "jt808_basic",
                                          "stop_s": 60.0, **long_day}}), ("behaviour", one),
                        ("horizon_s", 86400.0)])
    long_stops = _run([("fleets", {"f": {"count": 1000, "profile": "jt808_basic",
                                         "stop_s": 20_000.0, **long_day}}),
                       ("behaviour", one), ("horizon_s", 86400.0)])
    assert short_stops.kpis["fatigue_alarms_per_day"] > 100
    assert long_stops.kpis["fatigue_alarms_per_day"] == 0


def test_refused_sessions_and_a_full_gateway_lose_messages() -> None:
    r = _run([("gateway", {"nodes": 1, "max_connections_per_node": 200, "workers_per_node": 1,
                           "service_ms": 60.0, "buffer_messages": 50})])
    k = r.kpis
    assert k["session_blocking"] > 0.05
    assert k["gateway_utilisation_peak"] > 0.95
    s = r.series["terminals"]
    lost = (_col(s, "refused_per_s").sum() * 60 + _col(s, "gateway_lost").sum()
            + _col(s, "radio_lost").sum() + _col(s, "link_lost").sum())
    assert k["messages_lost"] == pytest.approx(lost, rel=1e-9)
    assert 0 < k["messages_lost_share"] < 1


def test_premiums_follow_the_stated_formula(rep: Any) -> None:
    from sim.economics.insurance import InsuranceTariff, premiums

    t, p = rep.tables["terminals"], rep.tables["premiums"]
    events = {k: _col(t, k) for k in ("harsh_braking", "harsh_acceleration", "speeding",
                                       "fatigue")}
    want = premiums(InsuranceTariff(), _col(t, "km"), _col(t, "night_km"), events, 0.25)
    np.testing.assert_array_equal(_col(p, "premium_cny"), want["premium_cny"])
    assert rep.kpis["premium_mean_cny"] == pytest.approx(want["premium_cny"].mean())


@pytest.mark.parametrize("override, field, value", [
    ("fleets.vans.profile=no_such_terminal", "fleets.vans.profile", "no_such_terminal"),
    ("fleets.vans.profile_overrides.video_bitrate_kbps=-5", "video_bitrate_kbps", "-5"),
    ("gateway.workers_per_node=0", "gateway.workers_per_node", "0"),
    ("behaviour.profiles.calm.share=0.9", "behaviour", "add up to 0.9"),
    ("epoch_s=90", "epoch_s", "90"),
])
def test_bad_input_names_file_field_and_value(capsys: pytest.CaptureFixture[str],
                                              tmp_path: Any, override: str, field: str,
                                              value: str) -> None:
    code = main(["run", "vehicle_terminals", "--set", override, "--out", str(tmp_path)])
    err = capsys.readouterr().err
    assert code == 2
    assert "Traceback" not in err
    assert "vehicle_terminals.yaml" in err
    assert field in err
    assert value in err


def test_run_scenario_writes_series_and_tables() -> None:
    res = run_scenario(load_scenario("vehicle_terminals", SMALL + [
        ("fleets", {"f": {"count": 500, "profile": "jt808_basic"}})]))
    assert res.kpis["terminals"] == 500


def test_on_demand_video_is_an_alternating_renewal_of_streams() -> None:
    # requests while a stream is on are part of it: streaming share = lam L / (1 + lam L)
    lam_h, length_s, kbps = 3.0, 300.0, 1024.0
    quiet = {"profiles": {"q": {"share": 1.0, "harsh_braking_per_100km": 0,
                                "harsh_acceleration_per_100km": 0, "speeding_per_100km": 0}}}
    fleet = {"count": N, "profile": "jt808_dashcam", "video_per_on_h": lam_h,
             "video_s": length_s, "session_median_s": 20_000.0, "session_sigma": 0.1}
    r = _run([("fleets", {"f": fleet}), ("behaviour", quiet)])
    s = r.series["terminals"]
    on_s = (_col(s, "moving").sum() + _col(s, "parked").sum()) * 60.0
    x = lam_h / 3600.0 * length_s
    expected_gb = on_s * x / (1 + x) * kbps / 8000.0 / 1000.0
    got_gb = r.kpis["video_gb_per_day"] * 0.25  # six hours
    assert got_gb == pytest.approx(expected_gb, rel=0.05)


def test_a_gateway_uplink_too_small_loses_the_excess() -> None:
    r = _run([("gateway", {"nodes": 1, "uplink_mbps": 0.01})])
    s = r.series["terminals"]
    use = _col(s, "gateway_link_utilisation")
    lost = _col(s, "link_lost")
    over = use > 1.0
    assert over.any() and r.kpis["gateway_link_utilisation_peak"] == use.max()
    # what a window's uplink cannot carry (the share 1 - 1/use of its messages) is lost
    carried = _col(s, "gateway_offered") + lost
    np.testing.assert_allclose(lost[over] / carried[over], 1 - 1 / use[over], rtol=0.02,
                               atol=2 / carried[over].min())
    assert (lost[~over] == 0).all()


GOLDEN = Path(__file__).parent / "golden_small.json"


def test_golden_kpis(rep: Any) -> None:
    """The small scenario's KPIs as checked in; a change must be deliberate
    (``FLEETTWIN_UPDATE_GOLDEN=1 pytest tests/sim/terminals -k golden`` rewrites them)."""
    if os.environ.get("FLEETTWIN_UPDATE_GOLDEN"):
        GOLDEN.write_text(json.dumps(rep.kpis, indent=1, sort_keys=True) + "\n")
    want = json.loads(GOLDEN.read_text())
    assert set(want) == set(rep.kpis)
    for k, v in want.items():
        assert rep.kpis[k] == pytest.approx(v, rel=1e-9, abs=1e-12, nan_ok=True), k
