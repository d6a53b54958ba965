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
        """A layer (shift) of the default group became active or inactive."""

    def group_layer(self, group: str, name: str, active: bool) -> None:
        """A layer of selection group ``group`` became active or inactive (by default heard as
        :meth:`layer` for the default group)."""
        if group == DEFAULT_GROUP:
            self.layer(name, active)

    def toggled(self, binding: int, on: bool) -> None:
        """A toggle binding (autofocus toggle, tally toggle, fine toggle...) changed state."""

    def fine(self, active: bool) -> None:
        """The default group's fine-control modifier is now held (or toggled) on or off."""

    def group_fine(self, group: str, active: bool) -> None:
        """Selection group ``group``'s fine control is now on or off (by default heard as
        :meth:`fine` for the default group)."""
        if group == DEFAULT_GROUP:
            self.fine(active)

    def camera_online(self, camera: str, online: bool) -> None:
        """A camera stopped answering, or answers again."""

    def tally(self, camera: str, program: bool, preview: bool) -> None:
        """A camera went on or off a switcher's program or preview bus."""

    def refused(self, binding: int) -> None:
        """A press of the binding was not sent: its camera is on air (the live lockout)."""
