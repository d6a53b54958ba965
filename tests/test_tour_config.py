"""``tours:``, ``state_dir`` and the tour/trace bindings in a config: the issue's example as
written, and every mistake reported at its FILE:LINE:COL with suggestions."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from ptzmapd.cli import main
from ptzmapd.config.loader import load_config
from ptzmapd.config.model import TourConfig, TourStop
from ptzmapd.tours.store import Trace, default_state_dir, write_trace
from ptzmapd.commands import PanTilt
from helpers import problems_of, write

CAMERAS = """\
cameras:
  pulpit: {protocol: visca-ip, host: 127.0.0.2}
  gate: {protocol: pelco-d, device: /dev/null, address: 1}
inputs:
  desk:  {type: midi, port: "*X-TOUCH MINI*"}
"""

#: The issue's example, as written (its groups and preset speed are the groups lane's).
ISSUE = """\
cameras:
  pulpit: {protocol: visca-ip, host: 127.0.0.2}
  gate: {protocol: pelco-d, device: /dev/null, address: 1}
inputs:
  desk:  {type: midi, port: "*X-TOUCH MINI*", group: a}
  pad:   {type: gamepad, group: b}            # group: each group has its own selected camera
bindings:
  - {input: desk, note: 8, action: preset, preset: 3, speed: 0.2}   # travel at 20 % of full speed
  - {input: desk, note: 9, action: tour, tour: sermon, mode: toggle}
  - {input: desk, note: 10, action: trace, trace: walk-in, mode: record}   # toggle recording
  - {input: desk, note: 11, action: trace, trace: walk-in, mode: play}     # and stop, loop
tours:
  sermon: {camera: pulpit, stops: [{preset: 1, dwell: 8}, {preset: 2, dwell: 5}], speed: 0.3, loop: true}
state_dir: /var/lib/ptzmapd     # where traces are kept; default: the user's state directory
"""


def test_the_issue_example_loads_as_written(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, "a.yaml", ISSUE))
    assert config.tours == {"sermon": TourConfig(
        "sermon", "pulpit", (TourStop(1, 8.0, config.tours["sermon"].stops[0].mark, 0),
                             TourStop(2, 5.0, config.tours["sermon"].stops[1].mark, 1)),
        config.tours["sermon"].mark, speed=0.3, loop=True,
    )}
    assert config.state_dir == "/var/lib/ptzmapd"
    _, tour, record, play = config.bindings
    assert (tour.tour, tour.mode) == ("sermon", "toggle")
    assert (record.trace, record.mode, record.camera, record.group) == ("walk-in", "record", "selected", "a")
    assert (play.trace, play.mode, play.loop) == ("walk-in", "play", "once")


def test_loop_and_ping_pong_and_the_default_mode(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, "a.yaml", CAMERAS + """\
bindings:
  - {input: desk, note: 9, action: tour, tour: sermon}
  - {input: desk, note: 10, action: trace, trace: walk-in, mode: record, camera: pulpit}
  - {input: desk, note: 11, action: trace, trace: walk-in, mode: play, loop: true}
  - {input: desk, note: 12, action: trace, trace: walk-in, mode: play, loop: ping-pong}
tours:
  sermon: {camera: gate, stops: [{preset: 1, dwell: 0}]}
"""))
    assert config.bindings[0].mode == "toggle"
    assert config.bindings[1].camera == "pulpit"
    assert [b.loop for b in config.bindings[2:]] == ["loop", "ping-pong"]
    assert config.tours["sermon"].loop is False and config.tours["sermon"].speed is None


def test_state_dir_is_beside_the_config_or_the_users_state_directory(tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    given = load_config(write(tmp_path, "sub/a.yaml", CAMERAS + "state_dir: state\n"))
    assert given.state_dir == str(tmp_path / "sub" / "state")
    monkeypatch.delenv("STATE_DIRECTORY", raising=False)
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "xdg"))
    assert load_config(write(tmp_path, "b.yaml", CAMERAS)).state_dir == str(tmp_path / "xdg" / "ptzmapd")
    monkeypatch.delenv("XDG_STATE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert default_state_dir() == str(tmp_path / "home" / ".local" / "state" / "ptzmapd")
    monkeypatch.setenv("STATE_DIRECTORY", "/var/lib/ptzmapd:/var/lib/other")  # systemd's StateDirectory=
    assert default_state_dir() == "/var/lib/ptzmapd"


def test_every_tour_mistake_is_reported_at_its_place(tmp_path: Path) -> None:
    path = write(tmp_path, "a.yaml", CAMERAS + """\
bindings:
  - {input: desk, note: 9, action: tour, tour: sermn}
  - {input: desk, note: 10, action: tour, tour: sermon, camera: pulpit}
  - {input: desk, note: 11, action: tour, tour: sermon, mode: pause}
