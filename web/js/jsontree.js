// A collapsible view of a decoded value. Children are built on first expand, so large
// values cost nothing until they are opened.

import { h } from "./dom.js";
import { isMarker } from "./decode.js";

const CHUNK_LIMIT = 10;     // arrays longer than this are grouped in ranges
const PREVIEW_CHARS = 80;

/**
 * Build the tree for a value. Options: key (label of the root), open (root expanded,
 * default true), depth (how many levels below the root start expanded, default 0),
 * path (the root's property path, e.g. "payload"; "" for a whole msg), isOpen(path) (entries
 * that start expanded besides those within depth), decorate(entry, path, value) (called for
 * each entry as it is built, e.g. to add the debug sidebar's tools).
 */
export function renderTree(value, { key = null, open = true, depth = 0, path = "", isOpen = null, decorate = null } = {}) {
  const ctx = { isOpen, decorate };
  return h("div", { class: "jt" }, renderEntry(key, value, open ? depth + 1 : 0, ctx, path, open));
}

const IDENT = /^[A-Za-z_$][\w$]*$/;

/** The property path of a child: "a.b", "a[0]", 'a["x y"]' (as Node-RED's debug "copy path"). */
export function childPath(parent, key, index = false) {
  if (index) return `${parent}[${key}]`;
  if (IDENT.test(String(key))) return parent ? `${parent}.${key}` : String(key);
  return `${parent}[${JSON.stringify(String(key))}]`;
}

/** Kind of a value: how it is labelled and whether it has children. */
function describe(value) {
  if (value === null) return { kind: "null", text: "null" };
  if (value === undefined) return { kind: "undefined", text: "undefined" };
  switch (typeof value) {
    case "string": return { kind: "string", text: value, quoted: true };
    case "number": return { kind: "number", text: String(value) };
    case "boolean": return { kind: "boolean", text: String(value) };
    case "bigint": return { kind: "number", text: `${value}n` };
    default: break;
  }
  if (Array.isArray(value)) {
    return { kind: "array", meta: `array[${value.length}]`, items: value, length: value.length };
  }
  if (isMarker(value)) return describeMarker(value);
  if (typeof value === "object") {
    const keys = Object.keys(value);
    return { kind: "object", meta: `object {${keys.length}}`, keys, obj: value };
  }
  return { kind: "string", text: String(value) };
}

function describeMarker(m) {
  switch (m.type) {
    case "undefined": return { kind: "undefined", text: "undefined" };
    case "internal": return { kind: "meta", text: "[internal]" };
    case "function": return { kind: "meta", text: "[function]" };
    case "number": return { kind: "number", text: String(m.data) };
    case "bigint": return { kind: "number", text: `${m.data}n` };
    case "raw": return { kind: "string", text: String(m.data) };
    case "array": {
      const items = Array.isArray(m.data) ? m.data : [];
      const length = Number(m.length) || items.length;
      const note = length > items.length ? ` (first ${items.length} shown)` : "";
      return { kind: "array", meta: `array[${length}]${note}`, items, length };
    }
    case "set": {
      const items = Array.isArray(m.data) ? m.data : [];
      const length = Number(m.length) || items.length;
      const note = length > items.length ? ` (first ${items.length} shown)` : "";
      return { kind: "array", meta: `set[${length}]${note}`, items, length, noIndex: true };
    }
    case "map": {
      const obj = m.data && typeof m.data === "object" ? m.data : {};
      const keys = Object.keys(obj);
      const length = Number(m.length) || keys.length;
      return { kind: "object", meta: `map {${length}}`, keys, obj };
    }
    case "Buffer": {
      const bytes = Array.isArray(m.data) ? m.data : [];
      return bufferDesc(bytes, Number(m.length) || bytes.length);
    }
    case "hex": {
      const hex = String(m.data || "");
      const bytes = [];
      for (let i = 0; i + 1 < hex.length; i += 2) bytes.push(parseInt(hex.slice(i, i + 2), 16));
      return bufferDesc(bytes, Number(m.length) || bytes.length);
    }
    case "error": {
      const data = m.data && typeof m.data === "object" ? m.data : { message: String(m.data ?? "") };
      const title = `${data.name || "Error"}: ${data.message ?? ""}`;
      const rest = Object.keys(data).filter((k) => k !== "name" && k !== "message");
      if (!rest.length) return { kind: "error", text: title };
      return { kind: "object", meta: title, metaClass: "jt-error", keys: rest, obj: data };
    }
    default: {
      // Unknown marker: show its fields.
      const keys = Object.keys(m).filter((k) => k !== "__enc__");
      return { kind: "object", meta: String(m.type || "object"), keys, obj: m };
    }
  }
}

