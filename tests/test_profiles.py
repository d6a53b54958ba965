"""The shipped profiles (mappings/*.yaml) and studio.example.yaml load as their comments say.

Each profile's header shows how to use it (an ``inputs:`` entry and an ``include:`` line);
the test loads exactly those lines, with two cameras, through the real loader. Profiles stick
to what every PTZ protocol can do, so they are loaded beside VISCA cameras and beside Pelco
ones. Then: what a profile lights is what its device shows (its ``leds:`` rules, and the
messages on a real JACK port); a hat or d-pad never swings a camera to a preset; the README's
table and example say what the profiles and the example do.
"""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

import pytest
import yaml

from ptzmapd import profiles_doc
from ptzmapd.cli import main
from ptzmapd.clock import FakeClock
from ptzmapd.config.loader import load_config
from ptzmapd.errors import ConfigError
from ptzmapd.config.model import BindingConfig, LedConfig
from ptzmapd.events import ControlEvent
from ptzmapd.surfaces.feedback import Feedback, SurfaceFeedback, lights_of
from ptzmapd.mapping.intents import Do, Move
from ptzmapd.mapping.mapper import Mapper
from test_feedback import Leds

ROOT = Path(__file__).resolve().parent.parent
PROFILES = sorted((ROOT / "mappings").glob("*.yaml"))

CAMERAS = {
    "visca": (
        "cameras:\n"
        "  stage: {protocol: visca-ip, host: 192.0.2.10}\n"
        "  pulpit: {protocol: visca-tcp, host: 192.0.2.11}\n"
    ),
    "pelco": (
        "cameras:\n"
        "  stage: {protocol: pelco-d, device: /dev/ttyUSB0, address: 1}\n"
        "  pulpit: {protocol: pelco-d, device: /dev/ttyUSB0, address: 2}\n"
    ),
}


#: A profile's "Use it" lines as YAML (the include pointing at the profile); the README's
#: table is written from them too.
usage = profiles_doc.usage


def test_there_are_profiles() -> None:
    names = {profile.name for profile in PROFILES}
    assert {"nanokontrol2.yaml", "apc-mini-mk2.yaml", "x-touch-mini.yaml", "gamepad.yaml", "flight-stick.yaml"} <= names


@pytest.mark.parametrize("profile", PROFILES, ids=lambda path: path.name)
def test_a_profile_is_bindings_only(profile: Path) -> None:
    """Fragments: the include entry supplies the input, the config the cameras."""
    content = yaml.safe_load(profile.read_text())
    # Bindings, and what the device lights (``leds:``) when the profile lights anything.
    assert set(content) <= {"bindings", "leds"} and "bindings" in content
    assert content["bindings"], "a profile without bindings"
    for binding in content["bindings"]:
        assert "input" not in binding, binding
        # No camera names: the including config's cameras are not known here.
        assert binding.get("camera", "selected") in ("selected", "all", "next", "previous"), binding


@pytest.mark.parametrize("cameras", sorted(CAMERAS))
@pytest.mark.parametrize("profile", PROFILES, ids=lambda path: path.name)
def test_a_profile_loads_as_its_header_says(profile: Path, cameras: str, tmp_path: Path) -> None:
    path = tmp_path / "studio.yaml"
    path.write_text(CAMERAS[cameras] + usage(profile))
    config = load_config(path)
    written = yaml.safe_load(profile.read_text())["bindings"]
    (input_name,) = config.inputs
    assert len(config.bindings) == len(written)
    assert {binding.input for binding in config.bindings} == {input_name}


def test_studio_example_passes_check(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "-c", str(ROOT / "studio.example.yaml")]) == 0
    assert "2 cameras" in capsys.readouterr().out


def test_studio_example_is_what_the_readme_says() -> None:
    """"two cameras, a nanoKONTROL2 through its profile, and lit camera-select buttons"."""
    config = load_config(ROOT / "studio.example.yaml")
    assert len(config.cameras) == 2
    profile = str(ROOT / "mappings" / "nanokontrol2.yaml")
    (desk,) = config.inputs
    assert any(b.mark.file == profile and b.input == desk for b in config.bindings)
    lit_selects = {b.camera for b in config.bindings if b.action == "select" and b.led is not None}
    assert set(config.cameras) <= lit_selects


