"""The editor's looks in a real browser (Playwright with Debian's chromium) against a real
``flowred run`` process (the fixtures of test_editor.py):

1. the theme follows the system (prefers-color-scheme) until one is chosen in the main menu;
   secondary text meets WCAG AA (4.5:1, computed from the rendered colours) in both themes,
   and focused controls show a ring.
2. a named node's label is in italics, as Node-RED's core nodes' labelStyle; default labels are
   not. Node types that used to share the gear have icons of their own.
3. a group's border holds its nodes' inject button and debug toggle; a node dropped from the
   palette, or dragged, into a group joins it.
4. the footer's emulator URL follows a server restart.
5. a "modified nodes" deploy of flows with subflows says it was a full restart.
"""
from __future__ import annotations

import socket

import pytest
import test_editor
from test_editor import OUTPUT, deploy, open_editor

sync_api = pytest.importorskip("playwright.sync_api")
expect = sync_api.expect

TAB = "100c000000000001"

browser = test_editor.browser
start_server = test_editor.start_server
page = test_editor.page


def import_nodes(page, nodes: list[dict]) -> None:
    page.evaluate("(nodes) => window.flowred.importNodes(nodes)", nodes)


def tab() -> dict:
    return {"id": TAB, "type": "tab", "label": "Looks", "disabled": False, "info": "", "env": []}


def inject(id_: str, name: str, x: int, y: int, wires: list[str]) -> dict:
    return {"id": id_, "type": "inject", "z": TAB, "name": name, "props": [{"p": "payload"}], "payload": "",
            "payloadType": "date", "repeat": "", "crontab": "", "once": False, "onceDelay": 0.1, "topic": "",
            "x": x, "y": y, "wires": [wires]}


def debug(id_: str, name: str, x: int, y: int) -> dict:
    return {"id": id_, "type": "debug", "z": TAB, "name": name, "active": True, "tosidebar": True, "console": False,
            "tostatus": False, "complete": "payload", "targetType": "msg", "x": x, "y": y, "wires": []}


# Contrast of each visible element matching the selectors against the colour behind it
# (backgrounds of its ancestors, blended when translucent), as WCAG 2's contrast ratio.
CONTRAST_JS = """(selectors) => {
  const parse = (c) => {
    const m = c.match(/rgba?\\(([^)]+)\\)/);
    if (!m) return null;
    const p = m[1].split(/[ ,/]+/).filter(Boolean).map(Number);
    return { r: p[0], g: p[1], b: p[2], a: p.length > 3 ? p[3] : 1 };
  };
  const over = (top, under) => ({
    r: top.r * top.a + under.r * (1 - top.a), g: top.g * top.a + under.g * (1 - top.a),
    b: top.b * top.a + under.b * (1 - top.a), a: 1 });
  const background = (el) => {
    const layers = [];
    for (let e = el; e; e = e.parentElement) {
      const c = parse(getComputedStyle(e).backgroundColor);
      if (c && c.a > 0) { layers.push(c); if (c.a >= 1) break; }
    }
    let bg = { r: 255, g: 255, b: 255, a: 1 };
    for (const layer of layers.reverse()) bg = over(layer, bg);
    return bg;
  };
  const lum = ({ r, g, b }) => {
    const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
    return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
  };
  const out = [];
  for (const sel of selectors) {
    for (const el of document.querySelectorAll(sel)) {
      if (!el.offsetParent && getComputedStyle(el).position !== "fixed") continue;
      if (!el.textContent.trim()) continue;
      const bg = background(el);
      const fg = over(parse(getComputedStyle(el).color), bg);
      const [a, b] = [lum(fg), lum(bg)].sort((x, y) => y - x);
      out.push({ sel, text: el.textContent.trim().slice(0, 30), ratio: (a + 0.05) / (b + 0.05),
        fg: getComputedStyle(el).color, bg: `rgb(${bg.r}, ${bg.g}, ${bg.b})` });
    }
  }
  return out;
}"""

