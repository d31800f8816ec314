"""The code editors of the edit dialogs (CodeMirror 6 from web/vendor), in a real browser
(Playwright with Debian's chromium) against a real ``flowred run`` process (the fixtures of
test_editor.py):

1. a function node's code: highlighted, with line numbers; typing auto-indents and closes and
   matches brackets; Tab indents, Escape then Tab moves on; Ctrl+F opens the search panel; the
   text typed is what the node gets. Screenshot: test-output/code-editor.png.
2. a syntax error: a lint marker on its line, the line and column under the editor; the node is
   marked on the canvas and the deploy asks first (Node-RED's "not properly configured").
3. python-function: Python highlighting and indentation.
4. template: the editor's language follows the format choice; mustache tags stand out.
5. a JSON typed input's expression editor (and JSONata's) is a code editor.
6. without the vendor files the code fields are textareas with a notice, and still work.
7. the time to open a function node with 500 lines of code (printed and written to
   test-output/code-editor-timing.json; not asserted).
"""
from __future__ import annotations

import json

import pytest
import test_editor
from test_editor import OUTPUT, deploy

sync_api = pytest.importorskip("playwright.sync_api")
expect = sync_api.expect

TAB = "f1a0000000000002"

# test_editor.py's fixtures: chromium, a flowred server process, a page that fails on page errors.
browser = test_editor.browser
start_server = test_editor.start_server
page = test_editor.page


def open_editor(page, server, *, nodes: bool = False) -> None:
    """test_editor's open_editor, and the flows loaded: the deploy state can leave "loading" on
    the runtime state alone, and an import before GET /flows answers would be replaced by it."""
    test_editor.open_editor(page, server, nodes=nodes)
    page.wait_for_function("window.flowred && window.flowred.model.rev !== null")


def deployed(page) -> None:
    """Wait until a deploy has ended with the flows saved."""
    page.wait_for_function("!window.flowred.model.isDirty() && "
                           "document.querySelector('#deploy-state').dataset.state.startsWith('deployed')",
                           timeout=15000)


def import_nodes(page, nodes: list[dict]) -> None:
    """Put ``nodes`` into the editor as an import does (not deployed yet)."""
    page.evaluate("(nodes) => window.flowred.importNodes(nodes)", nodes)


def tab_node() -> dict:
    return {"id": TAB, "type": "tab", "label": "Code", "disabled": False, "info": "", "env": []}


def function_node(id_: str, func: str, **fields) -> dict:
    return {"id": id_, "type": "function", "z": TAB, "name": id_, "func": func, "outputs": 1, "timeout": 0, "noerr": 0,
            "initialize": "", "finalize": "", "libs": [], "x": 200, "y": 100, "wires": [[]], **fields}


def open_node(page, node_id: str):
    """Double-click a node; the edit tray."""
    page.locator(f'.node[data-node-id="{node_id}"] .node-body').dblclick()
    tray = page.locator(".tray:not(.closing)")
    expect(tray).to_be_visible()
    return tray


def code_field(tray, key: str):
    """The CodeMirror editor of a form row, once it is there."""
    editor = tray.locator(f'.form-row[data-field="{key}"] .cm-editor')
    expect(editor).to_be_visible(timeout=15000)
    return editor


def lines(editor) -> list[str]:
    return [t.replace("\u00a0", " ") for t in editor.locator(".cm-line").all_inner_texts()]


def color_of(editor, text: str) -> str:
    """The colour of the first token span whose text is ``text``."""
    return editor.evaluate("""(root, text) => {
        const span = [...root.querySelectorAll('.cm-line span')].find((s) => s.textContent === text);
        return span ? getComputedStyle(span).color : null;
    }""", text)


def plain_color(editor) -> str:
    return editor.evaluate("(root) => getComputedStyle(root.querySelector('.cm-content')).color")


