"""The usage-based insurance formula, worked by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest
from pydantic import ValidationError

from sim.economics.insurance import InsuranceTariff, premiums


def test_a_premium_worked_by_hand() -> None:
    # 100 km in a day: 36,500 km a year; 20 km at night; 2 harsh brakings and a fatigue alarm
    p = premiums(InsuranceTariff(), np.array([100.0]), np.array([20.0]),
                 {"harsh_braking": np.array([2]), "fatigue": np.array([1])}, days=1.0)
    f_km = math.sqrt(36_500 / 30_000)
    assert p["f_km"][0] == pytest.approx(f_km)
    assert p["f_night"][0] == pytest.approx(1.1)          # 1 + 0.5 x 20%
    assert p["events_per_100km"][0] == pytest.approx(4.0)  # 2 x 1 + 1 x 2 per 100 km
    assert p["f_events"][0] == pytest.approx(1.4)
    assert p["premium_cny"][0] == round(3000 * f_km * 1.1 * 1.4, 2)


def test_clipping_and_a_vehicle_that_did_not_move() -> None:
    t = InsuranceTariff()
    p = premiums(t, np.array([0.0, 10_000.0, 1.0]), np.array([0.0, 0.0, 0.0]),
                 {"speeding": np.array([0, 0, 50])}, days=1.0)
    assert p["f_km"].tolist() == [0.5, 2.0, 0.5]
    assert p["night_share"][0] == 0 and p["events_per_100km"][0] == 0
    assert p["f_events"][2] == t.event_factor_max  # 5,000 events per 100 km, capped
    assert p["premium_cny"][0] == 1500.0


def test_bad_tariffs_are_refused() -> None:
    with pytest.raises(ValidationError, match="km_factor_min"):
        InsuranceTariff(km_factor_min=3.0, km_factor_max=2.0)
    with pytest.raises(ValidationError, match="unknown event kind 'tailgating'"):
        InsuranceTariff(event_weights={"tailgating": 1.0})
    with pytest.raises(ValueError, match="days must be > 0"):
        premiums(InsuranceTariff(), np.zeros(1), np.zeros(1), {}, days=0.0)
