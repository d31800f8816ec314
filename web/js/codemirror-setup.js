// CodeMirror 6 for the editor's code fields: line numbers, syntax highlighting per language,
// auto-indent, bracket matching and closing, Tab indents (Escape then Tab moves on), search
// (Ctrl+F), JavaScript and Python syntax errors as lint markers, and completion (Ctrl+Space, or
// typing; the function and python-function nodes' API from code-completions.js).
//
// The packages come from web/vendor (package.json, pinned by package-lock.json, installed with
// npm ci) through the import map in index.html. Only codeeditor.js imports this module, with a
// dynamic import(), and keeps a textarea when it fails to load.

import { EditorState, Compartment, Prec } from "@codemirror/state";
import {
  EditorView, keymap, lineNumbers, highlightActiveLine, highlightActiveLineGutter, drawSelection,
  highlightSpecialChars, MatchDecorator, Decoration, ViewPlugin,
} from "@codemirror/view";
import { defaultKeymap, history, historyKeymap, indentWithTab } from "@codemirror/commands";
import {
  indentOnInput, bracketMatching, syntaxHighlighting, defaultHighlightStyle, indentUnit, LanguageSupport,
} from "@codemirror/language";
import { search, searchKeymap, highlightSelectionMatches } from "@codemirror/search";
import {
  autocompletion, closeBrackets, closeBracketsKeymap, closeCompletion, completionKeymap, currentCompletions,
} from "@codemirror/autocomplete";
import { linter, lintGutter, lintKeymap } from "@codemirror/lint";
import { javascript, javascriptLanguage } from "@codemirror/lang-javascript";
import { python, pythonLanguage } from "@codemirror/lang-python";
import { json, jsonParseLinter } from "@codemirror/lang-json";
import { html } from "@codemirror/lang-html";
import { css } from "@codemirror/lang-css";
import { yaml } from "@codemirror/lang-yaml";
import { handlebarsLanguage } from "@xiechao/codemirror-lang-handlebars";
import { oneDarkTheme, oneDarkHighlightStyle } from "@codemirror/theme-one-dark";
import { parse } from "acorn";
import { effectiveTheme } from "./theme.js";
import { functionCompletions, pythonFunctionCompletions } from "./code-completions.js";

/** The modes a code field can have; anything else is plain text. */
export const MODES = ["javascript", "python", "json", "jsonata", "html", "css", "yaml", "mustache", "text"];

function language(mode) {
  switch (mode) {
    case "javascript": return javascript();
    case "python": return python();
    case "json": return json();
    case "html": return html();
    case "css": return css();
    case "yaml": return yaml();
    case "mustache": return new LanguageSupport(handlebarsLanguage);
    default: return [];   // jsonata (no CodeMirror mode is published for it) and plain text
  }
}

/**
 * The syntax errors of a function node's JavaScript, as Node-RED's editor finds them: the code
 * is the body of an async function (so `return` and `await` are allowed at its top level).
 * acorn stops at the first error, so this is [] or one error:
 * [{from, to, line, column, message}] with offsets into code and a 1-based line and column.
 */
export function jsSyntaxErrors(code) {
  try {
    parse(code, { ecmaVersion: "latest", sourceType: "script", allowReturnOutsideFunction: true,
      allowAwaitOutsideFunction: true, locations: true });
    return [];
  } catch (err) {
    if (!(err instanceof SyntaxError) || typeof err.pos !== "number") throw err;
    const from = Math.min(err.pos, code.length);
    return [{
      from, to: Math.min(from + 1, code.length), line: err.loc.line, column: err.loc.column + 1,
      message: err.message.replace(/\s*\(\d+:\d+\)$/, ""),
    }];
  }
}

/**
 * The syntax errors of Python code, from the error nodes of the Lezer Python parser's tree
 * (@lezer/python, what @codemirror/lang-python highlights with); `return` at the top level is
 * allowed, as in a python-function body. The parser recovers after an error, so this can find
 * several; one per line: [{from, to, line, column, message}], 1-based line and column. The
 * parser gives no message: it is "Unexpected <text>", "Unexpected end of line" or "Unexpected end
 * of code".
 */