def commented_bindings(profile: Path) -> list[str]:
    """The bindings a profile offers commented out (``# - {cc: 41, ...}``), for some cameras."""
    return [line.split("# - ", 1)[1] for line in profile.read_text().splitlines() if line.startswith("  # - {")]


@pytest.mark.parametrize("profile", PROFILES, ids=lambda path: path.name)
def test_a_profiles_commented_extras_load_beside_visca_cameras(profile: Path, tmp_path: Path) -> None:
    """What a header offers to uncomment works as written (the example uses the nanoKONTROL2's)."""
    extras = commented_bindings(profile)
    if not extras:
        return
    path = tmp_path / "studio.yaml"
    path.write_text(CAMERAS["visca"] + usage(profile))
    (name,) = load_config(path).inputs
    path.write_text(CAMERAS["visca"] + usage(profile) + "bindings:\n"
                    + "".join(f"  - {{input: {name}, {extra.lstrip('{')}\n" for extra in extras))
    config = load_config(path)
    assert len(config.bindings) == len(yaml.safe_load(profile.read_text())["bindings"]) + len(extras)


# -- LEDs: what a profile lights must be what its device shows -------------------------------

PROFILE_DIR = ROOT / "mappings"


def studio(tmp_path: Path, profile: str, input_line: str, *bindings: str) -> Path:
    """A config with two cameras, one input, ``profile`` included for it, and ``bindings``."""
    path = tmp_path / "studio.yaml"
    path.write_text(
        CAMERAS["visca"]
        + f"inputs:\n  desk: {input_line}\n"
        + f"include:\n  - {{file: {PROFILE_DIR / profile}, input: desk}}\n"
        + "bindings:\n" + "".join(f"  - {binding}\n" for binding in bindings)
    )
    return path


XTOUCH = '{type: midi, port: "*X-TOUCH MINI*", feedback: "*X-TOUCH MINI*"}'
NANO = '{type: midi, port: "*nanoKONTROL2*", feedback: "*nanoKONTROL2*"}'
APC = '{type: midi, port: "*APC mini mk2*", feedback: "*APC mini mk2*"}'


@pytest.mark.parametrize("profile", PROFILES, ids=lambda path: path.name)
def test_a_profile_that_lights_anything_says_what_its_device_shows(profile: Path) -> None:
    """Without ``leds:``, nothing can tell a light the device obeys from a dead lamp."""
    content = yaml.safe_load(profile.read_text())
    if any("led" in binding for binding in content["bindings"]) or "feedback:" in usage(profile):
        assert content.get("leds"), f"{profile.name} lights buttons but has no 'leds:'"


def test_led_true_on_an_x_touch_mini_spare_button_lights_that_buttons_lamp(tmp_path: Path) -> None:
    """Button note 21 (bottom row, 6th) is lamp 13: note-on 13, channel 1, velocity 1 / 0.
    Before the device's rules were known, `led: true` sent note 21 velocity 127: never lit."""
    path = studio(tmp_path, "x-touch-mini.yaml", XTOUCH,
                  "{input: desk, note: 21, action: select, camera: stage, led: true}",
                  "{input: desk, note: 23, action: select, camera: pulpit, led: true}")
    config = load_config(path)
    leds = {binding.number: binding.led for binding in config.bindings if binding.action == "select"
            and binding.camera in ("stage", "pulpit")}
    assert leds == {21: LedConfig("note", 13, 1, 0, 1), 23: LedConfig("note", 15, 1, 0, 1)}
    # The profile's own lights follow the same rule: the top row's preset 1 is lamp 0.
    (preset_1,) = [b for b in config.bindings if b.action == "preset" and b.preset == 1 and b.number == 8]
    assert preset_1.led == LedConfig("note", 0, 1, 0, 1)


