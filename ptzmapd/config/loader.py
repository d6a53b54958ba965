"""Load a config file into typed :mod:`.model` objects, reporting every problem at once.

The loader reads the file and its includes, gathers cameras, inputs, bindings and a profile's
LED rules, validates each against its schema (:mod:`.tables`), then checks what holds across
entries: one control one binding, cameras sharing a serial wire, layers, and each binding
against the capabilities of the protocols it can reach (:mod:`.rules`): a camera named in a
binding must be able to do what it asks.

Every problem is collected, then all are raised together as one :class:`ConfigError`, each
line ``FILE:LINE:COL: dotted.path: problem``. Never a traceback for a user's mistake.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field

from ptzmapd.config.api import api_config
from ptzmapd.config.mqtt import mqtt_config
from ptzmapd.config.checks import Invalid, Scope, Text, is_broken, show, word
from ptzmapd.config.cameras import camera_config, os_problems
from ptzmapd.config.led_rules import LedRule, own_light, refusal, settle
from ptzmapd.config.model import BindingConfig, CameraConfig, Config, InputConfig, LedConfig, Mark
from ptzmapd.config.network import open_listener_problem, osc_listeners, shared_port_problems
from ptzmapd.config.rules import capability_problems, control_problems, shared_device_problems, value_problems
from ptzmapd.config.switchers import switcher_config, switcher_problems, tally_problems, udp_listeners
from ptzmapd.config.schema import read_fields
from ptzmapd.config.tours import binding_problems, read_tour, state_dir_of
from ptzmapd.config.tables import (
    BINDING,
    camera_schema,
    CONTROL_KEYS,
    INCLUDE_ENTRY,
    INPUT,
    INPUT_NAME,
    INPUT_TYPES,
    LED_RULE,
    NAME,
    TOP,
    used_as,
)
from ptzmapd.config.yamlmarks import MappingNode, Node, Problem, SequenceNode, child_path, read_yaml
from ptzmapd.errors import ConfigError
from ptzmapd.files import FileRefused, beside, check_path
from ptzmapd.mapping.actions import ACTION_ROWS
from ptzmapd.vocabulary import DEFAULT_GROUP, NAMED_ACTIONS, RAW_KINDS, TARGETS, Action, ControlKind, can
from ptzmapd.protocols import PROTOCOLS
@dataclass(slots=True)
class _Named:
    """A camera or input found in some file, waiting to be validated."""

    name: str
    node: Node
    key_mark: Mark
    path: str


@dataclass(slots=True)
class _Binding:
    node: Node
    path: str
    #: The input named by the include entry that brought this binding's file in.
    input: str | None


@dataclass(slots=True)
class _Loader:
    """Reads the config file and its includes, then validates what they hold."""

    problems: list[Problem] = field(default_factory=list)
    cameras: dict[str, _Named] = field(default_factory=dict)
    inputs: dict[str, _Named] = field(default_factory=dict)
    switchers: dict[str, _Named] = field(default_factory=dict)
    bindings: list[_Binding] = field(default_factory=list)
    #: ``input:`` nodes of include entries, checked once every input is known.
    include_inputs: list[tuple[Node, str]] = field(default_factory=list)
    camera_keys_seen: int = 0
    #: Parsed trees by real path, so a profile included twice is read (and its YAML
    #: problems reported) once.
    trees: dict[str, tuple[Node | None, list[Problem]]] = field(default_factory=dict)
    #: Files in the order first read, to sort problems by file, then line.
    file_order: dict[str, int] = field(default_factory=dict)
    #: The LED rules profiles declare, by the input their include entry names.
    led_rules: dict[str, list[LedRule]] = field(default_factory=dict)
    #: The main file's ``api:`` section, if any.
    api: MappingNode | None = None
    #: The main file's ``mqtt:`` section, if any.
    mqtt: MappingNode | None = None
    tours: dict[str, _Named] = field(default_factory=dict)
    #: ``state_dir`` as written, the file that wrote it, and where.
    state_dir: tuple[str, str, Mark] | None = None

    def read_tree(self, file: str) -> Node | None:
        check_path(file)
        real = os.path.realpath(file)
        if real not in self.trees:
            self.trees[real] = read_yaml(file)  # FileRefused goes to the caller
            self.file_order.setdefault(file, len(self.file_order))
            self.problems.extend(self.trees[real][1])
        return self.trees[real][0]

    def gather(self, file: str, root: Node, supplied_input: str | None, chain: list[tuple[str, str]]) -> None:
        """Collect the cameras, inputs, bindings of one parsed file, then of its includes."""
        if is_broken(root):
            return
        if not isinstance(root, MappingNode):
            self.problems.append(Problem(
                root.mark, "",
                f"expected a mapping of cameras, inputs, bindings, include at the top level, got {show(root)}",
            ))
            return
        sections = read_fields(TOP, root, "", Scope({}), self.problems, partial=True) or {}
        cameras = sections.get("cameras")
        if isinstance(cameras, MappingNode):
            self.camera_keys_seen += len(cameras.value)
            self.collect_names(cameras, "cameras", "camera", self.cameras, reserved=TARGETS)
        inputs = sections.get("inputs")
        if isinstance(inputs, MappingNode):
            self.collect_names(inputs, "inputs", "input", self.inputs, reserved=())
        switchers = sections.get("switchers")
        if isinstance(switchers, MappingNode):
            self.collect_names(switchers, "switchers", "switcher", self.switchers, reserved=())
        bindings = sections.get("bindings")
        if isinstance(bindings, SequenceNode):
            for index, item in enumerate(bindings.value):
                self.bindings.append(_Binding(item, child_path("bindings", index), supplied_input))
        leds = sections.get("leds")
        if isinstance(leds, SequenceNode):
            self.read_led_rules(leds, supplied_input)
        # What the daemon listens on or connects to is the main file's to say, never an include's.
        self.api = self.main_file_only(sections, "api", "sets what the daemon listens on", chain) or self.api
        self.mqtt = self.main_file_only(sections, "mqtt", "sets the daemon's broker", chain) or self.mqtt
        tours = sections.get("tours")
        if isinstance(tours, MappingNode):
            self.collect_names(tours, "tours", "tour", self.tours, reserved=())
        if "state_dir" in sections:
            self.read_state_dir(file, sections["state_dir"], root.value["state_dir"].mark)
        include = sections.get("include")
        if isinstance(include, SequenceNode):
            for index, entry in enumerate(include.value):
                self.include(file, entry, child_path("include", index), supplied_input, chain)

    def read_state_dir(self, file: str, value: str, mark: Mark) -> None:
        if self.state_dir is not None:
            self.problems.append(Problem(mark, "state_dir", f"state_dir is already set at {self.state_dir[2]}"))
        else:
            self.state_dir = (value, file, mark)

    def read_led_rules(self, section: SequenceNode, input_name: str | None) -> None:
        """A profile's ``leds:``: the device's rules, kept for the input it is included for."""
        if input_name is None:
            self.problems.append(Problem(
                section.mark, "leds",
                "'leds' describes a controller: write it in a profile and include that with "
                "{file: PROFILE, input: NAME}",
            ))
            return
        rules = self.led_rules.setdefault(input_name, [])
        for index, node in enumerate(section.value):
            path = child_path("leds", index)
            entry = self.entry_mapping(node, path, "LED rule keys")
            values = None if entry is None else read_fields(LED_RULE, entry, path, Scope({}), self.problems)
            if entry is None or values is None:
                continue
            kind = "note" if "note" in values else "cc"
            first, last = values[kind]
            channel = values["channel"]
            channels = values.get("channels", (channel, channel))
            controls = values.get("controls")
            problem = None
            if not channels[0] <= channel <= channels[1]:
                problem = f"channel {channel} is not among its channels {channels[0]}-{channels[1]}"
            elif controls is not None and controls[2] - controls[1] != last - first:
                problem = f"controls name {controls[2] - controls[1] + 1} buttons for {last - first + 1} lights"
            elif values.get("values") is not None and not values["values"][0] <= values["on"] <= values["values"][1]:
                problem = f"on {values['on']} is not among its values"
            if problem is not None:
                self.problems.append(Problem(entry.mark, path, problem))
                continue
            rules.append(LedRule(
                kind, first, last, channel, channels, values["on"], values["off"], values.get("blink"),
                values.get("values"), None if controls is None else (controls[0], controls[1]),
            ))

    def collect_names(
        self, section: MappingNode, section_path: str, noun: str, into: dict[str, _Named], reserved: Collection[str],
    ) -> None:
        for name, node in section.value.items():
            path = child_path(section_path, name)
            key_mark = section.key_marks[name]
            if not NAME.fullmatch(name):
                self.problems.append(Problem(
                    key_mark, path, f"{noun} name {name!r} may only use letters, digits, '_' and '-'",
                ))
            elif name in reserved:
                self.problems.append(Problem(
                    key_mark, path, f"{noun} name {name!r} is reserved for binding targets; choose another name",
                ))
            elif name in into and into[name].key_mark == key_mark:
                self.problems.append(Problem(
                    key_mark, path, f"{noun} {name!r} is defined again: {key_mark.file} is included more than once",
                ))
            elif name in into:
                # Within one file YAML duplicates are caught already: this is across includes.
                self.problems.append(Problem(
                    key_mark, path, f"{noun} {name!r} is already defined at {into[name].key_mark}",
                ))
            else:
                into[name] = _Named(name, node, key_mark, path)

    def include(
        self, file: str, entry: Node, path: str, supplied_input: str | None, chain: list[tuple[str, str]],
    ) -> None:
        """Follow one ``include`` entry: a path, or ``{file: PATH, input: NAME}``."""
        own_input: str | None = None
        if is_broken(entry):
            return
        if isinstance(entry, MappingNode):
            values = read_fields(INCLUDE_ENTRY, entry, path, Scope({}), self.problems)
            if values is None:
                return
            relative, file_node = values["file"], entry.value["file"]
            if "input" in values:
                own_input = values["input"]
                self.include_inputs.append((entry.value["input"], child_path(path, "input")))
        else:
            try:
                relative, file_node = Text()(entry, Scope({})), entry
            except Invalid:
                self.problems.append(Problem(
                    entry.mark, path, f"expected a file path or a mapping with 'file' and 'input', got {show(entry)}",
                ))
                return
        try:
            check_path(relative)  # a NUL byte would make every path function raise
        except FileRefused as refused:
            self.problems.append(Problem(file_node.mark, path, f"cannot read {relative!r}: {refused}"))
            return
        # Relative to the including file, so a config and its profiles move together.
        target = beside(file, relative)
        real = os.path.realpath(target)
        reals = [seen for seen, _ in chain]
        if real in reals:
            loop = [shown for _, shown in chain[reals.index(real):]] + [target]
            self.problems.append(Problem(file_node.mark, path, "include cycle: " + " -> ".join(loop)))
            return
        try:
            root = self.read_tree(target)
        except FileRefused as refused:
            self.problems.append(Problem(file_node.mark, path, f"cannot read {relative!r}: {refused}"))
            return
        if root is not None:
            # A nested include without its own input passes the outer one on.
            self.gather(target, root, own_input or supplied_input, chain + [(real, target)])

    def validate(self, file: str, main_root: Node | None) -> Config | None:
        """Turn everything gathered into model objects; None if there were problems."""
        cameras = {name: camera for name, entry in self.cameras.items() if (camera := self.camera(entry))}
        inputs = {name: one for name, entry in self.inputs.items() if (one := self.input(entry))}
        if not self.camera_keys_seen and isinstance(main_root, MappingNode):
            section = main_root.value.get("cameras")
            if section is None:
                self.problems.append(Problem(
                    main_root.mark, "", "missing key 'cameras' (at least one camera is required)",
                ))
            else:
                self.problems.append(Problem(section.mark, "cameras", "no cameras defined (at least one is required)"))
        # The selection groups as the inputs write them (an input with a mistake still names one).
        groups = [DEFAULT_GROUP, *dict.fromkeys(
            group for entry in self.inputs.values() if isinstance(entry.node, MappingNode)
            and (group := word(entry.node.value.get("group"))) is not None)]
        switchers = {name: switcher for name, entry in self.switchers.items()
                     if (switcher := switcher_config(name, entry.node, entry.key_mark, entry.path, list(self.cameras),
                                                     self.problems, groups))}
        scope = Scope({}, cameras=list(self.cameras), inputs=list(self.inputs), switchers=list(self.switchers))
        for node, path in self.include_inputs:
            try:
                INPUT_NAME(node, scope)
            except Invalid as invalid:
                self.problems.append(Problem(node.mark, path, str(invalid)))
        built = [(b, entry) for entry in self.bindings if (b := self.binding(entry, scope, inputs))]
        bindings = [(b, entry.path) for b, entry in built]
        # Tours are checked against their camera's protocol only when every camera is valid.
        tours = {name: tour for name, entry in self.tours.items() if (tour := read_tour(
            name, entry.node, entry.key_mark, entry.path, Scope({}, cameras=list(self.cameras)),
            cameras if len(cameras) == len(self.cameras) else None, self.problems,
        ))}
        state_dir = state_dir_of(self.state_dir[0], self.state_dir[1]) if self.state_dir else state_dir_of(None, file)
        self.problems += binding_problems([(b, entry.node, entry.path) for b, entry in built], list(self.tours), state_dir)
        self.problems += control_problems(bindings, inputs)
        self.problems += shared_device_problems(cameras)
        if len(cameras) == len(self.cameras):
            # With a camera in error its protocol is unknown: checking against the others
            # would blame a binding for what the broken camera may well do.
            asked = [(binding, entry.node, entry.path) for binding, entry in built]
            self.problems += capability_problems(asked, cameras)
            self.problems += value_problems(asked, cameras)
        api = api_config(self.api, self.problems) if self.api is not None else None
        self.problems += shared_port_problems([*osc_listeners(inputs, api), *udp_listeners(switchers)])
        if len(switchers) == len(self.switchers):
            self.problems += switcher_problems([(binding, entry.node, entry.path) for binding, entry in built], switchers)
            self.problems += tally_problems(cameras, switchers)
        mqtt = mqtt_config(self.mqtt, self.problems) if self.mqtt is not None else None
        return None if self.problems else Config(
            file, cameras, inputs, [b for b, _ in bindings], switchers, api=api, mqtt=mqtt,
            tours=tours, state_dir=state_dir,
        )

    def main_file_only(self, sections: dict[str, Node], key: str, what: str, chain: Sequence[object]) -> MappingNode | None:
        """The section ``key`` when this file is the main one; in an include, a problem."""
        node = sections.get(key)
        if not isinstance(node, MappingNode):
            return None
        if len(chain) > 1:
            self.problems.append(Problem(node.mark, key, f"{key!r} {what}: write it in the main config file, not in an include"))
            return None
        return node

    def camera(self, entry: _Named) -> CameraConfig | None:
        node = self.entry_mapping(entry.node, entry.path, "camera settings")
        if node is None:
            return None
        facts: dict[str, str] = {}
        protocol = word(node.value.get("protocol"))
        if protocol is not None and protocol in PROTOCOLS:
            facts = {"protocol": protocol, "transport": PROTOCOLS[protocol].transport}
        values = read_fields(camera_schema(), node, entry.path, Scope(facts), self.problems, where=entry.key_mark)
        if values is None:
            return None
        problems, credentials = os_problems(node, entry.path, values)
        self.problems.extend(problems)
        # The mark is the camera's name: later messages about a camera point at it.
        return camera_config(values, entry.name, entry.key_mark, credentials)

    def input(self, entry: _Named) -> InputConfig | None:
        node = self.entry_mapping(entry.node, entry.path, "input settings")
        if node is None:
            return None
        input_type = word(node.value.get("type"))
        facts = {"type": input_type} if input_type in INPUT_TYPES else {}
        values = read_fields(INPUT, node, entry.path, Scope(facts), self.problems, where=entry.key_mark)
        if values is None:
            return None
        if "feedback" not in values:
            # The usual LED values go out only on the feedback output: without one, unused.
            unused = [key for key in ("led_on", "led_off") if key in values]
            for key in unused:
                self.problems.append(Problem(node.value[key].mark, child_path(entry.path, key), (
                    "lights only through 'feedback' (the MIDI output that lights the surface), "
                    "and this input has none"
                )))
            if unused:
                return None
        if "listen" in values:
            refused = open_listener_problem(f"an {input_type} input", values["listen"], values.get("allow"))
            if refused is not None:
                self.problems.append(Problem(node.value["listen"].mark, child_path(entry.path, "listen"), refused))
                return None
        return InputConfig(name=entry.name, mark=entry.key_mark, **values)

    def binding(self, entry: _Binding, scope: Scope, inputs: Mapping[str, InputConfig]) -> BindingConfig | None:
        node = self.entry_mapping(entry.node, entry.path, "binding keys")
        if node is None:
            return None
        # Facts come from the raw values; a wrong one is reported by its own check.
        facts: dict[str, str] = {}
        input_name = word(node.value["input"]) if "input" in node.value else entry.input
        device = inputs.get(input_name) if input_name is not None else None
        if device is not None:
            facts["input_type"] = device.type
        action = word(node.value.get("action"))
        if action in ACTION_ROWS:
            facts["action"] = action
        mode = word(node.value.get("mode"))
        if mode is not None and (mode in NAMED_ACTIONS.get(action or "", ())
                                 or action == Action.TRACE and mode in ACTION_ROWS[action].modes):
            facts["mode"] = mode
        controls = [key for key in CONTROL_KEYS if key in node.value]
        if len(controls) == 1:
            facts["control"] = controls[0]
            facts["used_as"] = used_as(
                controls[0], word(node.value[controls[0]]), "encoding" in node.value, facts.get("input_type"),
            )
        # A preset binding names its preset, or walks through them (a step or an encoder).
        facts["preset_by"] = (
            "encoder" if "encoding" in node.value else "step" if "step" in node.value else "number"
        )
        # What a preset binding does with its preset: only a recall travels (speed:).
        facts["preset_does"] = next(
            (does for does in ("clear", "store") if getattr(node.value.get(does), "value", None) is True), "recall",
        )
        supplied = {"input": entry.input} if entry.input is not None else {}
        values = read_fields(
            BINDING, node, entry.path, Scope(facts, scope.cameras, scope.inputs, scope.switchers), self.problems, supplied=supplied,
        )
        if values is None:
            return None
        if not controls:
            # With the input's type unknown (its own problem is reported) the schema cannot
            # tell which controls apply, so it did not demand one; yet every binding needs one.
            listed = ", ".join(map(repr, CONTROL_KEYS))
            self.problems.append(Problem(node.mark, entry.path, f"missing one of {listed}"))
            return None
        channel = values.get("channel")
        if channel is not None and device is not None and device.channel not in (None, channel):
            # The input drops every other channel before a binding sees it.
            self.problems.append(Problem(node.value["channel"].mark, child_path(entry.path, "channel"), (
                f"input {input_name!r} listens only on channel {device.channel} ({device.mark}): "
                f"channel {channel} would never be heard (valid: {device.channel}, or leave it out)"
            )))
            return None
        control = controls[0]
        number = values.pop(control)
        if isinstance(number, bool):
            number = None  # a flag control (pitchbend: true) carries no number
        raw = [values.pop(kind) for kind in RAW_KINDS if kind in values]
        if "curve" in values:
            values["expo"], values["points"] = values.pop("curve")
        values["led"] = self.light(values.pop("led", None), control, number, values.get("channel"), device,
                                   input_name, node, entry.path)
        values["action"] = Action(values["action"])
        if device is not None:
            values["group"] = device.group
        binding = BindingConfig(
            control=ControlKind(control), number=number, mark=node.mark, raw=raw[0] if raw else None, **values,
        )
        # What the action lacks although each key is valid (a move-to without a position).
        lack = ACTION_ROWS[binding.action].needs(binding, str)
        if lack is not None:
            self.problems.append(Problem(node.mark, entry.path, lack))
        return binding

    def light(self, led: LedConfig | bool | None, control: str, number: object, channel: int | None,
              device: InputConfig | None, input_name: str | None, node: MappingNode, path: str) -> LedConfig | None:
        """A binding's ``led:`` as the message it sends. The input's ``led_on``/``led_off``
        fill what the binding leaves out, then its profile's LED rules (which also say
        where ``led: true`` goes); a light the rules say the device cannot show is refused."""
        if led is None or led is False:
            return None
        rules = self.led_rules.get(input_name or "", [])
        given = {key: value for key in ("led_on", "led_off")
                 if device is not None and (value := getattr(device, key)) is not None}
        where, led_path = node.value["led"].mark, child_path(path, "led")
        if led is True:
            if control not in (ControlKind.NOTE, ControlKind.CC) or not isinstance(number, int):
                self.problems.append(Problem(where, led_path,
                                             "'led: true' needs a note or cc control; give {note: N} or {cc: N}"))
                return None
            if rules:
                found = own_light(rules, control, number)
                if found is None:
                    self.problems.append(Problem(where, led_path, (
                        f"{control} {number} has no light the device can show; it lights "
                        + "; ".join(rule.describe() for rule in rules)
                    )))
                    return None
                # Its place and channel from the rule; its values as a written light's.
                led = dataclasses.replace(found, on=-1, off=-1)
            else:
                led = LedConfig(control, number, -1, -1, channel)
        led = dataclasses.replace(
            led,
            on=led.on if led.on >= 0 else given.get("led_on", -1),
            off=led.off if led.off >= 0 else given.get("led_off", -1),
        )
        led = settle(rules, led)
        led = dataclasses.replace(led, on=127 if led.on < 0 else led.on, off=0 if led.off < 0 else led.off)
        if rules and (why := refusal(rules, led)) is not None:
            self.problems.append(Problem(where, led_path, why))
            return None
        return led

    def entry_mapping(self, node: Node, path: str, what: str) -> MappingNode | None:
        if isinstance(node, MappingNode):
            return node
        if is_broken(node):
            return None
        self.problems.append(Problem(node.mark, path, f"expected a mapping of {what}, got {show(node)}"))
        return None

    def sorted_problems(self) -> list[str]:
        """By file (in reading order), line and column; each problem once."""
        ordered = sorted(
            self.problems,
            key=lambda p: (self.file_order.get(p.mark.file, len(self.file_order)), p.mark.line, p.mark.column),
        )
        return list(dict.fromkeys(str(p) for p in ordered))


def load_config(path: str | os.PathLike[str]) -> Config:
    """Read, validate and return the config at ``path`` (and every file it includes).

    :raises ConfigError: listing every problem found, one ``FILE:LINE:COL: path: problem``
        per line; or naming the file when it cannot be read at all.
    """
    file = os.fsdecode(path)
    loader = _Loader()
    try:
        root = loader.read_tree(file)
    except FileRefused as refused:
        # At 1:1 like every other config problem, so editors and tools can jump to it.
        raise ConfigError([str(Problem(Mark(file, 1, 1), "", f"cannot read config file: {refused}"))]) from None
    if root is not None:
        loader.gather(file, root, None, [(os.path.realpath(file), file)])
    config = loader.validate(file, root)
    if config is None:
        raise ConfigError(loader.sorted_problems())
    return config
