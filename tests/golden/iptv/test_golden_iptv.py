"""Golden outputs of a small scenario of each IPTV kind, checked at exact equality.

A change to any number is deliberate: regenerate with ``python -m tests.golden.iptv.cases``
and commit the new JSON with the reason.
"""

from __future__ import annotations

import json

import pytest

from tests.golden.iptv.cases import CASES, golden_path, run_case


@pytest.mark.parametrize("name", sorted(CASES))
def test_golden(name: str) -> None:
    want = json.loads(golden_path(name).read_text())
    got = run_case(name)
    assert got["kpis"] == want["kpis"]
    assert got["full"] == want["full"]
    assert got["series"] == want["series"]
    assert got["tables"] == want["tables"]