tours:
  sermon: {camera: pulpit, stops: [{preset: 1, dwell: 8}]}
  bad: {camera: pulpt, stops: [{preset: 1, dwell: -8}]}
  far: {camera: gate, stops: [{preset: 0, dwell: 1}, {preset: 3}]}
  slow: {camera: gate, stops: [{preset: 1, dwell: 1}], speed: 0.5}
  wide: {camera: pulpit, stops: [{preset: 300, dwell: 1}], speed: 0, loops: true}
  empty: {camera: pulpit, stops: []}
  flat: 3
""")
    assert problems_of(path) == [
        f"{path}:7:48: bindings[0].tour: unknown tour 'sermn' (did you mean 'sermon'? "
        "valid: sermon, bad, far, slow, wide, empty, flat)",
        f"{path}:8:57: bindings[1].camera: key 'camera' does not apply to action 'tour'",
        f"{path}:9:63: bindings[2].mode: unknown mode 'pause' (valid: start, stop, toggle)",
        f"{path}:12:17: tours.bad.camera: unknown camera 'pulpt' (did you mean 'pulpit'? valid: pulpit, gate)",
        f"{path}:12:51: tours.bad.stops[0].dwell: -8 is out of range (valid: 0..86400)",
        f"{path}:13:40: tours.far.stops[0].preset: camera 'gate' (pelco-d): pelco preset number must be 1..255, got 0",
        f"{path}:13:54: tours.far.stops[1]: missing key 'dwell'",
        f"{path}:14:63: tours.slow.speed: camera 'gate' (pelco-d) cannot 'preset speed' "
        "(it can: pan, tilt, zoom, focus, stop, home, preset, iris, raw pelco)",
        f"{path}:15:43: tours.wide.stops[0].preset: 300 is out of range (valid: 0..127)",
        f"{path}:15:67: tours.wide.speed: 0 is out of range (valid: more than 0, at most 1)",
        f"{path}:15:70: tours.wide.loops: unknown key 'loops' (did you mean 'loop'? valid: camera, stops, speed, loop)",
        f"{path}:16:34: tours.empty.stops: a tour needs at least one stop",
        f"{path}:17:9: tours.flat: expected a mapping of tour settings (camera, stops, speed, loop)",
    ]


def test_every_trace_mistake_is_reported_at_its_place(tmp_path: Path) -> None:
    path = write(tmp_path, "a.yaml", CAMERAS + """\
bindings:
  - {input: desk, note: 9, action: trace, trace: walk-in, mode: record}
  - {input: desk, note: 10, action: trace, trace: walk-ni, mode: play}
  - {input: desk, note: 11, action: trace, trace: "../x", mode: play}
  - {input: desk, note: 12, action: trace, trace: walk-in, mode: stop, loop: true}
  - {input: desk, note: 13, action: trace, trace: walk-in, mode: play, camera: gate}
  - {input: desk, note: 14, action: trace, trace: walk-in, mode: play, loop: twice}
  - {input: desk, note: 15, action: trace, trace: walk-in}
  - {input: desk, note: 16, action: trace, trace: walk-in, mode: record, camera: all}
state_dir: state
""")
    stored = tmp_path / "state" / "traces" / "walk-ni.json"
    assert problems_of(path) == [
        f"{path}:8:51: bindings[1].trace: no binding records trace 'walk-ni' and {stored} does not exist "
        "(did you mean 'walk-in'? valid: walk-in)",
        f"{path}:9:51: bindings[2].trace: trace name '../x' may only use letters, digits, '_' and '-'",
        f"{path}:10:72: bindings[3].loop: key 'loop' does not apply to mode 'stop'",
        f"{path}:11:72: bindings[4].camera: key 'camera' does not apply to mode 'play'",
        f"{path}:12:78: bindings[5].loop: expected true, false or 'ping-pong', got 'twice'",
        f"{path}:13:5: bindings[6]: missing key 'mode' (required for action 'trace')",
        f"{path}:14:82: bindings[7].camera: camera 'all' is not allowed here (valid: pulpit, gate, selected)",
    ]


def test_a_trace_stored_already_may_be_played_without_a_recording_binding(tmp_path: Path,
                                                                         capsys: pytest.CaptureFixture[str]) -> None:
    write_trace(str(tmp_path / "state"), Trace("walk-ni", "pulpit", 1.0, ((0.0, PanTilt(0.5, 0.0)),), 2, 1.7e9))
    path = write(tmp_path, "a.yaml", CAMERAS + """\
bindings:
  - {input: desk, note: 10, action: trace, trace: walk-ni, mode: play}
tours:
  sermon: {camera: pulpit, stops: [{preset: 1, dwell: 8}, {preset: 2, dwell: 5}], speed: 0.3, loop: true}
state_dir: state
""")
    assert main(["check", "-c", path]) == 0
    out = capsys.readouterr().out
    assert "tour sermon: camera pulpit, preset 1 (8 s), preset 2 (5 s) at speed 0.3, looping" in out
    assert f"traces kept in {tmp_path / 'state'}" in out
    os.remove(tmp_path / "state" / "traces" / "walk-ni.json")
    assert main(["check", "-c", path]) == 2
