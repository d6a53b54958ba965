"""Switchers: the vision mixers (OBS, vMix, ATEM) and tally feeds (TSL UMD) that tell ptzmapd
which camera is on program and which on preview.

:data:`SWITCHERS` is the switcher-type registry (:mod:`ptzmapd.registry`): a config's
``type:`` → the class, imported only when a switcher of that type is configured (pyatem,
simpleobsws and tslumd stay unloaded otherwise). Every class is built the same way
(:class:`~ptzmapd.switchers.base.SwitcherFactory`) and reports what it sees as a
:class:`~ptzmapd.switchers.base.SwitcherState` in the config's own source names.
"""

from __future__ import annotations

from ptzmapd.registry import Registry
from ptzmapd.switchers.base import SwitcherFactory

SWITCHERS: Registry[SwitcherFactory] = Registry(
    "switcher type",
    {
        "obs": "ptzmapd.switchers.obs:ObsSwitcher",
        "vmix": "ptzmapd.switchers.vmix:VmixSwitcher",
        "atem": "ptzmapd.switchers.atem:AtemSwitcher",
        "tsl": "ptzmapd.switchers.tsl:TslSwitcher",
    },
)
