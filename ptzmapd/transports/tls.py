"""Which certificates an HTTPS camera is checked against: one rule for ``check`` and ``run``.

``SSL_CERT_FILE`` and ``SSL_CERT_DIR`` (the usual OpenSSL variables) name a camera's own
CA; without them httpx's bundle is used. A variable that names nothing loadable is a
config problem that ``ptzmapd check`` reports, never a traceback at start.
"""

from __future__ import annotations

import os
import ssl

from ptzmapd.errors import TransportError
from ptzmapd.files import os_reason

TRUST_VARIABLES = ("SSL_CERT_FILE", "SSL_CERT_DIR")


def certificate_check() -> ssl.SSLContext | bool:
    """Certificates are always verified: against ``SSL_CERT_FILE``/``SSL_CERT_DIR`` when set
    (a camera's self-signed CA), else against httpx's bundle (True).

    :raises TransportError: a variable names a file or folder that gives no certificates
        (``ptzmapd check`` asks :func:`trust_problem` first, so a config it accepts does not
        meet this unless the files change).
    """
    cafile, capath = os.environ.get("SSL_CERT_FILE"), os.environ.get("SSL_CERT_DIR")
    if not (cafile or capath):
        return True
    if capath and not os.path.isdir(capath):
        # OpenSSL takes a missing folder without a word; every connection would then fail.
        raise TransportError(f"cannot load the certificates SSL_CERT_DIR={capath!r} names: not a folder")
    try:
        return ssl.create_default_context(cafile=cafile or None, capath=capath or None)
    except (OSError, ssl.SSLError, ValueError) as error:
        raise TransportError(trust_words(error)) from None


def trust_problem() -> str | None:
    """Why HTTPS cameras could not be verified with this environment, or None."""
    try:
        certificate_check()
    except TransportError as error:
        return str(error)
    return None


def trust_words(error: Exception) -> str:
    given = ", ".join(f"{name}={os.environ[name]!r}" for name in TRUST_VARIABLES if os.environ.get(name))
    reason = os_reason(error) if isinstance(error, OSError) else str(error)
    return f"cannot load the certificates {given} names: {reason}"
