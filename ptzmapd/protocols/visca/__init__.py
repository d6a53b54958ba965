"""VISCA, one package: the tables, encoder, reader and codec of raw frames (:mod:`.tables`,
:mod:`.encode`, :mod:`.read`, :mod:`.codec`), the Sony IP header (:mod:`.ip`), the serial
daisy chain (:mod:`.serial`), and the four protocols' specs (:mod:`.specs`)."""

from ptzmapd.protocols.visca.specs import VISCA_IP, VISCA_SERIAL, VISCA_TCP, VISCA_UDP

__all__ = ["VISCA_IP", "VISCA_SERIAL", "VISCA_TCP", "VISCA_UDP"]
