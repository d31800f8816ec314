"""The editor's basics a Node-RED user meets first, in a real browser (Playwright with Debian's
chromium) against a real ``flowred run`` process (the fixtures of test_editor.py):

1. the change node's "Set msg.payload to the value" row has its own value input; the value set
   there reaches the debug sidebar after a deploy.
2. deleting a subflow asks first (naming its instances) and deletes its instances with it; a
   deploy that leaves the flows stopped (missing node types) never reports success.
3. the function node's dialog refuses a negative number of outputs.
4. dialogs keep the keyboard focus: Tab cycles inside, Escape cancels, Enter acts on nothing
   behind.
5. Ctrl+Shift+Z and Ctrl+Y redo what Ctrl+Z undid.
6. a new subflow shows in the palette at once, under its name; palette entries are labelled.
"""
from __future__ import annotations

import json

import pytest
import test_editor
from test_editor import OUTPUT, deploy, open_editor

sync_api = pytest.importorskip("playwright.sync_api")
expect = sync_api.expect

TAB = "f1a0000000000001"

# test_editor.py's fixtures: chromium, a flowred server process, a page that fails on page errors.
browser = test_editor.browser
start_server = test_editor.start_server
page = test_editor.page


def import_nodes(page, nodes: list[dict]) -> None:
    """Put ``nodes`` into the editor as an import does (not deployed yet)."""
    page.evaluate("(nodes) => window.flowred.importNodes(nodes)", nodes)


def tab_node() -> dict:
    return {"id": TAB, "type": "tab", "label": "Basics", "disabled": False, "info": "", "env": []}


def test_change_node_sets_a_value_from_the_dialog(start_server, page):
    server = start_server(None)
    open_editor(page, server, nodes=False)
    import_nodes(page, [
        tab_node(),
        {"id": "a1", "type": "inject", "z": TAB, "name": "go", "props": [{"p": "payload"}], "payload": "",
         "payloadType": "date", "repeat": "", "crontab": "", "once": False, "onceDelay": 0.1, "topic": "",
         "x": 120, "y": 100, "wires": [["a2"]]},
        {"id": "a2", "type": "change", "z": TAB, "name": "", "rules": [], "x": 300, "y": 100, "wires": [["a3"]]},
        {"id": "a3", "type": "debug", "z": TAB, "name": "out", "active": True, "tosidebar": True, "console": False,
         "tostatus": False, "complete": "payload", "targetType": "msg", "x": 480, "y": 100, "wires": []},
    ])
    page.locator('.node[data-node-id="a2"] .node-body').dblclick()
    tray = page.locator(".tray:not(.closing)")
    expect(tray).to_be_visible()
    rule = tray.locator(".change-rules .rule-row").first
    expect(rule.locator("select[aria-label=action]")).to_have_value("set")
    value = rule.locator('.typed-input:has(input[aria-label="to the value"])')
    expect(value).to_be_visible()
    expect(value.locator("input.ti-text")).to_be_visible()
    value.locator("input.ti-text").fill("set in the dialog")
    # The other actions have their own inputs; switching back keeps the set value.
    rule.locator("select[aria-label=action]").select_option("change")
    expect(rule.locator('input[aria-label="search for"]')).to_be_visible()
    expect(rule.locator('input[aria-label="replace with"]')).to_be_visible()
    rule.locator("select[aria-label=action]").select_option("move")
    expect(rule.locator('input[aria-label="move to"]')).to_be_visible()
    rule.locator("select[aria-label=action]").select_option("set")
    expect(value.locator("input.ti-text")).to_have_value("set in the dialog")
    OUTPUT.mkdir(exist_ok=True)
    tray.screenshot(path=str(OUTPUT / "change-dialog.png"))
    tray.locator(".edit-done").click()
    expect(tray).to_have_count(0)

    deploy(page)
    saved = {n["id"]: n for n in json.loads(server.flow_file.read_text())}
    assert saved["a2"]["rules"] == [{"t": "set", "p": "payload", "pt": "msg", "to": "set in the dialog", "tot": "str"}]
    page.get_by_role("button", name="Inject: go").click()
    message = page.locator(".debug-message")
    expect(message).to_have_count(1, timeout=15000)
    expect(message).to_contain_text("set in the dialog")


