"""The sidebar's panes in a real browser (Playwright with Debian's chromium) against a real
``flowred run`` process (the fixtures of test_editor.py):

1. debug tools: copy path and copy value of an entry of a msg's tree, a pinned path stays
   expanded in the next msg of that debug node, a number cycles decimal → hex → date, the
   "selected nodes" / "current flow" filters, pause (with the count of skipped msgs), clear, and
   the node name revealing the node.
2. info pane: the selected node's properties and its description as Markdown, with raw HTML
   shown as text (nothing injected); the flow's info when nothing is selected.
3. help pane: the selected type's help from GET /node-types, rendered.
4. config pane (also from the main menu's "Configuration nodes"): config nodes grouped by type
   with their users; an unused one is deleted and the delete undone; double-click edits.
5. context pane: node / flow / global context of a function node as the Admin API has it;
   delete per key and refresh.
Screenshots of the info and context panes, light and dark, go to test-output/.
"""
from __future__ import annotations

import json
import re

import pytest
import test_editor
from test_editor import OUTPUT, deploy, open_editor

sync_api = pytest.importorskip("playwright.sync_api")
expect = sync_api.expect

TAB = "5b1d000000000001"
TAB2 = "5b1d000000000002"
SELECTED = re.compile(r"\bselected\b")
UNUSED = re.compile(r"\bunused\b")

browser = test_editor.browser
start_server = test_editor.start_server


@pytest.fixture
def page(browser):
    """A page whose clipboard the test can read (copy path / copy value)."""
    context = browser.new_context(viewport={"width": 1440, "height": 900})
    context.grant_permissions(["clipboard-read", "clipboard-write"])
    pg = context.new_page()
    errors: list[str] = []
    pg.on("pageerror", lambda exc: errors.append(str(exc)))
    yield pg
    context.close()
    assert not errors, f"errors in the page: {errors}"


def import_nodes(page, nodes: list[dict]) -> None:
    page.evaluate("(nodes) => window.flowred.importNodes(nodes)", nodes)


def tab(id_: str = TAB, label: str = "Panes", info: str = "") -> dict:
    return {"id": id_, "type": "tab", "label": label, "disabled": False, "info": info, "env": []}


def inject(id_: str, name: str, payload: dict, wires: list[str], z: str = TAB, y: int = 100) -> dict:
    return {"id": id_, "type": "inject", "z": z, "name": name, "props": [{"p": "payload"}],
            "payload": json.dumps(payload), "payloadType": "json", "repeat": "", "crontab": "", "once": False,
            "onceDelay": 0.1, "topic": "", "x": 140, "y": y, "wires": [wires]}


def debug(id_: str, name: str, z: str = TAB, y: int = 100) -> dict:
    return {"id": id_, "type": "debug", "z": z, "name": name, "active": True, "tosidebar": True, "console": False,
            "tostatus": False, "complete": "payload", "targetType": "msg", "x": 460, "y": y, "wires": []}


def clipboard(page) -> str:
    return page.evaluate("navigator.clipboard.readText()")


def entry(scope, path: str):
    return scope.locator(f'.jt-entry[data-path="{path}"]').first


PAYLOAD = {"session": {"expires_at": 1767225600, "model": "gpt-realtime"}, "n": 255}


