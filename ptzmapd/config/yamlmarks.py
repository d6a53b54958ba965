"""YAML with marks: every mapping, sequence and scalar remembers ``FILE:LINE:COL``.

PyYAML composes a node graph that still carries marks, then its constructor throws them
away while it builds plain Python values. We stop after composing and build our own small
tree instead (the idea of Home Assistant's loader, which keeps the line of every value), so
each later check can point at the exact place a value came from.

On the way we catch what YAML itself lets slip: a key given twice in one mapping (YAML keeps
the last one without a word; a user never means that), tags we do not read, aliases that
contain themselves, a tag on a key (keys are plain names; a tag there would be dropped
silently). Problems are returned, not raised, so the loader can report all of them
together with its own.

Composing uses libyaml's C parser when PyYAML has it (a large config loads many times
faster and in a fraction of the memory); a text libyaml refuses is parsed again by PyYAML's
own parser, so syntax errors read the same with or without libyaml. Both compose the same
nodes with the same marks (tests/test_yaml_loaders.py holds them to it).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import yaml

from ptzmapd.config.model import Mark
from ptzmapd.files import MAX_CONFIG_BYTES, read_user_file

Scalar = str | int | float | bool | None


@dataclass(frozen=True, slots=True)
class ScalarNode:
    value: Scalar
    mark: Mark
    #: The scalar exactly as written (``on`` for a value of True), so messages quote what
    #: the user typed and choices such as ``mode: on`` survive YAML 1.1's booleans.
    text: str
    #: A stand-in for something YAML could not give (an unknown tag, a recursive alias);
    #: its problem is reported already, so checks stay quiet about it.
    broken: bool = False


@dataclass(frozen=True, slots=True)
class SequenceNode:
    value: list[Node]
    mark: Mark


@dataclass(frozen=True, slots=True)
class MappingNode:
    value: dict[str, Node]
    mark: Mark
    #: Where each key stands: "unknown key" and "duplicate" problems point at the key,
    #: not at its value.
    key_marks: dict[str, Mark]


Node = ScalarNode | SequenceNode | MappingNode


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with a config, at a place: ``FILE:LINE:COL: path: message``."""

    mark: Mark
    #: Dotted path of the value (``cameras.stage.port``, ``bindings[3]``), or "yaml" for a
    #: problem of the YAML text itself, or "" for the file as a whole.
    path: str
    message: str

    def __str__(self) -> str:
        if self.path:
            return f"{self.mark}: {self.path}: {self.message}"
        return f"{self.mark}: {self.message}"


def child_path(parent: str, key: str | int) -> str:
    """The dotted path of a mapping key (``a.b``) or sequence index (``a[3]``) below ``parent``."""
    if isinstance(key, int):
        return f"{parent}[{key}]"
    return f"{parent}.{key}" if parent else key


def read_yaml(file: str) -> tuple[Node | None, list[Problem]]:
    """Read and parse one YAML file; the node is None when nothing usable could be read.

    The file must be a regular file of at most :data:`~ptzmapd.files.MAX_CONFIG_BYTES`.

    :raises FileRefused: the file cannot be read (missing, unreadable, not a regular file,
        too large). The caller words that problem, because only it knows whether the file
        is the config itself or an ``include`` entry.
    """
    data = read_user_file(file, MAX_CONFIG_BYTES)
    try:
        # utf-8-sig: editors on Windows like to start files with a byte-order mark.
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line_start = data.rfind(b"\n", 0, error.start) + 1
        mark = Mark(file, data.count(b"\n", 0, error.start) + 1, error.start - line_start + 1)
        return None, [Problem(mark, "yaml", f"not valid utf-8 (byte 0x{data[error.start]:02x})")]
    return parse_yaml(text, file)


#: libyaml's parser, when PyYAML was built with it: some 50 times faster than the pure-Python
#: one, and it composes the same nodes with the same marks.
FAST_LOADER: type[yaml.SafeLoader] | None = getattr(yaml, "CSafeLoader", None)


