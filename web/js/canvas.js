// The flow view: one tab's nodes, groups and wires drawn as SVG (ports, labels, icons, live
// statuses, link wires), its pan/zoom view, the selection, and the marks the editor puts on
// nodes (changed, errors, message trace). This is the canvas's public interface; pointer and
// keyboard handling (select, drag, wire, pan, zoom) is in canvas-pointer.js, attached with
// installPointer(canvas).
//
// Layers (bottom to top): grid, groups, wires, link wires, nodes, overlay. Geometry
// (nodeGeometry, wirePath) is kept in pure functions so that dragging and wiring reuse it.
// The canvas never edits the model itself: it reports what the user did.
//
// Events dispatched on the FlowCanvas ("open", "move", "wire", "wiredrop", "quickadd", "delete"
// and "traceclear" by canvas-pointer.js, the others by the canvas itself):
//   "select"      detail {id, ids}              the selection changed (id: the one clicked)
//   "open"        detail {id}                   a node or group was double-clicked
//   "inject"      detail {id}                   an inject node's button was pressed
//   "debugtoggle" detail {id, active}           a debug node's toggle was pressed (new state)
//   "move"        detail {positions[, splice]}  nodes/groups were dragged: Map id -> {x, y[, w, h]};
//                                               splice {id, source, port, target}: dropped on that wire
//   "wire"        detail {source, port, target} a wire was drawn
//   "wiredrop"    detail {source, port | target, clientX, clientY, under}  a wire dropped off any node
//   "quickadd"    detail {clientX, clientY}     Ctrl+click on the background
//   "delete"      detail {ids, wire}            Delete pressed with a selection / selected wire
//   "viewchange"  detail {x, y, scale}
//   "traceclear"                                a click on the background or Escape while a trace shows
//   "redraw"      detail {tabId, count}         the tab was drawn anew

import { s, clear, svgButton } from "./dom.js";
import { ICONS, typeDef, nodeLabel } from "./nodetypes.js";
import { statusText } from "./i18n.js";

export const GRID = 20;
export const NODE_HEIGHT = 30;
export const NODE_MIN_WIDTH = 100;
export const PORT_SIZE = 10;
export const PORT_SPACING = 13;
export const LABEL_FONT = '14px "Helvetica Neue", Arial, Helvetica, sans-serif';
const MIN_SCALE = 0.25;
const MAX_SCALE = 2.5;
const WORLD = { x: -4000, y: -4000, w: 16000, h: 16000 };

export const STATUS_COLORS = {
  red: "#c00",
  green: "#5a8",
  yellow: "#f9df31",
  blue: "#53a3f3",
  grey: "#d3d3d3",
  gray: "#d3d3d3",
};

let measureCtx = null;
const widthCache = new Map();

/** Width in px of a node label in the canvas font. */
export function measureLabel(text) {
  if (widthCache.has(text)) return widthCache.get(text);
  measureCtx ||= document.createElement("canvas").getContext("2d");
  measureCtx.font = LABEL_FONT;
  const width = measureCtx.measureText(text).width;
  if (widthCache.size > 2000) widthCache.clear();
  widthCache.set(text, width);
  return width;
}

/** Number of output ports a node has. */
export function outputCount(node, def = typeDef(node.type)) {
  if (def.note) return 0;
  const wires = Array.isArray(node.wires) ? node.wires.length : 0;
  const declared = Number.isInteger(node.outputs) ? node.outputs
    : Number.isFinite(Number(node.outputs)) && node.outputs !== "" && node.outputs !== undefined ? Number(node.outputs)
      : Number(def.outputs) || 0;
  return Math.max(wires, declared);
}

/** Size and port positions of a node; ports are relative to the node's top-left corner. */
export function nodeGeometry(node, def = typeDef(node.type)) {
  const cx = Number(node.x) || 0;
  const cy = Number(node.y) || 0;
  const inputs = def.note ? 0 : def.inputs > 0 ? 1 : 0;
  const outputs = outputCount(node, def);
  if (def.junction) {
    return { cx, cy, w: 10, h: 10, left: cx - 5, top: cy - 5, label: "", inputs: 1, outputs: 1,
      inPort: { x: 0, y: 5 }, outPorts: [{ x: 10, y: 5 }] };
  }
  const label = nodeLabel(node);
  const w = Math.max(NODE_MIN_WIDTH, GRID * Math.ceil((measureLabel(label) + 50 + (inputs ? 7 : 0)) / GRID));
  const h = Math.max(NODE_HEIGHT, outputs * 15);
  const outPorts = [];
  for (let i = 0; i < outputs; i++) {
    outPorts.push({ x: w, y: h / 2 - ((outputs - 1) / 2) * PORT_SPACING + PORT_SPACING * i });
  }
  return { cx, cy, w, h, left: cx - w / 2, top: cy - h / 2, label, inputs, outputs,
    inPort: inputs ? { x: 0, y: h / 2 } : null, outPorts };
}

