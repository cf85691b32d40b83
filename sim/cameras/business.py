"""Revenue and cost per shop per month under seed 004's two business models.

*Buyout* (independent operation): the operator buys the platform outright (amortised over
``amortisation_months``), runs it and the streaming servers, keeps the whole monthly
function fee, and for rented cameras collects the rent and carries the device (its price
over ``device_life_months``). *Revenue share* (cooperative operation): the partner provides
platform, devices, installation and maintenance and takes ``partner_share`` of the fee; the
operator collects device payments and passes them to the partner in full. In both the
operator carries the access network and billing and the group's cloud storage.
"""

from __future__ import annotations

from dataclasses import dataclass

from sim.cameras.schema import Economics

MODELS = ("buyout", "revenue_share")
DEVICES = ("bought", "rented")


@dataclass(frozen=True)
class ShopMonth:
    """Operator and partner money for one shop in one month, yuan."""

    model: str
    devices: str
    operator_revenue_cny: float
    operator_cost_cny: float
    partner_revenue_cny: float

    @property
    def operator_margin_cny(self) -> float:
        return self.operator_revenue_cny - self.operator_cost_cny


def shop_month(e: Economics, model: str, rented: bool, cameras: float, device_price_cny: float,
               shops: int, storage_gb: float, streaming_servers: int) -> ShopMonth:
    """Money for a shop with ``cameras`` cameras that stores ``storage_gb`` in the cloud.

    Platform and streaming costs are shared equally by the platform's ``shops``.
    """
    fee = e.function_fee_cny
    rent = e.rent_cny_per_camera * cameras if rented else 0.0
    device_month = device_price_cny * cameras / e.device_life_months
    common = e.network_cny_per_shop_month + e.storage_cny_per_gb_month * storage_gb
    if model == "buyout":
        platform = (e.platform_price_cny / e.amortisation_months + e.platform_opex_cny_per_month
                    + e.streaming_cny_per_server_month * streaming_servers) / shops
        revenue = fee + rent
        cost = common + platform + (device_month if rented else 0.0)
        partner = e.platform_price_cny / e.amortisation_months / shops
    elif model == "revenue_share":
        revenue = fee * (1.0 - e.partner_share)
        cost = common
        partner = fee * e.partner_share + rent
    else:
        raise ValueError(f"unknown business model {model!r} (known: {', '.join(MODELS)})")
    return ShopMonth(model, "rented" if rented else "bought", revenue, cost, partner)
