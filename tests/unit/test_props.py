"""Property expressions as Node-RED's normalisePropertyExpression / setMessageProperty."""
import pytest

from flowred import UNDEFINED, PropertyError, get_msg_property, parse_path, set_msg_property


@pytest.mark.parametrize("expr, keys", [
    ("payload", ("payload",)),
    ("ai.session.output_modalities[0]", ("ai", "session", "output_modalities", 0)),
    ('a["b-c"].d', ("a", "b-c", "d")),
    ("a['x y'][2][3].z", ("a", "x y", 2, 3, "z")),
])
def test_parse(expr, keys):
    assert parse_path(expr) == keys


@pytest.mark.parametrize("expr", ["", "a..b", "a.", ".a", "[0]", "a[x]", "a b", 'a["x]', "a[0]b"])
def test_parse_errors_name_the_position(expr):
    with pytest.raises(PropertyError, match="Invalid property expression"):
        parse_path(expr)


def test_set_creates_missing_parents_as_node_red():
    msg = {}
    set_msg_property(msg, "msg.ai.session.output_modalities[0]", "audio")
    set_msg_property(msg, "a.b[2]", 1)
    assert msg == {"ai": {"session": {"output_modalities": ["audio"]}}, "a": {"b": [None, None, 1]}}


def test_get_missing_is_undefined_and_set_through_a_string_fails():
    msg = {"a": "text"}
    assert get_msg_property(msg, "x.y") is UNDEFINED
    assert get_msg_property(msg, "a") == "text"
    with pytest.raises(PropertyError):
        set_msg_property(msg, "a.b", 1)
