// The flow configuration: tabs, subflows, nodes per tab, groups and configuration nodes, as
// loaded from GET /flows and edited in the page.
//
// The node objects are kept exactly as the server sent them (same keys, same order) so that an
// export of an unedited configuration equals GET /flows. Editor state (what changed, pending
// credentials, validation errors) lives beside them, never inside them.
//
// Events dispatched on the FlowModel:
//   "load"    the whole configuration was replaced
//   "change"  detail {kind: "move"|"edit", ids}  something was edited in the page

import { nodeLabel, typeDef } from "./nodetypes.js";

const UNDO_LIMIT = 60;

/** A new Node-RED style id: 16 hex digits. */
export function newId() {
  const bytes = new Uint8Array(8);
  crypto.getRandomValues(bytes);
  return [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/** Config nodes have no position: they are not drawn on a tab. */
export function isConfigNode(node) {
  if (["tab", "subflow", "group"].includes(node.type)) return false;
  if (typeDef(node.type).configNode) return true;
  return node.x === undefined || node.x === null || node.y === undefined || node.y === null;
}

function clone(value) {
  return value === undefined ? undefined : JSON.parse(JSON.stringify(value));
}

export class FlowModel extends EventTarget {
  constructor() {
    super();
    this.rev = null;
    this.all = [];
    this.byId = new Map();
    this.tabs = [];
    this.subflows = [];
    this.configNodes = [];
    this.groups = [];
    this.nodesByTab = new Map();
    this.base = new Map();          // id -> JSON text as last loaded/deployed
    this.baseOrder = [];
    this.changed = new Set();       // ids that differ from the base (or are new)
    this.deleted = new Set();       // base ids no longer present
    this.credentials = new Map();   // id -> {field: value} typed in this page, sent once with the deploy
    this.errors = new Map();        // id -> [{field, message, level}] from the last deploy
    this.undoStack = [];
    this.redoStack = [];            // states undo() left, for redo(); a new edit drops them
  }

  /** Replace the whole configuration; dispatches "load". */
  load({ rev, flows }, { keepEdits = false } = {}) {
    this.rev = rev;
    const list = Array.isArray(flows) ? flows.filter((n) => n && typeof n === "object" && n.id) : [];
    if (!keepEdits) {
      this.base = new Map(list.map((n) => [n.id, JSON.stringify(n)]));
      this.baseOrder = list.map((n) => n.id);
      this.credentials.clear();
      this.undoStack = [];
      this.redoStack = [];
    }
    this.all = list;
    this.reindex();
    this.recomputeChanged();
    this.dispatchEvent(new CustomEvent("load"));
  }

  /** The server accepted this configuration as revision rev: it becomes the new base. */
  markDeployed(rev) {
    this.rev = rev;
    this.base = new Map(this.all.map((n) => [n.id, JSON.stringify(n)]));
    this.baseOrder = this.all.map((n) => n.id);
    this.credentials.clear();
    this.errors.clear();
    this.recomputeChanged();
    this.dispatchEvent(new CustomEvent("change", { detail: { kind: "deployed", ids: [] } }));
  }

  reindex() {
    this.byId = new Map(this.all.map((n) => [n.id, n]));
    this.tabs = this.all.filter((n) => n.type === "tab");
    this.subflows = this.all.filter((n) => n.type === "subflow");
    this.groups = this.all.filter((n) => n.type === "group");
    const containers = new Set([...this.tabs, ...this.subflows].map((n) => n.id));
    this.nodesByTab = new Map([...this.tabs, ...this.subflows].map((t) => [t.id, []]));
    this.configNodes = [];
    for (const node of this.all) {
      if (node.type === "tab" || node.type === "subflow" || node.type === "group") continue;
      if (isConfigNode(node)) {
        this.configNodes.push(node);
      } else if (containers.has(node.z)) {
        this.nodesByTab.get(node.z).push(node);
      }
    }
  }

  recomputeChanged(ids = null) {
    if (ids === null) {
      this.changed.clear();
      for (const node of this.all) if (this.base.get(node.id) !== JSON.stringify(node)) this.changed.add(node.id);
      this.deleted = new Set([...this.base.keys()].filter((id) => !this.byId.has(id)));
      return;
    }
    for (const id of ids) {
      const node = this.byId.get(id);
      if (!node) {
        this.changed.delete(id);
        if (this.base.has(id)) this.deleted.add(id);
      } else if (this.base.get(id) !== JSON.stringify(node)) {
        this.changed.add(id);
        this.deleted.delete(id);
      } else {
        this.changed.delete(id);
      }
    }
  }

  /** Whether there is anything to deploy. */
  isDirty() {
    if (this.changed.size || this.deleted.size || this.credentials.size) return true;
    // Reordering (e.g. of tabs) is a change as well.
    return this.all.length !== this.baseOrder.length || this.all.some((n, i) => n.id !== this.baseOrder[i]);
  }

  /** Whether a node is marked as changed since the last deploy. */
  isChanged(id) {
    return this.changed.has(id) || this.credentials.has(id);
  }

  get(id) {
    return this.byId.get(id);
  }

  tab(id) {
    return this.tabs.find((t) => t.id === id) || this.subflows.find((t) => t.id === id);
  }

  nodesOn(tabId) {
    return this.nodesByTab.get(tabId) || [];
  }

  groupsOn(tabId) {
    return this.groups.filter((g) => g.z === tabId);
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

  /** The configuration as an array for POST /flows or an export (deep copy, no credentials). */
  toJSON(ids = null) {
    const list = ids ? this.all.filter((n) => ids.has(n.id)) : this.all;
    return list.map((n) => {
      const copy = clone(n);
      delete copy.credentials;
      return copy;
    });
  }

  /** The deploy body's nodes: as toJSON() plus the credentials typed since the last deploy. */
  deployNodes() {
    return this.toJSON().map((n) => {
      const creds = this.credentials.get(n.id);
      return creds ? { ...n, credentials: { ...creds } } : n;
    });
  }

  // ---- editing -------------------------------------------------------------------------

  /** Save the current state so that undo() can return to it. Call before each user edit. */
  checkpoint() {
    this.undoStack.push(this.snapshot());
    if (this.undoStack.length > UNDO_LIMIT) this.undoStack.shift();
    this.redoStack = [];
  }

  snapshot() {
    return { all: JSON.stringify(this.all), credentials: JSON.stringify([...this.credentials]) };
  }

  canUndo() {
    return this.undoStack.length > 0;
  }

  canRedo() {
    return this.redoStack.length > 0;
  }

  /** Go back to the last checkpoint; the state left can be redone. False when nothing to undo. */
  undo() {
    const snap = this.undoStack.pop();
    if (!snap) return false;
    this.redoStack.push(this.snapshot());
    this.restore(snap);
    return true;
  }

  /** Redo the last undone edit (Node-RED's Ctrl-Shift-Z / Ctrl-Y). False when nothing to redo. */
  redo() {
    const snap = this.redoStack.pop();
    if (!snap) return false;
    this.undoStack.push(this.snapshot());
    this.restore(snap);
    return true;
  }

  restore(snap) {
    this.all = JSON.parse(snap.all);
    this.credentials = new Map(JSON.parse(snap.credentials));
    this.reindex();
    this.recomputeChanged();
    this.emit("edit", null);
  }

  emit(kind, ids) {
    this.dispatchEvent(new CustomEvent("change", { detail: { kind, ids } }));
  }

  /** Add nodes (already complete objects); returns them. */
  add(nodes) {
    for (const node of nodes) {
      const index = node.type === "tab" ? this.lastTabIndex() + 1 : this.all.length;
      this.all.splice(index, 0, node);
    }
    this.reindex();
    this.recomputeChanged(nodes.map((n) => n.id));
    this.emit("edit", nodes.map((n) => n.id));
    return nodes;
  }

  lastTabIndex() {
    let last = -1;
    this.all.forEach((n, i) => { if (n.type === "tab") last = i; });
    return last;
  }

  /** The instances ("subflow:<id>" nodes) of a subflow definition, on any flow. */
  subflowInstances(subflowId) {
    const type = `subflow:${subflowId}`;
    return this.all.filter((n) => n.type === type);
  }

  /**
   * Remove nodes (and tabs with their content; a subflow with its content and its instances,
   * as Node-RED's subflow delete); wires and links pointing at them are dropped.
   */
  remove(ids) {
    const gone = new Set(ids);
    const pending = [...ids];
    while (pending.length) {
      const node = this.byId.get(pending.pop());
      if (!node || (node.type !== "tab" && node.type !== "subflow")) continue;
      const inside = this.all.filter((n) => n.z === node.id || (node.type === "subflow" && n.type === `subflow:${node.id}`));
      for (const n of inside) {
        if (gone.has(n.id)) continue;
        gone.add(n.id);
        pending.push(n.id);
      }
    }
    const touched = new Set(gone);
    this.all = this.all.filter((n) => !gone.has(n.id));
    for (const node of this.all) {
      let hit = false;
      if (Array.isArray(node.wires)) {
        node.wires = node.wires.map((targets) => {
          if (!Array.isArray(targets)) return targets;
          const kept = targets.filter((t) => !gone.has(t));
          if (kept.length !== targets.length) hit = true;
          return kept;
        });
      }
      if (Array.isArray(node.links) && node.links.some((l) => gone.has(l))) {
        node.links = node.links.filter((l) => !gone.has(l));
        hit = true;
      }
      if (node.type === "group" && Array.isArray(node.nodes) && node.nodes.some((m) => gone.has(m))) {
        node.nodes = node.nodes.filter((m) => !gone.has(m));
        hit = true;
      }
      if (node.g && gone.has(node.g)) {
        delete node.g;
        hit = true;
      }
      if (hit) touched.add(node.id);
    }
    for (const id of gone) {
      this.credentials.delete(id);
      this.errors.delete(id);
    }
    this.reindex();
    this.recomputeChanged([...touched]);
    this.emit("edit", [...touched]);
  }

  /** Merge props into a node (undefined values delete the key). */
  update(id, props) {
    const node = this.byId.get(id);
    if (!node) return;
    for (const [key, value] of Object.entries(props)) {
      if (value === undefined) delete node[key];
      else node[key] = value;
    }
    this.errors.delete(id);
    this.reindex();
    this.recomputeChanged([id]);
    this.emit("edit", [id]);
  }

  /** Replace a node's whole object, keeping its position in the list. */
  replace(id, fresh) {
    const index = this.all.findIndex((n) => n.id === id);
    if (index < 0) return;
    this.all[index] = fresh;
    this.errors.delete(id);
    this.reindex();
    this.recomputeChanged([id]);
    this.emit("edit", [id]);
  }

  /** Set new positions: Map id -> {x, y}. Emits a "move" change (cheap to draw). */
  setPositions(positions) {
    for (const [id, { x, y, w, h }] of positions) {
      const node = this.byId.get(id);
      if (!node) continue;
      node.x = x;
      node.y = y;
      if (w !== undefined) node.w = w;
      if (h !== undefined) node.h = h;
    }
    const ids = [...positions.keys()];
    this.recomputeChanged(ids);
    this.emit("move", ids);
  }

  addWire(source, port, target) {
    const node = this.byId.get(source);
    if (!node || source === target) return false;
    if (!Array.isArray(node.wires)) node.wires = [];
    while (node.wires.length <= port) node.wires.push([]);
    if (node.wires[port].includes(target)) return false;
    node.wires[port] = [...node.wires[port], target];
    this.recomputeChanged([source]);
    this.emit("edit", [source]);
    return true;
  }

  removeWire(source, port, target) {
    const node = this.byId.get(source);
    if (!node || !Array.isArray(node.wires?.[port])) return;
    node.wires[port] = node.wires[port].filter((t) => t !== target);
    this.recomputeChanged([source]);
    this.emit("edit", [source]);
  }

  /** Set a credential field typed by the user (sent with the next deploy only). */
  setCredentials(id, fields) {
    const entries = Object.entries(fields).filter(([, v]) => v !== undefined && v !== null && v !== "");
    if (!entries.length) return;
    this.credentials.set(id, { ...(this.credentials.get(id) || {}), ...Object.fromEntries(entries) });
    this.emit("edit", [id]);
  }

  /**
   * What the editor itself finds wrong with a node before any deploy, as Node-RED's node
   * validation: a function node whose code has syntax errors (its noerr count, set by the edit
   * dialog). Returns [{field, message, level}].
   */
  localProblems(node) {
    const count = Number(node?.noerr);
    if (!(count > 0) || node.type !== "function") return [];
    return [{ field: null, message: `the code has ${count} syntax error${count === 1 ? "" : "s"}`, level: "error" }];
  }

  /** A node's problems: the last deploy's errors and localProblems(). */
  problems(id) {
    return [...(this.errors.get(id) || []), ...this.localProblems(this.byId.get(id))];
  }

  setErrors(errors) {
    this.errors.clear();
    for (const error of errors || []) {
      if (!error || !error.id) continue;
      if (!this.errors.has(error.id)) this.errors.set(error.id, []);
      this.errors.get(error.id).push(error);
    }
    this.emit("errors", [...this.errors.keys()]);
  }

  /** Ids that exist in the page (for import renaming). */
  hasId(id) {
    return this.byId.has(id);
  }

  /** Local edits as {changed: Map id->node, deleted: Set} relative to the base. */
  localEdits() {
    const changed = new Map();
    for (const id of this.changed) changed.set(id, clone(this.byId.get(id)));
    return { changed, deleted: new Set(this.deleted), credentials: new Map(this.credentials) };
  }

  /**
   * Rebase local edits onto a newer server configuration: nodes edited here win, nodes
   * deleted here stay deleted, everything else comes from the server. Returns the ids that
   * were edited on both sides (local version kept).
   */
  mergeOnto({ rev, flows }) {
    const edits = this.localEdits();
    const baseText = this.base;
    const remote = Array.isArray(flows) ? flows.filter((n) => n && n.id) : [];
    const conflicts = [];
    const merged = [];
    const seen = new Set();
    for (const node of remote) {
      seen.add(node.id);
      if (edits.deleted.has(node.id)) continue;
      if (edits.changed.has(node.id)) {
        if (baseText.has(node.id) && baseText.get(node.id) !== JSON.stringify(node)) conflicts.push(node.id);
        merged.push(edits.changed.get(node.id));
      } else {
        merged.push(node);
      }
    }
    for (const [id, node] of edits.changed) if (!seen.has(id)) merged.push(node);
    this.base = new Map(remote.map((n) => [n.id, JSON.stringify(n)]));
    this.baseOrder = remote.map((n) => n.id);
    this.credentials = edits.credentials;
    this.rev = rev;
    this.all = merged;
    this.reindex();
    this.recomputeChanged();
    this.dispatchEvent(new CustomEvent("load"));
    return conflicts;
  }
}

/**
 * Prepare nodes for import or paste. Ids that already exist (all of them with renameAll) get
 * new ids; wires, z, g, group members and links are remapped; references to ids outside the
 * set are dropped (wires) or kept (config node references). Config nodes identical to an
 * existing one are not duplicated. Nodes whose tab is not in the set go to targetTab.
 * Returns {nodes, idMap, tabs}.
 */
export function prepareImport(input, model, { targetTab = null, renameAll = false } = {}) {
  const nodes = input.filter((n) => n && typeof n === "object" && !Array.isArray(n)).map(clone);
  const idMap = new Map();
  const skip = new Set();
  for (const node of nodes) {
    if (!node.id) node.id = newId();
    const existing = model.get(node.id);
    if (existing && isConfigNode(node) && existing.type === node.type) {
      // Same config node already here: reuse it (Node-RED does the same).
      skip.add(node.id);
      continue;
    }
    if (renameAll || existing || idMap.has(node.id)) idMap.set(node.id, newId());
  }
  const ids = new Set(nodes.map((n) => n.id));
  const containers = new Set(nodes.filter((n) => n.type === "tab" || n.type === "subflow").map((n) => n.id));
  const map = (id) => idMap.get(id) || id;
  const out = [];
  for (const node of nodes) {
    if (skip.has(node.id)) continue;
    const fresh = { ...node, id: map(node.id) };
    if (node.type !== "tab" && node.type !== "subflow") {
      if (node.z && containers.has(node.z)) fresh.z = map(node.z);
      else if (!isConfigNode(node)) fresh.z = targetTab;
      else if (node.z && !model.tab(node.z)) delete fresh.z;
    }
    if (Array.isArray(node.wires)) {
      fresh.wires = node.wires.map((targets) => Array.isArray(targets)
        ? targets.filter((t) => ids.has(t)).map(map) : []);
    }
    if (Array.isArray(node.links)) fresh.links = node.links.filter((l) => ids.has(l) || model.get(l)).map(map);
    if (node.g) {
      if (ids.has(node.g)) fresh.g = map(node.g);
      else delete fresh.g;
    }
    if (node.type === "group" && Array.isArray(node.nodes)) fresh.nodes = node.nodes.filter((m) => ids.has(m)).map(map);
    // References to config nodes that were renamed.
    for (const [key, value] of Object.entries(fresh)) {
      if (["id", "z", "g", "wires", "links", "nodes", "type"].includes(key)) continue;
      if (typeof value === "string" && idMap.has(value)) {
        const target = nodes.find((n) => n.id === value);
        if (target && isConfigNode(target)) fresh[key] = idMap.get(value);
      }
    }
    // Subflow instances whose definition was renamed.
    if (typeof fresh.type === "string" && fresh.type.startsWith("subflow:")) {
      const sf = fresh.type.slice(8);
      if (idMap.has(sf)) fresh.type = `subflow:${idMap.get(sf)}`;
    }
    delete fresh.credentials;
    out.push(fresh);
  }
  return { nodes: out, idMap, tabs: out.filter((n) => n.type === "tab") };
}

/** Parse flow JSON text; throws an Error with line/column when it is not valid. */
export function parseFlowText(text) {
  const trimmed = text.trim();
  if (!trimmed) throw Object.assign(new Error("Nothing to import: the text is empty."), { position: null });
  let value;
  try {
    value = JSON.parse(trimmed);
  } catch (err) {
    const offset = text.indexOf(trimmed);
    let position = null;
    const m = /position (\d+)/.exec(err.message);
    const lc = /line (\d+) column (\d+)/.exec(err.message);
    let line;
    let column;
    if (m) {
      position = Number(m[1]) + offset;
      const before = text.slice(0, position);
      line = before.split("\n").length;
      column = position - before.lastIndexOf("\n");
    } else if (lc) {
      line = Number(lc[1]);
      column = Number(lc[2]);
      const lines = trimmed.split("\n");
      position = offset + lines.slice(0, line - 1).reduce((a, l) => a + l.length + 1, 0) + column - 1;
      line += text.slice(0, offset).split("\n").length - 1;
    } else if (/end of JSON|Unexpected end/i.test(err.message)) {
      position = text.length;
      line = text.split("\n").length;
      column = text.length - text.lastIndexOf("\n");
    }
    const where = line ? ` (line ${line}, column ${column})` : "";
    const detail = err.message.replace(/^JSON\.parse: /, "").replace(/ in JSON at position \d+.*$/, "");
    throw Object.assign(new Error(`Invalid JSON${where}: ${detail}`), { position, line, column });
  }
  if (value && !Array.isArray(value) && typeof value === "object") {
    if (Array.isArray(value.flows)) value = value.flows;
    else value = [value];
  }
  if (!Array.isArray(value)) throw Object.assign(new Error("Not a flow: expected an array of nodes."), { position: null });
  const bad = value.findIndex((n) => !n || typeof n !== "object" || typeof n.type !== "string");
  if (bad >= 0) throw Object.assign(new Error(`Not a flow: item ${bad} has no "type".`), { position: null });
  return value;
}
