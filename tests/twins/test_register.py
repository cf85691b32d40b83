"""Camera self-registration: a new camera's ``register`` makes it a device of the twin;
malformed serials, unknown models and wrong vendor codes are quarantined with the reason."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.twins.conftest import make_twin
from twins.ingest import Twin

T0 = 1704067200.0


def _write(path: Path, recs: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in recs), encoding="utf-8")
    return path


@pytest.fixture
def twin_dir(tmp_path: Path) -> Path:
    return make_twin(tmp_path / "twin", [("TYC-KNOWN0001", "camera", "shop_1080p", None)],
                     clock="none")


def _reg(dev: str, t: float = T0, **extra: object) -> dict:
    return {"device": dev, "ts_s": t, "msg": "register", "kind": "camera", **extra}


def test_new_camera_registers_and_reports(twin_dir: Path, tmp_path: Path) -> None:
    recs = [_reg("TYC-20130601AB", model="shop_1080p"),
            {"device": "TYC-20130601AB", "ts_s": T0 + 60, "kind": "camera",
             "streaming": True, "bitrate_kbps": 2048.0, "upload_mb": 12.5}]
    with Twin(twin_dir) as twin:
        rep = twin.ingest([_write(tmp_path / "a.jsonl", recs)])
        assert (rep.read, rep.accepted, rep.quarantined) == (2, 2, 0)
        states = twin.device_states().to_pylist()
    row = next(r for r in states if r["device"] == "TYC-20130601AB")
    assert row["kind"] == "camera"
    assert row["profile"] == "shop_1080p"
    assert row["records"] == 2
    assert row["upload_mb"] == 12.5
    # the registration survives a restart, and the camera is a known device afterwards
    with Twin(twin_dir) as twin:
        assert "TYC-20130601AB" in twin.ids
        rep = twin.ingest([_write(tmp_path / "b.jsonl", [
            {"device": "TYC-20130601AB", "ts_s": T0 + 120, "kind": "camera",
             "streaming": False}])])
        assert rep.accepted == 1
        assert twin.store.query("SELECT count(*) AS n FROM registered").column(0)[0].as_py() == 1


@pytest.mark.parametrize(("record", "why"), [
    (_reg("tyc-123"), r"device: malformed camera serial 'tyc-123' in a registration"),
    (_reg("NODASH12345678"), r"malformed camera serial 'NODASH12345678'"),
    (_reg("TYC-20130601AB", model="nosuch"), r"model: unknown camera model 'nosuch' in a "
                                             r"registration \(known: .*shop_1080p"),
    (_reg("ABC-20130601AB", model="shop_1080p"), r"does not start with the vendor code 'TYC'"),
])
def test_bad_registration_is_quarantined_with_its_reason(twin_dir: Path, tmp_path: Path,
                                                         record: dict, why: str) -> None:
    follow = {"device": record["device"], "ts_s": T0 + 60, "kind": "camera", "streaming": True}
    with Twin(twin_dir) as twin:
        rep = twin.ingest([_write(tmp_path / "bad.jsonl", [record, follow])])
        assert (rep.read, rep.accepted, rep.quarantined) == (2, 0, 2)
        reasons = twin.store.query("SELECT reason FROM quarantine ORDER BY position"
                                   ).column(0).to_pylist()
        assert record["device"] not in twin.ids
    import re

    assert re.search(why, reasons[0]), reasons[0]
    assert "unknown device" in reasons[1]


def test_unknown_vehicle_registration_is_still_an_unknown_device(twin_dir: Path,
                                                                 tmp_path: Path) -> None:
    rec = {"device": "013899999999", "ts_s": T0, "msg": "register", "kind": "vehicle"}
    with Twin(twin_dir) as twin:
        rep = twin.ingest([_write(tmp_path / "v.jsonl", [rec])])
        assert rep.quarantined == 1
        assert list(rep.reasons) == ["unknown device"]


def test_registration_with_a_bad_field_registers_nothing(twin_dir: Path,
                                                         tmp_path: Path) -> None:
    recs = [_reg("TYC-20130601CD", bitrate_kbps=-5.0),
            {"device": "TYC-20130601CD", "ts_s": T0 + 60, "kind": "camera", "streaming": True}]
    with Twin(twin_dir) as twin:
        rep = twin.ingest([_write(tmp_path / "c.jsonl", recs)])
        assert (rep.accepted, rep.quarantined) == (0, 2)
        assert "TYC-20130601CD" not in twin.ids
        reasons = twin.store.query("SELECT reason FROM quarantine ORDER BY position"
                                   ).column(0).to_pylist()
    assert "bitrate_kbps -5 out of range" in reasons[0]
    assert "registration in this batch was refused" in reasons[1]


def test_a_storm_of_registrations_counts_add_up(twin_dir: Path, tmp_path: Path) -> None:
    good = [_reg(f"TYC-STORM{i:05d}", T0 + i * 0.01, model="shop_1080p") for i in range(300)]
    bad = [_reg(f"bad serial {i}", T0 + i) for i in range(20)]
    again = [_reg(f"TYC-STORM{i:05d}", T0 + 600 + i, model="shop_1080p") for i in range(50)]
    with Twin(twin_dir) as twin:
        rep = twin.ingest([_write(tmp_path / "storm.jsonl", good + bad + again)],
                          chunk_bytes=4096)
        assert rep.read == 370
        assert rep.accepted + rep.quarantined == rep.read
        assert (rep.accepted, rep.quarantined) == (350, 20)
        assert len(twin.ids) == 301
        counters = twin.counters()
    assert counters == {"read": 370, "accepted": 350, "quarantined": 20}
