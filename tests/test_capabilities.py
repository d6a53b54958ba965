"""Capabilities: what each protocol declares it can do, and ``ptzmapd check`` refusing a
binding that asks a camera for something its protocol cannot do."""

from __future__ import annotations

from pathlib import Path

import pytest

from ptzmapd.config.loader import load_config
from ptzmapd.errors import ConfigError
from ptzmapd.vocabulary import (
    NAMED_ACTIONS,
    PRESET_CLEAR,
    PRESET_SPEED,
    RAW_KINDS,
    Action,
    can,
    modes_of,
    named_capabilities,
    raw_capability,
)
from ptzmapd.protocols import PROTOCOLS
from ptzmapd.protocols.visca import tables as visca

#: What every camera protocol here can do; named actions come on top.
BASIC_CAPABILITIES = frozenset({"pan", "tilt", "zoom", "focus", "stop", "home", "preset"})

VISCA_PROTOCOLS = [name for name in PROTOCOLS if name.startswith("visca")]


def test_every_visca_protocol_declares_what_the_codec_encodes() -> None:
    assert VISCA_PROTOCOLS == ["visca-ip", "visca-udp", "visca-tcp", "visca-serial"]
    for name in VISCA_PROTOCOLS:
        assert PROTOCOLS[name].capabilities == visca.CAPABILITIES


def test_visca_capabilities_are_read_from_its_tables() -> None:
    capabilities = visca.CAPABILITIES
    assert BASIC_CAPABILITIES | {"autofocus", "position", "raw visca"} <= capabilities
    for name, mode in visca.NAMED_COMMANDS:
        assert can(capabilities, name, mode)
    for name in visca.DIRECT_COMMANDS:
        assert can(capabilities, name, "direct")
    # Every named entry is one the codec encodes, and nothing else is claimed.
    named = {entry for entry in capabilities if entry.split(" ")[0] in NAMED_ACTIONS}
    assert named == named_capabilities([*visca.NAMED_COMMANDS, *((name, "direct") for name in visca.DIRECT_COMMANDS)])
    assert capabilities - named == BASIC_CAPABILITIES | {"autofocus", "position", PRESET_CLEAR, PRESET_SPEED, "raw visca"}


def test_what_visca_lacks() -> None:
    # Nothing in the VISCA tables for these: other protocols' functions, or Pelco's iris bits.
    for name in ("light", "wiper", "auto-tracking", "swing"):
        assert not can(visca.CAPABILITIES, name)
    assert modes_of(visca.CAPABILITIES, "iris") == ("up", "down", "reset", "direct")
    assert modes_of(visca.CAPABILITIES, "raw") == ("visca",)


def test_can_reads_the_vocabulary() -> None:
    capabilities = named_capabilities([("iris", "open"), ("iris", "close")]) | {"pan", "light", raw_capability("pelco")}
    assert can(capabilities, "pan")
    assert not can(capabilities, "tally")
    assert can(capabilities, "iris") and can(capabilities, "iris", "open")
    assert not can(capabilities, "iris", "direct")
    # A named action declared without any mode entry has every mode.
    assert can(capabilities, "light", "on") and can(capabilities, "light", "off")
    # Raw commands are taken in the kinds declared, and only those.
    assert can(capabilities, "raw", "pelco")
    assert not can(capabilities, "raw", "visca") and not can(capabilities, "raw")
    assert modes_of(capabilities, "iris") == ("open", "close")
    assert modes_of(capabilities, "raw") == ("pelco",)


def test_every_protocol_declares_only_words_of_the_vocabulary() -> None:
    words = set(Action) | {"position", PRESET_CLEAR, PRESET_SPEED} | {f"{name} {mode}" for name, modes in NAMED_ACTIONS.items() for mode in modes}
    words |= {raw_capability(kind) for kind in RAW_KINDS}
    for name, spec in PROTOCOLS.items():
        assert spec.capabilities <= words, (name, sorted(spec.capabilities - words))


# ---------------------------------------------------------------------------- ptzmapd check

CONFIG = """\
cameras:
  stage: {protocol: visca-ip, host: 127.0.0.2}
  pulpit: {protocol: pelco-d, device: /dev/ttyUSB0, address: 1}
inputs:
  desk: {type: midi, port: "*nano*"}
bindings:
"""


def problems(tmp_path: Path, bindings: str, cameras: str = CONFIG) -> list[str]:
    path = tmp_path / "studio.yaml"
    path.write_text(cameras + bindings)
    try:
        load_config(path)
    except ConfigError as error:
        return [problem.removeprefix(f"{path}:") for problem in error.problems]
    return []


def test_a_named_camera_must_be_able_to(tmp_path: Path) -> None:
    assert problems(tmp_path, "  - {input: desk, note: 1, action: tally, mode: on, camera: pulpit}\n") == [
        "7:36: bindings[0].action: camera 'pulpit' (pelco-d) cannot 'tally' "
        f"(it can: {', '.join(name for name in Action if name in PROTOCOLS['pelco-d'].capabilities)}"
        + "".join(f", raw {kind}" for kind in modes_of(PROTOCOLS["pelco-d"].capabilities, "raw")) + ")",
    ]
    assert problems(tmp_path, "  - {input: desk, note: 1, action: tally, mode: on, camera: stage}\n") == []


