"""``fleettwin scenarios`` and ``fleettwin profiles``: what is available, a line each."""

from __future__ import annotations

import argparse
import sys

from sim.engine.loading import available_scenarios
from sim.schema.loader import load_yaml
from sim.schema.profiles import ProfileCatalog


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("scenarios", help="list shipped scenarios, one line each")
    p.set_defaults(func=cmd_scenarios)
    q = sub.add_parser("profiles", help="list hardware profiles, one line each")
    q.add_argument("--kind", help="only this kind (e.g. vehicle, vehicle_terminal)")
    q.add_argument("--all-versions", action="store_true", help="list every version")
    q.set_defaults(func=cmd_profiles)


def _first_line(text: str) -> str:
    return (text or "").strip().splitlines()[0] if (text or "").strip() else ""


def cmd_scenarios(args: argparse.Namespace) -> int:
    for path in available_scenarios():
        raw = load_yaml(path)
        kind = raw.get("kind", "?")
        sys.stdout.write(f"{path.stem:32s} {kind:12s} {_first_line(raw.get('description', ''))}\n")
    return 0


def cmd_profiles(args: argparse.Namespace) -> int:
    catalog = ProfileCatalog()
    entries = catalog.entries() if args.all_versions else catalog.latest()
    for e in entries:
        p = e.profile
        if args.kind and p.kind != args.kind:
            continue
        ref = f"{p.id}@{p.version}"
        sys.stdout.write(f"{p.kind:18s} {ref:32s} {_first_line(p.description)}\n")
    return 0
