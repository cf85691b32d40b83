"""Viewing behaviour per vertical: defaults, and the arrays the population kernel reads.

A box alternates between standby and viewing sessions. Sessions start as a non-homogeneous
Poisson process whose hourly rate is set so that, in steady state, about ``diurnal[h]`` of the
boxes are in a session at hour ``h``: ``rate = a / (1 - a) / E[session]``. In a live session
a box dwells on a channel (a short zap with probability ``zap_share``, else a longer watch),
then zaps to a channel drawn from a Zipf popularity over the line-up, or leaves (with
probability ``mean dwell / session_mean_s``) to VoD, a video call or standby. Boxes on the
comprehensive package start the ad carousel after ``ad_idle_s`` of standby, while their site
is open (:func:`open_hours`): the carousel plays from local storage, and each start fetches a
playlist refresh of ``ad_refresh_mb`` from the CDN (an assumption: the seed says a configured
playlist of picture and video ads, not how it is delivered). Hospital boxes are switched
off and on centrally (``power_schedule``, :mod:`sim.iptv.schedule`): for boxes on the switch
the diurnal pattern holds while they have power.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from sim.iptv.scenario import VERTICALS, IptvScenario, PowerScheduleSpec, ViewingSpec
from sim.kernels import layout as vk

#: Default channel popularity exponent: about 80% of live viewing on the top 10% of the
#: 165 channels, as measured on a large IPTV network (Cha et al., IMC 2008).
DEFAULT_CHANNEL_ZIPF = 1.35

_RESIDENTIAL = [0.06, 0.03, 0.02, 0.01, 0.01, 0.02, 0.05, 0.10, 0.10, 0.10, 0.10, 0.12,
                0.16, 0.14, 0.12, 0.12, 0.13, 0.16, 0.25, 0.38, 0.46, 0.45, 0.32, 0.15]

BASE: dict[str, Any] = {
    "diurnal": _RESIDENTIAL,
    "session_mean_s": 3600.0,
    "zap_share": 0.55,
    "zap_mean_s": 8.0,
    "watch_mean_s": 900.0,
    "channel_zipf": DEFAULT_CHANNEL_ZIPF,
    "vod_share": 0.15,
    "vod_median_s": 2400.0,
    "vod_sigma": 0.6,
    "vod_then_live": 0.3,
    "uhd_share": 0.05,
    "call_share": 0.0,
    "call_mean_s": 600.0,
    "call_up_mbps": 1.5,
    "call_down_mbps": 3.0,
    "ads_share": 0.0,
    "ad_idle_s": 300.0,
    "ad_refresh_mb": 4.0,
    "power_schedule": None,
}

PER_VERTICAL: dict[str, dict[str, Any]] = {
    "residential": {},
    "hotel": {
        "diurnal": [0.10, 0.05, 0.03, 0.02, 0.02, 0.03, 0.08, 0.18, 0.15, 0.08, 0.06, 0.06,
                    0.08, 0.08, 0.07, 0.07, 0.09, 0.15, 0.25, 0.38, 0.50, 0.55, 0.45, 0.25],
        "session_mean_s": 2700.0, "vod_share": 0.25, "uhd_share": 0.08, "zap_share": 0.65,
    },
    "school": {
        "diurnal": [0.0] * 8 + [0.30, 0.35, 0.30, 0.10, 0.02, 0.05, 0.30, 0.30, 0.15, 0.02]
        + [0.0] * 6,
        "session_mean_s": 2400.0, "vod_share": 0.60, "zap_share": 0.1, "watch_mean_s": 1800.0,
        "vod_then_live": 0.05,
    },
    "dormitory": {
        "diurnal": [0.10, 0.05, 0.03, 0.02, 0.02, 0.02, 0.03, 0.05, 0.08, 0.08, 0.08, 0.10,
                    0.15, 0.12, 0.08, 0.08, 0.08, 0.12, 0.25, 0.40, 0.50, 0.50, 0.40, 0.25],
        "session_mean_s": 3000.0, "vod_share": 0.30, "call_share": 0.05,
    },
    "barracks": {
        "diurnal": [0.0] * 6 + [0.05, 0.05] + [0.02] * 4 + [0.10, 0.05] + [0.02] * 5
        + [0.70, 0.60, 0.25, 0.05, 0.0],
        "session_mean_s": 3600.0, "zap_share": 0.2, "vod_share": 0.05, "call_share": 0.10,
        "call_mean_s": 900.0,
    },
    "hospital": {
        "diurnal": [0.05, 0.03, 0.02, 0.02, 0.02, 0.03, 0.08, 0.15, 0.20, 0.25, 0.28, 0.28,
                    0.25, 0.25, 0.28, 0.28, 0.28, 0.30, 0.35, 0.38, 0.38, 0.30, 0.15, 0.08],
        "session_mean_s": 4500.0, "vod_share": 0.10, "call_share": 0.05,
        # ward TV switched on centrally at 07:00 and off at lights-out, 22:00, on 80% of the
        # boxes (general wards; private rooms have their own switch): an assumption, the seed
        # names hospitals as a pilot vertical only
        "power_schedule": PowerScheduleSpec().model_dump(),
    },
    "chain_store": {
        "diurnal": [0.0] * 9 + [0.10] * 12 + [0.0] * 3,
        "session_mean_s": 1800.0, "vod_share": 0.30, "ads_share": 0.8, "zap_share": 0.2,
    },
}


def viewing_params(vertical: str, spec: ViewingSpec | None) -> dict[str, Any]:
    """Defaults of ``vertical`` with the scenario's fields laid over them."""
    out = dict(BASE)
    out.update(PER_VERTICAL.get(vertical, {}))
    if spec is not None:
        out.update({k: v for k, v in spec.model_dump().items() if v is not None})
    return out