def test_debug_tools(start_server, page):
    server = start_server(None)
    open_editor(page, server, nodes=False)
    import_nodes(page, [
        tab(), tab(TAB2, "Other"),
        inject("i1", "secret", PAYLOAD, ["d1"]),
        debug("d1", "out"),
        inject("i2", "other", {"x": 1}, ["d2"], z=TAB2),
        debug("d2", "elsewhere", z=TAB2),
    ])
    deploy(page)
    page.get_by_role("button", name="Inject: secret").click()
    messages = page.locator("#debug-messages .debug-message")
    expect(messages).to_have_count(1, timeout=10000)
    first = messages.first

    # Copy path and copy value of payload.session.expires_at / payload.session.
    session = entry(first, "payload.session")
    session.locator(":scope > .jt-header").click()
    leaf = entry(first, "payload.session.expires_at")
    leaf.hover()
    leaf.locator(":scope > .jt-tools .jt-copy-path").click()
    assert clipboard(page) == "payload.session.expires_at"
    session.locator(":scope > .jt-header").hover()
    session.locator(":scope > .jt-tools .jt-copy-value").click()
    assert json.loads(clipboard(page)) == PAYLOAD["session"]

    # A number cycles decimal → hex → date (a second timestamp) → decimal.
    number = leaf.locator(":scope > .jt-number")
    expect(number).to_have_text("1767225600")
    number.click()
    expect(number).to_have_text("0x" + format(1767225600, "x"))
    number.click()
    expect(number).to_have_text("2026-01-01T00:00:00.000Z (s)")
    number.click()
    expect(number).to_have_text("1767225600")
    small = entry(first, "payload.n").locator(":scope > .jt-number")
    small.click()
    expect(small).to_have_text("0xff")
    small.click()
    expect(small).to_have_text("255")       # not a plausible timestamp: no date view

    # Pin payload.session: the next msg of this debug node shows it expanded.
    session.locator(":scope > .jt-header").hover()
    session.locator(":scope > .jt-tools .jt-pin").click()
    expect(session.locator(":scope > .jt-tools .jt-pin")).to_have_attribute("aria-pressed", "true")
    page.get_by_role("button", name="Inject: secret").click()
    expect(messages).to_have_count(2, timeout=10000)
    second = messages.nth(1)
    expect(entry(second, "payload.session").locator(":scope > .jt-header")).to_have_attribute("aria-expanded", "true")
    expect(entry(second, "payload.session.model")).to_be_visible()

    # Filters: a msg from the other tab; "current flow" hides it, "selected nodes" shows only d1's.
    page.locator(f"#tab-{TAB2}").click()
    page.get_by_role("button", name="Inject: other").click()
    expect(messages).to_have_count(3, timeout=10000)
    page.locator(f"#tab-{TAB}").click()
    page.select_option("#debug-filter", "current")
    expect(page.locator("#debug-messages .debug-message:visible")).to_have_count(2)
    page.select_option("#debug-filter", "selected")
    expect(page.locator("#debug-messages .debug-message:visible")).to_have_count(0)
    page.locator('.node[data-node-id="d1"] .node-body').click()
    expect(page.locator("#debug-messages .debug-message:visible")).to_have_count(2)
    page.select_option("#debug-filter", "all")
    expect(page.locator("#debug-messages .debug-message:visible")).to_have_count(3)

    # The node name of a msg reveals its node (on its own tab, selected).
    messages.nth(2).locator(".debug-message-node").click()
    expect(page.locator(f"#tab-{TAB2}")).to_have_attribute("aria-selected", "true")
    expect(page.locator('.flow-canvas .node[data-node-id="d2"]')).to_have_class(SELECTED)

    # Pause: msgs are skipped and counted; resume adds again.
    page.locator("#debug-pause").click()
    expect(page.locator("#debug-pause")).to_have_attribute("aria-pressed", "true")
    page.get_by_role("button", name="Inject: other").click()
    page.get_by_role("button", name="Inject: other").click()
    expect(page.locator("#debug-paused")).to_have_text("Paused: 2 messages skipped", timeout=10000)
    expect(messages).to_have_count(3)
    page.locator("#debug-pause").click()
    expect(page.locator("#debug-paused")).to_be_hidden()
    page.get_by_role("button", name="Inject: other").click()
    expect(messages).to_have_count(4, timeout=10000)

    # Clear.
    page.locator("#debug-clear").click()
    expect(messages).to_have_count(0)


INFO = """# Heading

Some **bold** and `code` text with a [link](https://nodered.org) and a [bad one](javascript:alert(1)).

* one
* two

<img src="x" onerror="window.__pwned = 1"><script>window.__pwned = 2</script>
"""


