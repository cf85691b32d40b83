"""An IPTV run started from an initial state: clock, box states, firmware, bad input."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from sim.engine.loading import load_scenario
from sim.engine.simulation import run_scenario
from sim.errors import DataError
from sim.iptv.state import (
    OFFLINE,
    STANDBY,
    UNKNOWN,
    VIEWING,
    IptvInitialState,
    box_index,
    device_id,
)

SCENARIO = Path(__file__).parents[2] / "twins" / "data" / "iptv_small_campaign.yaml"
N_BOXES = 1200  # 10 x 60 + 15 x 40, fixed site sizes


def loaded(*sets: str):  # noqa: ANN201
    return load_scenario(SCENARIO, list(sets))


def mixed_state(t0_s: float = 20 * 3600.0) -> IptvInitialState:
    """Every 5th box offline, every 3rd viewing, the rest standby; every 4th on 2.0."""
    box = np.arange(N_BOXES)
    state = np.where(box % 5 == 0, OFFLINE, np.where(box % 3 == 0, VIEWING, STANDBY))
    firmware = np.where(box % 4 == 0, 1, 0)
    return IptvInitialState(t0_s=t0_s, box=box, state=state, firmware=firmware,
                            firmware_versions=["1.0", "2.0"])


def test_device_ids_round_trip() -> None:
    assert device_id(42) == "stb-00000042"
    assert box_index(device_id(4_500_000)) == 4_500_000
    assert box_index("013800000001") is None


def test_campaign_targets_only_online_boxes_not_yet_upgraded() -> None:
    init = mixed_state()
    res = run_scenario(loaded(), initial_state=init)
    box = np.arange(N_BOXES)
    offline = box % 5 == 0
    current = box % 4 == 0
    expected = ~offline & ~current
    assert res.kpis["boxes"] == N_BOXES
    assert res.kpis["fw_boxes"] == expected.sum()
    rep = res.replications[0]
    tab = rep.tables["boxes"].to_pandas().sort_values("box")
    targeted = (tab["fw_outcome"] != "not_targeted").to_numpy()
    assert (targeted == expected).all()
    fw = tab["firmware"].to_numpy()
    assert (fw[current] == "2.0").all() and (fw[offline & ~current] == "1.0").all()
    assert res.kpis["fw_done_share"] > 0.99
    # offline boxes stay offline; they are exactly the offline count from the first window
    net = rep.series["network"].to_pandas()
    bricked = (tab["fw_outcome"] == "bricked").sum()
    assert net["offline"].iloc[0] == pytest.approx(offline.sum())
    assert net["offline"].iloc[-1] == pytest.approx(offline.sum() + bricked)
    assert (tab["state"].to_numpy()[offline] == "offline").all()
    # viewing boxes start live: the first window's viewers are close to their count
    viewing = (mixed_state().state == VIEWING).sum()
    first = net["live"].iloc[0] + net["vod"].iloc[0]
    assert 0.85 * viewing < first < 1.1 * viewing


def test_clock_starts_at_t0() -> None:
    unknown = IptvInitialState(t0_s=0.0, box=np.zeros(0), state=np.zeros(0),
                               firmware=np.zeros(0))
    sets = ["events.firmware_campaign=null", "horizon_s=1800"]
    night = run_scenario(loaded(*sets), initial_state=IptvInitialState(
        t0_s=4 * 3600.0, box=unknown.box, state=unknown.state, firmware=unknown.firmware))
    evening = run_scenario(loaded(*sets), initial_state=IptvInitialState(
        t0_s=20 * 3600.0, box=unknown.box, state=unknown.state, firmware=unknown.firmware))
    live_night = night.replications[0].series["network"].to_pandas()["live"].iloc[0]
    live_evening = evening.replications[0].series["network"].to_pandas()["live"].iloc[0]
    # on-share at 04:00 is 2% (hotel) and 1% (residential); at 20:00 50% and 46%
    assert live_night < 0.05 * N_BOXES
    assert live_evening > 0.3 * N_BOXES


def test_same_state_same_seed_same_run() -> None:
    a = run_scenario(loaded("horizon_s=7200"), initial_state=mixed_state())
    b = run_scenario(loaded("horizon_s=7200"), initial_state=mixed_state())
    assert a.kpis == b.kpis
    assert a.replications[0].tables["boxes"].equals(b.replications[0].tables["boxes"])
    c = run_scenario(loaded("horizon_s=7200"), initial_state=mixed_state(t0_s=3 * 3600.0))
    assert c.kpis != a.kpis


def test_without_initial_state_every_box_is_targeted() -> None:
    res = run_scenario(loaded("horizon_s=3600"))
    assert res.kpis["fw_boxes"] == N_BOXES
    tab = res.replications[0].tables["boxes"].to_pandas()
    assert set(tab["firmware"]) <= {"1.0", "2.0"}
    assert list(tab["device"][:2]) == ["stb-00000000", "stb-00000001"]


def test_record_boxes_off_writes_no_table() -> None:
    res = run_scenario(loaded("horizon_s=1800", "record_boxes=false"))
    assert "boxes" not in res.replications[0].tables


@pytest.mark.parametrize(("change", "message"), [
    ({"box": [0, N_BOXES]}, r"box: 1 box indices outside the population \(0\.\.1199\), "
                            r"e\.g\. stb-00001200"),
    ({"box": [3, 3]}, r"box: boxes given more than once"),
    ({"firmware": [0, 5]}, r"firmware: 1 firmware codes outside the 2 firmware_versions"),
    ({"state": [0, 7]}, r"state: 1 unknown state codes"),
    ({"t0_s": 90000.0}, r"t0_s: time of day must be in \[0, 86400\)"),
])
def test_bad_initial_state_is_a_clear_error(change: dict, message: str) -> None:
    fields = {"t0_s": 0.0, "box": [0, 1], "state": [UNKNOWN, STANDBY], "firmware": [0, 1],
              "firmware_versions": ["1.0", "2.0"], "source": "twin-x"}
    fields.update(change)
    with pytest.raises(DataError, match=r"twin-x") as err:
        run_scenario(loaded("horizon_s=600"), initial_state=IptvInitialState(**fields))
    assert err.match(message)


def test_firmware_the_campaign_cannot_upgrade_is_an_error() -> None:
    init = IptvInitialState(t0_s=0.0, box=[0, 1, 2], state=[STANDBY] * 3, firmware=[0, 1, 2],
                            firmware_versions=["1.0", "2.0", "0.9-beta"], source="twin-y")
    with pytest.raises(DataError, match=r"1 boxes run firmware the campaign does not upgrade "
                       r"from .*stb-00000002.*0\.9-beta"):
        run_scenario(loaded("horizon_s=600"), initial_state=init)
    # without upgrades_from any version is upgraded
    res = run_scenario(loaded("horizon_s=600", "events.firmware_campaign.upgrades_from=[]"),
                       initial_state=init)
    assert res.kpis["fw_boxes"] == N_BOXES - 1


def test_scenario_fields_are_validated() -> None:
    from sim.errors import ScenarioError

    with pytest.raises(ScenarioError, match=r"events\.firmware_campaign\.version"):
        loaded("events.firmware_campaign.version=" + json.dumps(""))
