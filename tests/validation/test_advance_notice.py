"""The advance-notice study: series names, the summary, and a full-notice run."""

from __future__ import annotations

import json

import pytest

from validation.dynamic_vrp import advance_notice as an


def test_series_names():
    assert [an.series(n) for n in ("c1_2_2", "rc2_2_10", "lc102", "lrc201")] == \
        ["C1", "RC2", "LC1", "LRC2"]


def test_summary_takes_mean_and_worst_per_lead():
    rows = [{"lead_fraction": 0.1, "distance_gap": g, "vehicle_ratio": v, "missed": 0.0}
            for g, v in ((0.2, 1.0), (0.6, 1.4))]
    s = an.summarise(rows)["0.1"]
    assert s["mean_gap"] == pytest.approx(0.4)
    assert s["worst_gap"] == pytest.approx(0.6)
    assert s["worst_vehicle_ratio"] == pytest.approx(1.4)


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
    assert "nope" in capsys.readouterr().err
