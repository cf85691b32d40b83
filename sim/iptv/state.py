"""Initial state of an IPTV population, e.g. taken from a digital twin to fork a what-if.

Boxes are named by their index in the model's population: box ``i`` is device
``stb-%08d`` (:func:`device_id`). The index is deterministic for a scenario and seed: boxes are
numbered province by province (site groups in file order within a province), site by site,
so that every OLT owns a contiguous range (see :mod:`sim.iptv.topology`); where site sizes
are random, each replication draws its own layout and the names are those of replication 0.
A run writes the names with their site, port, province and end state to
``tables/boxes.parquet`` (scenario flag ``record_boxes``), which is how a twin learns the
devices of a simulated deployment.

The state is compact (three arrays over the boxes it knows, about 11 bytes a box), so a twin
of millions of boxes forks without building one object per box:

- ``box``: box indices (int64, unique, each < the population's size);
- ``state``: per box ``offline`` / ``standby`` / ``viewing`` (codes :data:`OFFLINE`,
  :data:`STANDBY`, :data:`VIEWING`; :data:`UNKNOWN` lets the model draw it);
- ``firmware``: per box an index into ``firmware_versions`` (-1: unknown).

How the model starts from it (:func:`apply_initial_state`): the clock at t = 0 is ``t0_s``
(time of day), so the diurnal pattern continues from there; viewing boxes start on a live
channel drawn by popularity (a box playing VoD is counted as viewing: a stream already
running cannot go through the VoD admission), standby boxes wait for their next session from
the diurnal hazard at ``t0_s``, offline boxes stay offline for the run (the twin does not
know when they return), boxes of unknown state are viewing with the model's on-share of the
hour. A firmware campaign targets only the boxes not on its version and not offline.

Because VoD boxes start live, the live/VoD split settles to the model's mix within about one
VoD session (40 min median) after the fork; viewing and standby counts are right from t = 0.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from sim.errors import DataError, Problem

if TYPE_CHECKING:
    from sim.iptv.population import BoxPopulation

UNKNOWN, OFFLINE, STANDBY, VIEWING = -1, 0, 1, 2
STATES = ("offline", "standby", "viewing")
DEVICE_PREFIX = "stb-"
_DEVICE_RE = re.compile(r"^stb-(\d{8,})$")


def device_id(box: int) -> str:
    """The device id of box ``box`` (``stb-00000042``)."""
    return f"{DEVICE_PREFIX}{int(box):08d}"


def device_ids(boxes: np.ndarray) -> np.ndarray:
    """Device ids of many boxes, as an object array."""
    return np.array([f"{DEVICE_PREFIX}{b:08d}" for b in np.asarray(boxes).tolist()], object)


def box_index(device: str) -> int | None:
    """The box index named by a device id, or None if it is not a box id."""
    m = _DEVICE_RE.match(device)
    return int(m.group(1)) if m else None


@dataclass
class IptvInitialState:
    """Where an IPTV population starts; ``t0_s`` is the time of day at simulated time 0."""

    t0_s: float
    box: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    state: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int8))
    firmware: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int16))
    firmware_versions: list[str] = field(default_factory=list)
    source: str = "initial state"
    """Where the state comes from (named in error messages)."""

    def __post_init__(self) -> None:
        self.box = np.asarray(self.box, np.int64)
        self.state = np.asarray(self.state, np.int8)
        self.firmware = np.asarray(self.firmware, np.int16)

    def problems(self, n_boxes: int) -> list[Problem]:
        """Everything wrong with this state for a population of ``n_boxes`` boxes."""
        out: list[Problem] = []
        n = self.box.shape[0]
        if not 0 <= self.t0_s < 86400 or not np.isfinite(self.t0_s):
            out.append(Problem("t0_s", "time of day must be in [0, 86400) s", self.t0_s))
        for name in ("state", "firmware"):
            if getattr(self, name).shape != (n,):
                out.append(Problem(name, f"expected {n} entries (one per box)",
                                   getattr(self, name).shape[0]))
        if out:
            return out
        bad = np.flatnonzero((self.box < 0) | (self.box >= n_boxes))
        if bad.size:
            out.append(Problem("box", f"{bad.size} box indices outside the population "
                               f"(0..{n_boxes - 1}), e.g. {device_id(self.box[bad[0]])}",
                               self.box[bad[:5]].tolist()))
        uniq, counts = np.unique(self.box, return_counts=True)
        if (counts > 1).any():
            out.append(Problem("box", "boxes given more than once", uniq[counts > 1][:5].tolist()))
        bad = np.flatnonzero((self.state < UNKNOWN) | (self.state > VIEWING))
        if bad.size:
            out.append(Problem("state", f"{bad.size} unknown state codes (-1 unknown, "
                               "0 offline, 1 standby, 2 viewing)",
                               sorted(set(self.state[bad].tolist()))[:5]))
        nv = len(self.firmware_versions)
        bad = np.flatnonzero((self.firmware < -1) | (self.firmware >= nv))
        if bad.size:
            out.append(Problem("firmware", f"{bad.size} firmware codes outside the "
                               f"{nv} firmware_versions", sorted(set(self.firmware[bad]
                                                                     .tolist()))[:5]))
        if any(not v for v in self.firmware_versions):
            out.append(Problem("firmware_versions", "empty version name",
                               self.firmware_versions))
        return out

    def check(self, n_boxes: int) -> None:
        """Raise :class:`DataError` listing every problem (see :meth:`problems`)."""
        problems = self.problems(n_boxes)
        if problems:
            raise DataError(self.source, problems)

    def box_firmware(self, n_boxes: int, default: str) -> tuple[np.ndarray, list[str]]:
        """Firmware per box of the whole population (codes into the returned version list);
        boxes the state does not know run ``default``."""
        versions = list(self.firmware_versions)
        if default not in versions:
            versions.append(default)
        fw = np.full(n_boxes, versions.index(default), np.int16)
        known = self.firmware >= 0
        fw[self.box[known]] = self.firmware[known]
        return fw, versions

    def box_state(self, n_boxes: int) -> np.ndarray:
        """State code per box of the whole population (:data:`UNKNOWN` where not given)."""
        st = np.full(n_boxes, UNKNOWN, np.int8)
        st[self.box] = self.state
        return st


def check_campaign_firmware(init: IptvInitialState, version: str, upgrades_from: list[str],
                            n_boxes: int) -> None:
    """Every firmware version the state reports must be the campaign's image or one it
    installs over (``upgrades_from``; empty: any)."""
    if not upgrades_from:
        return
    allowed = {version, *upgrades_from}
    used = np.unique(init.firmware[init.firmware >= 0])
    unknown = [init.firmware_versions[int(k)] for k in used
               if init.firmware_versions[int(k)] not in allowed]
    if unknown:
        codes = [init.firmware_versions.index(v) for v in unknown]
        where = init.box[np.isin(init.firmware, codes)]
        raise DataError(init.source, [Problem(
            "firmware", f"{where.size} boxes run firmware the campaign does not upgrade from "
            f"(events.firmware_campaign.upgrades_from: {', '.join(upgrades_from)}), e.g. "
            f"{device_id(where[0])}", unknown[:5])])


def apply_initial_state(boxes: BoxPopulation, state: np.ndarray, on_share: np.ndarray,
                        rng: np.random.Generator) -> None:
    """Bring a population whose boxes were all started on a live channel to ``state``.

    ``state`` holds a code per box; boxes of :data:`UNKNOWN` state stay live with the
    on-share of their vertical (``on_share``, per vertical), else go to standby. Standby boxes
    pass through the offline state with their return at t = 0, so the kernel draws their next
    session (and the ad carousel) exactly as for any box entering standby.
    """
    vert = boxes.pop.box_vert
    unknown = state == UNKNOWN
    stay_live = np.zeros(state.shape[0], bool)
    stay_live[unknown] = rng.random(int(unknown.sum())) < on_share[vert[unknown]]
    to_standby = np.flatnonzero((state == STANDBY) | (unknown & ~stay_live))
    offline = np.flatnonzero(state == OFFLINE)
    if to_standby.size:
        boxes.power_off(to_standby, np.zeros(to_standby.size), 0)
    if offline.size:
        boxes.power_off(offline, np.full(offline.size, np.inf), 0)
