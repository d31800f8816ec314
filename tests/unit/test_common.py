"""The helpers node modules share (flowred.nodes.common), against Node.js / Node-RED results."""
import datetime as dt

import pytest
from pydantic import TypeAdapter

from flowred import UNDEFINED, NodeError
from flowred.nodes.common import (
    NodeScope,
    b64decode,
    headers_hash,
    mustache_text,
    node_headers,
    parse_int,
    parse_json,
    to_json,
    unescape,
    unescape_controls,
)


def test_parse_json_is_strict_and_names_the_place():
    assert parse_json(b'{"a": [1, 2.5, null]}') == {"a": [1, 2.5, None]}
    with pytest.raises(NodeError, match=r"Invalid JSON: .* at line 1 column 8 \(position 7\)"):
        parse_json('{"a": 1,}')
    with pytest.raises(NodeError):
        parse_json("NaN")  # JSON.parse("NaN") throws


def test_to_json_writes_what_json_stringify_writes():
    when = dt.datetime(2024, 1, 2, 3, 4, 5, 678000, tzinfo=dt.timezone.utc)
    assert to_json({"b": b"\x01\x02", "d": when, "s": {1}, "n": float("nan"), "u": "é"}) == \
        '{"b":{"type":"Buffer","data":[1,2]},"d":"2024-01-02T03:04:05.678Z","s":{},"n":null,"u":"é"}'
    assert to_json({"a": [1]}, 4) == '{\n    "a": [\n        1\n    ]\n}'
    assert to_json([UNDEFINED]) == "[null]"
    with pytest.raises(TypeError):
        to_json(object())


@pytest.mark.parametrize("text, data", [
    ("aGVsbG8=", b"hello"),
    ("aGVsbG8", b"hello"),        # padding optional
    ("aGV s\nbG8=", b"hello"),    # characters outside the alphabet skipped
    ("-_8=", b"\xfb\xff"),        # URL-safe letters
    ("YQ==Yg==", b"a"),           # Buffer.from("YQ==Yg==", "base64") stops at the first "="
    ("YWJjZ", b"abc"),            # a lone last character holds no whole byte
    ("", b""),
])
def test_b64decode_is_nodejs_buffer_from_base64(text, data):
    assert b64decode(text) == data


@pytest.mark.parametrize("value, n", [("12px", 12), ("  -3", -3), (7.9, 7), ("x1", None), (True, None),
                                      (None, None), (float("inf"), None), ("+4", 4)])
def test_parse_int_is_javascripts_parseInt(value, n):
    assert parse_int(value) == n


def test_unescape_turns_the_editors_escapes_into_characters():
    assert unescape("a\\nb\\tc\\r\\f\\0\\e") == "a\nb\tc\r\f\0e"
    assert unescape("\\x") == "\\x"
    assert unescape_controls("a\\tb\\nc\\r\\f") == "a\tb\nc\r\\f"  # tcp and csv: only these three


def test_node_scope_of_catch_and_status():
    scope = TypeAdapter(NodeScope)
    assert [scope.validate_python(v) for v in ("", "all", None, "group", ["a"])] == [None, None, None, "group", ["a"]]


def test_mustache_text_writes_null_and_undefined_as_nothing():
    assert [mustache_text(v) for v in (None, UNDEFINED, 1.0, [1, None], {"a": 1}, True)] == \
        ["", "", "1", "1,", "[object Object]", "true"]


def test_node_headers_are_nodejs_message_headers():
    raw = [("Content-Type", "text/plain"), ("Set-Cookie", "a=1"), ("set-cookie", "b=2"), ("Cookie", "x=1"),
           ("cookie", "y=2"), ("X-Many", "1"), ("x-many", "2"), ("Content-Type", "text/html")]

    class Multi:
        def items(self):
            return raw

    assert node_headers(Multi()) == {"content-type": "text/plain", "set-cookie": ["a=1", "b=2"],
                                     "cookie": "x=1; y=2", "x-many": "1, 2"}


def test_headers_hash_changes_with_the_headers():
    assert headers_hash({"a": "1"}) == headers_hash({"a": "1"}) != headers_hash({"a": "2"})