def coloured_tokens(editor) -> list[str]:
    """The texts of the spans drawn in another colour than plain text."""
    return editor.evaluate("""(root) => {
        const plain = getComputedStyle(root.querySelector('.cm-content')).color;
        return [...root.querySelectorAll('.cm-line span')].filter((s) => getComputedStyle(s).color !== plain)
            .map((s) => s.textContent);
    }""")


def active_in(page, selector: str) -> bool:
    return page.evaluate("(sel) => !!document.activeElement && !!document.activeElement.closest(sel)", selector)


def test_function_code_editor_highlights_indents_matches_and_searches(start_server, page):
    server = start_server(None)
    open_editor(page, server, nodes=False)
    import_nodes(page, [tab_node(), function_node("fn1", "const n = 1;\nreturn msg;")])
    tray = open_node(page, "fn1")
    editor = code_field(tray, "func")
    for key, tab in (("initialize", "On Start"), ("finalize", "On Stop")):  # JavaScript editors too, in their tabs
        tray.locator(".form-tab-bar [role=tab]", has_text=tab).click()
        code_field(tray, key)
        assert tray.locator(f'.form-row[data-field="{key}"] .code-field').get_attribute("data-mode") == "javascript"
    tray.locator(".form-tab-bar [role=tab]", has_text="On Message").click()

    # line numbers and highlighting: keywords are coloured, plain names are not
    assert editor.locator(".cm-lineNumbers .cm-gutterElement", has_text="2").count() == 1
    assert lines(editor) == ["const n = 1;", "return msg;"]
    assert color_of(editor, "return") not in (None, plain_color(editor))
    assert color_of(editor, "const") not in (None, plain_color(editor))

    # typing: the closing brace comes by itself, Enter between braces indents, the brace matches
    editor.locator(".cm-content").click()
    page.keyboard.press("Control+End")
    page.keyboard.press("Enter")
    page.keyboard.type("if (msg.payload) {")
    page.keyboard.press("Enter")
    page.keyboard.type("msg.n = [n")
    assert lines(editor)[2:] == ["if (msg.payload) {", "    msg.n = [n]", "}"]
    page.keyboard.press("End")
    expect(editor.locator(".cm-matchingBracket")).to_have_count(2)     # [ and ] around n
    # Tab indents the line (the focus stays), Shift+Tab takes it back
    page.keyboard.press("Tab")
    assert lines(editor)[3] == "        msg.n = [n]"
    assert active_in(page, '.form-row[data-field="func"] .cm-editor')
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("End")
    expect(editor.locator(".cm-matchingBracket")).to_have_count(2)     # { and }
    page.keyboard.press("Enter")
    page.keyboard.type("return msg;")
    expected = "const n = 1;\nreturn msg;\nif (msg.payload) {\n    msg.n = [n]\n}\nreturn msg;"

    # Ctrl+F: CodeMirror's search panel, Escape closes it and the tray stays
    page.keyboard.press("Control+f")
    search = editor.locator(".cm-search")
    expect(search).to_be_visible()
    assert active_in(page, ".cm-search")
    page.keyboard.type("msg")
    page.keyboard.press("Enter")
    expect(editor.locator(".cm-searchMatch").first).to_be_visible()
    page.keyboard.press("Escape")
    expect(search).to_have_count(0)
    expect(tray).to_be_visible()
    assert active_in(page, '.form-row[data-field="func"] .cm-editor')

    OUTPUT.mkdir(exist_ok=True)
    page.screenshot(path=str(OUTPUT / "code-editor.png"))

    # Escape then Tab leaves the editor (keyboard users are not trapped), the tray stays open
    page.keyboard.press("ArrowRight")       # (with a selection, Escape first reduces it to the cursor)
    page.keyboard.press("Escape")
    expect(tray).to_be_visible()
    expect(tray.locator('.form-row[data-field="func"] .code-status')).to_have_text(
        "Tab moves to the next field; Escape again cancels.")
    page.keyboard.press("Tab")
    assert not active_in(page, '.form-row[data-field="func"]')
    assert active_in(page, ".tray")
    # and Shift+Tab comes back into it; the code is unchanged by all this
    page.keyboard.press("Shift+Tab")
    assert active_in(page, '.form-row[data-field="func"] .cm-editor')
    tray.locator(".edit-done").click()
    expect(tray).to_have_count(0)
    node = page.evaluate("window.flowred.model.get('fn1')")
    assert node["func"] == expected
    assert node["noerr"] == 0

    # Escape twice in the editor cancels the tray, as Escape does elsewhere in it
    tray = open_node(page, "fn1")
    editor = code_field(tray, "func")
    editor.locator(".cm-content").click()
    page.keyboard.type("// not kept")
    page.keyboard.press("Escape")
    expect(tray).to_be_visible()
    page.keyboard.press("Escape")
    expect(tray).to_have_count(0)
    assert page.evaluate("window.flowred.model.get('fn1').func") == expected


