"""Plot functions, the run report and the CLI commands of the dashboard."""

from __future__ import annotations

import shutil

import pytest

from dashboards import city
from dashboards.plot_profiles import distribution_fields, plot_distribution
from dashboards.plot_series import sla_for_column
from dashboards.provinces import province_frame
from dashboards.report import write_report
from sim.cli.dashboard import streamlit_command
from sim.cli.main import build_parser, main
from sim.schema.profiles import ProfileCatalog

PNG = b"\x89PNG\r\n\x1a\n"
SLA = [{"kpi": "wait_p95_s", "op": "<=", "threshold": 480.0, "name": "p95", "passed": False},
       {"kpi": "service_rate", "op": ">=", "threshold": 0.95, "passed": True}]


def test_sla_matches_same_kpi_or_same_quantity_and_unit():
    assert [v["kpi"] for v in sla_for_column("wait_p95_s", SLA)] == ["wait_p95_s"]
    assert [v["kpi"] for v in sla_for_column("wait_mean_s", SLA)] == ["wait_p95_s"]
    assert [v["kpi"] for v in sla_for_column("service_rate", SLA)] == ["service_rate"]
    assert sla_for_column("served", SLA) == [] and sla_for_column("wait_km", SLA) == []


def test_city_aggregates(results):
    run = results / "taxi-batch"
    w = city.waits_s(run)
    assert w.size > 100 and (w >= 0).all()
    by_h = city.wait_by_interval(run, 3600.0)
    # Two replications: counts per interval are averages, their sum the mean request count.
    reqs = city.read_frame(run, city.REQUESTS, ["replication"])
    assert by_h["requests"].sum() == pytest.approx(len(reqs) / 2)
    m = city.city_map(run, max_legs=50)
    assert len(m.deadhead) <= 50 and m.deadhead_total >= len(m.deadhead)
    assert m.pickups.sum() > 0 and len(m.edges) > 100 and m.replication == 0


def test_report_of_a_city_run(results, tmp_path):
    run = tmp_path / "taxi"
    shutil.copytree(results / "taxi-nearest", run)
    paths = write_report(run)
    names = sorted(p.name for p in paths)
    assert names == ["demand.png", "fleet_state.png", "map.png", "series_fleet.png", "wait.png"]
    for p in paths:
        assert p.parent == run / "plots" and p.read_bytes()[:8] == PNG


def test_report_of_another_kind_and_of_bad_data(results, tmp_path):
    run = tmp_path / "nat"
    shutil.copytree(results / "national-synthetic", run)
    assert [p.name for p in write_report(run)] == ["series_network.png"]
    bad = tmp_path / "bad"
    shutil.copytree(results / "bad-parquet", bad)
    names = {p.name for p in write_report(bad)}  # the damaged files are skipped, not fatal
    assert "series_fleet.png" not in names and "demand.png" not in names


def test_report_command(results, tmp_path, capsys):
    run = tmp_path / "r"
    shutil.copytree(results / "taxi-nearest", run)
    assert main(["report", str(run)]) == 0
    assert "map.png" in capsys.readouterr().out
    assert main(["report", str(tmp_path / "missing")]) == 2
    assert "not a run directory" in capsys.readouterr().err


def test_run_with_plots_writes_the_report(tmp_path):
    from .conftest import SMALL

    assert main(["run", "city_taxi", "--out", str(tmp_path), "--name", "p", "--plots",
                 *SMALL]) == 0
    assert (tmp_path / "p" / "plots" / "map.png").read_bytes()[:8] == PNG


def test_dashboard_command_line(tmp_path):
    args = build_parser().parse_args(["dashboard", "--runs", str(tmp_path), "--port", "8999",
                                      "--no-browser"])
    cmd = streamlit_command(args)
    assert cmd[1:4] == ["-m", "streamlit", "run"] and cmd[4].endswith("app.py")
    assert cmd[cmd.index("--server.port") + 1] == "8999"
    assert cmd[cmd.index("--server.headless") + 1] == "true"
    assert cmd[-2:] == ["--runs", str(tmp_path.resolve())]
    assert main(["dashboard", "--port", "0", "--runs", str(tmp_path)]) == 2
    afile = tmp_path / "file"
    afile.write_text("x")
    assert main(["dashboard", "--runs", str(afile)]) == 2


def test_province_frame_has_every_province():
    # The figures themselves are checked against stored images (test_plot_images.py).
    gdf = province_frame()
    assert len(gdf) == 31 and gdf.crs.to_epsg() == 4326
    assert gdf["target_10k"].notna().all()


def test_every_profile_distribution_can_be_drawn():
    drawn = 0
    for entry in ProfileCatalog().latest():
        for name, dist in distribution_fields(entry.profile).items():
            fig = plot_distribution(dist, name)
            ax = fig.axes[0]
            # Something was drawn over the distribution's support, and it is titled.
            assert ax.lines or ax.patches, name
            assert ax.get_title(), name
            drawn += 1
    assert drawn >= 5


def test_html_report_of_runs_is_self_contained(results, tmp_path, capsys):
    from dashboards.report_html import pdf_converter

    out = tmp_path / "cmp.html"
    assert main(["report", str(results / "taxi-nearest"), str(results / "taxi-batch"),
                 "--html", "--out", str(out)]) == 0
    printed = capsys.readouterr().out.split()
    assert printed[0] == str(out)
    html = out.read_text(encoding="utf-8")
    assert html.startswith("<!DOCTYPE html>")
    assert "<h2>Comparison</h2>" in html and "Δ[1] vs [0]" in html
    assert "SLA verdict:" in html and "Empty-running ratio (空驶率)" in html
    assert html.count("data:image/png;base64,") >= 4  # the key charts, embedded
    assert "@font-face" in html  # the CJK glyphs travel with the file
    assert "src=\"http" not in html and "href=\"http" not in html  # nothing fetched
    assert "deadhead_ratio</td>" not in html  # labels, not field names
    if pdf_converter() is not None:
        pdf = out.with_suffix(".pdf")
        assert str(pdf) in printed and pdf.read_bytes()[:5] == b"%PDF-"


def test_report_refuses_bad_output(results, tmp_path, capsys):
    run = str(results / "taxi-nearest")
    assert main(["report", run, "--html", "--out", str(tmp_path)]) == 2
    assert "is a folder" in capsys.readouterr().err
    assert main(["report", run, "--html", "--out", str(tmp_path / "no" / "r.html")]) == 2
    assert "does not exist" in capsys.readouterr().err
    assert main(["report", run, "--out", str(tmp_path / "r.html")]) == 2
    assert "--html" in capsys.readouterr().err
