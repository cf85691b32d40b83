"""The rollout checks pass in fast mode, are run by ``fleettwin validate``, and can fail."""

from __future__ import annotations

import json

import numpy as np

from sim.cli.main import main
from validation.analytic import mmc
from validation.checks_rollout import _agent_bass, _queue_run
from validation.registry import discover


def test_rollout_checks_pass_through_the_cli(capsys) -> None:  # type: ignore[no-untyped-def]
    code = main(["validate", "--only", "rollout", "--json", "--quiet"])
    doc = json.loads(capsys.readouterr().out)
    failed = [r for c in doc["checks"] for r in c["results"] if not r["passed"]]
    assert code == 0, failed
    assert {c["name"] for c in doc["checks"]} == {"rollout.hotline_erlang_c", "rollout.bass",
                                                  "rollout.seed_tables"}
    assert "rollout.hotline_erlang_c" in discover()


def test_queue_check_catches_a_wrong_agent_count() -> None:
    wait_prob, _ = _queue_run(6, 60.0, 240.0, 50_000, 3)
    assert abs(wait_prob - mmc(60 / 3600, 240.0, 5).wait_prob) > 0.2


def test_bass_check_catches_wrong_parameters() -> None:
    from sim.rollout.adoption import bass_cdf

    t, share = _agent_bass(20_000, 0.1, 0.6, 6.0, 0.01, 1)
    months = np.arange(1, 7)
    sim = share[np.searchsorted(t, months)]
    assert np.max(np.abs(sim - bass_cdf(months.astype(float), 0.1, 0.6))) < 0.02
    assert np.max(np.abs(sim - bass_cdf(months.astype(float), 0.1, 0.3))) > 0.05
