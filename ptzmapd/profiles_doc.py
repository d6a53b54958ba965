"""The README's table of shipped profiles, written from the profiles themselves.

A hand-written table drifted from the profiles it described (it said the gamepad's triggers
zoom while they focus, and that the flight stick's hat pans while it recalled presets). So
the table is generated: the controller's name from the first line of each profile's header
(up to " — "), what moves and what each control does from its bindings (the same loader
``ptzmapd check`` uses, so the text cannot say what the profile does not do), and the input
from the header's "Use it" lines. ``python -m ptzmapd.profiles_doc`` rewrites the table in
README.md between its two markers; ``--check`` exits 1 when the README is out of date
(tests/test_profiles.py runs the same comparison).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path

from ptzmapd.config.loader import load_config
from ptzmapd.errors import ConfigError
from ptzmapd.config.model import BindingConfig
from ptzmapd.vocabulary import MOTION_ACTIONS, Action, ControlKind, Target

#: The README lines the table sits between.
BEGIN = "<!-- profiles table: written by `python -m ptzmapd.profiles_doc`; edit the profiles' headers -->"
END = "<!-- end of profiles table -->"
#: The header comment that introduces a profile's usage lines.
USAGE_HEADER = "# Use it (tests/test_profiles.py loads exactly these lines):"
#: Cameras to load a profile beside (VISCA can do everything a profile may ask).
CAMERAS = "cameras:\n  stage: {protocol: visca-ip, host: 192.0.2.10}\n"

#: Words for a fixed-speed motion: (action, sign of the speed) -> direction.
DIRECTIONS = {
    ("pan", 1): "right", ("pan", -1): "left", ("tilt", 1): "up", ("tilt", -1): "down",
    ("zoom", 1): "in", ("zoom", -1): "out", ("focus", 1): "far", ("focus", -1): "near",
}
#: Controls with a travel: a motion on one gives its own speed, not a fixed one.
TRAVELLING = (ControlKind.AXIS, ControlKind.CC, ControlKind.CC14, ControlKind.NRPN, ControlKind.PITCHBEND)


def usage(profile: Path) -> str:
    """The YAML of a profile's "Use it" comment, the include pointing at ``profile``."""
    lines = profile.read_text(encoding="utf-8").splitlines()
    if USAGE_HEADER not in lines:
        raise ValueError(f"{profile}: no '{USAGE_HEADER}' comment")
    snippet: list[str] = []
    for line in lines[lines.index(USAGE_HEADER) + 1:]:
        if not line.startswith("#   "):
            break
        snippet.append(line[4:])
    return "\n".join(snippet).replace(f"mappings/{profile.name}", str(profile)) + "\n"


def controller(profile: Path) -> str:
    """The controller's name: the header's first line up to " — "."""
    first = profile.read_text(encoding="utf-8").splitlines()[0].lstrip("# ").strip()
    return first.split(" — ")[0]


def control_name(binding: BindingConfig) -> str:
    """A control as a binding names it: ``cc 32``, ``note 8``, ``leftx``, ``hat 0 up``."""
    if binding.control == ControlKind.HAT:
        return f"hat {binding.number} {binding.direction}" if binding.direction else f"hat {binding.number}"
    if binding.control in (ControlKind.AXIS, ControlKind.BUTTON) and isinstance(binding.number, int):
        return f"{binding.control} {binding.number}"
    if binding.control in (ControlKind.AXIS, ControlKind.BUTTON):
        return str(binding.number)
    return f"{binding.control} {binding.number}" if binding.number is not None else binding.control


def runs(items: Sequence[tuple[BindingConfig, int]]) -> str:
    """``cc 32-39 → 1-8``: controls with consecutive numbers for consecutive values, merged."""
    parts: list[str] = []
    index = 0
    while index < len(items):
        end = index
        while end + 1 < len(items):
            (here, value), (after, next_value) = items[end], items[end + 1]
            if not (isinstance(here.number, int) and isinstance(after.number, int)
                    and here.control == after.control and after.number == here.number + 1
                    and next_value == value + 1):
                break
            end += 1
        first, first_value = items[index]
        last, last_value = items[end]
        if end == index:
            parts.append(f"{control_name(first)} → {first_value}")
        else:
            parts.append(f"{control_name(first)}-{last.number} → {first_value}-{last_value}")
        index = end + 1
    return ", ".join(parts)