def parse_yaml(text: str, file: str, fast: bool = True) -> tuple[Node | None, list[Problem]]:
    """Parse YAML text that came from ``file`` (used in marks only) into marked nodes.

    With ``fast`` (and libyaml present) the text is composed by libyaml; only when that
    fails is it parsed again by PyYAML's own parser, whose error messages (and their
    marks) are the ones ptzmapd words and tests. So a broken file reads the same with or
    without libyaml, and a good one builds the same tree either way.
    """
    if fast and FAST_LOADER is not None:
        try:
            return _parse(text, file, FAST_LOADER)
        except (yaml.YAMLError, RecursionError):
            pass  # said again below, in PyYAML's words
    try:
        return _parse(text, file, yaml.SafeLoader)
    except yaml.MarkedYAMLError as error:
        return None, [_syntax_problem(file, error)]
    except yaml.reader.ReaderError as error:
        # Not a MarkedYAMLError: it carries a character position, not a line.
        position = min(error.position, len(text))
        line_start = text.rfind("\n", 0, position) + 1
        mark = Mark(file, text.count("\n", 0, position) + 1, position - line_start + 1)
        return None, [Problem(mark, "yaml", f"character {chr(error.character)!r} is not allowed")]
    except RecursionError:
        # PyYAML composes recursively; thousands of nested brackets exhaust the stack.
        return None, [Problem(Mark(file, 1, 1), "yaml", "nested too deeply")]


def _parse(text: str, file: str, loader_class: type[yaml.SafeLoader]) -> tuple[Node | None, list[Problem]]:
    """Compose ``text`` with ``loader_class`` and build the marked tree.

    :raises yaml.YAMLError: the text is no YAML document.
    :raises RecursionError: it is nested deeper than the stack allows.
    """
    loader = loader_class(text)  # already checks for unprintable characters
    try:
        root = loader.get_single_node()
        if root is None:
            return None, [Problem(Mark(file, 1, 1), "yaml", "file is empty (no yaml document)")]
        builder = _TreeBuilder(file, loader)
        return builder.build(root, ""), builder.problems
    finally:
        loader.dispose()


def _syntax_problem(file: str, error: yaml.MarkedYAMLError) -> Problem:
    """Word a PyYAML parse error as ``yaml: problem (context at L:C)``."""
    where = error.problem_mark or error.context_mark
    mark = Mark(file, where.line + 1, where.column + 1) if where else Mark(file, 1, 1)
    message = error.problem or error.context or "cannot parse"
    if error.problem and error.context and error.problem.startswith("but "):
        # The composer splits one sentence in two: "expected a single document" + "but found ...".
        message = f"{error.context} {error.problem}"
    elif error.problem and error.context:
        at = f" at {error.context_mark.line + 1}:{error.context_mark.column + 1}" if error.context_mark else ""
        message += f" ({error.context}{at})"
    if "'\\t'" in message:
        message += "; indent with spaces, yaml does not allow tabs"
    return Problem(mark, "yaml", message)


_TAG = "tag:yaml.org,2002:"
#: The scalar types a config can hold; anything else (binary, custom ``!tags``) is refused
#: rather than half-understood.
_SCALAR_TAGS = frozenset(_TAG + name for name in ("null", "bool", "int", "float", "str"))


