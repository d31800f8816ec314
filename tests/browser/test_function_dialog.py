"""The function and python-function dialogs as Node-RED 5's (10-function.html), in a real
browser (Playwright with Debian's chromium) against a real ``flowred run`` process:

1. tabs Setup / On Start / On Message / On Stop, from the config model's ``x-tab`` hints, On
   Message first; the code editor fills the tray; each editor keeps its text, cursor and undo
   history across tab switches, and after Done, deploy and reopening.
2. completion: ``msg.`` offers ``payload`` (and properties the code uses) and inserts it;
   ``node.``, ``RED.util.``, Ctrl+Space for names and keywords; python-function's ``node.``
   and ``msg['``. Screenshot: test-output/function-completion.png.
3. a Python syntax error is marked in the dialog with its line and column, and its tab is marked.
4. the server refuses a python-function whose code does not compile, naming line and column;
   the dialog opens on the tab of the field it names.
"""
from __future__ import annotations

import re

import pytest
import test_editor
from test_code_editor import (
    TAB,
    code_field,
    deployed,
    function_node,
    import_nodes,
    lines,
    open_editor,
    open_node,
    tab_node,
)
from test_editor import OUTPUT

sync_api = pytest.importorskip("playwright.sync_api")
expect = sync_api.expect

browser = test_editor.browser
start_server = test_editor.start_server
page = test_editor.page

TABS = ["Setup", "On Start", "On Message", "On Stop"]


def python_node(id_: str, func: str, **fields) -> dict:
    return {"id": id_, "type": "python-function", "z": TAB, "name": id_, "func": func, "outputs": 1,
            "initialize": "", "finalize": "", "timeout": 0, "x": 200, "y": 100, "wires": [[]], **fields}


def tab_button(tray, name: str):
    return tray.locator(".form-tab-bar [role=tab]", has_text=name)


def show_tab(tray, name: str) -> None:
    tab_button(tray, name).click()
    expect(tab_button(tray, name)).to_have_attribute("aria-selected", "true")


def focus_editor(page, tray, key: str) -> None:
    """Focus a code editor without moving its cursor (a click would)."""
    tray.locator(f'.form-row[data-field="{key}"] .cm-content').evaluate("(el) => el.focus()")


def completions(page) -> list[str]:
    """The labels of the open completion list, once it has settled (CodeMirror takes Enter
    only after its interactionDelay, 75 ms after the list opened)."""
    box = page.locator(".cm-tooltip-autocomplete")
    expect(box).to_be_visible(timeout=10000)
    page.wait_for_timeout(250)
    return box.locator("li .cm-completionLabel").all_inner_texts()


