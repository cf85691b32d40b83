"""KPIs, tables and series of a camera-platform replication (from the model's records)."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np

from sim.cameras.business import DEVICES, MODELS, shop_month
from sim.cameras.liveview import BLOCKED, HOTLINK, OFFLINE, OUTCOMES, SERVED
from sim.cameras.platform import OPS
from sim.kernels import firmware as fk

if TYPE_CHECKING:
    from sim.cameras.model import CameraModel

KPIS = {
    "cameras": "cameras on the platform",
    "shops": "shops (customers) on the platform",
    "cameras_online_min_share": "lowest share of cameras online at a window start",
    "registrations": "registrations completed (after power-ups, reboots and upgrades)",
    "registration_retries": "registration attempts timed out and retried",
    "registration_wait_p95_s": "95th percentile of a registration's queueing wait, seconds",
    "storm_cameras": "cameras cut off by the power cut",
    "storm_recovery_s": "power restored to 99% of those cameras registered again, seconds",
    "storm_peak_attempt_rate": "peak registration attempts per second (10 s bins)",
    "signalling_utilisation": "busy share of the signalling servers' workers",
    "signalling_wait_p95_s": "95th percentile queueing wait of any platform operation, s",
    "param_queries": "video parameter queries served",
    "param_sets": "video parameter settings served",
    "param_failed": "parameter operations on an offline camera (failed)",
    "token_checks": "anti-leech token checks served (session starts and renewals)",
    "token_renewals": "tokens renewed by sessions longer than the token lifetime",
    "reboots": "cameras rebooted by remote command",
    "liveview_attempts": "live-view attempts from the mobile app",
    "liveview_served": "live views relayed by the streaming servers",
    "liveview_blocked": "live views blocked: every streaming slot taken",
    "liveview_blocking_rate": "blocked / attempts reaching the streaming servers "
                              "(Erlang B), measured after warm-up",
    "hotlink_rejected": "attempts rejected for a forged, expired or replayed token",
    "liveview_camera_offline": "attempts on a camera that was offline",
    "streaming_busy_mean": "time-average busy streaming slots",
    "streaming_peak": "most streaming slots busy at once",
    "streaming_utilisation": "streaming_busy_mean / streaming slots",
    "streaming_peak_mbps": "peak relay bandwidth of the live views (sub-streams), Mbit/s",
    "upload_gb_per_day": "motion recordings uploaded to cloud storage, GB per day",
    "upload_peak_gbps": "peak upload rate over a window, Gbit/s",
    "upload_backlog_peak_gb": "most recordings waiting for upload capacity, GB",
    "storage_tb": "recordings held in cloud storage at the end, TB",
    "storage_growth_tb_per_day": "change of the stored volume per day, TB",
    "firmware_upgraded": "cameras upgraded by the firmware campaign",
    "firmware_rolled_back": "upgrades that failed and rolled back",
    "firmware_bricked": "upgrades that left the camera bricked",
    "firmware_campaign_s": "firmware campaign start to its last camera, seconds",
    "operator_revenue_cny_per_shop_month": "operator revenue per shop per month (scenario's "
                                           "business model, shop mix), yuan",
    "operator_cost_cny_per_shop_month": "operator cost per shop per month, yuan",
    "operator_margin_cny_per_shop_month": "operator revenue - cost per shop per month, yuan",
    "partner_revenue_cny_per_shop_month": "platform partner revenue per shop per month, yuan",
}


def _p95(values: np.ndarray) -> float:
    return float(np.quantile(values, 0.95)) if values.size else math.nan


def _ratio(a: float, b: float) -> float:
    return a / b if b else math.nan


def finish(m: CameraModel) -> dict[str, float]:
    s, cams, live = m.s, m.cams, m.live
    horizon = s.horizon_s
    op_t, op_kind, op_wait = m.servers.waits()
    out = live.outcome
    after = live.arrival_s >= s.warmup_s
    reached = after & ((out == SERVED) | (out == BLOCKED))
    slots = s.streaming.servers * s.streaming.sessions_per_server
    busy_mean = live.busy_mean(horizon)
    reg = op_kind == OPS.index("register")
    online_share = [float(w["online"].sum()) / cams.n for w in m.windows]
    upload = np.array([w["upload_gb"].sum() for w in m.windows])
    stored = [w["stored_gb"] for w in m.windows]
    kpis = {
        "cameras": float(cams.n),
        "shops": float(cams.n_shops),
        "cameras_online_min_share": min(online_share) if online_share else math.nan,
        "registrations": float(len(m.registrar.done_t)),
        "registration_retries": float(m.registrar.retries),
        "registration_wait_p95_s": _p95(op_wait[reg]),
        **_storm(m),
        "signalling_utilisation": m.servers.busy_s / horizon / s.platform.workers,
        "signalling_wait_p95_s": _p95(op_wait),
        "param_queries": float(np.sum(op_kind == OPS.index("query"))),
        "param_sets": float(np.sum(op_kind == OPS.index("set"))),
        "param_failed": float(m.param_failed),
        "token_checks": float(np.sum(op_kind == OPS.index("token"))),
        "token_renewals": float(live.renewals),
        "reboots": float(m.reboots),
        "liveview_attempts": float(out.size),
        "liveview_served": float(np.sum(out == SERVED)),
        "liveview_blocked": float(np.sum(out == BLOCKED)),
        "liveview_blocking_rate": _ratio(float(np.sum(reached & (out == BLOCKED))),
                                         float(reached.sum())),
        "hotlink_rejected": float(np.sum(out == HOTLINK)),
        "liveview_camera_offline": float(np.sum(out == OFFLINE)),
        "streaming_busy_mean": busy_mean,
        "streaming_peak": float(live.busy_peak),
        "streaming_utilisation": busy_mean / slots,
        "streaming_peak_mbps": live.relay_peak_kbps / 1000.0,
        "upload_gb_per_day": float(upload.sum()) / horizon * 86400.0,
        "upload_peak_gbps": float(upload.max()) * 8.0 / s.window_s if upload.size else 0.0,
        "upload_backlog_peak_gb": max((w["backlog_gb"] for w in m.windows), default=0.0),
        "storage_tb": m.storage.stored_gb / 1000.0,
        "storage_growth_tb_per_day": (m.storage.stored_gb - stored[0]) / 1000.0 / horizon
        * 86400.0 if stored else math.nan,
        **_firmware(m),
        **_business(m),
    }
    _record(m)
    return kpis


def _storm(m: CameraModel) -> dict[str, float]:
    n = m.storm_cams.size
    out = {"storm_cameras": float(n), "storm_recovery_s": math.nan,
           "storm_peak_attempt_rate": math.nan}
    if n == 0 or math.isnan(m.storm_restore_s):
        return out
    t0 = m.storm_restore_s
    done_t = np.asarray(m.registrar.done_t)
    done_c = np.asarray(m.registrar.done_cam, np.int64)
    mine = np.isin(done_c, m.storm_cams) & (done_t >= t0)
    times = np.sort(done_t[mine])
    need = int(math.ceil(0.99 * n))
    if times.size >= need:
        out["storm_recovery_s"] = float(times[need - 1] - t0)
    att = np.asarray(m.registrar.attempt_t)
    att = att[att >= t0]
    if att.size:
        out["storm_peak_attempt_rate"] = float(np.bincount(
            ((att - t0) // 10.0).astype(np.int64)).max()) / 10.0
    return out


def _firmware(m: CameraModel) -> dict[str, float]:
    c = m.campaign
    if c is None:
        return {"firmware_upgraded": 0.0, "firmware_rolled_back": 0.0,
                "firmware_bricked": 0.0, "firmware_campaign_s": math.nan}
    ok, rb, br = (float(x) for x in c.totals())
    spec = m.s.firmware_campaign
    start = spec.start_s if spec is not None else 0.0
    return {"firmware_upgraded": ok, "firmware_rolled_back": rb, "firmware_bricked": br,
            "firmware_campaign_s": m.campaign_end_s - start}


def business_rows(m: CameraModel) -> list[dict[str, Any]]:
    """Money per shop per month for both business models and both device options."""
    s, cams = m.s, m.cams
    per_shop = np.bincount(cams.shop, minlength=cams.n_shops)
    price = np.array([p.price_cny for p in cams.profiles])[cams.profile]
    mean_cams = float(per_shop.mean())
    mean_price = float(price.mean())
    storage_gb = m.storage.daily_gb * s.storage.retention_days / cams.n_shops
    rows = []
    for model in MODELS:
        for devices in DEVICES:
            r = shop_month(s.economics, model, devices == "rented", mean_cams, mean_price,
                           cams.n_shops, storage_gb, s.streaming.servers)
            rows.append({"business_model": model, "devices": devices,
                         "operator_revenue_cny": r.operator_revenue_cny,
                         "operator_cost_cny": r.operator_cost_cny,
                         "operator_margin_cny": r.operator_margin_cny,
                         "partner_revenue_cny": r.partner_revenue_cny})
    return rows


def _business(m: CameraModel) -> dict[str, float]:
    rows = [r for r in business_rows(m) if r["business_model"] == m.s.economics.business_model]
    rented = float(m.cams.shop_rented.mean())
    mix = {r["devices"]: r for r in rows}

    def mixed(key: str) -> float:
        return float((1 - rented) * mix["bought"][key] + rented * mix["rented"][key])

    return {"operator_revenue_cny_per_shop_month": mixed("operator_revenue_cny"),
            "operator_cost_cny_per_shop_month": mixed("operator_cost_cny"),
            "operator_margin_cny_per_shop_month": mixed("operator_margin_cny"),
            "partner_revenue_cny_per_shop_month": mixed("partner_revenue_cny")}


def _record(m: CameraModel) -> None:
    from sim.cameras.opsstats import run_statistics

    s, cams, rec = m.s, m.cams, m.ctx.recorder
    live = m.live
    t = np.array([w["t_s"] for w in m.windows])
    rec.add_series("platform", {
        "t_s": t,
        "cameras_online": np.array([int(w["online"].sum()) for w in m.windows]),
        "upload_gbps": np.array([w["upload_gb"].sum() * 8.0 / s.window_s for w in m.windows]),
        "upload_backlog_gb": np.array([w["backlog_gb"] for w in m.windows]),
        "storage_tb": np.array([w["stored_gb"] / 1000.0 for w in m.windows]),
    })
    rec.add_series("opsstream", run_statistics(m))
    counts = np.bincount(cams.province, minlength=len(cams.provinces))
    sess_prov = cams.province[live.camera]
    prov = {
        "province": np.array(cams.provinces, dtype=object),
        "shops": np.bincount(cams.shop_province, minlength=len(cams.provinces)),
        "cameras": counts,
        "camera_profile": np.array([p.id for p in cams.profiles], dtype=object),
        "upload_gb": np.sum([w["upload_gb"] for w in m.windows], axis=0)
        if m.windows else np.zeros(len(cams.provinces)),
        "online_min_share": np.min([w["online"] / np.maximum(counts, 1) for w in m.windows],
                                   axis=0) if m.windows else np.ones(len(cams.provinces)),
    }
    for code, name in enumerate(OUTCOMES):
        prov[f"liveview_{name}"] = np.bincount(sess_prov[live.outcome == code],
                                               minlength=len(cams.provinces))
    rec.add_table("provinces", prov)
    rows = business_rows(m)
    rec.add_table("business", {k: [r[k] for r in rows] for k in rows[0]})
    if s.record_sessions:
        rec.add_table("sessions", {
            "arrival_s": live.arrival_s, "camera": live.camera,
            "province": np.array(cams.provinces, dtype=object)[sess_prov],
            "hold_s": live.hold_s,
            "outcome": np.array(OUTCOMES, dtype=object)[live.outcome.astype(np.int64)],
        })
    if m.campaign is not None:
        c = m.campaign
        rec.add_table("firmware", {
            "province": np.array(cams.provinces, dtype=object),
            "upgraded": np.bincount(cams.province[c.fw_state == fk.FW_OK],
                                    minlength=len(cams.provinces)),
            "bricked": np.bincount(cams.province[c.fw_state == fk.FW_BRICKED],
                                   minlength=len(cams.provinces)),
        })
