"""The debug sidebar's encoding, checked against Node-RED's encodeObject (spec §4) and the
frames real Node-RED published for the seed flow (tests/reference/good_comms_debug.json)."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from flowred.encode import encode_object
from flowred.jscompat import js_number_text
from flowred.values import UNDEFINED

REFERENCE = Path(__file__).resolve().parents[1] / "reference"


def enc(value, max_length=1000):
    out = encode_object({"id": "n1", "msg": value}, max_length)
    assert out["id"] == "n1"
    return out["msg"], out["format"]


def test_reference_debug_frames_are_reproduced_byte_for_byte():
    for frame in json.loads((REFERENCE / "good_comms_debug.json").read_text()):
        value = json.loads(frame["msg"])
        out = encode_object({k: v for k, v in frame.items() if k not in ("msg", "format")} | {"msg": value})
        assert out == frame


@pytest.mark.parametrize("value, expected", [
    ("tp", ("tp", "string[2]")),
    ("", ("", "string[0]")),
    (10, ("10", "number")),
    (1.0, ("1", "number")),
    (float("nan"), ("NaN", "number")),
    (float("-inf"), ("-Infinity", "number")),
    (True, ("true", "boolean")),
    (None, ("(undefined)", "null")),
    (UNDEFINED, ("(undefined)", "undefined")),
    (b"\x01\xff", ("01ff", "buffer[2]")),
    ([1, 2, 3], ("[1,2,3]", "array[3]")),
    ({"a": "é"}, ('{"a":"é"}', "Object")),
])
def test_top_level_formats(value, expected):
    assert enc(value) == expected


def test_missing_msg_is_undefined():
    assert encode_object({"id": "x"})["format"] == "undefined"


def test_long_string_is_cut_with_dots_and_keeps_its_length_in_the_format():
    assert enc("x" * 12, 10) == ("x" * 10 + "...", "string[12]")


def test_long_buffer_hex_is_cut():
    assert enc(bytes(20), 8) == ("0" * 8, "buffer[20]")


def test_long_array_becomes_an_array_marker():
    text, fmt = enc(list(range(15)), 10)
    assert fmt == "array[15]"
    assert json.loads(text) == {"__enc__": True, "type": "array", "data": list(range(10)), "length": 15}


def test_nested_values_are_replaced_as_json_stringify_safe():
    value = {"s": "y" * 30, "n": float("nan"), "u": UNDEFINED, "b": b"ab", "l": list(range(25)),
             "_req": {"x": 1}, "e": ValueError("bad"), "f": len}
    text, fmt = enc(value, 20)
    assert fmt == "Object"
    assert json.loads(text) == {
        "s": "y" * 20 + "...",
        "n": {"__enc__": True, "type": "number", "data": "NaN"},
        "u": {"__enc__": True, "type": "undefined"},
        "b": {"type": "Buffer", "data": [97, 98], "__enc__": True, "length": 2},
        "l": {"__enc__": True, "type": "array", "data": list(range(20)), "length": 25},
        "_req": {"__enc__": True, "type": "internal"},
        "e": "ValueError: bad",
        "f": {"__enc__": True, "type": "function"},
    }


def test_circular_references_name_their_path():
    value = {"a": {"b": {}}}
    value["self"] = value
    value["a"]["b"]["up"] = value["a"]
    assert json.loads(enc(value)[0]) == {"a": {"b": {"up": "[Circular ~.a]"}}, "self": "[Circular ~]"}


def test_a_shared_but_not_circular_object_is_written_twice():
    shared = {"k": 1}
    assert json.loads(enc({"x": shared, "y": shared})[0]) == {"x": {"k": 1}, "y": {"k": 1}}


def test_top_level_exception_is_an_error_marker():
    try:
        raise KeyError("missing")
    except KeyError as err:
        text, fmt = enc(err)
    data = json.loads(text)
    assert fmt == "error" and data["__enc__"] is True and data["type"] == "error"
    assert data["data"]["name"] == "KeyError" and "missing" in data["data"]["message"]
    assert "Traceback" in data["data"]["stack"]


def test_set_and_other_objects():
    text, fmt = enc({1, 2})
    assert fmt == "set[2]" and json.loads(text)["type"] == "set"

    class Point:
        def __init__(self):
            self.x, self.y = 1, 2

    assert enc(Point()) == ('{"x":1,"y":2}', "Point")


@pytest.mark.parametrize("value, text", [
    (0.1, "0.1"), (1e-7, "1e-7"), (1e21, "1e+21"), (1e20, "100000000000000000000"),
    (1.5e-6, "0.0000015"), (-2.5e22, "-2.5e+22"), (123.456, "123.456"), (0.0, "0"),
])
def test_numbers_are_written_as_javascript_does(value, text):
    assert js_number_text(value) == text


def test_string_length_counts_utf16_code_units_as_javascript():
    # Node-RED's example "storage/write file/04" shows a lone emoji as string[2]
    assert encode_object({"msg": "😀"}) == {"msg": "😀", "format": "string[2]"}
    assert encode_object({"msg": "é"})["format"] == "string[1]"
    assert encode_object({"msg": "😀😀abc"}, 4) == {"msg": "😀😀...", "format": "string[7]"}
    assert encode_object({"msg": "😀😀abc"}, 3)["msg"] == "😀..."