def test_function_dialog_has_node_reds_tabs_and_keeps_each_editor(start_server, page):
    server = start_server(None)
    open_editor(page, server, nodes=False)
    import_nodes(page, [tab_node(), function_node("fn1", "return msg;", initialize="// start", finalize="// stop")])
    tray = open_node(page, "fn1")
    assert [t.strip() for t in tray.locator(".form-tab-bar [role=tab]").all_inner_texts()] == TABS
    expect(tab_button(tray, "On Message")).to_have_attribute("aria-selected", "true")
    func = code_field(tray, "func")
    expect(tray.locator('.form-row[data-field="initialize"]')).to_be_hidden()
    expect(tray.locator('.form-row[data-field="outputs"]')).to_be_hidden()
    expect(tray.locator('.form-row[data-field="name"]')).to_be_visible()        # above the tabs, as Node-RED

    # the editor takes the tray's height (the tray body is 800 - header - footer px here)
    body = tray.locator(".tray-body").bounding_box()
    box = func.bounding_box()
    assert box["height"] > 0.55 * body["height"] and box["width"] > 0.9 * body["width"], (box, body)
    assert box["y"] + box["height"] <= body["y"] + body["height"] + 150

    # On Message: type, leave the cursor mid-text
    func.locator(".cm-content").click()
    page.keyboard.press("Control+End")
    page.keyboard.press("Enter")
    page.keyboard.type("// one")
    page.keyboard.press("ArrowLeft")
    page.keyboard.press("ArrowLeft")
    page.keyboard.press("ArrowLeft")

    # On Start: its own editor, its own text
    show_tab(tray, "On Start")
    expect(func).to_be_hidden()
    init = code_field(tray, "initialize")
    assert lines(init) == ["// start"]
    init.locator(".cm-content").click()
    page.keyboard.press("Control+End")
    page.keyboard.type(" here")

    # Setup holds outputs, timeout and modules
    show_tab(tray, "Setup")
    for key in ("outputs", "timeout", "libs"):
        expect(tray.locator(f'.form-row[data-field="{key}"]')).to_be_visible()
    tray.locator('.form-row[data-field="outputs"] input').fill("2")

    # back to On Message: the text is there, the cursor where it was, and undo still knows the typing
    show_tab(tray, "On Message")
    assert lines(func) == ["return msg;", "// one"]
    focus_editor(page, tray, "func")
    page.keyboard.type("X")
    assert lines(func)[1] == "// Xone"
    page.keyboard.press("Control+z")
    assert lines(func)[1] == "// one"
    page.keyboard.press("Control+z")
    assert lines(func) == ["return msg;"]
    page.keyboard.press("Control+Shift+z")
    assert lines(func) == ["return msg;", "// one"]

    # Done, deploy, reopen: every tab's code is kept, and On Message is shown first again
    tray.locator(".edit-done").click()
    expect(tray).to_have_count(0)
    node = page.evaluate("window.flowred.model.get('fn1')")
    assert (node["func"], node["initialize"], node["finalize"], node["outputs"]) == \
        ("return msg;\n// one", "// start here", "// stop", 2)
    page.click("#deploy-button")
    deployed(page)
    [saved] = [n for n in server.get("/flows")["flows"] if n["id"] == "fn1"]
    assert (saved["func"], saved["initialize"], saved["outputs"]) == ("return msg;\n// one", "// start here", 2)
    page.reload()
    open_editor(page, server, nodes=True)
    tray = open_node(page, "fn1")
    expect(tab_button(tray, "On Message")).to_have_attribute("aria-selected", "true")
    assert lines(code_field(tray, "func")) == ["return msg;", "// one"]
    show_tab(tray, "On Start")
    assert lines(code_field(tray, "initialize")) == ["// start here"]
    show_tab(tray, "On Stop")
    assert lines(code_field(tray, "finalize")) == ["// stop"]
    # the keyboard moves between tabs too
    tab_button(tray, "On Stop").focus()
    page.keyboard.press("ArrowLeft")
    expect(tab_button(tray, "On Message")).to_have_attribute("aria-selected", "true")
    tray.locator(".edit-cancel").click()


def test_python_function_gets_the_same_tabs(start_server, page):
    server = start_server(None)
    open_editor(page, server, nodes=False)
    import_nodes(page, [tab_node(), python_node("py1", "return msg", initialize="import math", finalize="pass")])
    tray = open_node(page, "py1")
    assert [t.strip() for t in tray.locator(".form-tab-bar [role=tab]").all_inner_texts()] == TABS
    expect(tab_button(tray, "On Message")).to_have_attribute("aria-selected", "true")
    code_field(tray, "func")
    show_tab(tray, "Setup")
    expect(tray.locator('.form-row[data-field="outputs"]')).to_be_visible()
    expect(tray.locator('.form-row[data-field="timeout"]')).to_be_visible()
    show_tab(tray, "On Start")
    assert lines(code_field(tray, "initialize")) == ["import math"]
    tray.locator(".edit-cancel").click()


