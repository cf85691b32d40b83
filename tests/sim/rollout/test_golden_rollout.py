"""Golden KPIs and province table of the small rollout scenario, at exact equality.

A change to any number is deliberate: regenerate with
``FLEETTWIN_REGEN_GOLDEN=1 pytest tests/sim/rollout/test_golden_rollout.py`` and commit the
new JSON with the reason.
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import Any

GOLDEN = Path(__file__).parent / "data" / "small_rollout_golden.json"


def _plain(value: Any) -> Any:
    if isinstance(value, float) and math.isnan(value):
        return "nan"
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def test_golden(small_run) -> None:  # type: ignore[no-untyped-def]
    _, result = small_run
    prov = result.tables["provinces"].to_pydict()
    got = {"kpis": {k: _plain(float(v)) for k, v in result.kpis.items()},
           "provinces": {k: _plain(list(v)) for k, v in prov.items()}}
    got = json.loads(json.dumps(got))
    if os.environ.get("FLEETTWIN_REGEN_GOLDEN"):
        GOLDEN.write_text(json.dumps(got, indent=1, ensure_ascii=False) + "\n",
                          encoding="utf-8")
    want = json.loads(GOLDEN.read_text(encoding="utf-8"))
    assert got["kpis"] == want["kpis"]
    assert got["provinces"] == want["provinces"]
