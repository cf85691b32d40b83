"""The terminal population's arrays: attributes drawn once, state the kernels advance."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.engine.rng import RngStreams
from sim.kernels.terminals import N_ALARMS, OFF, Params, Terminals
from sim.schema.distributions import sample
from sim.schema.profiles import VehicleTerminalProfile
from sim.terminals.schema import TerminalsScenario

NIGHT_HOURS = (22, 23, 0, 1, 2, 3, 4, 5)


@dataclass
class Population:
    """The terminals (:class:`Terminals`), the tables they index (:class:`Params`) and the
    names behind the indices."""

    tm: Terminals
    pr: Params
    fleet_names: list[str]
    profile_ids: list[str]
    behaviour_names: list[str]


def _seeds(rng: np.random.Generator, n: int) -> np.ndarray:
    return rng.integers(1, 2**63 - 1, size=n, dtype=np.int64).astype(np.uint64)


def build_population(sc: TerminalsScenario, profiles: dict[str, VehicleTerminalProfile],
                     rng: RngStreams) -> Population:
    """Arrays for every terminal of the scenario's fleets.

    ``profiles`` maps each fleet name to its resolved terminal profile. Drivers get a
    behaviour profile by the shares and a log-normal rate multiplier of mean 1; terminals a
    gateway node and a cell at random, and their report intervals drawn from the profile.
    """
    fleets = list(sc.fleets)
    beh_names = list(sc.behaviour.profiles)
    behs = [sc.behaviour.profiles[b] for b in beh_names]
    prof_ids = list(dict.fromkeys(profiles[f].id for f in fleets))
    prof_of = {pid: [profiles[f] for f in fleets if profiles[f].id == pid][0]
               for pid in prof_ids}
    counts = np.array([sc.fleets[f].count for f in fleets])
    n = int(counts.sum())
    fleet = np.repeat(np.arange(len(fleets), dtype=np.int32), counts)
    prof = np.repeat(np.array([prof_ids.index(profiles[f].id) for f in fleets], np.int32),
                     counts)
    r_att = rng.stream("terminals.attributes")
    shares = np.array([b.share for b in behs])
    beh = r_att.choice(len(behs), size=n, p=shares / shares.sum()).astype(np.int32)
    sig = sc.behaviour.driver_sigma
    mult = np.exp(r_att.normal(-0.5 * sig * sig, sig, n)) if sig > 0 else np.ones(n)
    node = r_att.integers(0, sc.gateway.nodes, n).astype(np.int32)
    cell = r_att.integers(0, sc.cells.cells, n).astype(np.int32)
    r_iv = rng.stream("terminals.intervals")
    iv_move = np.empty(n)
    iv_park = np.empty(n)
    for k, f in enumerate(fleets):
        sel = fleet == k
        p = profiles[f]
        m = int(sel.sum())
        iv_move[sel] = np.maximum(np.asarray(sample(p.report_interval_s, r_iv, m), float), 0.1)
        park = p.report_interval_parked_s if p.report_interval_parked_s is not None \
            else p.report_interval_s
        iv_park[sel] = np.maximum(np.asarray(sample(park, r_iv, m), float), 0.1)
    pr = _params(sc, fleets, behs, [prof_of[p] for p in prof_ids])
    r_st = rng.stream("terminals.states")
    tm = Terminals(
        fleet=fleet, prof=prof, beh=beh, mult=mult, node=node, cell=cell,
        iv_move=iv_move, iv_park=iv_park,
        st=np.full(n, OFF, np.int8), t_cur=np.full(n, -sc.preroll_s),
        seg_end=np.zeros(n), sess_end=np.zeros(n),
        # sleep reports at a random phase
        next_rep=-sc.preroll_s + r_st.uniform(0, 1, n) * np.maximum(pr.iv_off[prof], 1.0),
        last_move_end=np.full(n, -np.inf), drive_s=np.zeros(n), fatigued=np.zeros(n, bool),
        blocked=np.zeros(n, bool), vid_end=np.full(n, -np.inf), next_start=np.full(n, -sc.preroll_s),
        rs=_seeds(r_st, n), rl=_seeds(r_st, n),
        km=np.zeros(n), night_km=np.zeros(n), move_s=np.zeros(n),
        alarms=np.zeros((n, N_ALARMS), np.int64), msgs=np.zeros(n, np.int64),
        video_mb=np.zeros(n),
    )
    return Population(tm, pr, fleets, prof_ids, beh_names)


def _params(sc: TerminalsScenario, fleets: list[str], behs: list,
            profs: list[VehicleTerminalProfile]) -> Params:
    nf, nb = len(fleets), len(behs)
    start_rate = np.zeros((nf, nb, 24))
    stop_s = np.zeros((nf, nb))
    for k, name in enumerate(fleets):
        f = sc.fleets[name]
        w = np.asarray(f.diurnal, float)
        for b, bp in enumerate(behs):
            wb = w.copy()
            wb[list(NIGHT_HOURS)] *= bp.night_factor
            # starts per day while off = sessions_per_day at the fleet's diurnal mix
            start_rate[k, b] = f.sessions_per_day * wb / w.sum() * 24.0 / 86400.0
            stop_s[k, b] = f.stop_s * bp.rest_factor
    return Params(
        start_rate=start_rate, start_max=start_rate.max(axis=2),
        sess_median_s=np.array([sc.fleets[f].session_median_s for f in fleets]),
        sess_sigma=np.array([sc.fleets[f].session_sigma for f in fleets]),
        leg_s=np.array([sc.fleets[f].leg_s for f in fleets]),
        stop_s=stop_s,
        speed_kmh=np.array([sc.fleets[f].speed_kmh for f in fleets]),
        video_per_s=np.array([sc.fleets[f].video_per_on_h / 3600.0 for f in fleets]),
        video_s=np.array([sc.fleets[f].video_s for f in fleets]),
        rate_per_km=np.array([[b.harsh_braking_per_100km / 100.0,
                               b.harsh_acceleration_per_100km / 100.0,
                               b.speeding_per_100km / 100.0] for b in behs]),
        iv_off=np.array([p.report_interval_off_s for p in profs]),
        msg_bytes=np.array([float(np.mean(_mean(p.message_size_bytes))) for p in profs]),
        alarm_bytes=np.array([p.alarm_message_bytes for p in profs]),
        clip_mb=np.array([p.event_clip_mb for p in profs]),
        video_kbps=np.array([p.video_bitrate_kbps * (1 if p.cameras > 0 else 0)
                             for p in profs]),
    )


def _mean(q: object) -> float:
    from sim.schema.distributions import mean_of

    return float(mean_of(q))  # type: ignore[arg-type]
