"""The shop-camera platform model (kind ``cameras``): SimPy processes for the platform's
functions, a window process for the population (uploads, storage, 10-minute statistics).

Processes: viewing attempts (:mod:`sim.cameras.liveview`), parameter queries and sets,
registrations after a power cut, a reboot campaign and a firmware campaign (the IPTV
firmware-campaign mechanism, :class:`sim.iptv.firmware.Campaign`, with cameras as boxes and
provinces as ports), all on one pool of signalling servers (:mod:`sim.cameras.platform`).
"""

from __future__ import annotations

from typing import Any, cast

import numpy as np

from sim.cameras import kpis as ck
from sim.cameras.liveview import LiveViews
from sim.cameras.platform import Registrar, SignallingServers
from sim.cameras.population import Cameras, build, hourly_weights, poisson_times
from sim.cameras.profiles import CameraProfile
from sim.cameras.schema import CameraScenario
from sim.cameras.storage import CloudStorage
from sim.engine.registry import Context, ModelKind, register_model
from sim.errors import Problem, ScenarioError
from sim.iptv.firmware import Campaign
from sim.kernels import firmware as fk
from sim.schema.distributions import mean_of, sample
from sim.schema.profiles import ProfileBase, ProfileCatalog

#: Firmware downloads advance in steps of this many seconds (the IPTV campaign's window).
FIRMWARE_STEP_S = 60.0


