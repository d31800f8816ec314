"""The canvas features a Node-RED user reaches for, in a real browser (Playwright with Debian's
chromium) against a real ``flowred run`` process (the fixtures of test_editor.py):

1. quick-add: Ctrl+click on the background lists the node types at the pointer, Enter adds
   one there, Escape closes; a wire dropped on empty space adds a node wired to it.
2. splice: a single unwired node dragged onto a wire goes into it (the wire highlights first).
3. the right-click menu on a node, a wire, a group and the background.
4. workspace search (Ctrl+F) by name, type, id and property value across tabs; Ctrl+A.
5. keyboard shortcuts as Node-RED's keymap, listed in the "?" dialog.
6. link nodes: the target list in the dialog (tabs, filter, return mode), dragged link wires,
   shown link wires and the badge of links to other tabs.
7. the navigator and the zoom buttons.
8. a subflow's ports, status port and env properties edited on its tab; an instance's
   property overrides reach the running flow.
"""
from __future__ import annotations

import json

import pytest
import test_editor
from test_editor import OUTPUT, deploy, open_editor

sync_api = pytest.importorskip("playwright.sync_api")
expect = sync_api.expect

TAB = "c0a0000000000001"
TAB2 = "c0a0000000000002"

browser = test_editor.browser
start_server = test_editor.start_server
page = test_editor.page


def import_nodes(page, nodes: list[dict]) -> None:
    page.evaluate("(nodes) => window.flowred.importNodes(nodes)", nodes)


def tab(id_: str = TAB, label: str = "Tools") -> dict:
    return {"id": id_, "type": "tab", "label": label, "disabled": False, "info": "", "env": []}


def inject(id_: str, x: int, y: int, wires=None, z: str = TAB, name: str = "go") -> dict:
    return {"id": id_, "type": "inject", "z": z, "name": name, "props": [{"p": "payload"}], "payload": "",
            "payloadType": "date", "repeat": "", "crontab": "", "once": False, "onceDelay": 0.1, "topic": "",
            "x": x, "y": y, "wires": [wires or []]}


def debug(id_: str, x: int, y: int, z: str = TAB, name: str = "out") -> dict:
    return {"id": id_, "type": "debug", "z": z, "name": name, "active": True, "tosidebar": True, "console": False,
            "tostatus": False, "complete": "payload", "targetType": "msg", "x": x, "y": y, "wires": []}


def change(id_: str, x: int, y: int, z: str = TAB, name: str = "", wires=None, rules=None) -> dict:
    return {"id": id_, "type": "change", "z": z, "name": name, "x": x, "y": y, "wires": [wires or []],
            "rules": rules or [{"t": "set", "p": "payload", "pt": "msg", "to": "x", "tot": "str"}]}


def model_node(page, id_: str) -> dict:
    return page.evaluate("(id) => window.flowred.model.get(id)", id_)


def centre(locator) -> tuple[float, float]:
    box = locator.bounding_box()
    return box["x"] + box["width"] / 2, box["y"] + box["height"] / 2


def canvas_point(page, wx: float, wy: float) -> tuple[float, float]:
    """The page point of a world point of the canvas."""
    return tuple(page.evaluate("""([x, y]) => {
        const c = window.flowred.canvas; const r = c.svg.getBoundingClientRect();
      return [r.left + x * c.view.scale + c.view.x, r.top + y * c.view.scale + c.view.y]; }""", [wx, wy]))


