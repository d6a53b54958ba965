"""Panasonic AW-HE/UE HTTP control, one package: the command and reply tables (:mod:`.tables`),
the codec (:mod:`.codec`) and its spec (:mod:`.specs`)."""

from ptzmapd.protocols.panasonic_aw.specs import PANASONIC_AW

__all__ = ["PANASONIC_AW"]
