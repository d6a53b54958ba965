"""The files a config makes ptzmapd read: the config, its includes, password files.

Each must be a regular file of bounded size (ptzmapd/files.py); anything else is one
``FILE:LINE:COL:`` problem, never a hang, a traceback or a read until memory runs out.
"""

from __future__ import annotations

import ctypes
import os
import subprocess
import sys
from pathlib import Path

import pytest

from helpers import CONFIG_BASE, problems_of, write
from urllib.parse import urlsplit

from ptzmapd.config.loader import load_config
from ptzmapd.files import MAX_CONFIG_BYTES

ROOT = Path(__file__).resolve().parent.parent

BASE = CONFIG_BASE


@pytest.fixture
def fifo(tmp_path: Path) -> str:
    path = tmp_path / "pipe.yaml"
    os.mkfifo(path)
    return str(path)


def _special_files(tmp_path: Path, fifo: str) -> dict[str, tuple[str, str]]:
    """name -> (path, what the problem says it is)."""
    big = tmp_path / "big.yaml"
    big.write_bytes(b"# padding\n" * (MAX_CONFIG_BYTES // 10 + 1))
    return {
        "dev-zero": ("/dev/zero", "is a character device, not a file"),
        "dev-urandom": ("/dev/urandom", "is a character device, not a file"),
        "fifo": (fifo, "is a named pipe (FIFO), not a file"),
        "folder": (str(tmp_path), "is a folder, not a file"),
        "too-big": (str(big), f"is {big.stat().st_size} bytes, more than the limit of 1 MiB"),
    }


SPECIAL = ("dev-zero", "dev-urandom", "fifo", "folder", "too-big")


@pytest.mark.parametrize("kind", SPECIAL)
def test_an_include_of_anything_but_a_bounded_regular_file_is_refused_at_its_entry(
    tmp_path: Path, fifo: str, kind: str,
) -> None:
    target, what = _special_files(tmp_path, fifo)[kind]
    main = write(tmp_path / "conf", "ptzmapd.yaml", BASE + f"include:\n  - {target}\n")
    assert problems_of(main) == [f"{main}:6:5: include[0]: cannot read {target!r}: {what}"]


@pytest.mark.parametrize("kind", SPECIAL)
def test_a_config_that_is_no_bounded_regular_file_is_refused_at_1_1(tmp_path: Path, fifo: str, kind: str) -> None:
    target, what = _special_files(tmp_path, fifo)[kind]
    assert problems_of(target) == [f"{target}:1:1: cannot read config file: {what}"]


def test_a_nul_byte_in_an_include_path_is_a_problem_not_a_traceback(tmp_path: Path) -> None:
    main = write(tmp_path, "ptzmapd.yaml", BASE + 'include:\n  - "rig\\0.yaml"\n  - {file: "a\\0b"}\n')
    assert problems_of(main) == [
        f"{main}:6:5: include[0]: cannot read 'rig\\x00.yaml': the path contains a NUL byte",
        f"{main}:7:12: include[1]: cannot read 'a\\x00b': the path contains a NUL byte",
    ]


def test_a_config_of_exactly_the_limit_is_read(tmp_path: Path) -> None:
    text = BASE + "bindings:\n  - {input: desk, cc: 0, action: pan}\n"
    padding = MAX_CONFIG_BYTES - len(text.encode())
    path = write(tmp_path, "ptzmapd.yaml", text + "#" * (padding - 1) + "\n")
    assert os.path.getsize(path) == MAX_CONFIG_BYTES
    assert len(load_config(path).bindings) == 1


def test_a_config_reached_through_a_symlink_is_read(tmp_path: Path) -> None:
    real = write(tmp_path, "real.yaml", BASE)
    link = tmp_path / "link.yaml"
    link.symlink_to(real)
    assert list(load_config(str(link)).cameras) == ["stage"]


# --------------------------------------------------------------------------- unreadable files


#: Linux capabilities that let root read any file (linux/capability.h) and the prctl that
#: drops one from the bounding set, so that the next exec no longer has it.
CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH, PR_CAPBSET_DROP = 1, 2, 24


def _without_root_file_access() -> None:
    libc = ctypes.CDLL(None, use_errno=True)
    for capability in (CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH):
        if libc.prctl(PR_CAPBSET_DROP, capability, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP)")


def check_without_permission(config: Path) -> subprocess.CompletedProcess[str]:
    """``ptzmapd check -c config`` by a process that file permissions apply to.

    Root reads every file whatever its mode; as root the check runs without the
    capabilities that allow it (a mode-000 file is then unreadable even to its owner).
    """
    return subprocess.run(
        [sys.executable, "-m", "ptzmapd.cli", "check", "-c", str(config)],
        capture_output=True, text=True, cwd=ROOT, timeout=60,
        preexec_fn=_without_root_file_access if os.geteuid() == 0 else None,
    )


def test_an_unreadable_config_is_reported_at_1_1(tmp_path: Path) -> None:
    config = tmp_path / "studio.yaml"
    config.write_text(BASE)
    config.chmod(0o000)
    result = check_without_permission(config)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [f"{config}:1:1: cannot read config file: permission denied"]


def test_an_unreadable_include_is_reported_at_its_entry(tmp_path: Path) -> None:
    config = tmp_path / "studio.yaml"
    config.write_text(BASE + "include:\n  - rig.yaml\n")
    config.chmod(0o644)
    rig = tmp_path / "rig.yaml"
    rig.write_text("bindings: []\n")
    rig.chmod(0o000)
    result = check_without_permission(config)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [f"{config}:6:5: include[0]: cannot read 'rig.yaml': permission denied"]



# --------------------------------------------------------------------------- password sources


def test_check_resolves_every_password_source_and_reports_each_missing_one_at_its_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.delenv("PTZMAPD_NO_SUCH_PW", raising=False)
    monkeypatch.setenv("PTZMAPD_EMPTY_PW", "")
    monkeypatch.setenv("PTZMAPD_GOOD_PW", "env-secret-4711")
    (tmp_path / "good.pw").write_text("file-secret-0815\n")
    (tmp_path / "blank.pw").write_text("\nsecond-line-secret\n")
    fifo = tmp_path / "pw.fifo"
    os.mkfifo(fifo)
    main = write(tmp_path, "studio.yaml", """\
cameras:
  a: {protocol: isapi, url: "http://127.0.0.1:8001", password_env: PTZMAPD_NO_SUCH_PW}
  b: {protocol: isapi, url: "http://127.0.0.1:8002", password_file: missing.pw}
  c: {protocol: isapi, url: "http://127.0.0.1:8003", password_file: /dev/zero}
  d: {protocol: isapi, url: "http://127.0.0.1:8004", password_env: PTZMAPD_EMPTY_PW}
  e: {protocol: isapi, url: "http://127.0.0.1:8005", password_file: blank.pw}
  f: {protocol: isapi, url: "http://127.0.0.1:8006", password_file: pw.fifo}
  g: {protocol: isapi, url: "http://127.0.0.1:8007", password_env: PTZMAPD_GOOD_PW, password_file: good.pw}
  h: {protocol: isapi, url: "http://127.0.0.1:8008", password_env: PTZMAPD_GOOD_PW}
  i: {protocol: isapi, url: "http://127.0.0.1:8009", password_file: good.pw}
""")
    assert problems_of(main) == [
        f"{main}:2:68: cameras.a.password_env: environment variable 'PTZMAPD_NO_SUCH_PW' is not set",
        f"{main}:3:69: cameras.b.password_file: cannot read {str(tmp_path / 'missing.pw')!r}: no such file or directory",
        f"{main}:4:69: cameras.c.password_file: cannot read '/dev/zero': is a character device, not a file",
        f"{main}:5:68: cameras.d.password_env: environment variable 'PTZMAPD_EMPTY_PW' is empty",
        f"{main}:6:69: cameras.e.password_file: the first line of {str(tmp_path / 'blank.pw')!r} is empty",
        f"{main}:7:69: cameras.f.password_file: cannot read {str(fifo)!r}: is a named pipe (FIFO), not a file",
        f"{main}:8:85: cameras.g.password_file: give one password source, not password_env and password_file",
    ]
    from ptzmapd.cli import main as cli
    assert cli(["check", "-c", main]) == 2
    printed = capsys.readouterr()
    for secret in ("env-secret-4711", "file-secret-0815", "second-line-secret"):
        assert secret not in printed.out + printed.err


def test_check_passes_when_every_password_source_gives_one(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PTZMAPD_GOOD_PW", "env-secret-4711")
    (tmp_path / "pw").mkdir()
    (tmp_path / "pw" / "good.pw").write_text("file-secret-0815\r\n")
    main = write(tmp_path, "studio.yaml", """\
cameras:
  h: {protocol: isapi, url: "http://127.0.0.1:8008", password_env: PTZMAPD_GOOD_PW}
  i: {protocol: ipcam-cgi, url: "http://127.0.0.1:8009", password_file: pw/good.pw}
""")
    assert list(load_config(main).cameras) == ["h", "i"]


# --------------------------------------------------------------------------- hosts and urls


@pytest.mark.parametrize(("host", "problem"), [
    ("a" * 64 + ".example", "cannot be encoded as a host name (IDNA: label empty or too long)"),
    ("cam..local", "cannot be encoded as a host name (IDNA: label empty or too long)"),
    (".cam", "cannot be encoded as a host name (IDNA: label empty or too long)"),
    ("stage cam", "is not a host name (letters, digits, '-' between them, dots between labels) or an IP address"),
    ("-cam.local", "is not a host name (letters, digits, '-' between them, dots between labels) or an IP address"),
    ("10.0.0.300", "is not an IPv4 address (four numbers 0..255)"),
    ("cam.local:52381", "is not a host name: put the port in 'port'"),
    ("http://10.0.0.5", None),
])
def test_check_refuses_a_host_the_transports_could_never_reach(tmp_path: Path, host: str, problem: str | None) -> None:
    main = write(tmp_path, "studio.yaml", f'cameras:\n  stage: {{protocol: visca-tcp, host: "{host}"}}\n')
    expected = problem and f"{host!r} {problem}"
    if problem is None:
        expected = "expected a host name or address, not a url (the protocol and port have their own keys)"
    assert problems_of(main) == [f"{main}:2:38: cameras.stage.host: {expected}"]


@pytest.mark.parametrize("host", [
    "127.0.0.2", "::1", "fe80::1%eth0", "cam.local", "cam.local.", "stage-1", "kamera-büro.local", "CAM_2.studio.lan",
])
def test_check_accepts_names_and_addresses(tmp_path: Path, host: str) -> None:
    main = write(tmp_path, "studio.yaml", f'cameras:\n  stage: {{protocol: visca-udp, host: "{host}"}}\n')
    assert load_config(main).cameras["stage"].link.host == host  # type: ignore[union-attr]


@pytest.mark.parametrize(("url", "problem"), [
    ("http://☃.net", "the HTTP client refuses it: Invalid IDNA hostname: '☃.net'"),
    ("http://" + "a" * 64 + ".example", "cannot be encoded as a host name (IDNA: label empty or too long)"),
    ("http://cam..local/", "cannot be encoded as a host name (IDNA: label empty or too long)"),
    ("http://cam:99999/", "expected http://HOST[:PORT][/PATH] or https://… with a port 1..65535, got 'http://cam:99999/'"),
    ("http://cam:0/", "the port must be a number 1..65535"),
    ("ftp://admin:hunter2@cam.local/", "expected http://HOST[:PORT][/PATH] or https://…, got 'ftp://cam.local/'"),
    ("http://admin:hunter2@cam.local/", "put the user in 'username' and the password in 'password_env' or "
     "'password_file', not in the url"),
    ("http://cam.local/?channel=2", "the url is the camera's base address; it takes no ?query or #fragment"),
])
def test_check_refuses_a_url_the_http_transport_would_refuse(
    tmp_path: Path, url: str, problem: str, capsys: pytest.CaptureFixture[str],
) -> None:
    main = write(tmp_path, "studio.yaml", f'cameras:\n  stage: {{protocol: isapi, url: "{url}"}}\n')
    host = urlsplit(url).hostname or ""
    if "cannot be encoded" in problem:
        problem = f"{host!r} {problem}"
    assert problems_of(main) == [f"{main}:2:33: cameras.stage.url: {problem}"]
    from ptzmapd.cli import main as cli
    assert cli(["check", "-c", main]) == 2
    assert "hunter2" not in "".join(capsys.readouterr())


@pytest.mark.parametrize(("device", "problem"), [
    ("{tmp}", "'{tmp}' is a folder, not a serial device"),
    ("{tmp}/studio.yaml", "'{tmp}/studio.yaml' is a regular file, not a serial device"),
    ("/dev/ttyUSB0\\0", "the path contains a NUL byte"),
    ("foo://bar", "unknown pyserial url scheme 'foo' (expected a device path such as /dev/ttyUSB0, "
     "socket://HOST:PORT or rfc2217://HOST:PORT)"),
    ("socket://cam..local:4001", "'cam..local' cannot be encoded as a host name (IDNA: label empty or too long)"),
    ("socket://moxa.local:99999", "expected socket://HOST:PORT with a port 1..65535, got 'socket://moxa.local:99999'"),
    ("rfc2217://moxa.local", "expected rfc2217://HOST:PORT with a port 1..65535, got 'rfc2217://moxa.local'"),
])
def test_check_refuses_a_serial_device_the_serial_transport_could_never_open(
    tmp_path: Path, device: str, problem: str,
) -> None:
    device, problem = device.format(tmp=tmp_path), problem.format(tmp=tmp_path)
    main = write(tmp_path, "studio.yaml", f'cameras:\n  dome: {{protocol: pelco-d, address: 1, device: "{device}"}}\n')
    assert problems_of(main) == [f"{main}:2:49: cameras.dome.device: {problem}"]


@pytest.mark.parametrize("device", [
    "/dev/ttyUSB7", "/dev/null", "socket://127.0.0.1:4001", "rfc2217://moxa.local:2217", "loop://", "SOCKET://10.0.0.9:4001",
])
def test_check_accepts_a_serial_device_that_may_be_plugged_in_later_and_device_servers(tmp_path: Path, device: str) -> None:
    main = write(tmp_path, "studio.yaml", f'cameras:\n  dome: {{protocol: pelco-d, address: 1, device: "{device}"}}\n')
    assert load_config(main).cameras["dome"].link.device == device  # type: ignore[union-attr]


# --------------------------------------------------------------------------- certificates


@pytest.mark.parametrize("variable", ["SSL_CERT_FILE", "SSL_CERT_DIR"])
def test_check_and_run_refuse_https_cameras_when_ssl_cert_variables_name_nothing_loadable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, variable: str,
) -> None:
    (tmp_path / "not-a-cert.pem").write_text("hello\n")
    given = {"SSL_CERT_FILE": str(tmp_path / "not-a-cert.pem"), "SSL_CERT_DIR": str(tmp_path / "no-such-dir")}[variable]
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    monkeypatch.delenv("SSL_CERT_DIR", raising=False)
    monkeypatch.setenv(variable, given)
    main = write(tmp_path, "studio.yaml", """\
cameras:
  gate: {protocol: isapi, url: "https://127.0.0.1:9"}
  pinned: {protocol: isapi, url: "https://127.0.0.1:9", tls_fingerprint: "%s"}
  plain: {protocol: isapi, url: "http://127.0.0.1:9"}
""" % ":".join(["AB"] * 32))
    problems = problems_of(main)
    assert len(problems) == 1
    assert problems[0].startswith(f"{main}:2:32: cameras.gate.url: cannot load the certificates {variable}={given!r} names: ")
    # run agrees: the same environment makes the daemon refuse to start, with no traceback.
    result = subprocess.run([sys.executable, "-m", "ptzmapd.cli", "run", "-c", main],
                            capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "cameras.gate.url: cannot load the certificates" in result.stderr


# --------------------------------------------------------------------------- relative paths


def test_includes_and_password_files_are_found_beside_the_config_as_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A config symlinked into /etc/ptzmapd reads its profiles and its password files from
    the same folder: beside the link, as the user named it."""
    target = write(tmp_path / "store", "studio.yaml", BASE + "include:\n  - rig.yaml\n  - ~/profiles/nano.yaml\n")
    etc = tmp_path / "etc"
    etc.mkdir()
    (etc / "studio.yaml").symlink_to(target)
    write(etc, "rig.yaml", 'cameras:\n  gate: {protocol: isapi, url: "http://127.0.0.1:9", password_file: gate.pw}\n')
    (etc / "gate.pw").write_text("gate-secret\n")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    write(tmp_path / "home" / "profiles", "nano.yaml", "bindings:\n  - {input: desk, cc: 0, action: pan}\n")
    config = load_config(str(etc / "studio.yaml"))
    assert sorted(config.cameras) == ["gate", "stage"] and len(config.bindings) == 1


@pytest.mark.parametrize("written", ["12345678", "0x1F2E", "1.5", "yes", "~"])
def test_a_password_yaml_reads_as_something_else_is_refused_without_showing_it(tmp_path: Path, written: str) -> None:
    """A numeric password (a camera's factory 12345678) is a YAML number: the refusal must not
    print it, or any value YAML made of it (before: 'expected a string, got 12345678')."""
    path = write(tmp_path, "studio.yaml", f"""\
cameras:
  gate: {{protocol: isapi, url: "http://127.0.0.2", username: admin, password: {written}}}
""")
    (problem,) = problems_of(path)
    assert problem.startswith(f"{path}:2:") and "cameras.gate.password: " in problem
    assert "quote it" in problem
    shown = problem.split("cameras.gate.password: ", 1)[1]
    for secret in (written, "12345678", "7982", "True"):
        assert secret not in shown