def test_quick_add_at_the_pointer_and_from_a_wire(start_server, page):
    server = start_server(None)
    open_editor(page, server, nodes=False)
    import_nodes(page, [tab(), inject("q1", 120, 100)])
    expect(page.locator('.node[data-node-id="q1"]')).to_be_visible()

    x, y = canvas_point(page, 400, 300)
    page.keyboard.down("Control")
    page.mouse.click(x, y)
    page.keyboard.up("Control")
    popup = page.locator(".quick-add")
    expect(popup).to_be_visible()
    box = popup.bounding_box()
    assert abs(box["x"] - x) < 5 and abs(box["y"] - y) < 5    # at the pointer
    expect(popup.locator("input")).to_be_focused()
    popup.locator("input").press_sequentially("debu")
    expect(popup.locator(".quick-add-item").first).to_have_attribute("data-type", "debug")
    OUTPUT.mkdir(exist_ok=True)
    page.screenshot(path=str(OUTPUT / "quick-add.png"))
    page.keyboard.press("Enter")
    expect(popup).to_have_count(0)
    added = page.evaluate("window.flowred.model.nodesOn('%s').filter((n) => n.type === 'debug')" % TAB)
    assert len(added) == 1 and abs(added[0]["x"] - 400) <= 10 and abs(added[0]["y"] - 300) <= 10
    assert page.evaluate("[...window.flowred.canvas.selection]") == [added[0]["id"]]

    # Escape closes it without adding anything; so does a click elsewhere.
    page.keyboard.down("Control")
    page.mouse.click(x + 200, y)
    page.keyboard.up("Control")
    expect(popup).to_be_visible()
    page.keyboard.press("Escape")
    expect(popup).to_have_count(0)
    assert len(page.evaluate("window.flowred.model.nodesOn('%s')" % TAB)) == 2

    # A wire dropped on empty space: only types with an input are offered, the new node is wired.
    port = page.locator('.node[data-node-id="q1"] .port-output')
    px, py = centre(port)
    page.mouse.move(px, py)
    page.mouse.down()
    page.mouse.move(px + 100, py + 50, steps=5)
    page.mouse.move(px + 150, py + 100, steps=5)     # empty space (the debug node is at 400,300)
    page.mouse.up()
    expect(popup).to_be_visible()
    types = popup.locator(".quick-add-item").evaluate_all("(els) => els.map((e) => e.dataset.type)")
    assert "function" in types and "debug" in types and "inject" not in types
    popup.locator("input").fill("function")
    popup.locator('.quick-add-item[data-type="function"]').click()
    expect(popup).to_have_count(0)
    fn = page.evaluate("window.flowred.model.nodesOn('%s').find((n) => n.type === 'function')" % TAB)
    assert model_node(page, "q1")["wires"] == [[fn["id"]]]
    expect(page.locator(f'.wire[data-source="q1"][data-target="{fn["id"]}"]')).to_have_count(1)

    # Ctrl+. opens it too (no pointer: in the view).
    page.locator(".flow-canvas").focus()
    page.keyboard.press("Control+.")
    expect(popup).to_be_visible()
    page.keyboard.press("Escape")
    expect(popup).to_have_count(0)

    deploy(page)
    saved = {n["id"]: n for n in json.loads(server.flow_file.read_text())}
    assert saved["q1"]["wires"] == [[fn["id"]]] and saved[fn["id"]]["type"] == "function"


def test_splice_a_node_into_a_wire(start_server, page):
    server = start_server(None)
    open_editor(page, server, nodes=False)
    import_nodes(page, [tab(), inject("s1", 120, 100, ["s2"]), debug("s2", 520, 100), change("s3", 300, 260)])
    wire = page.locator('.wire[data-source="s1"][data-target="s2"]')
    expect(wire).to_have_count(1)
    sx, sy = centre(page.locator('.node[data-node-id="s3"] .node-body'))
    tx, ty = canvas_point(page, 320, 100)
    page.mouse.move(sx, sy)
    page.mouse.down()
    page.mouse.move(sx + 5, sy - 20, steps=3)
    page.mouse.move(tx, ty, steps=10)
    expect(wire).to_have_class("wire splice")    # highlighted while over it
    page.screenshot(path=str(OUTPUT / "splice.png"))
    page.mouse.up()
    assert model_node(page, "s1")["wires"] == [["s3"]]
    assert model_node(page, "s3")["wires"] == [["s2"]]
    expect(page.locator(".wire.splice")).to_have_count(0)
    # One undo step takes back the move and the splice.
    page.keyboard.press("Control+z")
    assert model_node(page, "s1")["wires"] == [["s2"]]
    assert model_node(page, "s3")["wires"] == [[]]

    # A node that already has wires is only moved.
    sx, sy = centre(page.locator('.node[data-node-id="s1"] .node-body'))
    page.mouse.move(sx, sy)
    page.mouse.down()
    page.mouse.move(sx + 40, sy + 150, steps=8)
    page.mouse.up()
    assert model_node(page, "s1")["wires"] == [["s2"]]


