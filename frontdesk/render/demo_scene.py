"""The demo's counter scene: one staff member and four customers in a minute.

A scene file (:mod:`frontdesk.render.scene_file`) kept as text in the package, so
``demo://counter`` works from any install. ``frontdesk render-scene demo --out
clip.mp4`` renders it; ``frontdesk render-scene --print-demo`` prints it.

What happens (times in seconds; the truth file has the exact ones):

* **ben** walks up and reaches the counter at about 4; Anna, at the till,
  looks up at him about 1.5 s later (acknowledged promptly) and serves him; he
  leaves at 10.
* **cleo** slows down as she walks up; Anna turns to her while she is still
  stepping up (acknowledged during the approach). This camera sees Anna's face
  only once Anna looks no further up the walkway than the counter's end (beyond
  that her face is turned more than 65 degrees from the lens), so the look is
  measured from the moment Cleo reaches the counter: a latency near zero, not
  negative (docs/rendering.md, "What the camera can measure"); she leaves at 19.
* **dev** waits at the counter while Anna works at the till; after 8 s he gives
  up and walks away (abandoned, no alert).
* **eve** waits while Anna is busy at the till; the alert fires 10 s after her
  arrival; Anna looks up 2 s later (acknowledged late); she leaves at 48.

Customers leave turning away from the camera toward the shop (the right of the
picture), so each is out of view before the next walks up: one customer at a
time, the case perception handles best (docs/rendering.md).
"""

from __future__ import annotations

import logging
from typing import Any

import yaml

__all__ = ["DEMO_SCENE_YAML", "demo_scene_dict", "DEMO_SCENE_NAME"]

log = logging.getLogger(__name__)

DEMO_SCENE_NAME = "counter-demo"

DEMO_SCENE_YAML = """\
# frontdesk demo: one staff member (anna), four customers, one minute.
render:
  size: [1280, 720]
  fps: 15
  seed: 7
duration_s: 60
people:
  - id: anna
    role: staff
    path: [{t: 0, at: staff}, {t: 60, at: staff}]
    gaze:
      - {t: 0, till: true}
      # ben: looked at about 1.5 s after he reaches the counter, then served
      - {t: 5.6, person: ben, turn_s: 0.3}
      - {t: 7.2, till: true}
      - {t: 8.2, person: ben}
      - {t: 9.2, till: true}
      # cleo: greeted while she slows down and steps up
      - {t: 12.6, person: cleo, turn_s: 0.3}
      - {t: 15.2, till: true}
      - {t: 16.6, person: cleo}
      - {t: 17.6, till: true}
      # dev waits and walks away; eve waits past the alert: anna is busy at the till
      - {t: 43.4, person: eve, turn_s: 0.3}
      - {t: 45.2, till: true}
      - {t: 46.2, person: eve}
      - {t: 47.0, till: true}
  - id: ben
    role: customer
    z: 1.72
    path:
      - {t: 0.3, at: [-4.0, 0.64, 1.72]}
      - {t: 3.6, at: [-0.6, 0.62, 1.72]}
      - {t: 4.2, at: service}
      - {t: 10.0, at: service}
      - {t: 11.5, at: [-0.2, 2.4, 1.72]}
    gaze:
      - {t: 0.3, walk: true}
      - {t: 4.0, person: anna, turn_s: 0.4}
      - {t: 7.4, till: true}
      - {t: 8.1, person: anna}
      - {t: 9.8, walk: true, turn_s: 0.4}
  - id: cleo
    role: customer
    z: 1.62
    path:
      - {t: 9.5, at: [-4.5, 0.64, 1.62]}
      - {t: 12.4, at: [-1.1, 0.63, 1.62]}
      - {t: 14.2, at: [-0.45, 0.61, 1.62]}
      - {t: 14.8, at: service}
      - {t: 19.0, at: service}
      - {t: 20.5, at: [-0.2, 2.4, 1.62]}
    gaze:
      - {t: 9.5, walk: true}
      - {t: 14.0, person: anna, turn_s: 0.3}
      - {t: 15.3, till: true}
      - {t: 16.5, person: anna}
      - {t: 18.8, walk: true, turn_s: 0.4}
  - id: dev
    role: customer
    z: 1.78
    path:
      - {t: 18.0, at: [-4.5, 0.64, 1.78]}
      - {t: 21.9, at: [-0.6, 0.62, 1.78]}
      - {t: 22.6, at: service}
      - {t: 30.5, at: service}
      - {t: 32.0, at: [-0.2, 2.4, 1.78]}
    gaze:
      - {t: 18.0, walk: true}
      - {t: 22.4, person: anna, turn_s: 0.4}
      - {t: 25.5, till: true, turn_s: 0.5}
      - {t: 27.5, person: anna, turn_s: 0.5}
      - {t: 30.3, walk: true, turn_s: 0.4}
  - id: eve
    role: customer
    z: 1.66
    path:
      - {t: 27.5, at: [-4.5, 0.64, 1.66]}
      - {t: 31.4, at: [-0.6, 0.62, 1.66]}
      - {t: 32.1, at: service}
      - {t: 48.0, at: service}
      - {t: 49.5, at: [-0.2, 2.4, 1.66]}
    gaze:
      - {t: 27.5, walk: true}
      - {t: 31.9, person: anna, turn_s: 0.4}
      - {t: 36.0, till: true, turn_s: 0.5}
      - {t: 38.5, person: anna, turn_s: 0.5}
      - {t: 47.8, walk: true, turn_s: 0.4}
"""


def demo_scene_dict() -> dict[str, Any]:
    """The demo scene, parsed (a fresh copy each call)."""
    data = yaml.safe_load(DEMO_SCENE_YAML)
    assert isinstance(data, dict)
    return data
