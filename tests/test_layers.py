"""The layer order of ARCHITECTURE.md, checked on every import in the package.

``cli → app → api, switchers → pipeline → mapping, motion, control, surfaces → inputs,
transports → protocols → vocabulary, commands, events, clock, errors``: each layer imports only
from layers to its right (or its own). Every import counts — at the top of a module, inside a
function (lazy), and under ``TYPE_CHECKING`` — since a lazy import is still a dependency.

``config`` is read by ``app`` and ``cli`` and produces the typed values the others receive:
its typed values (``config.model``, which hold each protocol's options and pacing) sit just
above ``protocols`` with their marks (``config.yamlmarks``), the loader just below ``app``. ``secrets``
(a password that never prints itself, log redaction) is a value module at the bottom. The simulators are programs of their own that speak the protocols (they decode with
the codecs), and the small programs beside the daemon (demo, learn, devices, snapshot,
upload, the profile table writer) stand where ``app`` does.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "ptzmapd"

#: Rank of each part, by longest dotted prefix: a module may import from its own rank or lower.
RANKS: dict[str, int] = {
    # the vocabulary everything shares
    "ptzmapd": 0, "ptzmapd.errors": 0, "ptzmapd.clock": 0, "ptzmapd.events": 0, "ptzmapd.commands": 0,
    "ptzmapd.vocabulary": 0, "ptzmapd.registry": 0, "ptzmapd.tasks": 0, "ptzmapd.files": 0,
    "ptzmapd.logs": 0, "ptzmapd.systemd": 0, "ptzmapd.secrets": 0,
    "ptzmapd.protocols": 1, "ptzmapd.config.model": 1, "ptzmapd.config.yamlmarks": 1,
    "ptzmapd.inputs": 2, "ptzmapd.transports": 2, "ptzmapd.simulators": 2,
    "ptzmapd.mapping": 3, "ptzmapd.motion": 3, "ptzmapd.control": 3, "ptzmapd.surfaces": 3,
    "ptzmapd.tours": 3,
    "ptzmapd.pipeline": 4, "ptzmapd.onair": 4,
    "ptzmapd.api": 5, "ptzmapd.switchers": 5,
    "ptzmapd.config": 6,
    "ptzmapd.app": 7, "ptzmapd.demo": 7, "ptzmapd.learn": 7, "ptzmapd.devices": 7, "ptzmapd.snapshot": 7,
    "ptzmapd.upload": 7, "ptzmapd.profiles_doc": 7,
    "ptzmapd.cli": 8,
}


def rank(module: str) -> int:
    parts = module.split(".")
    for end in range(len(parts), 0, -1):
        prefix = ".".join(parts[:end])
        if prefix in RANKS:
            return RANKS[prefix]
    raise AssertionError(f"{module} is in no layer: add it to RANKS")


def module_name(path: Path) -> str:
    relative = path.relative_to(PACKAGE.parent).with_suffix("")
    parts = list(relative.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports(path: Path) -> list[tuple[int, str]]:
    """Every ptzmapd module ``path`` imports, with the line: top level, lazy and TYPE_CHECKING."""
    tree = ast.parse(path.read_text(), str(path))
    here = module_name(path)
    package = here if path.name == "__init__.py" else here.rpartition(".")[0]
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            found.append((node.lineno, target))
            # ``from ptzmapd.x import y`` may name a submodule y: that is the dependency.
            found += [(node.lineno, f"{target}.{alias.name}") for alias in node.names
                      if (PACKAGE.parent / f"{target}.{alias.name}".replace(".", "/")).exists()
                      or (PACKAGE.parent / (f"{target}.{alias.name}".replace(".", "/") + ".py")).exists()]
    return [(line, name) for line, name in found if name == "ptzmapd" or name.startswith("ptzmapd.")]


MODULES = sorted(PACKAGE.rglob("*.py"))


def test_every_module_is_in_a_layer() -> None:
    for path in MODULES:
        rank(module_name(path))


@pytest.mark.parametrize("path", MODULES, ids=lambda path: module_name(path))
def test_no_import_points_to_a_higher_layer(path: Path) -> None:
    here = module_name(path)
    wrong = [f"{path.relative_to(PACKAGE.parent)}:{line}: {here} (layer {rank(here)}) imports {name} (layer {rank(name)})"
             for line, name in imports(path) if rank(name) > rank(here)]
    assert not wrong, "\n".join(wrong)


def test_a_package_imports_nothing_its_lowest_module_may_not() -> None:
    # Importing ptzmapd.config.model runs ptzmapd/config/__init__.py first: what a package's
    # __init__ imports, every module of the package drags along, however low its layer.
    wrong = []
    for init in PACKAGE.rglob("__init__.py"):
        package = module_name(init)
        lowest = min(rank(module_name(path)) for path in init.parent.rglob("*.py"))
        wrong += [f"{init.relative_to(PACKAGE.parent)}:{line}: {package} holds modules of layer {lowest} "
                  f"but imports {name} (layer {rank(name)})"
                  for line, name in imports(init) if rank(name) > lowest]
    assert not wrong, "\n".join(wrong)


def test_the_walk_sees_lazy_and_type_checking_imports(tmp_path: Path) -> None:
    # The checker itself: an import inside a function and one under TYPE_CHECKING are found.
    source = PACKAGE / "clock.py"
    found = {name for _, name in imports(source)}
    assert all(name.startswith("ptzmapd") for name in found)
    sample = tmp_path / "sample.py"
    sample.write_text("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from ptzmapd.app import x\n"
                      "def f():\n    import ptzmapd.cli\n")
    tree = ast.parse(sample.read_text())
    names = [node for node in ast.walk(tree) if isinstance(node, (ast.Import, ast.ImportFrom))]
    assert len(names) == 3  # typing, the TYPE_CHECKING one and the lazy one: ast.walk sees them all
