"""The named statistics of the operations stream: label, unit and which devices give them.

A statistic is one number per district (or province) per window. The twin computes all of
them from its store (:mod:`twins.opsstream`); a simulation run writes the ones its model
knows (a camera-platform run: the camera and live-view statistics) in the same long format,
so a twin's stream can be held against the band a run predicts (:mod:`sim.opsstream.monitor`).
"""

from __future__ import annotations

from dataclasses import dataclass

#: Columns of an operations-stream table (Parquet, one row per window, district, statistic).
COLUMNS = ("window_start_s", "window_s", "district", "statistic", "value")


@dataclass(frozen=True)
class Statistic:
    name: str
    label: str
    unit: str
    source: str
    """vehicle, stb, camera or all"""


def _s(name: str, label: str, unit: str, source: str) -> Statistic:
    return Statistic(name, label, unit, source)


STATISTICS: dict[str, Statistic] = {s.name: s for s in [
    _s("vehicles_online", "Vehicles online", "vehicles", "vehicle"),
    _s("vehicles_moving", "Vehicles moving", "vehicles", "vehicle"),
    _s("vehicles_stopped", "Vehicles stopped (speed under 5 km/h)", "vehicles", "vehicle"),
    _s("vehicles_idle", "Vehicles idle", "vehicles", "vehicle"),
    _s("vehicles_busy", "Vehicles on a task", "vehicles", "vehicle"),
    _s("vehicles_to_pickup", "Vehicles driving to a pickup", "vehicles", "vehicle"),
    _s("vehicles_in_maintenance", "Vehicles in maintenance", "vehicles", "vehicle"),
    _s("vehicles_off_shift", "Vehicles off shift", "vehicles", "vehicle"),
    _s("vehicle_messages", "Vehicle terminal messages", "messages", "vehicle"),
    _s("location_reports", "Location reports", "messages", "vehicle"),
    _s("vehicle_heartbeats", "Terminal heartbeats", "messages", "vehicle"),
    _s("km_driven", "Distance driven", "km", "vehicle"),
    _s("mean_speed_kmh", "Mean speed of moving vehicles", "km/h", "vehicle"),
    _s("max_speed_kmh", "Highest reported speed", "km/h", "vehicle"),
    _s("fuel_used_l", "Fuel used", "litres", "vehicle"),
    _s("alarms_total", "Reports with an alarm bit set", "reports", "vehicle"),
    _s("alarms_emergency", "Emergency alarms", "reports", "vehicle"),
    _s("alarms_overspeed", "Overspeed alarms", "reports", "vehicle"),
    _s("alarms_fatigue", "Fatigue-driving alarms", "reports", "vehicle"),
    _s("alarms_danger_warning", "Dangerous-driving warnings", "reports", "vehicle"),
    _s("alarms_gnss_fault", "GNSS module faults", "reports", "vehicle"),
    _s("alarms_power", "Terminal power alarms", "reports", "vehicle"),
    _s("vehicle_faults", "Reports with a fault code", "reports", "vehicle"),
    _s("drivers_active", "Drivers reporting", "drivers", "vehicle"),
    _s("boxes_online", "Set-top boxes online", "boxes", "stb"),
    _s("boxes_offline", "Set-top boxes reporting offline", "boxes", "stb"),
    _s("channels_watched", "Distinct live channels watched", "channels", "stb"),
    _s("boxes_watching_live", "Boxes on a live channel", "boxes", "stb"),
    _s("vod_streams", "Video-on-demand streams", "streams", "stb"),
    _s("stb_errors", "Set-top box error reports", "reports", "stb"),
    _s("firmware_versions", "Firmware versions seen", "versions", "stb"),
    _s("cameras_online", "Cameras online", "cameras", "camera"),
    _s("cameras_streaming", "Cameras streaming a live view", "cameras", "camera"),
    _s("camera_registrations", "Camera registrations", "registrations", "camera"),
    _s("camera_upload_gb", "Recordings uploaded to cloud storage", "GB", "camera"),
    _s("camera_mean_bitrate_kbps", "Mean camera bitrate", "kbit/s", "camera"),
    _s("liveview_sessions", "Live-view attempts", "sessions", "camera"),
    _s("liveview_blocked", "Live views blocked", "sessions", "camera"),
    _s("hotlink_rejected", "Viewing attempts with a bad token", "sessions", "camera"),
    _s("devices_reporting", "Devices reporting", "devices", "all"),
    _s("records", "Records accepted", "records", "all"),
    _s("devices_silent", "Known devices not reporting", "devices", "all"),
]}


def label(name: str) -> str:
    """The statistic's label with its unit (the dashboard never shows raw names)."""
    st = STATISTICS.get(name)
    if st is None:
        return name.replace("_", " ").capitalize()
    return f"{st.label} ({st.unit})"