@pytest.mark.parametrize(("profile", "input_line", "binding", "expected"), [
    # The case: a lamp the X-Touch Mini never lights (note 21, velocity 127).
    ("x-touch-mini.yaml", XTOUCH, "{input: desk, note: 21, action: select, camera: stage, led: {note: 21, on: 127}}",
     "the device cannot show note 21 with on 127, off 0; it lights notes 0-15 on channel 1 (0 off, 1 on, 2 blink)"),
    ("x-touch-mini.yaml", XTOUCH, "{input: desk, note: 21, action: select, camera: stage, led: {note: 13, on: 127}}",
     "the device cannot show note 13 on channel 1 with on 127, off 0"),
    ("x-touch-mini.yaml", XTOUCH, "{input: desk, note: 21, action: select, camera: stage, led: {note: 13, channel: 11}}",
     "the device cannot show note 13 on channel 11 with on 1, off 0"),
    # The encoder pushes (notes 0-7) have no lamp.
    ("x-touch-mini.yaml", XTOUCH, "{input: desk, note: 5, action: select, camera: stage, led: true}",
     "note 5 has no light the device can show; it lights notes 0-15 on channel 1 (0 off, 1 on, 2 blink)"),
    # The nanoKONTROL2's TRACK and MARKER buttons have none either.
    ("nanokontrol2.yaml", NANO, "{input: desk, cc: 72, action: select, camera: stage, led: true}",
     "cc 72 has no light the device can show; it lights ccs 32-39 on channel 1 (0 off, 127 on)"),
    ("nanokontrol2.yaml", NANO, "{input: desk, cc: 64, action: select, camera: stage, led: {cc: 64, on: 1}}",
     "the device cannot show cc 64 on channel 1 with on 1, off 0"),
    # The APC's track buttons light with 1 and blink with 2, nothing else; its pads take any colour.
    ("apc-mini-mk2.yaml", APC, "{input: desk, note: 100, action: select, camera: stage, led: {note: 100, on: 127}}",
     "the device cannot show note 100 on channel 1 with on 127, off 0"),
    ("apc-mini-mk2.yaml", APC, "{input: desk, note: 122, action: select, camera: stage, led: true}",
     "note 122 has no light the device can show"),
])
def test_check_refuses_a_light_the_device_cannot_show(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], profile: str, input_line: str, binding: str, expected: str,
) -> None:
    path = studio(tmp_path, profile, input_line, binding)
    assert main(["check", "-c", str(path)]) != 0
    err = capsys.readouterr().err
    assert f"{path}:" in err and "bindings[0].led: " in err, err
    assert expected in err, err


def test_an_inputs_led_values_are_checked_against_the_device_too(tmp_path: Path) -> None:
    """`led_on: 127` on an X-Touch Mini input would make every `led: true` a dead lamp."""
    path = studio(tmp_path, "x-touch-mini.yaml", XTOUCH.replace("}", ", led_on: 127}"))
    with pytest.raises(ConfigError, match=r"x-touch-mini.yaml:\d+:\d+: bindings\[\d+\].led: the device cannot show note 0 on channel 1 with on 127"):
        load_config(path)


@pytest.mark.parametrize(("binding", "expected"), [
    ("{input: desk, note: 101, action: select, camera: stage, led: {note: 101, on: 2}}", LedConfig("note", 101, 2, 0, 1)),
    ("{input: desk, note: 60, layer: x, action: preset, preset: 3, led: {note: 60, channel: 14, on: 45}}",
     LedConfig("note", 60, 45, 0, 14)),
])
def test_a_light_the_device_shows_passes_with_what_it_left_out_from_the_rule(
    tmp_path: Path, binding: str, expected: LedConfig,
) -> None:
    """A blinking track button, a blue pad blinking on channel 14: the APC shows both."""
    path = studio(tmp_path, "apc-mini-mk2.yaml", APC, binding, "{input: desk, note: 99, action: layer, layer: x}")
    config = load_config(path)
    (written,) = [b for b in config.bindings if b.mark.file == str(path) and b.action != "layer"]
    assert written.led == expected