SECONDARY = [
    ".debug-message-time", ".debug-message-node", ".debug-message-prop", ".debug-message-format",
    ".jt-meta", ".jt-preview", ".jt-colon", ".jt-key", ".jt-string", ".jt-number", ".sidebar-count",
    "#footer-version", ".sidebar-tabs [role=tab]", ".sidebar-title", ".workspace-tab", ".palette-category-header",
]
PANE_TEXT = [".info-props th", ".info-props td", ".pane-subtitle", ".pane-count", ".pane-empty", ".pane-title"]


def low_contrast(page, selectors: list[str]) -> tuple[list[dict], int]:
    found = page.evaluate(CONTRAST_JS, selectors)
    return [f for f in found if f["ratio"] < 4.5], len(found)


def choose_theme(page, which: str) -> None:
    page.locator("#main-menu-button").click()
    page.locator(f"#menu-theme-{which}").click()


def sidebar_luminance(page) -> float:
    rgb = page.evaluate("getComputedStyle(document.querySelector('#sidebar')).backgroundColor")
    r, g, b = (int(v) for v in rgb[rgb.index("(") + 1:rgb.index(")")].split(",")[:3])
    return (0.2126 * r + 0.7152 * g + 0.0722 * b) / 255


def test_theme_follows_the_system_contrast_and_focus(start_server, page):
    page.emulate_media(color_scheme="dark")
    server = start_server(None)
    open_editor(page, server, nodes=False)
    assert page.evaluate("document.documentElement.dataset.theme") is None
    assert sidebar_luminance(page) < 0.2
    page.emulate_media(color_scheme="light")
    assert sidebar_luminance(page) > 0.9

    import_nodes(page, [tab(), inject("i1", "", 160, 100, ["d1"]), debug("d1", "", 460, 100)])
    deploy(page)
    page.get_by_role("button", name="Inject: timestamp").click()
    page.get_by_role("button", name="Inject: timestamp").click()
    expect(page.locator(".debug-message")).to_have_count(2, timeout=10000)

    for theme in ("light", "dark"):
        choose_theme(page, theme)
        assert page.evaluate("document.documentElement.dataset.theme") == theme
        assert (sidebar_luminance(page) < 0.2) == (theme == "dark")
        bad, checked = low_contrast(page, SECONDARY)
        assert checked >= 12, checked
        assert not bad, f"{theme}: {bad}"
        page.locator('.node[data-node-id="d1"] .node-body').click()
        page.locator("#sidebar-tab-info").click()
        bad, checked = low_contrast(page, PANE_TEXT)
        assert checked >= 6, checked
        assert not bad, f"{theme} info pane: {bad}"
        page.locator("#sidebar-tab-context").click()
        expect(page.locator("#pane-context .pane-empty").first).to_be_visible()
        bad, checked = low_contrast(page, PANE_TEXT)
        assert checked >= 3 and not bad, f"{theme} context pane: {bad}"
        page.locator("#sidebar-tab-debug").click()

        # The edit tray's buttons, Done (the primary one) included, are readable.
        page.locator('.node[data-node-id="d1"] .node-body').dblclick()
        expect(page.get_by_role("button", name="Done")).to_be_visible()
        bad, checked = low_contrast(page, [".btn"])
        assert checked >= 3 and not bad, f"{theme} buttons: {bad}"
        page.get_by_role("button", name="Cancel").click()

        # Focus rings: a keyboard-focused control shows a 2px outline.
        for selector in ["#debug-clear", "#sidebar-tab-info", "#zoom-in", '.palette-node[data-type="inject"]']:
            page.keyboard.press("Shift")
            page.locator(selector).focus()
            ring = page.evaluate("""(sel) => { const s = getComputedStyle(document.querySelector(sel));
              return { visible: document.querySelector(sel).matches(':focus-visible'), style: s.outlineStyle,
                       width: parseFloat(s.outlineWidth) }; }""", selector)
            assert ring["visible"] and ring["style"] != "none" and ring["width"] >= 2, (theme, selector, ring)
    OUTPUT.mkdir(exist_ok=True)
    page.screenshot(path=str(OUTPUT / "theme-dark.png"))

    # The choice is kept, over the system's preference.
    page.emulate_media(color_scheme="light")
    page.reload()
    expect(page.locator("#deploy-state")).not_to_have_attribute("data-state", "loading", timeout=10000)
    assert page.evaluate("document.documentElement.dataset.theme") == "dark"
    choose_theme(page, "system")
    assert page.evaluate("document.documentElement.dataset.theme") is None
    assert sidebar_luminance(page) > 0.9


