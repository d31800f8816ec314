// Modal dialogs and the edit tray (Node-RED's panel that slides in over the workspace).

import { h } from "./dom.js";

const openStack = [];
const layers = [];   // open dialogs and trays, in the order they opened: the last one has the keyboard

const FOCUSABLE = "a[href], button:not([disabled]), input:not([disabled]):not([type=hidden]), select:not([disabled]), " +
  "textarea:not([disabled]), summary, [tabindex], [contenteditable=\"true\"]";

/** The elements of root that Tab reaches, in document order (visible, enabled, tabindex >= 0). */
export function tabStops(root) {
  return [...root.querySelectorAll(FOCUSABLE)].filter((el) => el.tabIndex >= 0 && !el.closest("[hidden], [inert]") &&
    el.getClientRects().length > 0 && getComputedStyle(el).visibility !== "hidden");
}

/** Focus the first tab stop of root matching one of the selectors (in order), else the first one. */
function focusFirst(root, selectors) {
  const stops = tabStops(root);
  for (const selector of selectors) {
    const hit = stops.find((el) => el.matches(selector));
    if (hit) {
      hit.focus({ preventScroll: true });
      return;
    }
  }
  stops[0]?.focus({ preventScroll: true });
}

/** Tab and Shift+Tab go round the tab stops of root and never leave it (a modal's focus trap). */
function cycleFocus(root, event) {
  const stops = tabStops(root);
  event.preventDefault();
  if (!stops.length) return;
  const i = stops.indexOf(document.activeElement);
  const next = i < 0 ? (event.shiftKey ? stops.length - 1 : 0) : (i + (event.shiftKey ? -1 : 1) + stops.length) % stops.length;
  stops[next].focus();
}

// The keyboard belongs to the top dialog or tray: Tab cycles inside it, Escape cancels it (also
// when the focus was lost to the page behind), and no key pressed in it reaches the canvas or
// the global shortcuts behind it.
// A code editor ([data-keeps-tab], codeeditor.js) takes Tab to indent; when it lets a Tab pass
// (Escape then Tab), the focus moves on as from any field.
document.addEventListener("keydown", (event) => {
  const top = layers.at(-1);
  if (!top) return;
  if (event.key === "Tab") {
    if (event.target.closest?.("[data-keeps-tab]")) return;
    cycleFocus(top.el, event);
  } else if (event.key === "Escape" && !top.el.contains(event.target) && !event.defaultPrevented) {
    event.preventDefault();
    top.cancel();
  }
}, true);

document.addEventListener("keydown", (event) => {
  const top = layers.at(-1);
  if (top && event.key === "Tab" && !event.defaultPrevented && event.target.closest?.("[data-keeps-tab]")) {
    cycleFocus(top.el, event);
  }
});

function button({ label, kind = "secondary", onClick, id, cls, title, disabled }) {
  return h("button", { type: "button", class: ["btn", `btn-${kind}`, cls], id, title, disabled: !!disabled, onClick }, label);
}

/**
 * A modal dialog. buttons: [{label, kind: "primary"|"secondary"|"danger", onClick(close), id}].
 * Returns {el, close}. Escape (or the backdrop) calls onCancel (default: close); Tab and
 * Shift+Tab cycle inside the dialog and other keys stay in it (nothing behind acts on them).
 */
export function openDialog({ title, body, buttons = [], className = "", onCancel = null, width = null }) {
  const previous = document.activeElement;
  let closed = false;
  const close = () => {
    if (closed) return;
    closed = true;
    backdrop.remove();
    const i = openStack.indexOf(entry);
    if (i >= 0) openStack.splice(i, 1);
    const j = layers.indexOf(layer);
    if (j >= 0) layers.splice(j, 1);
    if (previous && previous.focus && document.contains(previous)) previous.focus({ preventScroll: true });
  };
  const cancel = () => (onCancel ? onCancel(close) : close());
  const titleId = `dialog-title-${Math.random().toString(36).slice(2)}`;
  const footer = h("div", { class: "dialog-footer" },
    buttons.map((b) => (b.spacer ? h("span", { class: "dialog-footer-spacer" }) : button({ ...b, onClick: () => b.onClick(close) }))));
  const dialog = h("div", {
    class: ["dialog", className], role: "dialog", "aria-modal": "true", "aria-labelledby": titleId,
    style: width ? { width: typeof width === "number" ? `${width}px` : width } : null,
  },
  h("div", { class: "dialog-header" },
    h("h2", { class: "dialog-title", id: titleId }, title),
    h("button", { type: "button", class: "dialog-close", "aria-label": "Close", onClick: cancel }, "×")),
  h("div", { class: "dialog-body" }, body),
  buttons.length ? footer : null);
  const backdrop = h("div", { class: "dialog-backdrop" }, dialog);
  backdrop.addEventListener("pointerdown", (event) => {
    if (event.target === backdrop) cancel();
  });
  dialog.addEventListener("keydown", (event) => {
    if (event.key === "Escape") {
      event.stopPropagation();
      event.preventDefault();
      cancel();
    } else if (event.key !== "Tab") {
      event.stopPropagation();
    }
  });
  document.body.append(backdrop);
  const entry = { close };
  openStack.push(entry);
  const layer = { el: dialog, cancel };
  layers.push(layer);
  requestAnimationFrame(() => {
    if (closed || dialog.contains(document.activeElement)) return;
    focusFirst(dialog, ["[autofocus]", ".dialog-body input, .dialog-body textarea, .dialog-body select", ".btn-primary", ".dialog-close"]);
  });
  return { el: dialog, close, footer };
}