def test_selected_and_all_need_one_camera_that_can(tmp_path: Path) -> None:
    # The stage camera can: fine, the controller skips it on the Pelco camera.
    assert problems(tmp_path, "  - {input: desk, note: 1, action: tally, mode: on, camera: all}\n") == []
    assert problems(tmp_path, "  - {input: desk, note: 1, action: iris, mode: direct, level: 8}\n") == []
    # Nobody can.
    assert problems(tmp_path, "  - {input: desk, note: 1, action: swing, mode: on}\n") == [
        "7:36: bindings[0].action: no camera here can 'swing' ('stage' is visca-ip, 'pulpit' is pelco-d)",
    ]
    assert problems(tmp_path, "  - {input: desk, note: 1, action: swing, mode: on, camera: all}\n") == [
        "7:36: bindings[0].action: no camera here can 'swing' ('stage' is visca-ip, 'pulpit' is pelco-d)",
    ]


def test_a_mode_the_protocol_lacks_is_blamed_on_the_mode(tmp_path: Path) -> None:
    assert problems(tmp_path, "  - {input: desk, note: 1, action: iris, mode: open, camera: stage}\n") == [
        "7:48: bindings[0].mode: camera 'stage' (visca-ip) cannot 'iris open' "
        "(it can: iris up, iris down, iris reset, iris direct)",
    ]


def test_clearing_a_preset_needs_a_camera_that_can_forget_one(tmp_path: Path) -> None:
    clear = "  - {input: desk, note: 1, action: preset, preset: 3, clear: true, camera: %s}\n"
    assert problems(tmp_path, clear % "stage") == []  # VISCA memory reset
    assert problems(tmp_path, clear % "pulpit") == []  # Pelco clear preset
    cgi = CONFIG.replace("{protocol: visca-ip, host: 127.0.0.2}", "{protocol: ptzoptics-cgi, url: http://127.0.0.2}")
    (problem,) = problems(tmp_path, clear % "stage", cgi)
    assert problem.startswith("7:62: bindings[0].clear: camera 'stage' (ptzoptics-cgi) cannot 'preset clear' (it can: ")
    # Recalling and storing stay fine there.
    assert problems(tmp_path, clear.replace("clear: true", "store: true") % "stage", cgi) == []


def test_move_to_and_jog_are_checked_for_their_axes_and_the_protocol(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("X", "hik-password")  # check resolves the password source too
    hik = CONFIG.replace("{protocol: visca-ip, host: 127.0.0.2}", "{protocol: isapi, url: http://127.0.0.2, password_env: X}")
    assert problems(tmp_path, "  - {input: desk, note: 1, action: move-to, pan: 90, tilt: -10, zoom: 25, camera: stage}\n", hik) == []
    assert problems(tmp_path, "  - {input: desk, note: 1, action: jog, pan: -0.5, duration: 1.5, camera: stage}\n", hik) == []
    assert problems(tmp_path, "  - {input: desk, note: 1, action: move-to, camera: stage}\n", hik) == [
        "7:5: bindings[0]: move-to needs at least one of pan, tilt, zoom",
    ]
    assert problems(tmp_path, "  - {input: desk, note: 1, action: jog, pan: 0, camera: stage}\n", hik) == [
        "7:5: bindings[0]: jog needs a nonzero speed for pan, tilt or zoom",
    ]
    # Positions and speeds have their own ranges under the same key names.
    (problem,) = problems(tmp_path, "  - {input: desk, note: 1, action: jog, pan: 90, camera: stage}\n", hik)
    assert "bindings[0].pan: 90 is out of range (valid: -1..1)" in problem
    (problem,) = problems(tmp_path, "  - {input: desk, note: 1, action: move-to, tilt: 300, camera: stage}\n", hik)
    assert "bindings[0].tilt: 300 is out of range (valid: -90..270)" in problem
    # A Pelco dome has no absolute positioning.
    (problem,) = problems(tmp_path, "  - {input: desk, note: 1, action: move-to, pan: 90, camera: pulpit}\n", hik)
    assert problem.startswith("7:36: bindings[0].action: camera 'pulpit' (pelco-d) cannot 'move-to' (it can: ")


def test_a_raw_command_must_fit_the_cameras_protocol(tmp_path: Path) -> None:
    raw = '  - {input: desk, note: 1, action: raw, visca: "81 01 04 38 02 FF", camera: %s}\n'
    assert problems(tmp_path, raw % "stage") == []
    assert problems(tmp_path, raw % "selected") == []
    (problem,) = problems(tmp_path, raw % "pulpit")
    assert problem.startswith("7:48: bindings[0].visca: camera 'pulpit' (pelco-d) cannot 'raw visca' (it can: ")


def test_each_problem_of_many_bindings_at_its_place(tmp_path: Path) -> None:
    found = problems(tmp_path, """\
  - {input: desk, note: 1, action: autofocus, camera: pulpit}
  - {input: desk, note: 2, action: home, camera: pulpit}
  - {input: desk, note: 3, action: light, mode: on}
  - {input: desk, note: 4, action: select, camera: pulpit}
""")
    assert [problem.split(": ")[0] + ": " + problem.split(": ")[1] for problem in found] == [
        "7:36: bindings[0].action",
        "9:36: bindings[2].action",
    ]


def test_a_broken_camera_does_not_make_bindings_wrong(tmp_path: Path) -> None:
    cameras = CONFIG.replace("protocol: pelco-d", "protocol: pleco-d")
    found = problems(tmp_path, "  - {input: desk, note: 1, action: light, mode: on}\n", cameras)
    assert len(found) == 1 and "unknown protocol 'pleco-d'" in found[0]