def test_italic_names_and_icons(start_server, page):
    server = start_server(None)
    open_editor(page, server, nodes=False)
    import_nodes(page, [
        tab(),
        inject("i1", "named inject", 160, 100, []),
        inject("i2", "", 160, 180, []),
        {"id": "c1", "type": "change", "z": TAB, "name": "", "rules": [], "x": 400, "y": 100, "wires": [[]]},
        {"id": "c2", "type": "change", "z": TAB, "name": "tidy", "rules": [], "x": 400, "y": 180, "wires": [[]]},
    ])
    style = "(el) => getComputedStyle(el).fontStyle"
    for node, italic in [("i1", True), ("i2", False), ("c1", False), ("c2", True)]:
        label = page.locator(f'.node[data-node-id="{node}"] .node-label')
        assert label.evaluate(style) == ("italic" if italic else "normal"), node

    icon = "(type) => document.querySelector(`.palette-node[data-type=\"${type}\"] .node-icon`).getAttribute('d')"
    types = ["exec", "file", "file in", "mqtt in", "tcp in", "udp in", "watch"]
    icons = {t: page.evaluate(icon, t) for t in types}
    cog = icons.pop("exec")                     # Node-RED's exec node has the cog
    assert cog not in icons.values(), icons
    assert icons["file"] != icons["file in"]
    assert len({icons["file"], icons["file in"], icons["mqtt in"], icons["tcp in"], icons["watch"]}) == 5
    assert icons["tcp in"] == icons["udp in"]   # as Node-RED: both bridge-dash


def box(locator) -> dict:
    b = locator.bounding_box()
    return {"x1": b["x"], "y1": b["y"], "x2": b["x"] + b["width"], "y2": b["y"] + b["height"]}


def inside(inner: dict, outer: dict) -> bool:
    return (inner["x1"] >= outer["x1"] and inner["y1"] >= outer["y1"]
            and inner["x2"] <= outer["x2"] and inner["y2"] <= outer["y2"])


def test_groups_hold_buttons_and_take_dropped_nodes(start_server, page):
    server = start_server(None)
    open_editor(page, server, nodes=False)
    import_nodes(page, [
        tab(), inject("i1", "start", 150, 100, ["d1"]), debug("d1", "end", 650, 100),
        {"id": "c9", "type": "change", "z": TAB, "name": "loose", "rules": [], "x": 450, "y": 320, "wires": [[]]},
    ])
    page.locator('.node[data-node-id="i1"] .node-body').click()
    page.locator('.node[data-node-id="d1"] .node-body').click(modifiers=["Shift"])
    page.keyboard.press("Control+Shift+G")
    group = page.locator(".flow-canvas .group")
    expect(group).to_have_count(1)
    group_id = group.get_attribute("data-group-id")
    body = box(group.locator(".group-body"))
    assert inside(box(page.locator('.node[data-node-id="i1"] .inject-button')), body)
    assert inside(box(page.locator('.node[data-node-id="d1"] .debug-toggle')), body)

    # A palette node dropped inside the group joins it.
    item = page.locator('.palette-node[data-type="switch"]').bounding_box()
    page.mouse.move(item["x"] + 40, item["y"] + 12)
    page.mouse.down()
    page.mouse.move(item["x"] + 80, item["y"] + 30, steps=3)
    page.mouse.move(body["x1"] + (body["x2"] - body["x1"]) * 0.35, (body["y1"] + body["y2"]) / 2, steps=6)
    page.mouse.up()
    switch = page.locator(".flow-canvas .node-type-switch")
    expect(switch).to_have_count(1)
    switch_id = switch.get_attribute("data-node-id")
    assert page.evaluate("(id) => window.flowred.model.get(id).g", switch_id) == group_id
    assert switch_id in page.evaluate("(id) => window.flowred.model.get(id).nodes", group_id)

    # A loose node dragged into the group joins it; its border grows to hold it; undo undoes both.
    loose = box(page.locator('.node[data-node-id="c9"] .node-body'))
    body = box(group.locator(".group-body"))
    page.mouse.move(loose["x1"] + 40, (loose["y1"] + loose["y2"]) / 2)
    page.mouse.down()
    page.mouse.move(loose["x1"] + 45, loose["y1"] - 20, steps=3)
    page.mouse.move(body["x1"] + (body["x2"] - body["x1"]) * 0.7, (body["y1"] + body["y2"]) / 2 + 8, steps=8)
    page.mouse.up()
    assert page.evaluate("window.flowred.model.get('c9').g") == group_id
    assert "c9" in page.evaluate("(id) => window.flowred.model.get(id).nodes", group_id)
    assert inside(box(page.locator('.node[data-node-id="c9"] .node-body')), box(group.locator(".group-body")))
    OUTPUT.mkdir(exist_ok=True)
    page.locator(".flow-canvas").screenshot(path=str(OUTPUT / "group-drop.png"))
    page.keyboard.press("Control+Z")
    assert page.evaluate("window.flowred.model.get('c9').g") is None
    assert page.evaluate("window.flowred.model.get('c9').y") == 320
    assert "c9" not in page.evaluate("(id) => window.flowred.model.get(id).nodes", group_id)