def test_syntax_error_is_marked_and_the_deploy_warns(start_server, page):
    server = start_server(None)
    open_editor(page, server, nodes=False)
    import_nodes(page, [tab_node(), function_node("fn2", "let a = 1;\nreturn msg;")])
    deploy(page)
    tray = open_node(page, "fn2")
    editor = code_field(tray, "func")
    expect(editor.locator(".cm-lint-marker-error")).to_have_count(0)
    editor.locator(".cm-content").click()
    page.keyboard.press("Control+End")
    page.keyboard.press("Enter")
    page.keyboard.type("let b = ;")
    marker = editor.locator(".cm-lint-marker-error")
    expect(marker).to_have_count(1, timeout=10000)
    # the marker sits on line 3, the line of the error; the line and column are spelled out
    third = editor.locator(".cm-lineNumbers .cm-gutterElement", has_text="3")
    assert abs(marker.bounding_box()["y"] - third.bounding_box()["y"]) < 8
    expect(tray.locator('.form-row[data-field="func"] .code-status')).to_have_text("Line 3, column 9: Unexpected token")
    expect(editor.locator(".cm-lintRange-error")).to_have_count(1)
    tray.locator(".edit-done").click()
    expect(tray).to_have_count(0)
    assert page.evaluate("window.flowred.model.get('fn2').noerr") == 1

    # the canvas marks the node, and the deploy asks first
    mark = page.locator('.node[data-node-id="fn2"] .node-error')
    expect(mark).to_have_count(1)
    assert "syntax error" in mark.locator("title").text_content()
    page.click("#deploy-button")
    dialog = page.locator(".dialog")
    expect(dialog).to_contain_text("not properly configured")
    expect(dialog).to_contain_text("fn2: the code has 1 syntax error")
    dialog.get_by_role("button", name="Cancel").click()
    expect(dialog).to_have_count(0)
    assert [n["func"] for n in server.get("/flows")["flows"] if n["id"] == "fn2"] == ["let a = 1;\nreturn msg;"]
    page.click("#deploy-button")
    page.click("#deploy-invalid-confirm")
    deployed(page)
    [saved] = [n for n in server.get("/flows")["flows"] if n["id"] == "fn2"]
    assert saved["func"] == "let a = 1;\nreturn msg;\nlet b = ;" and saved["noerr"] == 1

    # fixed: no marker, no mark, no question
    tray = open_node(page, "fn2")
    editor = code_field(tray, "func")
    expect(editor.locator(".cm-lint-marker-error")).to_have_count(1, timeout=10000)
    editor.locator(".cm-content").click()
    page.keyboard.press("Control+End")
    page.keyboard.press("Backspace")
    page.keyboard.type("2;")
    expect(editor.locator(".cm-lint-marker-error")).to_have_count(0, timeout=10000)
    expect(tray.locator('.form-row[data-field="func"] .code-status')).to_have_text("")
    tray.locator(".edit-done").click()
    expect(mark).to_have_count(0)
    page.click("#deploy-button")
    deployed(page)
    expect(page.locator(".dialog")).to_have_count(0)
    [saved] = [n for n in server.get("/flows")["flows"] if n["id"] == "fn2"]
    assert saved["func"].endswith("let b = 2;") and saved["noerr"] == 0


