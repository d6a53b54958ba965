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

from ptzmapd.config import ConfigError, load_config
from ptzmapd.files import MAX_CONFIG_BYTES, MAX_SECRET_BYTES

ROOT = Path(__file__).resolve().parent.parent

BASE = """\
cameras:
  stage: {protocol: visca-ip, host: 127.0.0.2}
inputs:
  desk: {type: midi, port: "*nano*"}
"""


def write(directory: Path, name: str, text: str) -> str:
    path = directory / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return str(path)


def problems_of(path: str) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    return caught.value.problems


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

