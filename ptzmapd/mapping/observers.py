"""What the mapping layer tells the world about: the events surface LEDs (and ``status``)
react to. A :class:`PipelineObserver` gets every call; each method has a default that does
nothing, so an observer implements only what it shows.
"""

from __future__ import annotations

from ptzmapd.vocabulary import DEFAULT_GROUP


class PipelineObserver:
    def selected(self, camera: str | None) -> None:
        """The default group's selected camera changed (``"all"`` when every camera is selected)."""

    def group_selected(self, group: str, camera: str | None) -> None:
        """Selection group ``group``'s selected camera changed. By default an observer hears
        the default group's as :meth:`selected`; one that shows every group overrides this."""
        if group == DEFAULT_GROUP:
            self.selected(camera)

    def preset(self, binding: int, camera: str, what: str, number: int) -> None:
        """A preset binding fired: ``what`` is ``recalled``, ``stored`` or ``cleared``."""

    def layer(self, name: str, active: bool) -> None:
        """A layer (shift) became active or inactive."""

    def toggled(self, binding: int, on: bool) -> None:
        """A toggle binding (autofocus toggle, tally toggle, fine toggle...) changed state."""

    def fine(self, active: bool) -> None:
        """The fine-control modifier is now held (or toggled) on or off."""

    def camera_online(self, camera: str, online: bool) -> None:
        """A camera stopped answering, or answers again."""