def test_footer_emulator_url_follows_a_restart(start_server, page, monkeypatch):
    port = test_editor.free_port()
    monkeypatch.setattr(test_editor, "free_port", lambda: port)
    server = start_server(None)
    open_editor(page, server, nodes=False)
    first = server.get("/settings")["openaiEmulator"]["url"]
    expect(page.locator("#emulator-url")).to_have_text(first)
    server.stop()
    expect(page.locator("body.disconnected")).to_have_count(1, timeout=15000)
    # Keep the old emulator port taken so that the new emulator listens elsewhere.
    old_port = int(first.split(":")[2].split("/")[0])
    with socket.socket() as blocker:
        blocker.bind(("127.0.0.1", old_port))
        server = start_server(None)
        second = server.get("/settings")["openaiEmulator"]["url"]
    assert second != first
    expect(page.locator("#emulator-url")).to_have_text(second, timeout=30000)
    expect(page.locator("#emulator-banner")).to_be_visible()


def test_modified_nodes_deploy_with_subflows_says_full_restart(start_server, page):
    server = start_server(None)
    open_editor(page, server, nodes=False)
    import_nodes(page, [
        tab(),
        {"id": "sf1", "type": "subflow", "name": "Pass", "info": "", "category": "", "env": [],
         "in": [{"x": 50, "y": 30, "wires": [{"id": "sfn1"}]}],
         "out": [{"x": 300, "y": 30, "wires": [{"id": "sfn1", "port": 0}]}]},
        {"id": "sfn1", "type": "change", "z": "sf1", "name": "", "x": 170, "y": 30, "wires": [[]], "rules": []},
        {"id": "s1", "type": "subflow:sf1", "z": TAB, "name": "", "x": 300, "y": 100, "wires": [[]]},
        {"id": "c1", "type": "change", "z": TAB, "name": "a", "rules": [], "x": 300, "y": 200, "wires": [[]]},
    ])
    deploy(page)
    page.locator(".notification").evaluate_all("(els) => els.forEach((el) => el.remove())")
    page.evaluate("window.flowred.model.update('c1', {name: 'b'})")
    page.evaluate("window.flowred.deploy('nodes')")
    note = page.locator(".notification-success", has_text="Successfully deployed")
    expect(note).to_contain_text("full restart", timeout=10000)
    expect(note).to_contain_text("subflows")
    assert server.get("/flows")["flows"] and any(n.get("name") == "b" for n in server.get("/flows")["flows"])

    # Without subflows (before and after), a modified-nodes deploy is partial: no such note.
    page.evaluate("window.flowred.model.remove(['s1', 'sf1', 'sfn1'])")
    page.locator(".notification").evaluate_all("(els) => els.forEach((el) => el.remove())")
    deploy(page)
    page.locator(".notification").evaluate_all("(els) => els.forEach((el) => el.remove())")
    page.evaluate("window.flowred.model.update('c1', {name: 'c'})")
    page.evaluate("window.flowred.deploy('nodes')")
    note = page.locator(".notification-success", has_text="Successfully deployed")
    expect(note).to_be_visible(timeout=10000)
    expect(note).not_to_contain_text("full restart")