def test_completion_of_the_function_api(start_server, page):
    server = start_server(None)
    open_editor(page, server, nodes=False)
    import_nodes(page, [tab_node(), function_node("fn1", "msg.count = 1;\nconst total = 2;\n")])
    tray = open_node(page, "fn1")
    func = code_field(tray, "func")
    func.locator(".cm-content").click()
    page.keyboard.press("Control+End")

    # typing after "msg." opens the list: payload, topic, _msgid and what the code uses
    page.keyboard.type("msg.")
    offered = completions(page)
    assert {"payload", "topic", "_msgid", "count"} <= set(offered) and offered[0] == "payload", offered
    OUTPUT.mkdir(exist_ok=True)
    tray.screenshot(path=str(OUTPUT / "function-completion.png"))
    page.locator(".cm-tooltip-autocomplete li", has_text="payload").click()
    expect(page.locator(".cm-tooltip-autocomplete")).to_have_count(0)
    assert lines(func)[-1] == "msg.payload"
    # typing narrows, Enter inserts
    page.keyboard.type(" = node.st")
    assert completions(page) == ["status"]
    page.keyboard.press("Enter")
    assert lines(func)[-1] == "msg.payload = node.status"

    page.keyboard.press("Enter")
    page.keyboard.type("RED.util.")
    assert {"cloneMessage", "generateId"} <= set(completions(page))
    page.keyboard.press("Escape")                       # closes the list, the tray stays
    expect(page.locator(".cm-tooltip-autocomplete")).to_have_count(0)
    expect(tray).to_be_visible()
    page.keyboard.type("x;")
    page.keyboard.press("Enter")
    page.keyboard.type("flow.")
    assert {"get", "set", "keys", "update"} <= set(completions(page))
    page.keyboard.type("k;")
    page.keyboard.press("Escape")
    page.keyboard.press("Enter")
    # Ctrl+Space: the sandbox's names, locals and keywords
    page.keyboard.type("to")
    page.keyboard.press("Control+Space")
    assert "total" in completions(page)
    page.keyboard.press("Escape")
    page.keyboard.press("Backspace")
    page.keyboard.press("Backspace")
    page.keyboard.press("Control+Space")
    offered = completions(page)
    assert {"msg", "node", "context", "flow", "global", "env", "RED", "return"} <= set(offered), offered
    page.keyboard.press("Escape")
    # nothing is offered inside a string
    page.keyboard.type("'msg.")
    page.wait_for_timeout(500)
    expect(page.locator(".cm-tooltip-autocomplete")).to_have_count(0)
    tray.locator(".edit-cancel").click()


def test_completion_of_the_python_function_api(start_server, page):
    server = start_server(None)
    open_editor(page, server, nodes=False)
    import_nodes(page, [tab_node(), python_node("py1", "msg['count'] = 1\n")])
    tray = open_node(page, "py1")
    func = code_field(tray, "func")
    func.locator(".cm-content").click()
    page.keyboard.press("Control+End")
    page.keyboard.type("node.")
    assert {"send", "done", "warn", "status", "outputCount"} <= set(completions(page))
    page.keyboard.type("se")
    assert completions(page)[0] == "send"
    page.keyboard.press("Enter")
    page.keyboard.type("(msg)")
    page.keyboard.press("End")
    page.keyboard.press("Enter")
    page.keyboard.type("x = msg['")
    assert {"payload", "topic", "_msgid", "count"} <= set(completions(page))
    page.locator(".cm-tooltip-autocomplete li", has_text="payload").click()
    assert lines(func)[-2:] == ["node.send(msg)", "x = msg['payload']"]
    page.keyboard.press("End")
    page.keyboard.press("Enter")
    page.keyboard.type("global_.")
    assert {"get", "set", "keys", "update"} <= set(completions(page))
    tray.locator(".edit-cancel").click()


