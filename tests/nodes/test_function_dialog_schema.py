"""What the function and python-function dialogs are built from, over the Admin API: the tabs
their config schemas name (as Node-RED's 10-function.html), and python-function code that does
not compile refused at deploy with the field, line and column (the running flows stay)."""
from __future__ import annotations

import pytest

from conftest import TEST_TAB, make_node

TABS = ["Setup", "On Start", "On Message", "On Stop"]


def pyfunc(id_: str, **fields) -> dict:
    base = {"func": "return msg", "outputs": 1, "timeout": 0, "initialize": "", "finalize": ""}
    return make_node(id_, "python-function", (), **{**base, **fields})


@pytest.mark.parametrize(("node_type", "setup"), [("function", {"outputs", "timeout", "libs"}),
                                                  ("python-function", {"outputs", "timeout"})])
async def test_the_schema_names_the_dialogs_tabs(start_runtime, node_type, setup):
    rt = await start_runtime([TEST_TAB])
    types = {t["type"]: t for t in await (await rt.http.get(rt.url + "/node-types")).json()}
    schema = types[node_type]["schema"]
    assert schema["x-tabs"] == TABS and schema["x-tab-default"] == "On Message"
    tabs = {key: prop.get("x-tab") for key, prop in schema["properties"].items()}
    assert (tabs["initialize"], tabs["func"], tabs["finalize"]) == ("On Start", "On Message", "On Stop")
    assert {key for key, tab in tabs.items() if tab == "Setup"} == setup
    assert tabs["name"] is None


@pytest.mark.parametrize(("field", "code", "where"), [
    ("func", "x = 1\nif x\n    pass\nreturn msg", "(line 2, column 5)"),
    ("initialize", "import os\ny = = 2", "(line 2, column 5)"),
    ("finalize", "print('a'", "(line 1, column 6)"),
])
async def test_python_that_does_not_compile_is_refused_with_its_location(start_runtime, field, code, where):
    rt = await start_runtime([TEST_TAB, pyfunc("pf")])
    resp = await rt.deploy([TEST_TAB, pyfunc("pf", **{field: code})], expect=400)
    [error] = (await resp.json())["errors"]
    assert error["id"] == "pf" and error["field"] == field
    assert "SyntaxError: " in error["message"] and where in error["message"], error
    flows = await (await rt.http.get(rt.url + "/flows")).json()
    assert [n.get(field) for n in flows if n["id"] == "pf"] == [pyfunc("pf")[field]]
