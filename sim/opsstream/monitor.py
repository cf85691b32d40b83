"""The abnormal-event monitor: a statistic outside the band a model run predicts.

A run predicts each statistic per district per window of the day (the mean over its
replications). A rule names a statistic (optionally some districts) and the band's half
width: the largest of ``absolute``, ``relative`` x the prediction and ``sigmas`` x its square
root (the Poisson spread of a count). A window whose observed value falls outside
``prediction +- half width`` is an incident: the statistic, the district, the window, what
was observed and predicted, and the departure (in the statistic's unit and in half widths).
This flags incidents, not recalibration hints: drift (:mod:`twins.drift`) is for the latter.

Rules file (YAML)::

    rules:
      - {statistic: cameras_online, relative: 0.1, sigmas: 3}
      - {statistic: liveview_blocked, absolute: 5, districts: [Fujian]}
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from pydantic import Field

from sim.errors import DataError, Problem
from sim.opsstream.catalogue import STATISTICS
from sim.schema.base import StrictModel
from sim.schema.loader import load_yaml, validate_model

DAY_S = 86400.0


class Rule(StrictModel):
    statistic: str = Field(min_length=1, max_length=100)
    districts: list[str] | None = Field(default=None, max_length=10_000)
    relative: float = Field(default=0.0, ge=0, le=100, description="share of the prediction")
    absolute: float = Field(default=0.0, ge=0, le=1e12, description="in the statistic's unit")
    sigmas: float = Field(default=3.0, ge=0, le=100, description="times sqrt(prediction)")
    min_expected: float = Field(default=0.0, ge=0, description="smaller predictions: no verdict")


class Rules(StrictModel):
    rules: list[Rule] = Field(min_length=1, max_length=1000)


def load_rules(path: str | Path) -> Rules:
    """Read and check a rules file; unknown statistics are errors (file, field, value)."""
    path = Path(path)
    rules = validate_model(Rules, load_yaml(path, DataError), path, DataError)
    problems = [Problem(f"rules[{i}].statistic", "unknown statistic (known: "
                        f"{', '.join(sorted(STATISTICS))})", r.statistic)
                for i, r in enumerate(rules.rules) if r.statistic not in STATISTICS]
    if problems:
        raise DataError(path, problems)
    return rules


def day_slot(t_s: np.ndarray | pd.Series, window_s: float) -> np.ndarray:
    """Window of the day of clock times ``t_s`` (seconds after local midnight)."""
    return (np.floor(np.mod(np.asarray(t_s, float), DAY_S) / window_s)).astype(np.int64)


def prediction(run_stream: pd.DataFrame, start_hour: float) -> pd.DataFrame:
    """Mean over replications per (window of the day, district, statistic) of a run's
    ``opsstream`` series (columns ``t_s, window_s, district, statistic, value``)."""
    df = run_stream.copy()
    window_s = float(df["window_s"].iloc[0]) if len(df) else 600.0
    df["slot"] = day_slot(df["t_s"] + start_hour * 3600.0, window_s)
    return (df.groupby(["slot", "district", "statistic"], as_index=False)["value"].mean()
            .rename(columns={"value": "expected"}))


def incidents(observed: pd.DataFrame, predicted: pd.DataFrame, rules: Rules,
              epoch_s: float) -> pd.DataFrame:
    """Windows outside their band.

    ``observed``: a twin's stream (``window_start_s`` Unix time, ``window_s``, ``district``,
    ``statistic``, ``value``); ``predicted`` from :func:`prediction`.
    """
    cols = ["window_start_s", "district", "statistic", "observed", "expected", "low", "high",
            "departure", "departure_bands"]
    if observed.empty or predicted.empty:
        return pd.DataFrame(columns=cols)
    obs = observed.copy()
    window_s = float(obs["window_s"].iloc[0])
    obs["slot"] = day_slot(obs["window_start_s"] - epoch_s, window_s)
    both = obs.merge(predicted, on=["slot", "district", "statistic"], how="inner")
    found = []
    for rule in rules.rules:
        sel = both[both["statistic"] == rule.statistic]
        if rule.districts is not None:
            sel = sel[sel["district"].isin(rule.districts)]
        sel = sel[sel["expected"] >= rule.min_expected]
        if sel.empty:
            continue
        exp = sel["expected"].to_numpy(float)
        half = np.maximum.reduce([np.full(exp.size, rule.absolute), rule.relative * np.abs(exp),
                                  rule.sigmas * np.sqrt(np.maximum(exp, 0.0))])
        dev = sel["value"].to_numpy(float) - exp
        out = np.abs(dev) > half
        if not out.any():
            continue
        hit = sel[out]
        found.append(pd.DataFrame({
            "window_start_s": hit["window_start_s"].to_numpy(),
            "district": hit["district"].to_numpy(), "statistic": rule.statistic,
            "observed": hit["value"].to_numpy(float), "expected": exp[out],
            "low": exp[out] - half[out], "high": exp[out] + half[out], "departure": dev[out],
            "departure_bands": dev[out] / np.where(half[out] > 0, half[out], np.nan)}))
    if not found:
        return pd.DataFrame(columns=cols)
    return pd.concat(found, ignore_index=True).sort_values(
        ["window_start_s", "district", "statistic"], ignore_index=True)[cols]