def test_python_syntax_errors_are_marked_with_line_and_tab(start_server, page):
    server = start_server(None)
    open_editor(page, server, nodes=False)
    import_nodes(page, [tab_node(), python_node("py1", "x = 1\nreturn msg", initialize="import os")])
    tray = open_node(page, "py1")
    func = code_field(tray, "func")
    expect(func.locator(".cm-lint-marker-error")).to_have_count(0)
    func.locator(".cm-content").click()
    page.keyboard.press("Control+Home")
    page.keyboard.press("End")
    page.keyboard.press("Enter")
    page.keyboard.type("if x")                            # no colon
    page.keyboard.press("Enter")
    page.keyboard.type("    pass")
    marker = func.locator(".cm-lint-marker-error")
    expect(marker).to_have_count(1, timeout=10000)
    second = func.locator(".cm-lineNumbers .cm-gutterElement", has_text="2")
    assert abs(marker.bounding_box()["y"] - second.bounding_box()["y"]) < 8
    status = tray.locator('.form-row[data-field="func"] .code-status')
    expect(status).to_have_text("Line 2, column 5: Unexpected end of line")      # the colon is missing
    OUTPUT.mkdir(exist_ok=True)
    tray.screenshot(path=str(OUTPUT / "python-function-lint.png"))
    expect(tab_button(tray, "On Message")).to_have_class(re.compile(r"\bhas-syntax-error\b"))
    # On Start: an error there marks its tab while another is shown
    show_tab(tray, "On Start")
    init = code_field(tray, "initialize")
    init.locator(".cm-content").click()
    page.keyboard.press("Control+End")
    page.keyboard.type(" (")
    expect(init.locator(".cm-lint-marker-error")).to_have_count(1, timeout=10000)
    show_tab(tray, "Setup")
    expect(tab_button(tray, "On Start").locator(".form-tab-marker")).to_be_visible()
    expect(tab_button(tray, "On Message").locator(".form-tab-marker")).to_be_visible()
    expect(tab_button(tray, "On Stop").locator(".form-tab-marker")).to_be_hidden()
    # fixed: the marks go
    show_tab(tray, "On Start")
    focus_editor(page, tray, "initialize")
    page.keyboard.press("Control+End")
    page.keyboard.press("Backspace")
    page.keyboard.press("Backspace")
    expect(init.locator(".cm-lint-marker-error")).to_have_count(0, timeout=10000)
    expect(tab_button(tray, "On Start").locator(".form-tab-marker")).to_be_hidden()
    tray.locator(".edit-cancel").click()


def test_the_server_refuses_python_that_does_not_compile_naming_line_and_column(start_server, page):
    server = start_server(None)
    open_editor(page, server, nodes=False)
    import_nodes(page, [tab_node(), python_node("py1", "return msg", initialize="import os")])
    page.click("#deploy-button")
    deployed(page)
    tray = open_node(page, "py1")
    show_tab(tray, "On Start")
    init = code_field(tray, "initialize")
    init.locator(".cm-content").click()
    page.keyboard.press("Control+End")
    page.keyboard.press("Enter")
    page.keyboard.type("y = = 2")
    expect(init.locator(".cm-lint-marker-error")).to_have_count(1, timeout=10000)
    tray.locator(".edit-done").click()
    expect(tray).to_have_count(0)
    page.click("#deploy-button")
    note = page.locator(".notification", has_text="Not deployed")
    expect(note).to_contain_text("SyntaxError: invalid syntax (line 2, column 5)", timeout=15000)
    [saved] = [n for n in server.get("/flows")["flows"] if n["id"] == "py1"]
    assert saved["initialize"] == "import os"                   # the running flows stay
    # the dialog opens on the tab of the refused field, with the error there
    tray = open_node(page, "py1")
    expect(tab_button(tray, "On Start")).to_have_attribute("aria-selected", "true")
    expect(tab_button(tray, "On Start")).to_have_class(re.compile(r"\bhas-error\b"))
    expect(tab_button(tray, "On Start").locator(".form-tab-marker")).to_be_visible()
    expect(tray.locator(".form-errors")).to_contain_text("SyntaxError: invalid syntax (line 2, column 5)")
    expect(tray.locator('.form-row[data-field="initialize"]')).to_have_class(re.compile(r"\bhas-error\b"))
    tray.locator(".edit-cancel").click()