def zipf_cdf(n: int, exponent: float) -> np.ndarray:
    """Cumulative Zipf probabilities over ranks 1..n (last entry exactly 1)."""
    p = np.arange(1, n + 1, dtype=float) ** -exponent
    c = np.cumsum(p / p.sum())
    c[-1] = 1.0
    return c


def alias_table(p: np.ndarray) -> np.ndarray:
    """Walker/Vose alias table (2, n) for probabilities ``p``: keep-probabilities, aliases."""
    n = p.shape[0]
    q = np.asarray(p, float) * n / np.sum(p)
    keep = np.ones(n)
    alias = np.arange(n, dtype=float)
    small = [k for k in range(n) if q[k] < 1.0]
    large = [k for k in range(n) if q[k] >= 1.0]
    while small and large:
        s_, l_ = small.pop(), large.pop()
        keep[s_] = q[s_]
        alias[s_] = l_
        q[l_] -= 1.0 - q[s_]
        (small if q[l_] < 1.0 else large).append(l_)
    return np.stack([keep, alias])


@dataclass
class ViewingArrays:
    """Everything the kernel needs about behaviour, one row per vertical (VERTICALS order)."""

    vp: np.ndarray
    cumh: np.ndarray
    hrate: np.ndarray
    ccdf: np.ndarray
    on_share: np.ndarray
    ctab: np.ndarray
    """Alias tables of channel popularity per vertical (verticals, 2, channels)."""
    params: list[dict[str, Any]]


def mean_dwell_s(p: dict[str, Any]) -> float:
    return float(p["zap_share"] * p["zap_mean_s"] + (1 - p["zap_share"]) * p["watch_mean_s"])


def open_hours(diurnal: list[float]) -> tuple[float, float]:
    """A site's opening hours, the span of clock hours with a positive diurnal share
    (assumption: boxes are on, and the ad carousel may run, only then): (from, to) in hours,
    (0, 24) for a site that never closes."""
    on = [h for h, a in enumerate(diurnal) if a > 0]
    if len(on) == 24 or not on:
        return 0.0, 24.0
    return float(on[0]), float(on[-1] + 1)


