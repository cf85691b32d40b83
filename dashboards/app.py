"""fleettwin dashboard: the Streamlit entry script (``fleettwin dashboard`` starts it).

Pages: Runs, Run, Compare, Rollout map, Hardware profiles, Live operations, Camera
platform. The results folder comes from ``--runs DIR`` after the script name or the
``FLEETTWIN_RUNS`` environment variable.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from dashboards.ui import cjk_page_css, runs, runs_root

HERE = Path(__file__).parent

st.set_page_config(page_title="fleettwin", page_icon=":material/local_taxi:", layout="wide")

PAGES = [
    st.Page(HERE / "views" / "runs.py", title="Runs", icon=":material/table_rows:", url_path="runs", default=True),
    st.Page(HERE / "views" / "run.py", title="Run", icon=":material/monitoring:", url_path="run"),
    st.Page(HERE / "views" / "compare.py", title="Compare", icon=":material/compare_arrows:", url_path="compare"),
    st.Page(HERE / "views" / "rollout.py", title="Rollout map", icon=":material/map:", url_path="rollout"),
    st.Page(HERE / "views" / "profiles.py", title="Hardware profiles", icon=":material/memory:",
            url_path="profiles"),
    st.Page(HERE / "views" / "operations.py", title="Live operations", icon=":material/sensors:",
            url_path="operations"),
    st.Page(HERE / "views" / "cameras.py", title="Camera platform", icon=":material/videocam:",
            url_path="cameras"),
]

# Chinese KPI terms render with the CJK font shipped with the project, on any machine.
css = cjk_page_css()
if css:
    st.html(f"<style>{css}</style>")
page = st.navigation(PAGES)
root = runs_root()
with st.sidebar:
    st.caption(f"Results folder: `{root}`")
    listing = runs(root)
    bad = sum(not r.ok for r in listing)
    st.caption(f"{len(listing) - bad} runs" + (f", {bad} with problems" if bad else ""))
page.run()