def subflow_nodes() -> list[dict]:
    """A tab with two instances of a one-node subflow "Doubler"."""
    return [
        tab_node(),
        {"id": "sf1", "type": "subflow", "name": "Doubler", "info": "", "category": "", "env": [],
         "in": [{"x": 50, "y": 30, "wires": [{"id": "sfn1"}]}],
         "out": [{"x": 300, "y": 30, "wires": [{"id": "sfn1", "port": 0}]}]},
        {"id": "sfn1", "type": "change", "z": "sf1", "name": "", "x": 170, "y": 30, "wires": [[]],
         "rules": [{"t": "set", "p": "payload", "pt": "msg", "to": "2", "tot": "num"}]},
        {"id": "i1", "type": "subflow:sf1", "z": TAB, "name": "", "x": 200, "y": 100, "wires": [[]]},
        {"id": "i2", "type": "subflow:sf1", "z": TAB, "name": "", "x": 200, "y": 180, "wires": [[]]},
    ]


def test_deleting_a_subflow_deletes_its_instances(start_server, page):
    server = start_server(None)
    open_editor(page, server, nodes=False)
    import_nodes(page, subflow_nodes())
    expect(page.locator('.flow-canvas .node[data-node-id="i1"]')).to_be_visible()
    deploy(page)

    page.locator("#tab-sf1").dblclick()
    page.locator("#tab-delete").click()
    confirm = page.locator(".dialog", has_text="Delete subflow")
    expect(confirm).to_be_visible()
    expect(confirm).to_contain_text("2 instances of this subflow will be deleted too")
    OUTPUT.mkdir(exist_ok=True)
    confirm.screenshot(path=str(OUTPUT / "delete-subflow-dialog.png"))
    page.locator("#tab-delete-confirm").click()
    expect(page.locator("#tab-sf1")).to_have_count(0)
    page.locator(f"#tab-{TAB}").click()
    expect(page.locator('.flow-canvas .node[data-node-id="i1"]')).to_have_count(0)
    expect(page.locator('.flow-canvas .node[data-node-id="i2"]')).to_have_count(0)
    assert page.evaluate("window.flowred.model.all.filter((n) => n.type.startsWith('subflow')).length") == 0

    deploy(page)
    flows = server.get("/flows")["flows"]
    assert not [n for n in flows if n["type"].startswith("subflow")]
    assert server.get("/flows/state")["state"] == "start"


def test_deploy_with_missing_types_is_not_reported_as_success(start_server, page):
    server = start_server(None)
    open_editor(page, server, nodes=False)
    import_nodes(page, [tab_node(), {"id": "u1", "type": "no-such-node", "z": TAB, "x": 200, "y": 100, "wires": []}])
    page.locator("#deploy-button").click()
    confirm = page.locator(".dialog", has_text="Confirm deploy")
    expect(confirm).to_contain_text("no-such-node")
    page.locator("#deploy-unknown-confirm").click()
    problem = page.locator(".notification-error", has_text="missing node types")
    expect(problem).to_be_visible(timeout=10000)
    OUTPUT.mkdir(exist_ok=True)
    page.screenshot(path=str(OUTPUT / "deploy-missing-types.png"))
    expect(problem).to_contain_text("no-such-node")
    expect(page.locator(".notification-success")).to_have_count(0)
    assert server.get("/flows/state")["state"] == "stop"


