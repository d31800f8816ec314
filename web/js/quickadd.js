// Quick-add: Node-RED's type search (editor-client's typeSearch.js). Ctrl+click on the empty
// canvas, Ctrl+., or a wire dropped on empty space opens a type-ahead list of node types and
// subflows at the pointer; typing filters it, arrows move in it, Enter or a click adds the
// node, Escape (or a click elsewhere) closes it. Dropped from a wire, only the types that can
// take that wire are listed.
//
// new QuickAdd(host).open({clientX, clientY, filter: {input, output}, onPick(type)})

import { h, s, clear } from "./dom.js";
import { ICONS, typeDef, serverTypeList } from "./nodetypes.js";

const MAX_ITEMS = 40;

/** The node types that can be added: the server's non-config types, then the subflows. */
export function addableTypes(subflows) {
  const out = [];
  for (const info of serverTypeList()) {
    const def = typeDef(info.type);
    if (def.configNode || info.type === "unknown") continue;
    out.push({ type: info.type, label: info.type, def });
  }
  for (const sf of subflows) {
    const type = `subflow:${sf.id}`;
    out.push({ type, label: sf.name || type, def: typeDef(type), subflow: true });
  }
  return out;
}

/** Rank a type for a filter text: lower is better; null when it does not match. */
function rank(item, text) {
  if (!text) return 0;
  const label = item.label.toLowerCase();
  const i = label.indexOf(text);
  if (i === 0) return 0;
  if (i > 0) return 1 + i / 100;
  const category = String(item.def.category || "").toLowerCase();
  return category.includes(text) ? 3 : null;
}

export class QuickAdd {
  /** host: element the popup is appended to; types(): the list from addableTypes(). */
  constructor(host, types) {
    this.host = host;
    this.types = types;
    this.el = null;
    this.outside = (event) => {
      if (this.el && !this.el.contains(event.target)) this.close();
    };
  }

  get isOpen() {
    return !!this.el;
  }

  /** Open at a client point; onPick(type) is called with the chosen type. */
  open({ clientX, clientY, filter = {}, onPick, onClose = null }) {
    this.close();
    this.onPick = onPick;
    this.onClose = onClose;
    const all = this.types().filter((t) => (!filter.input || t.def.inputs > 0) &&
      (!filter.output || Number(t.def.outputs) > 0) && (!filter.types || filter.types.includes(t.type)));
    const input = h("input", { type: "text", class: "quick-add-input", placeholder: "search to add a node",
      "aria-label": "Add a node", autocomplete: "off", spellcheck: "false", role: "combobox", "aria-expanded": "true",
      "aria-controls": "quick-add-list" });
    const list = h("ul", { class: "quick-add-list", id: "quick-add-list", role: "listbox", "aria-label": "Node types" });
    this.el = h("div", { class: "quick-add", role: "dialog", "aria-label": "Quick add" }, input, list);
    const bounds = this.host.getBoundingClientRect();
    this.el.style.left = `${Math.max(0, Math.min(clientX - bounds.left, bounds.width - 260))}px`;
    this.el.style.top = `${Math.max(0, Math.min(clientY - bounds.top, bounds.height - 300))}px`;
    this.host.append(this.el);
    let shown = [];
    let active = 0;
    const render = () => {
      const text = input.value.trim().toLowerCase();
      shown = all.map((t) => ({ t, r: rank(t, text) })).filter((x) => x.r !== null)
        .sort((a, b) => a.r - b.r || a.t.label.localeCompare(b.t.label)).slice(0, MAX_ITEMS).map((x) => x.t);
      active = Math.min(active, Math.max(0, shown.length - 1));
      clear(list);
      shown.forEach((t, i) => {
        const swatch = h("span", { class: "quick-add-swatch", "aria-hidden": "true" },
          s("svg", { viewBox: "0 0 20 20" }, s("path", { d: ICONS[t.def.icon] || ICONS.cog })));
        swatch.style.background = t.def.color;
        const item = h("li", { class: ["quick-add-item", i === active && "active"], role: "option", id: `quick-add-${i}`,
          "aria-selected": String(i === active), dataset: { type: t.type } },
        swatch, h("span", { class: "quick-add-label" }, t.label), t.subflow ? h("span", { class: "quick-add-kind" }, "subflow") : null);
        item.addEventListener("pointerdown", (event) => event.preventDefault());
        item.addEventListener("click", () => this.pick(t.type));
        list.append(item);
      });
      if (!shown.length) list.append(h("li", { class: "quick-add-empty" }, "no matching node types"));
      input.setAttribute("aria-activedescendant", shown.length ? `quick-add-${active}` : "");
    };
    const move = (step) => {
      if (!shown.length) return;
      active = (active + step + shown.length) % shown.length;
      render();
      list.querySelector(".active")?.scrollIntoView({ block: "nearest" });
    };
    input.addEventListener("input", () => { active = 0; render(); });
    input.addEventListener("keydown", (event) => {
      event.stopPropagation();
      if (event.key === "Escape") {
        event.preventDefault();
        this.close();
      } else if (event.key === "Enter") {
        event.preventDefault();
        if (shown[active]) this.pick(shown[active].type);
      } else if (event.key === "ArrowDown") {
        event.preventDefault();
        move(1);
      } else if (event.key === "ArrowUp") {
        event.preventDefault();
        move(-1);
      }
    });
    render();
    document.addEventListener("pointerdown", this.outside, true);
    input.focus({ preventScroll: true });
  }

  pick(type) {
    const onPick = this.onPick;
    this.close({ picked: true });
    onPick?.(type);
  }

  close({ picked = false } = {}) {
    if (!this.el) return;
    this.el.remove();
    this.el = null;
    document.removeEventListener("pointerdown", this.outside, true);
    const onClose = this.onClose;
    this.onClose = null;
    onClose?.(picked);
  }
}