@pytest.mark.parametrize(("leds", "expected"), [
    ("[{note: [0, 15], channel: 3, channels: [1, 2], on: 1, off: 0}]", "leds[0]: channel 3 is not among its channels 1-2"),
    ("[{note: [0, 15], channel: 1, on: 1, off: 0, controls: {note: [8, 20]}}]", "leds[0]: controls name 13 buttons for 16 lights"),
    ("[{note: [0, 63], channel: 1, on: 200, off: 0}]", "leds[0].on: 200 is out of range"),
    ("[{note: [9, 3], channel: 1, on: 1, off: 0}]", "leds[0].note: first 9 is above the last 3"),
    ("[{channel: 1, on: 1, off: 0}]", "leds[0]"),
    ("[{note: 1, cc: 2, channel: 1, on: 1, off: 0}]", "leds[0]"),
])
def test_a_bad_led_rule_is_reported_where_it_is_written(tmp_path: Path, leds: str, expected: str) -> None:
    profile = tmp_path / "device.yaml"
    profile.write_text(f"leds: {leds}\nbindings:\n  - {{note: 1, action: home}}\n")
    path = tmp_path / "studio.yaml"
    path.write_text(CAMERAS["visca"] + "inputs:\n  desk: {type: midi, port: x}\n"
                    f"include:\n  - {{file: {profile}, input: desk}}\n")
    with pytest.raises(ConfigError) as raised:
        load_config(path)
    assert f"{profile}:1:" in str(raised.value) and expected in str(raised.value), str(raised.value)


def test_leds_belong_in_a_profile_included_for_an_input(tmp_path: Path) -> None:
    path = tmp_path / "studio.yaml"
    path.write_text(CAMERAS["visca"] + "leds: [{note: 1, channel: 1, on: 1, off: 0}]\n")
    with pytest.raises(ConfigError, match=r"studio.yaml:\d+:\d+: leds: 'leds' describes a controller"):
        load_config(path)


def test_without_rules_a_light_is_sent_as_written(tmp_path: Path) -> None:
    """A surface nobody described: `led: true` is its own note with the input's values."""
    path = tmp_path / "studio.yaml"
    path.write_text(CAMERAS["visca"] + "inputs:\n  desk: {type: midi, port: x, feedback: x, led_on: 5}\n"
                    "bindings:\n  - {input: desk, note: 21, action: select, camera: stage, led: true}\n")
    assert load_config(path).bindings[0].led == LedConfig("note", 21, 5, 0, None)



def obeyed(rules: list[dict[str, object]], status: int, number: int, value: int) -> bool:
    """Whether a device with these ``leds:`` rules (as the profile writes them) shows a message."""
    kind = {0x90: "note", 0xB0: "cc"}.get(status & 0xF0)
    channel = (status & 0x0F) + 1
    for rule in rules:
        span = rule.get(kind or "")
        if span is None:
            continue
        first, last = span if isinstance(span, list) else (span, span)
        low, high = rule.get("channels", [rule["channel"], rule["channel"]])  # type: ignore[misc]
        if not (first <= number <= last and low <= channel <= high):
            continue
        values = rule.get("values")
        if isinstance(values, list):
            return bool(values[0] <= value <= values[1])
        return value in (rule["on"], rule["off"], rule.get("blink"))
    return False


@pytest.mark.parametrize("profile", [p for p in PROFILES if "leds" in yaml.safe_load(p.read_text())],
                         ids=lambda path: path.name)
def test_every_message_a_profiles_lights_send_is_one_its_device_obeys(profile: Path, tmp_path: Path) -> None:
    """Through every state a light shows: at start, a preset stored (its flash) and recalled,
    fine on, a layer held, a camera selected and one offline (its blink)."""
    path = tmp_path / "studio.yaml"
    path.write_text(CAMERAS["visca"] + usage(profile))
    config = load_config(path)
    # PyYAML reads the keys `on` and `off` as YAML 1.1 booleans; ptzmapd's loader does not.
    rules = [{ {True: "on", False: "off"}.get(key, key): value for key, value in rule.items()}
             for rule in yaml.safe_load(profile.read_text())["leds"]]
    sent: list[bytes] = []
    clock = FakeClock()
    feedback = Feedback(lights_of(config.bindings, config.inputs), clock, lambda _, message: sent.append(message) or True,
                        selected="stage")
    for index, binding in enumerate(config.bindings):
        if binding.action == "preset" and binding.led is not None:
            feedback.preset(index, "stage", "stored", binding.preset or 0)
            clock.advance(2.0)
            feedback.preset(index, "stage", "recalled", binding.preset or 0)
            clock.advance(2.0)
        if binding.action == "layer":
            feedback.layer(str(binding.layer), True)
            feedback.layer(str(binding.layer), False)
    feedback.fine(True)
    feedback.selected("pulpit")
    feedback.camera_online("stage", False)
    clock.advance(2.0)
    feedback.close()
    assert sent, "nothing lit"
    refused = [message.hex(" ") for message in sent if not obeyed(rules, *message)]
    assert not refused, refused


