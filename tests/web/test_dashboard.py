"""The staff dashboard in a real browser: a state it can vouch for, and its buttons."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import expect
from test_browser import login
from web_scene import PASSWORD, StandInRunner, feeding

from frontdesk.web.server import WebServer

GREEN_BORDER = "rgb(31, 138, 59)"  # --good


def _card(page: Any) -> Any:
    card = page.locator('article.counter[data-counter="counter-1"]')
    card.wait_for()
    return card


def _border(card: Any) -> str:
    return str(card.evaluate("e => getComputedStyle(e).borderLeftColor"))


def test_the_card_is_grey_while_the_camera_starts_and_after_frontdesk_stops(
        page: Any, server: WebServer, runner: StandInRunner, screenshot_dir: Path) -> None:
    runner.health["camera"] = "starting"
    login(page, server, "/dashboard")
    card = _card(page)
    expect(card).to_have_attribute("data-state", "unknown")
    expect(card).to_contain_text("Starting: no frame from the camera yet")
    assert _border(card) != GREEN_BORDER
    assert card.locator("button.ack").is_disabled()

    first_today = page.locator("#today tbody tr").first
    expect(first_today).to_contain_text("Main counter")
    assert first_today.locator("td").nth(1).inner_text() == "0"
    runner.health["camera"] = "online"
    with feeding(runner, 0.0):
        expect(card).to_have_attribute("data-state", "waiting")
        # the customer's arrival reaches today's table within seconds, not half a minute
        expect(first_today.locator("td").nth(1)).to_have_text("1", timeout=8_000)
        expect(card).to_contain_text("Customer 1 waiting")  # no track ids
        expect(card.locator("h2")).to_have_text("Main counter")  # the name, not the id
        expect(page.locator("#health")).to_contain_text("camera online")  # header agrees
        page.screenshot(path=str(screenshot_dir / "dashboard-waiting.png"), full_page=True)
        server.stop()
        stopped = time.monotonic()
        expect(card).to_have_attribute("data-state", "unknown", timeout=5_000)
    assert time.monotonic() - stopped < 5.0
    expect(card.locator(".badge")).to_contain_text("No connection to frontdesk")
    expect(page.locator("#health")).to_have_text("no answer from frontdesk")
    assert _border(card) != GREEN_BORDER
    page.screenshot(path=str(screenshot_dir / "dashboard-stopped.png"), full_page=True)


def test_a_card_goes_grey_when_frames_stop_coming(
        page: Any, server: WebServer, runner: StandInRunner,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("frontdesk.web.hub.STALE_S", 1.5)
    with feeding(runner, 0.0):
        login(page, server, "/dashboard")
        card = _card(page)
        expect(card).to_have_attribute("data-state", "waiting")
    # the loop stalls (camera still "online"): after stale_after_s the card is grey
    expect(card).to_have_attribute("data-state", "unknown", timeout=5_000)
    expect(card.locator(".badge")).to_contain_text("No frame for")


def test_acknowledge_button_sends_the_command_and_the_alert_clears(
        page: Any, server: WebServer, runner: StandInRunner) -> None:
    with feeding(runner, 0.0):
        login(page, server, "/dashboard")
        card = _card(page)
        page.check("#sound")  # optional sound: beeps when an alert starts
        expect(card).to_have_attribute("data-alert", "true", timeout=8_000)  # alert_after_s 3
        expect(page.locator("body")).to_have_attribute("data-beeps", "1")
        card.locator("button.ack").click()
        expect(card).to_have_attribute("data-alert", "false")
        expect(card).to_contain_text("Customer 1 acknowledged")
        expect(card.locator(".message")).to_have_text("acknowledged at Main counter")
        acks = [e for e in runner.events if e.type.value == "customer_acknowledged"]
        assert len(acks) == 1
        expect(card.locator("button.ack")).to_be_disabled()  # nobody left to acknowledge


def test_snooze_and_enable_buttons_reach_the_engine(
        page: Any, server: WebServer, runner: StandInRunner) -> None:
    with feeding(runner, 0.0):
        login(page, server, "/dashboard")
        card = _card(page)
        card.locator("button.snooze").click()
        expect(card.locator("button.snooze")).to_have_text("End snooze")
        assert server.hub.snapshot().states["counter-1"].snoozed_until_t is not None
        card.locator("button.enable").click()
        expect(card).to_have_attribute("data-state", "disabled")
        expect(card.locator(".badge")).to_have_text("Alerts off")
        assert server.hub.snapshot().states["counter-1"].enabled is False
        card.locator("button.enable").click()
        expect(card).not_to_have_attribute("data-state", "disabled")


@pytest.mark.parametrize(("path", "body", "status", "text"), [
    ("/api/counters/nope/acknowledge", {}, 404, "no counter 'nope'"),
    ("/api/counters/counter-1/acknowledge", {}, 409, "nobody is waiting at Main counter"),
    ("/api/counters/counter-1/snooze", {"seconds": -1}, 422, "seconds"),
])
def test_commands_that_make_no_sense_are_refused(
        server: WebServer, runner: StandInRunner, path: str, body: dict[str, Any],
        status: int, text: str) -> None:
    runner.run_scene(0.0, 0.0, faces=lambda _t: [])
    r = httpx.post(server.url + path, json=body,
                   headers={"Authorization": "Bearer " + PASSWORD})
    assert r.status_code == status and text in r.json()["error"]
    assert server.hub.take_commands() == []
    r = httpx.post(server.url + "/api/counters/counter-1/snooze", json={"seconds": 60})
    assert r.status_code == 401  # no login, no command


def test_while_the_demo_footage_renders_the_pages_say_so(
        page: Any, server: WebServer, runner: StandInRunner) -> None:
    from frontdesk import demo_footage

    runner.health["camera"] = "starting"
    demo_footage._set_progress((225, 901))
    try:
        login(page, server, "/dashboard")
        card = _card(page)
        expect(card.locator(".badge")).to_have_text(
            "Starting: rendering the demo footage, 24 % (first use only)")
        assert card.get_attribute("data-state") == "unknown"
        page.goto(f"{server.url}/live")
        expect(page.locator("#frame-message")).to_have_text(
            "no frame yet: rendering the demo footage, 24 % (first use only)")
        expect(page.locator("#frame")).to_be_hidden()  # no broken image meanwhile
    finally:
        demo_footage._set_progress(None)
