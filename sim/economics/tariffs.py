"""The 2016 IPTV government-and-enterprise tariffs (seed 003) and the group renewal discount.

Prices and the operations centre's settlement price are yuan per box per month. The
settlement price follows the seed's rule from the suggested floor price:
``(floor - 18) * 50% + 8.5``; packages without a floor settle at 8.5.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

#: Base monthly fee and yearly fee of the basic service (yuan), the reference of the rule.
BASIC_MONTHLY_CNY = 18.0
BASIC_YEARLY_CNY = 216.0
#: The operations centre's content settlement for the basic service (yuan per month).
BASE_SETTLEMENT_CNY = 8.5
#: The group-purchase box price, including the first year of the basic service (yuan).
BOX_PRICE_CNY = 449.0


@dataclass(frozen=True)
class Package:
    name: str
    name_zh: str
    price_cny: float  # list price per box per month
    floor_cny: float | None  # suggested lowest price (None: sold at list price)
    settlement_cny: float  # the seed's published settlement price
    hotel: bool = False

    @property
    def basic(self) -> bool:
        """A basic package: its fee is the basic service the box includes for a year."""
        return self.price_cny == BASIC_MONTHLY_CNY


def settlement_price(floor_cny: float | None) -> float:
    """The operations centre's settlement price by the seed's rule (yuan per month)."""
    if floor_cny is None:
        return BASE_SETTLEMENT_CNY
    return (floor_cny - BASIC_MONTHLY_CNY) * 0.5 + BASE_SETTLEMENT_CNY


#: The nine packages of the seed's sales rules (appendix 4) with the published settlement.
PACKAGES: dict[str, Package] = {p.name: p for p in (
    Package("industry_basic", "天翼高清行业基础月包", 18.0, None, 8.5),
    Package("standard_custom", "天翼高清标准定制月包", 28.0, 23.0, 11.0),
    Package("exclusive_recommendation", "天翼高清专属推荐月包", 38.0, 28.0, 13.5),
    Package("info_push", "天翼高清信息推送月包", 48.0, 33.0, 16.0),
    Package("enterprise_zone", "天翼高清企业专区月包", 58.0, 33.0, 16.0),
    Package("comprehensive_info", "天翼高清综合信息月包", 68.0, 38.0, 18.5),
    Package("hotel_basic", "天翼高清酒店基础月包", 18.0, None, 8.5, hotel=True),
    Package("hotel_custom", "天翼高清酒店定制月包", 38.0, 23.0, 11.0, hotel=True),
    Package("hotel_exclusive", "天翼高清酒店专属月包", 58.0, 33.0, 16.0, hotel=True),
)}


@dataclass(frozen=True)
class DiscountBand:
    """Renewal price factor for groups of ``from_boxes <= size < to_boxes`` boxes."""

    from_boxes: int
    to_boxes: float  # exclusive; math.inf for "and over"
    factor: float


#: The seed's table (10~30: 95%, 30~50: 90%, 50~100: 85%, over 100: 80%). The bands share
#: their ends (30, 50, 100); we read each band as including its lower end and excluding its
#: upper one, so a group of exactly 30 gets 90%, 50 gets 85% and 100 gets 80% (the larger
#: group always gets the better price). Groups under 10 get no discount.
SEED_DISCOUNTS: tuple[DiscountBand, ...] = (
    DiscountBand(10, 30, 0.95),
    DiscountBand(30, 50, 0.90),
    DiscountBand(50, 100, 0.85),
    DiscountBand(100, math.inf, 0.80),
)
NO_DISCOUNT_BELOW = 10


def discount_factor(size: int, bands: Sequence[DiscountBand] = SEED_DISCOUNTS,
                    no_discount_below: int = NO_DISCOUNT_BELOW) -> float:
    """Renewal price factor of a group of ``size`` boxes.

    Raises
    ------
    ValueError
        When no band covers a size at or above ``no_discount_below``.
    """
    if size < no_discount_below:
        return 1.0
    for band in bands:
        if band.from_boxes <= size < band.to_boxes:
            return band.factor
    raise ValueError(f"no discount band covers a group of {size} boxes")


def uncovered_sizes(lo: int, hi: int, bands: Sequence[DiscountBand],
                    no_discount_below: int = NO_DISCOUNT_BELOW) -> list[int]:
    """Group sizes in ``[lo, hi]`` (at or above ``no_discount_below``) that no band covers.

    Returns the first size of each uncovered run, so a message can name it.
    """
    cuts = sorted({max(lo, no_discount_below)} | {b.from_boxes for b in bands}
                  | {int(min(b.to_boxes, hi + 1)) for b in bands})
    out = []
    for start in cuts:
        if start < max(lo, no_discount_below) or start > hi:
            continue
        if not any(b.from_boxes <= start < b.to_boxes for b in bands):
            out.append(start)
    return out