# -- on JACK: what an X-Touch Mini receives ---------------------------------------------------

XTOUCH_ON_JACK = """\
cameras:
  stage: {{protocol: visca-udp, host: 127.0.0.2, port: 9}}
  pulpit: {{protocol: visca-udp, host: 127.0.0.2, port: 9}}
inputs:
  mini: {{type: midi, virtual: "{name} in", api: jack, feedback: "*{name} leds*"}}
include:
  - {{file: {profile}, input: mini}}
bindings:
  - {{input: mini, note: 21, action: select, camera: stage, led: true}}
  - {{input: mini, note: 22, action: select, camera: pulpit, led: true}}
"""


def test_an_x_touch_mini_receives_lamp_messages_it_obeys_on_jack(jack: int, tmp_path: Path) -> None:
    """The spare buttons 21 and 22 select the cameras: the device is sent note-ons 13 and 14
    on channel 1 with velocity 1 / 0 (what lights its lamps), never note 21 velocity 127."""
    name = f"PR X-TOUCH MINI {uuid.uuid4().hex[:8]}"

    async def body() -> None:
        path = tmp_path / "studio.yaml"
        path.write_text(XTOUCH_ON_JACK.format(name=name, profile=PROFILE_DIR / "x-touch-mini.yaml"))
        leds = Leds(f"{name} leds")  # the device's own MIDI input
        surface = SurfaceFeedback.for_config(load_config(path), FakeClock(), selected="stage")
        assert surface is not None
        feedback = surface.feedback
        resend = lambda: feedback.connected("mini")  # noqa: E731
        await surface.start()
        try:
            # Presets 1-8 (lamps 0-7) and fine (lamp 12) dark, stage's lamp 13 lit.
            dark = {lamp: 0 for lamp in (*range(8), 12)}
            await leds.show({**dark, 13: 1, 14: 0}, resend)
            feedback.selected("pulpit")
            await leds.show({**dark, 13: 0, 14: 1}, resend)
            feedback.camera_online("pulpit", False)  # blinks between 1 and 0: both obeyed
            assert leds.channels == {1}
            assert all(value in (0, 1, 2) for value in leds.state.values())
        finally:
            await surface.close()
            leds.unplug()

    asyncio.run(asyncio.wait_for(body(), timeout=60))


# -- safety: what a thumb nudges never swings the camera to another shot ---------------------

NUDGES = {"hat": (1, 2, 4, 8), "button": (1,)}  # a hat's directions; a d-pad button pressed


def nudge_controls(bindings: list[BindingConfig]) -> list[tuple[str, object]]:
    """The controls a thumb rests on and taps for small moves: hats and the d-pad."""
    found = {(b.control, b.number) for b in bindings
             if b.control == "hat" or (b.control == "button" and str(b.number).startswith("dp"))}
    return sorted(found, key=str)


@pytest.mark.parametrize("profile", PROFILES, ids=lambda path: path.name)
def test_a_hat_or_d_pad_moves_slowly_while_held_stops_when_let_go_and_never_recalls_a_preset(
    profile: Path, tmp_path: Path,
) -> None:
    """A user nudging the hat for a slow pan once recalled a preset on air (the flight stick's
    hat was previous/next preset; the gamepad's d-pad too). A nudge is a slow move, and it
    ends with the hand."""
    path = tmp_path / "studio.yaml"
    path.write_text(CAMERAS["visca"] + usage(profile))
    config = load_config(path)
    (input_name,) = config.inputs
    mapper = Mapper(config.bindings, FakeClock())
    for control, number in nudge_controls(config.bindings):
        for value in NUDGES[control]:
            pressed = mapper.handle(ControlEvent(input_name, control, number, value, None, 0.0))
            released = mapper.handle(ControlEvent(input_name, control, number, 0, None, 0.0))
            assert not [i for i in pressed + released if isinstance(i, Do)], (control, number, value)
            moving = [i for i in pressed if isinstance(i, Move) and i.speed]
            assert moving and all(abs(i.speed) <= 0.3 for i in moving), (control, number, value, pressed)
            assert {(i.axis, i.driver) for i in moving} <= {
                (i.axis, i.driver) for i in released if isinstance(i, Move) and i.speed == 0
            }, (control, number, value, released)


