"""Configs mutated from a valid one (every protocol, every input type, the README's binding
kinds, the shipped profiles included): wrong types, boundary and out-of-range numbers, NaN and
infinities, unknown keys and keys of another protocol or control, odd YAML (anchors, merges,
tags, several documents). For each, ``ptzmapd check`` exits 0, or 2 with only
``FILE:LINE:COL: …`` lines; never a traceback, never a password; and what it accepts builds
(codecs, motion profiles, controller settings). Deterministic: a fixed number of derandomised
examples. It found a binding without a control on a broken input crashing the loader.
"""

from __future__ import annotations

import base64
import contextlib
import copy
import io
import os
import random
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ptzmapd.app.assemble import controller_settings, motion_profile, speed_limits
from ptzmapd.cli import main as cli_main
from ptzmapd.config.loader import load_config
from ptzmapd.protocols import PROTOCOLS

ROOT = Path(__file__).resolve().parent.parent
PW = "Sekr1tPW-zz"
LINE = re.compile(r"^[^\n:]+:\d+:\d+: \S.*$")
SECRETS = (PW, base64.b64encode(f"admin:{PW}".encode()).decode())

BASE: dict[str, Any] = {
 "cameras": {
  "a": {"protocol": "visca-ip", "host": "127.0.0.2", "port": 52381},
  "b": {"protocol": "visca-tcp", "host": "127.0.0.3"},
  "c": {"protocol": "visca-udp", "host": "127.0.0.4"},
  "d": {"protocol": "visca-serial", "device": "socket://127.0.0.5:9", "address": 1},
  "e": {"protocol": "pelco-d", "device": "socket://127.0.0.6:9", "address": 3},
  "f": {"protocol": "pelco-p", "device": "socket://127.0.0.7:9", "address": 4},
  "g": {"protocol": "isapi", "url": "http://127.0.0.8:9", "username": "admin", "password_env": "QA_PW"},
  "h": {"protocol": "ipcam-cgi", "url": "http://127.0.0.9:9", "username": "u", "password_file": "pw.txt"},
  "i": {"protocol": "ptzoptics-cgi", "url": "http://127.0.0.10:9", "password": PW},
 },
 "inputs": {
  "desk": {"type": "midi", "port": "*nano*", "feedback": "*nano*"},
  "pad": {"type": "gamepad"},
  "stick": {"type": "joystick", "match": 0},
 },
 "bindings": [
  {"input": "desk", "cc": 0, "action": "pan"},
  {"input": "desk", "cc": 1, "action": "tilt", "range": "unipolar"},
  {"input": "desk", "note": 5, "action": "zoom", "value": 0.5, "velocity": True},
  {"input": "desk", "cc": 64, "action": "select", "camera": "a", "led": True},
  {"input": "desk", "cc": 32, "action": "preset", "preset": 1, "hold": 1.5},
  {"input": "desk", "cc": 60, "action": "home", "camera": "all"},
  {"input": "desk", "note": 50, "action": "iris", "mode": "direct", "level": 8, "camera": "a"},
  {"input": "desk", "note": 60, "action": "raw", "visca": "81 01 04 63 04 FF", "camera": "a"},
  {"input": "desk", "note": 62, "action": "raw", "pelco": "00 07 00 05", "camera": "e"},
  {"input": "desk", "note": 63, "action": "raw", "camera": "g", "http": "PUT /ISAPI/PTZCtrl/channels/1/presets/2/goto"},
  {"input": "desk", "note": 70, "action": "move-to", "pan": 180, "tilt": 10, "zoom": 25, "camera": "g"},
  {"input": "desk", "note": 71, "action": "jog", "pan": 0.3, "duration": 0.4, "camera": "g"},
  {"input": "desk", "cc14": 3, "action": "focus", "deadzone": 0.1, "curve": {"expo": 0.4}},
  {"input": "desk", "cc": 20, "action": "pan", "encoding": "twos-complement", "value": 0.5},
  {"input": "desk", "note": 80, "action": "layer", "layer": "shift"},
  {"input": "desk", "cc": 0, "action": "tilt", "layer": "shift"},
  {"input": "desk", "note": 81, "action": "fine", "factor": 0.3, "mode": "toggle"},
  {"input": "pad", "axis": "leftx", "action": "pan", "scale": 0.6, "curve": [[0, 0], [0.5, 0.15], [1, 1]]},
  {"input": "pad", "axis": "righttrigger", "action": "zoom"},
  {"input": "pad", "button": "dpup", "action": "preset", "step": 1, "presets": [1, 8]},
  {"input": "stick", "axis": 2, "action": "zoom", "range": "unipolar", "invert": True},
  {"input": "stick", "hat": 0, "action": "pan", "value": 0.2},
  {"input": "stick", "hat": 1, "direction": "up", "action": "autofocus", "mode": "one-push", "camera": "a"},
  {"input": "stick", "button": 3, "action": "tally", "mode": "toggle", "camera": "a"},
 ],
}

