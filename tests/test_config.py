"""The config loader: YAML with marks, typed objects, and every problem reported at its place.

The corpus in ``tests/configs/bad-*.yaml`` is the specification of the error messages: each
file's first line reads ``# expect: [FILE:]LINE:COL: text`` and the loader must report a
problem at that place containing that text (FILE, when given, is relative to the corpus
folder: the problem is inside an included file; ``{dir}`` in the text stands for the corpus
folder itself).
"""

from __future__ import annotations

import math
import os
import re
import tempfile
from pathlib import Path
from typing import Any

import pytest

from helpers import CONFIG_BASE, problems_of, write

from ptzmapd.vocabulary import Action
from ptzmapd.protocols import PROTOCOLS
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ptzmapd.config.loader import load_config
from ptzmapd.config.summary import summarize
from ptzmapd.errors import ConfigError
from ptzmapd.config.model import BindingConfig, Config, Mark, MotionFeel, NetLink, RawText
from ptzmapd.protocols.visca.specs import ViscaIpOptions
from ptzmapd.config.yamlmarks import MappingNode, ScalarNode, SequenceNode, parse_yaml

CONFIGS = Path(__file__).parent / "configs"

#: The example from the issue, verbatim.
EXAMPLE = """\
cameras:
  stage:
    protocol: visca-ip
    host: 127.0.0.1
    port: 52381
  pulpit:
    protocol: visca-tcp
    host: 127.0.0.1
    port: 5678
inputs:
  desk:
    type: midi
    port: "*nanoKONTROL2*"
bindings:
  - {input: desk, cc: 0, action: pan}
  - {input: desk, cc: 1, action: tilt}
  - {input: desk, cc: 2, action: zoom}
  - {input: desk, note: 41, action: select, camera: stage}
  - {input: desk, note: 42, action: select, camera: pulpit}
  - {input: desk, note: 43, action: preset, preset: 1}
  - {input: desk, note: 44, action: home, camera: all}
"""

#: A small correct config that other tests extend with a few lines.
BASE = CONFIG_BASE


# --------------------------------------------------------------------------- a good config


def test_issue_example_gives_typed_objects(tmp_path: Path) -> None:
    path = write(tmp_path, "ptzmapd.yaml", EXAMPLE)
    config = load_config(path)

    assert config.path == path
    assert list(config.cameras) == ["stage", "pulpit"]  # file order: stage is selected first
    stage, pulpit = config.cameras["stage"], config.cameras["pulpit"]
    assert (stage.name, stage.protocol, stage.link) == ("stage", "visca-ip", NetLink("127.0.0.1", 52381))
    assert stage.options == ViscaIpOptions(sequence="on")
    assert stage.mark == Mark(path, 2, 3)
    assert (pulpit.protocol, pulpit.link) == ("visca-tcp", NetLink("127.0.0.1", 5678))
    assert stage.pacing == PROTOCOLS["visca-ip"].pacing and stage.max_pan_speed is None
    assert stage.options == ViscaIpOptions() and stage.feel == MotionFeel()

    desk = config.inputs["desk"]
    assert (desk.name, desk.type, desk.port, desk.virtual, desk.api, desk.channel) == (
        "desk", "midi", "*nanoKONTROL2*", None, None, None,
    )

    got = [(b.input, b.control, b.number, b.action, b.camera, b.preset) for b in config.bindings]
    assert got == [
        ("desk", "cc", 0, "pan", "selected", None),
        ("desk", "cc", 1, "tilt", "selected", None),
        ("desk", "cc", 2, "zoom", "selected", None),
        ("desk", "note", 41, "select", "stage", None),
        ("desk", "note", 42, "select", "pulpit", None),
        ("desk", "note", 43, "preset", "selected", 1),
        ("desk", "note", 44, "home", "all", None),
    ]
    assert [b.mark for b in config.bindings] == [Mark(path, line, 5) for line in range(15, 22)]
    assert all(isinstance(b, BindingConfig) and b.channel is None for b in config.bindings)


