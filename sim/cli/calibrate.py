"""``fleettwin calibrate`` and ``fleettwin calibrate-behaviour``: fit profiles and behaviours.

``calibrate PROFILE --data FILE --field NAME`` fits a profile field to measured samples and
writes a new profile version (never overwriting: an existing target needs ``--force``).
``calibrate-behaviour zipf|demand --data FILE`` fits a scenario parameter seen only in
aggregate and prints it with its interval (``--out DIR`` also writes a report and plots).
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
from pathlib import Path
from typing import Any

from sim.cli.checks import int_in, seed_type
from sim.cli.tables import render

#: Same as ``sim.calibration.profile_fit.FAMILY_CHOICES`` (kept here so that building the
#: parser does not import scipy).
FAMILY_CHOICES = ("auto", "exponential", "lognormal", "gamma", "weibull", "normal", "empirical")


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "calibrate", help="fit a hardware-profile field to measured data; write a new version",
        description="Fit a profile field (a Quantity or float) to measured samples by maximum "
        "likelihood, choose the family by AIC, test the fit, and write PROFILE as a new "
        "version <id>.v<N>.yaml next to the old one with its provenance and a report folder "
        "<id>.v<N>.calibration/ (report.json, PNG plots).",
        epilog="Quantity fields get the fitted distribution; float fields one number: the "
        "fitted mean, N / mean for *_rate_per_<N><unit> fields (data = times between "
        "events, e.g. times to failure) and sd / mean for *_cv fields. With censored data or "
        "a rate field, auto compares the lifetime families (exponential, Weibull, gamma, "
        "lognormal). The new version is one above the highest known; an existing target "
        "file is never replaced without --force.")
    p.add_argument("profile", help="profile id (latest version) or id@version")
    p.add_argument("--data", required=True, type=Path,
                   help="CSV or Parquet file, or a folder of Parquet files (twin data)")
    p.add_argument("--field", required=True,
                   help="profile field to calibrate (dotted for nested sections)")
    p.add_argument("--kind", help="profile kind (needed only if the id exists in several kinds)")
    p.add_argument("--column", help="data column (default: the field name, or the only column)")
    p.add_argument("--censor-column", metavar="COL",
                   help="column flagging right-censored rows (1/true = still working at the end "
                   "of observation, 0/false = failure observed)")
    p.add_argument("--table", help="in a folder: the Parquet file to read (stem or path)")
    p.add_argument("--family", default="auto", choices=FAMILY_CHOICES,
                   help="family to fit; auto = lowest AIC among the parametric ones")
    p.add_argument("--interval", default="bootstrap", choices=("bootstrap", "asymptotic"),
                   help="parameter intervals: bootstrap percentile or asymptotic (Wald)")
    p.add_argument("--bootstrap", type=int_in(0, 100_000, "a number of resamples"), default=200,
                   metavar="N",
                   help="bootstrap resamples for intervals and goodness of fit (default 200)")
    p.add_argument("--seed", type=seed_type, default=0, help="seed of the bootstrap (default 0)")
    p.add_argument("--out-dir", type=Path,
                   help="write the new version under OUT_DIR/<kind>/ instead of beside the old")
    p.add_argument("--force", action="store_true", help="replace an existing target version")
    p.add_argument("--dry-run", action="store_true", help="fit and report; write nothing")
    p.add_argument("--no-plots", action="store_true", help="write no PNG plots")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_calibrate)

    b = sub.add_parser(
        "calibrate-behaviour", help="fit a scenario behaviour to aggregate measurements",
        description="Fit a parameter seen only in aggregate by matching simulated to measured "
        "aggregates: the Zipf exponent of channel popularity from viewers per channel, or the "
        "24 hourly demand rates from trip counts per hour over several days.")
    bs = b.add_subparsers(dest="behaviour", metavar="BEHAVIOUR", required=True)
    z = bs.add_parser("zipf", help="channel-popularity exponent from viewers per channel")
    z.add_argument("--data", required=True, type=Path, help="CSV/Parquet: one row per channel")
    z.add_argument("--column", default=None, help="viewer-count column (default: viewers)")
    z.add_argument("--channels", type=int_in(1, 100_000, "a channel count"),
                   help="channel count, if channels with no viewer are missing from the file")
    z.add_argument("--simulations", type=int_in(1, 100_000, "a number of simulations"),
                   default=400,
                   help="simulated data sets per grid point (default 400)")
    _behaviour_common(z)
    z.set_defaults(func=cmd_zipf)
    d = bs.add_parser("demand", help="24 hourly Poisson rates from trip counts per hour")
    d.add_argument("--data", required=True, type=Path,
                   help="CSV/Parquet with day, hour, trips columns; or a trips table with "
                   "created_s (e.g. a run's tables/requests.parquet)")
    d.add_argument("--column", default=None, help="count column (default: trips)")
    _behaviour_common(d)
    d.set_defaults(func=cmd_demand)


def _behaviour_common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--seed", type=seed_type, default=0,
                   help="seed of the simulations (default 0)")
    p.add_argument("--out", type=Path, help="write report.json and PNG plots into this folder")
    p.add_argument("--quiet", action="store_true", help="no progress bar")


def load_profile_kinds() -> None:
    """Import the model modules and every ``sim.<package>.profiles`` module, so that every
    profile kind the project defines is registered before the catalog is read."""
    import pkgutil

    import sim
    from sim.engine.registry import MODEL_MODULES

    names = list(MODEL_MODULES) + [f"sim.{m.name}.profiles" for m in
                                   pkgutil.iter_modules(sim.__path__) if m.ispkg]
    for mod in names:
        try:
            importlib.import_module(mod)
        except (ImportError, SyntaxError):  # no such module, or one still being written
            continue


def _fmt(v: Any) -> str:
    return "n/a" if v is None else f"{v:.4g}" if isinstance(v, float) else str(v)


def cmd_calibrate(args: argparse.Namespace) -> int:
    from sim.calibration.data import load_samples
    from sim.calibration.fields import field_target
    from sim.calibration.profile_fit import calibrate_field
    from sim.calibration.versioning import find_profile, plan_version, write_version
    from sim.schema.loader import load_yaml
    from sim.schema.profiles import ProfileCatalog, ProfileError

    load_profile_kinds()
    catalog = ProfileCatalog()
    entry = find_profile(catalog, args.profile, args.kind)
    prof = entry.profile
    target = field_target(type(prof), args.field, str(entry.path))
    samples = load_samples(args.data, args.column, args.censor_column, args.table,
                           default_column=target.name)
    ref = f"{prof.id}@{prof.version}"
    calib = calibrate_field(prof.kind, ref, load_yaml(entry.path, ProfileError), target,
                            samples, args.family, args.interval, args.bootstrap, args.seed,
                            progress=not args.quiet)
    out = sys.stdout
    out.write(f"profile {prof.kind}/{ref}, field {target.path}; data {samples.source} "
              f"(column {samples.column}): n = {samples.n}, censored = {samples.n_censored}\n")
    if calib.fits:
        rows = [[c["family"], "  ".join(f"{k}={_fmt(v)}" for k, v in c["params"].items()),
                 _fmt(c["loglik"]), _fmt(c["aic"]), _fmt(c["delta_aic"]), f"{c['weight']:.3f}"]
                for c in calib.candidates()]
        out.write(render(["family", "parameters", "log L", "AIC", "dAIC", "weight"], rows) + "\n")
        out.write(f"chosen: {calib.chosen.family.name if calib.chosen else calib.family} "
                  f"({calib.method})\n")
        rows = [[k, _fmt(calib.chosen.named.get(k)) if calib.chosen and k in calib.chosen.named
                 else _fmt(calib.value if isinstance(calib.value, float) else None),
                 _fmt(lo), _fmt(hi)] for k, (lo, hi) in calib.intervals.items()]
        out.write(render(["parameter", "estimate", "95% low", "95% high"], rows) + "\n")
    if calib.gof is not None:
        g = calib.gof
        name = "KS" if g.statistic == "ks" else "KS vs Kaplan-Meier"
        out.write(f"goodness of fit: {name} D = {g.d:.4f}, bootstrap p = {_fmt(g.p_boot)} "
                  f"({g.n_boot} refitted simulations)")
        if g.statistic == "ks":
            out.write(f"; naive p = {g.p_naive:.3g}; Anderson-Darling A2 = {g.a2:.3f}, "
                      f"bootstrap p = {_fmt(g.p_boot_a2)}")
        out.write(f"\n  note: {g.caveat}\n")
    out.write(f"new value of {target.path}: {json.dumps(calib.value)}\n")
    plan = plan_version(catalog, entry, args.out_dir)
    if args.dry_run:
        out.write(f"dry run: would write {plan.profile_path} (version {plan.version})\n")
        return 0
    plots = None
    if not args.no_plots:
        plots = _plotter(calib)
    path, report = write_version(entry, calib, plan, plots, force=args.force)
    out.write(f"wrote {path} (version {plan.version}; {prof.id}@{prof.version} kept)\n"
              f"report: {report}\n")
    return 0


def _plotter(calib: Any) -> Any:
    from dashboards.calibration_plots import write_profile_plots

    fits = [(f.family.name, f.frozen()) for f in calib.fits]
    chosen = calib.chosen.family.name if calib.chosen else None
    if calib.chosen is None:  # empirical: plot the quantile function's law
        from sim.schema.distributions import Empirical

        fits = [("empirical", Empirical.model_validate(calib.value).scipy())]
        chosen = "empirical"
    title = f"{calib.profile_ref.split('@')[0]}: {calib.target.path}"
    s = calib.samples

    def draw(folder: Path) -> list[Path]:
        return write_profile_plots(folder, s.values, s.censored, fits, chosen, calib.unit, title)

    return draw


def cmd_zipf(args: argparse.Namespace) -> int:
    from sim.calibration.zipf import fit_zipf, load_counts

    counts = load_counts(args.data, args.column or "viewers", args.channels)
    res = fit_zipf(counts, n_sim=args.simulations, seed=args.seed, progress=not args.quiet)
    out = sys.stdout
    out.write(f"data {args.data}: {res.channels} channels, {res.total} viewers\n")
    rows = [["simulation-matched (reported)", f"{res.exponent:.4f}", f"{res.low:.4f}",
             f"{res.high:.4f}"],
            ["naive multinomial MLE on ranked counts", f"{res.naive:.4f}", f"{res.naive_low:.4f}",
             f"{res.naive_high:.4f}"]]
    out.write(render(["estimate of Zipf exponent s", "value", "95% low", "95% high"], rows) + "\n")
    out.write(f"goodness of fit: rank-frequency distance p = {res.p_value:.3g} "
              f"({args.simulations} simulations at the fitted s)\n")
    out.write("scenario setting (iptv): --set viewing.VERTICAL.channel_zipf="
              f"{res.exponent:.4g}\n")
    if args.out:
        from dashboards.calibration_plots import plot_zipf

        _write_behaviour(args.out, res.as_dict(), {"zipf.png": plot_zipf(
            res.counts, res.expected, res.band_low, res.band_high, res.exponent)})
    return 0


def cmd_demand(args: argparse.Namespace) -> int:
    from sim.calibration.demand import fit_hourly_rates, load_hourly_counts

    counts = load_hourly_counts(args.data, args.column)
    res = fit_hourly_rates(counts, seed=args.seed, progress=not args.quiet)
    out = sys.stdout
    out.write(f"data {args.data}: {res.days} days, {int(res.counts.sum())} trips\n")
    rows = [[f"{h:02d}", f"{r:.2f}", f"{lo:.2f}", f"{hi:.2f}", f"{disp:.2f}", f"{p:.3g}"]
            for h, (r, lo, hi, disp, p) in enumerate(zip(res.rates_per_h, res.low, res.high,
                                                         res.dispersion, res.dispersion_p,
                                                         strict=True))]
    out.write(render(["hour", "trips/h", "95% low", "95% high", "var/mean", "Poisson p"], rows)
              + "\n")
    out.write(f"overall Poisson dispersion test p = {res.overall_p:.3g}\n")
    if res.check is not None:
        out.write(f"check with the city demand generator: {res.check['note']}\n")
    st = res.scenario_settings()
    out.write(f"scenario setting (city_fleet): --set demand.requests_per_day="
              f"{st['requests_per_day']:g} --set demand.hourly_profile="
              f"[{','.join(f'{w:g}' for w in st['hourly_profile'])}]\n")
    if args.out:
        from dashboards.calibration_plots import plot_hourly_rates

        _write_behaviour(args.out, res.as_dict(), {"hourly_rates.png": plot_hourly_rates(
            res.rates_per_h, res.low, res.high, res.counts)})
    return 0


def _write_behaviour(folder: Path, report: dict[str, Any], figs: dict[str, Any]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for name, fig in figs.items():
        fig.savefig(folder / name, dpi=110)
    report["plots"] = list(figs)
    (folder / "report.json").write_text(json.dumps(report, indent=2), encoding="utf-8")
    sys.stdout.write(f"report: {folder}\n")
