"""Tours and traces end to end: ``ptzmapd run`` with MIDI over a real JACK server, a simulated
VISCA camera on a real UDP socket, ``ptzmapd status`` over its socket, ``ptzmapd traces``, and
a trace that outlives the daemon that recorded it."""

from __future__ import annotations

import json
import re
import signal
from collections.abc import Iterator
from pathlib import Path

import mido
import pytest

from procs import Proc, Simulator
from test_daemon import midi_out, send_until

CONFIG = """\
cameras:
  pulpit: {{protocol: visca-udp, host: 127.0.0.2, port: {port}}}
inputs:
  desk: {{type: midi, virtual: "{virtual}", api: jack}}
bindings:
  - {{input: desk, cc: 0, action: pan}}
  - {{input: desk, note: 9, action: tour, tour: sermon, mode: toggle}}
  - {{input: desk, note: 10, action: trace, trace: walk-in, mode: record}}
  - {{input: desk, note: 11, action: trace, trace: walk-in, mode: play}}
tours:
  sermon: {{camera: pulpit, stops: [{{preset: 1, dwell: 0.4}}, {{preset: 2, dwell: 2}}], speed: 0.3, loop: true}}
state_dir: state
"""

PAN_RIGHT = "pan right 0x18, tilt stop"
PAN_STOP = "pan stop, tilt stop"


@pytest.fixture
def pulpit() -> Iterator[Simulator]:
    simulator = Simulator("visca-udp")
    yield simulator
    simulator.stop()


def press(out: mido.ports.BaseOutput, note: int) -> None:
    out.send(mido.Message("note_on", note=note, velocity=127))
    out.send(mido.Message("note_off", note=note))


def test_a_tour_walks_its_presets_shows_in_status_and_stops_by_its_button(
    jack: int, pulpit: Simulator, tmp_path: Path,
) -> None:
    config = tmp_path / "studio.yaml"
    config.write_text(CONFIG.format(port=pulpit.port, virtual="tours-e2e"))
    socket_path = tmp_path / "run" / "ptzmapd.sock"
    daemon = Proc("run", "-c", str(config), "--status-socket", str(socket_path))
    try:
        daemon.wait_for("running: 1 camera")
        with midi_out("tours-e2e") as out:
            send_until(out, mido.Message("control_change", control=0, value=127), pulpit, PAN_RIGHT)
            mark = pulpit.mark()
            out.send(mido.Message("control_change", control=0, value=64))
            pulpit.wait_for_command(PAN_STOP, after=mark)
            mark = pulpit.mark()
            press(out, 9)
            pulpit.wait_for_command("preset recall 1", after=mark)
            pulpit.wait_for_command("preset recall 2", after=mark)
            daemon.wait_for("tour 'sermon' on camera 'pulpit': started")
            status = Proc("status", "--socket", str(socket_path), "--json")
            assert status.process.wait(timeout=10) == 0
            status.stop()
            tour = json.loads(status.output)["tours"]["sermon"]
            assert tour["running"] is True and tour["camera"] == "pulpit"
            assert (tour["preset"], tour["next_preset"]) in ((1, 2), (2, 1))
            shown = Proc("status", "--socket", str(socket_path))
            assert shown.process.wait(timeout=10) == 0
            shown.stop()
            assert "tours:" in shown.output and "sermon" in shown.output and "next preset" in shown.output
            # Loops: preset 1 again after preset 2's dwell.
            pulpit.wait_for_command("preset recall 1", after=pulpit.mark() - 1, timeout=10)
            mark = pulpit.mark()
            press(out, 9)
            daemon.wait_for("tour 'sermon' on camera 'pulpit': ended, stopped by its button")
            pulpit.wait_for_command(PAN_STOP, after=mark)
            # A hand on the fader ends a running tour.
            press(out, 9)
            daemon.wait_for("tour 'sermon' on camera 'pulpit': started", after=daemon.mark() - 5)
            out.send(mido.Message("control_change", control=0, value=127))
            daemon.wait_for("tour 'sermon' on camera 'pulpit': ended, camera 'pulpit' was moved by hand")
            out.send(mido.Message("control_change", control=0, value=64))
        daemon.signal(signal.SIGTERM)
        assert daemon.process.wait(timeout=5) == 0
    finally:
        daemon.stop()