def build_viewing(sc: IptvScenario) -> ViewingArrays:
    """Kernel arrays for every vertical (rows follow :data:`VERTICALS`)."""
    n = len(VERTICALS)
    vp = np.zeros((n, vk.N_VP))
    cumh = np.zeros((n, 25))
    hrate = np.zeros((n, 24))
    ccdf = np.zeros((n, sc.service.live_channels))
    on_share = np.zeros(n)
    params = []
    for k, vert in enumerate(VERTICALS):
        p = viewing_params(vert, sc.viewing.get(vert))  # type: ignore[call-overload]
        params.append(p)
        dwell = mean_dwell_s(p)
        vp[k, vk.ZAP_SHARE] = p["zap_share"]
        vp[k, vk.ZAP_MEAN_S] = p["zap_mean_s"]
        vp[k, vk.WATCH_MEAN_S] = p["watch_mean_s"]
        vp[k, vk.P_LEAVE] = min(1.0, dwell / p["session_mean_s"])
        vp[k, vk.LEAVE_VOD] = p["vod_share"]
        vp[k, vk.LEAVE_CALL] = p["call_share"]
        vp[k, vk.START_VOD] = p["vod_share"]
        vp[k, vk.START_CALL] = p["call_share"]
        vp[k, vk.VOD_MEDIAN_S] = p["vod_median_s"]
        vp[k, vk.VOD_SIGMA] = p["vod_sigma"]
        vp[k, vk.VOD_THEN_LIVE] = p["vod_then_live"]
        vp[k, vk.CALL_MEAN_S] = p["call_mean_s"]
        vp[k, vk.UHD_SHARE] = p["uhd_share"]
        vp[k, vk.AD_IDLE_S] = p["ad_idle_s"]
        vp[k, vk.AD_REFRESH_MBIT] = p["ad_refresh_mb"] * 8.0
        vp[k, vk.OPEN_FROM_H], vp[k, vk.OPEN_TO_H] = open_hours(p["diurnal"])
        vp[k, vk.CALL_UP_MBPS] = p["call_up_mbps"]
        vp[k, vk.CALL_DOWN_MBPS] = p["call_down_mbps"]
        # Mean time in use per session start (live, VoD or call), for the diurnal rate.
        vod_mean = p["vod_median_s"] * np.exp(p["vod_sigma"] ** 2 / 2)
        live_w = 1 - p["vod_share"] - p["call_share"]
        use_s = live_w * p["session_mean_s"] + p["vod_share"] * vod_mean \
            + p["call_share"] * p["call_mean_s"]
        a = np.minimum(np.asarray(p["diurnal"], float), 0.98)
        hrate[k] = a / (1 - a) / use_s
        cumh[k, 1:] = np.cumsum(hrate[k] * 3600.0)
        ccdf[k] = zipf_cdf(sc.service.live_channels, p["channel_zipf"])
        on_share[k] = a[int(sc.start_hour) % 24]
    ctab = np.stack([alias_table(np.diff(np.concatenate([[0.0], c]))) for c in ccdf])
    return ViewingArrays(vp, cumh, hrate, ccdf, on_share, ctab, params)


def channel_groups(sc: IptvScenario) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Multicast groups: bitrate per group, SD simulcast index per HD channel, HD flags.

    Channels are ranked by popularity; the HD channels are spread evenly over the ranks.
    Group ``c`` is channel ``c`` as broadcast; group ``C + c`` is the SD simulcast of HD
    channel ``c`` for boxes that cannot decode HD.
    """
    n = sc.service.live_channels
    hd = np.zeros(n, dtype=bool)
    if sc.service.hd_channels:
        idx = np.floor(np.arange(sc.service.hd_channels) * n / sc.service.hd_channels)
        hd[idx.astype(int)] = True
    gbit = np.full(2 * n, sc.service.sd_mbps)
    gbit[:n][hd] = sc.service.hd_mbps
    hd_alt = np.where(hd, np.arange(n) + n, -1).astype(np.int32)
    return gbit, hd_alt, hd
