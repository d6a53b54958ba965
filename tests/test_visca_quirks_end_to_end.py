"""Each VISCA quirk ERRATA lists, as a user meets it: ``ptzmapd simulate … --quirk NAME`` in one
process, ``ptzmapd send`` with the config switch for it in this one (issue 9 items 8 and 11)."""

from __future__ import annotations

from pathlib import Path

import pytest

from ptzmapd.cli import main
from procs import Proc


def visca_ip(quirks: list[str]) -> tuple[Proc, str]:
    sim = Proc("simulate", "visca-ip", "--port", "0", *(arg for quirk in quirks for arg in ("--quirk", quirk)))
    port = sim.wait_for(r"on 127\.0\.0\.1:(\d+)").group(1)
    return sim, port


@pytest.mark.parametrize(("quirks", "switches"), [
    (["header-refused"], "sequence: none"),
    # ERRATA: the NDI camera that acts only on 1-3 and always replies 1.
    (["seq-1-3", "reply-seq-1"], "sequence: fixed"),
    (["seq-1-3"], "sequence: fixed"),
    (["reply-seq-1"], "reply_sequence: ignored"),
    (["length-ignored"], "sequence: on"),
    (["length-ignored", "reply-seq-1"], "reply_sequence: ignored"),
])
def test_each_visca_ip_quirk_has_a_switch_that_works(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], quirks: list[str], switches: str,
) -> None:
    sim, port = visca_ip(quirks)
    try:
        config = tmp_path / "quirky.yaml"
        config.write_text(f"cameras:\n  cam: {{protocol: visca-ip, host: 127.0.0.1, port: {port}, {switches}}}\n")
        assert main(["-q", "send", "-c", str(config), "cam", "preset", "5"]) == 0
        assert "cam: preset 5: acknowledged" in capsys.readouterr().out
        sim.wait_for(r"\] preset recall 5$")
    finally:
        sim.stop()
    assert "Traceback" not in sim.output


def test_a_camera_counting_only_to_three_ignores_a_counted_command(
    tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    # Why 'sequence: fixed' exists: counted, the RESET and the three opening stops use 1-3
    # and the user's command goes out as 4, which such a camera ignores. The camera then
    # looks silent, and the RESET sent to a camera that falls silent starts the count again,
    # so the command gets through as #1 — but only after the offline detection (seconds
    # late), and every fourth command stalls the same way: hence the switch.
    sim, port = visca_ip(["seq-1-3", "reply-seq-1"])
    try:
        config = tmp_path / "counted.yaml"
        config.write_text(f"cameras:\n  cam: {{protocol: visca-ip, host: 127.0.0.1, port: {port}}}\n")
        main(["-q", "send", "-c", str(config), "cam", "preset", "5"])
        sim.wait_for(r"#4 preset recall 5: sequence number outside 1-3, ignored")
        sim.wait_for(r"#0 reset sequence")
    finally:
        sim.stop()


def test_an_unknown_quirk_is_a_one_line_error() -> None:
    sim = Proc("simulate", "visca-udp", "--quirk", "seq-1-3")
    assert sim.process.wait(timeout=30) == 2
    sim.wait_for(r"^ptzmapd: simulate visca-udp has no quirk 'seq-1-3' \(valid: none\)$")
    assert "Traceback" not in sim.output


def serial_config(tmp_path: Path, device: str) -> Path:
    config = tmp_path / "chain.yaml"
    config.write_text(f"cameras:\n  dome: {{protocol: visca-serial, device: {device}, address: 1}}\n")
    return config


def test_an_unechoed_if_clear_is_named_as_such_and_the_command_still_goes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    sim = Proc("simulate", "visca-serial", "--quirk", "if-clear-silent")
    try:
        device = sim.wait_for(r"on (/dev/pts/\d+)").group(1)
        assert main(["send", "-c", str(serial_config(tmp_path, device)), "dome", "preset", "3"]) == 0
        sim.wait_for(r"\[visca-serial #1\] preset recall 3$")
    finally:
        sim.stop()
    err = capsys.readouterr().err
    assert "IF_Clear (88 01 00 01 FF) did not come back round the chain" in err
    assert "sequence" not in err and "RESET" not in err and "not answering" not in err


def test_a_network_change_on_the_chain_sends_address_set_again(
    tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    sim = Proc("simulate", "visca-serial", "--quirk", "network-change")
    try:
        device = sim.wait_for(r"on (/dev/pts/\d+)").group(1)
        assert main(["send", "-c", str(serial_config(tmp_path, device)), "dome", "home"]) == 0
        first = sim.wait_for(r"\[visca-serial all\] address set")
        sim.wait_for(r"\[visca-serial all\] address set", after=sim.lines.index(first.string) + 1)
    finally:
        sim.stop()
    err = capsys.readouterr().err
    assert "garbage" not in err