function bufferDesc(bytes, length) {
  const note = length > bytes.length ? ` (first ${bytes.length} shown)` : "";
  return { kind: "buffer", meta: `buffer[${length}]${note}`, bytes, length };
}

function hasChildren(d) {
  return (d.kind === "object" && d.keys.length > 0) || (d.kind === "array" && d.items.length > 0) ||
    (d.kind === "buffer" && d.bytes.length > 0);
}

function keyNodes(key) {
  if (key === null || key === undefined) return [];
  return [h("span", { class: "jt-key" }, String(key)), h("span", { class: "jt-colon" }, ": ")];
}

function leaf(d) {
  const cls = `jt-value jt-${d.kind}`;
  if (d.quoted) return h("span", { class: cls }, `"${d.text}"`);
  return h("span", { class: cls }, d.text);
}

/** Short inline preview of a collapsed container. */
function preview(d) {
  let parts = [];
  let used = 0;
  const push = (text) => {
    if (used > PREVIEW_CHARS) return false;
    parts.push(text);
    used += text.length + 2;
    return true;
  };
  const short = (v) => {
    const c = describe(v);
    if (c.kind === "object") return Array.isArray(v) ? `array[${v.length}]` : c.meta.split(" ")[0];
    if (c.kind === "array" || c.kind === "buffer") return c.meta.replace(/ \(.*\)$/, "");
    const t = c.quoted ? JSON.stringify(c.text) : c.text;
    return t.length > 30 ? t.slice(0, 29) + "…" : t;
  };
  let more = false;
  if (d.kind === "object") {
    for (const k of d.keys) if (!push(`${k}: ${short(d.obj[k])}`)) { more = true; break; }
    return `{ ${parts.join(", ")}${more ? ", …" : ""} }`;
  }
  if (d.kind === "array") {
    for (const v of d.items) if (!push(short(v))) { more = true; break; }
    if (d.length > d.items.length) more = true;
    return `[ ${parts.join(", ")}${more ? ", …" : ""} ]`;
  }
  if (d.kind === "buffer") {
    parts = d.bytes.slice(0, 12).map(hex2);
    return `<${parts.join(" ")}${d.length > 12 ? " …" : ""}>`;
  }
  return "";
}

function hex2(b) {
  return (Number(b) & 255).toString(16).padStart(2, "0");
}

/** One entry: a leaf line, or a header button with lazily built children. */
function renderEntry(key, value, openDepth, ctx = {}, path = "", rootOpen = false) {
  const d = describe(value);
  let entry;
  if (!hasChildren(d)) {
    const meta = d.meta ? h("span", { class: ["jt-meta", d.metaClass] }, d.meta) : leaf(d);
    entry = h("div", { class: "jt-entry jt-leaf" }, h("span", { class: "jt-spacer" }), keyNodes(key), meta);
  } else {
    const open = openDepth > 0 || rootOpen || !!ctx.isOpen?.(path);
    entry = expandable([...keyNodes(key), h("span", { class: ["jt-meta", d.metaClass] }, d.meta)],
      preview(d), open, (box) => fillChildren(box, d, openDepth - 1, ctx, path));
  }
  entry.dataset.path = path;
  ctx.decorate?.(entry, path, value);
  return entry;
}

