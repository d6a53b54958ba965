"""The ``tours:`` section, ``state_dir``, and what holds between them and the bindings.

A tour (``sermon: {camera: pulpit, stops: [{preset: 1, dwell: 8}, …], speed: 0.3, loop: true}``)
is checked key by key (:data:`TOUR`, :data:`TOUR_STOP`), then against its camera: the camera's
protocol must recall presets, take each stop's preset number (the codec's own range,
:func:`~ptzmapd.config.rules.codec_refusal`, as ``ptzmapd send`` checks it) and, with a
``speed``, recall at a travel speed (capability ``preset speed``). A binding's
``tour:`` must name a tour; a trace a binding plays or stops must be recorded by some binding
or be stored already under ``state_dir``.

``state_dir`` (where traces are kept) is relative to the config file that names it; without
one it is the user's state directory (:func:`~ptzmapd.tours.store.default_state_dir`).
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence

from ptzmapd.commands import PresetRecall
from ptzmapd.config.checks import Boolean, Choice, Integer, Number, Scope, Shape
from ptzmapd.config.model import BindingConfig, CameraConfig, Mark, TourConfig, TourStop
from ptzmapd.config.rules import codec_refusal, inability
from ptzmapd.config.schema import Field, Schema, read_fields
from ptzmapd.config.yamlmarks import MappingNode, Node, Problem, SequenceNode, child_path
from ptzmapd.files import beside
from ptzmapd.mapping.actions import ACTION_ROWS
from ptzmapd.registry import suggest
from ptzmapd.tours.store import default_state_dir, trace_path
from ptzmapd.vocabulary import PRESET_SPEED, Action

#: A tour stays at most a day at one stop.
MAX_DWELL = 86400.0

TOUR_STOP = Schema((
    # The preset action's own range; the camera's protocol may take fewer (checked after).
    Field("preset", Integer(int(ACTION_ROWS[Action.PRESET].param("preset").low),
                            int(ACTION_ROWS[Action.PRESET].param("preset").high)), required=True),
    # Seconds at the stop, counted from when the camera answers the recall.
    Field("dwell", Number(0, MAX_DWELL), required=True),
))

TOUR = Schema((
    Field("camera", Choice("camera", lambda scope: scope.cameras), required=True),
    Field("stops", Shape(SequenceNode), required=True),
    # The travel speed between stops, 0..1 of the camera's fastest preset travel.
    Field("speed", Number(0, 1, above_low=True)),
    Field("loop", Boolean(), default=False),
))


def read_tour(name: str, node: Node, key_mark: Mark, path: str, scope: Scope,
              cameras: Mapping[str, CameraConfig] | None, problems: list[Problem]) -> TourConfig | None:
    """One ``tours:`` entry, or None (its problems added to ``problems``). ``cameras``: the
    validated cameras, to check the stops against the camera's protocol; None when some
    camera has problems of its own (its protocol is then unknown)."""
    if not isinstance(node, MappingNode):
        problems.append(Problem(node.mark, path, "expected a mapping of tour settings (camera, stops, speed, loop)"))
        return None
    before = len(problems)
    # Partial: a misspelt camera must not hide a negative dwell.
    values = read_fields(TOUR, node, path, scope, problems, where=key_mark, partial=True) or {}
    good = len(problems) == before
    stops_node = values.get("stops")
    if not isinstance(stops_node, SequenceNode):
        return None
    stops: list[TourStop] = []
    for index, item in enumerate(stops_node.value):
        stop_path = child_path(child_path(path, "stops"), index)
        if not isinstance(item, MappingNode):
            problems.append(Problem(item.mark, stop_path, "expected a mapping {preset: N, dwell: SECONDS}"))
            good = False
            continue
        stop = read_fields(TOUR_STOP, item, stop_path, scope, problems)
        if stop is None:
            good = False
            continue
        stops.append(TourStop(stop["preset"], stop["dwell"], item.value["preset"].mark, index))
    if not stops_node.value:
        problems.append(Problem(stops_node.mark, child_path(path, "stops"), "a tour needs at least one stop"))
        return None
    camera: str | None = values.get("camera")
    if cameras is not None and camera is not None and camera in cameras:
        # The stops that are valid, checked against the camera: every mistake at once.
        found = _camera_problems(cameras[camera], stops, node.value["camera"].mark, path)
        if not found and "speed" in values:
            # A travel speed the camera cannot take would be ignored: refused, as on a binding.
            cannot = inability(cameras[camera], PRESET_SPEED)
            if cannot is not None:
                found.append(Problem(node.value["speed"].mark, child_path(path, "speed"), cannot))
        problems += found
        good = good and not found
    if not good or camera is None:
        return None
    return TourConfig(name, camera, tuple(stops), key_mark, values.get("speed"), values["loop"])


def _camera_problems(camera: CameraConfig, stops: list[TourStop], camera_mark: Mark, path: str) -> list[Problem]:
    """The camera recalls presets, each stop's number among them."""
    cannot = inability(camera, Action.PRESET)
    if cannot is not None:
        return [Problem(camera_mark, child_path(path, "camera"), cannot)]
    problems = []
    for stop in stops:
        refusal = codec_refusal(camera, PresetRecall(stop.preset))
        if refusal is not None:
            where = child_path(child_path(child_path(path, "stops"), stop.index), "preset")
            problems.append(Problem(stop.mark, where, refusal))
    return problems


def state_dir_of(given: str | None, config_file: str) -> str:
    """Where traces are kept: ``state_dir`` beside the file that names it, else the default."""
    # Absolute: a service's working directory is "/", whatever the shell's was.
    return os.path.abspath(beside(config_file, given)) if given is not None else default_state_dir()


def binding_problems(bindings: Sequence[tuple[BindingConfig, Node, str]], tours: Sequence[str],
                     state_dir: str) -> list[Problem]:
    """A binding's tour is one of ``tours`` (every name written, valid or not: a broken tour
    has its own messages); a trace it plays or stops is recorded by some binding or stored
    under ``state_dir``."""
    problems: list[Problem] = []
    recorded = {b.trace for b, _, _ in bindings if b.action == Action.TRACE and b.mode == "record"}
    for binding, node, path in bindings:
        if binding.action == Action.TOUR and binding.tour is not None and binding.tour not in tours:
            problems.append(_at(node, path, "tour", f"unknown tour {binding.tour!r}{suggest(binding.tour, tours)}"))
        elif (binding.action == Action.TRACE and binding.trace is not None and binding.trace not in recorded
              and not os.path.isfile(trace_path(state_dir, binding.trace))):
            problems.append(_at(node, path, "trace", (
                f"no binding records trace {binding.trace!r} and {trace_path(state_dir, binding.trace)} does not exist"
                + suggest(binding.trace, sorted(name for name in recorded if name is not None))
            )))
    return problems


def _at(node: Node, path: str, key: str, message: str) -> Problem:
    mark = node.value[key].mark if isinstance(node, MappingNode) and key in node.value else node.mark
    return Problem(mark, child_path(path, key), message)
