// The flow configuration as loaded from GET /flows: tabs, nodes per tab, configuration nodes.

import { nodeLabel } from "./nodetypes.js";

export class FlowModel extends EventTarget {
  constructor() {
    super();
    this.rev = null;
    this.all = [];
    this.byId = new Map();
    this.tabs = [];
    this.subflows = [];
    this.configNodes = [];
    this.nodesByTab = new Map();
  }

  /** Replace the whole configuration; dispatches "load". */
  load({ rev, flows }) {
    this.rev = rev;
    this.all = Array.isArray(flows) ? flows.filter((n) => n && typeof n === "object" && n.id) : [];
    this.byId = new Map(this.all.map((n) => [n.id, n]));
    this.tabs = this.all.filter((n) => n.type === "tab");
    this.subflows = this.all.filter((n) => n.type === "subflow");
    const containers = new Set([...this.tabs, ...this.subflows].map((n) => n.id));
    this.nodesByTab = new Map(this.tabs.map((t) => [t.id, []]));
    this.configNodes = [];
    for (const node of this.all) {
      if (node.type === "tab" || node.type === "subflow" || node.type === "group") continue;
      if (isConfigNode(node)) {
        this.configNodes.push(node);
      } else if (containers.has(node.z)) {
        if (!this.nodesByTab.has(node.z)) this.nodesByTab.set(node.z, []);
        this.nodesByTab.get(node.z).push(node);
      }
    }
    this.dispatchEvent(new CustomEvent("load"));
  }

  get(id) {
    return this.byId.get(id);
  }

  tab(id) {
    return this.tabs.find((t) => t.id === id);
  }

  nodesOn(tabId) {
    return this.nodesByTab.get(tabId) || [];
  }

  label(id) {
    const node = this.byId.get(id);
    return node ? nodeLabel(node) : id;
  }

  /** Nodes that refer to a configuration node (any top-level property holding its id). */
  usersOf(configId) {
    return this.all.filter((n) => n.id !== configId && Object.entries(n).some(
      ([key, value]) => key !== "id" && key !== "z" && key !== "wires" && value === configId));
  }
}

/** Config nodes have no position: they are not drawn on a tab. */
export function isConfigNode(node) {
  return node.type !== "tab" && node.type !== "subflow" && node.type !== "group" &&
    (node.x === undefined || node.x === null || node.y === undefined || node.y === null);
}
