"""The web page in a real browser: Debian's headless chromium driven by selenium against a
running daemon (in a thread of its own) and simulated cameras. It clicks presets, arms the
store toggle, selects a camera, drags the joystick and the zoom rocker, and loses its
connection; the simulated cameras say what reached them. The suite's screenshot for the
README is taken here (docs/web-page.png)."""

from __future__ import annotations

import asyncio
import os
import shutil
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from pathlib import Path
from typing import Any

import pytest

from api_rig import ApiRig, api_rig

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
SCREENSHOT = Path(__file__).resolve().parents[1] / "docs" / "web-page.png"
TOKEN = "page-token-4711"


class Daemon:
    """The API rig running on an event loop in a thread, for a synchronous browser test."""

    def __init__(self, folder: Path, api: str, more: tuple[str, ...] = ()) -> None:
        self._ready: Future[ApiRig] = Future()
        self._stop: asyncio.Event | None = None
        self.loop: asyncio.AbstractEventLoop | None = None
        self._thread = threading.Thread(target=lambda: asyncio.run(self._main(folder, api, more)), daemon=True)
        self._thread.start()
        self.rig = self._ready.result(timeout=30)

    async def _main(self, folder: Path, api: str, more: tuple[str, ...]) -> None:
        self.loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        try:
            async with api_rig(folder, api, more=more) as rig:
                self._ready.set_result(rig)
                await self._stop.wait()
        except BaseException as exc:
            if not self._ready.done():
                self._ready.set_exception(exc)
            raise

    def call(self, coroutine: Any) -> Any:
        """Run ``coroutine`` on the daemon's loop; its result."""
        assert self.loop is not None
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout=10)

    def stop(self) -> None:
        assert self.loop is not None and self._stop is not None
        self.loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(timeout=20)


def wait_for(condition: Callable[[], bool], what: str, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)


def chromium(phone: tuple[int, int] | None = None) -> Iterator[Any]:
    """Headless chromium (Debian's own: no downloaded builds), a fresh profile each test: a
    900×420 window, or ``phone`` (width, height): a phone's screen with touch, as Chrome's
    device emulation gives it (pointer events from touches, the phone's pixel ratio)."""
    if not (os.path.exists(CHROMIUM) and os.path.exists(CHROMEDRIVER)):
        message = f"the web page tests need {CHROMIUM} and {CHROMEDRIVER} (Debian chromium, chromium-driver)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    profile = tempfile.mkdtemp(prefix="ptzmapd-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage", f"--user-data-dir={profile}", "--window-size=900,420"):
        options.add_argument(flag)
    if phone is not None:
        options.add_experimental_option("mobileEmulation", {
            "deviceMetrics": {"width": phone[0], "height": phone[1], "pixelRatio": 2.625, "touch": True},
            "userAgent": "Mozilla/5.0 (Linux; Android 14; Pixel 7) AppleWebKit/537.36 (KHTML, like Gecko) "
                         "Chrome/120.0 Mobile Safari/537.36",
        })
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture
def browser() -> Iterator[Any]:
    yield from chromium()


@pytest.fixture
def daemon(tmp_path: Path) -> Iterator[Daemon]:
    running = Daemon(tmp_path, "  hold: 0.5\n")
    yield running
    running.stop()


def tile(driver: Any, camera: str) -> Any:
    from selenium.webdriver.common.by import By

    return driver.find_element(By.CSS_SELECTOR, f'.tile[data-camera="{camera}"]')


def open_page(driver: Any, rig: ApiRig) -> None:
    from selenium.webdriver.common.by import By

    driver.get(rig.url + "/")
    wait_for(lambda: driver.find_element(By.ID, "connection").text == "connected", "the page to connect")
    wait_for(lambda: len(driver.find_elements(By.CSS_SELECTOR, ".tile")) == 2, "two camera tiles")


def test_presets_store_select_and_the_live_tiles(browser: Any, daemon: Daemon) -> None:
    from selenium.webdriver.common.by import By

    rig = daemon.rig
    open_page(browser, rig)
    assert "selected" in tile(browser, "stage").get_attribute("class")
    assert tile(browser, "stage").find_element(By.CSS_SELECTOR, ".online").text == "online"
    presets = tile(browser, "pulpit").find_elements(By.CSS_SELECTOR, ".preset")
    assert [button.text for button in presets] == [str(n) for n in range(1, 10)]

    presets[4].click()
    wait_for(lambda: "preset recall 5" in rig.pulpit.received, "pulpit to recall preset 5")
    tile(browser, "stage").find_element(By.CSS_SELECTOR, ".store").click()
    tile(browser, "stage").find_elements(By.CSS_SELECTOR, ".preset")[1].click()
    wait_for(lambda: "preset store 2" in rig.stage.received, "stage to store preset 2")
    assert tile(browser, "stage").find_element(By.CSS_SELECTOR, ".store").get_attribute("aria-pressed") == "false"
    tile(browser, "stage").find_elements(By.CSS_SELECTOR, ".preset")[1].click()  # disarmed: recalls
    wait_for(lambda: "preset recall 2" in rig.stage.received, "stage to recall preset 2")

    tile(browser, "pulpit").find_element(By.CSS_SELECTOR, ".name").click()
    wait_for(lambda: rig.runtime.pipeline.selected == "pulpit", "pulpit selected")
    wait_for(lambda: "selected" in tile(browser, "pulpit").get_attribute("class"), "the pulpit tile highlighted")
    assert "selected" not in tile(browser, "stage").get_attribute("class")

    # The daemon loses a camera (it stops answering a recall): its tile says so, live.
    rig.pulpit.silent = True
    tile(browser, "pulpit").find_elements(By.CSS_SELECTOR, ".preset")[6].click()
    wait_for(lambda: "offline" in tile(browser, "pulpit").get_attribute("class"), "the pulpit tile offline", timeout=20)
    rig.pulpit.silent = False
    SCREENSHOT.parent.mkdir(exist_ok=True)
    wait_for(lambda: "offline" not in tile(browser, "pulpit").get_attribute("class"), "pulpit back", timeout=20)
    browser.save_screenshot(str(SCREENSHOT))


