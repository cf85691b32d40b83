"""fleettwin dashboard: the Streamlit entry script (``fleettwin dashboard`` starts it).

Pages: Runs, Run, Compare, Rollout map, Hardware profiles. The results folder comes from
``--runs DIR`` after the script name or the ``FLEETTWIN_RUNS`` environment variable.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from dashboards.ui import runs, runs_root

HERE = Path(__file__).parent

st.set_page_config(page_title="fleettwin", page_icon="🚕", layout="wide")

PAGES = [
    st.Page(HERE / "pages" / "runs.py", title="Runs", icon="📋", url_path="runs", default=True),
    st.Page(HERE / "pages" / "run.py", title="Run", icon="📈", url_path="run"),
    st.Page(HERE / "pages" / "compare.py", title="Compare", icon="⚖️", url_path="compare"),
    st.Page(HERE / "pages" / "rollout.py", title="Rollout map", icon="🗺️", url_path="rollout"),
    st.Page(HERE / "pages" / "profiles.py", title="Hardware profiles", icon="🔧",
            url_path="profiles"),
]

page = st.navigation(PAGES)
root = runs_root()
with st.sidebar:
    st.caption(f"Results folder: `{root}`")
    listing = runs(root)
    bad = sum(not r.ok for r in listing)
    st.caption(f"{len(listing) - bad} runs" + (f", {bad} with problems" if bad else ""))
page.run()
