"""``frontdesk bench idle``: its scenes, its arguments, and one short paced play."""

from __future__ import annotations

from pathlib import Path

import pytest

from frontdesk.bench.idle import SCENES, decode_paced, idle_scene, play_paced


@pytest.mark.parametrize("name", SCENES)
def test_the_scenes_are_valid_scene_files_with_the_people_they_promise(name: str) -> None:
    from frontdesk.render.scene_file import render_scene_from_dict

    rs = render_scene_from_dict(idle_scene(name, 20.0), name)
    roles = sorted(p["role"] for p in idle_scene(name, 20.0)["people"])
    assert rs.settings.size == (1280, 720) and rs.settings.fps == 15
    want = {"empty": ["customer"], "staff": ["staff"],
            "busy": ["customer"] * 4 + ["staff"]}[name]
    assert roles == want
    for person in idle_scene(name, 20.0)["people"]:
        assert max(w["t"] for w in person["path"]) <= 20.0  # no path outlasts the clip


@pytest.mark.parametrize("argv,message", [
    (["bench", "idle", "--scenes", "empty,crowded"], "--scenes takes some of"),
    (["bench", "idle", "--seconds", "5"], "between 20 and 600"),
    (["bench", "idle", "--idle-every-s", "0"], "from 0.1 to 30"),
])
def test_bad_arguments_are_one_line_errors(argv: list[str], message: str,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    from frontdesk.cli import main

    try:
        code = main(argv)
    except SystemExit as exc:  # argparse
        code = int(exc.code or 0)
    err = capsys.readouterr().err
    assert code != 0 and message in err and "Traceback" not in err


def test_a_paced_play_counts_cpu_over_the_clip_and_the_gate_skips_the_empty_start(
        tmp_path: Path) -> None:
    from frontdesk.render.clip import render_clip
    from frontdesk.render.scene_file import render_scene_from_dict

    scene = idle_scene("empty", 20.0)
    scene["render"]["size"] = [320, 180]
    scene["duration_s"] = 3.0
    for person in scene["people"]:
        for w in person["path"] + person["gaze"]:
            w["t"] = round(w["t"] * 3.0 / 20.0, 3)
    clip = tmp_path / "empty.mp4"
    render_clip(render_scene_from_dict(scene, "tiny-empty"), clip)
    off, on = play_paced(clip, gating=False), play_paced(clip, gating=True)
    for run in (off, on):
        assert run.frames == 46 and run.seconds == pytest.approx(46 / 15)
        assert run.cpu_pct == pytest.approx(100 * run.cpu_s / run.seconds)
    assert off.gate is None and on.gate is not None
    assert on.gate["skipped"] >= 36 and on.gate["frames"] == 46
    floor = decode_paced(clip)
    assert floor.frames == 46 and floor.gate is None
    assert 0 < floor.cpu_s < off.cpu_s  # decoding alone is cheaper than perceiving


def test_the_steps_add_one_saving_at_a_time_on_a_short_staff_clip(tmp_path: Path) -> None:
    """``bench idle --steps``: each step's gate decisions show its saving (the CPU
    figures themselves are the benchmark's, not asserted here)."""
    from frontdesk.bench.idle import STEPS, gating_steps
    from frontdesk.render.clip import render_clip
    from frontdesk.render.scene_file import render_scene_from_dict

    scene = idle_scene("staff", 20.0)
    scene["render"]["size"] = [640, 360]
    scene["duration_s"] = 6.0
    for person in scene["people"]:
        person["path"] = [{"t": 0, "at": "staff"}, {"t": 6.0, "at": "staff"}]
        person["gaze"] = [{"t": 0, "camera": True}]  # a face the detector holds throughout
    clip = tmp_path / "staff.mp4"
    render_clip(render_scene_from_dict(scene, "tiny-staff"), clip)
    steps = gating_steps(clip, repeats=1)
    assert list(steps) == list(STEPS)
    off, every, tiles, nomesh, default = (steps[name] for name in STEPS)
    assert off["gate"] is None and all(len(s["ms_per_frame"]) == 1 for s in steps.values())
    frames = every["gate"]["frames"]
    assert every["gate"]["detected"] == tiles["gate"]["detected"] == frames
    assert every["gate"]["tiles"] == frames and tiles["gate"]["tiles"] < frames / 2
    assert every["gate"]["unmeshed"] == tiles["gate"]["unmeshed"] == 0
    assert nomesh["gate"]["unmeshed"] > frames / 2  # staff settled after a second or so
    assert default["gate"]["staff_alone"] > frames / 3
    assert default["gate"]["detected"] < frames * 2 / 3
