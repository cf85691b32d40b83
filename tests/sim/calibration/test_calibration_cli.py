"""``fleettwin calibrate``: new versions, provenance, refusal to overwrite, bad input."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import yaml

from sim.calibration.fields import calibratable_fields, field_target
from sim.calibration.versioning import list_calibration_reports
from sim.cli.main import main
from sim.errors import ProfileError
from sim.schema.profiles import ProfileCatalog

SAMPLES = Path(__file__).parents[3] / "hardware_profiles" / "samples"


def _csv(path: Path, header: str, rows: list[str]) -> Path:
    path.write_text("\n".join([header, *rows]) + "\n")
    return path


@pytest.fixture
def boot_csv(tmp_path: Path) -> Path:
    x = np.random.default_rng(0).lognormal(np.log(22.0), 0.25, 300)
    return _csv(tmp_path / "boot.csv", "boot_time_s", [f"{v:.3f}" for v in x])


def _run(*args: str) -> int:
    return main(["calibrate", *args, "--quiet", "--bootstrap", "30"])


def test_calibrate_writes_a_new_version_beside_the_old(profile_dir, boot_csv, capsys):
    assert _run("shop_cam", "--data", str(boot_csv), "--field", "boot_time_s") == 0
    out = capsys.readouterr().out
    assert "chosen: lognormal" in out and "bootstrap p" in out
    new = profile_dir / "test_camera" / "shop_cam.v2.yaml"
    data = yaml.safe_load(new.read_text())
    assert data["version"] == 2 and data["boot_time_s"]["family"] == "lognormal"
    assert data["boot_time_s"]["unit"] == "s"
    assert data["boot_time_s"]["median"] == pytest.approx(22.0, rel=0.05)
    prov = data["provenance"][-1]
    assert prov["derived_from"] == "shop_cam@1" and prov["sample_size"] == 300
    assert prov["censored"] == 0 and len(prov["data_sha256"]) == 64
    assert prov["fit"]["family"] == "lognormal" and "aic" in prov["fit"]
    assert prov["fit"]["gof"]["p_bootstrap"] is not None
    # The catalog resolves the id to the new version; @1 still reaches the old file.
    cat = ProfileCatalog([profile_dir])
    assert cat.get("test_camera", "shop_cam").profile.version == 2
    old = cat.get("test_camera", "shop_cam@1")
    assert old.path.name == "shop_cam.yaml" and old.profile.boot_time_s.sigma == 0.3
    # The report folder and its plots.
    reports = list_calibration_reports("shop_cam", dirs=[profile_dir])
    assert len(reports) == 1
    rep = reports[0]
    assert rep.version == 2 and rep.field == "boot_time_s" and rep.family == "lognormal"
    assert {p.name for p in rep.plots} == {"histogram.png", "qq.png"}
    assert all(p.stat().st_size > 1000 for p in rep.plots)
    assert rep.report["data"]["n"] == 300


def test_second_calibration_gets_the_next_version(profile_dir, boot_csv):
    assert _run("shop_cam", "--data", str(boot_csv), "--field", "boot_time_s") == 0
    assert _run("shop_cam", "--data", str(boot_csv), "--field", "stream.bitrate_mbps",
                "--column", "boot_time_s", "--family", "gamma", "--no-plots") == 0
    v3 = yaml.safe_load((profile_dir / "test_camera" / "shop_cam.v3.yaml").read_text())
    assert v3["stream"]["bitrate_mbps"]["family"] == "gamma"
    assert v3["stream"]["bitrate_mbps"]["unit"] == "mbps"
    assert v3["boot_time_s"]["family"] == "lognormal"  # carried over from v2
    assert [p["derived_from"] for p in v3["provenance"]] == ["shop_cam@1", "shop_cam@2"]


def test_existing_target_is_refused_without_force(profile_dir, boot_csv, tmp_path, capsys):
    out_dir = tmp_path / "elsewhere"
    args = ("shop_cam", "--data", str(boot_csv), "--field", "boot_time_s",
            "--out-dir", str(out_dir), "--no-plots")
    assert _run(*args) == 0
    target = out_dir / "test_camera" / "shop_cam.v2.yaml"
    before = target.read_text()
    assert _run(*args) == 2
    assert "refusing to overwrite" in capsys.readouterr().err
    assert target.read_text() == before
    assert _run(*args, "--force", "--seed", "5") == 0
    assert not (profile_dir / "test_camera" / "shop_cam.v2.yaml").exists()


def test_censored_failure_times_calibrate_a_rate_field(profile_dir, tmp_path):
    rng = np.random.default_rng(1)
    t = 2000.0 * rng.weibull(1.3, 400)
    w = rng.uniform(300, 4000, 400)
    rows = [f"{min(a, b):.2f},{int(a > b)}" for a, b in zip(t, w, strict=True)]
    f = _csv(tmp_path / "ttf.csv", "hours,still_working", rows)
    assert _run("shop_cam", "--data", str(f), "--field", "failure_rate_per_1000h",
                "--censor-column", "still_working", "--interval", "asymptotic") == 0
    data = yaml.safe_load((profile_dir / "test_camera" / "shop_cam.v2.yaml").read_text())
    true_rate = 1000.0 / (2000.0 * 0.9236)  # 1000 / (scale * Gamma(1 + 1/1.3))
    assert data["failure_rate_per_1000h"] == pytest.approx(true_rate, rel=0.15)
    prov = data["provenance"][-1]
    assert prov["censored"] == int((t > w).sum())
    assert prov["fit"]["family"] in {"weibull", "gamma"}
    rep = list_calibration_reports("shop_cam", dirs=[profile_dir])[0]
    assert "survival.png" in {p.name for p in rep.plots}


BAD = {
    "empty": ("", "empty"),
    "header only": ("boot_time_s\n", "no data rows"),
    "non-numeric": ("boot_time_s\n12\nabc\n14\n", r"boot_time_s \(row 3\): not a finite number"),
    "negative": ("boot_time_s\n12\n-4\n14\n", r"row 3\): negative value"),
    "all censored": ("boot_time_s,c\n12,1\n13,1\n", "all 2 rows are censored"),
    "bad flag": ("boot_time_s,c\n12,maybe\n13,0\n", r"c \(row 2\): censoring flag"),
}


@pytest.mark.parametrize("case", list(BAD))
def test_bad_data_is_an_error_naming_file_and_field(case, profile_dir, tmp_path, capsys):
    text, pattern = BAD[case]
    f = tmp_path / "bad.csv"
    f.write_text(text)
    extra = ["--censor-column", "c"] if ",c" in text else []
    assert _run("shop_cam", "--data", str(f), "--field", "boot_time_s", *extra) == 2
    err = capsys.readouterr().err
    assert str(f) in err
    assert __import__("re").search(pattern, err), err
    assert "Traceback" not in err
    assert not list((profile_dir / "test_camera").glob("*.v2*"))


@pytest.mark.parametrize(("field", "pattern"), [
    ("no_such_field", r"has no field 'no_such_field' \(calibratable fields: boot_time_s"),
    ("channels", r"channels: field is not a quantity or a float"),
    ("stream.nope", r"has no field 'nope' under 'stream'"),
])
def test_bad_field_is_an_error_naming_it(field, pattern, profile_dir, boot_csv, capsys):
    assert _run("shop_cam", "--data", str(boot_csv), "--field", field) == 2
    err = capsys.readouterr().err
    assert __import__("re").search(pattern, err), err
    assert "shop_cam.yaml" in err
    assert not list((profile_dir / "test_camera").glob("*.v2*"))


def test_unknown_profile_and_missing_file(profile_dir, boot_csv, tmp_path, capsys):
    assert _run("nope_cam", "--data", str(boot_csv), "--field", "boot_time_s") == 2
    assert "no such profile" in capsys.readouterr().err
    assert _run("shop_cam", "--data", str(tmp_path / "missing.csv"), "--field",
                "boot_time_s") == 2
    assert "missing.csv" in capsys.readouterr().err


def test_fit_outside_the_schema_bounds_writes_nothing(profile_dir, tmp_path, capsys):
    # stream.reconnect_s must be <= 60 s; these measurements have a mean near 100 s.
    x = np.random.default_rng(2).gamma(20.0, 5.0, 100)
    f = _csv(tmp_path / "r.csv", "reconnect_s", [f"{v:.2f}" for v in x])
    assert _run("shop_cam", "--data", str(f), "--field", "stream.reconnect_s") == 2
    err = capsys.readouterr().err
    assert "stream.reconnect_s" in err and "less than or equal to 60" in err
    assert not list((profile_dir / "test_camera").glob("*.v2*"))


def test_empirical_needs_a_quantity_field(profile_dir, tmp_path, capsys):
    f = _csv(tmp_path / "r.csv", "reconnect_s", ["1.0", "2.0", "3.0", "4.0", "5.0", "6.0"])
    assert _run("shop_cam", "--data", str(f), "--field", "stream.reconnect_s",
                "--family", "empirical") == 2
    assert "needs a Quantity field" in capsys.readouterr().err


def test_twin_folder_parquet_is_searched_for_the_column(profile_dir, tmp_path, capsys):
    import pyarrow as pa
    import pyarrow.parquet as pq

    twin = tmp_path / "twin"
    (twin / "state").mkdir(parents=True)
    x = np.random.default_rng(3).lognormal(3.0, 0.2, 200)
    pq.write_table(pa.table({"device": np.arange(200), "boot_time_s": x}),
                   twin / "state" / "boots.parquet")
    pq.write_table(pa.table({"device": np.arange(5)}), twin / "devices.parquet")
    assert _run("shop_cam", "--data", str(twin), "--field", "boot_time_s", "--no-plots") == 0
    assert "boots.parquet" in capsys.readouterr().out
    assert _run("shop_cam", "--data", str(twin), "--field", "stream.bitrate_mbps",
                "--no-plots") == 2
    assert "no Parquet file in the folder has this column" in capsys.readouterr().err


def test_field_lookup_is_generic(camera_kind):
    assert calibratable_fields(camera_kind) == [
        "boot_time_s", "failure_rate_per_1000h", "stream.bitrate_mbps", "stream.reconnect_s"]
    t = field_target(camera_kind, "failure_rate_per_1000h", "x")
    assert (t.kind, t.derive, t.rate_per, t.rate_unit) == ("float", "rate", 1000.0, "h")
    assert field_target(camera_kind, "stream.bitrate_mbps", "x").kind == "quantity"
    with pytest.raises(ProfileError, match="version: field is not a quantity"):
        field_target(camera_kind, "version", "x")


def test_dry_run_writes_nothing(profile_dir, boot_csv, capsys):
    assert _run("shop_cam", "--data", str(boot_csv), "--field", "boot_time_s",
                "--dry-run") == 0
    assert "dry run: would write" in capsys.readouterr().out
    assert not list((profile_dir / "test_camera").glob("*.v2*"))


def test_empirical_family_writes_quantiles(profile_dir, boot_csv):
    assert _run("shop_cam", "--data", str(boot_csv), "--field", "boot_time_s",
                "--family", "empirical") == 0
    data = yaml.safe_load((profile_dir / "test_camera" / "shop_cam.v2.yaml").read_text())
    q = data["boot_time_s"]
    assert q["family"] == "empirical" and len(q["values"]) == 21
    assert q["values"] == sorted(q["values"])


def test_family_choices_match_the_library():
    from sim.calibration.profile_fit import FAMILY_CHOICES as LIB
    from sim.cli.calibrate import FAMILY_CHOICES as CLI

    assert LIB == CLI


def test_shipped_sample_calibrates_a_shipped_profile(tmp_path, capsys):
    code = main(["calibrate", "sedan_ice", "--kind", "vehicle", "--data",
                 str(SAMPLES / "vehicle_repair_time.csv"), "--field", "repair_time_h",
                 "--out-dir", str(tmp_path), "--quiet", "--bootstrap", "20", "--no-plots"])
    assert code == 0
    data = yaml.safe_load((tmp_path / "vehicle" / "sedan_ice.v2.yaml").read_text())
    assert data["repair_time_h"]["family"] in {"lognormal", "gamma"}
    rep = json.loads((tmp_path / "vehicle" / "sedan_ice.v2.calibration" / "report.json")
                     .read_text())
    assert rep["data"]["n"] == 250 and rep["candidates"][0]["delta_aic"] == 0


def test_behaviour_commands_print_and_write_reports(tmp_path, capsys):
    assert main(["calibrate-behaviour", "zipf", "--data", str(SAMPLES / "channel_viewers.csv"),
                 "--simulations", "100", "--quiet", "--out", str(tmp_path / "z")]) == 0
    out = capsys.readouterr().out
    assert "channel_zipf=" in out
    rep = json.loads((tmp_path / "z" / "report.json").read_text())
    assert rep["interval_95"][0] < rep["exponent"] < rep["interval_95"][1]
    assert (tmp_path / "z" / "zipf.png").exists()
    assert main(["calibrate-behaviour", "demand", "--data", str(SAMPLES / "hourly_trips.csv"),
                 "--quiet", "--out", str(tmp_path / "d")]) == 0
    assert "demand.requests_per_day=" in capsys.readouterr().out
    assert (tmp_path / "d" / "hourly_rates.png").exists()
