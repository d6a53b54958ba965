"""Sans-io protocol codecs, one package per protocol family, and the registry of protocols a
config can name.

``PROTOCOLS`` maps the config's ``protocol:`` names onto each package's
:class:`~ptzmapd.protocols.spec.ProtocolSpec` (imported when first asked for). Adding a
protocol is one package exporting its spec plus one line here. An unknown name in a config is
an error listing these names.
"""

from __future__ import annotations

from typing import Any

from ptzmapd.protocols.spec import ProtocolSpec
from ptzmapd.registry import Registry

PROTOCOLS: Registry[ProtocolSpec[Any]] = Registry("protocol", {
    "visca-ip": "ptzmapd.protocols.visca:VISCA_IP",
    "visca-udp": "ptzmapd.protocols.visca:VISCA_UDP",
    "visca-tcp": "ptzmapd.protocols.visca:VISCA_TCP",
    "visca-serial": "ptzmapd.protocols.visca:VISCA_SERIAL",
    "pelco-d": "ptzmapd.protocols.pelco:PELCO_D",
    "pelco-p": "ptzmapd.protocols.pelco:PELCO_P",
    "isapi": "ptzmapd.protocols.isapi:ISAPI",
    "ipcam-cgi": "ptzmapd.protocols.ipcam_cgi:IPCAM_CGI",
    "ptzoptics-cgi": "ptzmapd.protocols.ptzoptics_cgi:PTZOPTICS_CGI",
    "onvif": "ptzmapd.protocols.onvif:ONVIF",
    "panasonic-aw": "ptzmapd.protocols.panasonic_aw:PANASONIC_AW",
})