/** A header that shows/hides a children box built by fill() on first opening. */
function expandable(headerNodes, previewText, open, fill) {
  const children = h("div", { class: "jt-children" });
  const previewEl = h("span", { class: "jt-preview" }, previewText ? ` ${previewText}` : "");
  const header = h("button", { type: "button", class: "jt-header", "aria-expanded": "false" },
    h("span", { class: "jt-arrow", "aria-hidden": "true" }), headerNodes, previewEl);
  const entry = h("div", { class: "jt-entry" }, header, children);
  let built = false;
  const setOpen = (state) => {
    if (state && !built) {
      fill(children);
      built = true;
    }
    entry.classList.toggle("open", state);
    header.setAttribute("aria-expanded", String(state));
    children.hidden = !state;
    previewEl.hidden = state;
  };
  header.addEventListener("click", (event) => {
    event.stopPropagation();
    setOpen(!entry.classList.contains("open"));
  });
  setOpen(open);
  return entry;
}

function fillChildren(box, d, openDepth, ctx = {}, path = "") {
  if (d.kind === "object") {
    for (const k of d.keys) box.append(renderEntry(k, d.obj[k], openDepth, ctx, childPath(path, k)));
  } else if (d.kind === "array") {
    fillRange(box, d.items, 0, d.items.length, openDepth, d.noIndex, ctx, path);
  } else if (d.kind === "buffer") {
    fillBytes(box, d.bytes, 0, d.bytes.length);
  }
}

/** Indexes of an array at path that lie on an open (pinned) path, for opening their ranges. */
function* pinnedIndexes(ctx, path) {
  for (const p of ctx.isOpen.paths?.() || []) {
    const m = p.startsWith(`${path}[`) ? /^\[(\d+)\]/.exec(p.slice(path.length)) : null;
    if (m) yield Number(m[1]);
  }
}

function chunkSize(count) {
  return 10 ** (Math.ceil(Math.log10(count)) - 1);
}

/** Array items [start, end); long ranges are grouped as "[0 … 99]" sub-ranges. */
function fillRange(box, items, start, end, openDepth, noIndex, ctx = {}, path = "") {
  const count = end - start;
  if (count <= CHUNK_LIMIT) {
    for (let i = start; i < end; i++) box.append(renderEntry(noIndex ? null : i, items[i], openDepth, ctx, childPath(path, i, true)));
    return;
  }
  const size = chunkSize(count);
  for (let from = start; from < end; from += size) {
    const to = Math.min(end, from + size);
    const inside = ctx.isOpen && [...pinnedIndexes(ctx, path)].some((i) => i >= from && i < to);
    box.append(expandable([h("span", { class: "jt-range" }, `[${from} … ${to - 1}]`)], "", !!inside,
      (sub) => fillRange(sub, items, from, to, openDepth, noIndex, ctx, path)));
  }
}

/** Buffer bytes as hex dump lines of 16, grouped in ranges when long. */
function fillBytes(box, bytes, start, end) {
  if (end - start > 256) {
    let size = 256;
    while ((end - start) / size > 16) size *= 16;
    for (let from = start; from < end; from += size) {
      const to = Math.min(end, from + size);
      box.append(expandable([h("span", { class: "jt-range" }, `[${from} … ${to - 1}]`)], "", false,
        (sub) => fillBytes(sub, bytes, from, to)));
    }
    return;
  }
  for (let i = start; i < end; i += 16) {
    const row = bytes.slice(i, Math.min(end, i + 16));
    const ascii = row.map((b) => (b >= 32 && b < 127 ? String.fromCharCode(b) : ".")).join("");
    box.append(h("div", { class: "jt-entry jt-leaf jt-hexline" },
      h("span", { class: "jt-spacer" }),
      h("span", { class: "jt-key" }, i.toString(16).padStart(4, "0")),
      h("span", { class: "jt-colon" }, "  "),
      h("span", { class: "jt-value jt-number" }, row.map(hex2).join(" ").padEnd(47, " ")),
      h("span", { class: "jt-ascii" }, `  ${ascii}`)));
  }
}
