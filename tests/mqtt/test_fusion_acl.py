"""The broker's ACL for cameras of one counter on two boxes (issue 17, item 4), in a
real mosquitto: the chain ACL of docs/deployment.md (read from the page, so page
and test cannot drift) lets a shop's box publish its own site's observations and
its counter's worker read them, and nothing of another shop's; the shipped
deploy/mosquitto/acl keeps the observations from consumers."""

from __future__ import annotations

import queue
import re
import time
from pathlib import Path
from typing import Any

import yaml
from waiting import wait_until

from frontdesk.capture import StatusChange
from frontdesk.config import parse_config
from frontdesk.live_fusion import decode
from frontdesk.mqtt.fusion_link import BrokerObservationReceiver, BrokerObservationSender
from frontdesk.types import FrameObservation

REPO = Path(__file__).resolve().parents[2]
POSE = {"position_m": [0.8, 0.0, 1.9], "heading_deg": 172.6, "tilt_down_deg": 7.4}
ZONES = {"service": [[0.7, 0.3], [0.95, 0.3], [0.95, 0.86], [0.7, 0.86]],
         "staff": [[0.0, 0.3], [0.32, 0.3], [0.32, 0.94], [0.0, 0.94]]}
USERS = {"shop-a": "pw-a-1", "shop-b": "pw-b-2", "collector": "pw-c-3",
         "frontdesk": "pw-f-4", "consumer": "pw-u-5"}


def _documented_chain_acl() -> str:
    text = (REPO / "docs" / "deployment.md").read_text()
    block = re.search(r"```\n# /etc/mosquitto/acl: each shop writes only under its own "
                      r"site id\n(.*?)```", text, re.S)
    assert block, "the chain ACL block of docs/deployment.md moved"
    return block.group(1)


def _camera_config(broker: Any, site: str, camera: str, user: str) -> Any:
    """Camera ``camera``'s config on site ``site``, logging in as ``user`` (the client id
    names the user, as each shop's own config would)."""
    cams = [{"id": cid, "box": box, "camera": {"source": f"{cid}.mp4", "pose": POSE},
             "counters": [{"id": "c1", "zones": ZONES}]}
            for cid, box in (("left", "desk"), ("right", "door"))]
    data = {"site_id": site, "cameras": cams,
            "mqtt": {"url": broker.url, "username": user, "password_env": "FD_ACL_PW",
                     "client_id": f"frontdesk-{user}",
                     "reconnect_min_s": 1, "reconnect_max_s": 1}}
    return parse_config(yaml.safe_dump(data), "f.yaml").for_camera(camera)


def _obs(k: int) -> FrameObservation:
    return FrameObservation(index=k, t=k / 15, width=640, height=360, faces=[],
                            wall_time=1.7e9 + k / 15)


def test_a_shops_boxes_hear_each_other_and_no_other_shop(
        mqtt_broker_factory: Any, monkeypatch: Any) -> None:
    broker = mqtt_broker_factory(users=USERS, acl=_documented_chain_acl())
    monkeypatch.setenv("FD_ACL_PW", USERS["shop-a"])
    into: queue.Queue[tuple[float, bytes]] = queue.Queue()
    rx = BrokerObservationReceiver(_camera_config(broker, "shop-a", "left", "shop-a"), "c1",
                                   ["right"], into)
    tx = BrokerObservationSender(_camera_config(broker, "shop-a", "right", "shop-a"), "c1")
    monkeypatch.setenv("FD_ACL_PW", USERS["shop-b"])
    # shop B's box, configured as if it were shop A's (site_id shop-a), and its own
    # counter's worker listening on shop A's topic.
    forger = BrokerObservationSender(_camera_config(broker, "shop-a", "right", "shop-b"), "c1")
    b_into: queue.Queue[tuple[float, bytes]] = queue.Queue()
    spy = BrokerObservationReceiver(_camera_config(broker, "shop-a", "left", "shop-b"), "c1",
                                    ["right"], b_into)
    try:
        assert rx.wait_subscribed(10), broker.log_tail()
        assert wait_until(lambda: tx._connected and forger._connected), broker.log_tail()
        spy.wait_subscribed(5)  # granted or not, it must hear nothing
        forger.observation(_obs(99))
        tx.status(StatusChange("online", None, 0.0, 1.7e9, ""), live=True)
        for k in range(5):
            tx.observation(_obs(k))
        got = [decode(into.get(timeout=10)[1]) for _ in range(6)]
        assert got[0].status == "online"
        assert [m.obs.index for m in got[1:] if m.obs is not None] == [0, 1, 2, 3, 4]
        time.sleep(1.0)
        assert into.empty()  # shop B's forged frame 99 never reached shop A's counter
        assert b_into.empty() and spy.received == 0  # nor did shop A's frames reach B
    finally:
        for client in (tx, forger):
            client.close(timeout_s=1)
        rx.close()
        spy.close()


def test_the_shipped_acl_keeps_observations_from_consumers(
        mqtt_broker_factory: Any, mqtt_recorder: Any, monkeypatch: Any) -> None:
    acl = (REPO / "deploy" / "mosquitto" / "acl").read_text()
    broker = mqtt_broker_factory(users=USERS, acl=acl)
    consumer = mqtt_recorder(broker, ["frontdesk/#"], username="consumer",
                             password=USERS["consumer"])
    monkeypatch.setenv("FD_ACL_PW", USERS["frontdesk"])
    into: queue.Queue[tuple[float, bytes]] = queue.Queue()
    rx = BrokerObservationReceiver(_camera_config(broker, "shop-a", "left", "frontdesk"),
                                   "c1", ["right"], into)
    tx = BrokerObservationSender(_camera_config(broker, "shop-a", "right", "frontdesk"), "c1")
    try:
        assert rx.wait_subscribed(10), broker.log_tail()
        tx.observation(_obs(0))
        assert decode(into.get(timeout=10)[1]).obs is not None  # frontdesk's boxes: yes
        tx.client.publish("frontdesk/shop-a/c1/state", b"{}", qos=1).wait_for_publish(5)
        assert consumer.wait_for(lambda msgs: any(m.topic.endswith("/state") for m in msgs))
        assert not [m for m in consumer.snapshot() if "/fusion/" in m.topic]
    finally:
        tx.close(timeout_s=1)
        rx.close()
