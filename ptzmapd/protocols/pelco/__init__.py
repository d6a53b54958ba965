"""Pelco-D and Pelco-P, one package: the codec of both dialects (:mod:`.codec`) and their
specs (:mod:`.specs`)."""

from ptzmapd.protocols.pelco.specs import PELCO_D, PELCO_P

__all__ = ["PELCO_D", "PELCO_P"]
