"""The fleet-year dispatch against Erlang B and C (validation checks, quick mode)."""

from __future__ import annotations

import pytest

from validation.registry import discover


@pytest.mark.parametrize("name", ["fleetyear.erlang_b", "fleetyear.erlang_c"])
def test_the_depot_of_vehicle_driver_pairs_behaves_as_erlang_says(name):
    check = discover()[name]
    assert check.group == "fleetops"
    results = check.fn(False)
    assert results
    for r in results:
        assert r.passed, r
