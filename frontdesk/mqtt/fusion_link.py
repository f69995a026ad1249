"""Live fusion across two boxes: a camera's messages to its counter's engine through
the broker (issue 17, item 4; docs/deployment.md, "Cameras on two boxes").

A camera whose counter's engine runs on another box (``cameras[].box``) sends the
same messages as over the local socket (:func:`frontdesk.live_fusion.encode`) to
``PREFIX/SITE/fusion/COUNTER/CAMERA/observations``
(:meth:`~frontdesk.mqtt.topics.Topics.fusion_observations`), with the product's
own broker settings (URL, user, password variable, TLS: :func:`make_client`); the
counter's worker subscribes to ``.../fusion/COUNTER/+/observations`` and puts what
arrives in the same queue as its local socket, so the ordering and fusion code is
the one of one box.

QoS. Observations go with QoS 0: an observation later than
``fusion.reorder_delay_s`` is released without its partner anyway, so a broker
redelivering it later would only add stale frames, and QoS 1's acknowledgements
would cost a round trip per frame; a lost observation is one frame the fusion goes
without. Status changes (``online``, ``offline``, ``ended``) go with QoS 1: they
are rare and decide whether the counter is degraded or over. A camera's last will
(QoS 1, not retained) is an ``offline`` status on the same topic, so the counter
hears at once when the camera's worker or its box drops off the broker, without
waiting ``fusion.camera_timeout_s``.

Bounded. Messages wait in a queue of at most :data:`MAX_PENDING` while the broker
is unreachable or the connection is backed up (more than :data:`MAX_UNSENT`
messages paho has not written to its socket, or, for a status, not had
acknowledged); past it the OLDEST are dropped and
counted (``dropped``): a camera's memory does not grow with an outage, and what is
sent when the broker is back is the newest.
"""

from __future__ import annotations

import collections
import logging
import threading
import time
from typing import Any

import paho.mqtt.client as mqtt

from frontdesk.capture import StatusChange
from frontdesk.config import Config, MqttConfig
from frontdesk.live_fusion import encode
from frontdesk.mqtt.client import connect_kwargs, make_client, reason_text
from frontdesk.mqtt.topics import Topics
from frontdesk.types import CameraStatus, FrameObservation

__all__ = ["BrokerObservationSender", "BrokerObservationReceiver", "MAX_PENDING",
           "MAX_UNSENT", "OBSERVATION_QOS", "STATUS_QOS"]

log = logging.getLogger(__name__)

OBSERVATION_QOS = 0
STATUS_QOS = 1
MAX_PENDING = 150
"""Messages a camera holds while it cannot send (10 s of a camera at 15 fps)."""
MAX_UNSENT = 30
"""Messages handed to paho and not yet written to its socket before the rest wait
in the bounded queue (a connection that is up but not draining)."""


def _topics(config: Config) -> Topics:
    return Topics(config.mqtt.topic_prefix, config.site_id, config.mqtt.discovery_prefix)


