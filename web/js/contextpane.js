// The sidebar's "context" pane, as Node-RED's context sidebar (editor-client
// src/js/ui/tab-context.js): the node, flow and global context of the selected node (flow and
// global of the shown flow when nothing is selected), read from GET /context/... and shown
// with the debug sidebar's value tree; each section has a refresh button and each key a delete
// button (DELETE /context/.../<key>?store=). Values are read when asked (refresh, a new
// selection, the pane shown), not pushed.

import { h, clear } from "./dom.js";
import { getContext, deleteContext } from "./api.js";
import { decodeDebug } from "./decode.js";
import { renderTree } from "./jsontree.js";

const SCOPES = [["node", "Node"], ["flow", "Flow"], ["global", "Global"]];

export class ContextPane {
  /** el: the pane element; model: the FlowModel; visible(): whether the pane is shown. */
  constructor(el, model, { visible = () => true } = {}) {
    this.el = el;
    this.model = model;
    this.visible = visible;
    this.nodeId = null;
    this.tabId = null;
    this.sections = new Map();
  }

  /** The selected node (null: none) and the shown flow; reloads when the pane is shown. */
  show(nodeId, tabId) {
    const node = nodeId ? this.model.get(nodeId) : null;
    const isTab = node && (node.type === "tab" || node.type === "subflow");
    this.nodeId = node && !isTab ? nodeId : null;
    this.tabId = (node && !isTab && node.z) || tabId || null;
    this.dirty = true;
    if (this.visible()) this.refreshAll();
  }

  /** Build the three sections and load each. */
  refreshAll() {
    this.dirty = false;
    clear(this.el);
    this.sections.clear();
    for (const [scope, title] of SCOPES) {
      const id = scope === "node" ? this.nodeId : scope === "flow" ? this.tabId : "global";
      const body = h("div", { class: "context-body" });
      const label = scope === "node" && id ? ` · ${this.model.label(id)}` : scope === "flow" && id ? ` · ${this.model.label(id)}` : "";
      const section = h("section", { class: "context-section", dataset: { scope } },
        h("div", { class: "context-head" },
          h("h4", { class: "pane-subtitle" }, title, h("span", { class: "pane-count" }, label)),
          h("button", {
            type: "button", class: "icon-button context-refresh", "aria-label": `Refresh ${title.toLowerCase()} context`,
            title: "Refresh", disabled: !id, onClick: () => this.load(scope),
          }, "⟳")),
        body);
      this.sections.set(scope, { id, body });
      this.el.append(section);
      if (id) this.load(scope);
      else body.append(h("p", { class: "pane-empty" }, scope === "node" ? "Select a node to see its context." : "No flow shown."));
    }
  }

  /** Read one scope's context and list its keys. */
  async load(scope) {
    const entry = this.sections.get(scope);
    if (!entry || !entry.id) return;
    const { id, body } = entry;
    let data;
    try {
      data = await getContext(scope, id);
    } catch (err) {
      clear(body).append(h("p", { class: "pane-empty" }, err.status === 404 ? "Not deployed yet." : `Could not read the context: ${err.message}`));
      return;
    }
    if (this.sections.get(scope) !== entry) return;   // a newer selection replaced the section
    clear(body);
    const stores = data && typeof data === "object" ? Object.entries(data) : [];
    const several = stores.length > 1;
    const rows = [];
    for (const [store, keys] of stores) {
      for (const key of Object.keys(keys || {}).sort()) {
        const { value } = decodeDebug(keys[key] || {});
        rows.push(h("li", { class: "context-key", dataset: { key, store } },
          h("div", { class: "context-key-head" },
            h("span", { class: "context-key-name" }, key),
            several ? h("span", { class: "context-store" }, store) : null,
            h("button", {
              type: "button", class: "icon-button context-delete", "aria-label": `Delete ${scope} context ${key}`, title: "Delete",
              onClick: async () => {
                try {
                  await deleteContext(scope, id, key, store);
                } catch (err) {
                  body.prepend(h("p", { class: "pane-error", role: "alert" }, `Could not delete ${key}: ${err.message}`));
                  return;
                }
                this.load(scope);
              },
            }, "×")),
          renderTree(value, { open: false })));
      }
    }
    if (!rows.length) body.append(h("p", { class: "pane-empty" }, "No context values."));
    else body.append(h("ul", { class: "context-keys" }, rows));
  }
}
