"""Hikvision ISAPI, one package: the codec (:mod:`.codec`) and its spec (:mod:`.specs`)."""

from ptzmapd.protocols.isapi.specs import ISAPI

__all__ = ["ISAPI"]
