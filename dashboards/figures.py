"""Figure plumbing shared by the plot modules: fresh Agg figures, PNG bytes, files.

Figures are made with :class:`matplotlib.figure.Figure` directly (never ``pyplot``), so no
global state leaks between the app's sessions or the report's figures.
"""

from __future__ import annotations

import io
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

from matplotlib.axes import Axes  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

#: Colours of the vehicle states, the same in every figure.
STATE_COLOURS = {
    "idle": "#8fbc8f",
    "to_pickup": "#f4a442",
    "busy": "#2e6fad",
    "repositioning": "#8e6bb8",
    "off_shift": "#c8c8c8",
    "maintenance": "#b04a4a",
}
PASS_COLOUR = "#2e8b57"
FAIL_COLOUR = "#c0392b"


def new_axes(ax: Axes | None = None, size: tuple[float, float] = (7.0, 3.6)) -> tuple[Figure, Axes]:
    """``ax`` and its figure, or a new constrained-layout figure with one axes."""
    if ax is not None:
        return ax.figure, ax  # type: ignore[return-value]
    fig = Figure(figsize=size, layout="constrained")
    return fig, fig.add_subplot()


def message_figure(text: str, size: tuple[float, float] = (6.0, 1.6)) -> Figure:
    """A small figure that only says ``text`` (for a plot without data)."""
    fig = Figure(figsize=size, layout="constrained")
    ax = fig.add_subplot()
    ax.axis("off")
    ax.text(0.5, 0.5, text, ha="center", va="center", wrap=True, color="0.3")
    return fig


def to_png(fig: Figure, dpi: int = 110) -> bytes:
    """The figure as PNG bytes."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)
    return buf.getvalue()


def save_png(fig: Figure, path: Path, dpi: int = 120) -> Path:
    """Write the figure to ``path`` (folders created) and return the path."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, format="png", dpi=dpi)
    return path
