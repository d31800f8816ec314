// The palette: every node type the runtime has (GET /node-types), grouped by category, with a
// filter. Drag an entry onto the canvas to add a node; Enter (or double-click) adds it in the
// middle of the view.
//
// Events dispatched on the Palette:
//   "add"  detail {type, clientX, clientY}  dropped at a client point (null: the view's centre)

import { h, s, clear } from "./dom.js";
import { ICONS, typeDef, serverTypeList } from "./nodetypes.js";

const CATEGORY_ORDER = ["subflows", "common", "function", "network", "sequence", "parser", "storage", "AI"];

function paletteNode(type) {
  const def = typeDef(type);
  const label = def.paletteLabel || type;
  const svg = s("svg", { class: "palette-icon", viewBox: "0 0 20 20", "aria-hidden": "true" },
    s("path", { d: ICONS[def.icon] || ICONS.cog, class: "node-icon" }));
  const el = h("div", {
    class: ["palette-node", def.align === "right" && "align-right", def.inputs > 0 && "has-input", (def.outputs ?? 1) > 0 && "has-output"],
    role: "button",
    tabindex: "0",
    title: def.subflow ? `Subflow: ${label}` : def.help ? String(def.help).split("\n")[0].replace(/``/g, "") : type,
    "aria-label": def.subflow ? `Add ${article(label)} ${label} subflow` : `Add ${article(type)} ${type} node`,
    dataset: { type },
  }, h("span", { class: "palette-node-icon" }, svg), h("span", { class: "palette-node-label" }, label),
  h("span", { class: "palette-port palette-port-in", "aria-hidden": "true" }), h("span", { class: "palette-port palette-port-out", "aria-hidden": "true" }));
  el.style.setProperty("--node-color", def.color);
  if (luminanceOf(def.color) > 0.72) el.classList.add("light");
  return el;
}

/** "a" or "an" before a word, by its first letter ("an inject", "a debug"). */
function article(word) {
  return /^[aeiou]/i.test(String(word)) ? "an" : "a";
}

function luminanceOf(hex) {
  const m = /^#?([0-9a-f]{3}|[0-9a-f]{6})$/i.exec(hex || "");
  if (!m) return 1;
  let v = m[1];
  if (v.length === 3) v = [...v].map((c) => c + c).join("");
  const [r, g, b] = [0, 2, 4].map((i) => parseInt(v.slice(i, i + 2), 16) / 255);
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

export class Palette extends EventTarget {
  constructor(root) {
    super();
    this.root = root;
    this.list = root.querySelector(".palette-list");
    this.filter = root.querySelector(".palette-filter");
    this.collapsed = new Set();
    this.subflows = [];
    this.filter.addEventListener("input", () => this.applyFilter());
    this.filter.addEventListener("keydown", (event) => {
      if (event.key === "Escape") {
        this.filter.value = "";
        this.applyFilter();
      } else if (event.key === "Enter") {
        const first = this.list.querySelector(".palette-node:not([hidden])");
        if (first) this.dispatchEvent(new CustomEvent("add", { detail: { type: first.dataset.type, clientX: null, clientY: null } }));
      }
    });
    this.installDrag();
  }

  setSubflows(subflows) {
    this.subflows = subflows;
    this.render();
  }

  render() {
    clear(this.list);
    const byCategory = new Map();
    const add = (category, type) => {
      if (!byCategory.has(category)) byCategory.set(category, []);
      byCategory.get(category).push(type);
    };
    for (const sf of this.subflows) add("subflows", `subflow:${sf.id}`);
    for (const info of serverTypeList()) {
      if (info.configNode || info.category === "config") continue;
      add(info.category || "other", info.type);
    }
    const categories = [...byCategory.keys()].sort((a, b) => {
      const ia = CATEGORY_ORDER.indexOf(a);
      const ib = CATEGORY_ORDER.indexOf(b);
      return (ia < 0 ? 99 : ia) - (ib < 0 ? 99 : ib) || a.localeCompare(b);
    });
    for (const category of categories) {
      const open = !this.collapsed.has(category);
      const header = h("button", { type: "button", class: "palette-category-header", "aria-expanded": String(open) },
        h("span", { class: "palette-chevron", "aria-hidden": "true" }), category);
      const body = h("div", { class: "palette-category-body", hidden: !open }, byCategory.get(category).map(paletteNode));
      const section = h("section", { class: "palette-category", dataset: { category } }, header, body);
      header.addEventListener("click", () => {
        const nowOpen = body.hidden;
        body.hidden = !nowOpen;
        header.setAttribute("aria-expanded", String(nowOpen));
        if (nowOpen) this.collapsed.delete(category);
        else this.collapsed.add(category);
      });
      this.list.append(section);
    }
    if (!categories.length) this.list.append(h("p", { class: "palette-empty" }, "No node types loaded."));
    this.applyFilter();
  }

  applyFilter() {
    const q = this.filter.value.trim().toLowerCase();
    for (const section of this.list.querySelectorAll(".palette-category")) {
      let shown = 0;
      for (const item of section.querySelectorAll(".palette-node")) {
        const hit = !q || item.dataset.type.toLowerCase().includes(q) || item.textContent.toLowerCase().includes(q);
        item.hidden = !hit;
        if (hit) shown += 1;
      }
      section.hidden = shown === 0;
      if (q) section.querySelector(".palette-category-body").hidden = false;
      else section.querySelector(".palette-category-body").hidden = this.collapsed.has(section.dataset.category);
    }
  }

  installDrag() {
    let drag = null;
    this.list.addEventListener("pointerdown", (event) => {
      const item = event.target.closest(".palette-node");
      if (!item || event.button !== 0) return;
      event.preventDefault();
      item.focus({ preventScroll: true });
      drag = { item, id: event.pointerId, x: event.clientX, y: event.clientY, ghost: null };
      item.setPointerCapture(event.pointerId);
    });
    this.list.addEventListener("pointermove", (event) => {
      if (!drag || drag.id !== event.pointerId) return;
      if (!drag.ghost) {
        if (Math.hypot(event.clientX - drag.x, event.clientY - drag.y) < 4) return;
        drag.ghost = drag.item.cloneNode(true);
        drag.ghost.classList.add("palette-ghost");
        drag.ghost.removeAttribute("tabindex");
        document.body.append(drag.ghost);
        document.body.classList.add("palette-dragging");
      }
      drag.ghost.style.transform = `translate(${event.clientX - 50}px, ${event.clientY - 13}px)`;
    });
    const end = (event) => {
      if (!drag || drag.id !== event.pointerId) return;
      const d = drag;
      drag = null;
      document.body.classList.remove("palette-dragging");
      if (!d.ghost) return;
      d.ghost.remove();
      if (event.type === "pointercancel") return;
      this.dispatchEvent(new CustomEvent("add", { detail: { type: d.item.dataset.type, clientX: event.clientX, clientY: event.clientY } }));
    };
    this.list.addEventListener("pointerup", end);
    this.list.addEventListener("pointercancel", end);
    this.list.addEventListener("keydown", (event) => {
      const item = event.target.closest(".palette-node");
      if (item && (event.key === "Enter" || event.key === " ")) {
        event.preventDefault();
        this.dispatchEvent(new CustomEvent("add", { detail: { type: item.dataset.type, clientX: null, clientY: null } }));
      }
    });
    this.list.addEventListener("dblclick", (event) => {
      const item = event.target.closest(".palette-node");
      if (item) this.dispatchEvent(new CustomEvent("add", { detail: { type: item.dataset.type, clientX: null, clientY: null } }));
    });
  }
}
