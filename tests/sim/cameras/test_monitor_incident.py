"""The abnormal-event monitor catches a power cut the model run did not predict."""

from __future__ import annotations

import pandas as pd

from sim.engine.simulation import Simulation
from sim.opsstream.monitor import Rule, Rules, incidents, prediction
from tests.sim.cameras.conftest import small

EPOCH_S = 1704038400.0  # local midnight of the observed day


def _stream(*extra: str) -> tuple[pd.DataFrame, float]:
    loaded = small("reboot=null", "firmware_campaign=null", *extra)
    rep = Simulation(loaded, seed=11).run()
    return rep.series["opsstream"].to_pandas(), loaded.scenario.start_hour


def test_power_cut_is_an_incident_in_its_province_only() -> None:
    predicted_raw, start_hour = _stream("power_cut=null")
    observed_raw, _ = _stream("power_cut.province=Fujian", "power_cut.at_s=3600",
                              "power_cut.duration_s=1500", "power_cut.share=0.5")
    predicted = prediction(predicted_raw, start_hour)
    observed = observed_raw.rename(columns={"t_s": "window_start_s"}).assign(
        window_start_s=lambda d: EPOCH_S + start_hour * 3600.0 + d["window_start_s"])
    rules = Rules(rules=[Rule(statistic="cameras_online", relative=0.05, sigmas=3.0)])
    found = incidents(observed, predicted, rules, EPOCH_S)
    assert set(found["district"]) == {"Fujian"}
    assert set(found["statistic"]) == {"cameras_online"}
    # the windows starting while the power is off (3600 s to 5100 s; cameras are counted
    # at a window's start)
    starts = sorted((found["window_start_s"] - EPOCH_S - start_hour * 3600.0).tolist())
    assert starts == [3600.0, 4200.0, 4800.0]
    # about half of Fujian's ~150 cameras are missing
    assert (found["departure"] < -50).all()
    assert (found["departure_bands"] < -1).all()
