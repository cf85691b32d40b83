"""The seed's billing rules, per box, on a monthly calendar.

- An order takes effect at once; the first month's fee is charged per day from the activation
  day to the month's end (both counted), rounded to the fen (0.01 yuan, half up).
- Value-added services are charged once, on the order day.
- Changes and cancellations take effect next month; the term is one year, auto-renewed.
"""

from __future__ import annotations

import calendar
import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

import numpy as np


def first_month_fee(monthly_cny: float, day: dt.date) -> float:
    """Fee for the activation month: ``monthly * days_left / days_in_month``, to the fen.

    ``days_left`` counts the activation day itself: activated on the 17th of a 30-day month,
    14 days are billed (17th to 30th), so 28 yuan gives 28 * 14 / 30 = 13.07 yuan.
    """
    days_in = calendar.monthrange(day.year, day.month)[1]
    left = days_in - day.day + 1
    exact = Decimal(str(monthly_cny)) * left / days_in
    return float(exact.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def first_month_factor(days: np.ndarray, days_in_month: np.ndarray) -> np.ndarray:
    """Vectorised share of the first month billed: (days_in - day + 1) / days_in."""
    return (days_in_month - days + 1) / days_in_month


def round_fen(values: np.ndarray) -> np.ndarray:
    """Round yuan amounts to the fen, half away from zero (as the billing system does).

    The small offset keeps 13.065 (a binary float just under it) rounding up, as the decimal
    amount would.
    """
    return np.sign(values) * np.floor(np.abs(values) * 100.0 + 0.5 + 1e-9) / 100.0


def month_index(year0: int, dates: np.ndarray) -> np.ndarray:
    """Months since January of ``year0`` of numpy datetime64[D] ``dates`` (0 = January)."""
    months = dates.astype("datetime64[M]").astype(np.int64)
    return months - (year0 - 1970) * 12


def schedule_fees(month0: np.ndarray, first_share: np.ndarray, price_cny: np.ndarray,
                  boxes: np.ndarray, months: int, start_month: np.ndarray | None = None,
                  stop_month: np.ndarray | None = None) -> np.ndarray:
    """Monthly fees of cohorts (one row each) on a calendar of ``months`` months.

    Parameters
    ----------
    month0 : numpy.ndarray
        Activation month of each cohort (index on the calendar).
    first_share : numpy.ndarray
        Share of the activation month billed (:func:`first_month_factor`).
    price_cny, boxes : numpy.ndarray
        Monthly fee per box and boxes in the cohort; each box's fee is rounded to the fen,
        then multiplied by the boxes.
    start_month, stop_month : numpy.ndarray, optional
        Bill only months ``start <= m < stop`` (e.g. after the first year); the first month is
        pro-rated only when it is the activation month.

    Returns
    -------
    numpy.ndarray
        ``(len(month0), months)`` yuan.
    """
    m = np.arange(months)[None, :]
    a = month0[:, None]
    lo = a if start_month is None else np.maximum(a, start_month[:, None])
    hi = np.full_like(a, months) if stop_month is None else stop_month[:, None]
    active = (m >= lo) & (m < hi)
    share = np.where(m == a, first_share[:, None], 1.0)
    per_box = round_fen(share * price_cny[:, None])
    return np.where(active, per_box * boxes[:, None], 0.0)


def spread(month0: np.ndarray, first_cny: np.ndarray, full_cny: np.ndarray, months: int,
           stop_month: np.ndarray | None = None) -> np.ndarray:
    """Cohort amounts on a calendar: ``first_cny`` in ``month0`` (already billed per day and
    rounded), ``full_cny`` in each later month before ``stop_month``.

    The same bill as :func:`schedule_fees` when cohorts are summed per box first, so many
    activations of one month, package and price are billed as one row.
    """
    m = np.arange(months)[None, :]
    a = month0[:, None]
    hi = np.full_like(a, months) if stop_month is None else stop_month[:, None]
    return np.where(m == a, first_cny[:, None], np.where((m > a) & (m < hi),
                                                          full_cny[:, None], 0.0))