def test_summary_names_cameras_inputs_and_binding_counts(tmp_path: Path) -> None:
    path = write(tmp_path, "ptzmapd.yaml", EXAMPLE)
    summary = summarize(load_config(path))
    assert summary.splitlines() == [
        f"{path}: 2 cameras, 1 input, 7 bindings",
        "  camera stage: visca-ip 127.0.0.1:52381",
        "  camera pulpit: visca-tcp 127.0.0.1:5678",
        "  input desk: midi port '*nanoKONTROL2*', 7 bindings",
    ]


def test_defaults_follow_the_protocol_and_the_action(tmp_path: Path) -> None:
    path = write(tmp_path, "ptzmapd.yaml", BASE + """\
  pads: {type: midi, virtual: ptzmapd pads, api: jack, channel: 10}
bindings:
  - {input: desk, cc: 0, action: pan}
  - {input: desk, note: 1, action: autofocus}
  - {input: desk, note: 2, action: preset, preset: 0}
  - {input: desk, pitchbend: true, action: zoom, range: unipolar}
  - {input: desk, program: true, action: preset}
  - {input: pads, note: 36, action: focus, value: -0.5}
  - {input: pads, note: 37, action: stop, camera: all}
""")
    config = load_config(path)
    assert config.cameras["stage"].link.port == 52381  # type: ignore[union-attr]  # the spec's default_port
    pads = config.inputs["pads"]
    assert (pads.port, pads.virtual, pads.api, pads.channel) == (None, "ptzmapd pads", "jack", 10)
    pan, autofocus, preset, bend, program, focus, stop = config.bindings
    assert (pan.camera, pan.range, pan.value, pan.mode) == ("selected", "bipolar", None, None)
    assert autofocus.mode == "toggle"  # documented default: one button turns it on and off
    assert (preset.preset, preset.store) == (0, False)
    assert (bend.control, bend.number, bend.range) == ("pitchbend", None, "unipolar")
    # A program change recalls the preset of its own number: no preset key needed.
    assert (program.control, program.number, program.preset) == ("program", None, None)
    assert focus.value == -0.5 and isinstance(focus.value, float)
    assert stop.camera == "all"
    assert summarize(config).splitlines()[2:] == [
        "  input desk: midi port '*nano*', 5 bindings",
        "  input pads: midi virtual port 'ptzmapd pads', 2 bindings",
    ]


def test_camera_limits_come_from_the_protocol(tmp_path: Path) -> None:
    path = write(tmp_path, "ptzmapd.yaml", """\
cameras:
  stage:
    protocol: visca-ip
    host: 127.0.0.2
    sequence: none
    min_interval: 0.1
    ack_timeout: 10
    max_pan_speed: 24
    max_tilt_speed: 20
    max_zoom_speed: 0
    max_focus_speed: 7
""")
    stage = load_config(path).cameras["stage"]
    assert (stage.options.sequence, stage.pacing.min_interval, stage.pacing.ack_timeout) == (  # type: ignore[attr-defined]
        "none", 0.1, 10.0)
    assert (stage.max_pan_speed, stage.max_tilt_speed, stage.max_zoom_speed, stage.max_focus_speed) == (24, 20, 0, 7)


def test_yaml_booleans_are_read_as_the_words_written(tmp_path: Path) -> None:
    # YAML 1.1 turns unquoted on/off into booleans; where a word is expected, the word counts.
    path = write(tmp_path, "ptzmapd.yaml", """\
cameras:
  stage: {protocol: visca-ip, host: 127.0.0.2, sequence: on}
inputs:
  desk: {type: midi, port: "*"}
bindings:
  - {input: desk, note: 1, action: autofocus, mode: on}
  - {input: desk, note: 2, action: autofocus, mode: off}
""")
    config = load_config(path)
    assert config.cameras["stage"].options.sequence == "on"  # type: ignore[attr-defined]
    assert [b.mode for b in config.bindings] == ["on", "off"]


