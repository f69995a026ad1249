"""Scenes with several cameras (issue 17's ``cameras:`` format): parsing, one clip and
config per camera with one truth, and what each camera's frames show to MediaPipe."""

from __future__ import annotations

import copy
import json
import math
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest
import yaml
from render_helpers import tiny_scene

from frontdesk.cli import main
from frontdesk.config import load_config
from frontdesk.errors import FrontdeskError
from frontdesk.render.scene_file import render_scene_from_dict
from frontdesk.sim.cameras import parse_cameras
from frontdesk.sim.layout import DEFAULT_LAYOUT, DEFAULT_ZONES
from frontdesk.sim.truth import Truth
from frontdesk.world import WorldPose

SIDE = {"id": "side", "position_m": [0.8, 0.0, 1.9], "look_at_m": [-1.5, 0.3, 1.6],
        "hfov_deg": 90, "size": [640, 360]}
FRONT = {"id": "front", "position_m": [-0.4, 2.6, 2.1], "look_at_m": [-0.2, -0.6, 1.6],
         "hfov_deg": 90}


def _two_camera_scene() -> dict[str, Any]:
    data = tiny_scene(duration_s=4.0)
    data["cameras"] = [copy.deepcopy(SIDE), copy.deepcopy(FRONT)]
    return data


def test_without_cameras_the_scene_is_todays() -> None:
    rs = render_scene_from_dict(tiny_scene(), "tiny.yaml")
    assert rs.scene.cameras == ()
    assert rs.scene.layout.camera == DEFAULT_LAYOUT.camera


def test_the_default_camera_written_as_a_list_gives_todays_zones() -> None:
    """The default camera (0.8, 0, 1.9 m, heading 180, 10 degrees down) in the list
    format draws the counter's zones exactly as the default layout does."""
    tilt = math.radians(10.0)
    look_at = [0.8 - math.cos(tilt), 0.0, 1.9 - math.sin(tilt)]
    data = tiny_scene()
    data["cameras"] = [{"id": "only", "position_m": [0.8, 0.0, 1.9], "look_at_m": look_at,
                        "hfov_deg": 90, "size": [1280, 720]}]
    from frontdesk.sim.runs import camera_config

    rs = render_scene_from_dict(data, "one.yaml")
    zones = camera_config(rs.scene, "only").counters[0].zones
    assert {k: [list(p) for p in v] for k, v in zones.model_dump().items() if k in DEFAULT_ZONES
            } == {k: [list(p) for p in v] for k, v in DEFAULT_ZONES.items()}


@pytest.mark.parametrize("cameras, words", [
    ([SIDE, {**FRONT, "id": "side"}], "repeated: side"),
    ([{**SIDE, "position_m": [0.8, 0.0, -0.2]}], "above the floor"),
    ([{**SIDE, "size": [1280]}], "size: [width, height]"),
    ([{**SIDE, "hfov_deg": 200}], "20 to 160 degrees"),
    ([{**SIDE, "yaw": 3}], "unknown keys ['yaw']"),
    ([{k: v for k, v in SIDE.items() if k != "look_at_m"}], "look_at_m is missing"),
    ([{**SIDE, "id": "../side"}], "names the clip file"),
    ({"side": SIDE}, "a list of cameras"),
])
def test_bad_camera_lists_are_named(cameras: Any, words: str) -> None:
    data = tiny_scene()
    data["cameras"] = cameras
    with pytest.raises(FrontdeskError) as info:
        render_scene_from_dict(data, "bad.yaml")
    assert "bad.yaml: cameras" in str(info.value) and words in str(info.value)


def test_each_camera_sees_the_people_through_its_own_pose() -> None:
    rs = render_scene_from_dict(_two_camera_scene(), "two.yaml")
    (side, front) = parse_cameras(_two_camera_scene()["cameras"])
    assert rs.scene.layout.camera.position == side.position_m
    seen = rs.scene.for_camera("front", (1280, 720))
    assert seen.layout.camera.position == front.position_m
    assert seen.layout.image_size == (1280, 720)
    # The projection through the front camera is the WorldPose of the same look.
    pose = WorldPose.look_at(front.position_m, front.look_at_m)
    head = np.array([[0.0, -0.6, 1.65]])
    assert np.allclose(seen.layout.project_world(head),
                       pose.project(head, seen.layout.intrinsics), atol=1e-9)
    with pytest.raises(ValueError, match="no camera 'back'"):
        rs.scene.for_camera("back")


