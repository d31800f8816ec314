// The flow view: one tab's nodes and wires as SVG, with pan and zoom.
//
// Layers (bottom to top): grid, wires, nodes, overlay. Geometry (nodeGeometry, wirePath) is
// kept in pure functions so that dragging, wiring and the palette can reuse it.
//
// Events dispatched on the FlowCanvas:
//   "select"      detail {id}          a node was clicked (id null: background clicked)
//   "open"        detail {id}          a node was double-clicked
//   "inject"      detail {id}          an inject node's button was pressed
//   "debugtoggle" detail {id, active}  a debug node's toggle was pressed (new state)

import { s, clear, svgButton } from "./dom.js";
import { ICONS, typeDef, nodeLabel } from "./nodetypes.js";

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
  const declared = Number.isInteger(node.outputs) ? node.outputs : 0;
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

export class FlowCanvas extends EventTarget {
  constructor(container, model) {
    super();
    this.container = container;
    this.model = model;
    this.tabId = null;
    this.selected = null;
    this.statuses = new Map();      // node id -> status object
    this.nodeEls = new Map();       // node id -> <g>
    this.geometry = new Map();      // node id -> nodeGeometry()
    this.tabViews = new Map();      // tab id -> saved view
    this.missingTypes = new Set();  // types the runtime does not know
    this.view = new View(() => this.applyView());
    this.build();
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
    this.wireLayer = s("g", { class: "layer-wires" });
    this.nodeLayer = s("g", { class: "layer-nodes" });
    this.overlayLayer = s("g", { class: "layer-overlay" });
    this.viewport.append(this.gridRect, this.wireLayer, this.nodeLayer, this.overlayLayer);
    this.svg.append(this.viewport);
    this.container.append(this.svg);
    this.installPanZoom();
  }

