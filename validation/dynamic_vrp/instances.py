"""Benchmark instances (Solomon / Gehring-Homberger VRPTW, Li & Lim PDPTW) and their
best-known solutions, read from ``validation/data/``."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Literal

import numpy as np

from sim.errors import DataError, Problem

DATA_DIR = Path(__file__).resolve().parent.parent / "data"
FOLDERS = {"vrptw": "vrptw_gehring_homberger_200", "pdptw": "pdptw_li_lim_100"}


@dataclass(frozen=True)
class Instance:
    """One routing instance. Node 0 is the depot; arrays are indexed by node.

    Times are in the instance's own unit (travel time equals distance).
    For ``pdptw``, ``delivery_of[p]`` is the delivery node of pickup ``p`` (0 otherwise).
    """

    name: str
    kind: Literal["vrptw", "pdptw"]
    vehicles: int
    capacity: int
    xy: np.ndarray  # (n, 2) float
    demand: np.ndarray  # (n,) int, positive at customers / pickups
    ready: np.ndarray  # (n,) float
    due: np.ndarray  # (n,) float
    service: np.ndarray  # (n,) float
    delivery_of: np.ndarray  # (n,) int
    best_vehicles: int
    best_distance: float

    @property
    def horizon(self) -> float:
        """When the depot closes."""
        return float(self.due[0])

    @cached_property
    def dist(self) -> np.ndarray:
        """Euclidean distance matrix between all nodes (full precision)."""
        d = self.xy[:, None, :] - self.xy[None, :, :]
        return np.sqrt((d * d).sum(axis=-1))

    def task_nodes(self) -> tuple[np.ndarray, np.ndarray]:
        """Origin and destination node of each task (destination -1 for a VRPTW customer)."""
        if self.kind == "vrptw":
            origin = np.arange(1, self.xy.shape[0], dtype=np.int64)
            return origin, np.full(origin.size, -1, dtype=np.int64)
        origin = np.flatnonzero(self.delivery_of > 0).astype(np.int64)
        return origin, self.delivery_of[origin].astype(np.int64)

    def __hash__(self) -> int:
        return hash((self.kind, self.name))


def available(kind: str) -> list[str]:
    """Names of the instances of a kind shipped under ``validation/data/``."""
    return sorted(p.stem for p in (DATA_DIR / FOLDERS[kind]).glob("*.txt"))


def load_instance(name: str) -> Instance:
    """Read a shipped instance by name (``c1_2_1``, ``lc101``, ...)."""
    for kind, folder in FOLDERS.items():
        path = DATA_DIR / folder / f"{name}.txt"
        if path.is_file():
            return read_instance(path, kind)  # type: ignore[arg-type]
    known = ", ".join(available("vrptw") + available("pdptw"))
    raise DataError(str(DATA_DIR), [Problem("instance", f"no such instance (known: {known})",
                                            name)])


def read_instance(path: Path, kind: Literal["vrptw", "pdptw"]) -> Instance:
    """Parse a Solomon (``vrptw``) or Li & Lim (``pdptw``) file and its best-known row."""
    rows, problems = _numeric_rows(path)
    if kind == "vrptw":
        head, body, width = rows[:1], rows[1:], 7
    else:
        head, body, width = rows[:1], rows[1:], 9
    if not head or len(head[0]) < 2:
        problems.append(Problem("header", "needs vehicle count and capacity", head))
    bad = [i for i, r in enumerate(body) if len(r) != width]
    if bad:
        problems.append(Problem(f"line {bad[0] + 2}", f"expected {width} numbers per node",
                                body[bad[0]]))
    if len(body) < 2:
        problems.append(Problem("nodes", "needs a depot and at least one customer", len(body)))
    if problems:
        raise DataError(str(path), problems)
    a = np.asarray(body, dtype=float)
    if not np.array_equal(a[:, 0], np.arange(a.shape[0])):
        raise DataError(str(path), [Problem("nodes", "node ids must be 0, 1, 2, ... in order",
                                            a[:5, 0].tolist())])
    n = a.shape[0]
    delivery_of = np.zeros(n, dtype=np.int64)
    if kind == "pdptw":
        delivery_of = a[:, 8].astype(np.int64)
        pick = np.flatnonzero(delivery_of > 0)
        partner = a[delivery_of[pick], 7].astype(np.int64)
        if np.any(partner != pick):
            raise DataError(str(path), [Problem("siblings", "pickup and delivery siblings "
                                                "do not match", pick[partner != pick][:5])])
    best_v, best_d = _best_known(path.parent / "best_known.csv", path.stem)
    return Instance(
        name=path.stem, kind=kind, vehicles=int(head[0][0]), capacity=int(head[0][1]),
        xy=a[:, 1:3].copy(), demand=np.abs(a[:, 3]).astype(np.int64), ready=a[:, 4].copy(),
        due=a[:, 5].copy(), service=a[:, 6].copy(), delivery_of=delivery_of,
        best_vehicles=best_v, best_distance=best_d,
    )


def _numeric_rows(path: Path) -> tuple[list[list[float]], list[Problem]]:
    """All lines made only of numbers (Solomon files carry text headings between them)."""
    try:
        text = path.read_text()
    except OSError as exc:
        raise DataError(str(path), [Problem("", f"cannot read: {exc.strerror}",
                                            has_value=False)]) from None
    rows: list[list[float]] = []
    for line in text.splitlines():
        parts = line.split()
        if not parts:
            continue
        try:
            rows.append([float(p) for p in parts])
        except ValueError:
            continue
    return rows, []


def _best_known(csv_path: Path, name: str) -> tuple[int, float]:
    if csv_path.is_file():
        with csv_path.open(newline="") as fh:
            for row in csv.DictReader(fh):
                if row.get("instance") == name:
                    return int(row["routes"]), float(row["distance"])
    raise DataError(str(csv_path), [Problem("instance", "no best-known solution row", name)])