def test_context_menu_on_node_wire_group_and_canvas(start_server, page):
    server = start_server(None)
    open_editor(page, server, nodes=False)
    import_nodes(page, [tab(), inject("m1", 120, 100, ["m2"]), debug("m2", 420, 100), change("m3", 300, 260),
                        {"id": "mg", "type": "group", "z": TAB, "name": "grp", "style": {"label": True},
                         "nodes": ["m4"],
                         "x": 520, "y": 220, "w": 200, "h": 80},
                        change("m4", 620, 260)])
    model_node(page, "m4")
    page.evaluate("window.flowred.model.get('m4').g = 'mg'")
    menu = page.locator(".context-menu")

    page.locator('.node[data-node-id="m3"] .node-body').click(button="right")
    expect(menu).to_be_visible()
    labels = menu.locator(".menu-item .menu-label").all_inner_texts()
    for want in ["Edit…", "Cut", "Copy", "Paste", "Delete", "Disable node", "Group selection", "Selection to subflow",
                 "Export selection…", "Select all", "Add node…"]:
        assert want in labels, labels
    assert "Ungroup" not in labels
    expect(menu.locator("#ctx-paste")).to_be_disabled()
    page.screenshot(path=str(OUTPUT / "context-menu-node.png"))
    assert page.evaluate("[...window.flowred.canvas.selection]") == ["m3"]
    menu.locator("#ctx-toggle-disabled").click()
    expect(menu).to_have_count(0)
    assert model_node(page, "m3")["d"] is True
    expect(page.locator('.node[data-node-id="m3"]')).to_have_class("node node-type-change disabled selected")
    page.locator('.node[data-node-id="m3"] .node-body').click(button="right")
    expect(menu.locator("#ctx-toggle-disabled")).to_have_text("Enable node")
    menu.locator("#ctx-copy").click()
    page.locator('.node[data-node-id="m3"] .node-body').click(button="right")
    expect(menu.locator("#ctx-paste")).to_be_enabled()
    menu.locator("#ctx-edit").click()
    tray = page.locator(".tray:not(.closing)")
    expect(tray).to_be_visible()
    tray.locator(".edit-cancel").click()
    expect(tray).to_have_count(0)

    # A wire: insert a node into it, undo; then delete it.
    wx, wy = canvas_point(page, 270, 100)
    page.mouse.click(wx, wy, button="right")
    expect(menu.locator("#ctx-add-node .menu-label")).to_have_text("Insert node…")
    menu.locator("#ctx-add-node").click()
    page.locator(".quick-add input").fill("delay")
    page.keyboard.press("Enter")
    delay = page.evaluate("window.flowred.model.nodesOn('%s').find((n) => n.type === 'delay')" % TAB)
    assert model_node(page, "m1")["wires"] == [[delay["id"]]] and delay["wires"] == [["m2"]]
    page.keyboard.press("Control+z")
    assert model_node(page, "m1")["wires"] == [["m2"]]
    # A wire: delete it.
    path = page.locator('.wire[data-source="m1"][data-target="m2"] .wire-hit')
    wx, wy = canvas_point(page, 270, 100)
    page.mouse.click(wx, wy, button="right")
    expect(menu).to_be_visible()
    expect(menu.locator("#ctx-delete .menu-label")).to_have_text("Delete wire")
    menu.locator("#ctx-delete").click()
    assert model_node(page, "m1")["wires"] == [[]]
    expect(path).to_have_count(0)

    # A group: ungroup.
    gx, gy = canvas_point(page, 520, 260)     # on the group's outline
    page.mouse.click(gx, gy, button="right")
    expect(menu.locator("#ctx-ungroup")).to_be_visible()
    menu.locator("#ctx-ungroup").click()
    assert model_node(page, "mg") is None

    # The background: add a node there, select all; Escape closes.
    bx, by = canvas_point(page, 300, 450)
    page.mouse.click(bx, by)          # clears the selection
    page.mouse.click(bx, by, button="right")
    expect(menu).to_be_visible()
    expect(menu.locator("#ctx-edit")).to_have_count(0)
    expect(menu.locator("#ctx-cut")).to_be_disabled()
    page.keyboard.press("Escape")
    expect(menu).to_have_count(0)
    page.mouse.click(bx, by, button="right")
    menu.locator("#ctx-add-node").click()
    popup = page.locator(".quick-add")
    expect(popup).to_be_visible()
    popup.locator("input").fill("inject")
    page.keyboard.press("Enter")
    added = page.evaluate(
        "window.flowred.model.nodesOn('%s').filter((n) => n.type === 'inject' && n.id !== 'm1')" % TAB)
    assert len(added) == 1 and abs(added[0]["y"] - 450) <= 10
    page.mouse.click(bx + 200, by, button="right")
    menu.locator("#ctx-select-all").click()
    assert len(page.evaluate("[...window.flowred.canvas.selection]")) == 5


