"""Passwords of HTTP cameras and devices: where they come from, and keeping them out of sight.

A camera's password comes from one of its config keys:

- ``password_env: VAR`` — the environment variable ``VAR`` (systemd ``Environment=``/
  ``EnvironmentFile=``, a secrets manager);
- ``password_file: PATH`` — the first line of a file (relative paths are read from the folder
  of the config file that names it, like includes: :func:`ptzmapd.files.beside`); a regular file of at most
  64 KiB, like every file a config names (:mod:`ptzmapd.files`);
- ``password:`` in the config itself — accepted, with a warning at start: config files get
  copied, shared and committed.

``ptzmapd check`` resolves every source (:func:`password_source`), so a variable that is
not set or a file that cannot be read is reported at its key before anything runs.

A :class:`Secret` prints as ``***`` (repr, str, f-strings, exceptions), so it cannot leak into
a log line by accident; :func:`redact` scrubs text that might hold one (the upload URL carries
``PWD=`` in its query), and :func:`install_log_redaction` applies it to httpx's own log
records, which name every request URL.
"""

from __future__ import annotations

import logging
import os
import re
from dataclasses import dataclass
from pathlib import Path
from collections.abc import Mapping, Sequence

from ptzmapd.files import MAX_SECRET_BYTES, FileRefused, beside, read_user_file

#: The user name when a camera has a password and no ``username`` (the factory default of
#: Hikvision, PTZOptics and the CAS-3xx cameras alike).
DEFAULT_USER = "admin"
PASSWORD_KEYS: tuple[str, ...] = ("password_env", "password_file", "password")
#: Loggers of the HTTP client (a filter on a logger does not cover its children).
LIBRARY_LOGGERS: tuple[str, ...] = ("httpx", "httpcore.connection", "httpcore.http11", "httpcore.http2", "httpcore.proxy")
_QUERY_PASSWORD = re.compile(r"((?:^|[?&\s])PWD=)[^&\s\"'<>]*", re.IGNORECASE)
#: Every password read in this process, so log records can be scrubbed of them.
_KNOWN: set[str] = set()


class Secret:
    """A password that shows as ``***`` everywhere except :meth:`reveal`."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value
        if value:
            _KNOWN.add(value)

    def reveal(self) -> str:
        return self._value

    def __bool__(self) -> bool:
        return bool(self._value)

    def __repr__(self) -> str:
        return "Secret('***')"

    def __str__(self) -> str:
        return "***"


@dataclass(frozen=True, slots=True)
class Credentials:
    username: str
    password: Secret


class SecretMissing(ValueError):
    """A password source that gives nothing; the message names the source, never a value."""


def password_from_env(variable: str) -> Secret:
    value = os.environ.get(variable)
    if value is None:
        raise SecretMissing(f"environment variable {variable!r} is not set")
    if value == "":
        raise SecretMissing(f"environment variable {variable!r} is empty")
    return Secret(value)


def password_from_file(path: Path) -> Secret:
    """The first line of the file at ``path`` (a regular file of at most
    :data:`~ptzmapd.files.MAX_SECRET_BYTES`), without its line break."""
    try:
        data = read_user_file(str(path), MAX_SECRET_BYTES)
    except FileRefused as refused:
        raise SecretMissing(f"cannot read {str(path)!r}: {refused}") from None
    try:
        first = data.decode("utf-8").split("\n", 1)[0]
    except UnicodeDecodeError:
        raise SecretMissing(f"{str(path)!r} is not UTF-8 text") from None
    value = first.rstrip("\r")
    if not value:
        raise SecretMissing(f"the first line of {str(path)!r} is empty")
    return Secret(value)


def password_source(key: str, value: str, config_file: str) -> Secret:
    """The password that the camera key ``key`` (one of :data:`PASSWORD_KEYS`) with ``value``
    gives; ``config_file`` is the file the key is written in (a relative ``password_file``
    is read from its folder).

    ``ptzmapd check`` and ``run`` both call this, so a source that gives nothing fails the
    check, not the start.

    :raises SecretMissing: naming the source (never a value).
    """
    if key == "password_env":
        return password_from_env(value)
    if key == "password_file":
        return password_from_file(Path(beside(config_file, value)))
    return Secret(value)


def password_sources(options: Mapping[str, object]) -> list[str]:
    """The password keys a camera's options give (more than one is a config error)."""
    return [key for key in PASSWORD_KEYS if key in options]


def one_password_source(given: Sequence[str]) -> str:
    return f"give one password source, not {' and '.join(given)}"


def redact(text: str) -> str:
    """``text`` without any known password and with every ``PWD=`` query value hidden."""
    text = _QUERY_PASSWORD.sub(r"\1***", text)
    for value in _KNOWN:
        if value in text:
            text = text.replace(value, "***")
    return text


class RedactingFilter(logging.Filter):
    """Scrubs a logger's records with :func:`redact` (they are formatted once, here)."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        clean = redact(message)
        if clean != message:
            record.msg, record.args = clean, None
        return True


def install_log_redaction(*names: str) -> None:
    """Put a :class:`RedactingFilter` on each named logger once (httpx logs request URLs)."""
    for name in names or LIBRARY_LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(existing, RedactingFilter) for existing in logger.filters):
            logger.addFilter(RedactingFilter())