def test_info_and_help_panes(start_server, page):
    server = start_server(None)
    open_editor(page, server, nodes=False)
    import_nodes(page, [
        tab(info="The **flow's** description"),
        {"id": "c1", "type": "change", "z": TAB, "name": "tidy", "info": INFO, "x": 200, "y": 100, "wires": [[]],
         "rules": [{"t": "set", "p": "payload", "pt": "msg", "to": "1", "tot": "num"}]},
    ])
    page.locator('.node[data-node-id="c1"] .node-body').click()
    page.locator("#sidebar-tab-info").click()
    pane = page.locator("#pane-info")
    expect(pane.locator("h3.pane-title")).to_have_text("tidy")
    expect(pane.locator('tr[data-prop="Node"] td')).to_have_text("c1")
    expect(pane.locator('tr[data-prop="Type"] td')).to_have_text("change")
    expect(pane.locator('tr[data-prop="Name"] td')).to_have_text("tidy")
    description = pane.locator(".info-description")
    expect(description.locator("strong")).to_have_text("bold")
    expect(description.locator("code")).to_have_text("code")
    expect(description.locator("li")).to_have_count(2)
    expect(description.locator("a")).to_have_count(1)
    assert description.locator("a").get_attribute("href") == "https://nodered.org"
    # Raw HTML is text: no element made of it, nothing run.
    expect(description.locator("img, script")).to_have_count(0)
    expect(description).to_contain_text('<img src="x" onerror=')
    page.wait_for_timeout(200)
    assert page.evaluate("window.__pwned") is None

    # Help of the selected type: the server's help text, rendered.
    page.locator("#sidebar-tab-help").click()
    help_text = next(t for t in server.get("/node-types") if t["type"] == "change")["help"]
    first_line = help_text.split("\n")[0].strip()
    help_pane = page.locator("#pane-help")
    expect(help_pane.locator("h3.pane-title")).to_contain_text("change")
    expect(help_pane.locator(".help-text")).to_contain_text(first_line)
    expect(help_pane.locator(".help-text strong").first).to_be_visible()     # **Set** ...
    expect(help_pane.locator(".help-text li").first).to_be_visible()
    assert "**" not in help_pane.locator(".help-text").inner_text()

    # A palette node picked shows its type's help.
    page.locator('.palette-node[data-type="delay"]').click()
    expect(help_pane.locator("h3.pane-title")).to_contain_text("delay")
    expect(help_pane.locator(".help-text")).to_be_visible()

    # Every type's help renders without leftover markup.
    rendered = page.evaluate("""async () => {
      const { renderMarkdown } = await import('./js/markdown.js');
      const types = await (await fetch('node-types')).json();
      return types.map((t) => [t.type, renderMarkdown(t.help || '').innerText]);
    }""")
    assert len(rendered) > 40
    leftovers = [t for t, text in rendered if "``" in text or "**" in text]
    assert not leftovers, leftovers

    # Nothing selected: the flow's own info.
    page.locator(".flow-canvas").click(position={"x": 600, "y": 500})
    page.locator("#sidebar-tab-info").click()
    expect(pane.locator('tr[data-prop="Flow"] td')).to_have_text(TAB)
    expect(pane.locator(".info-description strong")).to_have_text("flow's")


def test_config_pane(start_server, page):
    server = start_server(None)
    open_editor(page, server, nodes=False)
    import_nodes(page, [
        tab(),
        {"id": "b1", "type": "mqtt-broker", "name": "used broker", "broker": "127.0.0.1", "port": "1883"},
        {"id": "b2", "type": "mqtt-broker", "name": "spare broker", "broker": "127.0.0.1", "port": "1884"},
        {"id": "p1", "type": "http proxy", "name": "old proxy", "url": "http://127.0.0.1:3128"},
        {"id": "m1", "type": "mqtt in", "z": TAB, "name": "", "topic": "t", "qos": "0", "datatype": "auto-detect",
         "broker": "b1", "x": 200, "y": 100, "wires": [[]]},
        {"id": "m2", "type": "mqtt out", "z": TAB, "name": "", "topic": "t", "broker": "b1", "x": 200, "y": 160,
         "wires": []},
    ])
    page.locator("#main-menu-button").click()
    page.locator("#menu-config").click()
    expect(page.locator("#sidebar-tab-config")).to_have_attribute("aria-selected", "true")
    pane = page.locator("#pane-config")
    expect(pane.locator(".config-group")).to_have_count(2)
    brokers = pane.locator('.config-group[data-type="mqtt-broker"]')
    expect(brokers.locator(".config-item")).to_have_count(2)
    used = pane.locator('.config-item[data-node-id="b1"]')
    expect(used.locator(".config-item-users")).to_have_text("2 users")
    expect(used).not_to_have_class(UNUSED)
    expect(used.locator(".config-item-delete")).to_have_count(0)
    spare = pane.locator('.config-item[data-node-id="b2"]')
    expect(spare).to_have_class(UNUSED)
    expect(spare.locator(".config-item-users")).to_have_text("unused")
    expect(pane.locator(".pane-title")).to_contain_text("2 unused")
    OUTPUT.mkdir(exist_ok=True)
    page.locator("#sidebar").screenshot(path=str(OUTPUT / "sidebar-config.png"))

    # Delete the unused broker, then undo.
    spare.locator(".config-item-delete").click()
    expect(pane.locator('.config-item[data-node-id="b2"]')).to_have_count(0)
    assert page.evaluate("window.flowred.model.get('b2')") is None
    pane.locator("#config-undo").click()
    expect(pane.locator('.config-item[data-node-id="b2"]')).to_have_count(1)
    assert page.evaluate("window.flowred.model.get('b2').name") == "spare broker"

    # Double-click edits.
    used.dblclick()
    tray = page.locator(".tray:not(.closing)")
    expect(tray).to_be_visible()
    expect(tray).to_contain_text("mqtt-broker")