def test_python_function_has_python_highlighting_and_indentation(start_server, page):
    server = start_server(None)
    open_editor(page, server, nodes=False)
    import_nodes(page, [tab_node(), {"id": "py1", "type": "python-function", "z": TAB, "name": "py", "outputs": 1,
                                     "func": "def double(x):\n    return x * 2\nreturn msg", "initialize": "",
                                     "finalize": "", "timeout": 0, "x": 200, "y": 100, "wires": [[]]}])
    tray = open_node(page, "py1")
    editor = code_field(tray, "func")
    assert tray.locator('.form-row[data-field="func"] .code-field').get_attribute("data-mode") == "python"
    assert color_of(editor, "def") not in (None, plain_color(editor))
    # Python's rule: a block opens after the colon
    editor.locator(".cm-content").click()
    page.keyboard.press("Control+End")
    page.keyboard.press("Enter")
    page.keyboard.type("for item in msg['payload']:")
    page.keyboard.press("Enter")
    page.keyboard.type("pass")
    assert lines(editor)[-2:] == ["for item in msg['payload']:", "    pass"]
    # no JavaScript lint on Python code
    page.wait_for_timeout(600)
    expect(editor.locator(".cm-lint-marker-error")).to_have_count(0)
    tray.locator(".edit-done").click()
    assert page.evaluate("window.flowred.model.get('py1').func").endswith("for item in msg['payload']:\n    pass")


def luminance(rgb: str) -> float:
    """Relative luminance (WCAG) of a computed ``rgb(r, g, b)`` colour."""
    def channel(v: int) -> float:
        c = v / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4
    r, g, b = (int(v) for v in rgb[rgb.index("(") + 1:rgb.index(")")].split(",")[:3])
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)


def test_code_editor_follows_the_light_and_dark_theme(start_server, page):
    server = start_server(None)
    page.emulate_media(color_scheme="light")
    open_editor(page, server, nodes=False)
    import_nodes(page, [tab_node(), function_node("fn1", "const n = 1;\nreturn msg;")])
    tray = open_node(page, "fn1")
    editor = code_field(tray, "func")

    def look() -> dict:
        back = editor.evaluate("(root) => getComputedStyle(root).backgroundColor")
        return {"back": luminance(back), "text": luminance(plain_color(editor)), "keyword": color_of(editor, "const")}

    light = look()
    assert light["back"] > 0.8
    # the system turns dark while the dialog is open (the theme setting is "system")
    page.emulate_media(color_scheme="dark")
    page.wait_for_function("getComputedStyle(document.querySelector('.tray .cm-editor')).backgroundColor"
                           " !== 'rgb(255, 255, 255)'")
    dark = look()
    assert dark["back"] < 0.1
    assert (dark["text"] + 0.05) / (dark["back"] + 0.05) >= 4.5
    assert dark["keyword"] not in (None, light["keyword"])
    page.screenshot(path=str(OUTPUT / "code-editor-dark.png"))
    page.emulate_media(color_scheme="light")
    page.wait_for_function("getComputedStyle(document.querySelector('.tray .cm-editor')).backgroundColor"
                           " === 'rgb(255, 255, 255)'")
    assert look()["keyword"] == light["keyword"]


