"""Benchmark set identity, the paired comparison and deliberate baseline updates."""

from __future__ import annotations

import copy
import json
import math

import pytest

from sim.cli.main import main
from validation.bench import (
    BenchmarkSet,
    Case,
    baseline_path,
    benchmark_set,
    compare,
    summarise,
)


def doc_with(values: dict[str, list[float | None]], better: str = "lower",
             dispatcher: str = "d1", kpi: str = "wait_mean_s") -> dict:
    seeds = list(range(1, len(next(iter(values.values()))) + 1))
    results = {dispatcher: {case: summarise([{kpi: math.nan if x is None else x}
                                              for x in vals], seeds, {kpi: (better, 1.0)})
                            for case, vals in values.items()}}
    return {"dispatchers": [dispatcher], "results": results}


def verdicts(base, cand, tol=0.05):
    return [(v.case, v.status) for v in compare(base, cand, {}, tol)]


def test_set_identity_is_stable_and_mode_specific():
    fast, full = benchmark_set(True), benchmark_set(False)
    assert fast.id != full.id and fast.id == benchmark_set(True).id
    committed = json.loads(baseline_path("fast").read_text())
    assert committed["benchmark_set"]["id"] == fast.id
    changed = BenchmarkSet(fast.mode, (1, 2, 4), fast.cases)
    assert changed.id != fast.id
    moved = BenchmarkSet(fast.mode, fast.seeds,
                         (*fast.cases[:-1], Case("online_lc101", "instance", "lc101",
                                                 jitter=0.25)))
    assert moved.id != fast.id


def test_identical_runs_pass_and_report_zero_change():
    base = doc_with({"a": [100.0, 110.0, 90.0]})
    [v] = compare(base, copy.deepcopy(base), {}, 0.05)
    assert (v.status, v.change, v.ci_low, v.ci_high) == ("ok", 0.0, 0.0, 0.0)


def test_consistent_worsening_fails_and_noise_does_not():
    base = doc_with({"a": [100.0, 110.0, 90.0]})
    worse = doc_with({"a": [110.0, 121.0, 99.0]})  # +10% on every seed
    assert verdicts(base, worse) == [("a", "WORSE")]
    assert verdicts(base, worse, tol=0.2) == [("a", "ok")]
    noisy = doc_with({"a": [130.0, 95.0, 75.0]})  # mean +0%, seeds move both ways
    assert verdicts(base, noisy) == [("a", "ok")]
    better = doc_with({"a": [80.0, 88.0, 72.0]})
    assert verdicts(base, better) == [("a", "better")]


def test_direction_and_undefined_values():
    base = doc_with({"a": [0.9, 0.95, 0.92]}, better="higher", kpi="service_rate")
    lower = doc_with({"a": [0.8, 0.85, 0.82]}, better="higher", kpi="service_rate")
    assert verdicts(base, lower) == [("a", "WORSE")]
    assert verdicts(lower, base) == [("a", "better")]
    gone = doc_with({"a": [0.9, None, 0.92]}, better="higher", kpi="service_rate")
    assert verdicts(base, gone) == [("a", "WORSE")]
    undefined = doc_with({"a": [None, None, None]}, better="higher", kpi="service_rate")
    assert verdicts(undefined, undefined) == [("a", "ok")]


def test_new_and_missing_dispatchers():
    base = doc_with({"a": [1.0, 2.0]}, dispatcher="gone_for_good")
    cand = doc_with({"a": [1.0, 2.0]}, dispatcher="brand_new")
    status = {v.dispatcher: v.status for v in compare(base, cand, {}, 0.05)}
    assert status == {"gone_for_good": "missing", "brand_new": "new"}
    assert [v.failed for v in compare(base, cand, {}, 0.05)] == [False, True]


def test_update_baseline_prints_the_changes_and_rewrites(tmp_path, capsys):
    committed = json.loads(baseline_path("fast").read_text())
    old = copy.deepcopy(committed)
    old["results"] = {"priority": old["results"]["priority"]}
    kpi = old["results"]["priority"]["online_lc101"]["kpis"]["distance"]
    kpi["values"] = [v * 0.5 for v in kpi["values"]]
    kpi["mean"] *= 0.5
    target = tmp_path / "base.json"
    target.write_text(json.dumps(old))
    rc = main(["bench", "--fast", "--quiet", "--dispatcher", "priority", "--compare",
               str(target), "--update-baseline", "--out", str(tmp_path / "b.json")])
    assert rc == 0
    out = capsys.readouterr().out
    assert "changes against the previous baseline" in out
    [line] = [ln for ln in out.splitlines() if "online_lc101" in ln and "distance" in ln
              and "WORSE" in ln]
    assert "+100.00%" in line
    new = json.loads(target.read_text())
    assert new["results"]["priority"] == committed["results"]["priority"]


@pytest.mark.parametrize("tol", ["0.05", "wait_p95_s=0.1"])
def test_tolerance_parsing(tol):
    from sim.cli.bench import parse_tolerance

    default, per = parse_tolerance([tol])
    assert (default, per) in [(0.05, {}), (0.05, {"wait_p95_s": 0.1})]


def test_committed_baseline_tells_every_pair_of_dispatchers_apart():
    """The fast set must discriminate: for every pair of dispatchers some gated KPI of some
    case differs in the committed baseline (else the gate could not tell a regression of one
    from the other's behaviour)."""
    import itertools

    doc = json.loads(baseline_path("fast").read_text())
    res = doc["results"]
    gated = doc["benchmark_set"]["gated"]

    def means(d):
        out = {}
        for case, v in res[d].items():
            kind = "instance" if case.startswith("online_") else "city"
            for k in gated[kind]:
                out[(case, k)] = v["kpis"][k]["mean"]
        return out

    table = {d: means(d) for d in res}
    for a, b in itertools.combinations(sorted(res), 2):
        differ = [key for key in table[a] if table[a][key] != table[b].get(key)]
        assert differ, f"{a} and {b} give the same gated KPIs on every case"