# -- the README's table is the profiles' own ------------------------------------------------


def test_the_readmes_profile_table_is_written_from_the_profiles() -> None:
    """Run `python -m ptzmapd.profiles_doc` after changing a profile."""
    readme = (ROOT / "README.md").read_text()
    assert profiles_doc.rewritten(readme, ROOT) == readme, "README.md's profiles table is out of date"
    assert profiles_doc.main(["--root", str(ROOT), "--check"]) == 0


def test_profiles_doc_check_fails_on_a_stale_table_and_rewrites_it(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "mappings").mkdir()
    for profile in PROFILES:
        (tmp_path / "mappings" / profile.name).write_text(profile.read_text())
    readme = (ROOT / "README.md").read_text()
    # The table the issue found: "triggers zoom, shoulder = fine" for a profile that does neither.
    stale = readme.replace("focus: lefttrigger, righttrigger", "zoom: lefttrigger, righttrigger")
    (tmp_path / "README.md").write_text(stale)
    assert profiles_doc.main(["--root", str(tmp_path), "--check"]) == 1
    assert "out of date" in capsys.readouterr().err
    assert profiles_doc.main(["--root", str(tmp_path)]) == 0
    assert (tmp_path / "README.md").read_text() == readme


def test_the_table_says_what_the_bindings_do() -> None:
    """The rows the issue found wrong, now read off the bindings."""
    rows = {line.split("|")[1].strip(" `"): line for line in profiles_doc.table(ROOT).splitlines()[2:]}
    gamepad, stick = rows["mappings/gamepad.yaml"], rows["mappings/flight-stick.yaml"]
    assert "zoom: righty;" in gamepad and "focus: lefttrigger, righttrigger;" in gamepad
    assert "previous camera: leftshoulder" in gamepad and "fine (toggle): back" in gamepad
    assert "hat 0 left (left 0.2 while held)" in stick and "preset" not in stick.split("hat 0")[1].split(";")[0]
    # The nanoKONTROL2's knobs (CC 16-23) are not bound, so the table does not name them.
    assert "cc 16" not in rows["mappings/nanokontrol2.yaml"]


def test_profiles_doc_without_markers_is_a_one_line_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "mappings").mkdir()
    (tmp_path / "README.md").write_text("# no table here\n")
    assert profiles_doc.main(["--root", str(tmp_path), "--check"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("profiles_doc: README.md has no profiles table markers") and err.count("\n") == 1


def readme_configs() -> list[str]:
    """The README's ```yaml blocks that are whole configs (they have cameras)."""
    blocks = (ROOT / "README.md").read_text().split("```yaml\n")[1:]
    return [block.split("```", 1)[0] for block in blocks if block.startswith("cameras:")]


def test_the_readmes_whole_configs_pass_check_and_use_the_controls_their_controller_sends(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The quick start's config named a nanoKONTROL2 and bound notes 41-44 to select cameras:
    the nanoKONTROL2 sends only CCs, so those buttons did nothing. A README config for a
    controller a profile ships for binds the kinds of control that profile binds."""
    monkeypatch.setenv("OBS_PASSWORD", "the Switchers section's OBS password")
    configs = readme_configs()
    assert configs, "no whole config in README.md"
    kinds_by_port: dict[str, set[str]] = {}
    for profile in PROFILES:
        path = tmp_path / f"{profile.stem}.yaml"
        path.write_text(CAMERAS["visca"] + usage(profile))
        config = load_config(path)
        (device,) = config.inputs.values()
        if device.port is not None:
            kinds_by_port[device.port] = {b.control for b in config.bindings}
    for index, text in enumerate(configs):
        path = tmp_path / f"readme-{index}.yaml"
        path.write_text(text)
        config = load_config(path)
        for binding in config.bindings:
            port = config.inputs[binding.input].port
            if port in kinds_by_port:
                assert binding.control in kinds_by_port[port], (port, binding.control, binding.number)