  installPanZoom() {
    let drag = null;
    this.svg.addEventListener("pointerdown", (event) => {
      if (event.button !== 0 && event.button !== 1) return;
      if (event.target.closest(".node") && event.button === 0) return;
      drag = { id: event.pointerId, x: event.clientX, y: event.clientY, moved: false };
      this.svg.setPointerCapture(event.pointerId);
      this.svg.classList.add("panning");
      event.preventDefault();
      this.svg.focus({ preventScroll: true, focusVisible: false });
    });
    this.svg.addEventListener("pointermove", (event) => {
      if (!drag || drag.id !== event.pointerId) return;
      const dx = event.clientX - drag.x;
      const dy = event.clientY - drag.y;
      if (Math.abs(dx) + Math.abs(dy) > 2) drag.moved = true;
      drag.x = event.clientX;
      drag.y = event.clientY;
      this.view.panBy(dx, dy);
    });
    const end = (event) => {
      if (!drag || drag.id !== event.pointerId) return;
      if (!drag.moved && event.type === "pointerup" && this.selected) {
        this.select(null);
        this.dispatchEvent(new CustomEvent("select", { detail: { id: null } }));
      }
      drag = null;
      this.svg.classList.remove("panning");
    };
    this.svg.addEventListener("pointerup", end);
    this.svg.addEventListener("pointercancel", end);
    this.svg.addEventListener("wheel", (event) => {
      event.preventDefault();
      const rect = this.svg.getBoundingClientRect();
      const delta = event.deltaMode === 1 ? event.deltaY * 16 : event.deltaY;
      this.view.zoomAt(Math.exp(-delta * 0.0015), event.clientX - rect.left, event.clientY - rect.top);
    }, { passive: false });
    this.svg.addEventListener("keydown", (event) => {
      if (event.target !== this.svg) return;
      const step = 40;
      const keys = {
        ArrowLeft: () => this.view.panBy(step, 0),
        ArrowRight: () => this.view.panBy(-step, 0),
        ArrowUp: () => this.view.panBy(0, step),
        ArrowDown: () => this.view.panBy(0, -step),
        "+": () => this.zoomIn(),
        "=": () => this.zoomIn(),
        "-": () => this.zoomOut(),
        "0": () => this.zoomReset(),
      };
      if (keys[event.key]) {
        event.preventDefault();
        keys[event.key]();
      }
    });
  }

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
    this.redraw();
    if (changed) {
      const saved = this.tabViews.get(tabId);
      if (saved) this.view.set(saved.x, saved.y, saved.scale);
      else this.frameContent();
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

  /** Rebuild the current tab's drawing from the model. */
  redraw() {
    clear(this.wireLayer);
    clear(this.nodeLayer);
    this.nodeEls.clear();
    this.geometry.clear();
    const tab = this.model.tab(this.tabId);
    this.svg.classList.toggle("tab-disabled", !!(tab && tab.disabled));
    const nodes = this.tabId ? this.model.nodesOn(this.tabId) : [];
    for (const node of nodes) this.geometry.set(node.id, nodeGeometry(node));
    for (const node of nodes) this.drawWires(node);
    for (const node of nodes) {
      const el = this.drawNode(node);
      this.nodeEls.set(node.id, el);
      this.nodeLayer.append(el);
    }
    if (this.selected && !this.nodeEls.has(this.selected)) this.selected = null;
    this.dispatchEvent(new CustomEvent("redraw", { detail: { tabId: this.tabId, count: nodes.length } }));
  }

  drawWires(node) {
    const from = this.geometry.get(node.id);
    if (!from || !Array.isArray(node.wires)) return;
    node.wires.forEach((targets, port) => {
      if (!Array.isArray(targets)) return;
      const out = from.outPorts[port];
      if (!out) return;
      for (const targetId of targets) {
        const to = this.geometry.get(targetId);
        const target = this.model.get(targetId);
        if (!to || !to.inPort) continue;
        const x1 = from.left + out.x + (from.w === 10 ? 0 : 5);
        const y1 = from.top + out.y;
        const x2 = to.left + to.inPort.x - (to.w === 10 ? 0 : 5);
        const y2 = to.top + to.inPort.y;
        const d = wirePath(x1, y1, x2, y2);
        const disabled = node.d === true || (target && target.d === true);
        this.wireLayer.append(s("g", {
          class: ["wire", disabled && "wire-disabled"],
          dataset: { source: node.id, port: String(port), target: targetId },
        },
        s("path", { class: "wire-outline", d }),
        s("path", { class: "wire-line", d })));
      }
    });
  }

  drawNode(node) {
    const def = typeDef(node.type);
    const g = this.geometry.get(node.id);
    const el = s("g", {
      class: ["node", `node-type-${node.type.replace(/[^a-z0-9_-]/gi, "-")}`, def.note && "node-note",
        def.junction && "node-junction", node.d === true && "disabled", this.selected === node.id && "selected",
        this.missingTypes.has(node.type) && "unknown"],
      transform: `translate(${g.left} ${g.top})`,
      dataset: { nodeId: node.id },
      role: "group",
      "aria-label": `${node.type} node: ${g.label || node.type}${node.d === true ? " (disabled)" : ""}` +
        (this.missingTypes.has(node.type) ? " (type not installed)" : ""),
    });
    if (this.missingTypes.has(node.type)) el.append(s("title", null, `Unknown node type: ${node.type}`));
    if (def.junction) {
      el.append(s("rect", { class: "node-body", width: 10, height: 10, rx: 3, fill: def.color }));
      this.bindNodeEvents(el, node);
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
    const text = s("text", {
      class: "node-label",
      x: right ? w - 38 : 38,
      y: h / 2,
      dy: "0.35em",
      "text-anchor": right ? "end" : "start",
    }, g.label);
    el.append(text);
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
    this.bindNodeEvents(el, node);
    return el;
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

  bindNodeEvents(el, node) {
    el.addEventListener("pointerdown", (event) => {
      if (event.button !== 0) return;
      event.stopPropagation();
      this.select(node.id);
      this.dispatchEvent(new CustomEvent("select", { detail: { id: node.id } }));
    });
    el.addEventListener("dblclick", (event) => {
      event.stopPropagation();
      this.dispatchEvent(new CustomEvent("open", { detail: { id: node.id } }));
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
      el.append(s("text", { class: "node-status-label", x: textX, y: 9 }, String(status.text)));
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

  /** Select one node (null clears the selection). */
  select(id) {
    if (this.selected === id) return;
    if (this.selected) this.nodeEls.get(this.selected)?.classList.remove("selected");
    this.selected = id;
    if (id) this.nodeEls.get(id)?.classList.add("selected");
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
}