def test_search_across_tabs_and_select_all(start_server, page):
    server = start_server(None)
    open_editor(page, server, nodes=False)
    import_nodes(page, [tab(), tab(TAB2, "Second"), inject("f1", 120, 100), debug("f2", 320, 100, name="first out"),
                        change("f3", 3000, 2000, z=TAB2, name="far away",
                               rules=[{"t": "set", "p": "payload", "pt": "msg", "to": "needle-value", "tot": "str"}]),
                        debug("f4", 200, 100, z=TAB2, name="second out")])
    page.locator(f"#tab-{TAB}").click()
    page.locator(".flow-canvas").focus()
    page.keyboard.press("Control+f")
    box = page.locator(".workspace-search")
    expect(box).to_be_visible()
    field = box.locator("input")
    expect(field).to_be_focused()
    field.fill("needle-value")          # a property value, on the other tab
    results = box.locator(".search-result")
    expect(results).to_have_count(1)
    expect(results.first).to_contain_text("far away")
    expect(results.first).to_contain_text("Second")
    page.screenshot(path=str(OUTPUT / "search.png"))
    page.keyboard.press("Enter")
    expect(box).to_have_count(0)
    expect(page.locator(f"#tab-{TAB2}")).to_have_attribute("aria-selected", "true")
    assert page.evaluate("[...window.flowred.canvas.selection]") == ["f3"]
    node_box = page.locator('.node[data-node-id="f3"]').bounding_box()
    canvas_box = page.locator(".flow-canvas").bounding_box()
    assert canvas_box["x"] < node_box["x"] < canvas_box["x"] + canvas_box["width"]
    assert canvas_box["y"] < node_box["y"] < canvas_box["y"] + canvas_box["height"]

    # By type (both tabs), by id, by name; a click reveals.
    page.keyboard.press("Control+f")
    field.fill("debug")
    expect(results).to_have_count(2)
    field.fill("f2")
    expect(results.first).to_have_attribute("data-node-id", "f2")
    field.fill("first out")
    expect(results).to_have_count(1)
    results.first.click()
    expect(page.locator(f"#tab-{TAB}")).to_have_attribute("aria-selected", "true")
    assert page.evaluate("[...window.flowred.canvas.selection]") == ["f2"]
    page.keyboard.press("Control+f")
    field.fill("nothing matches this")
    expect(results).to_have_count(0)
    page.keyboard.press("Escape")
    expect(box).to_have_count(0)
    expect(page.locator(".flow-canvas")).to_be_focused()

    # Ctrl+A selects every node of the tab (not those of the other tab).
    page.locator(".flow-canvas").focus()
    page.keyboard.press("Control+a")
    assert sorted(page.evaluate("[...window.flowred.canvas.selection]")) == ["f1", "f2"]


def test_keyboard_shortcuts_dialog_and_keys(start_server, page):
    server = start_server(None)
    open_editor(page, server, nodes=False)
    import_nodes(page, [tab(), tab(TAB2, "Second"), inject("k1", 120, 100), debug("k2", 2400, 1600)])
    page.locator(".flow-canvas").focus()
    page.keyboard.press("Shift+/")
    dialog = page.locator(".dialog.shortcuts-dialog")
    expect(dialog).to_be_visible()
    text = dialog.inner_text()
    for keys in ["Ctrl-F", "Ctrl-D", "Ctrl-E", "Ctrl-I", "Ctrl-.", "Ctrl-Z", "Ctrl-Y", "Ctrl-A", "Ctrl-1",
                 "Shift-?", "Delete"]:
        assert keys in text, keys
    page.screenshot(path=str(OUTPUT / "shortcuts.png"))
    page.keyboard.press("Escape")
    expect(dialog).to_have_count(0)

    # Typing "?" in a field types it.
    page.keyboard.press("Control+f")
    page.locator(".workspace-search input").type("?")
    expect(page.locator(".workspace-search input")).to_have_value("?")
    expect(dialog).to_have_count(0)
    page.keyboard.press("Escape")

    # Ctrl+1 zooms to fit both nodes; Ctrl+0 resets; Ctrl+= zooms in.
    page.locator(".flow-canvas").focus()
    page.keyboard.press("Control+1")
    scale = page.evaluate("window.flowred.canvas.view.scale")
    assert scale < 0.7
    for id_ in ("k1", "k2"):
        b = page.locator(f'.node[data-node-id="{id_}"]').bounding_box()
        c = page.locator(".flow-canvas").bounding_box()
        assert c["x"] <= b["x"] and b["x"] + b["width"] <= c["x"] + c["width"], id_
    page.keyboard.press("Control+0")
    assert page.evaluate("window.flowred.canvas.view.scale") == 1
    page.keyboard.press("Control+=")
    assert page.evaluate("window.flowred.canvas.view.scale") > 1

    # Enter edits the selected node; Ctrl+] shows the next tab.
    page.evaluate("window.flowred.canvas.setSelection(['k1'])")
    page.locator(".flow-canvas").focus()
    page.keyboard.press("Enter")
    tray = page.locator(".tray:not(.closing)")
    expect(tray).to_be_visible()
    expect(tray).to_contain_text("Edit inject node")
    tray.locator(".edit-cancel").click()
    page.locator(".flow-canvas").focus()
    page.keyboard.press("Control+]")
    expect(page.locator(f"#tab-{TAB2}")).to_have_attribute("aria-selected", "true")
    page.keyboard.press("Control+[")
    expect(page.locator(f"#tab-{TAB}")).to_have_attribute("aria-selected", "true")