CAM_KEYS = {"protocol","host","port","device","address","baud","url","username","password_env","password_file","password","timeout","tls_fingerprint","channel","dialect","preset_base","sequence","reply_sequence","turbo","stop_repeats","refresh","min_interval","ack_timeout","max_pan_speed","max_tilt_speed","max_zoom_speed","max_focus_speed","position_poll","ramps","soft_stop","hysteresis","zoom_speed_at_tele","zoom_curve","zoom_travel_time","zoom_max","max_move"}
BIND_KEYS = {"input","cc","note","pitchbend","program","cc14","nrpn","channel","axis","button","hat","direction","layer","action","camera","carry","deadzone","curve","invert","scale","velocity","encoding","mode","led","preset","store","clear","hold","step","presets","pan","tilt","zoom","duration","factor","value","range","level","visca","pelco","http"}
INPUT_KEYS = {"type","port","virtual","api","channel","feedback","led_on","led_off","match","deadman"}
WEIRD = [0, -1, 1, 2, 7, 8, 63, 64, 127, 128, 255, 256, 65535, 65536, 10**30, -10**30, 0.0, -0.0, 0.5, 1.5, 1e-300, 1e300,
         float("nan"), float("inf"), float("-inf"), True, False, None, "", " ", "on", "off", "yes", "toggle", "auto",
         "ſtage", "ⅷ", "\u200b", "a"*300, [], {}, [1, 2], [[0, 0], [1, 1]], {"expo": 2}, "81 01 04 3F 02 01 FF",
         "*", "socket://127.0.0.1:9", "http://u:p@127.0.0.1/", "ftp://127.0.0.1/", "https://127.0.0.1", "[::1]", "::1",
         "bipolar", "unipolar", "selected", "all", "next", "a", "desk", "pad", "stick", "1", "0x10", "12:30", "2020-01-01"]

