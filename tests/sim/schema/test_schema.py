from __future__ import annotations

import numpy as np
import pytest
from pydantic import TypeAdapter

from sim.errors import ScenarioError
from sim.schema.distributions import Distribution, as_distribution, mean_of
from sim.schema.loader import apply_overrides, parse_override

DIST = TypeAdapter(Distribution)


@pytest.mark.parametrize("spec", [
    {"family": "exponential", "mean": 5.0},
    {"family": "lognormal", "median": 3.0, "sigma": 0.5},
    {"family": "gamma", "shape": 2.0, "scale": 1.5},
    {"family": "weibull", "shape": 1.7, "scale": 4.0},
    {"family": "normal", "mean": 10.0, "sd": 3.0, "low": 5.0},
    {"family": "empirical", "values": [1, 2, 4, 8]},
])
def test_sample_mean_matches_scipy(spec):
    d = DIST.validate_python(spec)
    x = d.sample(np.random.default_rng(0), 200_000)
    assert x.mean() == pytest.approx(d.mean(), rel=0.01)
    assert d.scipy().mean() == pytest.approx(d.mean(), rel=1e-6)


def test_number_is_deterministic():
    assert mean_of(4.5) == 4.5
    assert as_distribution(2).sample(np.random.default_rng(0)) == 2.0


def test_bad_distribution_messages():
    with pytest.raises(Exception, match="non-decreasing"):
        DIST.validate_python({"family": "empirical", "values": [3, 1]})
    with pytest.raises(Exception, match="low"):
        DIST.validate_python({"family": "normal", "mean": 1, "sd": 1, "low": 5, "high": 2})


def test_overrides_by_dotted_path():
    data = {"a": {"b": 1}, "l": [{"x": 1}, {"x": 2}]}
    out = apply_overrides(data, ["a.b=3", "a.c=[1, 2]", "l[1].x=9", "new.deep.key=true"])
    assert out == {"a": {"b": 3, "c": [1, 2]}, "l": [{"x": 1}, {"x": 9}],
                   "new": {"deep": {"key": True}}}
    assert data["a"]["b"] == 1, "the input is not modified"
    assert parse_override("p=batch_matching") == ("p", "batch_matching")
    with pytest.raises(ScenarioError, match="path=value"):
        apply_overrides(data, ["nonsense"])
    with pytest.raises(ScenarioError, match=r"l\[5\]\.x: no list item 5"):
        apply_overrides(data, ["l[5].x=1"])
