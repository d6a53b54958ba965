"""The runtime's shape (issue 10): status knows a snapshot, not the runtime; the assembly and
the controller name no protocol; no runtime part takes an optional clock."""

from __future__ import annotations

import ast
import inspect
from pathlib import Path

import pytest

import ptzmapd
from ptzmapd.control.controller import CameraController
from ptzmapd.surfaces.feedback import Feedback
from ptzmapd.mapping.mapper import Mapper
from ptzmapd.motion.mixer import MotionMixer
from ptzmapd.pipeline import Pipeline
from ptzmapd.protocols import PROTOCOLS
from ptzmapd.transports import TransportPool
from ptzmapd.transports.base import Transport

PACKAGE = Path(ptzmapd.__file__).parent


def imported_modules(path: Path) -> set[str]:
    """Every module a file imports, at the top, inside functions or under TYPE_CHECKING."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_status_depends_on_its_snapshot_not_on_the_runtime() -> None:
    imports = imported_modules(PACKAGE / "app" / "status.py")
    assert not {name for name in imports if name.startswith(("ptzmapd.app", "ptzmapd.pipeline", "ptzmapd.control"))}


@pytest.mark.parametrize("where", ["app", "control", "pipeline.py"])
def test_the_runtime_names_no_protocol(where: str) -> None:
    files = [PACKAGE / where] if where.endswith(".py") else sorted((PACKAGE / where).glob("*.py"))
    for path in files:
        strings = {node.value for node in ast.walk(ast.parse(path.read_text()))
                   if isinstance(node, ast.Constant) and isinstance(node.value, str)}
        assert not strings & set(PROTOCOLS), path


@pytest.mark.parametrize("part", [Mapper, MotionMixer, Pipeline, Feedback, CameraController, TransportPool, Transport])
def test_the_clock_is_required(part: type) -> None:
    clock = inspect.signature(part.__init__).parameters["clock"]
    assert clock.default is inspect.Parameter.empty, part


def test_the_lens_facts_come_from_the_protocol_table_or_the_camera() -> None:
    from ptzmapd.app.assemble import controller_settings, motion_profile
    from ptzmapd.config.model import CameraConfig, Mark, MotionFeel, NetLink
    from ptzmapd.protocols import PROTOCOLS

    def camera(protocol: str, zoom_max: int | None = None) -> CameraConfig:
        spec = PROTOCOLS[protocol]
        return CameraConfig("cam", protocol, Mark("studio.yaml", 1, 1), NetLink("127.0.0.2", 9), spec.pacing,
                            feel=MotionFeel(zoom_max=zoom_max))

    assert controller_settings(camera("visca-ip")).zoom_max == 0x4000
    assert controller_settings(camera("isapi")).zoom_max == 1000
    assert controller_settings(camera("pelco-d")).zoom_max is None
    assert controller_settings(camera("pelco-d", zoom_max=500)).zoom_max == 500
    # VISCA's zoom speed 0 still moves: eight steps for a top speed of 7; Pelco's zoom is on/off.
    assert motion_profile(camera("visca-udp")).steps["zoom"] == 8
    assert motion_profile(camera("ptzoptics-cgi")).steps["focus"] == 8
    assert motion_profile(camera("pelco-d")).steps["zoom"] == 1