def motion(binding: BindingConfig) -> str | None:
    """A motion binding's control, with the direction and speed it moves at if that is fixed
    (a button, a note, a hat direction): ``note 8 (left 0.5)``. None for other actions."""
    action = binding.action
    if action not in MOTION_ACTIONS:
        return None
    name = control_name(binding)
    if binding.control in TRAVELLING and binding.range != "unipolar":
        return name
    speed = (-1 if binding.invert else 1) * (binding.value if binding.value is not None else 1.0) * binding.scale
    return f"{name} ({DIRECTIONS[(action, 1 if speed > 0 else -1)]} {abs(speed):g} while held)"


def what(binding: BindingConfig) -> str:
    """What a non-motion binding does, in a few words (the key its controls are listed under)."""
    action = binding.action
    if action == Action.PRESET and binding.step:
        return "next preset" if binding.step > 0 else "previous preset"
    if action == Action.SELECT:
        return f"{binding.camera} camera" if binding.camera in (Target.NEXT, Target.PREVIOUS) else f"select {binding.camera}"
    if action == Action.STOP:
        return "stop every camera" if binding.camera == Target.ALL else "stop"
    if action == Action.FINE:
        return f"fine ({binding.mode})"
    if action == Action.LAYER:
        return f"layer {binding.layer} ({binding.mode})"
    return action


def summary(bindings: Sequence[BindingConfig]) -> str:
    """Every binding of a profile, grouped by what it does: motion axis by axis, then presets,
    then the rest; a binding of a layer says so."""
    axes: dict[str, list[str]] = defaultdict(list)
    presets: dict[str, list[tuple[BindingConfig, int]]] = defaultdict(list)
    others: dict[str, list[str]] = defaultdict(list)
    for binding in bindings:
        # A layer button's own `layer` is the layer it switches, not one it belongs to.
        in_layer = f" (layer {binding.layer})" if binding.layer and binding.action != Action.LAYER else ""
        moving = motion(binding)
        if moving is not None:
            axes[binding.action + in_layer].append(moving)
        elif binding.action == Action.PRESET and binding.preset is not None and not binding.step:
            doing = "store preset" if binding.store else "recall preset"
            if binding.hold:
                doing = f"preset (tap: recall, hold {binding.hold:g} s: store)"
            presets[doing + in_layer].append((binding, binding.preset))
        else:
            others[what(binding) + in_layer].append(control_name(binding))
    in_order = sorted(axes.items(), key=lambda item: MOTION_ACTIONS.index(Action(item[0].split()[0])))
    parts = [f"{axis}: {', '.join(controls)}" for axis, controls in in_order]
    parts += [f"{key}: {runs(sorted(items, key=lambda item: item[1]))}" for key, items in presets.items()]
    parts += [f"{key}: {', '.join(controls)}" for key, controls in others.items()]
    return "; ".join(parts)


def row(profile: Path, root: Path) -> str:
    with tempfile.TemporaryDirectory() as folder:
        config_path = Path(folder) / "profile.yaml"
        config_path.write_text(CAMERAS + usage(profile), encoding="utf-8")
        config = load_config(config_path)
    (device,) = config.inputs.values()
    input_line = next(line.split(":", 1)[1].strip() for line in usage(profile).splitlines()
                      if line.strip().startswith(f"{device.name}:"))
    name = profile.relative_to(root).as_posix()
    return f"| `{name}` | {controller(profile)} | {summary(config.bindings)} | `{input_line}` |"


def table(root: Path) -> str:
    """The Markdown table of every profile in ``root/mappings``."""
    lines = ["| file | controller | what each control does (from its bindings) | input |", "|---|---|---|---|"]
    lines += [row(profile, root) for profile in sorted((root / "mappings").glob("*.yaml"))]
    return "\n".join(lines)


def rewritten(readme: str, root: Path) -> str:
    """``readme`` with the table between the markers written afresh."""
    if BEGIN not in readme or END not in readme:
        raise ValueError(f"README.md has no profiles table markers ({BEGIN!r} ... {END!r})")
    head, rest = readme.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    return f"{head}{BEGIN}\n{table(root)}\n{END}{tail}"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ptzmapd.profiles_doc", description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, default=Path.cwd(), help="the source tree (default: here)")
    parser.add_argument("--check", action="store_true", help="exit 1 if README.md is out of date; write nothing")
    args = parser.parse_args(argv)
    readme_path = args.root / "README.md"
    try:
        readme = readme_path.read_text(encoding="utf-8")
        new = rewritten(readme, args.root.resolve())
    except (OSError, ValueError, ConfigError) as error:
        print(f"profiles_doc: {error}", file=sys.stderr)
        return 2
    if args.check:
        if new != readme:
            print("README.md's profiles table is out of date: run python -m ptzmapd.profiles_doc", file=sys.stderr)
            return 1
        return 0
    readme_path.write_text(new, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