def test_function_dialog_refuses_negative_outputs(start_server, page):
    server = start_server(None)
    open_editor(page, server, nodes=False)
    import_nodes(page, [tab_node(), {"id": "fn1", "type": "function", "z": TAB, "name": "fn", "func": "return msg;",
                                     "outputs": 1, "timeout": 0, "noerr": 0, "initialize": "", "finalize": "",
                                     "libs": [], "x": 200, "y": 100, "wires": [["fn1"]]}])
    page.locator('.node[data-node-id="fn1"] .node-body').dblclick()
    tray = page.locator(".tray:not(.closing)")
    tray.locator(".form-tab-bar [role=tab]", has_text="Setup").click()      # outputs are in the Setup tab
    outputs = tray.locator('.form-row[data-field="outputs"] input')
    expect(outputs).to_have_attribute("min", "0")
    outputs.fill("-1")
    tray.locator(".edit-done").click()
    expect(tray.locator('.form-row[data-field="outputs"].has-error')).to_be_visible()
    expect(tray.locator(".form-errors")).to_contain_text("Outputs")
    expect(tray).to_be_visible()
    node = page.evaluate("window.flowred.model.get('fn1')")
    assert node["outputs"] == 1 and node["wires"] == [["fn1"]]
    outputs.fill("2")
    tray.locator(".edit-done").click()
    expect(tray).to_have_count(0)
    node = page.evaluate("window.flowred.model.get('fn1')")
    assert node["outputs"] == 2 and node["wires"] == [["fn1"], []]


def active_in(page, selector: str) -> bool:
    return page.evaluate("(sel) => !!document.activeElement && !!document.activeElement.closest(sel)", selector)


def test_dialogs_keep_the_keyboard(start_server, page):
    server = start_server(None)
    open_editor(page, server, nodes=False)
    import_nodes(page, [tab_node(), {"id": "c1", "type": "change", "z": TAB, "name": "keys", "x": 200, "y": 100,
                                     "wires": [[]],
                                     "rules": [{"t": "set", "p": "payload", "pt": "msg", "to": "x", "tot": "str"}]}])
    deploy(page)
    before = page.evaluate("JSON.stringify(window.flowred.model.all)")
    node = page.locator('.node[data-node-id="c1"] .node-body')
    node.click()
    node.dblclick()
    tray = page.locator(".tray:not(.closing)")
    expect(tray).to_be_visible()
    page.wait_for_function("!!document.activeElement.closest('.tray')")
    seen = set()
    for key in ["Tab"] * 30 + ["Shift+Tab"] * 30:
        page.keyboard.press(key)
        focused = page.evaluate("document.activeElement.outerHTML")
        assert active_in(page, ".tray"), f"{key} left the tray: {focused[:80]}"
        seen.add(focused)
    assert len(seen) > 5    # the focus went round the tray's fields and buttons

    # Enter in a field (and Delete, arrows) acts on nothing behind the tray.
    name = tray.locator('.form-row[data-field="name"] input')
    name.focus()
    for key in ("Enter", "Delete", "ArrowRight", "Control+d"):
        page.keyboard.press(key)
    expect(tray).to_be_visible()
    assert page.evaluate("[...window.flowred.canvas.selection]") == ["c1"]
    assert page.evaluate("JSON.stringify(window.flowred.model.all)") == before
    expect(page.locator("#deploy-button")).to_be_disabled()

    # Escape cancels, also when the focus was lost to the page behind.
    page.keyboard.press("Escape")
    expect(tray).to_have_count(0)
    node.dblclick()
    expect(tray).to_be_visible()
    page.evaluate("document.activeElement.blur()")
    page.keyboard.press("Escape")
    expect(tray).to_have_count(0)
    assert page.evaluate("JSON.stringify(window.flowred.model.all)") == before

    # A modal dialog traps Tab as well and Escape closes it.
    page.click("#main-menu-button")
    page.click("#menu-export")
    dialog = page.locator(".dialog")
    expect(dialog).to_be_visible()
    page.wait_for_function("!!document.activeElement.closest('.dialog')")
    for key in ["Tab"] * 15 + ["Shift+Tab"] * 15:
        page.keyboard.press(key)
        assert active_in(page, ".dialog")
    # buttons and inputs show a focus ring when reached with the keyboard
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline not in ("", "none")
    page.keyboard.press("Escape")
    expect(dialog).to_have_count(0)


