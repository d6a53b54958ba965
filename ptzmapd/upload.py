"""``ptzmapd upload-ptz-image``: the four-stage PTZ driver upload of ``specs/ptz-image-upload-cgi.txt``.

1. ``GET /cgi-bin/update?USER=…&PWD=…&PTZ_IMAGE`` asks for the upload form;
2. the device answers with an HTML form (file field ``URL_PTZ_IMAGE``, submit
   ``URL_FIRMWARE_SUBMIT=Apply``, action ``update?PTZ_IMAGE_SAVE``);
3. the image goes up as ``multipart/form-data`` to the form's action;
4. the device answers ``OK`` or ``ERROR: …`` (and reboots either way).

The credentials travel in the stage-1 query string (the device's design): that URL is never
logged or printed unredacted (``PWD=***``). Everything a user can get wrong — the password
variable, an empty or unreadable file, the url — is refused before connecting. Each stage
waits at most ``--timeout`` seconds of silence. Exit 0 only when the device says ``OK``.
"""

from __future__ import annotations

import argparse
import logging
import re
import secrets
import sys
from pathlib import Path
from typing import AsyncIterator, Callable
from urllib.parse import quote, urljoin, urlsplit

import httpx

from ptzmapd.files import FileRefused, read_user_file
from ptzmapd.secrets import Secret, SecretMissing, install_log_redaction, password_from_env, redact
from ptzmapd.transports.addresses import url_problem

UPDATE_PATH = "/cgi-bin/update"
FILE_FIELD = "URL_PTZ_IMAGE"
#: The documented submit button, used when the form does not name its own.
SUBMIT = ("URL_FIRMWARE_SUBMIT", "Apply")
CHUNK = 64 * 1024
#: Largest image file read (bytes): PTZ driver images are tens to hundreds of kB; the bound
#: keeps /dev/zero or a wrong file from being read into memory (ptzmapd/files.py).
MAX_IMAGE_BYTES = 64 << 20
BAR_WIDTH = 30

_ACTION = re.compile(rb'<form\b[^>]*\baction="([^"]*)"', re.IGNORECASE)
_INPUT = re.compile(rb"<input\b([^>]*)>", re.IGNORECASE)
_ATTRIBUTE = re.compile(rb'(\w+)="([^"]*)"')

install_log_redaction()


class UploadFailed(Exception):
    """A stage went wrong; the message is the result line (never with a password)."""


def form_url(base: str, user: str, password: Secret) -> str:
    """Stage 1's URL, as the document writes it (``…&PTZ_IMAGE`` has no value)."""
    return f"{base}{UPDATE_PATH}?USER={quote(user, safe='')}&PWD={quote(password.reveal(), safe='')}&PTZ_IMAGE"


def read_form(page: bytes, page_url: str) -> tuple[str, tuple[str, str]]:
    """The form's action URL and its submit field (name, value); UploadFailed if it is no upload form."""
    inputs = [dict((key.lower(), value) for key, value in _ATTRIBUTE.findall(attributes)) for attributes in _INPUT.findall(page)]
    if not any(fields.get(b"name") == FILE_FIELD.encode() for fields in inputs):
        raise UploadFailed(f"the device's page has no {FILE_FIELD} field: is this the PTZ image upload?")
    action = _ACTION.search(page)
    target = urljoin(page_url, action.group(1).decode("latin-1") if action else "update?PTZ_IMAGE_SAVE")
    if urlsplit(target).netloc != urlsplit(page_url).netloc:
        raise UploadFailed("the upload form posts to another address; refusing to send the image there")
    submit = next(
        (
            (fields[b"name"].decode("latin-1"), fields.get(b"value", b"").decode("latin-1"))
            for fields in inputs if fields.get(b"type", b"").lower() == b"submit" and b"name" in fields
        ),
        SUBMIT,
    )
    return target, submit


def multipart(image: bytes, filename: str, submit: tuple[str, str], boundary: str) -> tuple[bytes, bytes]:
    """The multipart body around the image: (what goes before it, what goes after it)."""
    safe_name = filename.replace('"', "%22").replace("\r", "").replace("\n", "")
    before = (
        f"--{boundary}\r\nContent-Disposition: form-data; name=\"{FILE_FIELD}\"; filename=\"{safe_name}\"\r\n"
        "Content-Type: application/octet-stream\r\n\r\n"
    ).encode("utf-8")
    after = (
        f"\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"{submit[0]}\"\r\n\r\n{submit[1]}\r\n--{boundary}--\r\n"
    ).encode("utf-8")
    return before, after