/** Node-RED's wire curve from an output port (x1,y1) to an input port (x2,y2). */
export function wirePath(x1, y1, x2, y2) {
  const dy = y2 - y1;
  const dx = x2 - x1;
  const delta = Math.sqrt(dy * dy + dx * dx);
  const nw = NODE_MIN_WIDTH;
  const nh = NODE_HEIGHT;
  let scale = 0.75;
  if (dx > 0) {
    if (delta < nw) scale = 0.75 - 0.75 * ((nw - delta) / nw);
    return `M ${x1} ${y1} C ${x1 + nw * scale} ${y1} ${x2 - nw * scale} ${y2} ${x2} ${y2}`;
  }
  // Backwards: loop out of the source, across, and into the target.
  scale = 0.4 - 0.2 * Math.max(0, (nw - Math.min(Math.abs(dx), Math.abs(dy))) / nw);
  const midX = Math.floor(x2 - dx / 2);
  let midY = Math.floor(y2 - dy / 2);
  if (dy === 0) midY = y2 + nh;
  const cpH = nh / 2;
  const yMid1 = (y2 + midY) / 2;
  const topX = x1 + nw * scale;
  const topY = dy > 0 ? Math.min(yMid1 - dy / 2, y1 + cpH) : Math.max(yMid1 - dy / 2, y1 - cpH);
  const bottomX = x2 - nw * scale;
  const bottomY = dy > 0 ? Math.max(yMid1, y2 - cpH) : Math.min(yMid1, y2 + cpH);
  const xa = (x1 + topX) / 2;
  const scy = dy > 0 ? 1 : -1;
  const cp = [
    [xa, y1],
    [topX, dy > 0 ? Math.max(y1, topY - cpH) : Math.min(y1, topY + cpH)],
    [2 * topX - xa, dy > 0 ? Math.min(midY, topY + cpH) : Math.max(midY, topY - cpH)],
    [2 * bottomX - xa, dy > 0 ? Math.max(midY, bottomY - cpH) : Math.min(midY, bottomY + cpH)],
    [bottomX, dy > 0 ? Math.min(y2, bottomY + cpH) : Math.max(y2, bottomY - cpH)],
  ];
  if (cp[2][1] === topY + scy * cpH) {
    if (Math.abs(dy) < cpH * 10) {
      cp[1][1] = topY - (scy * cpH) / 2;
      cp[3][1] = bottomY - (scy * cpH) / 2;
    }
    cp[2][0] = topX;
  }
  return `M ${x1} ${y1} C ${cp[0][0]} ${cp[0][1]} ${cp[1][0]} ${cp[1][1]} ${topX} ${topY}` +
    ` S ${cp[2][0]} ${cp[2][1]} ${midX} ${midY}` +
    ` S ${cp[3][0]} ${cp[3][1]} ${bottomX} ${bottomY}` +
    ` S ${cp[4][0]} ${cp[4][1]} ${x2} ${y2}`;
}

