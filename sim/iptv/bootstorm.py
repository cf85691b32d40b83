"""Boot storm: which boxes lose power, when they are back, and what the servers saw.

A boot wave (:func:`boot_wave`) is any set of boxes getting power at given instants; a
boot storm is the wave of a power cut's end (every box at once), a scheduled power-on
(:mod:`sim.iptv.schedule`) one whose instants are spread over its jitter.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.iptv.profiles import ServerProfile, StbProfile
from sim.iptv.scenario import BootServersSpec, BootStormSpec
from sim.iptv.topology import Population
from sim.kernels.boot import boot_storm
from sim.kernels.rng import seed_states
from sim.schema.distributions import sample

STAGES = ("dhcp", "auth", "epg")


def affected_boxes(spec: BootStormSpec, pop: Population) -> np.ndarray:
    """Boxes of the chosen site groups and provinces (all if neither is given)."""
    mask = np.ones(pop.n_boxes, bool)
    group = pop.site_group[pop.box_site]
    if spec.site_groups:
        ids = [pop.group_names.index(g) for g in spec.site_groups]
        mask &= np.isin(group, ids)
    if spec.provinces:
        ids = [pop.provinces.index(p) for p in spec.provinces]
        mask &= np.isin(pop.group_province[group], ids)
    return np.flatnonzero(mask)


@dataclass
class StormResult:
    boxes: np.ndarray
    on_air_s: np.ndarray
    """Seconds from power restored to back on air (inf: not back)."""
    counts: np.ndarray
    """(arrivals, rejects, served, timeouts) x stage x bin."""
    stale: np.ndarray
    bin_s: float


def run_storm(spec: BootStormSpec, pop: Population, boxes: np.ndarray, stbs: list[StbProfile],
              servers: dict[str, ServerProfile], rng: np.random.Generator, seed: int,
              horizon_s: float) -> StormResult:
    """Boot every box in ``boxes`` at once and walk DHCP, auth and EPG."""
    return boot_wave(spec, pop, boxes, np.zeros(boxes.size), stbs, servers, rng, seed,
                     horizon_s)


def boot_wave(spec: BootServersSpec, pop: Population, boxes: np.ndarray, power_s: np.ndarray,
              stbs: list[StbProfile], servers: dict[str, ServerProfile],
              rng: np.random.Generator, seed: int, horizon_s: float) -> StormResult:
    """Boxes ``boxes`` get power ``power_s`` seconds after the wave's start (a boot storm:
    all at 0) and walk DHCP, auth and EPG (the servers by stage, ``servers``); times in the
    result are from the wave's start."""
    t_ready = np.zeros(boxes.size)
    kind = pop.box_stb[boxes]
    for k, prof in enumerate(stbs):
        idx = np.flatnonzero(kind == k)
        if idx.size:
            t_ready[idx] = np.maximum(0.0, np.asarray(sample(prof.boot_time_s, rng, idx.size)))
    t_ready += power_s
    srv = [servers[s] for s in STAGES]
    workers = np.array([s.workers for s in srv], np.int64)
    mean = np.array([s.workers / float(s.requests_per_s or 1.0) for s in srv])
    cv = np.array([s.service_time_cv for s in srv])
    qlim = np.array([s.queue_limit for s in srv], np.int64)
    n_bins = max(1, int(np.ceil(horizon_s / spec.bin_s)))
    c = spec.client
    on_air, counts, stale = boot_storm(t_ready, workers, mean, cv, qlim, c.timeout_s,
                                       c.backoff_base_s, c.backoff_max_s, c.jitter,
                                       seed_states(seed, 1), spec.bin_s, n_bins, horizon_s)
    # the boot splash frames come after the EPG answers, before the desktop: on air later
    splash = np.array([prof.boot_splash_s for prof in stbs])
    on_air = on_air + splash[kind] if splash.size else on_air
    return StormResult(boxes, on_air, counts, stale, spec.bin_s)
