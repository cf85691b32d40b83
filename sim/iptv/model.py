"""Model kind ``iptv``: a set-top-box population on an access network, window by window.

A SimPy process wakes every ``window_s``: the population kernel advances every box exactly
to the window end, VoD requests go through the loss-system admission, firmware downloads
advance under their egress cap, and link loads are computed and recorded. Power cuts (boot
storms) and the firmware campaign's wave controller are SimPy processes of their own.
"""

from __future__ import annotations

import dataclasses
import math
import time
from typing import Any

import numba
import numpy as np
import simpy

from sim.engine.registry import Context, ModelKind, register_model
from sim.errors import Problem
from sim.iptv.bootstorm import affected_boxes, run_storm
from sim.iptv.boxes import boxes_table, wants_boxes
from sim.iptv.firmware import Campaign
from sim.iptv.kpis import KPIS, Summary
from sim.iptv.network import LoadTracker
from sim.iptv.online import OnlineByNode, offline_mask
from sim.iptv.population import BoxPopulation
from sim.iptv.profiles import StbProfile
from sim.iptv.scenario import BootServersSpec, IptvScenario
from sim.iptv.schedule import DAY_S, PowerSchedule, power_on, scheduled_verticals
from sim.iptv.sizing import core_links, edge_links, vod_edge_share_mbps
from sim.iptv.state import OFFLINE, IptvInitialState, apply_initial_state, check_campaign_firmware
from sim.iptv.topology import build_population
from sim.iptv.viewing import build_viewing, channel_groups, zipf_cdf
from sim.schema.profiles import ProfileBase, ProfileCatalog

LINK_ROLES = ("pon", "olt_uplink", "metro", "cdn_egress")
#: Simulated time one kernel call advances at most, and its cap in windows.
EPOCH_S = 3600.0
MAX_EPOCH_WINDOWS = 12


def prepare(sc: IptvScenario, catalog: ProfileCatalog, source: str
            ) -> tuple[dict[str, ProfileBase], list[Problem]]:
    """Resolve every profile the scenario names and check cross-references."""
    from sim.errors import ScenarioError

    out: dict[str, ProfileBase] = {}
    problems: list[Problem] = []

    def get(kind: str, ref: str, field: str, key: str, overrides: Any = None,
            role: str = "") -> None:
        try:
            out[key] = catalog.resolve(kind, ref, overrides, field, source,
                                       f"network.profile_overrides.{role}" if role else "")
        except ScenarioError as exc:
            problems.extend(exc.problems)

    for i, g in enumerate(sc.site_groups):
        get("stb", g.stb, f"site_groups[{i}].stb", f"stb:{g.stb}")
        get("stb", g.uhd_stb, f"site_groups[{i}].uhd_stb", f"stb:{g.uhd_stb}")
    net = sc.network
    for role in LINK_ROLES:
        get("link", getattr(net, role), f"network.{role}", f"link:{role}",
            net.profile_overrides.get(role), role)
    pon = out.get("link:pon")
    if pon is not None and getattr(pon, "layer", "pon") != "pon":
        problems.append(Problem("network.pon", "not a pon link profile", net.pon))
    get("server", net.vod_server, "network.vod_server", "server:vod",
        net.profile_overrides.get("vod_server"), "vod_server")
    for role in net.profile_overrides:
        if role not in (*LINK_ROLES, "vod_server"):
            problems.append(Problem(f"network.profile_overrides.{role}",
                                    "unknown role (pon, olt_uplink, metro, cdn_egress, "
                                    "vod_server)", role))
    def boot_servers(spec: BootServersSpec, where: str, key: str) -> None:
        for role in ("dhcp", "auth", "epg"):
            get("server", getattr(spec, role), f"{where}.{role}", f"server:{key}{role}")
            prof = out.get(f"server:{key}{role}")
            if prof is not None and getattr(prof, "role", role) != role:
                problems.append(Problem(f"{where}.{role}",
                                        f"profile is a {getattr(prof, 'role', '?')} server",
                                        getattr(spec, role)))

    if scheduled_verticals(sc):
        boot_servers(net.boot_servers, "network.boot_servers", "boot_")
    storm = sc.events.boot_storm
    if storm is not None:
        boot_servers(storm, "events.boot_storm", "")
        names = {g.name for g in sc.site_groups}
        provs = {g.province for g in sc.site_groups}
        for j, name in enumerate(storm.site_groups):
            if name not in names:
                problems.append(Problem(f"events.boot_storm.site_groups[{j}]",
                                        "no site group with this name", name))
        for j, prov in enumerate(storm.provinces):
            if prov not in provs:
                problems.append(Problem(f"events.boot_storm.provinces[{j}]",
                                        "no site group in this province", prov))
    return out, problems


