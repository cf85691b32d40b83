"""Hardware profiles: every profile, its parameters, its distributions drawn, its calibrations."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd
import streamlit as st

from dashboards.figures import to_png
from dashboards.plot_profiles import describe, distribution_fields, plot_distribution
from dashboards.ui import guarded
from sim.errors import ProfileError
from sim.schema.profiles import ProfileCatalog, default_profile_dirs

#: Calibration reports live beside the profile version they made: <kind>/<id>.v<N>.calibration/
REPORT_GLOB = "*/*.calibration/report.json"

st.title("Hardware profiles")


@st.cache_resource(show_spinner="Reading hardware profiles…", ttl=60)
def catalog(dirs: tuple[str, ...]) -> tuple[ProfileCatalog | None, str]:
    try:
        return ProfileCatalog([Path(d) for d in dirs]), ""
    except ProfileError as exc:
        return None, str(exc)


def calibration_reports(dirs: list[Path]) -> list[dict[str, Any]]:
    out = []
    for d in dirs:
        for rep in sorted(Path(d).glob(REPORT_GLOB)):
            try:
                data = json.loads(rep.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                out.append({"folder": rep.parent, "problem": "report.json unreadable"})
                continue
            if isinstance(data, dict):
                out.append({"folder": rep.parent, **data})
    return out


profile_dirs = default_profile_dirs()
cat, problem = catalog(tuple(str(d) for d in profile_dirs))
if problem:
    st.warning(f"Some profile files could not be read:\n\n```\n{problem}\n```", icon=":material/warning:")
if cat is None:
    st.stop()

entries = cat.entries()
if not entries:
    st.info("No hardware profiles found in " + ", ".join(map(str, cat.dirs)))
    st.stop()

rows = []
for e in entries:
    p = e.profile
    prov = p.provenance[-1] if isinstance(p.provenance, list) and p.provenance else p.provenance
    rows.append({"kind": p.kind, "id": p.id, "version": p.version,
                 "description": p.description, "vendor": p.vendor or "",
                 "source": getattr(prov, "source", "") if prov else "",
                 "distributions": len(distribution_fields(p)), "file": e.path.name})
listing = pd.DataFrame(rows)
kinds = sorted(listing["kind"].unique())
kind = st.selectbox("Kind", ["all", *kinds], key="prof_kind")
shown = listing if kind == "all" else listing[listing["kind"] == kind]
st.dataframe(shown, hide_index=True)

refs = [f"{r.kind}/{r.id}@{r.version}" for r in shown.itertuples()]
ref = st.selectbox("Profile", refs, key="prof_ref")
if ref:
    k, _, rest = ref.partition("/")
    pid, _, ver = rest.partition("@")
    with guarded(f"profile {ref}"):
        entry = cat.get(k, f"{pid}@{ver}")
        prof = entry.profile
        st.subheader(f"{prof.id} v{prof.version} ({prof.kind})")
        st.caption(f"{prof.description} · file `{entry.path}`")
        dists = distribution_fields(prof)
        params = []
        for name in type(prof).model_fields:
            if name in ("id", "kind", "version", "description", "vendor", "provenance"):
                continue
            value = getattr(prof, name)
            params.append({"parameter": name,
                           "value": describe(value) if name in dists else str(value),
                           "mean": f"{value.mean():.4g}" if name in dists else ""})
        st.dataframe(pd.DataFrame(params), hide_index=True)
        if dists:
            st.markdown("**Distributions**")
            cols = st.columns(2)
            for i, (name, dist) in enumerate(dists.items()):
                with cols[i % 2], guarded(f"distribution {name}"):
                    st.image(to_png(plot_distribution(dist, name)), caption=name)
        if prof.provenance:
            with st.expander("Provenance"):
                st.json(json.loads(json.dumps(
                    prof.model_dump(mode="json")["provenance"], default=str)))

    st.subheader("Calibration reports")
    reports = [r for r in calibration_reports(profile_dirs) if r.get("profile") == pid
               and r.get("kind", k) == k]
    if not reports:
        st.info(f"No calibration report for {pid}. Make one with "
                f"`fleettwin calibrate {pid} --data FILE --field NAME`.", icon=":material/info:")
    for rep in reports:
        folder = rep["folder"]
        with guarded(f"calibration report {folder.name}"):
            fit = rep.get("fit") or {}
            st.markdown(f"**{folder.name}**: field `{rep.get('field', '?')}`, family "
                        f"`{fit.get('family', '?')}`, date {rep.get('date', '?')}")
            if rep.get("problem"):
                st.warning(rep["problem"])
            pngs = [folder / p for p in rep.get("plots", []) if (folder / p).is_file()
                    and (folder / p).resolve().is_relative_to(folder.resolve())]
            if pngs:
                png_cols = list(st.columns(min(len(pngs), 3)))
                for i, png in enumerate(pngs):
                    png_cols[i % len(png_cols)].image(str(png), caption=png.name)
            with st.expander("report.json"):
                st.json({k2: v for k2, v in rep.items() if k2 != "folder"}, expanded=False)
