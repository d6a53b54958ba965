"""Every camera key ``check`` accepts takes effect for that camera's protocol, or ``check``
refuses it there, at the key (issue 10: no setting ``check`` accepts is ignored).

A camera key acts through something its protocol must have: a lens speed through the axis it
drives (Pelco's zoom is on/off, ISAPI has no continuous focus, IPCam CGI no zoom at all), the
zoom curve and estimate through a zoom, ``position_poll`` and ``zoom_max`` through position
inquiries (Pelco and the CGI protocols report none: the controller has nothing to poll), a
ramp through the axis it ramps. The table says what each key needs; each protocol either has it
or ``check`` refuses the key. And a top speed a camera accepts must still move it: a
``max_zoom_speed: 0`` that turns every zoom into ``<zoom>0</zoom>`` is a dead zoom, not a
slow one.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest
import yaml

from ptzmapd.app.assemble import speed_limits
from ptzmapd.commands import Focus, PanTilt, Zoom
from ptzmapd.config.loader import load_config
from ptzmapd.errors import ConfigError
from ptzmapd.protocols import PROTOCOLS

#: Enough for each protocol's camera to load (its required keys).
LINKS: dict[str, dict[str, Any]] = {
    "udp": {"host": "127.0.0.2"},
    "tcp": {"host": "127.0.0.2"},
    "serial": {"device": "socket://127.0.0.2:9", "address": 1},
    "http": {"url": "http://127.0.0.2:9"},
}

#: camera key -> (a value unlike its default, the capability the protocol needs for it to act).
KEYS: dict[str, tuple[object, str]] = {
    "max_pan_speed": (1, "pan"),
    "max_tilt_speed": (1, "tilt"),
    "max_zoom_speed": (1, "zoom"),
    "max_focus_speed": (1, "focus"),
    "zoom_speed_at_tele": (0.5, "zoom"),
    "zoom_curve": (2, "zoom"),
    "zoom_travel_time": (8, "zoom"),
    "position_poll": (0.5, "position"),
    "zoom_max": (1000, "position"),
    "ramps": ({"focus": {"accel": 2}}, "focus"),
}


def load_camera(tmp_path: Path, protocol: str, **keys: object) -> Any:
    camera = {"protocol": protocol, **LINKS[PROTOCOLS[protocol].transport], **keys}
    path = tmp_path / "studio.yaml"
    path.write_text(yaml.safe_dump({"cameras": {"cam": camera}}))
    return load_config(path).cameras["cam"]


@pytest.mark.parametrize("key", KEYS)
@pytest.mark.parametrize("protocol", list(PROTOCOLS))
def test_a_camera_key_is_refused_where_its_protocol_cannot_act_on_it(
    tmp_path: Path, protocol: str, key: str,
) -> None:
    value, needs = KEYS[key]
    can = needs in PROTOCOLS[protocol].capabilities
    try:
        load_camera(tmp_path, protocol, **{key: value})
    except ConfigError as error:
        assert not can, f"{key} refused on {protocol}, which can {needs}: {error.problems}"
        assert all(f": cameras.cam.{key}: " in problem for problem in error.problems), error.problems
    else:
        assert can, f"{key}: {value!r} accepted on {protocol}, which cannot {needs}: it would be ignored"


@pytest.mark.parametrize("axis", ["pan", "tilt", "zoom", "focus"])
@pytest.mark.parametrize("protocol", list(PROTOCOLS))
def test_every_top_speed_a_camera_accepts_still_moves_it(tmp_path: Path, protocol: str, axis: str) -> None:
    spec = PROTOCOLS[protocol]
    full = {"pan": PanTilt(1.0, 0.0), "tilt": PanTilt(0.0, 1.0), "zoom": Zoom(1.0), "focus": Focus(1.0)}[axis]
    stop = {"pan": PanTilt(0.0, 0.0), "tilt": PanTilt(0.0, 0.0), "zoom": Zoom(0.0), "focus": Focus(0.0)}[axis]
    for top in range(0, getattr(spec.limits, axis) + 1):
        try:
            camera = load_camera(tmp_path, protocol, **{f"max_{axis}_speed": top})
        except ConfigError:
            continue
        # What each command is to the camera: its bytes, or its key where the bytes do not show
        # it yet (a codec with a connect sequence, ONVIF, sends that first).
        codec = spec.make_codec(camera.options, speed_limits(camera))
        moving, stopped = (codec.key(full), codec.encode(full).data), (codec.key(stop), codec.encode(stop).data)
        assert moving[0] != stopped[0] or moving[1] != stopped[1], \
            f"{protocol} max_{axis}_speed: {top} accepted: full {axis} sends a stop"
        # The top the camera asked for is not the protocol's own: the wire form must show it.
        if top != getattr(spec.limits, axis):
            own_codec = spec.make_codec(camera.options, dataclasses.replace(spec.limits))
            own = (own_codec.key(full), own_codec.encode(full).data)
            assert own[0] != moving[0] or own[1] != moving[1], f"{protocol} max_{axis}_speed: {top} accepted and ignored"
