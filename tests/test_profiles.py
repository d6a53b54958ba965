"""The shipped profiles (mappings/*.yaml) and studio.example.yaml load as their comments say.

Each profile's header shows how to use it (an ``inputs:`` entry and an ``include:`` line);
the test loads exactly those lines, with two cameras, through the real loader. Profiles stick
to what every PTZ protocol can do, so they are loaded beside VISCA cameras and beside Pelco
ones.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from ptzmapd.cli import main
from ptzmapd.config import load_config

ROOT = Path(__file__).resolve().parent.parent
PROFILES = sorted((ROOT / "mappings").glob("*.yaml"))
USAGE_HEADER = "# Use it (tests/test_profiles.py loads exactly these lines):"

CAMERAS = {
    "visca": (
        "cameras:\n"
        "  stage: {protocol: visca-ip, host: 192.0.2.10}\n"
        "  pulpit: {protocol: visca-tcp, host: 192.0.2.11}\n"
    ),
    "pelco": (
        "cameras:\n"
        "  stage: {protocol: pelco-d, device: /dev/ttyUSB0, address: 1}\n"
        "  pulpit: {protocol: pelco-d, device: /dev/ttyUSB0, address: 2}\n"
    ),
}


def usage(profile: Path) -> str:
    """The YAML of a profile's "Use it" comment, with the include pointing at the profile."""
    lines = profile.read_text().splitlines()
    assert USAGE_HEADER in lines, f"{profile.name}: no '{USAGE_HEADER}' comment"
    snippet: list[str] = []
    for line in lines[lines.index(USAGE_HEADER) + 1 :]:
        if not line.startswith("#   "):
            break
        snippet.append(line[4:])
    return "\n".join(snippet).replace(f"mappings/{profile.name}", str(profile)) + "\n"


def test_there_are_profiles() -> None:
    names = {profile.name for profile in PROFILES}
    assert {"nanokontrol2.yaml", "apc-mini-mk2.yaml", "x-touch-mini.yaml", "gamepad.yaml", "flight-stick.yaml"} <= names


@pytest.mark.parametrize("profile", PROFILES, ids=lambda path: path.name)
def test_a_profile_is_bindings_only(profile: Path) -> None:
    """Fragments: the include entry supplies the input, the config the cameras."""
    content = yaml.safe_load(profile.read_text())
    assert set(content) == {"bindings"}
    assert content["bindings"], "a profile without bindings"
    for binding in content["bindings"]:
        assert "input" not in binding, binding
        # No camera names: the including config's cameras are not known here.
        assert binding.get("camera", "selected") in ("selected", "all", "next", "previous"), binding


@pytest.mark.parametrize("cameras", sorted(CAMERAS))
@pytest.mark.parametrize("profile", PROFILES, ids=lambda path: path.name)
def test_a_profile_loads_as_its_header_says(profile: Path, cameras: str, tmp_path: Path) -> None:
    path = tmp_path / "studio.yaml"
    path.write_text(CAMERAS[cameras] + usage(profile))
    config = load_config(path)
    written = yaml.safe_load(profile.read_text())["bindings"]
    (input_name,) = config.inputs
    assert len(config.bindings) == len(written)
    assert {binding.input for binding in config.bindings} == {input_name}


def test_studio_example_passes_check(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "-c", str(ROOT / "studio.example.yaml")]) == 0
    assert "2 cameras" in capsys.readouterr().out