export function pySyntaxErrors(code) {
  const found = [];
  const lines = new Set();
  pythonLanguage.parser.parse(code).iterate({
    enter(node) {
      if (!node.type.isError || found.length >= 50) return;   // 50: enough to show, bounded work
      const before = code.slice(0, node.from);
      const line = before.split("\n").length;
      if (lines.has(line)) return;
      lines.add(line);
      const column = node.from - before.lastIndexOf("\n");
      const rest = code.slice(node.from);
      const text = code.slice(node.from, node.to).trim().split("\n")[0] || rest.split("\n")[0].trim().split(/\s/)[0];
      let message = `Unexpected ${JSON.stringify(text)}`;
      if (!rest.trim()) message = "Unexpected end of code";
      else if (!text) message = "Unexpected end of line";
      found.push({ from: node.from, to: Math.max(node.to, Math.min(node.from + 1, code.length)), line, column, message });
    },
  });
  return found;
}

const jsonSource = jsonParseLinter();

/** The lint source of a mode ({line, column, message} added for the status line), or null. */
function lintSource(mode) {
  if (mode === "javascript") {
    return (view) => jsSyntaxErrors(view.state.doc.toString()).map((e) => ({ ...e, severity: "error" }));
  }
  if (mode === "python") {
    return (view) => pySyntaxErrors(view.state.doc.toString()).map((e) => ({ ...e, severity: "error" }));
  }
  if (mode === "json") {
    return (view) => (view.state.doc.length ? jsonSource(view) : []).map((d) => {
      const line = view.state.doc.lineAt(d.from);
      return { ...d, line: line.number, column: d.from - line.from + 1 };
    });
  }
  return null;
}

// {{tags}} over the other languages of a mustache template (template node, syntax "mustache").
const mustacheTag = Decoration.mark({ class: "cm-mustache-tag" });
const mustacheTags = ViewPlugin.fromClass(class {
  constructor(view) {
    this.matcher = new MatchDecorator({ regexp: /\{\{\{?[^{}]*\}?\}\}/g, decoration: mustacheTag });
    this.decorations = this.matcher.createDeco(view);
  }

  update(update) {
    this.decorations = this.matcher.updateDeco(update, this.decorations);
  }
}, { decorations: (plugin) => plugin.decorations });

const theme = EditorView.theme({
  "&": { fontSize: "12px" },
  "&.cm-focused": { outline: "none" },
  ".cm-scroller": { fontFamily: "var(--mono)", lineHeight: "1.5" },
});
const lightLook = [
  syntaxHighlighting(defaultHighlightStyle, { fallback: true }),
  EditorView.theme({
    "&": { backgroundColor: "#fff" },
    ".cm-gutters": { backgroundColor: "#f6f6f6", color: "#999", borderRight: "1px solid #e2e2e2" },
    ".cm-mustache-tag": { color: "#7a3e9d", backgroundColor: "rgba(122, 62, 157, 0.07)" },
  }),
];
const darkLook = [
  oneDarkTheme,
  syntaxHighlighting(oneDarkHighlightStyle),
  EditorView.theme({ ".cm-mustache-tag": { color: "#d7a8f0", backgroundColor: "rgba(198, 120, 221, 0.14)" } }, { dark: true }),
];
const lookFor = () => (effectiveTheme() === "dark" ? darkLook : lightLook);

// The editor's light or dark look follows the page's (theme.js): every open view is
// reconfigured when <html data-theme> or the system preference changes.
// Views are held weakly: a dialog that closes drops its view without telling this module.
const lookViews = new Set();        // WeakRef(view)
const lookSlotOf = new WeakMap();   // view -> its look Compartment
function updateLooks() {
  const look = lookFor();
  for (const ref of lookViews) {
    const view = ref.deref();
    if (view) view.dispatch({ effects: lookSlotOf.get(view).reconfigure(look) });
    else lookViews.delete(ref);
  }
}
new MutationObserver(updateLooks).observe(document.documentElement, { attributes: true, attributeFilter: ["data-theme"] });
window.matchMedia?.("(prefers-color-scheme: dark)").addEventListener?.("change", updateLooks);

