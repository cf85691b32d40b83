"""Bass adoption against its closed form and the plan's totals at full adoption."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import integrate, stats

from sim.engine.loading import load_scenario
from sim.engine.rng import RngStreams
from sim.rollout.adoption import MONTH_S, bass_cdf, bass_inverse, generate_orders, market_boxes
from sim.rollout.model import launch_table
from sim.rollout.plan import PROVINCES, VERTICALS

from .conftest import SMALL


@pytest.mark.parametrize(("p", "q"), [(0.03, 0.38), (0.1, 0.6), (0.3, 0.0)])
def test_bass_closed_form_solves_the_bass_equation(p: float, q: float) -> None:
    # dF/dt = (p + q F)(1 - F), F(0) = 0: the closed form must match the integrated ODE
    t = np.linspace(0, 24, 49)
    ode = integrate.solve_ivp(lambda _t, f: (p + q * f) * (1 - f), (0, 24), [0.0], t_eval=t,
                              rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(bass_cdf(t, p, q), ode.y[0], atol=1e-7)


def test_bass_inverse_inverts() -> None:
    u = np.linspace(0, 0.999, 50)
    np.testing.assert_allclose(bass_cdf(bass_inverse(u, 0.08, 0.5), 0.08, 0.5), u, atol=1e-12)


def _orders(overrides: list[str]):  # type: ignore[no-untyped-def]
    s = load_scenario(SMALL, overrides).scenario
    on_sale, _ = launch_table(s)
    from sim.economics.tariffs import PACKAGES
    return s, on_sale, generate_orders(s, on_sale, np.ones(len(s.provinces), int),
                                       list(PACKAGES), RngStreams(3))


def test_order_times_follow_the_bass_closed_form() -> None:
    s, on_sale, o = _orders(["provinces.Tibet.target_10k=30"])
    v = s.adoption.verticals["hotel"]
    mine = (o.province == 0) & (o.vertical == VERTICALS.index("hotel"))
    months = (o.t_s[mine] - on_sale[0]) / MONTH_S
    assert months.size > 3000
    res = stats.kstest(months, lambda x: bass_cdf(x, v.p_per_month, v.q_per_month))
    assert res.pvalue > 0.001, res


def test_provincial_totals_add_up_to_the_plan_at_full_adoption() -> None:
    s, _, o = _orders([])
    for i, name in enumerate(s.provinces):
        assert o.boxes[o.province == i].sum() == round(s.provinces[name].target_10k * 1e4)


def test_national_markets_add_up_to_the_plan() -> None:
    s = load_scenario("iptv_rollout_2016").scenario
    market = market_boxes(s)
    assert len(s.provinces) == 31
    assert market.sum() == round(sum(p.target_10k for p in PROVINCES) * 1e4 * 1.25)
    plan = {p.name: p.target_10k for p in PROVINCES}
    assert {k: v.target_10k for k, v in s.provinces.items()} == plan


def test_orders_carry_segment_codes_of_their_vertical() -> None:
    s, _, o = _orders([])
    school = o.vertical == VERTICALS.index("school")
    assert set(o.segment[school].tolist()) == {1402002}