PROFILES = ["mappings/nanokontrol2.yaml", "mappings/x-touch-mini.yaml", "mappings/apc-mini-mk2.yaml", "mappings/gamepad.yaml", "mappings/flight-stick.yaml"]
TINY = 5e-324
EDGE = {
 "port": [1, 65535], "baud": [300, 921600, 2400], "min_interval": [TINY, 10], "ack_timeout": [TINY, 10],
 "stop_repeats": [0, 10], "refresh": [0, TINY, 10], "max_pan_speed": [1, 24, 63, 100], "max_tilt_speed": [1, 20, 63, 100],
 "max_zoom_speed": [0, 1, 7, 100], "max_focus_speed": [0, 1, 7, 100], "position_poll": [0, TINY, 60],
 "ramps": [{"pan": {"accel": 0, "decel": 0}}, {"zoom": {"decel": 1000}}, {"focus": {"accel": TINY}}],
 "soft_stop": [True], "hysteresis": [0, 0.5], "zoom_speed_at_tele": [TINY, 1], "zoom_curve": [0.2, 5],
 "zoom_travel_time": [TINY, 60], "zoom_max": [1, 1 << 20], "max_move": [0, TINY, 3600], "timeout": [TINY, 60],
 "channel": [1, 16, 512], "address": [1, 7, 255], "dialect": ["sony", "ptzoptics"], "preset_base": [0, 1],
 "sequence": ["on", "fixed", "none"], "reply_sequence": ["checked", "ignored"], "turbo": [True],
 "tls_fingerprint": ["AB" * 32], "username": ["admin", "ü"], "deadman": [TINY, 60], "led_on": [0, 127], "led_off": [0, 127],
 "api": ["alsa", "jack"], "virtual": ["qa-virt"], "match": [0, "*x*", "0" * 32, 99],
 "deadzone": [0, 0.9], "curve": ["linear", {"expo": 0}, {"expo": 1}, [[0, 0], [1, 0]], [[0, 0], [TINY, 1]]],
 "invert": [True], "scale": [TINY, 1], "velocity": [True], "encoding": ["twos-complement", "sign-magnitude", "offset-64"],
 "preset": [0, 127], "store": [True], "clear": [True], "hold": [TINY, 0.05, 10, 60], "step": [1, -1, 127, -127],
 "presets": [[0, 0], [0, 255], [255, 255]], "pan": [0, 360, -1, 1, -90], "tilt": [-90, 270, -1, 1], "zoom": [0, 100, -1, 1],
 "duration": [TINY, 0.05, 10], "factor": [TINY, 1], "value": [-1, 0, 1, TINY], "range": ["unipolar", "bipolar"],
 "level": [0, 255], "carry": [True], "layer": ["shift", "other"], "mode": ["hold", "toggle", "momentary", "on", "one-push", "direct"],
 "nrpn": [0, 16383], "cc14": [0, 31], "cc": [0, 127], "note": [0, 127], "hat": [0, 15], "axis": [0, 63, "lefttrigger", "righty"],
 "button": [0, 127, "guide", "dpdown"], "direction": ["up", "left"], "camera": ["a", "e", "g", "h", "i", "all", "next", "selected"],
 "action": ["pan", "tilt", "zoom", "focus", "stop", "home", "preset", "move-to", "jog", "select", "autofocus", "layer", "fine",
            "iris", "tally", "light", "swing", "auto-tracking", "power", "raw"],
 "feedback": [["*a*", "*b*"]], "pitchbend": [True], "program": [True],
}
def value_for(rnd: random.Random, key: str) -> Any:
    if key in EDGE and rnd.random() < 0.85:
        return copy.deepcopy(rnd.choice(EDGE[key]))
    return copy.deepcopy(rnd.choice(WEIRD))

