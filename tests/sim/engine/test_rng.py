from __future__ import annotations

import numpy as np

from sim.engine.rng import RngStreams


def test_streams_are_named_and_reproducible():
    a = RngStreams(42).stream("demand").random(5)
    b = RngStreams(42).stream("demand").random(5)
    np.testing.assert_array_equal(a, b)


def test_adding_a_stream_does_not_shift_others():
    r1 = RngStreams(42)
    x = r1.stream("demand").random(3)
    r2 = RngStreams(42)
    r2.stream("new_component").random(1000)
    np.testing.assert_array_equal(r2.stream("demand").random(3), x)


def test_replications_and_names_differ():
    base = RngStreams(1).stream("a").random(4)
    assert not np.array_equal(base, RngStreams(1, replication=1).stream("a").random(4))
    assert not np.array_equal(base, RngStreams(1).stream("b").random(4))
    assert not np.array_equal(base, RngStreams(2).stream("a").random(4))
    assert RngStreams(1).seed_for("k") == RngStreams(1).seed_for("k") >= 0