class ProgressBar:
    """``[#####-----]  45%  120/266 KiB`` on a terminal's stderr; silent elsewhere."""

    def __init__(self, total: int, enabled: bool) -> None:
        self.total = max(1, total)
        self.enabled = enabled
        self.done = 0

    def advance(self, count: int) -> None:
        self.done += count
        if self.enabled:
            share = min(1.0, self.done / self.total)
            filled = round(share * BAR_WIDTH)
            sys.stderr.write(
                f"\r[{'#' * filled}{'-' * (BAR_WIDTH - filled)}] {share:4.0%}  "
                f"{self.done // 1024}/{self.total // 1024} KiB"
            )
            sys.stderr.flush()

    def finish(self) -> None:
        if self.enabled:
            sys.stderr.write("\n")
            sys.stderr.flush()


async def _chunks(parts: tuple[bytes, bytes, bytes], progress: Callable[[int], None]) -> AsyncIterator[bytes]:
    before, image, after = parts
    yield before
    for start in range(0, len(image), CHUNK):
        chunk = image[start:start + CHUNK]
        yield chunk
        progress(len(chunk))
    yield after


def _refuse(message: str) -> int:
    print(f"ptzmapd: {message}", file=sys.stderr)
    return 2


def _base_url(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"--url must be http://HOST[:PORT] or https://…, got {redact(url)!r}")
    if parts.username is not None or parts.password is not None:
        raise ValueError("--url must not hold credentials: use --user and --password-env")
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise ValueError(f"--url is the device's address only (e.g. http://192.168.1.20), got {redact(url)!r}")
    problem = url_problem(url)  # the host and port rules of the HTTP cameras' url
    if problem is not None:
        raise ValueError(f"--url: {problem}")
    return url.rstrip("/")


async def run_upload(args: argparse.Namespace, log: logging.Logger) -> int:
    try:
        base = _base_url(args.url)
    except ValueError as exc:
        return _refuse(str(exc))
    try:
        password = password_from_env(args.password_env)
    except SecretMissing as exc:
        return _refuse(f"{exc} (--password-env names the variable that holds the device's password)")
    if not args.timeout > 0:
        return _refuse(f"--timeout must be more than 0 seconds, got {args.timeout}")
    path = Path(args.file)
    try:
        image = read_user_file(str(path), MAX_IMAGE_BYTES)
    except FileRefused as refused:
        return _refuse(f"cannot read {str(path)!r}: {refused}")
    if not image:
        return _refuse(f"{str(path)!r} is empty; refusing to upload it")
    try:
        await upload(base, args.user, password, path.name, image, float(args.timeout), log)
    except UploadFailed as exc:
        print(f"{redact(str(exc))}", file=sys.stderr)
        return 1
    print(f"{base}: OK, the device took {path.name} ({len(image)} bytes) and restarts")
    return 0


async def upload(base: str, user: str, password: Secret, filename: str, image: bytes, timeout: float, log: logging.Logger) -> None:
    """The four stages; returns when the device said OK, else raises :class:`UploadFailed`."""
    page_url = form_url(base, user, password)
    async with httpx.AsyncClient(timeout=httpx.Timeout(timeout), follow_redirects=False, trust_env=False) as client:
        try:
            log.info("stage 1: GET %s", redact(page_url))
            page = await client.get(page_url)
            if page.status_code == 401:
                raise UploadFailed(f"{base}: the device refused user {user!r} (wrong user name or password)")
            if page.status_code != 200:
                raise UploadFailed(f"{base}: no upload form: HTTP {page.status_code} {page.reason_phrase}")
            target, submit = read_form(page.content, page_url)
            log.info("stage 2: upload form received; the image goes to %s", redact(target))
            boundary = "----ptzmapd" + secrets.token_hex(12)
            before, after = multipart(image, filename, submit, boundary)
            bar = ProgressBar(len(image), enabled=sys.stderr.isatty())
            log.info("stage 3: POST %s (%d bytes)", redact(target), len(image))
            headers = {
                "Content-Type": f"multipart/form-data; boundary={boundary}",
                "Content-Length": str(len(before) + len(image) + len(after)),
                # The document's browser sends the form page as Referer; some devices check it.
                "Referer": page_url,
            }
            try:
                answer = await client.post(target, content=_chunks((before, image, after), bar.advance), headers=headers)
            finally:
                bar.finish()
        except httpx.TimeoutException:
            raise UploadFailed(f"{base}: the device did not answer within {timeout:g} s") from None
        except httpx.HTTPError as exc:
            raise UploadFailed(f"{base}: {redact(str(exc) or type(exc).__name__)}") from None
    result = answer.content.decode("utf-8", "replace").strip()
    log.info("stage 4: the device answered HTTP %d: %s", answer.status_code, redact(result[:200]))
    if answer.status_code == 200 and result == "OK":
        return
    if result.startswith("ERROR"):
        raise UploadFailed(f"{base}: the device refused the image: {result[:200]}")
    raise UploadFailed(f"{base}: unexpected answer (HTTP {answer.status_code}): {result[:200]!r}")
