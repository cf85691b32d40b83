"""The Gehring & Homberger R2/RC2 instances added to ``validation/data/``: each loads with
its header and 200 customers. Every shipped best-known row is consistent with lower bounds
that hold for any solution (minimum spanning tree, capacity, farthest customer)."""

from __future__ import annotations

import csv
import math
import shutil
from pathlib import Path

import numpy as np
import pytest
from scipy.sparse.csgraph import minimum_spanning_tree

from validation.dynamic_vrp.instances import (
    DATA_DIR,
    FOLDERS,
    Instance,
    available,
    load_instance,
    read_instance,
)

#: Added instances: name -> (customers, fleet, capacity) as printed in each file's header.
ADDED = {f"{series}_2_{k}": (200, 50, 1000) for series in ("r2", "rc2") for k in range(1, 11)}


def mst_length(inst: Instance) -> float:
    """Length of the minimum spanning tree over the depot and every customer.

    Any set of depot-based routes covering every node is a connected graph on all nodes,
    so its length is at least the MST's."""
    return float(minimum_spanning_tree(inst.dist).sum())


@pytest.fixture(scope="module", params=sorted(ADDED))
def inst(request: pytest.FixtureRequest) -> Instance:
    return load_instance(request.param)


def test_loads_with_header_and_customer_count(inst: Instance) -> None:
    customers, fleet, capacity = ADDED[inst.name]
    assert inst.kind == "vrptw"
    assert (inst.vehicles, inst.capacity) == (fleet, capacity)
    assert inst.xy.shape == (customers + 1, 2)
    assert inst.task_nodes()[0].size == customers
    assert inst.demand[0] == 0 and np.all(inst.demand[1:] > 0)
    assert np.all(inst.ready <= inst.due) and np.all(inst.service[1:] > 0)
    assert 1 <= inst.best_vehicles <= fleet


def test_every_customer_alone_is_servable(inst: Instance) -> None:
    """Straight from the depot, each customer can be served in its window and left in time
    to get back before the depot closes (a check on the columns being read in order)."""
    d0 = inst.dist[0, 1:]
    start = np.maximum(inst.ready[1:], inst.ready[0] + d0)
    assert np.all(start <= inst.due[1:])
    assert np.all(start + inst.service[1:] + d0 <= inst.horizon + 1e-9)


def bound_problems(inst: Instance) -> list[str]:
    """The best-known row against bounds every feasible solution meets."""
    problems = []
    mst = mst_length(inst)
    if inst.best_distance < mst:
        problems.append(f"distance {inst.best_distance} < MST {mst:.4f}")
    farthest_round_trip = 2.0 * float(inst.dist[0, 1:].max())
    if inst.best_distance < farthest_round_trip:
        problems.append(f"distance {inst.best_distance} < farthest round trip "
                        f"{farthest_round_trip:.4f}")
    # Only without pickups and deliveries: a PDPTW vehicle frees capacity as it delivers.
    by_capacity = math.ceil(inst.demand.sum() / inst.capacity)
    if inst.kind == "vrptw" and inst.best_vehicles < by_capacity:
        problems.append(f"vehicles {inst.best_vehicles} < total demand / capacity "
                        f"({by_capacity})")
    return problems


@pytest.mark.parametrize("name", available("vrptw") + available("pdptw"))
def test_best_known_respects_lower_bounds(name: str) -> None:
    """Every shipped instance, the earlier ones included."""
    assert bound_problems(load_instance(name)) == []


def test_bounds_catch_a_mistyped_best_known_row(tmp_path: Path) -> None:
    """The same instance with its row mistyped (decimal point shifted, one vehicle short)
    fails both the spanning-tree and the capacity bound."""
    folder = DATA_DIR / FOLDERS["vrptw"]
    shutil.copy(folder / "r2_2_1.txt", tmp_path / "r2_2_1.txt")
    (tmp_path / "best_known.csv").write_text(
        "instance,routes,distance\nr2_2_1,3,448.31598\n")
    problems = bound_problems(read_instance(tmp_path / "r2_2_1.txt", "vrptw"))
    assert len(problems) == 2
    assert problems[0].startswith("distance 448.31598 < MST 1351.")
    assert problems[1] == "vehicles 3 < total demand / capacity (4)"


@pytest.mark.parametrize("kind", sorted(FOLDERS))
def test_best_known_rows_and_files_match(kind: str) -> None:
    """Each shipped instance has exactly one best-known row and each row an instance file."""
    folder = DATA_DIR / FOLDERS[kind]
    with (folder / "best_known.csv").open(newline="") as fh:
        rows = [r["instance"] for r in csv.DictReader(fh)]
    files = sorted(p.stem for p in folder.glob("*.txt"))
    assert sorted(rows) == files
    if kind == "vrptw":
        assert set(ADDED) <= set(files)
