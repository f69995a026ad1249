"""deploy/: the systemd unit, install.sh's dry run, the compose file and broker config."""

from __future__ import annotations

import configparser
import shutil
import subprocess
from pathlib import Path

import yaml

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"


def _unit() -> configparser.ConfigParser:
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read(DEPLOY / "frontdesk.service")
    return parser


def test_the_service_is_a_hardened_notify_service_with_a_watchdog() -> None:
    service = _unit()["Service"]
    assert service["Type"] == "notify" and service["Restart"] == "always"
    assert int(service["WatchdogSec"]) > 2 * 30  # above twice camera.reconnect.max_s
    assert service["User"] == "frontdesk" and service["NoNewPrivileges"] == "yes"
    assert service["ProtectSystem"] == "strict" and service["PrivateTmp"] == "yes"
    assert service["ReadWritePaths"] == "/var/lib/frontdesk"
    assert int(service["TimeoutStopSec"]) >= 15  # the MQTT flush takes up to 5 s


def test_systemd_analyze_finds_nothing_but_the_missing_install() -> None:
    tool = shutil.which("systemd-analyze")
    assert tool is not None, "systemd-analyze is part of systemd; install it to check units"
    proc = subprocess.run([tool, "verify", str(DEPLOY / "frontdesk.service")],
                          capture_output=True, text=True, timeout=60)
    problems = [line for line in (proc.stdout + proc.stderr).splitlines()
                if line.strip() and "/opt/frontdesk/.venv/bin/frontdesk" not in line]
    assert problems == []


def test_install_dry_run_prints_every_step_and_changes_nothing(tmp_path: Path) -> None:
    proc = subprocess.run(["bash", str(DEPLOY / "install.sh"), "--dry-run"],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    for step in ("useradd --system", "-m venv /opt/frontdesk/.venv",
                 "/etc/frontdesk/frontdesk.yaml", "-o frontdesk -g frontdesk /var/lib/frontdesk",
                 "/etc/systemd/system/frontdesk.service", "systemctl enable frontdesk.service"):
        assert step in out or (step == "useradd --system" and "user frontdesk exists" in out)
    assert not Path("/opt/frontdesk/.venv").exists() or "exists" in out
    bad = subprocess.run(["bash", str(DEPLOY / "install.sh"), "--frobnicate"],
                         capture_output=True, text=True, timeout=60)
    assert bad.returncode == 2 and "unknown option" in bad.stderr


def test_compose_runs_frontdesk_with_an_authenticated_broker() -> None:
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    assert set(compose["services"]) == {"mosquitto", "frontdesk"}
    assert compose["services"]["frontdesk"]["restart"] == "always"
    conf = (DEPLOY / "mosquitto" / "mosquitto.conf").read_text().splitlines()
    assert "allow_anonymous false" in conf
    assert any(x.startswith("password_file ") for x in conf)
    assert any(x.startswith("acl_file ") for x in conf)
    assert "user frontdesk" in (DEPLOY / "mosquitto" / "acl").read_text()


def test_the_image_runs_as_a_non_root_user_on_python_311() -> None:
    lines = (DEPLOY / "Dockerfile").read_text().splitlines()
    assert lines[[i for i, x in enumerate(lines) if x.startswith("FROM ")][0]].startswith(
        "FROM python:3.11-slim")
    assert "USER frontdesk" in lines
