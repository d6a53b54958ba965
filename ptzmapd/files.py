"""Reading the files a user names: the config, its includes, password files.

Every such file goes through :func:`read_user_file`, which reads only regular files and only
up to a bound. A path can name anything the OS has: ``/dev/zero`` or ``/dev/urandom`` (reading
never ends), a FIFO (opening it waits for a writer that never comes), a folder, a terminal.
A config never means one of those, so they are refused before a byte is read, and a regular
file larger than its bound is refused rather than read into memory.

The bounds are generous for what each file holds:

- :data:`MAX_CONFIG_BYTES` (1 MiB) for a config file and for each file it includes: the
  largest shipped profile is under 7 kB; a megabyte of YAML already takes seconds to parse
  with PyYAML's pure-Python parser (the fallback when libyaml is missing).
- :data:`MAX_SECRET_BYTES` (64 KiB) for a password file: a password is one line.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable

#: Largest config or included file, in bytes.
MAX_CONFIG_BYTES = 1 << 20
#: Largest password file, in bytes.
MAX_SECRET_BYTES = 64 << 10

#: What a file is, in the user's words, by its ``stat`` type test.
_KINDS: tuple[tuple[str, Callable[[int], bool]], ...] = (
    ("a regular file", stat.S_ISREG),
    ("a folder", stat.S_ISDIR),
    ("a character device", stat.S_ISCHR),
    ("a block device", stat.S_ISBLK),
    ("a named pipe (FIFO)", stat.S_ISFIFO),
    ("a socket", stat.S_ISSOCK),
)


def kind_of(mode: int) -> str:
    """What a file of ``st_mode`` ``mode`` is, in words: "a folder", "a character device"…"""
    return next((kind for kind, is_kind in _KINDS if is_kind(mode)), "not a regular file")


class FileRefused(Exception):
    """A file that cannot or must not be read; the message is lower-case, without the path
    (the caller names the file the way its user wrote it)."""


def read_user_file(path: str, limit: int) -> bytes:
    """The whole content of the regular file at ``path``, at most ``limit`` bytes.

    Opening does not block (a FIFO without a writer would wait for ever) and follows
    symlinks, so a link to a regular file is read like the file.

    :raises FileRefused: the path holds a NUL byte, the file cannot be opened (the OS's
        reason: "no such file or directory", "permission denied"…), is not a regular file,
        or holds more than ``limit`` bytes.
    """
    check_path(path)
    try:
        descriptor = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | getattr(os, "O_CLOEXEC", 0))
    except OSError as error:
        raise FileRefused(os_reason(error)) from None
    try:
        info = os.fstat(descriptor)
        if not stat.S_ISREG(info.st_mode):
            raise FileRefused(f"is {kind_of(info.st_mode)}, not a file")
        if info.st_size > limit:
            raise FileRefused(f"is {info.st_size} bytes, more than the limit of {_size(limit)}")
        # Read one byte past the limit: a file that grows while it is read (or reports no
        # size, as /proc files do) is caught too.
        chunks: list[bytes] = []
        remaining = limit + 1
        while remaining > 0:
            chunk = os.read(descriptor, min(remaining, 1 << 16))
            if not chunk:
                break
            chunks.append(chunk)
            remaining -= len(chunk)
        data = b"".join(chunks)
        if len(data) > limit:
            raise FileRefused(f"holds more than the limit of {_size(limit)}")
        return data
    except OSError as error:
        raise FileRefused(os_reason(error)) from None
    finally:
        os.close(descriptor)


def beside(config_file: str, path: str) -> str:
    """Where ``path`` (``~`` expanded), named in ``config_file``, is: relative paths from the
    folder the config file is in as its user named it (a symlinked config reads the files
    beside the link), so a config and the files it names move together; a service's working
    directory (``/``) plays no part."""
    path = os.path.expanduser(path)
    return os.path.normpath(os.path.join(os.path.dirname(config_file), path))


def check_path(path: str) -> None:
    """Refuse a path no file can have (the OS calls would raise ValueError, not OSError).

    :raises FileRefused: the path is empty or holds a NUL byte.
    """
    if "\0" in path:
        raise FileRefused("the path contains a NUL byte")
    if not path:
        raise FileRefused("the path is empty")


def os_reason(error: OSError) -> str:
    """The OS's reason for ``error``, lower-cased to sit inside a message."""
    reason = error.strerror or str(error)
    return reason[:1].lower() + reason[1:]


def _size(limit: int) -> str:
    if limit % (1 << 20) == 0:
        return f"{limit >> 20} MiB"
    if limit % (1 << 10) == 0:
        return f"{limit >> 10} KiB"
    return f"{limit} bytes"