class _TreeBuilder:
    """Turns one composed PyYAML node graph into marked nodes, collecting problems."""

    def __init__(self, file: str, loader: yaml.SafeLoader) -> None:
        self.file = file
        self.problems: list[Problem] = []
        self._loader = loader
        # An alias is the same PyYAML node object twice: build it once (this also keeps a
        # "billion laughs" document linear in size), and spot an alias inside itself.
        self._built: dict[int, Node] = {}
        self._building: set[int] = set()

    def mark(self, yaml_mark: yaml.Mark) -> Mark:
        return Mark(self.file, yaml_mark.line + 1, yaml_mark.column + 1)

    def build(self, source: yaml.Node, path: str) -> Node:
        identity = id(source)
        if identity in self._built:
            return self._built[identity]
        mark = self.mark(source.start_mark)
        if identity in self._building:
            self.problems.append(Problem(mark, path, "alias refers to a node that contains it"))
            return ScalarNode(None, mark, "", broken=True)
        self._building.add(identity)
        try:
            node = self._build(source, path, mark)
        finally:
            self._building.discard(identity)
        self._built[identity] = node
        return node

    def _build(self, source: yaml.Node, path: str, mark: Mark) -> Node:
        if isinstance(source, yaml.ScalarNode):
            return self._scalar(source, path, mark)
        if isinstance(source, yaml.SequenceNode) and source.tag == _TAG + "seq":
            return SequenceNode([self.build(item, child_path(path, i)) for i, item in enumerate(source.value)], mark)
        if isinstance(source, yaml.MappingNode) and source.tag == _TAG + "map":
            return self._mapping(source, path, mark)
        self.problems.append(Problem(mark, path, f"unsupported yaml tag {source.tag!r}"))
        return ScalarNode(None, mark, "", broken=True)

    def _scalar(self, source: yaml.ScalarNode, path: str, mark: Mark) -> ScalarNode:
        if source.tag == _TAG + "timestamp":
            # A date is only ever a string to ptzmapd; keep it as written.
            return ScalarNode(source.value, mark, source.value)
        construct: Callable[[yaml.SafeLoader, yaml.Node], Scalar] | None = None
        if source.tag in _SCALAR_TAGS:
            construct = yaml.SafeLoader.yaml_constructors[source.tag]
        if construct is None:
            self.problems.append(Problem(mark, path, f"unsupported yaml tag {source.tag!r}"))
            return ScalarNode(None, mark, source.value, broken=True)
        try:
            value = construct(self._loader, source)
        except (ValueError, KeyError, yaml.YAMLError):
            # Only explicit tags get here (``!!int abc``): implicit ones matched a pattern.
            short = source.tag.removeprefix(_TAG)
            self.problems.append(Problem(mark, path, f"cannot read {source.value!r} as !!{short}"))
            return ScalarNode(None, mark, source.value, broken=True)
        return ScalarNode(value, mark, source.value)

    def _mapping(self, source: yaml.MappingNode, path: str, mark: Mark) -> MappingNode:
        values: dict[str, Node] = {}
        key_marks: dict[str, Mark] = {}
        merges: list[Node] = []
        for key_source, value_source in source.value:
            key_mark = self.mark(key_source.start_mark)
            if key_source.tag == _TAG + "merge":
                merges.append(self.build(value_source, path))
                continue
            if not isinstance(key_source, yaml.ScalarNode):
                self.problems.append(Problem(key_mark, path, "a key must be a plain name, not a list or mapping"))
                continue
            # Keys stay as written: "on:" names something "on", not True.
            key = key_source.value
            # Another tag than the one the key would have without one (PyYAML's resolver is
            # not annotated; most keys are strings and need no second look).
            if key_source.tag != _TAG + "str" and key_source.tag != self._loader.resolve(  # type: ignore[no-untyped-call]
                yaml.ScalarNode, key, (True, False),
            ):
                # An explicit tag (``!secret name:``, ``!!bool key:``) would be dropped here
                # without a word; a key is a plain name.
                self.problems.append(Problem(
                    key_mark, child_path(path, key), f"unsupported yaml tag {key_source.tag!r} on a key (a key is a plain name)",
                ))
            if key in values:
                first = key_marks[key]
                self.problems.append(Problem(
                    key_mark, child_path(path, key),
                    f"duplicate key {key!r} (first defined at {first.line}:{first.column})",
                ))
                continue
            values[key] = self.build(value_source, child_path(path, key))
            key_marks[key] = key_mark
        # YAML merge keys ("<<: *defaults"): keys written here win, then earlier sources.
        for merged in merges:
            sources = merged.value if isinstance(merged, SequenceNode) else [merged]
            for merge_source in sources:
                if not isinstance(merge_source, MappingNode):
                    self.problems.append(Problem(merge_source.mark, path, "'<<' merges only mappings"))
                    continue
                for key, value in merge_source.value.items():
                    if key not in values:
                        values[key] = value
                        key_marks[key] = merge_source.key_marks[key]
        return MappingNode(values, mark, key_marks)