def test_template_editor_follows_the_format_choice(start_server, page):
    server = start_server(None)
    open_editor(page, server, nodes=False)
    import_nodes(page, [tab_node(), {"id": "tp1", "type": "template", "z": TAB, "name": "tpl", "field": "payload",
                                     "fieldType": "msg", "format": "handlebars", "syntax": "mustache",
                                     "template": '{"name": "{{payload}}", "n": 1}', "output": "str",
                                     "x": 200, "y": 100, "wires": [[]]}])
    tray = open_node(page, "tp1")
    editor = code_field(tray, "template")
    field = tray.locator('.form-row[data-field="template"] .code-field')
    assert field.get_attribute("data-mode") == "mustache"
    fmt = tray.locator('.form-row[data-field="format"] select')
    assert "yaml" in fmt.locator("option").all_inner_texts()

    fmt.select_option("json")
    expect(field).to_have_attribute("data-mode", "json")
    expect(editor.locator(".cm-mustache-tag")).to_have_text("{{payload}}")      # mustache on JSON
    assert color_of(editor, "1") not in (None, plain_color(editor))             # a JSON number

    tray.locator('.form-row[data-field="syntax"] select').select_option("plain")
    expect(editor.locator(".cm-mustache-tag")).to_have_count(0)

    fmt.select_option("yaml")
    expect(field).to_have_attribute("data-mode", "yaml")
    fmt.select_option("html")
    expect(field).to_have_attribute("data-mode", "html")
    fmt.select_option("text")
    expect(field).to_have_attribute("data-mode", "text")
    assert coloured_tokens(editor) == []                                      # plain text: no tokens
    tray.locator(".edit-done").click()
    node = page.evaluate("window.flowred.model.get('tp1')")
    assert (node["format"], node["syntax"]) == ("text", "plain")


def test_typed_input_expression_editors_are_code_editors(start_server, page):
    server = start_server(None)
    open_editor(page, server, nodes=False)
    import_nodes(page, [tab_node(),
                        {"id": "in1", "type": "inject", "z": TAB, "name": "json", "props": [{"p": "payload"}],
                         "payload": '{"a":[1,2]}', "payloadType": "json", "repeat": "", "crontab": "", "once": False,
                         "onceDelay": 0.1, "topic": "", "x": 200, "y": 100, "wires": [[]]},
                        {"id": "ch1", "type": "change", "z": TAB, "name": "jsonata", "x": 200, "y": 200,
                         "wires": [[]], "rules": [{"t": "set", "p": "payload", "pt": "msg", "to": "$sum(payload.a)",
                                                   "tot": "jsonata"}]}])
    tray = open_node(page, "in1")
    tray.locator(".ti-expand").first.click()
    dialog = page.locator(".dialog")
    editor = dialog.locator(".cm-editor")
    expect(editor).to_be_visible(timeout=15000)
    assert dialog.locator(".code-field").get_attribute("data-mode") == "json"
    assert lines(editor) == ["{", '    "a": [', "        1,", "        2", "    ]", "}"]     # formatted
    assert "1" in coloured_tokens(editor)                                    # a JSON number
    page.wait_for_function("document.activeElement && document.activeElement.classList.contains('cm-content')")
    page.keyboard.press("Control+End")
    page.keyboard.type(",")
    expect(editor.locator(".cm-lint-marker-error")).to_have_count(1, timeout=10000)
    page.keyboard.press("Backspace")
    expect(editor.locator(".cm-lint-marker-error")).to_have_count(0, timeout=10000)
    page.keyboard.press("Control+Home")
    page.keyboard.press("Control+f")
    expect(editor.locator(".cm-search")).to_be_visible()
    page.keyboard.press("Escape")
    dialog.get_by_role("button", name="Done").click()
    expect(dialog).to_have_count(0)
    tray.locator(".edit-done").click()
    assert json.loads(page.evaluate("window.flowred.model.get('in1').payload")) == {"a": [1, 2]}

    tray = open_node(page, "ch1")
    tray.locator(".ti-expand:visible").first.click()
    dialog = page.locator(".dialog")
    editor = dialog.locator(".cm-editor")
    expect(editor).to_be_visible(timeout=15000)
    assert dialog.locator(".code-field").get_attribute("data-mode") == "jsonata"
    assert lines(editor) == ["$sum(payload.a)"]
    page.keyboard.press("End")
    expect(editor.locator(".cm-matchingBracket")).to_have_count(2)
    dialog.get_by_role("button", name="Cancel").click()
    tray.locator(".edit-cancel").click()


