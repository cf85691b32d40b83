"""The what-if launcher on the Run page (Streamlit): declared fields, a background run with a
progress bar, then the side-by-side comparison with the original run."""

from __future__ import annotations

import math
import time
from pathlib import Path
from typing import Any

import streamlit as st

from dashboards import whatif
from dashboards.data import RunInfo
from dashboards.ui import guarded, set_selected
from sim.errors import FleetTwinError

JOB = "whatif_job"


def _inputs(fields: list[whatif.Field]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    cols = st.columns(min(len(fields), 3))
    for i, f in enumerate(fields):
        col = cols[i % len(cols)]
        key = f"whatif_{f.path}"
        if f.type == "choice":
            options = list(f.choices) if f.current in f.choices else [f.current, *f.choices]
            values[f.path] = col.selectbox(f.label, options, index=options.index(f.current),
                                           key=key)
        elif f.type == "float":
            big = abs(float(f.current)) >= 100  # a capacity, not a factor: whole steps
            step = 10.0 ** max(int(math.log10(abs(float(f.current)))) - 1, 0) if big else 0.1
            values[f.path] = col.number_input(f.label, value=float(f.current), step=step,
                                              format="%.0f" if big else "%.2f", key=key,
                                              help=f"now {f.current:,}")
        elif f.type == "scale":
            values[f.path] = col.number_input(f.label, value=1.0, step=0.1, format="%.2f",
                                              key=key, help=f"now {f.current:,}")
        else:
            values[f.path] = col.number_input(f.label, value=int(f.current), step=1, key=key,
                                              help=f"now {f.current:,}")
    return values


def _follow(job: whatif.Job) -> None:
    """Show the job's progress until it ends, then open the comparison with its origin."""
    bar = st.progress(0.0, text=f"running `{job.plan.name}` …")
    while job.poll() is None:
        p = job.progress()
        bar.progress(p, text=f"running `{job.plan.name}`: {p:.0%} "
                     f"({time.monotonic() - job.started_s:.0f} s)")
        time.sleep(0.5)
    st.session_state.pop(JOB, None)
    if job.poll() != 0:
        bar.empty()
        st.error(f"The what-if run failed:\n\n```\n{job.error()}\n```",
                 icon=":material/error:")
        return
    bar.progress(1.0, text="done")
    set_selected([job.plan.origin, job.run_name])
    st.switch_page("views/compare.py")


def whatif_panel(run: RunInfo, root: Path) -> None:
    """Change a few declared fields of ``run``'s scenario and run it again in the background."""
    with guarded("what-if"):
        job = st.session_state.get(JOB)
        if isinstance(job, whatif.Job):
            st.caption(f"What-if of `{job.plan.origin}` still running:")
            _follow(job)
            return
        fields = whatif.fields_for(run)
        if not fields:
            st.info(f"No what-if fields are declared for runs of kind `{run.kind or '?'}`.",
                    icon=":material/info:")
            return
        st.caption("Run this scenario again with the same seed and overrides, changing the "
                   "fields below; the new run lands in `whatif/` of the results folder and "
                   "opens side by side with this one.")
        with st.form("whatif_form", border=True):
            values = _inputs(fields)
            go = st.form_submit_button("Run what-if", type="primary",
                                       icon=":material/play_arrow:")
        if not go:
            whatif.warm_up(run.scenario)  # the form is on the page; the user fills it in
            return
        new = whatif.overrides_for(fields, values)
        try:
            plan = whatif.plan(run, root, new)
        except FleetTwinError as exc:
            st.error(f"fleettwin: error: {exc}", icon=":material/error:")
            return
        st.caption("fleettwin run " + " ".join(plan.argv[4:]))
        job = whatif.launch(plan)
        st.session_state[JOB] = job
        _follow(job)