class BrokerObservationSender:
    """A remote camera's end (same interface as
    :class:`~frontdesk.live_fusion.ObservationSender`): publishes its messages to
    its counter's fusion topic.

    Args:
        config: the camera's config (:meth:`Config.for_camera`: its client id).
        counter_key: the fused counter (a key of :meth:`Config.fused_counters`).

    Raises:
        MqttSetupError: the MQTT settings cannot work (no URL, a missing password).
    """

    def __init__(self, config: Config, counter_key: str) -> None:
        self.camera_id = config.camera_id or "camera"
        self.topic = _topics(config).fusion_observations(counter_key, self.camera_id)
        self.path = self.topic  # where it sends, as the socket sender's ``path``
        self.sent = 0
        self.dropped = 0
        self._pending: collections.deque[tuple[bytes, int]] = collections.deque()
        self._unsent: collections.deque[mqtt.MQTTMessageInfo] = collections.deque()
        self._lock = threading.Lock()
        self._connected = False
        self._warned_at = 0
        client_id = f"{config.mqtt.client_id or 'frontdesk-' + config.site_id}-fusion"[:128]
        self.client, broker = make_client(config.mqtt, client_id)
        will = encode(self.camera_id, status=StatusChange(
            CameraStatus.OFFLINE, CameraStatus.ONLINE, 0.0, time.time(),
            "its box lost the broker connection"))
        self.client.will_set(self.topic, will, qos=STATUS_QOS, retain=False)
        self.client.on_connect = self._on_connect
        self.client.on_disconnect = self._on_disconnect
        self.client.on_publish = self._on_publish
        self.client.connect_async(**connect_kwargs(config.mqtt, broker))  # type: ignore[arg-type]
        self.client.loop_start()

    def _on_connect(self, client: mqtt.Client, userdata: Any, flags: Any, rc: Any,
                    props: Any = None) -> None:
        if getattr(rc, "is_failure", False):
            log.warning("camera %s: the broker refused the connection (%s); its "
                        "observations wait (at most %d, the oldest dropped)", self.camera_id,
                        reason_text(rc), MAX_PENDING)
            return
        log.info("camera %s: observations to the counter through the broker on %s",
                 self.camera_id, self.topic)
        self._connected = True
        self._flush(blocking=False)

    def _on_disconnect(self, client: mqtt.Client, userdata: Any, flags: Any, rc: Any,
                       props: Any = None) -> None:
        self._connected = False

    def _on_publish(self, client: mqtt.Client, userdata: Any, mid: int, rc: Any,
                    props: Any = None) -> None:
        self._flush(blocking=False)  # room in paho's window: send what waits

    def send(self, data: bytes, qos: int = OBSERVATION_QOS) -> bool:
        """Queue one message and send what can go; False when an older one was dropped
        to make room."""
        with self._lock:
            full = len(self._pending) >= MAX_PENDING
            if full:
                self._pending.popleft()
                self.dropped += 1
            self._pending.append((data, qos))
        if full and (self.dropped == 1 or self.dropped - self._warned_at >= 100):
            self._warned_at = self.dropped
            log.warning("camera %s: the broker does not take observations fast enough "
                        "(or is unreachable); the oldest dropped, %d so far", self.camera_id,
                        self.dropped)
        self._flush()
        return not full

    def _flush(self, blocking: bool = True) -> None:
        """Hand paho what waits, while connected and its window has room. paho's
        thread calls this from callbacks without blocking: it may hold paho's locks
        that a ``publish`` under our lock waits for (the caller already flushing)."""
        if not self._lock.acquire(blocking=blocking):
            return
        try:
            if not self._connected:
                self._unsent.clear()  # paho drops QoS 0 packets of a lost connection
            while self._unsent and self._unsent[0].is_published():
                self._unsent.popleft()
            while self._connected and self._pending and len(self._unsent) < MAX_UNSENT:
                data, qos = self._pending.popleft()
                info = self.client.publish(self.topic, data, qos=qos, retain=False)
                if info.rc != mqtt.MQTT_ERR_SUCCESS:  # the connection just went
                    self._pending.appendleft((data, qos))
                    break
                self.sent += 1
                self._unsent.append(info)
        finally:
            self._lock.release()

    def observation(self, obs: FrameObservation) -> bool:
        return self.send(encode(self.camera_id, obs=obs))

    def status(self, change: StatusChange, live: bool) -> bool:
        return self.send(encode(self.camera_id, status=change, live=live), qos=STATUS_QOS)

    @property
    def pending(self) -> int:
        return len(self._pending)

    def close(self, timeout_s: float = 3.0) -> None:
        """Send what waits (up to ``timeout_s``), then disconnect cleanly (no will)."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            self._flush()
            with self._lock:
                done = not self._pending and all(i.is_published() for i in self._unsent)
            if done or not self._connected:
                break
            time.sleep(0.02)
        self.client.disconnect()
        self.client.loop_stop()


class BrokerObservationReceiver:
    """The counter worker's subscription to its remote cameras' messages: each goes,
    with its monotonic arrival time, into ``queue`` (the local socket's, so one
    :class:`~frontdesk.live_fusion.FusedObservations` reads both).

    A message whose topic names another camera than the message itself is dropped
    and counted in ``malformed`` (a camera speaks only for itself).
    """

    def __init__(self, config: Config, counter_key: str, camera_ids: list[str],
                 queue: Any) -> None:
        self.queue = queue
        self.camera_ids = set(camera_ids)
        self.topics = _topics(config)
        self.filter = self.topics.fusion_filter(counter_key)
        self.malformed = 0
        self.received = 0
        self.subscribed = threading.Event()
        mqtt_config: MqttConfig = config.mqtt
        client_id = f"{mqtt_config.client_id or 'frontdesk-' + config.site_id}-fusion"[:128]
        self.client, broker = make_client(mqtt_config, client_id)
        self.client.on_connect = self._on_connect
        self.client.on_subscribe = self._on_subscribe
        self.client.on_message = self._on_message
        self.client.connect_async(**connect_kwargs(mqtt_config, broker))  # type: ignore[arg-type]
        self.client.loop_start()

    def _on_connect(self, client: mqtt.Client, userdata: Any, flags: Any, rc: Any,
                    props: Any = None) -> None:
        if getattr(rc, "is_failure", False):
            log.warning("the broker refused the connection for the remote cameras' "
                        "observations (%s)", reason_text(rc))
            return
        client.subscribe(self.filter, qos=STATUS_QOS)

    def _on_subscribe(self, client: mqtt.Client, userdata: Any, mid: int, rcs: Any,
                      props: Any = None) -> None:
        if any(getattr(rc, "is_failure", False) for rc in rcs or []):
            log.error("the broker refuses the subscription to %s (its ACL: docs/"
                      "deployment.md, \"Cameras on two boxes\")", self.filter)
            return
        log.info("remote cameras' observations on %s", self.filter)
        self.subscribed.set()

    def _on_message(self, client: mqtt.Client, userdata: Any, msg: mqtt.MQTTMessage) -> None:
        arrived = time.monotonic()
        camera = self.topics.camera_of_fusion(msg.topic)
        payload = bytes(msg.payload)
        if camera not in self.camera_ids or f'"camera":"{camera}"' not in \
                payload[:200].decode("utf-8", "replace"):
            self.malformed += 1
            if self.malformed == 1 or self.malformed % 100 == 0:
                log.warning("fusion: a message on %s is not from one of this counter's "
                            "remote cameras (%s); %d so far", msg.topic,
                            ", ".join(sorted(self.camera_ids)), self.malformed)
            return
        self.received += 1
        self.queue.put((arrived, payload))

    def wait_subscribed(self, timeout_s: float) -> bool:
        return self.subscribed.wait(timeout_s)

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()
