// A code field of the edit forms (function code, templates, JSON and JSONata values): a
// CodeMirror 6 editor (codemirror-setup.js, from web/vendor), shown as a textarea while
// CodeMirror loads, and for good, with a one-line notice, when its files are not installed.
// CodeMirror loads when the first code field is made, so the page itself starts as before.
//
// Keyboard: Tab indents inside the editor. Escape (when CodeMirror has no use for it, such as
// closing its search panel) lets the next key decide: Tab moves on to the next field
// (CodeMirror's tab focus mode), a second Escape cancels the dialog as everywhere else, any
// other key goes back to editing.

import { h } from "./dom.js";

let setup = null;       // codemirror-setup.js once loaded
let loading = null;     // its import() promise
let failure = null;     // why it could not be loaded

/** Start loading CodeMirror (once); resolves to the module, or null when it is not there. */
export function loadCodeMirror() {
  loading ||= import("./codemirror-setup.js").then((module) => {
    setup = module;
    return module;
  }, (err) => {
    failure = err;
    console.warn("The code editor's files did not load; code fields are plain text areas.", err);
    return null;
  });
  return loading;
}

const LINE_PX = 18;      // 12px text at line-height 1.5
const ESCAPE_MS = 10000; // how long Escape waits for the key that decides
const MODIFIERS = new Set(["Shift", "Control", "Alt", "Meta", "AltGraph", "CapsLock"]);

export const FALLBACK_NOTICE = "Plain text editor: the code editor's files (web/vendor) are not installed.";

export class CodeEditor {
  /**
   * options: value (text), mode ("javascript", "python", "json", "jsonata", "html", "css",
   * "yaml", "mustache", "text"), mustache (highlight {{tags}} in another mode), lint (show
   * syntax errors: javascript, python, json), id, label, rows (visible lines), autofocus,
   * onChange(text), api (complete a node type's code API: "function", "python-function").
   * After each lint run the element (.el) gets a bubbling "code-problems" event, detail
   * {count}.
   */
  constructor({ value = "", mode = "text", mustache = false, lint = false, id = null, label = "", rows = 8,
    autofocus = false, onChange = null, api = null } = {}) {
    this.mode = mode;
    this.api = api;
    this.mustache = mustache;
    this.lint = lint;
    this.label = label;
    this.autofocus = autofocus;
    this.onChange = onChange;
    this.handle = null;
    this.escaped = null;    // the timer while an Escape waits for the next key
    this.problems = [];
    this.textarea = h("textarea", { id, class: "input code-editor", rows, spellcheck: "false", "aria-label": label || null,
      autofocus: autofocus || null });
    this.textarea.value = value;
    this.textarea.addEventListener("input", () => this.onChange?.(this.textarea.value));
    this.status = h("div", { class: "code-status", role: "status", "aria-live": "polite" });
    this.el = h("div", { class: "code-field", dataset: { mode } }, this.textarea, this.status);
    this.el.style.setProperty("--code-height", `${rows * LINE_PX + 10}px`);
    this.el.addEventListener("keydown", (event) => this.keydown(event));
    this.el.addEventListener("focusout", (event) => {
      if (!this.el.contains(event.relatedTarget)) this.settleEscape();
    });
    if (setup) this.upgrade();
    else if (failure) this.fallback();
    else loadCodeMirror().then((module) => (module ? this.upgrade() : this.fallback()));
  }

  /** The text. */
  get value() {
    return this.handle ? this.handle.view.state.doc.toString() : this.textarea.value;
  }

  set value(text) {
    text = text ?? "";
    this.textarea.value = text;
    if (this.handle) {
      const { view } = this.handle;
      view.dispatch({ changes: { from: 0, to: view.state.doc.length, insert: text } });
    }
  }

  /** Whether CodeMirror runs here (false while it loads, and when its files are missing). */
  get enhanced() {
    return this.handle !== null;
  }

  /** Change the language (and the {{tag}} highlighting of mustache templates). */
  setMode(mode, mustache = this.mustache) {
    this.mode = mode;
    this.mustache = mustache;
    this.el.dataset.mode = mode;
    this.handle?.setMode(mode, mustache);
  }

  focus() {
    if (this.handle) this.handle.view.focus();
    else this.textarea.focus();
  }

  /**
   * The syntax errors of JavaScript or Python code with lint on: [{line, column, message}]; []
   * when there are none, for other modes, and when CodeMirror (with its parsers) is not loaded.
   */
  syntaxErrors() {
    if (!setup || !this.lint || !["javascript", "python"].includes(this.mode)) return [];
    const found = this.mode === "python" ? setup.pySyntaxErrors(this.value) : setup.jsSyntaxErrors(this.value);
    return found.map(({ line, column, message }) => ({ line, column, message }));
  }

  /** Measure again after the editor was hidden (a tab of the form shown again). */
  refresh() {
    this.handle?.view.requestMeasure();
  }

  /** Replace the textarea with CodeMirror, keeping the text and the focus. */
  upgrade() {
    if (this.handle) return;
    const hadFocus = document.activeElement === this.textarea;
    this.handle = setup.createCodeView({
      parent: this.el, before: this.textarea, doc: this.textarea.value, mode: this.mode, mustache: this.mustache,
      lint: this.lint, label: this.label, autofocus: this.autofocus, api: this.api,
      onChange: (text) => this.onChange?.(text),
      onDiagnostics: (found) => this.showProblems(found),
    });
    this.textarea.remove();
    this.el.classList.add("code-field-enhanced");
    this.el.dataset.keepsTab = "";   // dialog.js: Tab belongs to the editor until Escape
    if (hadFocus) this.handle.view.focus();
  }

  fallback() {
    this.el.classList.add("code-field-plain");
    this.status.textContent = FALLBACK_NOTICE;
  }

  showProblems(found) {
    this.problems = found;
    if (!this.escaped) {   // while an Escape waits for the next key its hint stays; settleEscape shows these
      this.status.classList.toggle("has-problems", found.length > 0);
      this.status.textContent = found.map((d) => `Line ${d.line}, column ${d.column}: ${d.message}`).join(" · ");
    }
    this.el.dispatchEvent(new CustomEvent("code-problems", { bubbles: true, detail: { count: found.length } }));
  }

  /** Escape: CodeMirror's own use (closing search) first, then "the next key decides" (see the top). */
  keydown(event) {
    if (!this.handle) return;
    if (event.key !== "Escape") {
      if (this.escaped && !MODIFIERS.has(event.key)) this.settleEscape();
      return;
    }
    if (event.defaultPrevented) {
      event.stopPropagation();
      return;
    }
    if (this.escaped) {        // the second Escape: the dialog's cancel
      this.settleEscape();
      return;
    }
    event.stopPropagation();
    this.handle.view.setTabFocusMode(ESCAPE_MS);
    this.escaped = setTimeout(() => this.settleEscape(), ESCAPE_MS);
    this.status.classList.remove("has-problems");
    this.status.textContent = "Tab moves to the next field; Escape again cancels.";
  }

  /** The key after Escape came (or the time ran out): back to the lint summary. */
  settleEscape() {
    if (!this.escaped) return;
    clearTimeout(this.escaped);
    this.escaped = null;
    this.showProblems(this.problems);
  }

  destroy() {
    this.handle?.destroy();
  }
}