def test_named_actions_and_raw_commands_give_typed_bindings(tmp_path: Path) -> None:
    path = write(tmp_path, "ptzmapd.yaml", """\
cameras:
  stage: {protocol: visca-ip, host: 127.0.0.2}
inputs:
  desk: {type: midi, port: "*nano*"}
bindings:
  - {input: desk, note: 50, action: iris, mode: up}
  - {input: desk, note: 51, action: iris, mode: direct, level: 8}
  - {input: desk, note: 52, action: tally, mode: on}
  - {input: desk, note: 53, action: menu, mode: enter}
  - {input: desk, note: 54, action: raw, visca: "8x 01 04 38 02 FF"}
""")
    config = load_config(path)
    got = [(b.action, b.mode, b.level, b.raw, b.camera) for b in config.bindings]
    assert got == [
        ("iris", "up", None, None, "selected"),
        ("iris", "direct", 8, None, "selected"),
        ("tally", "on", None, None, "selected"),  # YAML's boolean `on`, read as the word written
        ("menu", "enter", None, None, "selected"),
        ("raw", None, None, RawText("visca", "8x 01 04 38 02 FF"), "selected"),
    ]


def test_the_same_control_on_other_channels_is_no_duplicate(tmp_path: Path) -> None:
    path = write(tmp_path, "ptzmapd.yaml", BASE + """\
  other: {type: midi, port: "*other*"}
bindings:
  - {input: desk, cc: 7, channel: 1, action: pan}
  - {input: desk, cc: 7, channel: 2, action: tilt}
  - {input: desk, note: 7, action: home}
  - {input: other, cc: 7, action: zoom}
""")
    assert len(load_config(path).bindings) == 4


def test_a_binding_without_channel_collides_with_its_inputs_channel(tmp_path: Path) -> None:
    path = write(tmp_path, "ptzmapd.yaml", """\
cameras:
  stage: {protocol: visca-ip, host: 127.0.0.2}
inputs:
  desk: {type: midi, port: "*", channel: 3}
bindings:
  - {input: desk, cc: 7, channel: 3, action: pan}
  - {input: desk, cc: 7, action: tilt}
""")
    assert problems_of(path) == [
        f"{path}:7:5: bindings[1]: cc 7 on input 'desk' is already bound at {path}:6:5 (bindings[0])",
    ]


# --------------------------------------------------------------------------- the corpus

CORPUS = sorted(CONFIGS.glob("bad-*.yaml"))
EXPECT = re.compile(r"# expect: (?:(?P<file>[^:\s]+\.yaml):)?(?P<line>\d+):(?P<column>\d+): (?P<text>.+)")


def test_the_corpus_is_large_enough() -> None:
    assert len(CORPUS) >= 30


@pytest.mark.parametrize("path", CORPUS, ids=lambda path: path.name)
def test_corpus_file_reports_its_problem_at_its_place(path: Path) -> None:
    first_line = path.read_bytes().split(b"\n", 1)[0].decode()
    expected = EXPECT.fullmatch(first_line)
    assert expected, f"{path.name}: first line must be '# expect: [FILE:]LINE:COL: text'"
    where = os.path.normpath(CONFIGS / expected["file"]) if expected["file"] else str(path)
    prefix = f"{where}:{expected['line']}:{expected['column']}: "
    text = expected["text"].replace("{dir}", str(CONFIGS))

    problems = problems_of(str(path))  # anything but a ConfigError fails here

    assert any(p.startswith(prefix) and text in p for p in problems), (
        f"expected a problem starting {prefix!r} containing {text!r}; got:\n" + "\n".join(problems)
    )
    for problem in problems:
        assert re.match(r"^\S.*?:\d+:\d+: ", problem), problem


@pytest.mark.parametrize("path", sorted(CONFIGS.rglob("*.yaml")), ids=lambda path: path.name)
def test_no_file_of_the_corpus_escapes_as_anything_but_config_error(path: Path) -> None:
    # The helper profiles too, loaded as if they were configs: a config or a ConfigError,
    # never a traceback.
    try:
        load_config(path)
    except ConfigError as error:
        assert error.problems and str(error) == "\n".join(error.problems)