// Escape closes the completion list when it is shown; otherwise (a query still pending after
// typing) it only drops the query and goes on to the dialog's Escape (codeeditor.js).
const completionKeys = Prec.highest(keymap.of(completionKeymap.map((binding) => (binding.key !== "Escape" ? binding : {
  key: "Escape",
  run(view) {
    const shown = currentCompletions(view.state).length > 0;
    closeCompletion(view);
    return shown;
  },
}))));

// Ctrl+Enter is the tray's Done, so the editor leaves it alone.
const editorKeys = defaultKeymap.filter((binding) => binding.key !== "Mod-Enter");

/** The completions of a node type's code: the function node's API in JavaScript, python-function's in Python. */
const API_COMPLETIONS = {
  function: javascriptLanguage.data.of({ autocomplete: functionCompletions }),
  "python-function": pythonLanguage.data.of({ autocomplete: pythonFunctionCompletions }),
};

/**
 * A CodeMirror view in parent (before `before`, if given).
 * options: doc (text), mode (one of MODES), mustache (highlight {{tags}}), lint (check the
 * mode's syntax: javascript, python, json), label (aria-label), autofocus, onChange(text),
 * onDiagnostics([{line, column, message}]) after each lint run, api (a node type whose code
 * API is completed: "function", "python-function"; keywords and local names are completed in
 * any JavaScript or Python field).
 * Returns {view, setMode(mode, mustache), destroy()}.
 */
export function createCodeView({ parent, before = null, doc = "", mode = "text", mustache = false, lint = false,
  label = "", autofocus = false, onChange = null, onDiagnostics = null, api = null }) {
  const languageSlot = new Compartment();
  const lintSlot = new Compartment();
  const lookSlot = new Compartment();
  const lintFor = (m) => {
    const source = lint ? lintSource(m) : null;
    if (!source) {
      onDiagnostics?.([]);
      return [];
    }
    return [linter((view) => {
      const found = source(view);
      onDiagnostics?.(found);
      return found;
    }, { delay: 300 }), lintGutter()];
  };
  const languageFor = (m, tags) => [language(m), tags && m !== "mustache" ? mustacheTags : []];
  const attributes = { "aria-label": label || "Code", tabindex: "0" };
  if (autofocus) attributes.autofocus = "";
  const view = new EditorView({
    parent,
    state: EditorState.create({
      doc,
      extensions: [
        lineNumbers(), highlightActiveLineGutter(), highlightSpecialChars(), history(), drawSelection(),
        EditorState.allowMultipleSelections.of(true), indentOnInput(), indentUnit.of("    "), EditorState.tabSize.of(4),
        lookSlot.of(lookFor()), bracketMatching(), closeBrackets(),
        highlightActiveLine(), highlightSelectionMatches(), search({ top: true }),
        autocompletion({ icons: false, defaultKeymap: false }), completionKeys, API_COMPLETIONS[api] || [],
        keymap.of([...closeBracketsKeymap, ...editorKeys, ...searchKeymap, ...historyKeymap, ...lintKeymap, indentWithTab]),
        EditorView.contentAttributes.of(attributes),
        theme,
        languageSlot.of(languageFor(mode, mustache)),
        lintSlot.of(lintFor(mode)),
        EditorView.updateListener.of((update) => {
          if (update.docChanged && onChange) onChange(update.state.doc.toString());
        }),
      ],
    }),
  });
  if (before) parent.insertBefore(view.dom, before);
  for (const ref of lookViews) if (!ref.deref()) lookViews.delete(ref);
  lookSlotOf.set(view, lookSlot);
  lookViews.add(new WeakRef(view));
  return {
    view,
    setMode(m, tags = mustache) {
      mode = m;
      mustache = tags;
      view.dispatch({ effects: [languageSlot.reconfigure(languageFor(m, tags)), lintSlot.reconfigure(lintFor(m))] });
    },
    destroy() {
      view.destroy();
    },
  };
}
