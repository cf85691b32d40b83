"""One registration mechanism for model kinds, profile kinds (and dispatchers)."""

from __future__ import annotations

from typing import ClassVar

import pytest

from sim.engine.registry import MODEL_KINDS, Registry, model_kinds, plugin_modules
from sim.schema.profiles import PROFILE_KINDS


class _Thing:
    name: ClassVar[str] = "thing"


def test_register_as_decorator_and_look_up() -> None:
    reg: Registry[type] = Registry("widget", key=lambda c: c.name)
    assert reg.register(_Thing) is _Thing

    @reg.register
    class Other:
        name: ClassVar[str] = "other"

    assert sorted(reg) == ["other", "thing"]
    assert reg["other"] is Other
    assert "thing" in reg and "nothing" not in reg
    with pytest.raises(KeyError, match=r"unknown widget 'nope' \(known: other, thing\)"):
        reg["nope"]


def test_a_second_plug_in_under_a_taken_name_is_an_error() -> None:
    reg: Registry[type] = Registry("widget", key=lambda c: c.name)
    reg.register(_Thing)
    reg.register(_Thing)  # the same object again (a module imported twice) is fine

    class Impostor:
        name: ClassVar[str] = "thing"

    with pytest.raises(ValueError, match="widget 'thing' is registered twice"):
        reg.register(Impostor)


def test_model_and_profile_kinds_come_from_the_plug_in_modules() -> None:
    assert {"sim.city.model", "sim.iptv.model", "sim.hotline.model"} <= set(
        plugin_modules("model"))
    assert {"city_fleet", "iptv", "hotline"} <= set(model_kinds())
    assert model_kinds() is MODEL_KINDS
    assert {"vehicle", "vehicle_terminal", "stb", "link", "server"} <= set(PROFILE_KINDS)
