"""ONVIF PTZ, one package: SOAP envelopes and WS-Security (:mod:`.soap`), the operations and the
readers of their answers (:mod:`.operations`), the codec with its connect sequence
(:mod:`.codec`), the request reader the simulator and traces share (:mod:`.read`), WS-Discovery
(:mod:`.discovery`) and the spec (:mod:`.specs`)."""

from ptzmapd.protocols.onvif.specs import ONVIF

__all__ = ["ONVIF"]
