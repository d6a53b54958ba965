"""The remote-control facade every network front end calls: what each command sends to the
cameras, the hold of a network move, clients as drivers, and the errors with valid values.

Two VISCA cameras on memory wires (:class:`test_mapping.Rig`) on the fake clock."""

from __future__ import annotations

import math

import pytest

from ptzmapd.api.remote import REMOTE_ACTIONS, Remote, RemoteError
from ptzmapd.protocols import PROTOCOLS
from ptzmapd.vocabulary import can
from test_mapping import Rig

PAN_RIGHT_FULL = "81 01 06 01 18 01 02 03 FF"
PAN_TILT_STOP = "81 01 06 01 01 01 03 03 FF"
ZOOM_STOP = "81 01 04 07 00 FF"


def rig_and_remote(hold: float = 0.5) -> tuple[Rig, Remote]:
    rig = Rig([])
    capabilities = dict.fromkeys(rig.pipeline.controllers, PROTOCOLS["visca-udp"].capabilities)
    return rig, Remote(rig.pipeline, rig.clock, hold=hold, capabilities=capabilities)


def pump(rig: Rig, seconds: float = 0.06) -> None:
    """Let the cameras answer and time pass (in steps, the way the controllers pace)."""
    steps = max(1, round(seconds / 0.06))
    for _ in range(steps):
        for wire in rig.wires.values():
            if wire.sent:
                wire.answer("90 41 FF")
        rig.clock.advance(seconds / steps)
    for wire in rig.wires.values():
        if wire.sent:
            wire.answer("90 41 FF")


def test_a_move_pans_the_named_camera_and_holds_only_for_the_hold_time() -> None:
    rig, remote = rig_and_remote(hold=0.5)
    assert remote.client("ws 1").move("stage", {"pan": 1.0}) == ["stage"]
    pump(rig, 0.3)
    assert rig.frames("stage") == [PAN_RIGHT_FULL]
    pump(rig, 0.3)  # 0.6 s without a repeat: the stream stopped, so does the camera
    assert rig.frames("stage") == [PAN_RIGHT_FULL, PAN_TILT_STOP]
    assert rig.frames("pulpit") == []


def test_a_repeated_move_keeps_holding() -> None:
    rig, remote = rig_and_remote(hold=0.5)
    client = remote.client("http 192.0.2.7")
    for _ in range(5):  # 1.5 s of moves, one every 0.3 s
        client.move("selected", {"pan": 1.0})
        pump(rig, 0.3)
    assert rig.frames("stage") == [PAN_RIGHT_FULL]
    pump(rig, 0.6)
    assert rig.frames("stage")[-1] == PAN_TILT_STOP


def test_an_axis_not_given_keeps_its_speed_and_zero_everywhere_ends_the_hold() -> None:
    rig, remote = rig_and_remote()
    client = remote.client("ws 1")
    client.move("stage", {"pan": 1.0})
    client.move("stage", {"tilt": 1.0})
    pump(rig)
    assert rig.frames("stage")[-1] == "81 01 06 01 18 14 02 01 FF"
    client.move("stage", {"pan": 0, "tilt": 0.0})
    pump(rig)
    assert rig.frames("stage")[-1] == PAN_TILT_STOP


def test_a_client_that_goes_away_stops_exactly_what_it_moved() -> None:
    rig, remote = rig_and_remote(hold=10.0)
    remote.client("ws 1").move("stage", {"pan": 1.0})
    remote.client("ws 2").move("pulpit", {"zoom": 1.0})
    pump(rig)
    stopped = remote.release("ws 1")
    pump(rig)
    assert stopped == [("stage", "pan")]
    assert rig.frames("stage")[-1] == PAN_TILT_STOP
    assert rig.frames("pulpit") == ["81 01 04 07 27 FF"]  # the other client's zoom goes on
    remote.release("ws 2")
    pump(rig)
    assert rig.frames("pulpit")[-1] == ZOOM_STOP


def test_a_move_through_selected_stops_when_the_selection_changes() -> None:
    rig, remote = rig_and_remote(hold=10.0)
    remote.client("ws 1").move("selected", {"pan": 1.0})
    pump(rig)
    assert remote.select("pulpit") == "pulpit"
    pump(rig)
    assert rig.frames("stage") == [PAN_RIGHT_FULL, PAN_TILT_STOP]
    assert rig.frames("pulpit") == []


def test_a_flood_of_moves_leaves_the_newest_on_the_wire() -> None:
    rig, remote = rig_and_remote()
    client = remote.client("ws 1")
    for value in range(1, 201):
        client.move("stage", {"pan": value / 200})
    pump(rig)
    frames = rig.frames("stage")
    assert frames[-1] == PAN_RIGHT_FULL
    assert len(frames) <= 2  # the first value, then the newest: the rest collapsed


def test_presets_recall_store_and_clear() -> None:
    rig, remote = rig_and_remote()
    client = remote.client("http 127.0.0.1")
    client.preset("stage", 3)
    client.preset("selected", 4, store=True)
    client.preset("all", 5, clear=True)
    pump(rig, 0.3)
    assert rig.frames("stage") == ["81 01 04 3F 02 03 FF", "81 01 04 3F 01 04 FF", "81 01 04 3F 00 05 FF"]
    assert rig.frames("pulpit") == ["81 01 04 3F 00 05 FF"]


