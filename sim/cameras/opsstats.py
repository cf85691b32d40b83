"""A camera-platform run's 10-minute statistics per province (the operations stream)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim.cameras.liveview import BLOCKED, HOTLINK, SERVED

if TYPE_CHECKING:
    from sim.cameras.model import CameraModel


def run_statistics(m: CameraModel) -> dict[str, np.ndarray]:
    """Long-format columns ``t_s, window_s, district, statistic, value`` (one row per window,
    province and statistic), names from :data:`sim.opsstream.catalogue.STATISTICS`."""
    cams, live, w_s = m.cams, m.live, m.s.window_s
    n_prov = len(cams.provinces)
    starts = np.array([w["t_s"] for w in m.windows])
    if starts.size == 0:
        empty = np.zeros(0)
        return {"t_s": empty, "window_s": empty, "district": np.zeros(0, object),
                "statistic": np.zeros(0, object), "value": empty}
    n_win = starts.size

    def per_window(times: np.ndarray, prov: np.ndarray) -> np.ndarray:
        win = np.minimum((times // w_s).astype(np.int64), n_win - 1)
        out = np.zeros((n_win, n_prov))
        np.add.at(out, (win, prov), 1.0)
        return out

    sess_prov = cams.province[live.camera]
    served = live.outcome == SERVED
    ends = live.arrival_s + live.hold_s
    streaming = np.zeros((n_win, n_prov))
    for i, t_end in enumerate(starts + w_s):
        on = served & (live.arrival_s < t_end) & (ends >= t_end)
        streaming[i] = np.bincount(sess_prov[on], minlength=n_prov)
    done_t = np.asarray(m.registrar.done_t, float)
    done_c = np.asarray(m.registrar.done_cam, np.int64)
    stats = {
        "cameras_online": np.array([w["online"] for w in m.windows], float),
        "cameras_streaming": streaming,
        "camera_registrations": per_window(done_t, cams.province[done_c]),
        "camera_upload_gb": np.array([w["upload_gb"] for w in m.windows], float),
        "liveview_sessions": per_window(live.arrival_s, sess_prov),
        "liveview_blocked": per_window(live.arrival_s[live.outcome == BLOCKED],
                                       sess_prov[live.outcome == BLOCKED]),
        "hotlink_rejected": per_window(live.arrival_s[live.outcome == HOTLINK],
                                       sess_prov[live.outcome == HOTLINK]),
    }
    t, dist, name, value = [], [], [], []
    provinces = np.array(cams.provinces, dtype=object)
    for key, arr in stats.items():
        t.append(np.repeat(starts, n_prov))
        dist.append(np.tile(provinces, n_win))
        name.append(np.full(n_win * n_prov, key, dtype=object))
        value.append(arr.reshape(-1))
    n = sum(a.size for a in t)
    return {"t_s": np.concatenate(t), "window_s": np.full(n, w_s),
            "district": np.concatenate(dist), "statistic": np.concatenate(name),
            "value": np.concatenate(value)}