def mutate(rnd: random.Random, doc: dict[str, Any]) -> dict[str, Any]:
    doc = copy.deepcopy(doc)
    r = rnd.random()
    if r < 0.15:
        p = rnd.choice(PROFILES)
        inp = {"nanokontrol2": "desk", "x-touch-mini": "desk", "apc-mini-mk2": "desk", "gamepad": "pad", "flight-stick": "stick"}[p.split("/")[1][:-5]]
        if rnd.random() < 0.5: inp = rnd.choice(["desk", "pad", "stick"])
        doc["include"] = [{"file": str(ROOT / p), "input": inp}]
        doc["bindings"] = [b for b in doc["bindings"] if b["input"] != inp]
    elif r < 0.2:
        sec = rnd.choice(["cameras", "inputs", "bindings", "include", "leds"])
        doc[sec] = copy.deepcopy(rnd.choice(WEIRD))
        return doc
    elif r < 0.25:
        doc["bindings"][rnd.randrange(len(doc["bindings"]))] = copy.deepcopy(rnd.choice(WEIRD))
    elif r < 0.3:
        name = rnd.choice(list(doc["cameras"]))
        doc["cameras"][name] = copy.deepcopy(rnd.choice(WEIRD))
        return doc
    elif r < 0.35:
        # a camera of one protocol gets the keys of another
        a, b = rnd.sample(list(doc["cameras"]), 2)
        for k, v in BASE["cameras"][b].items():
            if k != "protocol" and rnd.random() < 0.7: doc["cameras"][a][k] = v
        return doc
    for _ in range(rnd.randint(1, 3)):
        kind = rnd.randrange(6)
        section = rnd.choice(["cameras", "inputs", "bindings"])
        if section == "bindings":
            target = rnd.choice(doc["bindings"])
            keys = BIND_KEYS
        else:
            target = doc[section][rnd.choice(list(doc[section]))]
            keys = CAM_KEYS if section == "cameras" else INPUT_KEYS
        if not isinstance(target, dict):
            continue
        if kind <= 2:
            k = rnd.choice(sorted(keys))
            target[k] = value_for(rnd, k)
        elif kind == 3 and target:
            target.pop(rnd.choice(sorted(target)))
        elif kind == 4:
            k = rnd.choice(sorted(target)) if target else "x"
            if k in target:
                target[k] = value_for(rnd, k)
        else:
            target[rnd.choice(sorted(keys | {"bogus", "Port", "hosts"}))] = copy.deepcopy(rnd.choice(WEIRD))
    return doc

def text_mutations(rnd: random.Random, text: str) -> str:
    choice = rnd.randrange(10)
    if choice == 0: return "---\n" + text + "\n---\n" + text
    if choice == 1: return text.replace("port:", "port: !!str", 1)
    if choice == 2: return "x: &a [*a]\n" + text
    if choice == 3: return text.replace("protocol:", "!!str protocol:", 1)
    if choice == 4: return text + "\n...\n"
    if choice == 5: return "%YAML 1.1\n---\n" + text
    if choice == 6: return text.replace("cameras:", "cameras: &cams", 1) + "\nextra: *cams\n"
    if choice == 7: return text.replace("127.0.0.2", "!!binary aGVsbG8=", 1)
    if choice == 8: return text.replace("host: 127.0.0.3", "<<: {host: 127.0.0.3, port: 99}", 1)
    return text



def check(text: str, tmp: Path) -> None:
    path = tmp / "cfg.yaml"
    path.write_text(text, encoding="utf-8")
    (tmp / "pw.txt").write_text(PW + "\n")
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = cli_main(["check", "-c", str(path)])  # a traceback fails the test here
    said = out.getvalue() + err.getvalue()
    assert not any(secret in said for secret in SECRETS), said
    if code == 2:
        lines = err.getvalue().splitlines()
        assert lines and all(LINE.match(line) for line in lines), err.getvalue()
        return
    assert code == 0, said
    for camera in load_config(path).cameras.values():
        spec = PROTOCOLS[camera.protocol]
        spec.make_codec(camera.options, speed_limits(camera))
        motion_profile(camera)
        controller_settings(camera)


@settings(max_examples=300, derandomize=True, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(seed=st.integers(0, 2**32 - 1), odd_yaml=st.booleans())
def test_a_mutated_config_is_accepted_or_refused_line_by_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, seed: int, odd_yaml: bool,
) -> None:
    monkeypatch.setenv("QA_PW", PW)
    rnd = random.Random(seed)
    text = yaml.safe_dump(mutate(rnd, BASE), sort_keys=False, allow_unicode=rnd.random() < 0.5)
    if odd_yaml:
        text = text_mutations(rnd, text)
    check(text, tmp_path)


def test_the_unmutated_config_is_accepted(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QA_PW", PW)
    path = tmp_path / "cfg.yaml"
    path.write_text(yaml.safe_dump(BASE, sort_keys=False))
    (tmp_path / "pw.txt").write_text(PW + "\n")
    assert len(load_config(path).bindings) == len(BASE["bindings"])
