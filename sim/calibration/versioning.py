"""Write a calibrated profile as a new version, and find the calibration reports.

A calibration never edits the profile it starts from. It writes ``<id>.v<N>.yaml`` with
``version: N`` (one above the highest version the catalog knows for that id) next to the old
file, or under ``OUT_DIR/<kind>/`` with ``--out-dir``, and its report (``report.json`` and the
plots) in the folder ``<id>.v<N>.calibration/`` beside it. The catalog then resolves ``id`` to
the new version while ``id@<old>`` still reaches the old one. If the target file exists the
write is refused unless ``force`` is set; both parts are written to temporary names and
renamed, the profile last, so a failure never leaves a profile without its report.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from sim.calibration.fields import set_path
from sim.calibration.profile_fit import Calibration
from sim.errors import Problem, ProfileError
from sim.schema.loader import load_yaml
from sim.schema.profiles import (
    PROFILE_KINDS,
    ProfileCatalog,
    ProfileEntry,
    default_profile_dirs,
    parse_profile,
)

REPORT_SUFFIX = ".calibration"


@dataclass(frozen=True)
class VersionPlan:
    """Where a new profile version goes."""

    version: int
    profile_path: Path
    report_dir: Path


@dataclass(frozen=True)
class CalibrationReport:
    """One calibration report found on disk (for listings and the dashboard)."""

    kind: str
    profile_id: str
    version: int
    folder: Path
    profile_path: Path
    field: str
    family: str
    date: str
    data_file: str
    plots: tuple[Path, ...]
    report: dict[str, Any]


def find_profile(catalog: ProfileCatalog, ref: str, kind: str | None) -> ProfileEntry:
    """Resolve ``ref`` (``id`` or ``id@N``) of ``kind`` (any kind if None) or raise."""
    kinds = [kind] if kind else sorted(PROFILE_KINDS)
    if kind and kind not in PROFILE_KINDS:
        raise ProfileError("--kind", [Problem("kind", f"unknown profile kind (known: "
                                              f"{', '.join(sorted(PROFILE_KINDS))})", kind)])
    found = []
    for k in kinds:
        try:
            found.append(catalog.get(k, ref))
        except KeyError:
            continue
    if len(found) == 1:
        return found[0]
    if not found:
        known = [f"{e.profile.kind}/{e.profile.id}" for e in catalog.latest()
                 if not kind or e.profile.kind == kind]
        raise ProfileError("profile", [Problem(ref, "no such profile" + (f" of kind {kind}"
                                               if kind else "") + f" (known: "
                                               f"{', '.join(known) or 'none'})", ref)])
    raise ProfileError("profile", [Problem(ref, "several kinds have this id, choose with "
                                           f"--kind: {[e.profile.kind for e in found]}", ref)])


def plan_version(catalog: ProfileCatalog, entry: ProfileEntry,
                 out_dir: Path | None = None) -> VersionPlan:
    """Next version number and paths for a calibration of ``entry``."""
    prof = entry.profile
    known = [e.profile.version for e in catalog.entries()
             if e.profile.kind == prof.kind and e.profile.id == prof.id]
    version = max(known) + 1
    folder = entry.path.parent if out_dir is None else Path(out_dir) / prof.kind
    stem = f"{prof.id}.v{version}"
    return VersionPlan(version, folder / f"{stem}.yaml", folder / f"{stem}{REPORT_SUFFIX}")


def new_profile_data(entry: ProfileEntry, calib: Calibration, version: int) -> dict[str, Any]:
    """The old file's data with the calibrated field, the version and the provenance chain."""
    old_data = dict(load_yaml(entry.path, ProfileError))
    head = {k: old_data[k] for k in ("id", "kind") if k in old_data}
    data = {**head, "version": version, **{k: v for k, v in old_data.items() if k not in head}}
    data["version"] = version
    set_path(data, calib.target.path, calib.value)
    old = data.get("provenance")
    chain = old if isinstance(old, list) else ([old] if old else [])
    data["provenance"] = [*chain, calib.provenance()]
    return data


