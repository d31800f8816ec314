// The debug sidebar's tools on the values of a message, as Node-RED's debug sidebar
// (editor-client src/js/ui/utils.js createObjectElement): on each entry of a message's tree,
// "copy path" (e.g. payload.session.expires_at), "copy value" (as JSON) and "pin" (the path
// stays expanded in later messages of the same debug node); a click on a number shows it in
// turn as decimal, hex and, when it looks like one, a date of a millisecond or second timestamp.

import { h, s } from "./dom.js";
import { isMarker } from "./decode.js";

const MS_MIN = 946684800000;    // 2000-01-01 in ms: smaller numbers are not taken for ms timestamps
const MS_MAX = 4102444800000;   // 2100-01-01
const S_MIN = MS_MIN / 1000;
const S_MAX = MS_MAX / 1000;

/**
 * A marker-free copy of a decoded debug value (decode.js markers: Buffer → its byte array,
 * array/set → items, map → object, number/bigint → number or text, undefined → null, ...), for
 * "copy value".
 */
export function plainValue(value) {
  if (Array.isArray(value)) return value.map(plainValue);
  if (value === undefined) return null;
  if (typeof value === "bigint") return value.toString();
  if (!value || typeof value !== "object") return value;
  if (isMarker(value)) {
    switch (value.type) {
      case "Buffer": return Array.isArray(value.data) ? value.data : [];
      case "hex": {
        const hex = String(value.data || "");
        const out = [];
        for (let i = 0; i + 1 < hex.length; i += 2) out.push(parseInt(hex.slice(i, i + 2), 16));
        return out;
      }
      case "array": case "set": return Array.isArray(value.data) ? value.data.map(plainValue) : [];
      case "map": case "error": return plainValue(value.data ?? {});
      case "number": return Number.isFinite(Number(value.data)) ? Number(value.data) : String(value.data);
      case "bigint": return String(value.data);
      case "undefined": return null;
      case "function": return "[function]";
      case "internal": return "[internal]";
      default: return value.data !== undefined ? plainValue(value.data) : null;
    }
  }
  const out = {};
  for (const [k, v] of Object.entries(value)) out[k] = plainValue(v);
  return out;
}

/** Write text to the clipboard (the async Clipboard API, else a hidden textarea's copy). */
export async function copyText(text) {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    const area = h("textarea", { class: "visually-hidden", "aria-hidden": "true" });
    area.value = text;
    document.body.append(area);
    area.select();
    let ok = false;
    try {
      ok = document.execCommand("copy");
    } catch { /* not allowed */ }
    area.remove();
    return ok;
  }
}

/**
 * The views a number cycles through on click: decimal, hex (integers only), and a date when
 * it is a plausible millisecond or second timestamp (2000–2100). Returns [{kind, text}].
 */
export function numberViews(n) {
  const views = [{ kind: "dec", text: String(n) }];
  if (Number.isSafeInteger(n)) views.push({ kind: "hex", text: `${n < 0 ? "-" : ""}0x${Math.abs(n).toString(16)}` });
  if (n >= MS_MIN && n < MS_MAX) views.push({ kind: "date", text: `${new Date(n).toISOString()} (ms)` });
  else if (n >= S_MIN && n < S_MAX) views.push({ kind: "date", text: `${new Date(n * 1000).toISOString()} (s)` });
  return views;
}

function numberOf(value) {
  if (typeof value === "number") return value;
  if (isMarker(value) && value.type === "number" && Number.isFinite(Number(value.data))) return Number(value.data);
  return null;
}

const TOOL_ICONS = {
  "jt-copy-path": "M7 3h9v10H7zM4 6v11h9",
  "jt-pin": "M8 2.5h4l-.8 5.5 3.3 3.5h-9L8.8 8zM10 11.5V18",
};

function toolButton(label, cls, onClick) {
  const icon = TOOL_ICONS[cls];
  return h("button", {
    type: "button",
    class: ["jt-tool", cls],
    title: label,
    "aria-label": label,
    onClick: (event) => {
      event.stopPropagation();
      onClick(event.currentTarget);
    },
  }, icon ? s("svg", { viewBox: "0 0 20 20", "aria-hidden": "true" }, s("path", { d: icon })) : null);
}

/**
 * renderTree options for one debug message: its property path as the root ("payload", or ""
 * for a whole msg), the debug node's pinned paths opened, and the tools on every entry.
 * pins: Map debug node id → Set of paths, shared by all messages; notify(text) tells the user
 * what was copied.
 */
export function debugTreeOptions({ pins, nodeId, property, notify }) {
  const pinned = () => pins.get(nodeId) || new Set();
  const isOpen = (path) => {
    for (const p of pinned()) if (path === "" || p === path || p.startsWith(`${path}.`) || p.startsWith(`${path}[`)) return true;
    return false;
  };
  isOpen.paths = () => pinned();
  // The tools of an entry are built when the pointer or the focus first reaches it (or at
  // once when it is pinned): a tree of many entries costs no buttons until they are used.
  const addTools = (entry, path, value) => {
    if (entry.querySelector(":scope > .jt-tools")) return;
    const tools = h("span", { class: "jt-tools" },
      toolButton("Copy path", "jt-copy-path", async () => {
        if (await copyText(path)) notify?.(`Copied path: ${path || "msg"}`);
      }),
      toolButton("Copy value", "jt-copy-value", async () => {
        const text = JSON.stringify(plainValue(value), null, 2) ?? "undefined";
        if (await copyText(text)) notify?.("Copied the value to the clipboard");
      }),
      entry.classList.contains("jt-leaf") ? null : toolButton("Pin open", "jt-pin", (button) => {
        const set = pins.get(nodeId) || new Set();
        const on = !set.has(path);
        if (on) set.add(path);
        else set.delete(path);
        pins.set(nodeId, set);
        button.setAttribute("aria-pressed", String(on));
        entry.classList.toggle("jt-pinned", on);
      }));
    const pin = tools.querySelector(".jt-pin");
    if (pin) {
      const on = pinned().has(path);
      pin.setAttribute("aria-pressed", String(on));
      entry.classList.toggle("jt-pinned", on);
    }
    entry.insertBefore(tools, entry.querySelector(":scope > .jt-children"));
  };
  const decorate = (entry, path, value) => {
    if (pinned().has(path)) addTools(entry, path, value);
    else {
      const add = () => addTools(entry, path, value);
      entry.addEventListener("pointerenter", add, { once: true });
      entry.addEventListener("focusin", add, { once: true });
    }
    const n = numberOf(value);
    const numberEl = n === null ? null : entry.querySelector(":scope > .jt-number");
    if (numberEl) {
      const views = numberViews(n);
      if (views.length > 1) {
        let at = 0;
        numberEl.classList.add("jt-cycle");
        numberEl.title = "Click: decimal, hex, date";
        numberEl.addEventListener("click", (event) => {
          event.stopPropagation();
          at = (at + 1) % views.length;
          numberEl.textContent = views[at].text;
          numberEl.dataset.view = views[at].kind;
        });
      }
    }
  };
  return { path: property ?? "", isOpen, decorate };
}
