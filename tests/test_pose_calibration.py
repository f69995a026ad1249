"""``frontdesk calibrate pose``: a camera's pose in the floor frame from a rendered
ChArUco board or from measured floor points, checked against the cameras that drew them."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
import yaml
from skimage import data

from frontdesk.camera_model import Intrinsics
from frontdesk.cli import main
from frontdesk.config import default_config_dict, load_config
from frontdesk.errors import FrontdeskError
from frontdesk.pose_calibration import (
    BoardPlacement,
    CharucoSpec,
    FloorPoint,
    board_image,
    parse_floor_point,
    pose_from_board,
    pose_from_points,
)
from frontdesk.render.board import render_board_view
from frontdesk.world import WorldPose, rotation_angle_deg

SIZE = (1920, 1080)
INTR = Intrinsics.from_fov(*SIZE, 90.0)
SPEC = CharucoSpec()  # the default print: 5x4 squares of 100 mm
# The two cameras of issue 17's example scene: beside the counter, and facing the
# staff from the customers' side.
CAMERAS = {
    "side": WorldPose.look_at((0.8, 0.0, 1.9), (-1.5, 0.3, 1.6)),
    "front": WorldPose.look_at((-0.4, 2.6, 2.1), (-0.2, -0.6, 1.6)),
}
# On the counter top (0.9 m), its print's top edge along +x, in front of both.
ON_COUNTER = BoardPlacement((-0.95, 0.5, 0.9), 0.0)
# Points on the counter top around the board, and heads above it.
NEAR_BOARD = np.array([[x, y, z] for x in (-1.4, -0.9, -0.4) for y in (-0.2, 0.3, 0.8)
                       for z in (0.9, 1.6)])


def _reprojection_px(found: WorldPose, truth: WorldPose, points: np.ndarray) -> float:
    """Largest distance between where the found and the true camera see ``points`` in view."""
    seen = truth.project(points, INTR)
    in_view = ~np.isnan(seen).any(axis=1) & ((seen >= 0) & (seen < np.array(SIZE))).all(axis=1)
    assert in_view.sum() >= 4
    return float(np.linalg.norm(found.project(points, INTR) - seen, axis=1)[in_view].max())


def _pose_error(found: WorldPose, truth: WorldPose) -> tuple[float, float]:
    return (float(np.linalg.norm(found.position_m - truth.position_m)),
            rotation_angle_deg(found.rotation, truth.rotation))


@pytest.mark.parametrize("name", sorted(CAMERAS))
def test_a_rendered_board_gives_each_camera_its_pose(name: str) -> None:
    truth = CAMERAS[name]
    frame = render_board_view(SPEC, ON_COUNTER, truth, INTR, seed=3)
    result = pose_from_board(frame, SPEC, ON_COUNTER, INTR)
    position_m, angle_deg = _pose_error(result.pose, truth)
    assert position_m < 0.02 and angle_deg < 1.0, result.summary()
    assert result.good and result.points >= 6
    # A world point on the counter, or a head above it, projects back within 2 px of
    # where the true camera sees it.
    assert _reprojection_px(result.pose, truth, NEAR_BOARD) < 2.0
    # A person at a marked spot is placed within 15 cm by this camera: their head's
    # pixel back to the world at their measured height, and a taped floor mark.
    checked = 0
    for spot in ([0.0, 0.6, 1.65], [-0.75, -0.6, 1.7], [-1.6, 0.85, 1.6], [-1.0, 1.2, 0.0]):
        u, v = truth.project(np.array([spot]), INTR)[0]
        if not (0 <= u < SIZE[0] and 0 <= v < SIZE[1]):
            continue
        placed = result.pose.point_at_height(u, v, INTR, spot[2])
        assert placed is not None and np.linalg.norm(placed[:2] - np.array(spot[:2])) < 0.15
        checked += 1
    assert checked >= 2


def test_the_board_placement_sets_the_frame() -> None:
    """The same camera and a board turned 90 degrees elsewhere on the counter: still
    the same camera pose (the print's orientation is read as documented)."""
    turned = BoardPlacement((-1.2, -0.3, 0.9), 90.0)
    truth = CAMERAS["side"]
    result = pose_from_board(render_board_view(SPEC, turned, truth, INTR, seed=5), SPEC,
                             turned, INTR)
    position_m, angle_deg = _pose_error(result.pose, truth)
    assert position_m < 0.02 and angle_deg < 1.0
    wrong = pose_from_board(render_board_view(SPEC, turned, truth, INTR, seed=5), SPEC,
                            ON_COUNTER, INTR)
    assert _pose_error(wrong.pose, truth)[0] > 0.3


def test_no_board_in_a_photograph_says_so() -> None:
    photo = cv2.resize(cv2.cvtColor(data.astronaut(), cv2.COLOR_RGB2BGR), SIZE)
    with pytest.raises(FrontdeskError, match="no ChArUco board .* found"):
        pose_from_board(photo, SPEC, ON_COUNTER, INTR)
    with pytest.raises(FrontdeskError, match="1280x720 but the camera's intrinsics are for"):
        pose_from_board(cv2.resize(photo, (1280, 720)), SPEC, ON_COUNTER, INTR)


def test_a_board_too_small_in_the_view_is_not_found() -> None:
    """The front camera, 3 m from the board at a slant, at 1280x720: the markers are
    6 pixels tall and cannot be read; the message says what to check."""
    small = Intrinsics.from_fov(1280, 720, 90.0)
    frame = render_board_view(SPEC, ON_COUNTER, CAMERAS["front"], small)
    with pytest.raises(FrontdeskError, match="large enough"):
        pose_from_board(frame, SPEC, ON_COUNTER, small)


def _floor_marks(truth: WorldPose) -> tuple[np.ndarray, np.ndarray]:
    grid = np.array([[x, y, 0.0] for x in np.arange(-4.0, 1.01, 0.5)
                     for y in np.arange(-1.5, 2.51, 0.5)])
    px = truth.project(grid, INTR)
    ok = ~np.isnan(px).any(axis=1)
    ok[ok] &= ((px[ok] > 20) & (px[ok] < np.array(SIZE) - 20)).all(axis=1)
    return grid[ok], px[ok]


@pytest.mark.parametrize("name", sorted(CAMERAS))
def test_four_spread_floor_points_give_the_pose(name: str) -> None:
    truth = CAMERAS[name]
    world, px = _floor_marks(truth)
    # The four marks nearest the corners of the view, clicked to half a pixel.
    corners = np.array([[0, 0], [SIZE[0], 0], [SIZE[0], SIZE[1]], [0, SIZE[1]]])
    pick = [int(np.argmin(np.linalg.norm(px - c, axis=1))) for c in corners]
    assert len(set(pick)) == 4
    rng = np.random.default_rng(7)
    points = [FloorPoint(tuple(px[i] + rng.normal(0.0, 0.5, 2)), tuple(world[i])) for i in pick]
    result = pose_from_points(points, INTR)
    position_m, angle_deg = _pose_error(result.pose, truth)
    assert position_m < 0.02 and angle_deg < 1.0, result.summary()
    assert result.rms_px < 2.0
    # A point on the floor among the marks, or 1 m above it, projects back within 2 px.
    lo, hi = world.min(axis=0), world.max(axis=0)
    inside = np.array([[x, y, z] for x in np.linspace(lo[0], hi[0], 4)
                       for y in np.linspace(lo[1], hi[1], 4) for z in (0.0, 1.0)])
    assert _reprojection_px(result.pose, truth, inside) < 2.0


def test_more_floor_points_and_raised_ones() -> None:
    truth = CAMERAS["front"]
    world, px = _floor_marks(truth)
    rng = np.random.default_rng(11)
    pick = rng.choice(len(world), 8, replace=False)
    raised = world[pick] + np.array([0.0, 0.0, 0.9]) * (np.arange(8)[:, None] % 2)
    pixels = truth.project(raised, INTR) + rng.normal(0.0, 0.5, (8, 2))
    points = [FloorPoint(tuple(p), tuple(w)) for p, w in zip(pixels, raised, strict=True)]
    position_m, angle_deg = _pose_error(pose_from_points(points, INTR).pose, truth)
    assert position_m < 0.02 and angle_deg < 1.0


def test_bad_floor_points_are_named() -> None:
    truth = CAMERAS["side"]
    world, px = _floor_marks(truth)
    pts = [FloorPoint(tuple(p), tuple(w)) for p, w in zip(px, world, strict=True)]
    with pytest.raises(FrontdeskError, match="3 floor points given; a pose needs at least 4"):
        pose_from_points(pts[:3], INTR)
    line = [p for p in pts if p.world_m[1] == pts[0].world_m[1]][:5]
    assert len(line) >= 4
    with pytest.raises(FrontdeskError, match="on one line"):
        pose_from_points(line, INTR)
    with pytest.raises(FrontdeskError, match="outside the 1920x1080 image"):
        pose_from_points([*pts[:4], FloorPoint((2500.0, 10.0), (3.0, 3.0, 0.0))], INTR)
    with pytest.raises(FrontdeskError, match="less than 1 cm apart"):
        pose_from_points([*pts[:4], FloorPoint(pts[0].pixel, pts[0].world_m)], INTR)


def test_a_pose_under_the_floor_is_refused() -> None:
    """Marks whose heights were given with the wrong sign (or a camera that really
    looks up at them from below) solve to a camera under the floor: refused."""
    below = WorldPose.look_at((0.0, 0.0, -1.5), (-2.0, 0.5, 0.0))
    world = np.array([[x, y, 0.0] for x in (-3.0, -2.5, -2.0, -1.5) for y in (-0.5, 0.5, 1.5)])
    px = below.project(world, INTR)
    ok = ~np.isnan(px).any(axis=1) & ((px > 0) & (px < np.array(SIZE))).all(axis=1)
    assert ok.sum() >= 4
    pts = [FloorPoint(tuple(p), tuple(w)) for p, w in zip(px[ok], world[ok], strict=True)]
    with pytest.raises(FrontdeskError, match="below the floor"):
        pose_from_points(pts, INTR)


def test_floor_point_syntax() -> None:
    assert parse_floor_point("640,500=0,0.6") == FloorPoint((640.0, 500.0), (0.0, 0.6, 0.0))
    assert parse_floor_point("1,2=3,4,0.9").world_m == (3.0, 4.0, 0.9)
    with pytest.raises(FrontdeskError, match="U,V=X,Y"):
        parse_floor_point("640,500:0,0.6")


def test_the_printed_board_has_its_size() -> None:
    img = board_image(SPEC, px_per_mm=2.0, margin_mm=10.0)
    assert img.shape == (2 * 400 + 40, 2 * 500 + 40)
    with pytest.raises(FrontdeskError, match="must be smaller than the square"):
        CharucoSpec(marker_mm=120.0)


# ---------------------------------------------------------------------- the command line


def _config(tmp_path: Path, fov: float = 90.0) -> Path:
    raw = default_config_dict()
    raw["camera"] = {"horizontal_fov_deg": fov}
    path = tmp_path / "frontdesk.yaml"
    path.write_text("# the shop's camera\n" + yaml.safe_dump(raw, sort_keys=False),
                    encoding="utf-8")
    return path


def test_calibrate_board_then_pose_writes_the_config(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from PIL import Image

    board = tmp_path / "board.png"
    assert main(["calibrate", "board", "--out", str(board)]) == 0
    with Image.open(board) as printed:
        assert printed.info["dpi"][0] == pytest.approx(300, abs=0.5)
        assert printed.size[0] == round((500 + 20) * 300 / 25.4)
    assert "print at 100 %" in capsys.readouterr().out

    truth = CAMERAS["side"]
    frame = tmp_path / "side.png"
    cv2.imwrite(str(frame), render_board_view(SPEC, ON_COUNTER, truth, INTR, seed=9))
    cfg = _config(tmp_path)
    assert main(["calibrate", "pose", "--config", str(cfg), "--image", str(frame),
                 "--board-at=-0.95,0.5,0.9", "--write"]) == 0
    out = capsys.readouterr().out
    assert "ChArUco board" in out and "written to" in out
    assert cfg.read_text(encoding="utf-8").startswith("# the shop's camera")
    pose = load_config(cfg).camera.pose
    assert pose is not None and pose.reprojection_error_px is not None
    position_m, angle_deg = _pose_error(WorldPose.from_config(pose), truth)
    assert position_m < 0.02 and angle_deg < 1.0


def test_calibrate_pose_from_points_on_the_command_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    truth = CAMERAS["front"]
    world, px = _floor_marks(truth)
    pick = np.linspace(0, len(world) - 1, 6).astype(int)
    args = [f"--point={px[i][0]:.1f},{px[i][1]:.1f}={world[i][0]},{world[i][1]}" for i in pick]
    cfg = _config(tmp_path)
    assert main(["calibrate", "pose", "--config", str(cfg), "--size", "1920x1080", *args,
                 "--write"]) == 0
    pose = load_config(cfg).camera.pose
    assert pose is not None
    assert _pose_error(WorldPose.from_config(pose), truth)[0] < 0.02
    capsys.readouterr()
    assert main(["calibrate", "pose", "--config", str(cfg), "--size", "1920x1080",
                 *args[:2]]) == 2
    err = capsys.readouterr().err
    assert "2 floor points given; a pose needs at least 4" in err and "Traceback" not in err


def test_calibrate_pose_without_a_board_in_view_says_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    photo = tmp_path / "astronaut.png"
    cv2.imwrite(str(photo), cv2.cvtColor(data.astronaut(), cv2.COLOR_RGB2BGR))
    cfg = _config(tmp_path)
    before = cfg.read_text(encoding="utf-8")
    assert main(["calibrate", "pose", "--config", str(cfg), "--image", str(photo),
                 "--write"]) == 2
    err = capsys.readouterr().err
    assert "no ChArUco board" in err and "Traceback" not in err
    assert cfg.read_text(encoding="utf-8") == before


def test_calibrate_pose_writes_into_the_chosen_camera_of_several(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    raw = default_config_dict()
    counter = raw.pop("counters")[0]
    raw["cameras"] = [
        {"id": "side", "camera": {"horizontal_fov_deg": 90},
         "counters": [dict(counter, id="desk-side")]},
        {"id": "front", "camera": {"horizontal_fov_deg": 90},
         "counters": [dict(counter, id="desk-front")]},
    ]
    cfg = tmp_path / "two.yaml"
    cfg.write_text(yaml.safe_dump(raw, sort_keys=False), encoding="utf-8")
    frame = tmp_path / "front.png"
    cv2.imwrite(str(frame), render_board_view(SPEC, ON_COUNTER, CAMERAS["front"], INTR, seed=4))
    args = ["calibrate", "pose", "--config", str(cfg), "--image", str(frame),
            "--board-at=-0.95,0.5,0.9", "--write"]
    assert main(args) == 2
    assert "several cameras (side, front)" in capsys.readouterr().err
    assert main([*args, "--camera", "front"]) == 0
    config = load_config(cfg)
    assert config.for_camera("side").camera.pose is None
    front = config.for_camera("front").camera.pose
    assert front is not None
    assert _pose_error(WorldPose.from_config(front), CAMERAS["front"])[0] < 0.02


def test_calibrate_pose_grabs_a_frame_from_the_camera_source(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Without --image, the frame comes from camera.source (here a folder holding one
    still, as a camera would give it)."""
    folder = tmp_path / "frames"
    folder.mkdir()
    cv2.imwrite(str(folder / "0001.png"),
                render_board_view(SPEC, ON_COUNTER, CAMERAS["side"], INTR, seed=6))
    raw = default_config_dict()
    raw["camera"] = {"source": str(folder), "horizontal_fov_deg": 90}
    cfg = tmp_path / "live.yaml"
    cfg.write_text(yaml.safe_dump(raw, sort_keys=False), encoding="utf-8")
    assert main(["calibrate", "pose", "--config", str(cfg), "--board-at=-0.95,0.5,0.9",
                 "--write"]) == 0
    assert "ChArUco board" in capsys.readouterr().out
    pose = load_config(cfg).camera.pose
    assert pose is not None
    assert _pose_error(WorldPose.from_config(pose), CAMERAS["side"])[0] < 0.02