def test_a_trace_is_recorded_played_listed_and_outlives_its_daemon(
    jack: int, pulpit: Simulator, tmp_path: Path,
) -> None:
    config = tmp_path / "studio.yaml"
    config.write_text(CONFIG.format(port=pulpit.port, virtual="traces-e2e"))
    daemon = Proc("run", "-c", str(config))
    try:
        daemon.wait_for("running: 1 camera")
        with midi_out("traces-e2e") as out:
            send_until(out, mido.Message("control_change", control=0, value=127), pulpit, PAN_RIGHT)
            mark = pulpit.mark()
            out.send(mido.Message("control_change", control=0, value=64))
            pulpit.wait_for_command(PAN_STOP, after=mark)
            press(out, 10)
            daemon.wait_for("trace 'walk-in': recording camera 'pulpit'")
            mark = pulpit.mark()
            out.send(mido.Message("control_change", control=0, value=127))
            pulpit.wait_for_command(PAN_RIGHT, after=mark)
            out.send(mido.Message("control_change", control=0, value=64))
            pulpit.wait_for_command(PAN_STOP, after=mark)
            press(out, 10)
            daemon.wait_for(r"trace 'walk-in': recorded \d+ moves over")
        daemon.signal(signal.SIGTERM)
        assert daemon.process.wait(timeout=5) == 0
    finally:
        daemon.stop()
    listing = Proc("traces", "-c", str(config))
    assert listing.process.wait(timeout=10) == 0
    listing.stop()
    assert "walk-in" in listing.output and "pulpit" in listing.output
    assert str(tmp_path / "state" / "traces") in listing.output

    again = Proc("run", "-c", str(config))  # a new daemon plays what the last one recorded
    try:
        again.wait_for("running: 1 camera")
        with midi_out("traces-e2e") as out:
            send_until(out, mido.Message("control_change", control=0, value=127), pulpit, PAN_RIGHT,
                       after=pulpit.mark())
            mark = pulpit.mark()
            out.send(mido.Message("control_change", control=0, value=64))
            pulpit.wait_for_command(PAN_STOP, after=mark)
            mark = pulpit.mark()
            press(out, 11)
            again.wait_for("trace 'walk-in' on camera 'pulpit': playing")
            pulpit.wait_for_command(PAN_RIGHT, after=mark)
            pulpit.wait_for_command(PAN_STOP, after=mark)
            again.wait_for("trace 'walk-in' on camera 'pulpit': ended, it played to its end")
        again.signal(signal.SIGTERM)
        assert again.process.wait(timeout=5) == 0
    finally:
        again.stop()


class HttpCamera(Simulator):
    """An HTTP camera simulator (its banner names a url, not host:port)."""

    def __init__(self, kind: str) -> None:
        Proc.__init__(self, "simulate", kind, "--host", "127.0.0.2", "--port", "0")
        self.kind = kind
        self._command = re.compile(rf"\[{re.escape(kind)} [^\]]+\] (.*)")
        self.url = self.wait_for(r"on (http://127\.0\.0\.2:\d+)").group(1)


ISAPI_CONFIG = """\
cameras:
  gate: {{protocol: isapi, url: "{url}", username: admin, password_env: TRACE_CAMERA_PASSWORD}}
inputs:
  desk: {{type: midi, virtual: "{virtual}", api: jack}}
bindings:
  - {{input: desk, cc: 0, action: pan}}
  - {{input: desk, note: 10, action: trace, trace: gate-sweep, mode: record}}
  - {{input: desk, note: 11, action: trace, trace: gate-sweep, mode: play}}
state_dir: state
"""


def test_a_trace_without_a_preset_starts_where_the_camera_reported_it_was(jack: int, tmp_path: Path) -> None:
    camera = HttpCamera("isapi")  # its password is "secret"; it answers position inquiries
    config = tmp_path / "gate.yaml"
    config.write_text(ISAPI_CONFIG.format(url=camera.url, virtual="traces-isapi"))
    daemon = Proc("run", "-c", str(config), env={"TRACE_CAMERA_PASSWORD": "secret"})
    right, still = "continuous pan 100 tilt 0 zoom 0", "continuous pan 0 tilt 0 zoom 0"
    try:
        daemon.wait_for("running: 1 camera")
        with midi_out("traces-isapi") as out:
            send_until(out, mido.Message("control_change", control=0, value=127), camera, right)
            mark = camera.mark()
            out.send(mido.Message("control_change", control=0, value=64))
            camera.wait_for_command(still, after=mark)
            press(out, 10)
            daemon.wait_for("trace 'gate-sweep': recording camera 'gate' from the position it reports")
            mark = camera.mark()
            out.send(mido.Message("control_change", control=0, value=127))
            camera.wait_for_command(right, after=mark)
            out.send(mido.Message("control_change", control=0, value=64))
            camera.wait_for_command(still, after=mark)
            press(out, 10)
            daemon.wait_for(r"trace 'gate-sweep': recorded \d+ moves over")
            stored = json.loads((tmp_path / "state" / "traces" / "gate-sweep.json").read_text())
            start = stored["start_position"]
            assert stored["start_preset"] is None and start["pan"] > 0 and set(start) == {"pan", "tilt", "zoom"}
            mark = camera.mark()
            press(out, 11)
            back = (f"absolute azimuth {round(start['pan'] * 10)} elevation {round(start['tilt'] * 10)} "
                    f"absoluteZoom {round(start['zoom'] * 10)}")
            camera.wait_for_command(back, after=mark)  # to the start first...
            camera.wait_for_command(right, after=mark)  # ...then the recorded move
            daemon.wait_for("trace 'gate-sweep' on camera 'gate': ended, it played to its end")
            commands = camera.commands(after=mark)
            assert commands.index(back) < commands.index(right)
        daemon.signal(signal.SIGTERM)
        assert daemon.process.wait(timeout=5) == 0
    finally:
        daemon.stop()
        camera.stop()
    listing = Proc("traces", "--state-dir", str(tmp_path / "state"))
    assert listing.process.wait(timeout=10) == 0
    listing.stop()
    assert f"pan {start['pan']:g} tilt {start['tilt']:g} zoom {start['zoom']:g}" in listing.output
