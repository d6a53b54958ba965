"""A protocol is one package under ``ptzmapd/protocols/`` plus one registry line: nothing else
in the package names one, and each spec is complete and consistent with its codec."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest

from ptzmapd.protocols import PROTOCOLS
from ptzmapd.protocols.spec import KEY, ProtocolOptions

PACKAGE = Path(__file__).resolve().parent.parent / "ptzmapd"
#: Where protocol names may be written: the protocols themselves and their simulators.
ALLOWED = ("protocols", "simulators")


def test_nothing_outside_protocols_and_simulators_names_a_protocol() -> None:
    # The names as the registry knows them, plus every name the issue lists.
    names = set(PROTOCOLS) | {"isapi", "pelco-d", "pelco-p", "visca-serial", "visca-ip", "visca-udp", "visca-tcp",
                              "ipcam-cgi", "ptzoptics-cgi"}
    quoted = re.compile("|".join(f'"{re.escape(name)}"' for name in sorted(names)))
    found = []
    for path in sorted(PACKAGE.rglob("*")):
        relative = path.relative_to(PACKAGE)
        if not path.is_file() or relative.parts[0] in ALLOWED or path.suffix not in (".py", ".txt", ".yaml", ".md"):
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if quoted.search(line):
                found.append(f"ptzmapd/{relative}:{number}: {line.strip()}")
    assert found == []


@pytest.mark.parametrize("name", list(PROTOCOLS))
def test_each_spec_is_complete(name: str) -> None:
    spec = PROTOCOLS[name]
    assert spec.name == name
    assert spec.transport in ("udp", "tcp", "serial", "http")
    assert (spec.default_port is not None) == (spec.transport in ("udp", "tcp"))
    assert (spec.default_baud is not None) == (spec.transport == "serial")
    assert spec.snapshot_path is None or spec.transport == "http"
    assert set(spec.pacing_keys) >= {"min_interval", "ack_timeout"}
    assert set(spec.pacing_keys) <= {f.name for f in dataclasses.fields(spec.pacing)}
    # Options: a protocol's own keys, each with the check a config applies; defaults set once.
    assert issubclass(spec.options, ProtocolOptions)
    for option in dataclasses.fields(spec.options):
        assert KEY in option.metadata, f"{name}: option {option.name!r} is no config key"
    # The codec the spec builds is the one its capabilities describe: it encodes a stop.
    required = {f.name: 1 for f in dataclasses.fields(spec.options)
                if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING}
    codec = spec.make_codec(spec.options(**required), spec.limits)
    assert "stop" in spec.capabilities and "pan" in spec.capabilities
    if spec.raw is not None:
        assert f"raw {spec.raw.kind}" in spec.capabilities
        spec.raw.parse(spec.raw.example.strip("'"))
    assert codec is not None


def test_simulator_entries_load() -> None:
    from ptzmapd.registry import load

    for name in PROTOCOLS:
        simulator = PROTOCOLS[name].simulator
        assert simulator is not None and callable(load(simulator))