def test_named_actions_with_their_modes_and_levels() -> None:
    rig, remote = rig_and_remote()
    client = remote.client("ws 1")
    client.action("pulpit", "tally", "on")
    client.action("pulpit", "iris", "direct", 5)
    client.action("pulpit", "home")
    pump(rig, 0.3)
    assert rig.frames("pulpit") == ["81 0A 02 02 02 FF", "81 01 04 4B 00 00 00 05 FF", "81 01 06 04 FF"]


def test_stop_stops_every_axis_whoever_moves_it() -> None:
    rig, remote = rig_and_remote(hold=10.0)
    remote.client("ws 1").move("stage", {"pan": 1.0, "zoom": 1.0})
    pump(rig, 0.3)
    assert len(rig.wires["stage"].take()) == 2
    remote.client("http 127.0.0.1").stop("stage")
    pump(rig, 0.3)
    assert {PAN_TILT_STOP, ZOOM_STOP} <= set(rig.frames("stage"))
    assert not remote.pipeline.mixer.driven_by(lambda driver: True)


def test_select_by_name_step_and_all() -> None:
    rig, remote = rig_and_remote()
    assert remote.select("next") == "pulpit"
    assert remote.select("stage") == "stage"
    assert remote.select("all") == "all"
    assert remote.selected == "all"


@pytest.mark.parametrize(
    ("call", "field", "kind", "valid"),
    [
        (lambda r: r.client("c").move("nowhere", {"pan": 1}), "camera", "not-found", ("stage", "pulpit", "selected", "all")),
        (lambda r: r.client("c").move("stage", {"pan": 1.5}), "pan", "invalid", ("-1..1",)),
        (lambda r: r.client("c").move("stage", {"tilt": math.nan}), "tilt", "invalid", ("-1..1",)),
        (lambda r: r.client("c").move("stage", {"zoom": math.inf}), "zoom", "invalid", ("-1..1",)),
        (lambda r: r.client("c").move("stage", {"pan": True}), "pan", "invalid", ("-1..1",)),
        (lambda r: r.client("c").move("stage", {"pan": "fast"}), "pan", "invalid", ("-1..1",)),
        (lambda r: r.client("c").move("stage", {"roll": 1}), "roll", "invalid", ("pan", "tilt", "zoom", "focus")),
        (lambda r: r.client("c").preset("stage", 128), "preset", "invalid", ("0..127",)),
        (lambda r: r.client("c").preset("stage", "3"), "preset", "invalid", ("0..127",)),
        (lambda r: r.client("c").action("stage", "tally", "purple"), "mode", "invalid", ("on", "off", "flash")),
        (lambda r: r.client("c").action("stage", "iris", "direct", 300), "level", "invalid", ("0..255",)),
        (lambda r: r.client("c").action("stage", "self-destruct"), "action", "invalid", tuple(REMOTE_ACTIONS)),
        (lambda r: r.select("balcony"), "camera", "not-found", ("stage", "pulpit", "next", "previous", "all")),
    ],
)
def test_bad_commands_raise_one_typed_error_with_the_valid_values(call: object, field: str, kind: str, valid: tuple[str, ...]) -> None:
    rig, remote = rig_and_remote()
    with pytest.raises(RemoteError) as caught:
        call(remote)  # type: ignore[operator]
    assert (caught.value.field, caught.value.kind, caught.value.valid) == (field, kind, valid)
    assert caught.value.to_json()["valid"] == list(valid)
    pump(rig)
    assert rig.frames("stage") == [] and rig.frames("pulpit") == []  # nothing half-done


def test_an_action_the_camera_cannot_do_is_refused_with_what_it_can() -> None:
    rig, remote = rig_and_remote()
    with pytest.raises(RemoteError) as caught:
        remote.client("c").action("stage", "wiper", "on")
    assert caught.value.field == "action" and "tally" in caught.value.valid and "wiper" not in caught.value.valid
    assert all(can(PROTOCOLS["visca-udp"].capabilities, name) for name in caught.value.valid)
    with pytest.raises(RemoteError) as caught:
        remote.client("c").action("stage", "iris", "open")  # Pelco's iris words, not VISCA's
    assert caught.value.field == "mode" and caught.value.valid == ("up", "down", "reset", "direct")
    pump(rig)
    assert rig.frames("stage") == []


def test_raw_is_not_an_action_a_network_peer_can_send() -> None:
    assert "raw" not in REMOTE_ACTIONS and "tally" in REMOTE_ACTIONS and "home" in REMOTE_ACTIONS


def test_after_close_every_command_is_refused_and_holds_are_gone() -> None:
    rig, remote = rig_and_remote(hold=10.0)
    remote.client("ws 1").move("stage", {"pan": 1.0})
    pump(rig)
    rig.pipeline.mute()
    remote.close()
    with pytest.raises(RemoteError) as caught:
        remote.client("ws 1").preset("stage", 1)
    assert caught.value.kind == "unavailable"
    pump(rig, 0.3)
    assert PAN_TILT_STOP in rig.wires["stage"].take()  # the pipeline's stops at shutdown
    pump(rig, 11.0)
    assert PAN_RIGHT_FULL not in rig.frames("stage")