def test_link_nodes_targets_wires_and_badges(start_server, page):
    server = start_server(None)
    open_editor(page, server, nodes=False)
    import_nodes(page, [
        tab(), tab(TAB2, "Second"),
        inject("l0", 100, 100, ["lo"]),
        {"id": "lo", "type": "link out", "z": TAB, "name": "sender", "mode": "link", "links": [], "x": 280, "y": 100},
        {"id": "li1", "type": "link in", "z": TAB, "name": "here", "links": [], "x": 120, "y": 260, "wires": [["ld1"]]},
        debug("ld1", 320, 260, name="here out"),
        {"id": "li2", "type": "link in", "z": TAB2, "name": "there", "links": [],
         "x": 120, "y": 100, "wires": [["ld2"]]},
        debug("ld2", 320, 100, z=TAB2, name="there out"),
        {"id": "li3", "type": "link in", "z": TAB2, "name": "unused", "links": [], "x": 120, "y": 200, "wires": [[]]},
    ])
    page.locator('.node[data-node-id="lo"] .node-body').dblclick()
    tray = page.locator(".tray:not(.closing)")
    targets = tray.locator(".link-target")
    expect(targets).to_have_count(3)
    expect(tray.locator('.link-target[data-node-id="li2"]')).to_contain_text("Second")
    expect(tray.locator('.link-target[data-node-id="li1"]')).to_contain_text("Tools")
    tray.locator(".link-filter").fill("there")
    expect(tray.locator(".link-target:visible")).to_have_count(1)
    tray.locator('.link-target[data-node-id="li2"] input').check()
    tray.locator(".link-filter").fill("")
    expect(tray.locator(".link-target:visible")).to_have_count(3)
    tray.screenshot(path=str(OUTPUT / "link-targets.png"))
    # Return mode hides the list.
    mode = tray.locator('.form-row[data-field="mode"] select')
    mode.select_option("return")
    expect(tray.locator(".link-targets-row")).to_be_hidden()
    mode.select_option("link")
    expect(tray.locator(".link-targets-row")).to_be_visible()
    tray.locator(".edit-done").click()
    expect(tray).to_have_count(0)
    assert model_node(page, "lo")["links"] == ["li2"]
    assert model_node(page, "li2")["links"] == ["lo"]      # the other end lists it back

    # A selected link out shows a badge for its link on the other tab.
    page.locator('.node[data-node-id="lo"] .node-body').click()
    badge = page.locator('.link-offtab[data-node-id="lo"]')
    expect(badge).to_have_count(1)
    expect(badge).to_contain_text("1 on Second")

    # Drag a link wire from the link out's virtual port to the link in on the same tab.
    port = page.locator('.node[data-node-id="lo"] .port-link')
    expect(port).to_have_count(1)
    px, py = centre(port)
    tx, ty = centre(page.locator('.node[data-node-id="li1"] .node-body'))
    page.mouse.move(px, py)
    page.mouse.down()
    page.mouse.move(tx, ty, steps=8)
    page.mouse.up()
    assert model_node(page, "lo")["links"] == ["li2", "li1"]
    assert model_node(page, "li1")["links"] == ["lo"]
    assert model_node(page, "lo")["x"] == 280      # the node did not move
    link_wire = page.locator('.link-wire[data-a="lo"][data-b="li1"]')
    expect(link_wire).to_have_count(1)
    page.locator('.node[data-node-id="lo"] .node-body').click()
    expect(link_wire).to_have_class("link-wire show")
    stroke = link_wire.evaluate("(el) => getComputedStyle(el).strokeDasharray")
    assert stroke not in ("none", "")
    page.screenshot(path=str(OUTPUT / "link-wires.png"))
    page.mouse.move(5, 5)
    page.locator(".flow-canvas").focus()
    page.keyboard.press("Escape")
    expect(link_wire).not_to_have_class("link-wire show")
    page.locator('.node[data-node-id="li1"] .node-body').hover()
    expect(link_wire).to_have_class("link-wire show")

    # Dropped on empty space: quick-add offers link in nodes only, and links the new one.
    px, py = centre(port)
    page.mouse.move(px, py)
    page.mouse.down()
    page.mouse.move(px + 150, py + 250, steps=8)
    page.mouse.up()
    popup = page.locator(".quick-add")
    expect(popup).to_be_visible()
    assert popup.locator(".quick-add-item").evaluate_all("(els) => els.map((e) => e.dataset.type)") == ["link in"]
    page.keyboard.press("Enter")
    fresh = page.evaluate(
        "window.flowred.model.nodesOn('%s').find((n) => n.type === 'link in' && !['li1'].includes(n.id))" % TAB)
    assert fresh["links"] == ["lo"] and model_node(page, "lo")["links"] == ["li2", "li1", fresh["id"]]
    page.keyboard.press("Control+z")
    assert model_node(page, "lo")["links"] == ["li2", "li1"]

    # Unticked in the dialog: both ends forget it.
    page.locator('.node[data-node-id="lo"] .node-body').dblclick()
    tray.locator('.link-target[data-node-id="li1"] input').uncheck()
    tray.locator(".edit-done").click()
    expect(tray).to_have_count(0)
    assert model_node(page, "lo")["links"] == ["li2"] and model_node(page, "li1")["links"] == []
    expect(link_wire).to_have_count(0)
    page.keyboard.press("Control+z")
    assert model_node(page, "lo")["links"] == ["li2", "li1"] and model_node(page, "li1")["links"] == ["lo"]

    # The links work when deployed: one inject reaches both link ins.
    deploy(page)
    page.get_by_role("button", name="Inject: go").click()
    messages = page.locator(".debug-message")
    expect(messages).to_have_count(2, timeout=15000)
    saved = {n["id"]: n for n in json.loads(server.flow_file.read_text())}
    assert saved["lo"]["links"] == ["li2", "li1"] and saved["li2"]["links"] == ["lo"]