def test_every_problem_in_a_file_is_reported_at_once_in_file_order(tmp_path: Path) -> None:
    path = write(tmp_path, "ptzmapd.yaml", """\
cameras:
  stage:
    protocol: visac
    host: 127.0.0.2
  pulpit:
    protocol: visca-tcp
    port: 0
inputs:
  desk: {type: midi, port: "*", channel: 17}
bindings:
  - {input: desk, cc: 128, action: pan}
  - {input: dsek, note: 1, action: zom}
  - {input: desk, note: 2, action: preset}
colour: blue
""")
    assert problems_of(path) == [
        f"{path}:3:15: cameras.stage.protocol: unknown protocol 'visac' (did you mean 'visca-ip'? "
        f"valid: {', '.join(PROTOCOLS)})",
        f"{path}:5:3: cameras.pulpit: missing key 'host' (required for transport 'tcp')",
        f"{path}:7:11: cameras.pulpit.port: 0 is out of range (valid: 1..65535)",
        f"{path}:9:42: inputs.desk.channel: 17 is out of range (valid: 1..16)",
        f"{path}:11:23: bindings[0].cc: 128 is out of range (valid: 0..127)",
        f"{path}:12:13: bindings[1].input: unknown input 'dsek' (did you mean 'desk'? valid: desk)",
        f"{path}:12:36: bindings[1].action: unknown action 'zom' (did you mean 'zoom'? "
        f"valid: {', '.join(Action)})",
        f"{path}:13:5: bindings[2]: missing key 'preset' (required for action 'preset')",
        f"{path}:14:1: colour: unknown key 'colour' (valid: cameras, inputs, bindings, include, leds, api, switchers, mqtt, tours, state_dir)",
    ]


def test_a_value_yaml_cannot_give_is_one_problem_not_two(tmp_path: Path) -> None:
    path = write(tmp_path, "ptzmapd.yaml", BASE + """\
bindings:
  - {input: desk, cc: !secret zero, action: pan}
  - !binding x
  - &loop {input: desk, cc: 1, action: home, camera: *loop}
""")
    assert problems_of(path) == [
        f"{path}:6:23: bindings[0].cc: unsupported yaml tag '!secret'",
        f"{path}:7:5: bindings[1]: unsupported yaml tag '!binding'",
        f"{path}:8:5: bindings[2].camera: alias refers to a node that contains it",
    ]


def test_a_missing_config_file_is_named(tmp_path: Path) -> None:
    path = str(tmp_path / "nowhere.yaml")
    assert problems_of(path) == [f"{path}:1:1: cannot read config file: no such file or directory"]


def test_a_directory_is_not_a_config_file(tmp_path: Path) -> None:
    assert problems_of(str(tmp_path)) == [f"{tmp_path}:1:1: cannot read config file: is a folder, not a file"]


def test_a_zero_byte_file_is_empty(tmp_path: Path) -> None:
    path = write(tmp_path, "ptzmapd.yaml", "")
    assert problems_of(path) == [f"{path}:1:1: yaml: file is empty (no yaml document)"]


# --------------------------------------------------------------------------- includes


def test_a_profile_included_for_an_input_gets_that_input(tmp_path: Path) -> None:
    main = write(tmp_path, "ptzmapd.yaml", BASE + """\
include:
  - {file: profiles/nanokontrol2.yaml, input: desk}
""")
    profile = write(tmp_path, "profiles/nanokontrol2.yaml", """\
# Korg nanoKONTROL2, factory scene
bindings:
  - {cc: 0, action: pan}
  - {cc: 1, action: tilt}
""")
    config = load_config(main)
    assert [(b.input, b.number, b.action) for b in config.bindings] == [("desk", 0, "pan"), ("desk", 1, "tilt")]
    assert [b.mark for b in config.bindings] == [Mark(profile, 3, 5), Mark(profile, 4, 5)]