FUNC = """context.set("count", (context.get("count") || 0) + 1);
flow.set("shared", {a: 1, list: [1, 2]});
global.set("greeting", "hello");
return msg;"""


def test_context_pane(start_server, page):
    server = start_server(None)
    open_editor(page, server, nodes=False)
    import_nodes(page, [
        tab(),
        inject("i1", "go", {"x": 1}, ["f1"]),
        {"id": "f1", "type": "function", "z": TAB, "name": "count", "func": FUNC, "outputs": 1, "timeout": 0,
         "noerr": 0, "initialize": "", "finalize": "", "libs": [], "x": 300, "y": 100, "wires": [[]]},
    ])
    deploy(page)
    page.get_by_role("button", name="Inject: go").click()
    page.get_by_role("button", name="Inject: go").click()
    for _ in range(100):
        if server.get("/context/node/f1").get("memory", {}).get("count", {}).get("msg") == "2":
            break
        page.wait_for_timeout(100)
    page.locator('.node[data-node-id="f1"] .node-body').click()
    page.locator("#sidebar-tab-context").click()
    pane = page.locator("#pane-context")
    node = pane.locator('.context-section[data-scope="node"]')
    flow = pane.locator('.context-section[data-scope="flow"]')
    glob = pane.locator('.context-section[data-scope="global"]')
    expect(node.locator('.context-key[data-key="count"] .jt-number')).to_have_text("2")
    expect(flow.locator('.context-key[data-key="shared"]')).to_be_visible()
    expect(glob.locator('.context-key[data-key="greeting"] .jt-string')).to_have_text('"hello"')
    flow.locator('.context-key[data-key="shared"] .jt-header').first.click()
    expect(entry(flow, "list")).to_be_visible()

    OUTPUT.mkdir(exist_ok=True)
    page.locator("#sidebar-tab-info").click()
    page.screenshot(path=str(OUTPUT / "sidebar-info-light.png"))
    page.locator("#sidebar-tab-context").click()
    expect(node.locator('.context-key[data-key="count"]')).to_be_visible()
    page.screenshot(path=str(OUTPUT / "sidebar-context-light.png"))
    page.evaluate("document.documentElement.dataset.theme = 'dark'")
    page.screenshot(path=str(OUTPUT / "sidebar-context-dark.png"))
    page.locator("#sidebar-tab-info").click()
    page.screenshot(path=str(OUTPUT / "sidebar-info-dark.png"))
    page.locator("#sidebar-tab-context").click()

    # Delete a key: gone from the pane and from the runtime.
    node.locator('.context-key[data-key="count"] .context-delete').click()
    expect(node.locator('.context-key[data-key="count"]')).to_have_count(0)
    expect(node).to_contain_text("No context values.")
    assert "count" not in server.get("/context/node/f1").get("memory", {})

    # Refresh reads the runtime again.
    page.get_by_role("button", name="Inject: go").click()
    for _ in range(100):
        if "count" in server.get("/context/node/f1").get("memory", {}):
            break
        page.wait_for_timeout(100)
    node.locator(".context-refresh").click()
    expect(node.locator('.context-key[data-key="count"] .jt-number')).to_have_text("1")
