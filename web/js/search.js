// Workspace search, as Node-RED's Ctrl+F (editor-client's search.js): a box over the
// workspace that finds nodes on every flow and subflow by name, label, type, id and the
// values of their properties; Enter or a click reveals the node (its tab shown, the view
// moved to it, the node selected). Arrows move in the list, Escape closes.
//
// new WorkspaceSearch(host, {model, reveal(id), focus()}).open(); focus() takes the keyboard back
// when the box closes.

import { h, clear } from "./dom.js";
import { nodeLabel } from "./nodetypes.js";

const MAX_RESULTS = 50;
const SKIP_KEYS = new Set(["x", "y", "z", "g", "w", "h", "wires", "links", "nodes", "d"]);

/** The text a node is searched in: label, name, type, id and its property values. */
function haystack(node) {
  const parts = [nodeLabel(node), node.type, node.id];
  for (const [key, value] of Object.entries(node)) {
    if (SKIP_KEYS.has(key) || key === "type" || key === "id") continue;
    if (value === null || value === undefined || value === "") continue;
    parts.push(typeof value === "object" ? JSON.stringify(value) : String(value));
  }
  return parts.join("\n").toLowerCase();
}

/**
 * Nodes of model matching text (every word of it, case-insensitive): [{node, tab}] with the
 * name/label/type/id matches first, at most `limit`.
 */
export function searchNodes(model, text, limit = MAX_RESULTS) {
  const words = String(text).trim().toLowerCase().split(/\s+/).filter(Boolean);
  if (!words.length) return [];
  const hits = [];
  for (const node of model.all) {
    if (node.type === "tab" || node.type === "subflow") continue;
    const hay = haystack(node);
    if (!words.every((w) => hay.includes(w))) continue;
    const head = `${nodeLabel(node)}\n${node.type}\n${node.id}`.toLowerCase();
    hits.push({ node, tab: model.tab(node.z) || null, score: words.every((w) => head.includes(w)) ? 0 : 1 });
  }
  hits.sort((a, b) => a.score - b.score);
  return hits.slice(0, limit);
}

export class WorkspaceSearch {
  constructor(host, ctx) {
    this.host = host;
    this.ctx = ctx;
    this.el = null;
    this.outside = (event) => {
      if (this.el && !this.el.contains(event.target)) this.close();
    };
  }

  get isOpen() {
    return !!this.el;
  }

  open() {
    if (this.el) {
      this.el.querySelector("input").select();
      return;
    }
    const input = h("input", { type: "search", class: "search-input", placeholder: "search your flows",
      "aria-label": "Search the flows", autocomplete: "off", spellcheck: "false" });
    const count = h("span", { class: "search-count", "aria-live": "polite" });
    const list = h("ul", { class: "search-results", role: "listbox", "aria-label": "Search results" });
    this.el = h("div", { class: "workspace-search", role: "search" },
      h("div", { class: "search-bar" }, input, count), list);
    this.host.append(this.el);
    let hits = [];
    let active = 0;
    const render = () => {
      hits = searchNodes(this.ctx.model, input.value);
      active = Math.min(active, Math.max(0, hits.length - 1));
      clear(list);
      count.textContent = input.value.trim() ? `${hits.length}${hits.length === MAX_RESULTS ? "+" : ""} found` : "";
      hits.forEach((hit, i) => {
        const where = hit.tab ? (hit.tab.type === "subflow" ? `Subflow: ${hit.tab.name || hit.tab.id}` : hit.tab.label || hit.tab.id)
          : "configuration";
        const item = h("li", { class: ["search-result", i === active && "active"], role: "option",
          "aria-selected": String(i === active), dataset: { nodeId: hit.node.id } },
        h("span", { class: "search-result-label" }, nodeLabel(hit.node)),
        h("span", { class: "search-result-type" }, hit.node.type),
        h("span", { class: "search-result-tab" }, where));
        item.addEventListener("pointerdown", (event) => event.preventDefault());
        item.addEventListener("click", () => this.choose(hit.node.id));
        list.append(item);
      });
    };
    input.addEventListener("input", () => { active = 0; render(); });
    input.addEventListener("keydown", (event) => {
      event.stopPropagation();
      const step = { ArrowDown: 1, ArrowUp: -1 }[event.key];
      if (event.key === "Escape") {
        event.preventDefault();
        this.close();
      } else if (event.key === "Enter") {
        event.preventDefault();
        if (hits[active]) this.choose(hits[active].node.id);
      } else if (step && hits.length) {
        event.preventDefault();
        active = (active + step + hits.length) % hits.length;
        render();
        list.querySelector(".active")?.scrollIntoView({ block: "nearest" });
      }
    });
    document.addEventListener("pointerdown", this.outside, true);
    input.focus({ preventScroll: true });
  }

  choose(id) {
    this.close();
    this.ctx.reveal(id);
  }

  close() {
    if (!this.el) return;
    const hadFocus = this.el.contains(document.activeElement);
    this.el.remove();
    this.el = null;
    document.removeEventListener("pointerdown", this.outside, true);
    if (hadFocus) this.ctx.focus?.();
  }
}
