"""Hotline-vs-closed-form checks in fast mode, and that they catch a wrong model."""

from __future__ import annotations

import json

import pytest

from sim.cli.main import main
from validation.analytic import erlang_b, mmc
from validation.hotline_runs import HotlineLoad, compare, simulate
from validation.registry import CHECKS, CheckResult, discover
from validation.staffing import agents_for_service_level


def test_fast_queueing_checks_pass(capsys) -> None:  # type: ignore[no-untyped-def]
    code = main(["validate", "--only", "queueing", "--json", "--quiet"])
    doc = json.loads(capsys.readouterr().out)
    failed = [r for c in doc["checks"] for r in c["results"] if not r["passed"]]
    assert code == 0, failed
    names = {c["name"] for c in doc["checks"]}
    assert names == {"hotline.erlang_c", "hotline.erlang_b", "hotline.littles_law",
                     "hotline.staffing"}
    loads = " ".join(r["check"] for c in doc["checks"] for r in c["results"])
    assert "rho=0.90" in loads and "rho=1.10" in loads  # high loads are covered


def test_check_fails_for_a_wrongly_staffed_model() -> None:
    # simulate 6 agents but compare with the closed form for 5: must fail
    run = simulate(HotlineLoad(agents=6, per_h=60.0, calls=20_000, seed=5))
    wrong = mmc(60 / 3600, 240.0, 5)
    res = compare("wrong", wrong.wait_prob, run.estimate("wait_prob"), 0.03)
    assert not res.passed and "misses" in res.detail
    right = mmc(60 / 3600, 240.0, 6)
    assert compare("right", right.wait_prob, run.estimate("wait_prob"), 0.1).passed


def test_loss_check_fails_when_calls_queue() -> None:
    # a queueing line offered as a loss system: no call is ever blocked
    run = simulate(HotlineLoad(agents=5, per_h=52.5, calls=10_000, seed=6))
    res = compare("b", erlang_b(5, 3.5), run.estimate("blocking_rate"), 0.03)
    assert not res.passed


def test_staffing_answer() -> None:
    ans = agents_for_service_level(300, 240, 0.8, 20)
    assert ans.agents == 25
    assert ans.chosen.service_level >= 0.8
    below = next(o for o in ans.options if o.agents == 24)
    assert not below.meets_target
    with pytest.raises(ValueError, match="target"):
        agents_for_service_level(300, 240, 1.5, 20)


def test_validate_exits_non_zero_on_failure(monkeypatch, capsys) -> None:  # type: ignore[no-untyped-def]
    discover()
    from validation.registry import Check

    def bad(full: bool) -> list[CheckResult]:
        return [CheckResult("demo.bad", 1.0, 2.0, "<= 1%", False, "off by 100%")]

    def boom(full: bool) -> list[CheckResult]:
        raise RuntimeError("kaput")

    monkeypatch.setitem(CHECKS, "demo.bad", Check("demo.bad", "demo", bad))
    monkeypatch.setitem(CHECKS, "demo.boom", Check("demo.boom", "demo", boom))
    code = main(["validate", "--only", "demo", "--quiet"])
    out = capsys.readouterr().out
    assert code == 1
    assert "demo.bad" in out and "FAIL" in out and "off by 100%" in out
    assert "raised RuntimeError: kaput" in out
    assert "0 passed, 2 failed" in out


def test_validate_unknown_check_is_a_clear_error(capsys) -> None:  # type: ignore[no-untyped-def]
    assert main(["validate", "--only", "no_such_check"]) == 2
    assert "no such check or group" in capsys.readouterr().err


def test_staffing_cli(capsys) -> None:  # type: ignore[no-untyped-def]
    assert main(["staffing", "--calls-per-h", "300", "--handle-s", "240", "--target", "0.8",
                 "--within-s", "20"]) == 0
    out = capsys.readouterr().out
    assert "agents needed: 25" in out
    assert main(["staffing", "--calls-per-h", "300", "--handle-s", "240", "--target", "2"]) == 2
    assert "target must be a share" in capsys.readouterr().err


def test_staffing_cli_confirms_by_simulation(capsys) -> None:  # type: ignore[no-untyped-def]
    assert main(["staffing", "--calls-per-h", "60", "--handle-s", "240", "--target", "0.8",
                 "--within-s", "20", "--simulate", "--calls", "20000", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    sims = {o["agents"]: o["simulated_service_level"] for o in doc["options"]
            if "simulated_service_level" in o}
    assert set(sims) == {doc["agents"] - 1, doc["agents"]}
    for o in doc["options"]:
        if o["agents"] in sims:
            s = sims[o["agents"]]
            assert s["low"] - 0.03 <= o["service_level"] <= s["high"] + 0.03