def test_import_examples_opens_with_focus_in_it(start_server, page):
    server = start_server(None)
    open_editor(page, server, nodes=False)
    examples = server.get("/flows/examples")
    if not examples:
        pytest.skip("the server offers no examples")
    page.click("#main-menu-button")
    page.click("#menu-examples")
    dialog = page.locator(".dialog")
    expect(dialog.locator(".example-item").first).to_be_visible()
    page.wait_for_function("!!document.activeElement.closest('.dialog')")
    assert active_in(page, ".examples-list")
    page.keyboard.press("Escape")
    expect(dialog).to_have_count(0)


def test_redo_after_undo(start_server, page):
    server = start_server(None)
    open_editor(page, server, nodes=False)
    import_nodes(page, [tab_node(), {"id": "r1", "type": "change", "z": TAB, "name": "redo me", "rules": [],
                                     "x": 200, "y": 100, "wires": [[]]}])
    node = page.locator('.node[data-node-id="r1"]')
    node.locator(".node-body").click()
    page.keyboard.press("Delete")
    expect(node).to_have_count(0)
    for redo in ("Control+Shift+Z", "Control+y", "Control+Shift+Z"):
        page.keyboard.press("Control+z")
        expect(node).to_have_count(1)
        page.keyboard.press(redo)
        expect(node).to_have_count(0)
    # a new edit after an undo drops what could be redone
    page.keyboard.press("Control+z")
    expect(node).to_have_count(1)
    node.locator(".node-body").click()
    page.keyboard.press("ArrowRight")
    page.keyboard.press("Control+y")
    expect(node).to_have_count(1)
    expect(page.locator(".notification", has_text="Nothing to redo")).to_be_visible()
    # undo, redo through the menu as well
    page.click("#main-menu-button")
    page.click("#menu-undo")
    page.click("#main-menu-button")
    page.click("#menu-redo")
    assert page.evaluate("window.flowred.model.get('r1').x") == 201


def test_new_subflows_show_in_the_palette_at_once(start_server, page):
    server = start_server(None)
    open_editor(page, server, nodes=False)
    expect(page.get_by_role("button", name="Add an inject node")).to_be_visible()
    expect(page.get_by_role("button", name="Add a debug node")).to_be_visible()

    # Subflows › Create subflow: in the palette under its name, renamed at once.
    page.click("#main-menu-button")
    page.click("#menu-subflow-create")
    entry = page.locator('#palette .palette-node[data-type^="subflow:"]')
    expect(entry).to_have_count(1)
    expect(entry).to_have_text("Subflow 1")
    expect(page.get_by_role("button", name="Add a Subflow 1 subflow")).to_be_visible()
    subflow_id = entry.get_attribute("data-type").split(":", 1)[1]
    page.locator(f"#tab-{subflow_id}").dblclick()
    page.locator("#tab-name").fill("Shouter")
    page.locator("#tab-done").click()
    expect(entry).to_have_text("Shouter")
    expect(entry).to_have_attribute("title", "Subflow: Shouter")
    expect(page.get_by_role("button", name="Add a Shouter subflow")).to_be_visible()

    # Selection to subflow: the change node goes into a new subflow that runs in its place.
    import_nodes(page, [
        tab_node(),
        {"id": "s1", "type": "inject", "z": TAB, "name": "go", "props": [{"p": "payload"}], "payload": "",
         "payloadType": "date", "repeat": "", "crontab": "", "once": False, "onceDelay": 0.1, "topic": "",
         "x": 120, "y": 100, "wires": [["s2"]]},
        {"id": "s2", "type": "change", "z": TAB, "name": "", "x": 300, "y": 100, "wires": [["s3"]],
         "rules": [{"t": "set", "p": "payload", "pt": "msg", "to": "through the subflow", "tot": "str"}]},
        {"id": "s3", "type": "debug", "z": TAB, "name": "out", "active": True, "tosidebar": True, "console": False,
         "tostatus": False, "complete": "payload", "targetType": "msg", "x": 480, "y": 100, "wires": []},
    ])
    page.locator('.node[data-node-id="s2"] .node-body').click()
    page.click("#main-menu-button")
    page.click("#menu-subflow-selection")
    expect(page.locator('.flow-canvas .node[data-node-id="s2"]')).to_have_count(0)
    expect(entry).to_have_count(2)
    expect(page.locator("#palette .palette-node", has_text="Subflow 1")).to_have_count(1)
    OUTPUT.mkdir(exist_ok=True)
    page.locator("#palette").screenshot(path=str(OUTPUT / "palette-subflows.png"))
    instance = page.locator('.flow-canvas .node[data-type^="subflow:"], .flow-canvas .node[class*="node-type-subflow"]')
    expect(instance).to_have_count(1)
    deploy(page)
    page.get_by_role("button", name="Inject: go").click()
    message = page.locator(".debug-message")
    expect(message).to_have_count(1, timeout=15000)
    expect(message).to_contain_text("through the subflow")
    flows = server.get("/flows")["flows"]
    [inner] = [n for n in flows if n["id"] == "s2"]
    assert any(n["type"] == "subflow" and n["id"] == inner["z"] for n in flows)