def test_the_joystick_pans_while_held_and_stops_on_release(browser: Any, daemon: Daemon) -> None:
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By

    rig = daemon.rig
    open_page(browser, rig)
    joystick = browser.find_element(By.ID, "joystick")
    radius = joystick.size["width"] / 2
    ActionChains(browser).move_to_element(joystick).click_and_hold().move_by_offset(int(radius * 0.95), 0).perform()
    wait_for(lambda: any(line.startswith("pan right 0x1") for line in rig.stage.received), "stage to pan right")
    started = len(rig.stage.received)
    time.sleep(1.5)  # three times api.hold: the page repeats, so the camera keeps moving
    assert "pan stop, tilt stop" not in rig.stage.received[started:]
    ActionChains(browser).release().perform()
    wait_for(lambda: rig.stage.received[-1] == "pan stop, tilt stop", "stage to stop on release")
    assert rig.pulpit.received[-1:] != ["pan right 0x18, tilt stop"]

    browser.find_element(By.ID, "fine").click()  # fine mode: a full drag is a quarter speed
    ActionChains(browser).move_to_element(joystick).click_and_hold().move_by_offset(0, -int(radius * 0.95)).perform()
    wait_for(lambda: rig.stage.received[-1].startswith("pan stop, tilt up 0x0"), "stage to tilt up slowly")
    ActionChains(browser).release().perform()
    wait_for(lambda: rig.stage.received[-1] == "pan stop, tilt stop", "stage to stop")

    zoom = browser.find_element(By.ID, "zoom")
    ActionChains(browser).move_to_element(zoom).click_and_hold().move_by_offset(0, -int(zoom.size["height"] * 0.45)).perform()
    wait_for(lambda: rig.stage.received[-1].startswith("zoom tele"), "stage to zoom in")
    ActionChains(browser).release().perform()
    wait_for(lambda: rig.stage.received[-1] == "zoom stop", "stage to stop zooming")


def test_a_lost_connection_is_shown_at_once_and_stops_what_the_page_moved(browser: Any, daemon: Daemon) -> None:
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By

    rig = daemon.rig
    open_page(browser, rig)
    joystick = browser.find_element(By.ID, "joystick")
    ActionChains(browser).move_to_element(joystick).click_and_hold().move_by_offset(-int(joystick.size["width"] * 0.45), 0).perform()
    wait_for(lambda: rig.stage.received[-1].startswith("pan left 0x1"), "stage to pan left")
    front_end = rig.runtime.front_ends[0]
    daemon.call(front_end.hub.close())  # type: ignore[attr-defined]  # the daemon drops every socket
    wait_for(lambda: browser.find_element(By.ID, "connection").get_attribute("class") == "down", "the page to show the loss")
    wait_for(lambda: rig.stage.received[-1] == "pan stop, tilt stop", "the camera to stop")
    ActionChains(browser).release().perform()
    # ...and the page comes back by itself, its hand off the stick.
    wait_for(lambda: browser.find_element(By.ID, "connection").text == "connected", "the page to reconnect")
    time.sleep(0.5)
    assert rig.stage.received[-1] == "pan stop, tilt stop"


async def _stall(seconds: float) -> None:
    time.sleep(seconds)  # the daemon's loop answers nothing meanwhile: a link that died silently


def test_a_daemon_that_stops_answering_is_shown_lost_although_the_socket_stays_open(browser: Any, daemon: Daemon) -> None:
    from selenium.webdriver.common.by import By

    rig = daemon.rig
    open_page(browser, rig)
    assert daemon.loop is not None
    # A dropped Wi-Fi closes nothing: the page, idle, must find out by itself that nobody answers.
    asyncio.run_coroutine_threadsafe(_stall(4.0), daemon.loop)
    wait_for(lambda: browser.find_element(By.ID, "connection").get_attribute("class") == "down",
             "the page to show the loss", timeout=3.5)
    wait_for(lambda: browser.find_element(By.ID, "connection").text == "connected", "the page to reconnect", timeout=15)
    tile(browser, "stage").find_elements(By.CSS_SELECTOR, ".preset")[2].click()
    wait_for(lambda: "preset recall 3" in rig.stage.received, "stage to recall preset 3 after the reconnection")


