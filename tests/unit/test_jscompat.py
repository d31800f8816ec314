"""JavaScript's value rules in flowred.jscompat, each checked against what Node.js gives
(the expected values are JavaScript's results, e.g. ``String(null) === "null"``)."""
import math

import pytest

from flowred import UNDEFINED
from flowred.env import EnvScope
from flowred.jscompat import (
    js_array_join,
    js_loose_equal,
    js_lt,
    js_number_text,
    js_to_number,
    js_to_primitive,
    js_to_string,
)


@pytest.mark.parametrize("value, text", [
    (None, "null"),                    # String(null)
    (UNDEFINED, "undefined"),          # String(undefined)
    (True, "true"), (False, "false"),
    (1.0, "1"), (0.1, "0.1"), (1e21, "1e+21"), (1e-7, "1e-7"), (-0.0, "0"),
    (math.nan, "NaN"), (-math.inf, "-Infinity"),
    ([1, None, "a", [2, 3]], "1,,a,2,3"),  # String([1, null, "a", [2, 3]])
    ([], ""),
    ({"a": 1}, "[object Object]"),
    (b"hi", "hi"),                     # a Buffer's toString()
    ("text", "text"),
])
def test_to_string_is_javascripts_String(value, text):
    assert js_to_string(value) == text


@pytest.mark.parametrize("value, number", [
    ("", 0), ("  12  ", 12), ("1.5", 1.5), ("0x1f", 31), ("0b11", 3), ("-Infinity", -math.inf),
    (None, 0), (True, 1), ([], 0), (["7"], 7), ("1e3", 1000.0),
])
def test_to_number_is_javascripts_Number(value, number):
    assert js_to_number(value) == number


@pytest.mark.parametrize("value", ["abc", "1_000", "inf", "12px", UNDEFINED, {}, [1, 2]])
def test_to_number_gives_NaN_where_javascript_does(value):
    # Number("1_000") and Number("inf") are NaN in JavaScript, though Python's int()/float() take them
    n = js_to_number(value)
    assert n != n


def test_number_text_is_number_toString():
    assert [js_number_text(v) for v in (5, 2.5, 123456789012345680000.0, 0.000001, 1.5e-7)] == \
        ["5", "2.5", "123456789012345680000", "0.000001", "1.5e-7"]


@pytest.mark.parametrize("items, sep, text", [
    (["a", 1, None, UNDEFINED, True], ",", "a,1,,,true"),  # ["a", 1, null, undefined, true].join()
    (["a", "b"], UNDEFINED, "a,b"),                        # join(undefined) uses ","
    (["a", "b"], None, "anullb"),                          # join(null) uses "null"
    ([1, 2], 0, "102"),
    ([[1, 2], {"x": 1}], "-", "1,2-[object Object]"),
])
def test_array_join_is_javascripts_join(items, sep, text):
    assert js_array_join(items, sep) == text


def test_comparisons_follow_javascript():
    assert js_loose_equal("1", 1) and js_loose_equal(None, UNDEFINED) and not js_loose_equal(None, 0)
    assert js_lt("10", 9) is False and js_lt("10", "9") is True  # numbers vs text comparison


def test_env_substitution_writes_values_as_javascripts_String():
    # Node-RED's evaluateEnvProperty: "${L}" with L = [1, null, 2.0] gives "1,,2", null gives "null"
    scope = EnvScope([{"name": "L", "value": "[1,null,2.0]", "type": "json"},
                      {"name": "N", "value": "null", "type": "json"},
                      {"name": "O", "value": '{"a":1}', "type": "json"},
                      {"name": "F", "value": "1e-7", "type": "num"},
                      {"name": "B", "value": "true", "type": "bool"}])
    assert scope.substitute("${L}|${N}|${O}|${F}|${B}|${FLOWRED_UNSET_VARIABLE}") == \
        "1,,2|null|[object Object]|1e-7|true|"


def test_to_primitive_turns_objects_into_text_only():
    assert [js_to_primitive(v) for v in ({"a": 1}, [1, 2], b"x", 5, None)] == ["[object Object]", "1,2", "x", 5, None]
