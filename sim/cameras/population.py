"""The camera population: one entry per camera (province, shop, profile, state) and the
time-varying Poisson streams the platform sees (live views, parameter operations)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.cameras.profiles import CameraProfile
from sim.cameras.schema import SHOP_HOURS, CameraScenario


@dataclass
class Cameras:
    """Arrays indexed by camera; shops are numbered across provinces."""

    province: np.ndarray
    shop: np.ndarray
    profile: np.ndarray
    online: np.ndarray
    registered: np.ndarray
    bricked: np.ndarray
    provinces: list[str]
    profiles: list[CameraProfile]
    shop_province: np.ndarray
    shop_rented: np.ndarray

    @property
    def n(self) -> int:
        return int(self.province.size)

    @property
    def n_shops(self) -> int:
        return int(self.shop_province.size)

    # duck-typed for sim.iptv.firmware.Campaign: a camera is a "box" on its province's "port"
    @property
    def n_boxes(self) -> int:
        return self.n

    @property
    def n_ports(self) -> int:
        return len(self.provinces)

    @property
    def box_port(self) -> np.ndarray:
        return self.province

    @property
    def box_stb(self) -> np.ndarray:
        return self.profile

    @property
    def port_olt(self) -> np.ndarray:
        return np.arange(len(self.provinces), dtype=np.int64)

    @property
    def olt_metro(self) -> np.ndarray:
        return np.arange(len(self.provinces), dtype=np.int64)


def build(sc: CameraScenario, profiles: list[CameraProfile],
          rng: np.random.Generator) -> Cameras:
    """Shops per province, 1 + Poisson(mean - 1) cameras per shop, rented or bought."""
    prov, shop, prof, shop_prov, rented = [], [], [], [], []
    first = 0
    for k, p in enumerate(sc.provinces):
        per_shop = 1 + rng.poisson(p.cameras_per_shop - 1.0, p.shops)
        ids = np.repeat(np.arange(first, first + p.shops), per_shop)
        shop.append(ids)
        prov.append(np.full(ids.size, k, np.int64))
        prof.append(np.full(ids.size, k, np.int64))
        shop_prov.append(np.full(p.shops, k, np.int64))
        rented.append(rng.random(p.shops) < p.rented_share)
        first += p.shops
    n = int(sum(a.size for a in shop))
    return Cameras(
        province=np.concatenate(prov), shop=np.concatenate(shop).astype(np.int64),
        profile=np.concatenate(prof), online=np.ones(n, bool), registered=np.ones(n, bool),
        bricked=np.zeros(n, bool), provinces=[p.name for p in sc.provinces],
        profiles=profiles, shop_province=np.concatenate(shop_prov),
        shop_rented=np.concatenate(rented))


def hourly_weights(profile: list[float] | None) -> np.ndarray:
    """Relative intensity per hour, normalised to a mean of 1."""
    w = np.asarray(SHOP_HOURS if profile is None else profile, float)
    return w / w.mean()


def poisson_times(rng: np.random.Generator, per_s: float, weights: np.ndarray,
                  start_hour: float, horizon_s: float) -> np.ndarray:
    """Event times on ``[0, horizon_s)`` of a Poisson process whose rate is ``per_s`` times
    the hour's weight (thinning of a process at the peak rate)."""
    peak = per_s * float(weights.max())
    if peak <= 0:
        return np.zeros(0)
    n = rng.poisson(peak * horizon_s)
    t = np.sort(rng.random(n) * horizon_s)
    hour = ((start_hour * 3600.0 + t) // 3600.0).astype(np.int64) % 24
    keep = rng.random(n) * peak < per_s * weights[hour]
    return t[keep]