def test_the_page_asks_for_the_token_once_and_keeps_it(browser: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from selenium.webdriver.common.by import By

    monkeypatch.setenv("PTZMAPD_PAGE_TOKEN", TOKEN)
    daemon = Daemon(tmp_path, "  token_env: PTZMAPD_PAGE_TOKEN\n")
    try:
        rig = daemon.rig
        browser.get(rig.url + "/")
        wait_for(lambda: browser.find_element(By.ID, "token-form").is_displayed(), "the token form")
        browser.find_element(By.ID, "token-input").send_keys("not-it")
        browser.find_element(By.CSS_SELECTOR, "#token-form button").click()
        wait_for(lambda: browser.find_element(By.ID, "token-error").is_displayed(), "the refusal shown")
        field = browser.find_element(By.ID, "token-input")
        field.clear()
        field.send_keys(TOKEN)
        browser.find_element(By.CSS_SELECTOR, "#token-form button").click()
        wait_for(lambda: browser.find_element(By.ID, "connection").text == "connected", "the page to connect")
        browser.refresh()  # kept in the browser: not asked again
        open_page(browser, rig)
        assert not browser.find_element(By.ID, "token-form").is_displayed()
        tile(browser, "stage").find_elements(By.CSS_SELECTOR, ".preset")[0].click()
        wait_for(lambda: "preset recall 1" in rig.stage.received, "stage to recall preset 1")
    finally:
        daemon.stop()


#: A phone held sideways, less the browser's own bars (Chrome on a Pixel 7: 915×412 less ~70).
PHONE_SIDEWAYS = (740, 340)


def test_on_a_phone_held_sideways_four_cameras_and_a_large_joystick_fit_and_touch_drives_them(tmp_path: Path) -> None:
    from selenium.webdriver.common.by import By

    phone = chromium(PHONE_SIDEWAYS)
    driver = next(phone)
    daemon: Daemon | None = None
    try:
        daemon = Daemon(tmp_path, "  hold: 0.5\n", more=("balcony", "side"))
        rig = daemon.rig
        driver.get(rig.url + "/")
        wait_for(lambda: driver.find_element(By.ID, "connection").text == "connected", "the page to connect")
        wait_for(lambda: len(driver.find_elements(By.CSS_SELECTOR, ".tile")) == 4, "four camera tiles")
        width, height, page_height = driver.execute_script(
            "return [innerWidth, innerHeight, document.documentElement.scrollHeight]")
        assert (width, height) == PHONE_SIDEWAYS and page_height <= height  # the page itself never scrolls
        inside = "const r = arguments[0].getBoundingClientRect(); return r.bottom <= innerHeight && r.right <= innerWidth"
        for name in ("stage", "pulpit", "balcony", "side"):  # every camera at hand, no scrolling
            for part in (tile(driver, name), *tile(driver, name).find_elements(By.CSS_SELECTOR, "button")):
                assert driver.execute_script(inside, part), f"{name}: {part.get_attribute('class')} {part.text!r} is off the screen"
        joystick = driver.find_element(By.ID, "joystick")
        # The stick as large as the height allows (below the header), for fine framing by thumb.
        assert joystick.size["height"] >= 0.7 * (height - driver.find_element(By.TAG_NAME, "header").size["height"])
        for control in ("joystick", "zoom", "fine", "stop"):
            assert driver.execute_script(inside, driver.find_element(By.ID, control)), control

        # A thumb: touches, as the phone sends them (pointer events of type touch).
        box = joystick.rect
        x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2

        def touch(kind: str, *points: tuple[float, float]) -> None:
            driver.execute_cdp_cmd("Input.dispatchTouchEvent", {
                "type": kind, "touchPoints": [{"x": px, "y": py, "id": 1} for px, py in points]})

        touch("touchStart", (x, y))
        for step in range(1, 9):
            touch("touchMove", (x, y - step * box["height"] * 0.055))
        wait_for(lambda: any(line.startswith("pan stop, tilt up 0x1") for line in rig.stage.received), "stage to tilt up")
        touch("touchEnd")
        wait_for(lambda: rig.stage.received[-1] == "pan stop, tilt stop", "stage to stop when the thumb lifts")
        time.sleep(0.5)  # a thumb takes a moment to move over (Chrome clicks no tap sent the instant a drag ends)
        side = tile(driver, "side").find_elements(By.CSS_SELECTOR, ".preset")[7].rect
        touch("touchStart", (side["x"] + side["width"] / 2, side["y"] + side["height"] / 2))
        touch("touchEnd")
        wait_for(lambda: "preset recall 8" in rig.more["side"].received, "the fourth camera to recall preset 8")
    finally:
        phone.close()
        if daemon is not None:
            daemon.stop()
