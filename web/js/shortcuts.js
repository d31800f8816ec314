// Named editor actions and the keyboard shortcuts bound to them, after Node-RED's
// RED.actions and its default keymap (editor-client/src/js/keymap.json): the context menu,
// the main menu and the keyboard call the same actions, and the "?" dialog (Shift+/) lists
// every shortcut.
//
// KEYMAP is the table of shortcuts: [{keys, action, scope, label}], keys as Node-RED writes
// them ("ctrl-shift-z"); scope "*" works anywhere but in a field being typed in, "workspace"
// when the focus is on the page or the canvas (not in a field). Some of them (deploy,
// import, export, copy/cut/paste, undo/redo, delete, group) are handled by app.js's own key
// handler and canvas-pointer.js; installShortcuts() handles the others.

import { h } from "./dom.js";
import { openDialog, overlayOpen } from "./dialog.js";

/** The shortcuts, as Node-RED 5's default keymap (those FlowRed has actions for). */
export const KEYMAP = [
  { keys: "ctrl-f", action: "core:search", scope: "*", label: "Search the flows" },
  { keys: "ctrl-d", action: "core:deploy-flows", scope: "*", label: "Deploy" },
  { keys: "ctrl-e", action: "core:show-export-dialog", scope: "*", label: "Export" },
  { keys: "ctrl-i", action: "core:show-import-dialog", scope: "*", label: "Import" },
  { keys: "ctrl-.", action: "core:show-quick-add", scope: "workspace", label: "Add a node (quick-add)" },
  { keys: "ctrl-click", action: "core:show-quick-add", scope: "workspace", label: "Add a node at the pointer (on the background)" },
  { keys: "delete", action: "core:delete-selection", scope: "workspace", label: "Delete the selection" },
  { keys: "backspace", action: "core:delete-selection", scope: "workspace", label: "Delete the selection" },
  { keys: "enter", action: "core:edit-selected-node", scope: "workspace", label: "Edit the selected node" },
  { keys: "ctrl-enter", action: "core:go-to-selection", scope: "workspace", label: "Show the selection" },
  { keys: "ctrl-c", action: "core:copy-selection-to-internal-clipboard", scope: "workspace", label: "Copy" },
  { keys: "ctrl-x", action: "core:cut-selection-to-internal-clipboard", scope: "workspace", label: "Cut" },
  { keys: "ctrl-v", action: "core:paste-from-internal-clipboard", scope: "workspace", label: "Paste" },
  { keys: "ctrl-z", action: "core:undo", scope: "workspace", label: "Undo" },
  { keys: "ctrl-y", action: "core:redo", scope: "workspace", label: "Redo" },
  { keys: "ctrl-shift-z", action: "core:redo", scope: "workspace", label: "Redo" },
  { keys: "ctrl-a", action: "core:select-all-nodes", scope: "workspace", label: "Select all nodes of the flow" },
  { keys: "escape", action: "core:select-none", scope: "workspace", label: "Clear the selection" },
  { keys: "ctrl-shift-g", action: "core:group-selection", scope: "workspace", label: "Group the selection" },
  { keys: "ctrl-shift-u", action: "core:ungroup-selection", scope: "workspace", label: "Ungroup the selection" },
  { keys: "ctrl-[", action: "core:show-previous-tab", scope: "workspace", label: "Previous flow" },
  { keys: "ctrl-]", action: "core:show-next-tab", scope: "workspace", label: "Next flow" },
  { keys: "ctrl-+", action: "core:zoom-in", scope: "workspace", label: "Zoom in" },
  { keys: "ctrl--", action: "core:zoom-out", scope: "workspace", label: "Zoom out" },
  { keys: "ctrl-0", action: "core:zoom-reset", scope: "workspace", label: "Reset the zoom" },
  { keys: "ctrl-1", action: "core:zoom-fit", scope: "workspace", label: "Zoom to fit the flow" },
  { keys: "shift-?", action: "core:show-keyboard-settings", scope: "workspace", label: "Show the keyboard shortcuts" },
  { keys: "arrows", action: "core:move-selection", scope: "workspace", label: "Move the selection (Shift: by 20) or pan" },
  { keys: "alt-drag, middle-drag, space-drag, wheel", action: "", scope: "workspace", label: "Pan" },
  { keys: "ctrl-wheel", action: "", scope: "workspace", label: "Zoom" },
];

