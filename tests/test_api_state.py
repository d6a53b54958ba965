"""The API state built from a status document, and the changes a push carries."""

from __future__ import annotations

import copy
from typing import Any

from ptzmapd.api.state import apply_changes, build_state, changes


def status(**stage: Any) -> dict[str, Any]:
    camera = {"protocol": "visca-ip", "online": True, "moving": False, "selected": True, "speeds": {"pan": 0.0},
              "pan_tilt_position": [10, 20], "zoom_position": 300, "commands_sent": 7, "commands_per_second": 1.5,
              "retransmissions": 0, "garbage_replies": 0, "last_error": None, "stop_refused": None, "zoom": 0.25}
    return {"config": "/etc/ptzmapd/studio.yaml", "cameras": {"stage": {**camera, **stage}},
            "inputs": {"desk": {"type": "midi", "connected": True, "last_event": {"control": "cc 7", "value": 3, "seconds_ago": 0.4}}}}


def test_the_state_keeps_what_a_studio_wants_and_leaves_counters_and_paths_out() -> None:
    state = build_state(status(tally="program"), "stage")
    assert state == {
        "selected": "stage",
        "cameras": {"stage": {
            "online": True, "moving": False, "selected": True, "speeds": {"pan": 0.0},
            "position": {"pan": None, "tilt": None, "zoom": 0.25},
            "tally": "program", "program": True, "preview": False, "last_error": None, "stop_refused": None,
        }},
        "inputs": {"desk": {"type": "midi", "connected": True}},
        "switchers": {},
    }


def test_selecting_all_marks_every_camera_selected_and_tally_follows_preview() -> None:
    state = build_state(status(tally="preview"), "all")
    assert state["cameras"]["stage"]["selected"] is True and state["cameras"]["stage"]["tally"] == "preview"


def test_a_camera_on_both_buses_is_program_and_preview_from_the_switchers() -> None:
    document = status(tally="program")
    document["switchers"] = {"vmix": {"type": "vmix", "connected": True, "holding": False, "program": "Cam 1",
                                      "preview": "Cam 1", "program_cameras": ["stage"], "preview_cameras": ["stage"]}}
    state = build_state(document, "stage")
    stage = state["cameras"]["stage"]
    assert (stage["tally"], stage["program"], stage["preview"]) == ("program", True, True)
    assert state["switchers"]["vmix"]["program"] == "Cam 1"


def test_changes_carry_only_what_changed_and_applying_them_gives_the_new_state() -> None:
    old = build_state(status(), "stage")
    new = build_state(status(moving=True, speeds={"pan": 0.5}, commands_sent=99, last_error="timeout"), "stage")
    new["cameras"]["pulpit"] = copy.deepcopy(new["cameras"]["stage"])
    diff = changes(old, new)
    assert diff == {"cameras": {"stage": {"moving": True, "speeds": {"pan": 0.5}, "last_error": "timeout"},
                                "pulpit": new["cameras"]["pulpit"]}}
    assert apply_changes(copy.deepcopy(old), diff) == new
    back = changes(new, old)
    assert back["cameras"]["pulpit"] is None and back["cameras"]["stage"]["last_error"] is None
    assert apply_changes(copy.deepcopy(new), back) == old
    assert changes(new, copy.deepcopy(new)) == {}
