"""The one plugin-table idiom: lazy imports, clear unknown-name messages."""

from __future__ import annotations

import sys

import pytest

from ptzmapd.registry import Registry, UnknownName, load, suggest


def test_a_name_imports_its_module_only_when_asked() -> None:
    sys.modules.pop("json.tool", None)
    table: Registry[object] = Registry("widget", {"tool": "json.tool:main", "dumps": "json:dumps"})
    assert list(table) == ["tool", "dumps"] and len(table) == 2 and "tool" in table
    assert "json.tool" not in sys.modules
    import json.tool

    assert table["tool"] is json.tool.main
    assert table["dumps"] is table["dumps"]


def test_an_unknown_name_says_what_is_valid_and_what_was_meant() -> None:
    table: Registry[object] = Registry("protocol", {"visca-ip": "json:dumps", "pelco-d": "json:loads"})
    with pytest.raises(UnknownName) as caught:
        table["visac"]
    assert str(caught.value) == "unknown protocol 'visac' (did you mean 'visca-ip'? valid: visca-ip, pelco-d)"
    assert isinstance(caught.value, KeyError) and caught.value.valid == ("visca-ip", "pelco-d")


def test_load_refuses_a_target_without_an_attribute() -> None:
    with pytest.raises(ValueError, match="module:attribute"):
        load("json")
    assert load("os.path:join.__name__") == "join"


def test_suggest_is_empty_with_nothing_to_say() -> None:
    assert suggest(None, []) == ""
    assert suggest("Zoom", ["zoom", "pan"]) == " (did you mean 'zoom'? valid: zoom, pan)"
