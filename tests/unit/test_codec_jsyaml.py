"""flowred.nodes.codecs.jsyaml called directly: js-yaml 4's types when reading, its text when
writing, and its error shape (the yaml node's own tests cover msg handling)."""
from __future__ import annotations

import datetime as dt
import math

import pytest

from flowred import UNDEFINED
from flowred.nodes.codecs.jsyaml import MAX_ALIAS_EXPANSION, YamlError, dump_yaml, load_yaml


def test_values_written_and_read_back_are_the_same():
    value = {"name": "flow", "on": "yes", "n": [1, 2.5, -0.0, 10 ** 20], "empty": None, "nested": {"a": [{"b": True}]},
             "text": "two\nlines", "when": dt.datetime(2024, 5, 1, 12, 30, tzinfo=dt.timezone.utc)}
    text = dump_yaml(value)
    assert text.startswith("name: flow\n'on': 'yes'\n'n':\n  - 1\n  - 2.5\n  - -0.0\n  - 100000000000000000000\n")
    assert "text: |-\n  two\n  lines\n" in text
    back = load_yaml(text)
    assert back == value
    assert math.copysign(1, back["n"][2]) == -1


def test_js_yaml_implicit_types_not_yaml_1_1():
    assert load_yaml("a: yes\nb: on\nc: 010\nd: 1e3\ne: 0x1F\nf: .inf\ng: ~\nh: 2024-01-02") == {
        "a": "yes", "b": "on", "c": 10, "d": 1000.0, "e": 31, "f": math.inf, "g": None,
        "h": dt.datetime(2024, 1, 2, tzinfo=dt.timezone.utc)}
    assert load_yaml("base: &b {x: 1, y: 2}\nuse:\n  <<: *b\n  y: 3\n") == \
        {"base": {"x": 1, "y": 2}, "use": {"x": 1, "y": 3}}


def test_no_document_is_undefined_and_errors_have_js_yaml_shape():
    assert load_yaml("# only a comment\n") is UNDEFINED
    with pytest.raises(YamlError) as err:
        load_yaml("a: 1\na: 2\n")
    assert str(err.value).startswith("duplicated mapping key (2:1)\n\n 1 | a: 1\n 2 | a: 2\n-----^")
    with pytest.raises(YamlError, match="expected a single document in the stream, but found more"):
        load_yaml("a: 1\n---\nb: 2\n")


def test_alias_bombs_and_values_yaml_cannot_hold_are_refused():
    lines = ["a: &a [x, x, x, x, x, x, x, x, x, x]"]
    for i in range(1, 8):
        lines.append(f"{chr(97 + i)}: &{chr(97 + i)} [" + ", ".join([f"*{chr(96 + i)}"] * 10) + "]")
    with pytest.raises(YamlError, match=str(MAX_ALIAS_EXPANSION)):
        load_yaml("\n".join(lines))
    with pytest.raises(YamlError, match="set"):
        dump_yaml({"s": {1, 2}})
    with pytest.raises(YamlError):
        dump_yaml({"u": UNDEFINED})
