"""The IPTV kernels' layout in one place: box states and flags, parameter columns, and the
columns of the per-OLT, per-port and per-metro scratch, each with its unit.

Units throughout the kernels: times in seconds (``t`` from the run start; the clock time of
``t = 0`` is ``sc[CLOCK0_S]``), bitrates in Mbit/s, volumes in Mbit, counts in boxes.
"""

from __future__ import annotations

# Box states (``Boxes.st``, int8). PENDING: stopped at a VoD request, waiting for admission
# (never seen between epochs).
STANDBY, LIVE, VOD, AD, CALL, OFFLINE, PENDING = 0, 1, 2, 3, 4, 5, 6
STATE_NAMES = ("standby", "live", "vod", "ad", "call", "offline")
N_STATES = 6
N_ST = N_STATES + 1  # states counted per OLT, PENDING included

# Box flags (``Boxes.flags``, uint8 bits): decodes HD, decodes 4K, carries the ad carousel
# (comprehensive package), has a camera for video calls.
F_HD, F_UHD, F_ADS, F_CAMERA = 1, 2, 4, 8

# Viewing parameters per vertical (columns of ``Behaviour.vp``, float64): shares are
# probabilities, ``*_S`` seconds, ``*_MBPS`` Mbit/s; VOD_MEDIAN_S and VOD_SIGMA are the
# log-normal session length.
# The ad carousel plays from the box's local storage; each time it starts, the box fetches a
# playlist refresh of AD_REFRESH_MBIT from the CDN. It runs only while the site is open:
# clock hours OPEN_FROM_H to OPEN_TO_H (24: never closes).
(ZAP_SHARE, ZAP_MEAN_S, WATCH_MEAN_S, P_LEAVE, LEAVE_VOD, LEAVE_CALL, START_VOD, START_CALL,
 VOD_MEDIAN_S, VOD_SIGMA, VOD_THEN_LIVE, CALL_MEAN_S, UHD_SHARE, AD_IDLE_S, AD_REFRESH_MBIT,
 CALL_UP_MBPS, CALL_DOWN_MBPS, OPEN_FROM_H, OPEN_TO_H) = range(19)
N_VP = 19

# Service constants (``Behaviour.sc``, float64): VoD bitrates by class (Mbit/s), the fast
# channel change burst (Mbit per Mbit/s of the channel), the clock time of t = 0 (s).
SD_MBPS, HD_MBPS, UHD_MBPS, FCC_MBIT_PER_MBPS, CLOCK0_S = range(5)
N_SC = 5

# Per OLT-window values (columns of ``EpochScratch.oac[olt, window]``): unicast Mbit by kind
# (VoD, ads, call down, call up, channel change bursts), events, joins, video calls started,
# choices (session starts and live sessions left: where a box picks live, VoD or a call)
# (counts), then state-seconds per state (PENDING last: zero once an epoch is done) ...
O_VOD, O_AD, O_CALL_DN, O_CALL_UP, O_FCC, O_EVENTS, O_JOINS, O_CALLS, O_CHOICES, O_OCC = range(10)
N_OUT = O_OCC + N_STATES + 1
# ... then the change in state counts (boxes) and in unicast rate sums (Mbit/s: VoD, ads,
# call down, call up) during the window.
D_CNT = N_OUT
D_RATE = D_CNT + N_ST
N_ACC = D_RATE + 4

# Per port-window values (columns of ``EpochScratch.acc[port, window]``, 64 bytes): downstream
# unicast Mbit (VoD, ads, call down, fast channel change), upstream Mbit (calls), box-seconds
# in use (live, VoD, call), the change in the down and up rate sums (Mbit/s) and in boxes in
# use during the window (zero between epochs: the epoch's finish clears them once read), and
# once the epoch is done the multicast union (Mbit/s) and the downstream load (Mbit/s) of the
# port in the window.
P_DN, P_UP, P_USE, P_D_DN, P_D_UP, P_D_USE, P_MCAST, P_DOWN = range(8)
N_PACC = 8

# Carried between epochs per OLT (``Carry.orate``, Mbit/s): unicast rate sums of VoD, ads,
# call down, call up; per port (``Carry.prate``): down and up rate sums (Mbit/s), boxes in use.
R_VOD, R_AD, R_CALL_DN, R_CALL_UP = range(4)
PR_DN, PR_UP, PR_USE = range(3)

DAY_S = 86400.0

#: OLTs per chunk of the advance and finish phases (chunks are dealt round-robin).
OLT_CHUNK = 4

#: How many boxes ahead the event loops fetch a box's state.
PF_BOX = 6