class IptvModel:
    """One replication of an ``iptv`` scenario."""

    def __init__(self, ctx: Context):
        self.ctx = ctx
        sc: IptvScenario = ctx.scenario
        init = ctx.initial_state
        if init is not None and not isinstance(init, IptvInitialState):
            raise TypeError(f"iptv: initial_state must be an IptvInitialState, not "
                            f"{type(init).__name__}")
        if init is not None:  # the clock continues from the initial state's time of day
            sc = sc.model_copy(update={"start_hour": init.t0_s / 3600.0})
        self.sc = sc
        self.env: simpy.Environment = ctx.env
        if sc.threads:
            numba.set_num_threads(min(sc.threads, numba.config.NUMBA_NUM_THREADS))  # type: ignore[attr-defined]
        t0 = time.perf_counter()
        self.pop = build_population(sc, ctx.profiles, ctx.rng.stream("iptv.sites"))
        self.stbs: list[StbProfile] = [ctx.profiles[f"stb:{s}"]  # type: ignore[misc]
                                       for s in self.pop.stb_ids]
        self.dt = float(sc.window_s)
        self.n_windows = int(math.ceil(sc.horizon_s / self.dt))
        self.gbit, self.hd_alt, self.hd = channel_groups(sc)
        self.va = build_viewing(sc)
        n_boxes = self.pop.n_boxes
        box_state = None
        if init is not None:
            init.check(n_boxes)
            box_state = init.box_state(n_boxes)
            self.box_fw, self.fw_versions = init.box_firmware(n_boxes, sc.firmware_version)
        else:
            self.box_fw, self.fw_versions = np.zeros(n_boxes, np.int16), [sc.firmware_version]
        self.offline0 = np.zeros(n_boxes, bool) if box_state is None else box_state == OFFLINE
        svc = sc.service
        # From the steady state: the boxes start two mean sessions before t = 0, unrecorded.
        self.preroll_windows = self._preroll_windows(box_state is None)
        preroll_s = self.preroll_windows * self.dt
        consts = np.array([svc.sd_mbps, svc.hd_mbps, svc.uhd_mbps,
                           svc.fcc_burst_s * svc.fcc_rate_factor,
                           sc.start_hour * 3600.0 - preroll_s])
        vod = ctx.profiles["server:vod"]
        n_srv = self.pop.n_metros * sc.network.vod_servers_per_province
        prof_streams = int(getattr(vod, "streams", 1) or 1)
        egress = getattr(vod, "egress_gbps", None)
        streams = np.full(n_srv, prof_streams, np.int64)
        if sc.network.vod_streams_per_1000_boxes:
            srv_boxes = np.bincount(self.pop.olt_srv, weights=np.diff(self.pop.olt_box),
                                    minlength=n_srv)
            streams = np.maximum(1, np.ceil(srv_boxes / 1000.0
                                            * sc.network.vod_streams_per_1000_boxes)
                                 ).astype(np.int64)
        mbps = (streams * (float(egress) * 1000.0 / prof_streams) if egress
                else np.full(n_srv, np.inf))
        self.metro_links, self.edge_links = self._core_links(mbps)
        mbps = np.minimum(mbps, self._vod_cdn_share_mbps(self.edge_links, n_srv))
        self.vod_streams = streams
        self.vod_mbps = mbps
        # Up to an hour of windows per kernel call (scratch memory grows with it).
        self.max_epoch = max(1, min(MAX_EPOCH_WINDOWS, int(EPOCH_S // self.dt)))
        # From an initial state every box starts live, then each is set to its state.
        va0 = self.va if box_state is None else dataclasses.replace(
            self.va, on_share=np.ones_like(self.va.on_share))
        if preroll_s:
            hour = int(math.floor(sc.start_hour - preroll_s / 3600.0)) % 24
            va0 = dataclasses.replace(self.va, on_share=np.array(
                [min(0.98, p["diurnal"][hour]) for p in self.va.params]))
        self.bp = BoxPopulation(self.pop, va0, self.gbit, self.hd_alt, consts,
                                zipf_cdf(svc.vod_titles, svc.vod_zipf),
                                ctx.rng.seed_for("iptv.boxes"), streams, mbps,
                                svc.edge_cache_titles, viewing=sc.viewing_enabled,
                                max_windows=self.max_epoch)
        # The viewing population (None when viewing is off: boxes only load firmware).
        self.boxes: BoxPopulation | None = self.bp if sc.viewing_enabled else None
        if self.preroll_windows:
            p0 = time.perf_counter()
            self.bp.preroll(self.preroll_windows, self.dt)
            ctx.timings["iptv_preroll_s"] = time.perf_counter() - p0
        if self.boxes is not None and box_state is not None:
            apply_initial_state(self.boxes, box_state, self.va.on_share,
                                ctx.rng.stream("iptv.initial"))
        self.power = PowerSchedule.build(self.va.params, self.pop, sc.start_hour * 3600.0,
                                         self.dt, self.n_windows, ctx.rng.stream("iptv.power"))
        if self.power is not None and self.boxes is not None and box_state is None:
            off = self.power.off_at_start  # switched off before t = 0 (a twin's state knows)
            self.boxes.power_off(off, np.full(off.size, np.inf))
        # Power events happen at window starts: epochs end there.
        self.barriers: list[int] = []
        if sc.events.boot_storm is not None:
            t_off, t_on = self._storm_times()
            self.barriers = [int(round(t_off / self.dt)), int(round(t_on / self.dt))]
        if self.power is not None:
            self.barriers += self.power.windows()
        wifi = np.array([s.wifi_clients * s.wifi_client_mbps for s in self.stbs])
        port_wifi = np.bincount(self.pop.box_port, weights=wifi[self.pop.box_stb],
                                minlength=self.pop.n_ports)
        self.loads = LoadTracker(self.pop, port_wifi, self.n_windows,
                                 threshold=sc.network.overload_threshold, warmup_s=sc.warmup_s,
                                 core_links=self.metro_links, edge_links=self.edge_links)
        self.campaign: Campaign | None = None
        fw_spec = sc.events.firmware_campaign
        if fw_spec is not None:
            exclude = None
            if init is not None:  # boxes already on the image, or offline, are not targeted
                check_campaign_firmware(init, fw_spec.version, fw_spec.upgrades_from, n_boxes)
                exclude = self.offline0.copy()
                if fw_spec.version in self.fw_versions:
                    exclude |= self.box_fw == self.fw_versions.index(fw_spec.version)
            if fw_spec.version not in self.fw_versions:
                self.fw_versions.append(fw_spec.version)
            self.campaign = Campaign(fw_spec, self.pop, self.stbs,
                                     ctx.rng.stream("iptv.firmware"),
                                     ctx.rng.seed_for("iptv.firmware.boxes"), exclude)
        self.summary = Summary(self)
        self.online: OnlineByNode | None = None
        if wants_boxes(sc.record_boxes, n_boxes):
            self.online = OnlineByNode(self.pop.box_port, self.pop.n_ports, sc.record_interval_s)
        self.tick = self.env.event()
        self.events_processed = 0
        self.kernel_s = 0.0
        ctx.timings["iptv_build_s"] = time.perf_counter() - t0

    def _preroll_windows(self, fresh: bool) -> int:
        """Windows simulated before t = 0 so that viewing starts from the steady state of
        the start hour: two of the longest mean session (live, VoD or call) of the verticals
        present (none when viewing is off, the run starts from a twin's state, or the
        scenario asks for a cold start)."""
        sc = self.sc
        if not (fresh and sc.viewing_enabled and sc.steady_start):
            return 0
        longest = 0.0
        for v in np.unique(self.pop.group_vertical):
            p = self.va.params[int(v)]
            vod_mean = p["vod_median_s"] * math.exp(p["vod_sigma"] ** 2 / 2)
            longest = max(longest, p["session_mean_s"], vod_mean, p["call_mean_s"])
        return int(math.ceil(2.0 * longest / self.dt))

    def _core_links(self, srv_mbps: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Parallel metro and CDN edge links per province, by one rule
        (:mod:`sim.iptv.sizing`): the edge is sized for the VoD servers when the scenario
        sizes them by boxes, else both follow ``core_boxes_per_link``."""
        from sim.iptv.network import usable_mbps

        net = self.sc.network
        metro = core_links(self._province_boxes(), net.core_boxes_per_link)
        if not net.vod_streams_per_1000_boxes or not np.isfinite(srv_mbps).all():
            return metro, metro
        fw = self.sc.events.firmware_campaign
        prov_boxes = self._province_boxes()
        reserved = (fw.egress_cap_gbps * 1000.0 * prov_boxes / max(1.0, prov_boxes.sum())
                    if fw is not None else 0.0)
        edge = edge_links(srv_mbps, net.vod_servers_per_province, self.pop.n_metros,
                          usable_mbps(self.pop.links["cdn_egress"]), reserved)
        return metro, edge

    def _province_boxes(self) -> np.ndarray:
        return np.bincount(self.pop.olt_metro, weights=np.diff(self.pop.olt_box),
                           minlength=self.pop.n_metros)

    def _vod_cdn_share_mbps(self, core: Any, n_srv: int) -> np.ndarray:
        """Each VoD server's share of its province's CDN edge egress (Mbit/s), less what a
        firmware campaign reserves (:func:`sim.iptv.sizing.vod_edge_share_mbps`)."""
        from sim.iptv.network import usable_mbps

        edge = usable_mbps(self.pop.links["cdn_egress"]) * np.broadcast_to(
            np.asarray(core, float), (self.pop.n_metros,))
        fw = self.sc.events.firmware_campaign
        srv_boxes = np.bincount(self.pop.olt_srv, weights=np.diff(self.pop.olt_box),
                                minlength=n_srv)
        return vod_edge_share_mbps(edge, self._province_boxes(), srv_boxes,
                                   self.sc.network.vod_servers_per_province,
                                   fw.egress_cap_gbps * 1000.0 if fw is not None else 0.0)

    # -- SimPy processes ------------------------------------------------------------------
    def start(self) -> None:
        if self.sc.events.boot_storm is not None:
            self.env.process(self._storm())
        if self.campaign is not None:
            self.env.process(self._campaign())
        if self.power is not None:
            self.env.process(self._power())
        self.env.process(self._windows())

    def end_time(self) -> float:
        return self.n_windows * self.dt

    def _snap(self, t: float) -> float:
        return math.floor(t / self.dt) * self.dt

    def _storm_times(self) -> tuple[float, float]:
        """Power cut and power restored, on window starts."""
        spec = self.sc.events.boot_storm
        assert spec is not None
        t_off = self._snap(spec.at_s)
        return t_off, max(t_off + self.dt, self._snap(t_off + spec.outage_s))

    def _storm(self) -> Any:
        spec = self.sc.events.boot_storm
        assert spec is not None
        t_off, t_on = self._storm_times()
        boxes = affected_boxes(spec, self.pop)
        yield self.env.timeout(t_off)
        if self.boxes is not None:
            self.boxes.power_off(boxes, np.full(boxes.size, np.inf), int(t_off / self.dt))
        yield self.env.timeout(t_on - t_off)
        servers = {r: self.ctx.profiles[f"server:{r}"] for r in ("dhcp", "auth", "epg")}
        res = run_storm(spec, self.pop, boxes, self.stbs, servers,  # type: ignore[arg-type]
                        self.ctx.rng.stream("iptv.boot"), self.ctx.rng.seed_for("iptv.boot.des"),
                        max(self.dt, self.end_time() - t_on))
        if self.boxes is not None:
            self.boxes.set_back_on(boxes, t_on + res.on_air_s)
        self.summary.record_storm(res, t_off, t_on)

    def _power(self) -> Any:
        """Scheduled power-offs and power-ons (:mod:`sim.iptv.schedule`)."""
        assert self.power is not None
        spec = self.sc.network.boot_servers
        servers = {r: self.ctx.profiles[f"server:boot_{r}"] for r in ("dhcp", "auth", "epg")}
        rng = self.ctx.rng.stream("iptv.power.boot")
        for ev in self.power.events:
            t = ev.w * self.dt
            yield self.env.timeout(t - self.env.now)
            if not ev.on:
                if self.boxes is not None:
                    self.boxes.power_off(ev.boxes, np.full(ev.boxes.size, np.inf), ev.w)
                continue
            wave = power_on(ev, t, spec, self.pop, self.stbs, servers,  # type: ignore[arg-type]
                            rng, self.ctx.rng.seed_for,
                            max(self.dt, min(DAY_S, self.end_time() - t)))
            if self.boxes is not None:
                for res in wave.waves:
                    self.boxes.set_back_on(res.boxes, t + res.on_air_s)
            self.summary.record_power_on(wave)

    def _campaign(self) -> Any:
        camp = self.campaign
        assert camp is not None
        yield self.env.timeout(self._snap(camp.spec.start_s))
        camp.open_wave(self.env.now)
        self.summary.fw_wave_opened(0, self.env.now)
        while True:
            yield self.tick
            decision = camp.check()
            if decision == "abort":
                camp.abort()
                self.summary.fw_aborted_at = self.env.now
            elif decision == "next":
                camp.open_wave(self.env.now)
                self.summary.fw_wave_opened(camp.opened - 1, self.env.now)
            if camp.finished():
                self.summary.fw_finished_at = self.env.now
                return

    def _epoch_windows(self, w: int) -> int:
        """Windows the next epoch may hold from window ``w``: up to the next power event,
        one while a firmware campaign runs or boxes online are sampled."""
        n = self.max_epoch
        if self.campaign is not None or self.online is not None:
            n = 1
        for b in self.barriers:
            if b > w:
                n = min(n, b - w)
        return max(1, min(n, self.n_windows - w))

    def _windows(self) -> Any:
        w = 0
        while w < self.n_windows:
            yield self.env.timeout(0)  # let power events due now act first
            n_k = self._epoch_windows(w)
            t0 = w * self.dt
            k0 = time.perf_counter()
            fw_port = None
            fw_sent = 0.0
            bricked = None
            if self.campaign is not None:
                fw_sent, bricked = self.campaign.window(t0, t0 + self.dt)
                fw_port = self.campaign.port_mbit
            es = self.bp.step_epoch(n_k, t0, self.dt, self.loads.sink, fw_port)
            self.events_processed += int(es.events)
            if bricked is not None and bricked.size and self.boxes is not None:
                self.boxes.power_off(bricked, np.full(bricked.size, np.inf), w)
            self.kernel_s += time.perf_counter() - k0
            for k in range(n_k):
                self.summary.window(w + k, t0 + k * self.dt, es, k, fw_sent)
            t1 = t0 + n_k * self.dt
            if self.online is not None and self.online.due(t1 - self.dt, t1):
                self.online.sample(t1, offline_mask(
                    None if self.boxes is None else self.boxes.st, self.offline0,
                    None if self.campaign is None else self.campaign.fw_state))
            ev, self.tick = self.tick, self.env.event()
            ev.succeed()
            yield self.env.timeout(n_k * self.dt)
            w += n_k

    def finish(self) -> dict[str, float]:
        self.ctx.timings["iptv_kernel_s"] = self.kernel_s
        kpis = self.summary.finish()
        if wants_boxes(self.sc.record_boxes, self.pop.n_boxes):
            self.ctx.recorder.add_table("boxes", boxes_table(self))
        if self.online is not None:
            self.ctx.recorder.add_series("online_by_node", self.online.columns())
        return kpis


register_model(ModelKind(
    kind="iptv",
    scenario_cls=IptvScenario,
    build=IptvModel,
    kpis=KPIS,
    prepare=prepare,
    description="IPTV set-top-box fleets on an access network: viewing, VoD loss, boot storms, "
    "firmware campaigns",
))