def test_include_paths_are_relative_to_the_including_file(tmp_path: Path) -> None:
    # main -> profiles/a.yaml -> deeper/b.yaml (i.e. profiles/deeper/b.yaml); b inherits a's input.
    main = write(tmp_path, "etc/ptzmapd.yaml", BASE + """\
  pads: {type: midi, virtual: pads}
bindings:
  - {input: desk, cc: 0, action: pan}
include:
  - {file: profiles/a.yaml, input: pads}
  - profiles/pedal.yaml
""")
    a = write(tmp_path, "etc/profiles/a.yaml", """\
bindings:
  - {note: 36, action: home}
  - {input: desk, note: 36, action: stop}
include:
  - deeper/b.yaml
""")
    b = write(tmp_path, "etc/profiles/deeper/b.yaml", "bindings:\n  - {note: 37, action: stop}\n")
    pedal = write(tmp_path, "etc/profiles/pedal.yaml", """\
inputs:
  pedal: {type: midi, port: "FCB1010*"}
bindings:
  - {input: pedal, program: true, action: preset}
""")
    config = load_config(main)
    assert list(config.inputs) == ["desk", "pads", "pedal"]
    assert config.inputs["pedal"].mark == Mark(pedal, 2, 3)
    assert [(b.input, b.control, b.number, b.mark) for b in config.bindings] == [
        ("desk", "cc", 0, Mark(main, 7, 5)),
        ("pads", "note", 36, Mark(a, 2, 5)),
        ("desk", "note", 36, Mark(a, 3, 5)),  # names its own input: keeps it
        ("pads", "note", 37, Mark(b, 2, 5)),
        ("pedal", "program", None, Mark(pedal, 4, 5)),
    ]


def test_one_profile_may_serve_two_inputs(tmp_path: Path) -> None:
    main = write(tmp_path, "ptzmapd.yaml", BASE + """\
  desk2: {type: midi, port: "*nano* 2*"}
include:
  - {file: nano.yaml, input: desk}
  - {file: nano.yaml, input: desk2}
""")
    write(tmp_path, "nano.yaml", "bindings:\n  - {cc: 0, action: pan}\n")
    assert [b.input for b in load_config(main).bindings] == ["desk", "desk2"]


def test_a_profile_with_cameras_included_twice_says_so(tmp_path: Path) -> None:
    main = write(tmp_path, "ptzmapd.yaml", BASE + "include:\n  - rig.yaml\n  - rig.yaml\n")
    rig = write(tmp_path, "rig.yaml", "cameras:\n  pulpit: {protocol: visca-tcp, host: 127.0.0.3}\n")
    assert problems_of(main) == [
        f"{rig}:2:3: cameras.pulpit: camera 'pulpit' is defined again: {rig} is included more than once",
    ]


def test_problems_in_an_included_file_point_into_it(tmp_path: Path) -> None:
    main = write(tmp_path, "ptzmapd.yaml", BASE + """\
bindings:
  - {input: desk, cc: 0, action: pan}
include:
  - {file: profiles/nano.yaml, input: desk}
""")
    profile = write(tmp_path, "profiles/nano.yaml", """\
bindings:
  - {cc: 0, action: tilt}
  - {cc: 1, action: tilt, camera: stgae}
inputs:
  desk: {type: midi, port: "*"}
""")
    assert problems_of(main) == [
        f"{profile}:2:5: bindings[0]: cc 0 on input 'desk' is already bound at {main}:6:5 (bindings[0])",
        f"{profile}:3:35: bindings[1].camera: unknown camera 'stgae' (did you mean 'stage'? "
        "valid: stage, selected, all)",
        f"{profile}:5:3: inputs.desk: input 'desk' is already defined at {main}:4:3",
    ]


def test_a_binding_needs_an_input_from_itself_or_its_include_entry(tmp_path: Path) -> None:
    main = write(tmp_path, "ptzmapd.yaml", BASE + "include:\n  - nano.yaml\n")
    profile = write(tmp_path, "nano.yaml", "bindings:\n  - {cc: 0, action: pan}\n")
    assert problems_of(main) == [f"{profile}:2:5: bindings[0]: missing key 'input'"]


def test_an_include_of_itself_is_a_cycle(tmp_path: Path) -> None:
    main = write(tmp_path, "ptzmapd.yaml", BASE + "include:\n  - ./ptzmapd.yaml\n")
    assert problems_of(main) == [f"{main}:6:5: include[0]: include cycle: {main} -> {main}"]


# --------------------------------------------------------------------------- yaml with marks


