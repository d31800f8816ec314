// The "Configuration nodes" panel: nodes without a position (service hosts, brokers, ...).
// Dispatches "open" {id} when one is double-clicked (or Enter is pressed on it).

import { h, clear } from "./dom.js";
import { nodeLabel } from "./nodetypes.js";

export class ConfigPanel extends EventTarget {
  constructor(details, model) {
    super();
    this.details = details;
    this.model = model;
    this.summaryCount = details.querySelector(".config-count");
    this.list = details.querySelector(".config-list");
  }

  render() {
    const nodes = this.model.configNodes;
    this.details.hidden = nodes.length === 0;
    this.summaryCount.textContent = String(nodes.length);
    clear(this.list);
    const byType = new Map();
    for (const node of nodes) {
      if (!byType.has(node.type)) byType.set(node.type, []);
      byType.get(node.type).push(node);
    }
    for (const [type, list] of [...byType].sort(([a], [b]) => a.localeCompare(b))) {
      this.list.append(h("li", { class: "config-type" }, type));
      for (const node of list) {
        const users = this.model.usersOf(node.id).length;
        const scope = node.z ? this.model.tab(node.z)?.label || node.z : "global";
        const open = () => this.dispatchEvent(new CustomEvent("open", { detail: { id: node.id } }));
        this.list.append(h("li", {
          class: ["config-node", users === 0 && "unused", node.d === true && "disabled", this.model.isChanged(node.id) && "changed",
            this.model.errors.has(node.id) && "error"],
          title: `${node.type} · id ${node.id} — double-click to edit`,
          tabindex: "0",
          dataset: { nodeId: node.id },
          onDblclick: open,
          onKeydown: (e) => { if (e.key === "Enter") open(); },
        },
        h("span", { class: "config-node-label" }, nodeLabel(node)),
        h("span", { class: "config-node-meta" }, `${scope} · ${users ? `${users} user${users === 1 ? "" : "s"}` : "unused"}`)));
      }
    }
  }
}
