"""Camera hardware profiles: the shipped ones load; a bad file names file, field, value."""

from __future__ import annotations

from pathlib import Path

import pytest

from sim.cameras.profiles import CameraProfile
from sim.errors import ProfileError
from sim.schema.profiles import ProfileCatalog


def test_shipped_camera_profiles_load() -> None:
    cat = ProfileCatalog()
    assert {"shop_1080p", "shop_720p"} <= set(cat.ids("camera"))
    prof = cat.get("camera", "shop_1080p").profile
    assert isinstance(prof, CameraProfile)
    assert prof.serial_prefix == "TYC"


def test_negative_bitrate_names_file_field_and_value(tmp_path: Path) -> None:
    d = tmp_path / "camera"
    d.mkdir()
    (d / "bad_cam.yaml").write_text(
        "id: bad_cam\nkind: camera\nresolution: 1080p\nbitrate_kbps: -2048\n"
        "motion_share: 0.2\nserial_prefix: TYC\n", encoding="utf-8")
    with pytest.raises(ProfileError, match=r"(?s)bad_cam\.yaml.*bitrate_kbps: Input should be "
                                           r"greater than 0 \(got -2048\)"):
        ProfileCatalog([tmp_path])


def test_unknown_resolution_is_refused(tmp_path: Path) -> None:
    d = tmp_path / "camera"
    d.mkdir()
    (d / "odd.yaml").write_text(
        "id: odd\nkind: camera\nresolution: 8k\nbitrate_kbps: 2048\nmotion_share: 0.2\n"
        "serial_prefix: TYC\n", encoding="utf-8")
    with pytest.raises(ProfileError, match=r"(?s)resolution.*'8k'"):
        ProfileCatalog([tmp_path])