def test_navigator_and_zoom_buttons(start_server, page):
    server = start_server(None)
    open_editor(page, server, nodes=False)
    import_nodes(page, [tab()] + [change(f"z{i}", 100 + (i % 10) * 300, 100 + (i // 10) * 200) for i in range(40)])
    nav = page.locator("#navigator")
    expect(nav).to_be_hidden()
    page.locator("#navigator-toggle").click()
    expect(nav).to_be_visible()
    expect(page.locator("#navigator-toggle")).to_have_attribute("aria-pressed", "true")
    expect(nav).to_have_attribute("data-nodes", "40")
    painted = page.evaluate("""() => { const c = document.querySelector('.navigator-surface');
      const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data; let n = 0;
      for (let i = 3; i < d.length; i += 4) if (d[i]) n++; return n; }""")
    assert painted > 200
    page.screenshot(path=str(OUTPUT / "navigator.png"))
    before = page.evaluate("window.flowred.canvas.view.snapshot()")
    box = nav.bounding_box()
    page.mouse.click(box["x"] + box["width"] - 10, box["y"] + box["height"] - 10)
    after = page.evaluate("window.flowred.canvas.view.snapshot()")
    assert after["x"] < before["x"] and after["y"] < before["y"]     # moved towards the far corner
    page.mouse.move(box["x"] + 20, box["y"] + 20)
    page.mouse.down()
    page.mouse.move(box["x"] + 60, box["y"] + 40, steps=4)
    page.mouse.up()
    dragged = page.evaluate("window.flowred.canvas.view.snapshot()")
    assert dragged["x"] != after["x"]
    page.locator("#navigator-toggle").click()
    expect(nav).to_be_hidden()

    page.locator("#zoom-reset").click()
    assert page.evaluate("window.flowred.canvas.view.scale") == 1
    page.locator("#zoom-in").click()
    assert page.evaluate("window.flowred.canvas.view.scale") > 1
    page.locator("#zoom-out").click()
    page.locator("#zoom-out").click()
    assert page.evaluate("window.flowred.canvas.view.scale") < 1
    page.locator("#zoom-fit").click()
    fit = page.evaluate("window.flowred.canvas.view.snapshot()")
    assert fit["scale"] < 0.8
    c = page.locator(".flow-canvas").bounding_box()
    for id_ in ("z0", "z39"):
        b = page.locator(f'.node[data-node-id="{id_}"]').bounding_box()
        assert c["x"] <= b["x"] and b["x"] + b["width"] <= c["x"] + c["width"]
        assert c["y"] <= b["y"] and b["y"] + b["height"] <= c["y"] + c["height"]


def test_subflow_ports_status_and_env_properties(start_server, page):
    server = start_server(None)
    open_editor(page, server, nodes=False)
    greet = [{"t": "set", "p": "payload", "pt": "msg", "to": "GREETING", "tot": "env"}]
    import_nodes(page, [
        tab(),
        {"id": "sfa", "type": "subflow", "name": "Greeter", "info": "", "category": "", "env": [], "in": [], "out": []},
        change("sfc", 240, 100, z="sfa", rules=greet),
        {"id": "si", "type": "subflow:sfa", "z": TAB, "name": "", "x": 300, "y": 100, "wires": []},
        inject("sg", 100, 100, []),
        debug("sd", 520, 100),
    ])
    # The instance shows its template's name.
    expect(page.locator('.node[data-node-id="si"] .node-label')).to_have_text("Greeter")

    page.locator("#tab-sfa").click()
    bar = page.locator(".subflow-toolbar")
    expect(bar).to_be_visible()
    page.locator("#subflow-inputs-1").click()
    page.locator("#subflow-outputs-add").click()
    page.locator("#subflow-outputs-add").click()
    expect(page.locator("#subflow-outputs")).to_have_text("2")
    page.evaluate("() => { const m = window.flowred.model; m.checkpoint(); m.addWire('si', 1, 'sd'); }")
    assert model_node(page, "si")["wires"] == [[], ["sd"]]
    page.locator("#subflow-outputs-remove").click()
    expect(page.locator("#subflow-outputs")).to_have_text("1")
    assert model_node(page, "si")["wires"] == [[]]      # the removed output's wires went with it
    page.locator("#subflow-status").check()
    sf = model_node(page, "sfa")
    assert len(sf["in"]) == 1 and len(sf["out"]) == 1 and "status" in sf
    expect(page.locator(".subflow-port")).to_have_count(3)

    # Wire input port → change → output port.
    out_port = page.locator(".subflow-port-in .subflow-port-out")
    px, py = centre(out_port)
    tx, ty = centre(page.locator('.node[data-node-id="sfc"] .port-input'))
    page.mouse.move(px, py)
    page.mouse.down()
    page.mouse.move(tx, ty, steps=8)
    page.mouse.up()
    assert model_node(page, "sfa")["in"][0]["wires"] == [{"id": "sfc"}]
    px, py = centre(page.locator('.node[data-node-id="sfc"] .port-output'))
    tx, ty = centre(page.locator(".subflow-port-out .subflow-port-body"))
    page.mouse.move(px, py)
    page.mouse.down()
    page.mouse.move(tx, ty, steps=8)
    page.mouse.up()
    expect(page.locator(".quick-add")).to_have_count(0)
    assert model_node(page, "sfa")["out"][0]["wires"] == [{"id": "sfc", "port": 0}]
    expect(page.locator(".subflow-port-wire")).to_have_count(2)
    # The status port can be switched off again.
    page.locator("#subflow-status").uncheck()
    assert "status" not in model_node(page, "sfa")

    # Env properties of the definition.
    page.locator("#subflow-env").click()
    dialog = page.locator(".dialog.subflow-env-dialog")
    expect(dialog).to_be_visible()
    dialog.locator(".env-add").click()
    dialog.locator(".env-name").fill("GREETING")
    dialog.locator(".env-value").fill("hi")
    page.screenshot(path=str(OUTPUT / "subflow-toolbar-env.png"))
    page.locator("#subflow-env-done").click()
    assert model_node(page, "sfa")["env"] == [{"name": "GREETING", "type": "str", "value": "hi"}]
    page.screenshot(path=str(OUTPUT / "subflow-ports.png"))

    # The instance's dialog reads them; an override goes in the instance's env.
    page.locator(f"#tab-{TAB}").click()
    expect(bar).to_be_hidden()
    page.locator('.node[data-node-id="si"] .node-body').dblclick()
    tray = page.locator(".tray:not(.closing)")
    row = tray.locator(".subflow-env-row .env-row")
    expect(row).to_have_count(1)
    expect(row.locator(".env-name")).to_have_value("GREETING")
    expect(row.locator(".env-value")).to_have_attribute("placeholder", "hi")
    row.locator(".env-value").fill("hello")
    tray.locator(".edit-done").click()
    expect(tray).to_have_count(0)
    assert model_node(page, "si")["env"] == [{"name": "GREETING", "type": "str", "value": "hello"}]

    # Wired on the flow, deployed: the instance's value is the one used.
    page.evaluate("""() => { const m = window.flowred.model; m.checkpoint();
      m.addWire('sg', 0, 'si'); m.addWire('si', 0, 'sd'); }""")
    deploy(page)
    page.get_by_role("button", name="Inject: go").click()
    message = page.locator(".debug-message")
    expect(message).to_have_count(1, timeout=15000)
    expect(message).to_contain_text("hello")


def test_thousand_nodes_with_the_canvas_tools(start_server, page):
    """Figures, not bounds: 1000 nodes with the navigator shown while panning, one node dragged
    across the wires (the splice look-up runs), and a search over all of them."""
    server = start_server(None)
    open_editor(page, server, nodes=False)
    stats = page.evaluate("""() => {
      const nodes = [{id: "big", type: "tab", label: "big"}];
      for (let i = 0; i < 1000; i++) {
        nodes.push({id: "n" + i, type: i % 2 ? "debug" : "function", z: "big", name: "node " + i,
          x: 120 + (i % 25) * 160, y: 60 + Math.floor(i / 25) * 50, func: "return msg;", outputs: i % 2 ? 0 : 1,
          wires: i % 2 ? [] : [["n" + (i + 1)]]});
      }
      nodes.push({id: "lone", type: "change", z: "big", name: "lone", x: 60, y: 2100, rules: [], wires: [[]]});
      const t0 = performance.now();
      window.flowred.importNodes(nodes, {});
      return {draw: performance.now() - t0, count: document.querySelectorAll(".flow-canvas .node").length};
    }""")
    assert stats["count"] == 1001

    def frames(action) -> dict:
        page.evaluate("""() => { window.__frames = []; let last = performance.now();
          const tick = (t) => { window.__frames.push(t - last); last = t;
            if (window.__frames.length < 10000) window.__raf = requestAnimationFrame(tick); };
          window.__raf = requestAnimationFrame(tick); }""")
        action()
        times = sorted(page.evaluate("() => { cancelAnimationFrame(window.__raf); return window.__frames.slice(1); }"))
        return {"frames": len(times), "median_ms": round(times[len(times) // 2], 1) if times else None,
                "p95_ms": round(times[int(len(times) * 0.95)], 1) if times else None}

    page.locator("#navigator-toggle").click()
    expect(page.locator("#navigator")).to_have_attribute("data-nodes", "1001")

    def pan():
        for _ in range(60):
            page.mouse.wheel(7, 5)
    pan_stats = frames(pan)

    page.evaluate("""() => { const c = window.flowred.canvas; const { w, h } = c.size();
      c.view.set(w / 2 - 60, h - 120 - 2100, 1); }""")
    sx, sy = centre(page.locator('.node[data-node-id="lone"] .node-body'))

    def drag():
        page.mouse.move(sx, sy)
        page.mouse.down()
        for i in range(40):
            page.mouse.move(sx + i * 8, sy - i * 12)
        page.mouse.up()
    drag_stats = frames(drag)
    assert page.evaluate("window.flowred.model.get('lone').y") != 2100

    splice_ms = page.evaluate("""async () => {
      const { wireAt } = await import("./js/splice.js");
      const c = window.flowred.canvas; const t0 = performance.now();
      for (let i = 0; i < 20; i++) wireAt(c, 200 + i * 150, 60 + i * 50);
      return (performance.now() - t0) / 20; }""")
    search_ms = page.evaluate("""async () => {
      const t0 = performance.now();
      window.flowred.actions.run("core:search");
      const input = document.querySelector(".workspace-search input");
      input.value = "node 99";
      input.dispatchEvent(new Event("input"));
      return performance.now() - t0; }""")
    expect(page.locator(".search-result").first).to_be_visible()
    report = {"import_and_draw_ms": round(stats["draw"]), "pan_with_navigator": pan_stats,
              "drag_one_node_over_wires": drag_stats, "search_ms": round(search_ms, 1),
              "splice_lookup_ms": round(splice_ms, 2)}
    print("\n1000-node canvas with the tools:", json.dumps(report))
    OUTPUT.mkdir(exist_ok=True)
    (OUTPUT / "canvas-tools-perf.json").write_text(json.dumps(report, indent=2))
    assert pan_stats["frames"] > 0 and drag_stats["frames"] > 0