function luminance(hex) {
  const m = /^#?([0-9a-f]{3}|[0-9a-f]{6})$/i.exec(hex || "");
  if (!m) return 1;
  let v = m[1];
  if (v.length === 3) v = [...v].map((c) => c + c).join("");
  const [r, g, b] = [0, 2, 4].map((i) => parseInt(v.slice(i, i + 2), 16) / 255);
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

function iconShadePath(w, h, right) {
  // The 30px icon band with the node's rounded corners on its outer side.
  if (right) {
    return `M ${w - 30} 0 H ${w - 5} A 5 5 0 0 1 ${w} 5 V ${h - 5} A 5 5 0 0 1 ${w - 5} ${h} H ${w - 30} Z`;
  }
  return `M 5 0 H 30 V ${h} H 5 A 5 5 0 0 1 0 ${h - 5} V 5 A 5 5 0 0 1 5 0 Z`;
}

/** Pan/zoom state of the canvas (screen = world * scale + translate). */
class View {
  constructor(onChange) {
    this.x = 0;
    this.y = 0;
    this.scale = 1;
    this.onChange = onChange;
  }

  set(x, y, scale = this.scale) {
    this.scale = Math.min(MAX_SCALE, Math.max(MIN_SCALE, scale));
    this.x = x;
    this.y = y;
    this.onChange();
  }

  panBy(dx, dy) {
    this.set(this.x + dx, this.y + dy);
  }

  /** Zoom keeping the screen point (px,py) fixed. */
  zoomAt(factor, px, py) {
    const scale = Math.min(MAX_SCALE, Math.max(MIN_SCALE, this.scale * factor));
    const k = scale / this.scale;
    this.set(px - (px - this.x) * k, py - (py - this.y) * k, scale);
  }

  toWorld(px, py) {
    return { x: (px - this.x) / this.scale, y: (py - this.y) / this.scale };
  }

  snapshot() {
    return { x: this.x, y: this.y, scale: this.scale };
  }
}

const GROUP_PAD = 20;
const BUTTON_OUT = 25;     // how far an inject button / debug toggle reaches out of its node

function wireKey(source, port, target) {
  return `${source}\u0000${port}\u0000${target}`;
}

export class FlowCanvas extends EventTarget {
  constructor(container, model) {
    super();
    this.container = container;
    this.model = model;
    this.tabId = null;
    this.selection = new Set();     // node and group ids
    this.selectedWire = null;       // {source, port, target}
    this.statuses = new Map();      // node id -> status object
    this.nodeEls = new Map();       // node id -> <g>
    this.groupEls = new Map();      // group id -> <g>
    this.geometry = new Map();      // node id -> nodeGeometry()
    this.wires = new Map();         // wireKey -> {el, source, port, target}
    this.wiresByNode = new Map();   // node id -> Set of wireKey
    this.linkWires = [];            // {el, a, b}
    this.tabViews = new Map();      // tab id -> saved view
    this.missingTypes = new Set();  // types the runtime does not know
    this.trace = null;              // {nodes: Set, wires: Set, order: Map id -> [index]}
    this.knownTypes = null;         // Set of the server's types once known
    this.view = new View(() => this.applyView());
    this.build();
  }

  get selected() {
    return this.selection.size === 1 ? [...this.selection][0] : null;
  }

  build() {
    const gridSize = GRID;
    this.svg = s("svg", {
      class: "flow-canvas",
      role: "group",
      "aria-label": "Flow canvas",
      tabindex: "0",
    },
    s("defs", null,
      s("pattern", { id: "flow-grid", width: gridSize, height: gridSize, patternUnits: "userSpaceOnUse" },
        s("path", { d: `M ${gridSize} 0 H 0 V ${gridSize}`, class: "grid-line" })),
    ));
    this.viewport = s("g", { class: "viewport" });
    this.gridRect = s("rect", { class: "grid", x: WORLD.x, y: WORLD.y, width: WORLD.w, height: WORLD.h, fill: "url(#flow-grid)" });
    this.groupLayer = s("g", { class: "layer-groups" });
    this.wireLayer = s("g", { class: "layer-wires" });
    this.linkLayer = s("g", { class: "layer-links" });
    this.nodeLayer = s("g", { class: "layer-nodes" });
    this.overlayLayer = s("g", { class: "layer-overlay" });
    this.viewport.append(this.gridRect, this.groupLayer, this.wireLayer, this.linkLayer, this.nodeLayer, this.overlayLayer);
    this.svg.append(this.viewport);
    this.container.append(this.svg);
  }

  // ---- coordinates ---------------------------------------------------------------------

  /** World coordinates of a client (page) point. */
  clientToWorld(clientX, clientY) {
    const rect = this.svg.getBoundingClientRect();
    return this.view.toWorld(clientX - rect.left, clientY - rect.top);
  }

  /** Whether a client point is over the canvas. */
  containsClient(clientX, clientY) {
    const rect = this.svg.getBoundingClientRect();
    return clientX >= rect.left && clientX <= rect.right && clientY >= rect.top && clientY <= rect.bottom;
  }

  /** The world point at the centre of the visible area. */
  viewCentre() {
    const { w, h } = this.size();
    return this.view.toWorld(w / 2, h / 2);
  }

  /** Bounds for a group around its members (positions overrides the model's x/y). */
  fitGroup(members, positions = new Map()) {
    let box = null;
    for (const m of members) {
      const node = this.model.get(m);
      if (!node) continue;
      const g = nodeGeometry({ ...node, ...(positions.get(m) || {}) });
      const r = { x1: g.left, y1: g.top, x2: g.left + g.w, y2: g.top + g.h };
      // The inject button sticks out 25px on the left, the debug toggle 25px on the right.
      const button = typeDef(node.type).button;
      if (button === "inject") r.x1 -= BUTTON_OUT;
      if (button === "debug") r.x2 += BUTTON_OUT;
      box = box ? { x1: Math.min(box.x1, r.x1), y1: Math.min(box.y1, r.y1), x2: Math.max(box.x2, r.x2), y2: Math.max(box.y2, r.y2) } : r;
    }
    if (!box) return null;
    return { x: Math.round(box.x1 - GROUP_PAD), y: Math.round(box.y1 - GROUP_PAD), w: Math.round(box.x2 - box.x1 + 2 * GROUP_PAD), h: Math.round(box.y2 - box.y1 + 2 * GROUP_PAD) };
  }

  groupMembers(group) {
    const out = [];
    const walk = (grp) => {
      for (const m of Array.isArray(grp.nodes) ? grp.nodes : []) {
        const node = this.model.get(m);
        if (!node) continue;
        if (node.type === "group") walk(node);
        else out.push(m);
      }
    };
    walk(group);
    return out;
  }

  // ---- view ---------------------------------------------------------------------------

  applyView() {
    const { x, y, scale } = this.view;
    this.viewport.setAttribute("transform", `translate(${x} ${y}) scale(${scale})`);
    this.svg.classList.toggle("zoomed-out", scale < 0.6);
    this.dispatchEvent(new CustomEvent("viewchange", { detail: this.view.snapshot() }));
  }

  size() {
    return { w: this.svg.clientWidth || this.container.clientWidth || 800, h: this.svg.clientHeight || this.container.clientHeight || 600 };
  }

  zoomBy(factor) {
    const { w, h } = this.size();
    this.view.zoomAt(factor, w / 2, h / 2);
  }

  zoomIn() { this.zoomBy(1.25); }
  zoomOut() { this.zoomBy(0.8); }
  zoomReset() { this.zoomBy(1 / this.view.scale); }

  /** Show one tab; restores the pan/zoom it had, or frames its nodes the first time. */
  showTab(tabId) {
    if (this.tabId && this.tabId !== tabId) this.tabViews.set(this.tabId, this.view.snapshot());
    const changed = this.tabId !== tabId;
    this.tabId = tabId;
    if (changed) {
      this.selection.clear();
      this.selectedWire = null;
    }
    this.redraw();
    if (changed) {
      const saved = this.tabViews.get(tabId);
      if (saved) this.view.set(saved.x, saved.y, saved.scale);
      else this.frameContent();
      this.dispatchEvent(new CustomEvent("select", { detail: { id: null, ids: [] } }));
    }
  }

  /** Bounding box of the current tab's nodes in world coordinates, or null. */
  contentBounds() {
    let box = null;
    for (const g of this.geometry.values()) {
      const r = { x1: g.left - 30, y1: g.top, x2: g.left + g.w + 30, y2: g.top + g.h + 20 };
      box = box ? { x1: Math.min(box.x1, r.x1), y1: Math.min(box.y1, r.y1), x2: Math.max(box.x2, r.x2), y2: Math.max(box.y2, r.y2) } : r;
    }
    return box;
  }

  /** Start view: Node-RED's top-left origin when everything fits, else frame the nodes. */
  frameContent() {
    const box = this.contentBounds();
    const { w, h } = this.size();
    if (!box || (box.x1 >= 0 && box.y1 >= 0 && box.x2 + 40 <= w && box.y2 + 40 <= h)) {
      this.view.set(0, 0, 1);
      return;
    }
    const margin = 40;
    const fit = Math.min((w - 2 * margin) / (box.x2 - box.x1), (h - 2 * margin) / (box.y2 - box.y1));
    const scale = Math.max(0.5, Math.min(1, fit));
    const fromOrigin = box.x1 >= 0 && box.y1 >= 0 && box.x2 * scale + margin <= w && box.y2 * scale + margin <= h;
    if (fromOrigin) this.view.set(0, 0, scale);
    else this.view.set(margin - box.x1 * scale, margin - box.y1 * scale, scale);
  }

  /** Pan so that a node is visible (centred if it was off screen). */
  reveal(id) {
    const g = this.geometry.get(id);
    if (!g) return;
    const { w, h } = this.size();
    const { x, y, scale } = this.view;
    const sx = g.cx * scale + x;
    const sy = g.cy * scale + y;
    const pad = 60;
    if (sx < pad || sy < pad || sx > w - pad || sy > h - pad) {
      this.view.set(w / 2 - g.cx * scale, h / 2 - g.cy * scale, scale);
    }
  }

  // ---- drawing ------------------------------------------------------------------------

  /** Rebuild the current tab's drawing from the model. */
  redraw() {
    clear(this.groupLayer);
    clear(this.wireLayer);
    clear(this.linkLayer);
    clear(this.nodeLayer);
    this.nodeEls.clear();
    this.groupEls.clear();
    this.geometry.clear();
    this.wires.clear();
    this.wiresByNode.clear();
    this.linkWires = [];
    const tab = this.model.tab(this.tabId);
    this.svg.classList.toggle("tab-disabled", !!(tab && tab.disabled));
    const nodes = this.tabId ? this.model.nodesOn(this.tabId) : [];
    for (const node of nodes) this.geometry.set(node.id, nodeGeometry(node));
    for (const group of this.tabId ? this.model.groupsOn(this.tabId) : []) {
      const el = this.drawGroup(group);
      this.groupEls.set(group.id, el);
      this.groupLayer.append(el);
    }
    const wireFrag = document.createDocumentFragment();
    for (const node of nodes) this.drawWires(node, wireFrag);
    this.wireLayer.append(wireFrag);
    const nodeFrag = document.createDocumentFragment();
    for (const node of nodes) {
      const el = this.drawNode(node);
      this.nodeEls.set(node.id, el);
      nodeFrag.append(el);
    }
    this.nodeLayer.append(nodeFrag);
    this.drawLinkWires(nodes);
    // Drop selected things that are gone.
    for (const id of [...this.selection]) if (!this.nodeEls.has(id) && !this.groupEls.has(id)) this.selection.delete(id);
    if (this.selectedWire && !this.wires.has(wireKey(this.selectedWire.source, this.selectedWire.port, this.selectedWire.target))) {
      this.selectedWire = null;
    }
    this.applySelectionClasses();
    this.applyTrace();
    this.dispatchEvent(new CustomEvent("redraw", { detail: { tabId: this.tabId, count: nodes.length } }));
  }

  drawGroup(group) {
    const style = group.style && typeof group.style === "object" ? group.style : {};
    const w = Number(group.w) || 200;
    const h = Number(group.h) || 100;
    const el = s("g", {
      class: ["group", group.d === true && "disabled"],
      transform: `translate(${Number(group.x) || 0} ${Number(group.y) || 0})`,
      dataset: { groupId: group.id },
      role: "group",
      "aria-label": group.name ? `group: ${group.name}` : "group",
    },
    s("rect", {
      class: "group-body", width: w, height: h, rx: 2, ry: 2,
      fill: style.fill || "none", "fill-opacity": style["fill-opacity"] ?? (style.fill ? 0.4 : 0),
      stroke: style.stroke || "#999", "stroke-opacity": style["stroke-opacity"] ?? 1,
    }));
    if (group.name && style.label !== false) {
      el.append(s("text", { class: "group-label", x: 8, y: 16, fill: style.color || "#666" }, String(group.name)));
    }
    return el;
  }

  wireEnds(source, port, target) {
    const from = this.geometry.get(source);
    const to = this.geometry.get(target);
    if (!from || !to || !to.inPort) return null;
    const out = from.outPorts[port];
    if (!out) return null;
    return {
      x1: from.left + out.x + (from.w === 10 ? 0 : 5),
      y1: from.top + out.y,
      x2: to.left + to.inPort.x - (to.w === 10 ? 0 : 5),
      y2: to.top + to.inPort.y,
    };
  }

  drawWires(node, parent) {
    if (!this.geometry.has(node.id) || !Array.isArray(node.wires)) return;
    node.wires.forEach((targets, port) => {
      if (!Array.isArray(targets)) return;
      for (const targetId of targets) {
        const ends = this.wireEnds(node.id, port, targetId);
        if (!ends) continue;
        const target = this.model.get(targetId);
        const d = wirePath(ends.x1, ends.y1, ends.x2, ends.y2);
        const disabled = node.d === true || (target && target.d === true);
        const el = s("g", {
          class: ["wire", disabled && "wire-disabled"],
          dataset: { source: node.id, port: String(port), target: targetId },
        },
        s("path", { class: "wire-hit", d }),
        s("path", { class: "wire-outline", d }),
        s("path", { class: "wire-line", d }));
        const key = wireKey(node.id, port, targetId);
        this.wires.set(key, { el, source: node.id, port, target: targetId });
        for (const id of [node.id, targetId]) {
          if (!this.wiresByNode.has(id)) this.wiresByNode.set(id, new Set());
          this.wiresByNode.get(id).add(key);
        }
        parent.append(el);
      }
    });
  }

  updateWire(key) {
    const wire = this.wires.get(key);
    if (!wire) return;
    const ends = this.wireEnds(wire.source, wire.port, wire.target);
    if (!ends) return;
    const d = wirePath(ends.x1, ends.y1, ends.x2, ends.y2);
    for (const path of wire.el.children) path.setAttribute("d", d);
  }

  /** Dashed virtual wires between link out/call nodes and their link in nodes on this tab. */
  drawLinkWires(nodes) {
    for (const node of nodes) {
      if ((node.type !== "link out" && node.type !== "link call") || !Array.isArray(node.links)) continue;
      for (const other of node.links) {
        if (!this.geometry.has(other)) continue;
        const el = s("path", { class: "link-wire", dataset: { a: node.id, b: other } });
        this.linkWires.push({ el, a: node.id, b: other });
        this.linkLayer.append(el);
      }
    }
    this.updateLinkWires();
  }

  updateLinkWires() {
    for (const lw of this.linkWires) {
      const a = this.geometry.get(lw.a);
      const b = this.geometry.get(lw.b);
      if (!a || !b) continue;
      lw.el.setAttribute("d", wirePath(a.left + a.w + 5, a.cy, b.left - 5, b.cy));
      const show = this.selection.has(lw.a) || this.selection.has(lw.b) || lw.hover > 0;
      lw.el.classList.toggle("show", !!show);
    }
  }

  showLinks(id, on) {
    for (const lw of this.linkWires) {
      if (lw.a !== id && lw.b !== id) continue;
      lw.hover = Math.max(0, (lw.hover || 0) + (on ? 1 : -1));
    }
    this.updateLinkWires();
  }

  drawNode(node) {
    const def = typeDef(node.type);
    const g = this.geometry.get(node.id);
    const missing = this.missingTypes.has(node.type) ||
      (!!this.knownTypes && !this.knownTypes.has(node.type) && !node.type.startsWith("subflow:"));
    const el = s("g", {
      class: ["node", `node-type-${node.type.replace(/[^a-z0-9_-]/gi, "-")}`, def.note && "node-note",
        def.junction && "node-junction", node.d === true && "disabled", missing && "unknown"],
      transform: `translate(${g.left} ${g.top})`,
      dataset: { nodeId: node.id },
      role: "group",
      "aria-label": `${node.type} node: ${g.label || node.type}${node.d === true ? " (disabled)" : ""}` +
        (missing ? " (type not installed)" : ""),
    });
    if (missing) el.append(s("title", null, `Unknown node type: ${node.type}`));
    if (def.junction) {
      el.append(s("rect", { class: "node-body", width: 10, height: 10, rx: 3, fill: def.color }));
      el.append(s("rect", { class: "port port-input junction-port", x: 0, y: 0, width: 5, height: 10, "fill-opacity": 0 }));
      el.append(s("rect", { class: "port port-output junction-port", x: 5, y: 0, width: 5, height: 10, "fill-opacity": 0, dataset: { port: "0" } }));
      this.drawMarks(el, node, 10);
      return el;
    }
    const { w, h } = g;
    if (def.button === "inject") el.append(this.drawInjectButton(node, def, h));
    if (def.button === "debug") el.append(this.drawDebugToggle(node, def, w, h));
    el.append(s("rect", { class: "node-body", width: w, height: h, rx: 5, ry: 5, fill: def.color }));
    const right = def.align === "right";
    if (def.icon) {
      const dark = luminance(def.color) > 0.72;
      el.append(
        s("path", { class: "node-icon-shade", d: iconShadePath(w, h, right) }),
        s("line", { class: "node-icon-sep", x1: right ? w - 30 : 30, x2: right ? w - 30 : 30, y1: 0.5, y2: h - 0.5 }),
        s("path", {
          class: ["node-icon", dark && "node-icon-dark"],
          d: ICONS[def.icon] || ICONS.cog,
          transform: `translate(${right ? w - 25 : 5} ${h / 2 - 10})`,
        }),
      );
    }
    el.append(s("text", {
      // As Node-RED's core nodes' labelStyle: a node's own name is shown in italics.
      class: ["node-label", node.name && "node-label-italic"],
      x: right ? w - 38 : 38,
      y: h / 2,
      dy: "0.35em",
      "text-anchor": right ? "end" : "start",
    }, g.label));
    if (g.inPort) {
      el.append(s("rect", { class: "port port-input", x: -5, y: g.inPort.y - 5, width: PORT_SIZE, height: PORT_SIZE, rx: 3 }));
    }
    g.outPorts.forEach((p, i) => {
      el.append(s("rect", {
        class: "port port-output", x: p.x - 5, y: p.y - 5, width: PORT_SIZE, height: PORT_SIZE, rx: 3,
        dataset: { port: String(i) },
      }));
    });
    const status = s("g", { class: "node-status", transform: `translate(3 ${h + 3})` });
    el.append(status);
    this.renderStatus(status, this.statuses.get(node.id));
    this.drawMarks(el, node, w);
    return el;
  }

  /** The changed dot and the validation error triangle at the node's top right. */
  drawMarks(el, node, w) {
    el.querySelector(":scope > .node-changed")?.remove();
    el.querySelector(":scope > .node-error")?.remove();
    if (this.model.isChanged(node.id)) {
      el.append(s("circle", { class: "node-changed", cx: w - 10, cy: -1, r: 4 },
        s("title", null, "Changed since the last deploy")));
    }
    const errors = this.model.problems(node.id);
    if (errors && errors.length) {
      const text = errors.map((e) => (e.field ? `${e.field}: ${e.message}` : e.message)).join("\n");
      el.append(s("g", { class: "node-error", transform: `translate(${w - (this.model.isChanged(node.id) ? 26 : 12)} -8)` },
        s("title", null, text),
        s("path", { d: "M 6 0 L 12 11 L 0 11 Z" }),
        s("path", { class: "node-error-mark", d: "M 6 3.5 V 7.2 M 6 8.6 V 9.4" })));
    }
  }

  /** Refresh the changed/error marks of some nodes (ids null: all on the tab). */
  refreshMarks(ids = null) {
    for (const [id, el] of this.nodeEls) {
      if (ids && !ids.includes(id)) continue;
      const node = this.model.get(id);
      const g = this.geometry.get(id);
      if (node && g) this.drawMarks(el, node, g.w);
    }
  }

  drawInjectButton(node, def, h) {
    const button = s("g", {
      class: "node-button inject-button",
      transform: "translate(-25 2)",
      dataset: { nodeId: node.id },
    },
    s("rect", { class: "node-button-bg", width: 32, height: h - 4, rx: 5, fill: def.color }),
    s("rect", { class: "node-button-face", x: 5, y: 4, width: 16, height: h - 12, rx: 2 }));
    const disabled = node.d === true || !!this.model.tab(node.z)?.disabled;
    if (disabled) button.setAttribute("aria-disabled", "true");
    return svgButton(button, `Inject: ${nodeLabel(node)}`, () => {
      if (disabled) return;
      this.dispatchEvent(new CustomEvent("inject", { detail: { id: node.id } }));
    });
  }

  drawDebugToggle(node, def, w, h) {
    const active = node.active !== false;
    const button = s("g", {
      class: ["node-button", "debug-toggle", active ? "active" : "inactive"],
      transform: `translate(${w - 7} 2)`,
      dataset: { nodeId: node.id },
      "aria-pressed": String(active),
    },
    s("rect", { class: "node-button-bg", width: 32, height: h - 4, rx: 5, fill: def.color }),
    s("rect", { class: "node-button-face", x: 11, y: 4, width: 16, height: h - 12, rx: 2 }));
    const disabled = node.d === true || !!this.model.tab(node.z)?.disabled;
    if (disabled) button.setAttribute("aria-disabled", "true");
    return svgButton(button, `Debug output of ${nodeLabel(node)}: ${active ? "on" : "off"} (toggle)`, () => {
      if (disabled) return;
      this.dispatchEvent(new CustomEvent("debugtoggle", { detail: { id: node.id, active: node.active === false } }));
    });
  }

  renderStatus(el, status) {
    clear(el);
    if (!status || (!status.fill && !status.shape && (status.text === undefined || status.text === ""))) {
      el.setAttribute("visibility", "hidden");
      return;
    }
    el.removeAttribute("visibility");
    let textX = 0;
    if (status.fill || status.shape) {
      const color = STATUS_COLORS[status.fill] || STATUS_COLORS.grey;
      const ring = status.shape === "ring";
      el.append(s("rect", {
        class: ["node-status-shape", ring ? "ring" : "dot"],
        x: ring ? 1.5 : 0, y: ring ? 1.5 : 0, width: ring ? 7 : 9, height: ring ? 7 : 9, rx: 2,
        fill: ring ? "#fff" : color, stroke: color,
      }));
      textX = 14;
    }
    if (status.text !== undefined && status.text !== null && status.text !== "") {
      el.append(s("text", { class: "node-status-label", x: textX, y: 9 }, statusText(status.text)));
    }
  }

  /** Live status of a node ({} or null clears it). */
  setStatus(id, status) {
    if (!status || typeof status !== "object" || Object.keys(status).length === 0) this.statuses.delete(id);
    else this.statuses.set(id, status);
    const el = this.nodeEls.get(id);
    const holder = el && el.querySelector(":scope > .node-status");
    if (holder) this.renderStatus(holder, this.statuses.get(id));
  }

  clearStatuses() {
    this.statuses.clear();
    for (const el of this.nodeEls.values()) {
      const holder = el.querySelector(":scope > .node-status");
      if (holder) this.renderStatus(holder, null);
    }
  }

  /** Mark nodes whose type the runtime is missing (red dashed outline). */
  setMissingTypes(types) {
    const next = new Set(types || []);
    const same = next.size === this.missingTypes.size && [...next].every((t) => this.missingTypes.has(t));
    if (same) return;
    this.missingTypes = next;
    this.redraw();
  }

  /** Node positions changed in the model: move their drawings (cheap, for drags and nudges). */
  moved(ids) {
    const wiresToUpdate = new Set();
    let needRedraw = false;
    for (const id of ids) {
      const node = this.model.get(id);
      if (!node || node.z !== this.tabId) continue;
      if (node.type === "group") {
        const el = this.groupEls.get(id);
        if (!el) { needRedraw = true; continue; }
        el.setAttribute("transform", `translate(${Number(node.x) || 0} ${Number(node.y) || 0})`);
        const body = el.querySelector(".group-body");
        body?.setAttribute("width", Number(node.w) || 200);
        body?.setAttribute("height", Number(node.h) || 100);
        continue;
      }
      const el = this.nodeEls.get(id);
      const old = this.geometry.get(id);
      if (!el || !old) { needRedraw = true; continue; }
      const g = nodeGeometry(node);
      this.geometry.set(id, g);
      el.setAttribute("transform", `translate(${g.left} ${g.top})`);
      this.drawMarks(el, node, g.w);
      for (const key of this.wiresByNode.get(id) || []) wiresToUpdate.add(key);
    }
    if (needRedraw) {
      this.redraw();
      return;
    }
    for (const key of wiresToUpdate) this.updateWire(key);
    this.updateLinkWires();
  }

  // ---- selection ----------------------------------------------------------------------

  /** Select nodes/groups by id (replacing the selection); options.wire selects a wire instead. */
  setSelection(ids, { wire = null, clicked = null, silent = false } = {}) {
    this.selection = new Set(ids.filter((id) => this.nodeEls.has(id) || this.groupEls.has(id)));
    this.selectedWire = wire;
    this.applySelectionClasses();
    this.updateLinkWires();
    if (!silent) {
      this.dispatchEvent(new CustomEvent("select", { detail: { id: clicked ?? this.selected, ids: [...this.selection] } }));
    }
  }

  /** Select one node (null clears the selection). */
  select(id) {
    this.setSelection(id ? [id] : [], { silent: true });
  }

  selectAll() {
    this.setSelection([...this.nodeEls.keys()]);
  }

  applySelectionClasses() {
    for (const [id, el] of this.nodeEls) el.classList.toggle("selected", this.selection.has(id));
    for (const [id, el] of this.groupEls) el.classList.toggle("selected", this.selection.has(id));
    const key = this.selectedWire && wireKey(this.selectedWire.source, this.selectedWire.port, this.selectedWire.target);
    for (const [k, wire] of this.wires) {
      wire.el.classList.toggle("selected", k === key);
      wire.el.classList.toggle("attached", this.selection.has(wire.source) || this.selection.has(wire.target));
    }
  }

  /** Briefly pulse a node (e.g. when picked from the debug sidebar). */
  highlight(id) {
    const el = this.nodeEls.get(id);
    if (!el) return;
    el.classList.remove("highlighted");
    void el.getBoundingClientRect();
    el.classList.add("highlighted");
    clearTimeout(el._highlightTimer);
    el._highlightTimer = setTimeout(() => el.classList.remove("highlighted"), 2500);
  }

  /** Mark a node while the pointer is over something that refers to it. */
  hover(id, on) {
    this.nodeEls.get(id)?.classList.toggle("hovered", on);
  }

  /** Brief visual feedback on a node's button. */
  flashButton(id, ok = true) {
    const button = this.nodeEls.get(id)?.querySelector(".node-button");
    if (!button) return;
    const cls = ok ? "flash" : "flash-error";
    button.classList.remove("flash", "flash-error");
    void button.getBoundingClientRect();
    button.classList.add(cls);
    setTimeout(() => button.classList.remove(cls), 400);
  }

  /** Redraw a debug node's toggle after its state changed. */
  updateDebugToggle(id) {
    const node = this.model.get(id);
    const el = this.nodeEls.get(id);
    if (!node || !el) return;
    const old = el.querySelector(":scope > .debug-toggle");
    if (!old) return;
    const g = this.geometry.get(id);
    const hadFocus = old.contains(document.activeElement);
    const fresh = this.drawDebugToggle(node, typeDef(node.type), g.w, g.h);
    old.replaceWith(fresh);
    if (hadFocus) fresh.focus({ preventScroll: true });
  }

  // ---- message trace ------------------------------------------------------------------

  /** Highlight the path of a msg: hops [{node}] in order (null clears). */
  setTrace(hops) {
    if (!hops || !hops.length) {
      this.trace = null;
      this.applyTrace();
      return;
    }
    const nodes = new Set();
    const wires = new Set();
    const order = new Map();
    hops.forEach((hop, i) => {
      nodes.add(hop.node);
      if (!order.has(hop.node)) order.set(hop.node, []);
      order.get(hop.node).push(i + 1);
    });
    // A wire is on the path when its target was reached after its source.
    for (let i = 1; i < hops.length; i++) {
      const target = hops[i].node;
      for (let j = i - 1; j >= 0; j--) {
        const source = this.model.get(hops[j].node);
        if (!source || !Array.isArray(source.wires)) continue;
        const port = source.wires.findIndex((t) => Array.isArray(t) && t.includes(target));
        if (port >= 0) {
          wires.add(wireKey(source.id, port, target));
          break;
        }
      }
    }
    this.trace = { nodes, wires, order };
    this.applyTrace();
  }

  applyTrace() {
    this.svg.classList.toggle("tracing", !!this.trace);
    this.overlayLayer.querySelectorAll(".trace-badge").forEach((el) => el.remove());
    for (const [id, el] of this.nodeEls) el.classList.toggle("traced", !!this.trace && this.trace.nodes.has(id));
    for (const [key, wire] of this.wires) wire.el.classList.toggle("traced", !!this.trace && this.trace.wires.has(key));
    if (!this.trace) return;
    for (const [id, steps] of this.trace.order) {
      const g = this.geometry.get(id);
      if (!g) continue;
      const text = steps.length > 3 ? `${steps.slice(0, 3).join(",")}…` : steps.join(",");
      const width = Math.max(16, 7 * text.length + 8);
      this.overlayLayer.append(s("g", { class: "trace-badge", transform: `translate(${g.left + g.w / 2 - width / 2} ${g.top - 20})` },
        s("rect", { width, height: 15, rx: 7.5 }),
        s("text", { x: width / 2, y: 11, "text-anchor": "middle" }, text)));
    }
  }
}
