"""The advance-notice study: series names, the summary, and a full-notice run."""

from __future__ import annotations

import json

import pytest

from validation.dynamic_vrp import advance_notice as an


def test_series_names():
    assert [an.series(n) for n in ("c1_2_2", "rc2_2_10", "lc102", "lrc201")] == \
        ["C1", "RC2", "LC1", "LRC2"]


def test_summary_takes_mean_and_worst_per_lead():
    rows = [{"instance": n, "lead_fraction": 0.1, "distance_gap": g, "vehicle_ratio": v / b,
             "vehicles": v, "best_vehicles": b, "missed": 0.0}
            for n, g, v, b in (("a", 0.2, 10, 10), ("b", 0.6, 7, 5))]
    s = an.summarise(rows)["0.1"]
    assert s["mean_gap"] == pytest.approx(0.4)
    assert s["worst_gap"] == pytest.approx(0.6)
    assert s["worst_instance"] == "b"
    assert s["worst_vehicle_ratio"] == pytest.approx(1.4)
    assert s["set_vehicle_ratio"] == pytest.approx(17 / 15)
    assert (s["within_25"], s["within_50"]) == (1, 1)
    assert s["targets_met"] is False  # the worst gap is over +50%


def test_targets_met_needs_all_three_and_nothing_missed():
    def one(gap, ratio, missed=0.0):
        return an.summarise([{"instance": "a", "lead_fraction": 1.0, "distance_gap": gap,
                              "vehicle_ratio": ratio, "missed": missed}])["1"]["targets_met"]

    assert one(0.2, 1.5) is True
    assert one(0.26, 1.0) is False
    assert one(0.2, 1.51) is False
    assert one(0.2, 1.0, missed=1.0) is False


def test_named_sets():
    collection, every = an.named_set("collection"), an.named_set("all")
    assert collection is not None and every is not None
    assert len(collection) == 86 and len(every) == 106  # 30 + 56; and the R2, RC2 series
    assert set(every) - set(collection) == {n for n in every if n.startswith(("r2_", "rc2_"))}
    assert an.named_set("sample") == an.SAMPLE
    assert an.named_set("nope") is None


def test_workers_give_the_rows_of_one_worker():
    jobs = (["lc101", "lc201"], [1.0])
    assert an.study(*jobs, progress=False, workers=2) == an.study(*jobs, progress=False)


def test_full_notice_is_a_static_solve_near_best_known(tmp_path):
    """Known from the start, lc101 (whose best-known routes are easy to find) is solved to
    within 2% of its best-known distance with its best-known vehicles."""
    assert an.main(["--instances", "lc101", "--leads", "1", "--out", str(tmp_path)]) == 0
    out = json.loads((tmp_path / "advance_notice.json").read_text())
    by_lead = {r["lead_fraction"]: r for r in out["runs"]}
    assert by_lead[1.0]["distance_gap"] < 0.02
    assert by_lead[1.0]["vehicle_ratio"] == 1.0
    assert (tmp_path / "advance_notice.png").stat().st_size > 10_000


def test_bad_arguments_exit_2(capsys):
    assert an.main(["--instances", "nope"]) == 2
    assert an.main(["--leads", "0"]) == 2
    assert an.main(["--jobs", "0"]) == 2
    assert "nope" in capsys.readouterr().err
