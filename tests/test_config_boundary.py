"""``check`` and ``run`` refuse the same files: every check that can fail on a config runs in
``ptzmapd/config/``, so no other module raises ConfigError."""

from __future__ import annotations

import re
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "ptzmapd"


def test_only_config_raises_config_errors() -> None:
    raised = re.compile(r"raise ConfigError\b")
    found = [
        f"ptzmapd/{path.relative_to(PACKAGE)}:{number}"
        for path in sorted(PACKAGE.rglob("*.py"))
        if path.relative_to(PACKAGE).parts[0] != "config"
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if raised.search(line)
    ]
    assert found == []


def test_nothing_reads_an_options_dict() -> None:
    # Typed config all the way down: the protocol's options are a dataclass, read by attribute.
    untyped = re.compile(r"\.options(\.get\(|\[)|options: dict\[str, Any\]")
    found = [
        f"ptzmapd/{path.relative_to(PACKAGE)}:{number}: {line.strip()}"
        for path in sorted(PACKAGE.rglob("*.py"))
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if untyped.search(line)
    ]
    assert found == []
