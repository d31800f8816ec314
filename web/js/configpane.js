// The sidebar's "config" pane, as Node-RED's configuration nodes sidebar (editor-client
// src/js/ui/tab-config.js): every configuration node, grouped by type, with how many nodes use
// it; unused ones are marked and can be deleted (undo brings them back: the pane offers it, and
// Ctrl-Z works as for any edit). Double-click (or Enter) edits one: "edit" detail {id}.

import { h, clear } from "./dom.js";
import { nodeLabel } from "./nodetypes.js";

export class ConfigPane extends EventTarget {
  /** el: the pane element; model: the FlowModel. */
  constructor(el, model) {
    super();
    this.el = el;
    this.model = model;
    this.deleted = null;   // label of the last deleted node, while its undo is offered
  }

  /** Delete an unused configuration node (one undo step). */
  remove(id) {
    const node = this.model.get(id);
    if (!node || this.model.usersOf(id).length) return;
    this.model.checkpoint();
    this.deleted = nodeLabel(node);
    this.model.remove([id]);
  }

  render() {
    clear(this.el);
    const nodes = this.model.configNodes;
    const byType = new Map();
    for (const node of nodes) {
      if (!byType.has(node.type)) byType.set(node.type, []);
      byType.get(node.type).push(node);
    }
    const unused = nodes.filter((n) => this.model.usersOf(n.id).length === 0).length;
    this.el.append(h("h3", { class: "pane-title" }, "Configuration nodes",
      h("span", { class: "pane-count" }, ` ${nodes.length}${unused ? ` · ${unused} unused` : ""}`)));
    if (this.deleted) {
      this.el.append(h("div", { class: "pane-status", role: "status" },
        `Deleted ${this.deleted}. `,
        h("button", { type: "button", class: "link-button", id: "config-undo", onClick: () => {
          this.deleted = null;
          this.model.undo();
        } }, "Undo")));
    }
    if (!nodes.length) {
      this.el.append(h("p", { class: "pane-empty" }, "There are no configuration nodes."));
      return;
    }
    for (const [type, list] of [...byType].sort(([a], [b]) => a.localeCompare(b))) {
      const items = list.map((node) => {
        const users = this.model.usersOf(node.id).length;
        const scope = node.z ? this.model.tab(node.z)?.label || this.model.tab(node.z)?.name || node.z : "global";
        const label = nodeLabel(node);
        const edit = () => this.dispatchEvent(new CustomEvent("edit", { detail: { id: node.id } }));
        return h("li", {
          class: ["config-item", users === 0 && "unused", node.d === true && "disabled",
            this.model.isChanged(node.id) && "changed", this.model.errors.has(node.id) && "error"],
          tabindex: "0",
          title: `${type} · id ${node.id} — double-click to edit`,
          dataset: { nodeId: node.id },
          onDblclick: edit,
          onKeydown: (e) => { if (e.key === "Enter" && e.target === e.currentTarget) edit(); },
        },
        h("span", { class: "config-item-label" }, label),
        h("span", { class: "config-item-scope" }, scope),
        h("span", { class: "config-item-users", title: "Nodes that use it" }, users ? `${users} user${users === 1 ? "" : "s"}` : "unused"),
        users ? null : h("button", {
          type: "button", class: "icon-button config-item-delete", "aria-label": `Delete unused ${label}`, title: "Delete (unused)",
          onClick: (e) => {
            e.stopPropagation();
            this.remove(node.id);
          },
        }, "×"));
      });
      this.el.append(h("section", { class: "config-group", dataset: { type } },
        h("h4", { class: "pane-subtitle" }, type, h("span", { class: "pane-count" }, ` ${list.length}`)),
        h("ul", { class: "config-items" }, items)));
    }
  }
}
