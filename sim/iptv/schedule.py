"""Scheduled power: boxes switched off and on centrally at fixed clock times every day.

Hospitals switch their ward TVs off at lights-out and on in the morning: the default of the
``hospital`` vertical (:data:`sim.iptv.viewing.PER_VERTICAL`: 07:00 on, 22:00 off, 80% of the
boxes, power-ons spread over 10 minutes; an assumption, the seed names hospitals as a pilot
vertical only). Any vertical can be given a schedule (``viewing.<vertical>.power_schedule``,
e.g. barracks switched on for the evening news), or none (``share: 0``).

The boxes on the central switch are drawn per box (share ``share`` of the vertical's). A
power-off or power-on happens at a window start: the scheduled clock time snapped down to a
window boundary, as a boot storm's power cut is. At a power-on each box gets power at an
instant spread uniformly over ``jitter_s`` and boots as after a boot storm
(:func:`sim.iptv.bootstorm.boot_wave`: boot time, DHCP, auth and EPG with their queues,
timeouts and retries, the boot splash), one wave per province: each province has its own
DHCP, auth and EPG servers (``network.boot_servers``). Boxes of every vertical switched on in
the same window boot in the same wave. A box on air enters standby and views by its
vertical's diurnal pattern from then on; at the power-off it leaves whatever it was doing.
A run starts with the boxes that are off just before t = 0 offline.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from sim.iptv.bootstorm import StormResult, boot_wave
from sim.iptv.profiles import ServerProfile, StbProfile
from sim.iptv.scenario import VERTICALS, BootServersSpec, IptvScenario, PowerScheduleSpec
from sim.iptv.topology import Population
from sim.iptv.viewing import viewing_params

DAY_S = 86400.0


@dataclass
class PowerEvent:
    """Boxes switched off or on at the start of window ``w``."""

    w: int
    on: bool
    boxes: np.ndarray
    """Box indices, increasing."""
    jitter_s: np.ndarray
    """Per box (power-on only): the span its power-on instant is spread over (s)."""


@dataclass
class WaveResult:
    """A power-on: per province, the boot wave of its boxes (times from the wave's start)."""

    t_on: float
    provinces: list[int] = field(default_factory=list)
    waves: list[StormResult] = field(default_factory=list)


def is_off_before(clock_s: float, on_s: float, off_s: float) -> bool:
    """Whether a box switched off at clock time ``off_s`` and on at ``on_s`` (seconds of the
    day) is off just before clock time ``clock_s``: ``clock_s`` in ``(off_s, on_s]``, cyclic."""
    return 0.0 < (clock_s - off_s) % DAY_S <= (on_s - off_s) % DAY_S


def event_windows(hour: float, clock0_s: float, dt: float, n_windows: int) -> list[int]:
    """Windows of the run that start the scheduled clock ``hour`` snapped down to a window
    boundary, every day (``clock0_s``: the clock time of t = 0)."""
    t = (hour * 3600.0 - clock0_s) % DAY_S
    out: list[int] = []
    while True:
        w = int(math.floor(t / dt + 1e-9))
        if w >= n_windows:
            return out
        out.append(w)
        t += DAY_S


def scheduled_verticals(sc: IptvScenario) -> list[str]:
    """Verticals of the scenario's site groups with a power schedule (share above 0)."""
    out = []
    for v in VERTICALS:
        if not any(g.vertical == v for g in sc.site_groups):
            continue
        raw = viewing_params(v, sc.viewing.get(v))["power_schedule"]  # type: ignore[call-overload]
        if raw is not None and PowerScheduleSpec.model_validate(raw).share > 0:
            out.append(v)
    return out


class PowerSchedule:
    """The scheduled power events of a run, in time order, and the boxes off at its start."""

    def __init__(self, events: list[PowerEvent], off_at_start: np.ndarray, n_boxes: int):
        self.events = events
        self.off_at_start = off_at_start
        self.n_boxes = n_boxes
        """Boxes on a central switch."""

    @classmethod
    def build(cls, params: list[dict[str, Any]], pop: Population, clock0_s: float, dt: float,
              n_windows: int, rng: np.random.Generator) -> PowerSchedule | None:
        """The schedule of the verticals' ``power_schedule`` (``params`` per vertical, in
        :data:`sim.iptv.scenario.VERTICALS` order); None when no box is on one."""
        offs: dict[int, list[np.ndarray]] = {}
        ons: dict[int, list[tuple[np.ndarray, float]]] = {}
        off0: list[np.ndarray] = []
        n_on = 0
        for v, p in enumerate(params):
            raw = p.get("power_schedule")
            if raw is None:
                continue
            spec = PowerScheduleSpec.model_validate(raw)
            sel = np.flatnonzero(pop.box_vert == v)
            if spec.share <= 0 or sel.size == 0:
                continue
            boxes = sel[rng.random(sel.size) < spec.share]
            if boxes.size == 0:
                continue
            n_on += boxes.size
            if is_off_before(clock0_s, spec.on_h * 3600.0, spec.off_h * 3600.0):
                off0.append(boxes)
            for w in event_windows(spec.off_h, clock0_s, dt, n_windows):
                offs.setdefault(w, []).append(boxes)
            for w in event_windows(spec.on_h, clock0_s, dt, n_windows):
                ons.setdefault(w, []).append((boxes, spec.jitter_s))
        if n_on == 0:
            return None
        events = [PowerEvent(w, False, np.sort(np.concatenate(b)), np.zeros(0))
                  for w, b in offs.items()]
        for w, parts in ons.items():
            boxes = np.concatenate([b for b, _ in parts])
            jit = np.concatenate([np.full(b.size, j) for b, j in parts])
            order = np.argsort(boxes, kind="stable")
            events.append(PowerEvent(w, True, boxes[order], jit[order]))
        events.sort(key=lambda e: (e.w, e.on))  # an off and an on in one window: off first
        empty = np.zeros(0, np.int64)
        return cls(events, np.sort(np.concatenate(off0)) if off0 else empty, n_on)

    def windows(self) -> list[int]:
        """Windows where a power event happens (epochs end there)."""
        return sorted({e.w for e in self.events})


def power_on(ev: PowerEvent, t_on: float, spec: BootServersSpec, pop: Population,
             stbs: list[StbProfile], servers: dict[str, ServerProfile],
             rng: np.random.Generator, seed_of: Any, horizon_s: float) -> WaveResult:
    """Boot the boxes of power-on ``ev`` at ``t_on``, one wave per province.

    ``seed_of(name)`` gives each province's wave its kernel seed (a named stream)."""
    out = WaveResult(t_on)
    power_s = rng.random(ev.boxes.size) * ev.jitter_s
    prov = pop.olt_metro[pop.port_olt[pop.box_port[ev.boxes]]]
    for k in np.unique(prov):
        sel = np.flatnonzero(prov == k)
        res = boot_wave(spec, pop, ev.boxes[sel], power_s[sel], stbs, servers, rng,
                        seed_of(f"iptv.power.boot.{ev.w}.{int(k)}"), horizon_s)
        out.provinces.append(int(k))
        out.waves.append(res)
    return out
