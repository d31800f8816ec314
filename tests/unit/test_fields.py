"""The lenient config field types (flowred.fields): what each accepts, what an empty value
becomes, the error a wrong value gives, and the JSON schema the editor builds its inputs from."""
from __future__ import annotations

from typing import Literal

import pytest
from pydantic import Field, ValidationError

from flowred import (
    Bool,
    EmptyDefault,
    Flag,
    Integer,
    NodeConfig,
    NonNegative,
    Number,
    OptionalPort,
    OrDefault,
    Port,
    Text,
    TrimmedText,
    TruthyFlag,
)


class Example(NodeConfig):
    flag: Flag = False
    boolean: Bool = False
    truthy: TruthyFlag = False
    text: Text = ""
    trimmed: TrimmedText = ""
    mode: OrDefault[Literal["count", "interval"]] = "count"
    outputs: EmptyDefault[int] = 1
    rate: Number[float] = 1
    timeout: NonNegative[float] = 5
    keepalive: Integer[int] = 60
    port: Port = 1883
    local: OptionalPort = ""
    listen: Port = Field(1880)


def make(**fields):
    return Example(id="n1", type="example", **fields)


def error(**fields) -> tuple[str, str]:
    with pytest.raises(ValidationError) as info:
        make(**fields)
    (err,) = info.value.errors()
    return err["loc"][0], err["msg"]


@pytest.mark.parametrize("value, expected", [(True, True), ("true", True), (False, False), ("false", False),
                                             ("", False), (None, False), (1, False), ("TRUE", False)])
def test_flag_is_true_only_for_true(value, expected):
    assert make(flag=value).flag is expected


@pytest.mark.parametrize("value, expected", [(True, True), ("true", True), ("false", False), ("", False),
                                             (None, False), (1, True), (0, False)])
def test_bool_is_false_when_empty(value, expected):
    assert make(boolean=value).boolean is expected


def test_bool_refuses_text_that_is_no_boolean():
    assert error(boolean="maybe") == ("boolean", "Input should be a valid boolean, unable to interpret input")


@pytest.mark.parametrize("value, expected", [(" True ", True), ("false", False), ("yes", False), (1, True),
                                             (None, False), (True, True)])
def test_truthy_flag_reads_text_true_and_other_values_by_truthiness(value, expected):
    assert make(truthy=value).truthy is expected


@pytest.mark.parametrize("value, expected", [(None, ""), (1, "1"), (1.0, "1"), (2.5, "2.5"), (True, "true"),
                                             (" a ", " a ")])
def test_text_is_javascripts_string_of_numbers(value, expected):
    assert make(text=value).text == expected


def test_trimmed_text_drops_the_spaces_around():
    assert make(trimmed="  host.example \n").trimmed == "host.example"
    assert make(trimmed=None).trimmed == ""


def test_text_refuses_objects():
    assert error(text={"a": 1}) == ("text", "Input should be a valid string")


def test_empty_values_give_the_fields_default():
    config = make(mode="", outputs="", rate=" ", timeout=None, keepalive="", port="", local=None)
    assert (config.mode, config.outputs, config.rate, config.timeout, config.keepalive, config.port, config.local) \
        == ("count", 1, 1, 5, 60, 1883, "")


def test_or_default_is_javascripts_or():
    assert make(mode=0).mode == "count" and make(mode="interval").mode == "interval"


def test_an_enumeration_names_its_choices():
    assert error(mode="weekly") == ("mode", "Input should be 'count' or 'interval'")


def test_numbers_may_be_text():
    config = make(rate="0x10", timeout="2.5", keepalive="30.9", port=" 8080 ", local="53")
    assert (config.rate, config.timeout, config.keepalive, config.port, config.local) == (16, 2.5, 30, 8080, 53)


@pytest.mark.parametrize("fields, field, message", [
    ({"rate": "fast"}, "rate", "Value error, must be a number, not 'fast'"),
    ({"timeout": "-1"}, "timeout", "Value error, must be a number >= 0, not '-1'"),
    ({"keepalive": "soon"}, "keepalive", "Value error, must be a whole number, not 'soon'"),
    ({"keepalive": True}, "keepalive", "Value error, must be a whole number, not True"),
    ({"port": "http"}, "port", "Value error, port must be a number, got 'http'"),
    ({"port": 70000}, "port", "Value error, port must be 1-65535, got 70000"),
    ({"local": "0"}, "local", "Value error, port must be 1-65535, got '0'"),
])
def test_wrong_values_name_what_was_wrong(fields, field, message):
    assert error(**fields) == (field, message)


def test_a_required_port_left_empty_is_an_error():
    class Listener(NodeConfig):
        port: Port = Field(...)

    with pytest.raises(ValidationError, match="port\n  Field required"):
        Listener(id="n1", type="x", port="")


def test_the_schema_is_that_of_the_plain_types():
    props = Example.model_json_schema()["properties"]
    assert [props[k]["type"] for k in ("flag", "boolean", "truthy")] == ["boolean"] * 3
    assert [props[k]["type"] for k in ("text", "trimmed")] == ["string"] * 2
    assert props["mode"] == {"default": "count", "enum": ["count", "interval"], "title": "Mode", "type": "string"}
    assert [props[k]["type"] for k in ("outputs", "keepalive", "port", "rate", "timeout")] == \
        ["integer", "integer", "integer", "number", "number"]
    assert props["local"]["anyOf"] == [{"type": "integer"}, {"const": "", "type": "string"}]