class CameraModel:
    """One replication of the camera platform."""

    def __init__(self, ctx: Context):
        s: CameraScenario = ctx.scenario
        self.ctx, self.s, self.env = ctx, s, ctx.env
        rng = ctx.rng
        profiles = [cast(CameraProfile, ctx.profiles[f"camera:{p.name}"]) for p in s.provinces]
        self.cams: Cameras = build(s, profiles, rng.stream("cameras.population"))
        self.weights = hourly_weights(s.live_view.hourly_profile)
        self.servers = SignallingServers(ctx.env, s.platform, rng.stream("cameras.service"))
        self.registrar = Registrar(ctx.env, self.servers, self.cams.registered, self.cams.online,
                                   rng.stream("cameras.backoff"))
        self.boot_rng = rng.stream("cameras.boot")
        self.live = self._live_views(rng.stream("cameras.liveview"))
        ops_rng = rng.stream("cameras.params")
        per_cam_s = 1.0 / 86400.0 * self.cams.n
        self.query_t = poisson_times(ops_rng, s.params.queries_per_camera_per_day * per_cam_s,
                                     self.weights, s.start_hour, s.horizon_s)
        self.set_t = poisson_times(ops_rng, s.params.sets_per_camera_per_day * per_cam_s,
                                   self.weights, s.start_hour, s.horizon_s)
        self.param_failed = 0
        self.storage = CloudStorage(s.storage, self.cams, self.weights, s.start_hour, s.window_s)
        self.storage_rng = rng.stream("cameras.motion")
        self.windows: list[dict[str, Any]] = []
        self.storm_cams = np.zeros(0, np.int64)
        self.storm_restore_s = np.nan
        self.reboots = 0
        self.campaign: Campaign | None = None
        self.campaign_end_s = np.nan
        self.fw_rng = rng.stream("cameras.firmware")
        self.fw_seed = rng.seed_for("cameras.firmware.kernel")

    def _live_views(self, rng: np.random.Generator) -> LiveViews:
        s, cams = self.s, self.cams
        per_s = cams.n_shops * s.live_view.sessions_per_shop_per_day / 86400.0
        t = poisson_times(rng, per_s, self.weights, s.start_hour, s.horizon_s)
        camera = rng.integers(0, cams.n, t.size)
        forged = rng.random(t.size) < s.tokens.hotlink_share
        hold = np.maximum(np.asarray(sample(s.live_view.hold_s, rng, t.size), float), 0.0)
        slots = s.streaming.servers * s.streaming.sessions_per_server
        kbps = np.array([p.substream_kbps for p in cams.profiles])[cams.profile[camera]]
        return LiveViews(self.env, self.servers, slots, t, camera, forged, hold, cams.online,
                         s.tokens.ttl_s, kbps)

    # -- processes -----------------------------------------------------------------------
    def start(self) -> None:
        env, s = self.env, self.s
        self.live.start()
        env.process(self._params())
        env.process(self._windows())
        if s.power_cut is not None:
            env.process(self._power_cut())
        if s.reboot is not None:
            env.process(self._reboot())
        if s.firmware_campaign is not None:
            env.process(self._firmware())

    def end_time(self) -> float:
        return self.s.horizon_s

    def _params(self) -> Any:
        env, cams = self.env, self.cams
        times = np.concatenate([self.query_t, self.set_t])
        kind = np.r_[np.zeros(self.query_t.size, np.int8), np.ones(self.set_t.size, np.int8)]
        order = np.argsort(times, kind="stable")
        target = self.ctx.rng.stream("cameras.params.target").integers(0, cams.n, times.size)
        prev = 0.0
        for j in order.tolist():
            t = float(times[j])
            yield env.timeout(t - prev)
            prev = t
            if not cams.online[target[j]]:
                self.param_failed += 1
                continue
            self.servers.submit("set" if kind[j] else "query")

    def _boot_s(self, cams: np.ndarray) -> np.ndarray:
        out = np.zeros(cams.size)
        for k, prof in enumerate(self.cams.profiles):
            sel = self.cams.profile[cams] == k
            if sel.any():
                out[sel] = np.maximum(0.0, np.asarray(
                    sample(prof.boot_time_s, self.boot_rng, int(sel.sum())), float))
        return out

    def _power_cut(self) -> Any:
        cut = self.s.power_cut
        assert cut is not None
        cams = self.cams
        yield self.env.timeout(cut.at_s)
        k = cams.provinces.index(cut.province)
        rng = self.ctx.rng.stream("cameras.power_cut")
        hit = np.flatnonzero((cams.province == k) & ~cams.bricked
                             & (rng.random(cams.n) < cut.share))
        cams.online[hit] = False
        cams.registered[hit] = False
        self.storm_cams = hit
        yield self.env.timeout(cut.duration_s)
        self.storm_restore_s = self.env.now
        for cam, boot in zip(hit.tolist(), self._boot_s(hit).tolist(), strict=True):
            self.registrar.start(cam, boot)

    def _reboot(self) -> Any:
        spec = self.s.reboot
        assert spec is not None
        cams, env = self.cams, self.env
        yield env.timeout(spec.at_s)
        rng = self.ctx.rng.stream("cameras.reboot")
        chosen = np.flatnonzero(~cams.bricked & (rng.random(cams.n) < spec.share))
        at = np.sort(rng.random(chosen.size) * spec.spread_s)
        boots = self._boot_s(chosen)
        prev = 0.0
        for cam, t, boot in zip(chosen.tolist(), at.tolist(), boots.tolist(), strict=True):
            yield env.timeout(t - prev)
            prev = t
            self.servers.submit("reboot", self._rebooted(cam, boot))

    def _rebooted(self, cam: int, boot_s: float) -> Any:
        def done() -> None:
            if not self.cams.online[cam]:
                return  # already down (a power cut): it registers when power is back
            self.reboots += 1
            self.cams.online[cam] = False
            self.registrar.start(cam, boot_s)

        return done

    def _firmware(self) -> Any:
        spec = self.s.firmware_campaign
        assert spec is not None
        env, cams = self.env, self.cams
        yield env.timeout(spec.start_s)
        camp = Campaign(spec, cast(Any, cams), cast(Any, cams.profiles), self.fw_rng,
                        self.fw_seed, exclude=cams.bricked.copy())
        self.campaign = camp
        camp.open_wave(env.now)
        while True:
            t0 = env.now
            yield env.timeout(FIRMWARE_STEP_S)
            camp.window(t0, env.now)
            fin = np.flatnonzero((camp.done_t >= t0) & (camp.done_t < env.now))
            for cam in fin.tolist():
                self.servers.submit("reboot")
                if camp.fw_state[cam] == fk.FW_BRICKED:
                    cams.online[cam] = False
                    cams.registered[cam] = False
                    cams.bricked[cam] = True
                else:  # flashed and rebooted: registers again, one step late (the
                    # kernel tells at the end of a step who finished in it; the lag keeps
                    # the registrations as spread out as the finishes were)
                    self.registrar.start(cam, float(camp.done_t[cam] - t0))
            verdict = camp.check()
            if verdict == "abort":
                camp.abort()
            elif verdict == "next":
                camp.open_wave(env.now)
            if camp.finished():
                self.campaign_end_s = env.now
                return

    def _windows(self) -> Any:
        env, s, cams = self.env, self.s, self.cams
        n_prov = len(cams.provinces)
        t = 0.0
        while t < s.horizon_s:
            hour = int((s.start_hour * 3600.0 + t) // 3600.0) % 24
            up, backlog = self.storage.window(t, float(self.weights[hour]), self.storage_rng)
            online = np.bincount(cams.province[cams.online], minlength=n_prov)
            self.windows.append({"t_s": t, "online": online, "upload_gb": up,
                                 "backlog_gb": backlog, "stored_gb": self.storage.stored_gb})
            yield env.timeout(s.window_s)
            t = env.now

    # -- results -------------------------------------------------------------------------
    def finish(self) -> dict[str, float]:
        return ck.finish(self)


def prepare(sc: CameraScenario, catalog: ProfileCatalog, source: str
            ) -> tuple[dict[str, ProfileBase], list[Problem]]:
    """Resolve each province's camera profile; check names the schema cannot."""
    out: dict[str, ProfileBase] = {}
    problems: list[Problem] = []
    for i, p in enumerate(sc.provinces):
        try:
            out[f"camera:{p.name}"] = catalog.resolve(
                "camera", p.camera, p.profile_overrides, f"provinces[{i}].camera", source,
                f"provinces[{i}].profile_overrides")
        except ScenarioError as exc:
            problems.extend(exc.problems)
    names = [p.name for p in sc.provinces]
    if sc.power_cut is not None and sc.power_cut.province not in names:
        problems.append(Problem("power_cut.province",
                                f"not a province of this scenario (known: {', '.join(names)})",
                                sc.power_cut.province))
    if not mean_of(sc.live_view.hold_s) > 0:
        problems.append(Problem("live_view.hold_s", "mean holding time must be > 0 s",
                                mean_of(sc.live_view.hold_s)))
    return out, problems


register_model(ModelKind(
    kind="cameras",
    scenario_cls=CameraScenario,
    build=CameraModel,
    kpis=ck.KPIS,
    prepare=prepare,
    description="shop-camera platform (seed 004): registration storms, live views on the "
    "streaming servers (loss system), tokens, campaigns, cloud storage, business models",
))
