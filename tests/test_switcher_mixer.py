"""The simulated switchers' mixer and the stdin lines that drive it."""

from __future__ import annotations

import pytest

from ptzmapd.simulators.mixer import Mixer, apply_line


def test_stdin_lines_move_the_mixer() -> None:
    seen: list[tuple[int, int]] = []
    mixer = Mixer(inputs=4, log=lambda text: None)
    mixer.watchers.append(lambda m: seen.append((m.program, m.preview)))
    for line in ("preview 3", "cut", "program Camera 4", "auto", "", "PREVIEW 1"):
        assert apply_line(mixer, line) is None
    assert seen == [(1, 3), (3, 1), (4, 1), (1, 4), (1, 1)]


@pytest.mark.parametrize(("line", "said"), [
    ("preview 9", "no input '9' (valid: 1..4)"),
    ("program Camera 7", "no input 'Camera 7' (valid: 1..4)"),
    ("take", "cannot read 'take' (valid: preview N, program N, cut, auto)"),
    ("cut now", "cannot read 'cut now'"),
    ("preview", "cannot read 'preview'"),
])
def test_a_line_it_cannot_read_is_answered_and_changes_nothing(line: str, said: str) -> None:
    mixer = Mixer(inputs=4, log=lambda text: None)
    assert said in (apply_line(mixer, line) or "")
    assert (mixer.program, mixer.preview) == (1, 2)


def test_a_single_input_mixer_has_no_preview() -> None:
    mixer = Mixer(inputs=1, log=lambda text: None)
    mixer.cut()
    mixer.auto()
    assert (mixer.program, mixer.preview) == (1, 0)
    with pytest.raises(ValueError):
        Mixer(inputs=0)
