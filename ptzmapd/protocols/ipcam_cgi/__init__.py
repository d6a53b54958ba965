"""The IP camera CGI, one package: the codec (:mod:`.codec`) and its spec (:mod:`.specs`)."""

from ptzmapd.protocols.ipcam_cgi.specs import IPCAM_CGI

__all__ = ["IPCAM_CGI"]
