"""PTZOptics HTTP-CGI, one package: the codec (:mod:`.codec`) and its spec (:mod:`.specs`)."""

from ptzmapd.protocols.ptzoptics_cgi.specs import PTZOPTICS_CGI

__all__ = ["PTZOPTICS_CGI"]
