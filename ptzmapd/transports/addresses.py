"""Which host names, camera URLs and serial devices the transports can reach: one rule for
``check`` and ``run``.

The UDP and TCP transports hand a host to the OS resolver through Python's socket module,
which first encodes it with the ``idna`` codec (IDNA 2003): a name it cannot encode (an
empty label as in ``cam..local``, a label over 63 characters) raises ``UnicodeError``, not an
``OSError``, so it never resolves and no retry helps. The HTTP transport parses its URL with
httpx, whose IDNA 2008 rules refuse more (``☃.net``). The serial transport hands its
device to pyserial, which knows a fixed set of url schemes and retries a device for ever.
``ptzmapd check`` asks these
functions, so a camera that could never be reached is refused at its line instead of
silently never connecting.
"""

from __future__ import annotations

import encodings.idna
import importlib.util
import ipaddress
import os
import re
import stat
from urllib.parse import urlsplit

from ptzmapd.files import kind_of

#: One label of a host name once IDNA-encoded (RFC 1123; '_' as some local names have it).
_LABEL = re.compile(r"[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?")
_MAX_NAME = 253


def host_problem(host: str) -> str | None:
    """Why ``host`` (a name or an IP address; IPv6 may carry a ``%zone``) cannot be connected
    to, or None when it can be tried. Says nothing about whether the name resolves now."""
    if "://" in host:
        return "expected a host name or address, not a url (the protocol and port have their own keys)"
    try:
        ipaddress.ip_address(host)
        return None
    except ValueError:
        pass
    labels = host.removesuffix(".").split(".")
    if all(label.isdigit() for label in labels):
        return f"{host!r} is not an IPv4 address (four numbers 0..255)"
    if host.count(":") == 1 and host.rpartition(":")[2].isdigit():
        return f"{host!r} is not a host name: put the port in 'port'"
    try:
        # What socket.getaddrinfo does with a str host before the resolver sees it.
        encoded, _ = encodings.idna.Codec().encode(host)
    except UnicodeError as error:
        return f"{host!r} cannot be encoded as a host name (IDNA: {error})"
    ascii_name = encoded.decode("ascii").removesuffix(".")
    if len(ascii_name) > _MAX_NAME:
        return f"{host!r} is longer than a host name can be ({_MAX_NAME} characters)"
    if not all(_LABEL.fullmatch(label) for label in ascii_name.split(".")):
        return f"{host!r} is not a host name (letters, digits, '-' between them, dots between labels) or an IP address"
    return None


def is_loopback(host: str) -> bool:
    """Whether ``host`` is this machine only: ``localhost`` or an address in 127.0.0.0/8 or ::1."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.split("%", 1)[0]).is_loopback
    except ValueError:
        return False  # a name could resolve to anything: not loopback


def url_problem(url: str) -> str | None:
    """Why ``url`` cannot be an HTTP camera's base address, or None when it can.

    The rules: ``http`` or ``https``, a host :func:`host_problem` accepts and httpx can
    parse, a port 1..65535 if any, no ``user:password@`` (the password would be on show; it
    belongs in ``password_env`` or ``password_file``), no ``?query`` or ``#fragment``.
    Never repeats the url's password.
    """
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return f"expected http://HOST[:PORT][/PATH] or https://… with a port 1..65535, got {_without_user(url)!r}"
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return f"expected http://HOST[:PORT][/PATH] or https://…, got {_without_user(url)!r}"
    if parts.username is not None or parts.password is not None:
        return "put the user in 'username' and the password in 'password_env' or 'password_file', not in the url"
    if parts.query or parts.fragment:
        return "the url is the camera's base address; it takes no ?query or #fragment"
    if port == 0:
        return "the port must be a number 1..65535"
    problem = host_problem(parts.hostname)
    if problem is not None:
        return problem
    import httpx  # only configs with an HTTP camera pay for importing it

    try:
        httpx.URL(url)
    except httpx.InvalidURL as error:
        return f"the HTTP client refuses it: {error}"
    return None


#: pyserial url schemes that reach a serial line over the network (a serial device server).
NETWORK_SERIAL_SCHEMES = ("socket", "rfc2217")


def serial_device_problem(device: str) -> str | None:
    """Why the serial transport could never open ``device``, or None when it can try.

    A device path that does not exist yet is fine (a USB adapter plugged in later is
    opened then); one that exists must be a character device. A pyserial url must use a
    scheme pyserial has, and ``socket://``/``rfc2217://`` a host :func:`host_problem`
    accepts and a port 1..65535.
    """
    if "\0" in device:
        return "the path contains a NUL byte"
    scheme, separator, _ = device.partition("://")
    if separator:
        scheme = scheme.lower()
        # pyserial imports serial.urlhandler.protocol_<scheme> for a url (serial_for_url).
        known = scheme.isidentifier() and importlib.util.find_spec(f"serial.urlhandler.protocol_{scheme}") is not None
        if not known:
            return (f"unknown pyserial url scheme {scheme!r} (expected a device path such as /dev/ttyUSB0, "
                    "socket://HOST:PORT or rfc2217://HOST:PORT)")
        if scheme in NETWORK_SERIAL_SCHEMES:
            try:
                parts = urlsplit(device)
                port = parts.port
            except ValueError:
                port = None
            if not parts.hostname or not port:
                return f"expected {scheme}://HOST:PORT with a port 1..65535, got {device!r}"
            return host_problem(parts.hostname)
        return None
    try:
        mode = os.stat(device).st_mode
    except OSError:
        return None  # not there yet: the transport opens it once it appears
    if not stat.S_ISCHR(mode):
        return f"{device!r} is {kind_of(mode)}, not a serial device"
    return None


def _without_user(url: str) -> str:
    """``url`` with any ``user:password@`` cut out, to quote it in a message."""
    scheme, sep, rest = url.partition("://")
    if not sep:
        return url.rpartition("@")[2]
    authority, slash, path = rest.partition("/")
    return f"{scheme}://{authority.rpartition('@')[2]}{slash}{path}"
