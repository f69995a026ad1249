"""The topic contract: every topic name frontdesk publishes or listens to.

All names are built here and nowhere else, so ``docs/mqtt.md`` and the code
cannot drift apart. With the defaults (prefix ``frontdesk``):

========================================  =========  ======  ====  =====================
topic                                     direction  retain  QoS   payload
========================================  =========  ======  ====  =====================
frontdesk/SITE/availability               out        yes     1     ``online``/``offline``
frontdesk/SITE/CAMERA/availability        out        yes     1     the same, per camera (1)
frontdesk/SITE/COUNTER/state              out        yes     1     JSON, state.schema
frontdesk/SITE/COUNTER/alert              out        yes     1     ``ON``/``OFF``
frontdesk/SITE/COUNTER/events             out        no      1     JSON, event.schema
frontdesk/SITE/events                     out        no      1     JSON, site-wide events
frontdesk/SITE/fusion/COUNTER/CAMERA/observations  both  no  0/1  JSON, live_fusion (2)
frontdesk/SITE/COUNTER/cmd/ack            in         no      -     JSON ({} at least)
frontdesk/SITE/COUNTER/cmd/snooze         in         no      -     JSON
frontdesk/SITE/COUNTER/cmd/enabled        in         no      -     JSON
homeassistant/device/ID/config            out        yes     1     HA device discovery
homeassistant/status                      in         -       -     ``online``/``offline``
========================================  =========  ======  ====  =====================

(1) With several cameras (``cameras:`` in the config) each camera's worker has its
own availability topic and last will instead of the site's, so one worker going
down does not mark the others' counters unavailable.

(2) A counter whose cameras sit on two boxes (``cameras[].box``): the remote camera's
worker publishes each observation (QoS 0) and status change (QoS 1) there, the
counter's worker on the primary's box subscribes to ``.../fusion/COUNTER/+/observations``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from frontdesk.config.topic_names import topic_level_problem, topic_prefix_problem

__all__ = ["Topics", "COMMAND_KINDS", "topic_level_problem", "topic_prefix_problem"]

COMMAND_KINDS = ("ack", "snooze", "enabled")
"""The last level of a command topic; see :class:`frontdesk.mqtt.commands.CommandKind`."""

_HA_ID_UNSAFE = re.compile(r"[^a-zA-Z0-9_-]")


def ha_safe_id(text: str) -> str:
    """``text`` with characters Home Assistant refuses in discovery ids replaced by '_'."""
    return _HA_ID_UNSAFE.sub("_", text)


@dataclass(frozen=True)
class Topics:
    """Topic names for one site.

    Args:
        prefix: the configured ``mqtt.topic_prefix`` (may hold several levels).
        site_id: the site; one level.
        discovery_prefix: Home Assistant's discovery prefix.
        camera_id: the camera of a multi-camera worker; gives it its own availability
            topic (``PREFIX/SITE/CAMERA/availability``). None: the site's.
    """

    prefix: str
    site_id: str
    discovery_prefix: str = "homeassistant"
    camera_id: str | None = None

    @property
    def base(self) -> str:
        return f"{self.prefix}/{self.site_id}"

    # ------------------------------------------------------------------ outbound
    def availability(self) -> str:
        if self.camera_id is not None:
            return f"{self.base}/{self.camera_id}/availability"
        return f"{self.base}/availability"

    def availability_filter(self) -> str:
        """Every camera worker's availability topic (``PREFIX/SITE/+/availability``)."""
        return f"{self.base}/+/availability"

    def is_availability(self, topic: str) -> bool:
        """Whether ``topic`` is the site's or one camera's availability topic."""
        head = self.base + "/"
        if topic == f"{self.base}/availability":
            return True
        if not (topic.startswith(head) and topic.endswith("/availability")):
            return False
        middle = topic[len(head):-len("/availability")]
        return bool(middle) and "/" not in middle

    def state(self, counter_id: str) -> str:
        return f"{self.base}/{counter_id}/state"

    def alert(self, counter_id: str) -> str:
        return f"{self.base}/{counter_id}/alert"

    def events(self, counter_id: str | None) -> str:
        """A counter's event stream; ``None`` gives the site-wide stream."""
        if counter_id is None:
            return f"{self.base}/events"
        return f"{self.base}/{counter_id}/events"

    def ha_device_config(self, counter_id: str) -> str:
        return f"{self.discovery_prefix}/device/{self.ha_device_id(counter_id)}/config"

    def ha_device_id(self, counter_id: str) -> str:
        return ha_safe_id(f"frontdesk_{self.site_id}_{counter_id}")

    def fusion_observations(self, counter_id: str, camera_id: str) -> str:
        """Where a camera on another box than its counter's engine sends its messages."""
        return f"{self.base}/fusion/{counter_id}/{camera_id}/observations"

    def fusion_filter(self, counter_id: str) -> str:
        """Every remote camera's messages for one counter."""
        return self.fusion_observations(counter_id, "+")

    def camera_of_fusion(self, topic: str) -> str | None:
        """The camera level of a :meth:`fusion_observations` topic, else None."""
        head = f"{self.base}/fusion/"
        if not (topic.startswith(head) and topic.endswith("/observations")):
            return None
        parts = topic[len(head):].split("/")
        return parts[1] if len(parts) == 3 and parts[1] else None

    # ------------------------------------------------------------------ inbound
    def command(self, counter_id: str, kind: str) -> str:
        return f"{self.base}/{counter_id}/cmd/{kind}"

    def command_filter(self) -> str:
        """The subscription that receives every command for this site."""
        return f"{self.base}/+/cmd/+"

    def ha_status(self) -> str:
        return f"{self.discovery_prefix}/status"

    def parse_command_topic(self, topic: str) -> tuple[str, str] | None:
        """``(counter_id, kind)`` for a command topic of this site, else None.

        The kind is returned as found (it may be unknown); the caller decides.
        """
        head = self.base + "/"
        if not topic.startswith(head):
            return None
        parts = topic[len(head):].split("/")
        if len(parts) != 3 or parts[1] != "cmd" or not parts[0]:
            return None
        return parts[0], parts[2]

    # ------------------------------------------------------------------ watchers
    def alert_filter(self, counter_id: str | None) -> str:
        """The alert topic of one counter, or of every counter (``None``)."""
        return self.alert(counter_id if counter_id is not None else "+")

    def counter_of_alert(self, topic: str) -> str | None:
        return self._counter_of(topic, "/alert")

    def counter_of_state(self, topic: str) -> str | None:
        return self._counter_of(topic, "/state")

    def _counter_of(self, topic: str, tail: str) -> str | None:
        head = self.base + "/"
        if topic.startswith(head) and topic.endswith(tail):
            middle = topic[len(head):-len(tail)]
            if middle and "/" not in middle:
                return middle
        return None