/** Actions by id (Node-RED's RED.actions): add(id, fn, {label}), run(id), has(id). */
export class Actions {
  constructor() {
    this.map = new Map();
  }

  /** Register an action; fn() does it. */
  add(id, fn) {
    this.map.set(id, fn);
  }

  has(id) {
    return this.map.has(id);
  }

  /** Run an action; returns false when there is no such action. */
  run(id, ...args) {
    const fn = this.map.get(id);
    if (!fn) return false;
    fn(...args);
    return true;
  }

  /** The shortcut shown for an action ("Ctrl-F"), or "". */
  hint(id) {
    const entry = KEYMAP.find((k) => k.action === id && !k.keys.includes("click"));
    return entry ? formatKeys(entry.keys) : "";
  }
}

/** "ctrl-shift-z" as "Ctrl-Shift-Z". */
export function formatKeys(keys) {
  const minus = keys.endsWith("--");
  const parts = (minus ? keys.slice(0, -2) : keys).split("-");
  if (minus) parts.push("-");
  return parts.map((p) => (p.length === 1 ? p.toUpperCase() : p[0].toUpperCase() + p.slice(1))).join("-");
}

/** Whether a key event happens in a place that types text (a field, a code editor). */
export function isTyping(target) {
  return !!target && (target.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(target.tagName) ||
    !!target.closest?.(".cm-editor, [contenteditable=true]"));
}

/**
 * Handle the shortcuts that app.js does not: search, quick-add, edit, go to selection, zoom,
 * previous/next tab and the "?" dialog. Keys pressed in a field or with a dialog open do nothing.
 */
export function installShortcuts(actions) {
  document.addEventListener("keydown", (event) => {
    if (isTyping(event.target) || overlayOpen() || event.defaultPrevented) return;
    const mod = event.ctrlKey || event.metaKey;
    const key = event.key;
    let id = null;
    if (mod && !event.shiftKey && key.toLowerCase() === "f") id = "core:search";
    else if (mod && key === ".") id = "core:show-quick-add";
    else if (mod && (key === "+" || key === "=")) id = "core:zoom-in";
    else if (mod && key === "-") id = "core:zoom-out";
    else if (mod && key === "0") id = "core:zoom-reset";
    else if (mod && key === "1") id = "core:zoom-fit";
    else if (mod && key === "[") id = "core:show-previous-tab";
    else if (mod && key === "]") id = "core:show-next-tab";
    else if (mod && key === "Enter") id = "core:go-to-selection";
    else if (!mod && !event.altKey && (key === "?" || (event.shiftKey && key === "/"))) id = "core:show-keyboard-settings";
    else if (!mod && !event.altKey && !event.shiftKey && key === "Enter" && event.target?.closest?.(".flow-canvas, body") &&
      (event.target === document.body || event.target.classList?.contains("flow-canvas"))) id = "core:edit-selected-node";
    if (!id || !actions.has(id)) return;
    event.preventDefault();
    actions.run(id);
  });
}

/** The "?" dialog: every shortcut with what it does. */
export function showShortcuts() {
  const rows = KEYMAP.map((k) => h("tr", { dataset: { action: k.action } },
    h("th", null, k.keys.split(", ").map(formatKeys).join(", ")), h("td", null, k.label)));
  openDialog({
    title: "Keyboard shortcuts",
    className: "shortcuts-dialog",
    body: h("table", { class: "shortcuts" }, rows),
    buttons: [{ label: "Close", kind: "primary", onClick: (close) => close() }],
  });
}