@pytest.fixture(scope="module")
def two_rendered(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    folder = tmp_path_factory.mktemp("two")
    scene = folder / "two.yaml"
    scene.write_text(yaml.safe_dump(_two_camera_scene(), sort_keys=False), encoding="utf-8")
    out = folder / "out"
    import contextlib
    import io

    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        assert main(["-q", "render-scene", str(scene), "--out", str(out), "--json"]) == 0
    return out, json.loads(buf.getvalue())


def test_render_scene_writes_a_clip_and_config_per_camera_and_one_truth(
        two_rendered: tuple[Path, dict[str, Any]]) -> None:
    out, printed = two_rendered
    assert sorted(p.name for p in out.iterdir()) == [
        "front.config.yaml", "front.mp4", "side.config.yaml", "side.mp4", "truth.json"]
    assert printed["clips"] == {"side": str(out / "side.mp4"), "front": str(out / "front.mp4")}
    for cid in ("side", "front"):
        cap = cv2.VideoCapture(str(out / f"{cid}.mp4"))
        assert int(cap.get(cv2.CAP_PROP_FRAME_COUNT)) == printed["frames"] == 61  # 0..4 s, 15 fps
        ok, frame = cap.read()
        cap.release()
        assert ok and frame.shape == (360, 640, 3)  # front takes the scene's size
        pose = load_config(out / f"{cid}.config.yaml").camera.pose
        cam = SIDE if cid == "side" else FRONT
        assert pose is not None and list(pose.position_m) == cam["position_m"]
    truth = Truth.load(out / "truth.json")
    assert [v.person for v in truth.visits] == ["bob"]


def _faces(video: Path, frame_index: int) -> list:
    from frontdesk.config import CameraConfig, PerceptionConfig
    from frontdesk.perception.perceiver import FacePerceiver
    from frontdesk.types import Frame

    cap = cv2.VideoCapture(str(video))
    cap.set(cv2.CAP_PROP_POS_FRAMES, frame_index)
    ok, image = cap.read()
    cap.release()
    assert ok
    with FacePerceiver(PerceptionConfig.model_validate({}),
                       CameraConfig.model_validate({"horizontal_fov_deg": 90})) as perceiver:
        return perceiver.process(Frame(image, 0.0, 0)).faces


def test_the_front_camera_sees_the_staff_face_where_its_pose_puts_it(
        two_rendered: tuple[Path, dict[str, Any]]) -> None:
    """MediaPipe on the front camera's frame while the two look at each other: the
    staff member's face (facing this camera) is found where the front camera's pose
    projects her head; the customer, her back to it, is not."""
    out, _ = two_rendered
    rs = render_scene_from_dict(_two_camera_scene(), "two.yaml")
    front = rs.scene.for_camera("front", (640, 360))
    t = 3.6  # she turned to him at 3.0 s
    staff_head = rs.scene.person("anna").path.position(np.array([t]))
    customer_head = rs.scene.person("bob").path.position(np.array([t]))
    u, v = front.layout.project_world(staff_head)[0]
    faces = _faces(out / "front.mp4", round(t * 15))
    assert any(f.bbox[0] - 5 <= u <= f.bbox[2] + 5 and f.bbox[1] - 5 <= v <= f.bbox[3] + 5
               for f in faces), (u, v, [f.bbox for f in faces])
    cu, cv_ = front.layout.project_world(customer_head)[0]
    assert not any(f.bbox[0] <= cu <= f.bbox[2] and f.bbox[1] <= cv_ <= f.bbox[3] for f in faces)


def test_several_cameras_refuse_one_observations_file_and_a_clip_name(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    scene = tmp_path / "two.yaml"
    scene.write_text(yaml.safe_dump(_two_camera_scene(), sort_keys=False), encoding="utf-8")
    assert main(["render-scene", str(scene), "--out", str(tmp_path / "o"), "--eval",
                 "--observations", str(tmp_path / "obs.jsonl")]) == 2
    err = capsys.readouterr().err
    assert "--observations writes one camera's" in err
    assert "Traceback" not in err and not (tmp_path / "o").exists()
    assert main(["render-scene", str(scene), "--out", str(tmp_path / "o.mp4")]) == 2
    assert "--out is a folder" in capsys.readouterr().err


def test_a_camera_that_cannot_see_the_counter_is_refused(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = _two_camera_scene()
    data["cameras"][1] = {"id": "away", "position_m": [0.0, 0.0, 2.0],
                          "look_at_m": [5.0, 0.0, 2.0]}
    scene = tmp_path / "away.yaml"
    scene.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    assert main(["render-scene", str(scene), "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert "camera away" in err and "Traceback" not in err


def test_the_simulator_writes_a_run_per_camera(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = _two_camera_scene()
    data.pop("render", None)
    scene = tmp_path / "two.yaml"
    scene.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    out = tmp_path / "sim"
    assert main(["simulate", "--scene", str(scene), "--noise", "none", "--out", str(out)]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert sorted(summary["cameras"]) == ["front", "side"]
    # The side camera sees the customer's face and her visit; the front one her back.
    assert summary["cameras"]["side"]["visits"] == 1
    assert summary["cameras"]["front"]["visits"] == 0
    for cid in ("side", "front"):
        assert (out / cid / "observations.jsonl").is_file()
        assert load_config(out / cid / "config.yaml").camera.pose is not None
    assert main(["eval", str(out / "side"), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["visits_matched"] == 1


@pytest.mark.parametrize("t", [3.6, 3.9])
def test_two_cameras_place_the_staff_head_where_their_rays_meet(
        two_rendered: tuple[Path, dict[str, Any]], t: float) -> None:
    """Real MediaPipe on both clips, each camera's config (its pose) from render-scene:
    the front camera, 3.2 m from the staff member, reads her distance tens of
    centimetres off; fused with the side camera's head, where the two rays meet is
    within 3 cm of her. The customer, his back to the front camera, is the side
    camera's alone."""
    from frontdesk.config import load_config
    from frontdesk.fusion import fuse_heads, heads_in_world
    from frontdesk.perception.perceiver import FacePerceiver
    from frontdesk.types import Frame

    out, _ = two_rendered
    rs = render_scene_from_dict(_two_camera_scene(), "two.yaml")
    truth = {p.id: p.path.position(np.array([t]))[0] for p in rs.scene.people}
    heads = []
    for cid in ("side", "front"):
        cfg = load_config(out / f"{cid}.config.yaml")
        assert cfg.camera.pose is not None
        cap = cv2.VideoCapture(str(out / f"{cid}.mp4"))
        cap.set(cv2.CAP_PROP_POS_FRAMES, round(t * 15))
        ok, image = cap.read()
        cap.release()
        assert ok
        with FacePerceiver(cfg.perception, cfg.camera) as perceiver:
            obs = perceiver.process(Frame(image, t, 0))
        heads += heads_in_world(obs, cid, WorldPose.from_config(cfg.camera.pose))
    people = fuse_heads(heads, t)
    nearest = {pid: min(people, key=lambda p, at=at: float(np.linalg.norm(p.position_m - at)))
               for pid, at in truth.items()}
    staff, customer = nearest["anna"], nearest["bob"]
    assert staff.camera_ids == ("side", "front") and customer.camera_ids == ("side",)
    fused_error = float(np.linalg.norm(staff.position_m - truth["anna"]))
    front_error = float(np.linalg.norm(staff.heads[1].position_m - truth["anna"]))
    assert fused_error < 0.03 and front_error > 0.2
    assert float(np.linalg.norm(customer.position_m - truth["bob"])) < 0.15


GREETING = Path(__file__).resolve().parents[1] / "scenes" / "two_cameras" / \
    "greeting_before_arrival.yaml"


@pytest.fixture(scope="module")
def greeting(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    import contextlib
    import io

    out = tmp_path_factory.mktemp("greeting") / "out"
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        assert main(["-q", "render-scene", str(GREETING), "--out", str(out), "--eval",
                     "--json"]) == 0
    return out, json.loads(buf.getvalue())


def test_a_greeting_before_arrival_seen_by_two_cameras_is_a_negative_latency(
        greeting: tuple[Path, dict[str, Any]]) -> None:
    """Rendered footage, real MediaPipe on both clips, fused into one engine: the
    greeting 1.5 m out is found, its latency negative and within 0.3 s of the truth."""
    _, printed = greeting
    (visit,) = printed["visits"]
    assert visit["latency_s"] is not None and -1.2 < visit["latency_s"] < -0.4
    figures = printed["eval"]
    assert figures["cameras"] == ["side", "front"]
    assert figures["visits_matched"] == figures["engine_visits"] == 1
    assert figures["ack_recall"] == figures["ack_precision"] == 1.0
    assert figures["latency_error_s"]["max"] <= 0.3


def test_the_side_camera_alone_reports_the_visit_without_the_greeting(
        greeting: tuple[Path, dict[str, Any]]) -> None:
    """Scored alone against the pair's truth, the side camera finds the customer and
    his arrival but cannot see the look (the staff member's face turned away)."""
    from frontdesk.render.evaluate import evaluate_clip

    out, _ = greeting
    figures = evaluate_clip(out / "side.mp4", out / "truth.json")
    assert figures["visits_matched"] == 1
    assert figures["ack_recall"] == 0.0
    assert figures["arrival_error_s"]["max"] <= 0.3
