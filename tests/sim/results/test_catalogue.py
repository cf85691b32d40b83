"""The KPI catalogue: every KPI a model kind declares has an entry; labels and formats."""

from __future__ import annotations

import math

import pytest

from sim.errors import FleetTwinError
from sim.results import catalogue as cat
from sim.results.catalogue import entry, format_as, label, missing, show


def test_every_declared_kpi_of_every_model_kind_has_an_entry():
    # Read at test time: a model kind or KPI added later without an entry fails here.
    from sim.engine.registry import model_kinds

    declared = {kind: list(mk.kpis) for kind, mk in model_kinds().items()}
    assert declared, "no model kinds registered"
    assert missing(declared) == [], (
        "KPIs without a catalogue entry (add them to sim/results/kpis/<kind>.yaml)")


def test_missing_names_an_unknown_kpi_and_an_unknown_kind():
    assert missing({"city_fleet": ["wait_p95_s", "brand_new_kpi"]}) == [
        ("city_fleet", "brand_new_kpi")]
    assert missing({"no_such_kind": ["x"]}) == [("no_such_kind", "x")]


def test_the_dispatch_kpis_are_catalogued():
    for name in ("rejection_rate", "occupancy", "pooled_share", "detour_ratio",
                 "stops_per_vehicle_h", "on_time_rate_urgent", "on_time_rate_ordinary"):
        assert entry(name, "city_fleet").known, name


def test_entries_are_complete_and_consistent():
    for kind, entries in cat.catalogue().items():
        for name, e in entries.items():
            assert e.meaning.endswith("."), (kind, name)
            if name.endswith("_s"):
                assert e.format == "duration", (kind, name)
            if name.endswith("_cny"):
                assert e.format == "yuan", (kind, name)


def test_labels_use_the_source_documents_chinese_term():
    assert label("deadhead_ratio", "city_fleet") == "Empty-running ratio (空驶率)"
    assert label("deadhead_ratio", "city_fleet", zh=False) == "Empty-running ratio"
    assert label("wait_mean_s", "hotline") == "Mean wait for an agent"
    assert label("wait_mean_s", "city_fleet") == "Mean wait for pickup"


@pytest.mark.parametrize(("name", "value", "shown"), [
    ("abandonment_rate", 0.008264, "0.8%"),
    ("vod_blocking", 0.0004, "0.04%"),
    ("service_rate", 1.0, "100.0%"),
    ("wait_p95_s", 507.3, "8.5 min"),
    ("wait_mean_s", 42.0, "42 s"),
    ("boot_t99_s", 9000.0, "2.5 h"),
    ("cost_cny", 1234567.8, "¥1,234,568"),
    ("requests", 24000, "24,000"),
    ("telemetry_mb", 12.345, "12.3 MB"),
    ("km_total", 15321.2, "15,321 km"),
    ("fw_aborted", 0.0, "no"),
    ("detour_ratio", 1.2345, "1.23"),
    ("cdn_peak_gbps", 3.14159, "3.14 Gbit/s"),
])
def test_values_are_formatted_by_their_entry(name, value, shown):
    assert show(name, value) == shown


def test_missing_values_are_na_not_nan():
    assert show("wait_p95_s", None) == "n/a"
    assert show("wait_p95_s", math.nan) == "n/a"
    assert show("service_rate", math.inf) == "n/a"


def test_deltas_in_the_kpis_own_unit():
    assert entry("service_rate").show_delta(0.9469, 0.971) == "+2.4 pp"
    assert entry("wait_p95_s").show_delta(507.3, 312.1) == "-3.3 min"
    assert entry("cost_cny").show_delta(1000, 1500) == "+¥500"
    assert entry("cost_cny").show_delta(None, 1500) == ""


def test_directions():
    assert entry("service_rate").direction == 1
    assert entry("wait_p95_s").direction == -1
    assert entry("requests").direction == 0


def test_an_unknown_kpi_gets_a_readable_label_and_a_format_from_its_suffix():
    e = entry("queue_drain_s", "some_new_kind")
    assert not e.known
    assert e.label == "Queue drain"
    assert e.show(90) == "1.5 min"
    assert entry("late_share").show(0.25) == "25.0%"
    assert format_as("number", 1234.5) == "1,234"


def test_a_broken_catalogue_file_names_the_file_field_and_value():
    with pytest.raises(FleetTwinError, match=r"bad\.yaml: kpis\.x\.format: .*'percentage'"):
        cat._read_file("bad.yaml", "kind: k\nkpis:\n  x: {label: X, meaning: m., "
                       "format: percentage}\n")
    with pytest.raises(FleetTwinError, match=r"bad\.yaml: not valid YAML"):
        cat._read_file("bad.yaml", "kind: [\n")
