"""What the tests of several cameras on one counter share: two posed cameras' poses
and one counter's zones (waiting is in :mod:`waiting`)."""

from __future__ import annotations

POSE_LEFT = {"position_m": [0.8, 0.0, 1.9], "heading_deg": 172.6, "tilt_down_deg": 7.4}
POSE_RIGHT = {"position_m": [-0.5, 1.8, 2.1], "heading_deg": -82.9, "tilt_down_deg": 11.7}
ZONES = {"service": [[0.7, 0.3], [0.95, 0.3], [0.95, 0.86], [0.7, 0.86]],
         "staff": [[0.0, 0.3], [0.32, 0.3], [0.32, 0.94], [0.0, 0.94]]}


