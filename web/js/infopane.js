// The sidebar's "info" pane, as Node-RED's info sidebar (editor-client src/js/ui/tab-info.js):
// the selected node's (or, with nothing selected, the shown flow's) properties table — id,
// type, name, flow, group, then its other properties — and its description (the `info` field)
// rendered as Markdown by markdown.js, which never injects the text as HTML.

import { h, clear } from "./dom.js";
import { renderMarkdown } from "./markdown.js";

const HIDDEN = new Set(["id", "type", "name", "label", "z", "g", "x", "y", "w", "h", "wires", "info", "credentials", "nodes"]);

function short(value) {
  if (value === undefined) return "";
  const text = typeof value === "string" ? value : JSON.stringify(value);
  return text.length > 120 ? `${text.slice(0, 119)}…` : text;
}

export class InfoPane {
  /** el: the pane element; model: the FlowModel. */
  constructor(el, model) {
    this.el = el;
    this.model = model;
    this.id = null;
  }

  /** Show a node, group, config node or flow tab by id (null: nothing). */
  show(id) {
    this.id = id;
    this.render();
  }

  render() {
    const node = this.id ? this.model.get(this.id) : null;
    clear(this.el);
    if (!node) {
      this.el.append(h("p", { class: "pane-empty" }, "Select a node to see its information."));
      return;
    }
    const isTab = node.type === "tab" || node.type === "subflow";
    const rows = [];
    const row = (key, value, cls) => rows.push(h("tr", { class: cls, dataset: { prop: key } },
      h("th", { scope: "row" }, key), h("td", null, value)));
    if (isTab) {
      row(node.type === "tab" ? "Flow" : "Subflow", node.id);
      row("Name", node.type === "tab" ? node.label || "" : node.name || "");
      if (node.type === "tab") row("Status", node.disabled ? "disabled" : "enabled");
      row("Nodes", String(this.model.nodesOn(node.id).length));
    } else {
      row("Node", node.id);
      row("Type", node.type);
      if (node.name) row("Name", node.name);
      if (node.z) row("Flow", this.model.tab(node.z) ? `${this.model.label(node.z)} (${node.z})` : node.z);
      if (node.g) row("Group", this.model.get(node.g)?.name || node.g);
      if (node.d === true) row("Status", "disabled");
      for (const [key, value] of Object.entries(node)) {
        if (HIDDEN.has(key) || key === "d") continue;
        row(key, short(value), "prop-extra");
      }
    }
    const title = isTab ? (node.type === "tab" ? node.label : node.name) || node.id : this.model.label(node.id);
    const info = typeof node.info === "string" ? node.info.trim() : "";
    this.el.append(
      h("h3", { class: "pane-title" }, title),
      h("table", { class: "info-props", "aria-label": "Properties" }, h("tbody", null, rows)),
      h("h4", { class: "pane-subtitle" }, "Description"),
      info ? h("div", { class: "info-description" }, renderMarkdown(info))
        : h("p", { class: "pane-empty info-description-empty" }, "No description."),
    );
  }
}