def test_every_node_knows_its_place() -> None:
    root, problems = parse_yaml("a:\n  - x\n  - {b: 2, c: on}\n", "f.yaml")
    assert problems == []
    assert isinstance(root, MappingNode)
    assert root.mark == Mark("f.yaml", 1, 1) and root.key_marks == {"a": Mark("f.yaml", 1, 1)}
    seq = root.value["a"]
    assert isinstance(seq, SequenceNode) and seq.mark == Mark("f.yaml", 2, 3)
    x, inner = seq.value
    assert x == ScalarNode("x", Mark("f.yaml", 2, 5), "x")
    assert isinstance(inner, MappingNode) and inner.mark == Mark("f.yaml", 3, 5)
    assert inner.key_marks == {"b": Mark("f.yaml", 3, 6), "c": Mark("f.yaml", 3, 12)}
    assert inner.value["b"] == ScalarNode(2, Mark("f.yaml", 3, 9), "2")
    assert inner.value["c"] == ScalarNode(True, Mark("f.yaml", 3, 15), "on")


def test_scalars_keep_their_yaml_types() -> None:
    root, _ = parse_yaml("i: 0x10\nf: 1.5\nn: ~\ns: '7'\nd: 2024-05-01\ninf: .inf\n", "f.yaml")
    assert isinstance(root, MappingNode)
    values = {key: node.value for key, node in root.value.items() if isinstance(node, ScalarNode)}
    assert values == {"i": 16, "f": 1.5, "n": None, "s": "7", "d": "2024-05-01", "inf": math.inf}


def test_duplicate_keys_are_reported_and_the_first_kept() -> None:
    root, problems = parse_yaml("a:\n  b: 1\n  c: 2\n  b: 3\n", "f.yaml")
    assert [str(p) for p in problems] == ["f.yaml:4:3: a.b: duplicate key 'b' (first defined at 2:3)"]
    assert isinstance(root, MappingNode) and isinstance(root.value["a"], MappingNode)
    assert root.value["a"].value["b"].value == 1


def test_merge_keys_fill_in_what_is_not_written() -> None:
    root, problems = parse_yaml("base: &base {protocol: visca-ip, port: 1}\ncam: {<<: *base, port: 2}\n", "f.yaml")
    assert problems == []
    assert isinstance(root, MappingNode)
    cam = root.value["cam"]
    assert isinstance(cam, MappingNode)
    assert {k: v.value for k, v in cam.value.items()} == {"port": 2, "protocol": "visca-ip"}
    assert cam.key_marks["protocol"] == Mark("f.yaml", 1, 14)  # where it was written


def test_keys_are_names_as_written() -> None:
    root, problems = parse_yaml("on: 1\n5: 2\n[a]: 3\n", "f.yaml")
    assert isinstance(root, MappingNode) and list(root.value) == ["on", "5"]
    assert [str(p) for p in problems] == ["f.yaml:3:1: a key must be a plain name, not a list or mapping"]


# --------------------------------------------------------------------------- robustness


def _leaf_paths(data: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    paths = [prefix]
    if isinstance(data, dict):
        for key, value in data.items():
            paths += _leaf_paths(value, prefix + (key,))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            paths += _leaf_paths(value, prefix + (index,))
    return paths


EXAMPLE_DATA = yaml.safe_load(EXAMPLE)
PLACES = _leaf_paths(EXAMPLE_DATA)[1:]
ANY_YAML = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**70), 2**70) | st.floats() | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=6,
)


def _replace(data: Any, place: tuple[Any, ...], value: Any) -> Any:
    if not place:
        return value
    copy = dict(data) if isinstance(data, dict) else list(data)
    copy[place[0]] = _replace(data[place[0]], place[1:], value)
    return copy


def _load_text(text: str) -> Config | list[str]:
    with tempfile.TemporaryDirectory() as directory:
        path = os.path.join(directory, "ptzmapd.yaml")
        with open(path, "w", encoding="utf-8") as stream:
            stream.write(text)
        try:
            return load_config(path)
        except ConfigError as error:
            for problem in error.problems:
                assert problem.startswith(path + ":"), problem
            return error.problems


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(place=st.sampled_from(PLACES), value=ANY_YAML)
def test_any_value_anywhere_gives_a_config_or_a_config_error(place: tuple[Any, ...], value: Any) -> None:
    _load_text(yaml.safe_dump(_replace(EXAMPLE_DATA, place, value)))


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="ab:-{}[]'\"\t\n #&*!|>,?0123456789.", max_size=80))
def test_any_text_gives_a_config_or_a_config_error(text: str) -> None:
    _load_text(text)
