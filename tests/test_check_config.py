"""check-config refuses what `run` would refuse, naming the file, line and key."""

from __future__ import annotations

from pathlib import Path

import pytest

from frontdesk.cli import main

GOOD = """\
site_id: shop-1
camera:
  source: {source}
counters:
  - id: counter-1
    name: Main counter
    zones:
      service: [[0.76, 0.27], [1.0, 0.27], [1.0, 0.85], [0.76, 0.85]]
      staff: [[0.0, 0.28], [0.39, 0.28], [0.39, 0.82], [0.0, 0.82]]
web:
  enabled: {web}
  bind: {bind}
"""


def _write(tmp_path: Path, **values: str) -> Path:
    fields = {"source": "demo://counter", "web": "false", "bind": "127.0.0.1:8080", **values}
    path = tmp_path / "shop.yaml"
    path.write_text(GOOD.format(**fields), encoding="utf-8")
    return path


def _check(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    rc = main(["check-config", *argv])
    out = capsys.readouterr()
    return rc, out.out, out.err


def test_a_good_file_is_ok_with_c_and_positionally(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _write(tmp_path)
    rc, out, _ = _check(capsys, "-c", str(path))
    assert rc == 0 and "OK" in out and "Main counter" in out
    rc, out, _ = _check(capsys, str(path))
    assert rc == 0 and "OK" in out


def test_a_missing_video_file_is_refused_with_its_line(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _write(tmp_path, source=str(tmp_path / "nowhere.mp4"))
    rc, _, err = _check(capsys, "-c", str(path))
    assert rc == 2
    assert f"{path}:3: camera.source: {tmp_path / 'nowhere.mp4'} does not exist" in err
    video = tmp_path / "here.mp4"
    video.write_bytes(b"x")
    rc, _, _ = _check(capsys, "-c", str(_write(tmp_path, source=str(video))))
    assert rc == 0


def test_a_web_ui_open_to_the_network_without_a_password_is_refused(
        tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    path = _write(tmp_path, web="true", bind="0.0.0.0:8080")
    rc, _, err = _check(capsys, "-c", str(path))
    assert rc == 2
    assert f"{path}:12: web.bind: refusing to serve the web UI on 0.0.0.0:8080" in err
    text = path.read_text(encoding="utf-8") + "  password_env: FD_CHECK_PASSWORD\n"
    path.write_text(text, encoding="utf-8")
    monkeypatch.delenv("FD_CHECK_PASSWORD", raising=False)
    rc, out, err = _check(capsys, "-c", str(path))
    assert rc == 0, err  # the service's environment may set it: a note, not a refusal
    assert f"note: {path}:13: web.password_env: FD_CHECK_PASSWORD is not set in this shell" in out
    monkeypatch.setenv("FD_CHECK_PASSWORD", "a-long-enough-password")
    rc, out, err = _check(capsys, "-c", str(path))
    assert rc == 0 and "note:" not in out, err


def test_a_service_zone_over_the_staff_zone_is_refused(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _write(tmp_path)
    text = path.read_text(encoding="utf-8").replace(
        "service: [[0.76, 0.27], [1.0, 0.27], [1.0, 0.85], [0.76, 0.85]]",
        "service: [[0.1, 0.3], [0.45, 0.3], [0.45, 0.8], [0.1, 0.8]]")
    path.write_text(text, encoding="utf-8")
    rc, _, err = _check(capsys, "-c", str(path))
    assert rc == 2
    assert f"{path}:8: counters[0].zones.service: the service zone overlaps the staff zone" in err


def test_a_duplicate_key_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _write(tmp_path)
    path.write_text(path.read_text(encoding="utf-8") + "site_id: shop-2\n", encoding="utf-8")
    rc, _, err = _check(capsys, "-c", str(path))
    assert rc == 2
    assert f"{path}:13: site_id: the key is given twice (also on line 1)" in err


def test_zone_overlap_shares() -> None:
    from frontdesk.config.zones import overlap_share

    square = [(0.0, 0.0), (1.0, 0.0), (1.0, 1.0), (0.0, 1.0)]
    right_half = [(0.5, 0.0), (1.0, 0.0), (1.0, 1.0), (0.5, 1.0)]
    assert overlap_share(square, right_half) == pytest.approx((0.5, 1.0), abs=0.02)
    apart = [(0.0, 0.0), (0.3, 0.0), (0.3, 0.3), (0.0, 0.3)]
    assert overlap_share(apart, right_half) == (0.0, 0.0)
    touching = [(0.2, 0.0), (0.5, 0.0), (0.5, 1.0), (0.2, 1.0)]  # shares an edge only
    assert overlap_share(touching, right_half) == (0.0, 0.0)


def test_an_approach_zone_over_the_staff_zone_is_refused_too() -> None:
    from frontdesk.config import Config, ConfigError, default_config_dict, parse_config

    data = default_config_dict()
    zones = data["counters"][0]["zones"]
    zones["approach"] = [list(p) for p in zones["staff"]]
    import yaml

    with pytest.raises(ConfigError) as err:
        parse_config(yaml.safe_dump(data), "shop.yaml")
    assert "counters[0].zones.approach: the approach zone overlaps the staff zone" in str(
        err.value.problems)
    assert Config.model_validate(default_config_dict())  # the default zones are apart