def test_group_link_out_and_function_dialogs(start_server, page):
    server = start_server(None)
    open_editor(page, server, nodes=False)
    import_nodes(page, [
        tab_node(),
        {"id": "g1", "type": "group", "z": TAB, "name": "", "style": {"label": True}, "nodes": ["l1"],
         "x": 54, "y": 59, "w": 212, "h": 82},
        {"id": "l1", "type": "link out", "z": TAB, "g": "g1", "name": "", "mode": "", "links": [], "x": 160, "y": 100},
        {"id": "f1", "type": "function", "z": TAB, "name": "", "func": "return msg;", "outputs": 1, "timeout": 0,
         "noerr": 2, "initialize": "", "finalize": "", "libs": [], "x": 400, "y": 100, "wires": [[]]},
    ])
    group = page.locator('.flow-canvas .group[data-group-id="g1"]')
    expect(group).to_have_attribute("aria-label", "group")
    expect(group.locator(".group-label")).to_have_count(0)
    expect(page.locator(".flow-canvas")).not_to_contain_text("g1")

    page.locator('.node[data-node-id="l1"] .node-body').dblclick()
    tray = page.locator(".tray:not(.closing)")
    mode = tray.locator('.form-row[data-field="mode"] select')
    expect(mode).to_have_value("link")
    assert mode.locator("option").all_inner_texts() == ["link", "return"]
    mode.select_option("return")
    OUTPUT.mkdir(exist_ok=True)
    tray.screenshot(path=str(OUTPUT / "link-out-dialog.png"))
    tray.locator(".edit-done").click()
    expect(tray).to_have_count(0)
    assert page.evaluate("window.flowred.model.get('l1').mode") == "return"

    page.locator('.node[data-node-id="f1"] .node-body').dblclick()
    tray.locator(".form-tab-bar [role=tab]", has_text="Setup").click()      # outputs are in the Setup tab
    expect(tray.locator('.form-row[data-field="outputs"]')).to_be_visible()
    expect(tray.locator('.form-row[data-field="noerr"]')).to_have_count(0)
    tray.screenshot(path=str(OUTPUT / "function-dialog.png"))
    tray.locator(".edit-done").click()
    expect(tray).to_have_count(0)
    assert page.evaluate("window.flowred.model.get('f1').noerr") == 2
