"""Preset travel speed: the setting that goes ahead of a preset recall asking for a speed.

A protocol takes a recall's travel speed (``PresetRecall.speed``, 0..1 of the camera's
fastest) in one of three ways, which the controller learns from its codec alone:

- as a setting sent before the recall (:class:`~ptzmapd.commands.PresetSpeed`): one setting
  for every recall (PTZOptics VISCA, Panasonic ``#UPVS``) or one per preset (Sony VISCA). The
  codec keys it;
- in the recall itself (an ONVIF ``GotoPreset`` speed): the codec refuses to key a
  PresetSpeed and encodes the recall's speed;
- not at all (Pelco): the codec refuses a PresetSpeed and ignores the speed; ``ptzmapd check``
  refuses a speed aimed at such a camera by name (capability ``preset speed``).

A setting is sent only when the camera does not have it already. :class:`PresetSpeeds`
remembers what each setting was last sent as (its wire key) and forgets it whenever the
camera may have lost it: the link came back, the camera answers again after falling silent
(it may have rebooted), or the setting itself was refused or dropped. Which setting a
PresetSpeed sets is told by the key of the same setting at full speed: one key for every
preset where the camera keeps one setting, a key per preset where it keeps one per preset.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from ptzmapd.commands import Command, PresetRecall, PresetSpeed
from ptzmapd.control.outcomes import Answer, Outcome

#: The answers after which the camera is known to have a setting.
_TAKEN = (Answer.ACKNOWLEDGED, Answer.SENT)


class PresetSpeeds:
    """One camera's preset speed settings. ``key`` is the controller's: the codec's key of a
    command, None when the protocol cannot say it; ``default`` is the camera's
    ``preset_speed`` (None: a recall without a speed travels at the camera's own)."""

    def __init__(self, key: Callable[[Command], bytes | None], default: float | None = None) -> None:
        self._key = key
        self._default = default
        #: Which setting (its key at full speed) → the key it was last sent as.
        self._sent: dict[bytes, bytes] = {}

    def prepare(self, recall: PresetRecall) -> tuple[PresetRecall, PresetSpeed | None]:
        """``recall`` with the camera's default speed where it gives none, and the setting to
        send ahead of it: None when no speed is asked, the camera has that speed already, or
        its protocol takes the speed in the recall itself (or not at all)."""
        if recall.speed is None and self._default is not None:
            recall = replace(recall, speed=self._default)
        if recall.speed is None:
            return recall, None
        setting = PresetSpeed(recall.speed, recall.number)
        key = self._key(setting)
        which = self._which(setting)
        if key is None or which is None or self._sent.get(which) == key:
            return recall, None
        self._sent[which] = key
        return recall, setting

    def answered(self, outcome: Outcome) -> None:
        """What became of a setting :meth:`prepare` gave: one that did not get through (refused,
        dropped) is sent again before the next recall that asks for it."""
        command = outcome.command
        if outcome.answer not in _TAKEN and isinstance(command, PresetSpeed):
            which = self._which(command)
            if which is not None:
                self._sent.pop(which, None)

    def forget(self) -> None:
        """The camera may have lost every setting (a new link, back after silence)."""
        self._sent.clear()

    def _which(self, setting: PresetSpeed) -> bytes | None:
        return self._key(replace(setting, speed=1.0))