/** A small confirm dialog; resolves to the chosen button's value (null when cancelled). */
export function choose(title, text, choices) {
  return new Promise((resolve) => {
    const body = h("div", { class: "dialog-message" }, ...(Array.isArray(text) ? text : [text]).map((t) => (t instanceof Node ? t : h("p", null, t))));
    openDialog({
      title,
      body,
      className: "dialog-small",
      onCancel: (close) => {
        close();
        resolve(null);
      },
      buttons: choices.map((c) => ({
        label: c.label,
        kind: c.kind || "secondary",
        id: c.id,
        onClick: (close) => {
          close();
          resolve(c.value);
        },
      })),
    });
  });
}

let trayHost = null;
const trays = [];

/** Whether a modal dialog or tray is open (global shortcuts then stay quiet). */
export function overlayOpen() {
  return openStack.length > 0 || trays.length > 0;
}

/**
 * An edit tray over the workspace; trays stack (a config node's form over a node's form).
 * buttons: right-hand buttons as for openDialog; left: nodes shown at the footer's left.
 * onCancel/onDone are bound to Escape and Ctrl-Enter (Escape closes when there is no onCancel);
 * Tab cycles inside the tray and other keys stay in it. Returns {el, close, body}.
 */
export function openTray({ title, body, buttons = [], left = null, onCancel, onDone, className = "" }) {
  trayHost ||= document.getElementById("tray-host");
  const previous = document.activeElement;
  let closed = false;
  const close = () => {
    if (closed) return;
    closed = true;
    el.classList.add("closing");
    const i = trays.indexOf(entry);
    if (i >= 0) trays.splice(i, 1);
    const j = layers.indexOf(layer);
    if (j >= 0) layers.splice(j, 1);
    trays.at(-1)?.el.classList.remove("covered");
    setTimeout(() => el.remove(), 150);
    trayHost.classList.toggle("open", trays.length > 0);
    if (previous && previous.focus && document.contains(previous)) previous.focus({ preventScroll: true });
  };
  const el = h("section", { class: ["tray", className], role: "dialog", "aria-label": title },
    h("div", { class: "tray-header" },
      h("h2", { class: "tray-title" }, title),
      h("div", { class: "tray-buttons" },
        buttons.map((b) => button({ ...b, onClick: () => b.onClick(close) })))),
    h("div", { class: "tray-body" }, body),
    left ? h("div", { class: "tray-footer" }, left) : null);
  const cancel = () => (onCancel ? onCancel(close) : close());
  el.addEventListener("keydown", (event) => {
    if (event.key === "Escape") {
      event.preventDefault();
      event.stopPropagation();
      cancel();
    } else if (event.key === "Enter" && (event.ctrlKey || event.metaKey) && onDone) {
      event.preventDefault();
      event.stopPropagation();
      onDone(close);
    } else if (event.key !== "Tab") {
      event.stopPropagation();
    }
  });
  trays.at(-1)?.el.classList.add("covered");
  const entry = { el, close };
  trays.push(entry);
  const layer = { el, cancel };
  layers.push(layer);
  trayHost.append(el);
  trayHost.classList.add("open");
  requestAnimationFrame(() => {
    if (closed || el.contains(document.activeElement)) return;
    focusFirst(el, [".tray-body [autofocus]", ".tray-body input, .tray-body select, .tray-body textarea", ".tray-buttons .btn-primary"]);
  });
  return { el, close, body };
}
