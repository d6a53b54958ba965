"""``ptzmapd simulate``'s fault-mode numbers: impossible ones are refused in one line (exit 2)
instead of running a simulator that silently does something else (a NaN or negative
completion delay, a packet number 0 that never comes)."""

from __future__ import annotations

import pytest

from ptzmapd.cli import main


@pytest.mark.parametrize(
    ("argv", "said"),
    [
        (["--completion-delay", "nan"], "--completion-delay: nan is out of range (valid: 0..60)"),
        (["--completion-delay", "-1"], "--completion-delay: -1 is out of range (valid: 0..60)"),
        (["--completion-delay", "inf"], "--completion-delay: inf is out of range"),
        (["--completion-delay", "soon"], "--completion-delay: expected seconds, got 'soon'"),
        (["--drop-packet", "0"], "--drop-packet: 0 is out of range"),
        (["--drop-packet", "-3"], "--drop-packet: -3 is out of range"),
        (["--inputs", "0"], "--inputs: 0 is out of range (valid: 1..20)"),
        (["--inputs", "four"], "--inputs: expected a number of inputs, got 'four'"),
    ],
)
def test_simulate_refuses_impossible_fault_numbers_in_one_line(
    capsys: pytest.CaptureFixture[str], argv: list[str], said: str
) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["simulate", "visca-ip", "--port", "0", *argv])
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert said in err and "Traceback" not in err