def report_data(calib: Calibration, plan: VersionPlan) -> dict[str, Any]:
    """Everything about the calibration as a JSON-serialisable mapping."""
    x = calib.samples.values
    return {
        "kind": calib.kind,
        "profile": calib.profile_ref.split("@")[0],
        "version": plan.version,
        "derived_from": calib.profile_ref,
        "field": calib.target.path,
        "value": calib.value,
        "unit": calib.unit,
        "date": calib.date,
        "method": calib.method,
        "data": {"file": str(calib.samples.source), "sha256": calib.samples.sha256,
                 "column": calib.samples.column, "censor_column": calib.samples.censor_column,
                 "n": calib.samples.n, "censored": calib.samples.n_censored,
                 "min": float(x.min()), "max": float(x.max()), "mean": float(x.mean())},
        "fit": calib.fit_summary(),
        "candidates": calib.candidates(),
        "gof": calib.gof.as_dict() if calib.gof else None,
        "plots": [],
    }


def _json_default(o: Any) -> Any:
    return float(o) if hasattr(o, "__float__") else str(o)


def write_version(entry: ProfileEntry, calib: Calibration, plan: VersionPlan,
                  plots: Callable[[Path], Iterable[Path]] | None = None,
                  force: bool = False) -> tuple[Path, Path]:
    """Write the new profile version and its report folder; return both paths.

    Parameters
    ----------
    plots
        ``plots(folder) -> paths``: draws the report figures into ``folder``.
    force
        Replace an existing target file (and report folder) instead of refusing.

    Raises
    ------
    ProfileError
        The target exists (without ``force``), or the calibrated value does not satisfy the
        profile schema (e.g. a bound on the field); nothing is written then.
    """
    if plan.profile_path.exists() and not force:
        raise ProfileError(plan.profile_path, [Problem(
            "", "target profile version exists; refusing to overwrite (pass --force to "
            "replace it, or --out-dir to write elsewhere)", has_value=False)])
    data = new_profile_data(entry, calib, plan.version)
    parse_profile(plan.profile_path, data)  # the new version must be a valid profile
    folder = plan.profile_path.parent
    folder.mkdir(parents=True, exist_ok=True)
    tmp_dir = folder / f".{plan.report_dir.name}.tmp{os.getpid()}"
    if tmp_dir.exists():
        shutil.rmtree(tmp_dir)
    tmp_dir.mkdir()
    report = report_data(calib, plan)
    if plots is not None:
        report["plots"] = [p.name for p in plots(tmp_dir)]
    (tmp_dir / "report.json").write_text(json.dumps(report, indent=2, default=_json_default),
                                         encoding="utf-8")
    if plan.report_dir.exists():
        shutil.rmtree(plan.report_dir)
    tmp_dir.rename(plan.report_dir)
    header = (f"# {entry.profile.id} version {plan.version}: calibrated on {calib.date} from "
              f"{calib.samples.source.name} (field {calib.target.path}).\n"
              f"# Previous version: {calib.profile_ref}. Report: {plan.report_dir.name}/\n")
    tmp = folder / f".{plan.profile_path.name}.tmp{os.getpid()}"
    tmp.write_text(header + yaml.safe_dump(data, sort_keys=False, allow_unicode=True),
                   encoding="utf-8")
    os.replace(tmp, plan.profile_path)
    return plan.profile_path, plan.report_dir


def list_calibration_reports(profile_id: str | None = None, kind: str | None = None,
                             dirs: Iterable[Path] | None = None) -> list[CalibrationReport]:
    """Calibration reports under the profile folders, oldest version first.

    Parameters
    ----------
    profile_id
        Only this profile id (None: all).
    kind
        Only this kind (None: all).
    dirs
        Profile folders (default: the catalog's).
    """
    out = []
    for d in (dirs if dirs is not None else default_profile_dirs()):
        for rep in sorted(Path(d).glob(f"*/*{REPORT_SUFFIX}/report.json")):
            try:
                data = json.loads(rep.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                continue
            if profile_id and data.get("profile") != profile_id:
                continue
            if kind and data.get("kind") != kind:
                continue
            folder = rep.parent
            stem = folder.name.removesuffix(REPORT_SUFFIX)
            out.append(CalibrationReport(
                kind=str(data.get("kind", folder.parent.name)),
                profile_id=str(data.get("profile", "")),
                version=int(data.get("version", 0)),
                folder=folder,
                profile_path=folder.parent / f"{stem}.yaml",
                field=str(data.get("field", "")),
                family=str((data.get("fit") or {}).get("family", "")),
                date=str(data.get("date", "")),
                data_file=str((data.get("data") or {}).get("file", "")),
                plots=tuple(folder / p for p in data.get("plots", []) if (folder / p).exists()),
                report=data,
            ))
    return sorted(out, key=lambda r: (r.kind, r.profile_id, r.version))
