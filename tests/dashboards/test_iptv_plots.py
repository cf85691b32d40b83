import pandas as pd
from matplotlib.figure import Figure

from dashboards import iptv_plots as ip


def test_plots_return_figures():
    rows = [{"window_s": w, "ratio": 1 + w / 1000, "vod_blocking": 0.05} for w in (10, 60, 600)]
    assert isinstance(ip.plot_convergence(rows), Figure)
    net = pd.DataFrame({"t_s": [0, 60, 120], "pon_peak_util": [0.1, 0.5, 0.9],
                        "olt_peak_util": [0.1, 0.2, 0.3], "live": [1, 2, 3], "vod": [0, 1, 1],
                        "standby": [5, 3, 2], "fw_gbps": [0, 1, 2]})
    assert isinstance(ip.plot_link_utilisation(net), Figure)
    assert isinstance(ip.plot_occupancy(net), Figure)
    assert isinstance(ip.plot_firmware(net, 40), Figure)
    boot = pd.DataFrame({"t_s": [0, 5, 10], "on_air": [0, 50, 100], "dhcp_rps": [10, 5, 0],
                         "auth_rps": [0, 5, 1], "epg_rps": [0, 2, 3]})
    assert isinstance(ip.plot_boot_storm(boot, 100), Figure)
    prov = pd.DataFrame({"province": ["A", "B"], "metro_peak_util": [0.3, 0.6]})
    assert isinstance(ip.plot_province_bars(prov), Figure)
