"""libyaml's C loader and PyYAML's pure-Python one give the same marked tree and problems.

ptzmapd composes with libyaml when PyYAML has it (fast) and falls back to the pure-Python
parser for a file libyaml refuses (so every syntax message reads the same). These tests
hold the two to one result: every node's value, text and ``FILE:LINE:COL``, every key's
mark, and every problem the tree builder finds (duplicate keys, tags, merges).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ptzmapd.config.yamlmarks import FAST_LOADER, Node, Problem, _parse, parse_yaml

ROOT = Path(__file__).resolve().parent.parent
CORPUS = sorted([*(ROOT / "tests" / "configs").glob("*.yaml"), *(ROOT / "mappings").glob("*.yaml"),
                 ROOT / "studio.example.yaml"])

pytestmark = pytest.mark.skipif(FAST_LOADER is None, reason="PyYAML built without libyaml")

#: Texts that exercise what differs between parsers: characters of several widths before a
#: value, CRLF, NEL and LS inside quotes, block scalars, flow collections over lines,
#: anchors, merges, duplicate keys, tags on keys and values.
TRICKY = [
    "cameras:\n  bühne: {protocol: visca-ip, host: \"kämera\"}  # ä\n  ☃: {x: 1}\r\n  \U0001F600: 1\n",
    "a: 'one\n  two'\nb: |\n  lit\n   eral\nc: >-\n  fold\n  ed\n",
    "k: \"x\u2028y\\u00e9\"\nl: [1, 2,\n     {m: n}]\nn: \"a\x85b\"\n",
    "w: &a {p: 1, q: [1, 2]}\nv: {<<: *a, q: 2}\nu: [*a, *a]\n",
    "dup: 1\nother: 2\ndup: 3\nnested: {x: 1, x: 2}\n",
    "t: !foo x\n!!str on: 1\n!bar key: 2\n\"quoted\": !!int 7\nbin: !!binary aGk=\nset: !!set {a, b}\n",
    "\ufeffa: 1\n",
    "- a\n- - b\n  - c\n- {d: e}\n",
    "on: yes\noff: no\n1: 2\nnull: ~\n3.5: .inf\nd: 2024-01-01\n",
]


def both(text: str) -> tuple[tuple[Node | None, list[Problem]], tuple[Node | None, list[Problem]]]:
    assert FAST_LOADER is not None
    return _parse(text, "studio.yaml", FAST_LOADER), _parse(text, "studio.yaml", yaml.SafeLoader)


@pytest.mark.parametrize("path", CORPUS, ids=lambda path: path.name)
def test_every_corpus_file_gives_the_same_tree_and_problems_with_both_loaders(path: Path) -> None:
    text = path.read_bytes().decode("utf-8-sig", errors="replace")
    try:
        fast, pure = both(text)
    except yaml.YAMLError:
        return  # a file with a syntax error: the pure-Python parser words it (next test)
    assert fast == pure


@pytest.mark.parametrize("text", TRICKY)
def test_tricky_texts_give_the_same_tree_and_problems_with_both_loaders(text: str) -> None:
    fast, pure = both(text)
    assert fast == pure


def test_duplicate_keys_are_the_same_problem_at_the_same_place_with_both_loaders() -> None:
    fast, pure = both("cameras:\n  stage: {host: a}\n  pulpit: {}\n  stage: {host: b, host: c}\n")
    expected = [
        "studio.yaml:4:3: cameras.stage: duplicate key 'stage' (first defined at 2:3)",
    ]
    assert [str(problem) for problem in fast[1]] == [str(problem) for problem in pure[1]]
    assert [str(problem) for problem in fast[1]][:1] == expected
    # The duplicate's own value is not built (the first is kept), so its inner duplicate
    # is not reported either.
    assert len(fast[1]) == 1


@pytest.mark.parametrize("text", [
    "a: [1, 2\n", "a:\n\tb: 1\n", "a: 'x\n", "a: b: c\n", "a: \x01\n", "[" * 2000 + "]" * 2000 + "\n", "- a\nb: c\n",
])
def test_a_broken_text_reads_the_same_with_and_without_libyaml(text: str) -> None:
    assert parse_yaml(text, "studio.yaml", fast=True) == parse_yaml(text, "studio.yaml", fast=False)


_keys = st.text(st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=8)
_scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=12))
_values = st.recursive(
    _scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(_keys, inner, max_size=4)),
    max_leaves=20,
)


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.dictionaries(_keys, _values, min_size=1, max_size=5), flow=st.sampled_from([None, True, False]),
       width=st.sampled_from([20, 80]), line_break=st.sampled_from(["\n", "\r\n"]))
def test_any_dumped_document_gives_the_same_tree_with_both_loaders(
    data: dict[str, Any], flow: bool | None, width: int, line_break: str,
) -> None:
    text = yaml.safe_dump(data, default_flow_style=flow, width=width, allow_unicode=True, line_break=line_break)
    fast, pure = both(text)
    assert fast == pure


@pytest.mark.parametrize("fast", [True, False], ids=["libyaml", "pure-python"])
def test_a_tag_on_a_key_is_refused_at_the_key(fast: bool) -> None:
    text = "cameras:\n  !secret stage: {protocol: visca-ip, !!bool host: x}\n  \"quoted\": {!!str on: 1, !!int 1: 2}\n"
    _, problems = parse_yaml(text, "studio.yaml", fast=fast)
    assert [str(problem) for problem in problems] == [
        "studio.yaml:2:3: cameras.stage: unsupported yaml tag '!secret' on a key (a key is a plain name)",
        "studio.yaml:2:39: cameras.stage.host: unsupported yaml tag 'tag:yaml.org,2002:bool' on a key (a key is a plain name)",
    ]


def test_a_tag_on_a_key_fails_the_config(tmp_path: Path) -> None:
    from ptzmapd.config.loader import load_config
    from ptzmapd.errors import ConfigError

    path = tmp_path / "studio.yaml"
    path.write_text("cameras:\n  stage: {protocol: visca-ip, host: 127.0.0.2}\ninputs:\n  desk: {type: midi, port: x}\n"
                    "bindings:\n  - {input: desk, !ignored cc: 1, action: pan}\n")
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert caught.value.problems == [
        f"{path}:6:19: bindings[0].cc: unsupported yaml tag '!ignored' on a key (a key is a plain name)",
    ]


def test_parse_yaml_composes_with_libyaml_when_present(monkeypatch: pytest.MonkeyPatch) -> None:
    from ptzmapd.config import yamlmarks

    assert FAST_LOADER is not None
    used: list[str] = []

    class Counting(FAST_LOADER):  # type: ignore[misc, valid-type]
        def __init__(self, stream: str) -> None:
            used.append(stream)
            super().__init__(stream)

    monkeypatch.setattr(yamlmarks, "FAST_LOADER", Counting)
    node, problems = yamlmarks.parse_yaml("a: 1\n", "studio.yaml")
    assert used == ["a: 1\n"] and node is not None and not problems