def test_without_the_vendor_files_code_fields_are_textareas(start_server, browser):
    server = start_server(None)
    context = browser.new_context(viewport={"width": 1440, "height": 900})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    refused: list[str] = []

    def missing(route):
        refused.append(route.request.url)
        route.fulfill(status=404, body="Not Found")

    page.route("**/vendor/node_modules/**", missing)     # as a source install without npm
    try:
        open_editor(page, server, nodes=False)
        import_nodes(page, [tab_node(), function_node("fn3", "return msg;")])
        tray = open_node(page, "fn3")
        row = tray.locator('.form-row[data-field="func"]')
        expect(row.locator(".code-status")).to_have_text(
            "Plain text editor: the code editor's files (web/vendor) are not installed.", timeout=15000)
        expect(row.locator(".cm-editor")).to_have_count(0)
        row.locator("textarea").fill("msg.payload = 2;\nreturn msg;")
        tray.locator(".edit-done").click()
        expect(tray).to_have_count(0)
        assert page.evaluate("window.flowred.model.get('fn3').func") == "msg.payload = 2;\nreturn msg;"
        assert refused and not errors, errors
    finally:
        context.close()


def test_time_to_open_a_function_with_500_lines(start_server, page):
    server = start_server(None)
    open_editor(page, server, nodes=False)
    body = "\n".join(f"msg.v{i} = (msg.v{i - 1} || 0) + {i};  // line {i}" for i in range(1, 500)) + "\nreturn msg;"
    assert body.count("\n") == 499
    import_nodes(page, [tab_node(), function_node("big", body), function_node("tiny", "return msg;", y=200)])
    # in the page: from the canvas's "open" (what a double-click sends) to the editor's first lines drawn
    measure = """(id) => new Promise((resolve) => {
        const t0 = performance.now();
        window.flowred.canvas.dispatchEvent(new CustomEvent("open", { detail: { id } }));
        const poll = () => {
            const line = document.querySelector('.tray:not(.closing) [data-field="func"] .cm-editor .cm-line');
            if (line) requestAnimationFrame(() => resolve(Math.round((performance.now() - t0) * 10) / 10));
            else requestAnimationFrame(poll);
        };
        poll();
    })"""
    page.wait_for_function("!!window.flowred.canvas")
    timings = []
    for _ in range(5):
        timings.append(page.evaluate(measure, "big"))
        tray = page.locator(".tray:not(.closing)")
        editor = code_field(tray, "func")
        expect(editor.locator(".cm-line").first).to_have_text("msg.v1 = (msg.v0 || 0) + 1;  // line 1")
        # the last line is there, reached by scrolling the editor
        editor.locator(".cm-content").click()
        page.keyboard.press("Control+End")
        expect(editor.locator(".cm-lineNumbers .cm-gutterElement", has_text="500")).to_have_count(1)
        tray.locator(".edit-cancel").click()
        expect(tray).to_have_count(0)
    small = []          # the same for one line: what the tray itself takes
    for _ in range(5):
        small.append(page.evaluate(measure, "tiny"))
        page.locator(".tray:not(.closing) .edit-cancel").click()
        expect(page.locator(".tray:not(.closing)")).to_have_count(0)
    # the first open also loads CodeMirror's modules (the page loads them when a code field first needs them)
    result = {"lines": 500, "open_ms": timings, "first_open_loads_codemirror": True,
              "median_ms": sorted(timings)[len(timings) // 2],
              "one_line_open_ms": small, "one_line_median_ms": sorted(small)[len(small) // 2]}
    print("open a function node with 500 lines:", result)
    OUTPUT.mkdir(exist_ok=True)
    (OUTPUT / "code-editor-timing.json").write_text(json.dumps(result, indent=2))
