// Pointer and keyboard handling of the flow view (a FlowCanvas): selecting (click,
// Shift/Ctrl-click, lasso), dragging nodes and groups, drawing wires from ports, panning
// (middle-drag, Alt-drag, Space-drag, wheel, arrows) and zooming (Ctrl-wheel, + - 0), Delete,
// Escape and arrow-key nudges. Drawing stays in canvas.js; this module only reads the canvas's
// geometry, changes its selection, view and drag-time drawing, and reports what the user did
// by dispatching the FlowCanvas's events ("select" through setSelection, "open", "move",
// "wire", "delete", "traceclear").
//
// installPointer(canvas) attaches all of it to a FlowCanvas once, after the canvas is built.

import { s } from "./dom.js";
import { GRID, wirePath } from "./canvas.js";
import { overlayOpen } from "./dialog.js";
import { createSplicer } from "./splice.js";

const DRAG_THRESHOLD = 3;
const LINK_TYPES = new Set(["link out", "link in", "link call"]);

/** Attach pointer, wheel and keyboard handling to a FlowCanvas (call once). */
export function installPointer(canvas) {
  const gesture = { spaceDown: false };   // Space held on the canvas: dragging pans
  installPointerEvents(canvas, gesture);
  installKeys(canvas, gesture);
}

// ---- pointer ----------------------------------------------------------------------------

function installPointerEvents(canvas, gesture) {
  let drag = null;
  const svg = canvas.svg;
  svg.addEventListener("pointerdown", (event) => {
    if (event.button !== 0 && event.button !== 1) return;
    canvas.svg.focus({ preventScroll: true, focusVisible: false });
    const target = event.target;
    const pan = event.button === 1 || gesture.spaceDown || (event.button === 0 && event.altKey);
    const portOut = !pan && target.closest(".port-output");
    const portIn = !pan && target.closest(".port-input");
    const nodeEl = !pan && target.closest(".node");
    const wireEl = !pan && target.closest(".wire");
    const groupEl = !pan && target.closest(".group");
    event.preventDefault();
    if (portOut || portIn) {
      const id = (portOut || portIn).closest(".node").dataset.nodeId;
      drag = startWiring(canvas, event, id, portOut ? Number(portOut.dataset.port) : null);
    } else if (nodeEl) {
      drag = startNodeDrag(canvas, event, nodeEl.dataset.nodeId);
    } else if (wireEl) {
      const { source, port, target: to } = wireEl.dataset;
      canvas.setSelection([], { wire: { source, port: Number(port), target: to } });
      drag = null;
      return;
    } else if (groupEl) {
      drag = startNodeDrag(canvas, event, groupEl.dataset.groupId);
    } else if (pan) {
      drag = { kind: "pan", x: event.clientX, y: event.clientY, moved: false };
      svg.classList.add("panning");
    } else {
      drag = startLasso(canvas, event);
    }
    if (drag) {
      drag.id = event.pointerId;
      svg.setPointerCapture(event.pointerId);
    }
  });
  svg.addEventListener("pointermove", (event) => {
    if (!drag || drag.id !== event.pointerId) return;
    if (drag.kind === "pan") {
      const dx = event.clientX - drag.x;
      const dy = event.clientY - drag.y;
      if (Math.abs(dx) + Math.abs(dy) > 2) drag.moved = true;
      drag.x = event.clientX;
      drag.y = event.clientY;
      canvas.view.panBy(dx, dy);
    } else {
      drag.move(event);
    }
  });
  const end = (event) => {
    if (!drag || drag.id !== event.pointerId) return;
    const d = drag;
    drag = null;
    svg.classList.remove("panning");
    if (d.kind !== "pan") d.end(event, event.type === "pointercancel");
  };
  svg.addEventListener("pointerup", end);
  svg.addEventListener("pointercancel", end);
  svg.addEventListener("dblclick", (event) => {
    // With pointer capture the click's target is the svg: look at what is under the pointer.
    const under = document.elementFromPoint(event.clientX, event.clientY) || event.target;
    const nodeEl = under.closest(".node");
    const groupEl = under.closest(".group");
    const id = nodeEl ? nodeEl.dataset.nodeId : groupEl ? groupEl.dataset.groupId : null;
    if (!id || under.closest(".node-button")) return;
    event.stopPropagation();
    canvas.dispatchEvent(new CustomEvent("open", { detail: { id } }));
  });
  svg.addEventListener("wheel", (event) => {
    event.preventDefault();
    const rect = svg.getBoundingClientRect();
    const unit = event.deltaMode === 1 ? 16 : 1;
    if (event.ctrlKey || event.metaKey) {
      canvas.view.zoomAt(Math.exp(-event.deltaY * unit * 0.002), event.clientX - rect.left, event.clientY - rect.top);
    } else if (event.shiftKey && !event.deltaX) {
      canvas.view.panBy(-event.deltaY * unit, 0);
    } else {
      canvas.view.panBy(-event.deltaX * unit, -event.deltaY * unit);
    }
  }, { passive: false });
  svg.addEventListener("pointerover", (event) => {
    const nodeEl = event.target.closest(".node");
    if (nodeEl && LINK_TYPES.has(canvas.model.get(nodeEl.dataset.nodeId)?.type)) canvas.showLinks(nodeEl.dataset.nodeId, true);
  });
  svg.addEventListener("pointerout", (event) => {
    const nodeEl = event.target.closest(".node");
    if (nodeEl && LINK_TYPES.has(canvas.model.get(nodeEl.dataset.nodeId)?.type)) canvas.showLinks(nodeEl.dataset.nodeId, false);
  });
}

function startNodeDrag(canvas, event, id) {
  const additive = event.shiftKey || event.ctrlKey || event.metaKey;
  const wasSelected = canvas.selection.has(id);
  if (additive) {
    const next = new Set(canvas.selection);
    if (wasSelected) next.delete(id);
    else next.add(id);
    canvas.setSelection([...next], { clicked: id });
    if (wasSelected) return null;
  } else if (!wasSelected) {
    canvas.setSelection([id], { clicked: id });
  }
  // What moves: selected nodes, selected groups and their members.
  const moving = new Set();
  const groups = new Set();
  for (const sel of canvas.selection) {
    const node = canvas.model.get(sel);
    if (!node) continue;
    if (node.type === "group") {
      groups.add(sel);
      for (const member of canvas.groupMembers(node)) moving.add(member);
    } else if (canvas.geometry.has(sel)) {
      moving.add(sel);
    }
  }
  const start = canvas.clientToWorld(event.clientX, event.clientY);
  const origin = new Map([...moving].map((n) => [n, { x: Number(canvas.model.get(n).x) || 0, y: Number(canvas.model.get(n).y) || 0 }]));
  const groupOrigin = new Map([...groups].map((g) => {
    const grp = canvas.model.get(g);
    return [g, { x: Number(grp.x) || 0, y: Number(grp.y) || 0, w: grp.w, h: grp.h }];
  }));
  const primary = canvas.geometry.has(id) ? id : [...moving][0];
  const splicer = moving.size === 1 && !groups.size ? createSplicer(canvas, primary) : null;
  let moved = false;
  let frame = 0;
  let last = { dx: 0, dy: 0 };
  // While dragging, the moving nodes and the wires between them sit in one translated group
  // each, so a frame costs one transform plus the wires that cross the selection's edge.
  let nodeGroup = null;
  let wireGroup = null;
  const boundary = new Set();
  const lift = () => {
    nodeGroup = s("g", { class: "drag-layer" });
    wireGroup = s("g", { class: "drag-layer" });
    canvas.wireLayer.append(wireGroup);
    canvas.nodeLayer.append(nodeGroup);
    for (const n of origin.keys()) {
      const el = canvas.nodeEls.get(n);
      if (el) nodeGroup.append(el);
      for (const key of canvas.wiresByNode.get(n) || []) {
        const wire = canvas.wires.get(key);
        if (origin.has(wire.source) && origin.has(wire.target)) wireGroup.append(wire.el);
        else boundary.add(key);
      }
    }
  };
  const drop = () => {
    if (!nodeGroup) return;
    for (const el of [...nodeGroup.children]) canvas.nodeLayer.append(el);
    for (const el of [...wireGroup.children]) canvas.wireLayer.append(el);
    nodeGroup.remove();
    wireGroup.remove();
    nodeGroup = null;
  };
  const apply = () => {
    frame = 0;
    const { dx, dy } = last;
    for (const [n, o] of origin) {
      const g = canvas.geometry.get(n);
      if (!g) continue;
      g.cx = o.x + dx;
      g.cy = o.y + dy;
      g.left = g.cx - g.w / 2;
      g.top = g.cy - g.h / 2;
    }
    nodeGroup?.setAttribute("transform", `translate(${dx} ${dy})`);
    wireGroup?.setAttribute("transform", `translate(${dx} ${dy})`);
    for (const key of boundary) canvas.updateWire(key);
    for (const [g, o] of groupOrigin) {
      canvas.groupEls.get(g)?.setAttribute("transform", `translate(${o.x + dx} ${o.y + dy})`);
    }
    if (canvas.linkWires.length) canvas.updateLinkWires();
    splicer?.update();
  };
  return {
    kind: "move",
    move: (e) => {
      const p = canvas.clientToWorld(e.clientX, e.clientY);
      let dx = p.x - start.x;
      let dy = p.y - start.y;
      if (!moved && Math.hypot(dx * canvas.view.scale, dy * canvas.view.scale) < DRAG_THRESHOLD) return;
      if (!moved) {
        moved = true;
        canvas.svg.classList.add("dragging");
        lift();
      }
      // Snap the node under the pointer to the grid (Node-RED snaps to half the grid).
      if (primary && origin.has(primary) && !e.altKey) {
        const o = origin.get(primary);
        dx = Math.round((o.x + dx) / (GRID / 2)) * (GRID / 2) - o.x;
        dy = Math.round((o.y + dy) / (GRID / 2)) * (GRID / 2) - o.y;
      }
      last = { dx, dy };
      if (!frame) frame = requestAnimationFrame(apply);
    },
    end: (e, cancelled) => {
      if (frame) {
        cancelAnimationFrame(frame);
        apply();
      }
      drop();
      canvas.svg.classList.remove("dragging");
      const splice = moved && !cancelled && splicer ? splicer.wire() : null;
      splicer?.clear();
      if (!moved) {
        if (!additive && wasSelected && canvas.selection.size > 1) canvas.setSelection([id], { clicked: id });
        return;
      }
      if (cancelled || (!last.dx && !last.dy)) {
        canvas.redraw();
        return;
      }
      const positions = new Map();
      for (const [n, o] of origin) positions.set(n, { x: Math.round(o.x + last.dx), y: Math.round(o.y + last.dy) });
      for (const [g, o] of groupOrigin) positions.set(g, { x: Math.round(o.x + last.dx), y: Math.round(o.y + last.dy), w: o.w, h: o.h });
      // Groups that contain moved nodes (without being moved themselves) are refitted.
      for (const grp of canvas.model.groupsOn(canvas.tabId)) {
        if (positions.has(grp.id)) continue;
        const members = canvas.groupMembers(grp);
        if (members.some((m) => positions.has(m))) {
          const fit = canvas.fitGroup(members, positions);
          if (fit) positions.set(grp.id, fit);
        }
      }
      canvas.dispatchEvent(new CustomEvent("move", { detail: { positions, splice: splice && { ...splice, id: primary } } }));
    },
  };
}


function startWiring(canvas, event, id, port) {
  const g = canvas.geometry.get(id);
  if (!g) return null;
  const fromOutput = port !== null;
  const anchor = fromOutput
    ? { x: g.left + g.outPorts[port].x + (g.w === 10 ? 0 : 5), y: g.top + g.outPorts[port].y }
    : { x: g.left + g.inPort.x - (g.w === 10 ? 0 : 5), y: g.top + g.inPort.y };
  const path = s("path", { class: "drag-wire" });
  canvas.overlayLayer.append(path);
  canvas.svg.classList.add("wiring");
  canvas.svg.classList.add(fromOutput ? "wiring-from-output" : "wiring-from-input");
  const draw = (e) => {
    const p = canvas.clientToWorld(e.clientX, e.clientY);
    path.setAttribute("d", fromOutput ? wirePath(anchor.x, anchor.y, p.x, p.y) : wirePath(p.x, p.y, anchor.x, anchor.y));
  };
  draw(event);
  return {
    kind: "wire",
    move: draw,
    end: (e, cancelled) => {
      path.remove();
      canvas.svg.classList.remove("wiring", "wiring-from-output", "wiring-from-input");
      if (cancelled) return;
      const under = document.elementFromPoint(e.clientX, e.clientY);
      const nodeEl = under && under.closest && under.closest(".node");
      if (!nodeEl || !canvas.svg.contains(nodeEl)) {
        // Dropped on empty space (or a subflow port): Node-RED's quick-add, wired.
        if (under && canvas.svg.contains(under)) {
          const end = fromOutput ? { source: id, port } : { target: id };
          canvas.dispatchEvent(new CustomEvent("wiredrop", { detail: { ...end, clientX: e.clientX, clientY: e.clientY, under } }));
        }
        return;
      }
      const other = nodeEl.dataset.nodeId;
      if (other === id) return;
      const og = canvas.geometry.get(other);
      if (!og) return;
      if (fromOutput) {
        if (!og.inputs) return;
        canvas.dispatchEvent(new CustomEvent("wire", { detail: { source: id, port, target: other } }));
      } else {
        if (!og.outputs) return;
        const portEl = under.closest(".port-output");
        const p = portEl ? Number(portEl.dataset.port) : 0;
        canvas.dispatchEvent(new CustomEvent("wire", { detail: { source: other, port: p, target: id } }));
      }
    },
  };
}

function startLasso(canvas, event) {
  const additive = event.shiftKey || event.ctrlKey || event.metaKey;
  const start = canvas.clientToWorld(event.clientX, event.clientY);
  const rect = s("rect", { class: "lasso", x: start.x, y: start.y, width: 0, height: 0 });
  let shown = false;
  let box = null;
  const before = new Set(canvas.selection);
  return {
    kind: "lasso",
    move: (e) => {
      const p = canvas.clientToWorld(e.clientX, e.clientY);
      box = { x1: Math.min(start.x, p.x), y1: Math.min(start.y, p.y), x2: Math.max(start.x, p.x), y2: Math.max(start.y, p.y) };
      if (!shown && (box.x2 - box.x1) * canvas.view.scale + (box.y2 - box.y1) * canvas.view.scale > DRAG_THRESHOLD) {
        shown = true;
        canvas.overlayLayer.append(rect);
      }
      rect.setAttribute("x", box.x1);
      rect.setAttribute("y", box.y1);
      rect.setAttribute("width", box.x2 - box.x1);
      rect.setAttribute("height", box.y2 - box.y1);
    },
    end: (e, cancelled) => {
      rect.remove();
      if (cancelled) return;
      if (!shown || !box) {
        // Ctrl+click on the background: Node-RED's quick-add.
        if ((e.ctrlKey || e.metaKey) && !e.shiftKey && !e.altKey) {
          canvas.dispatchEvent(new CustomEvent("quickadd", { detail: { clientX: e.clientX, clientY: e.clientY } }));
          return;
        }
        // A click on the background clears the selection (and a trace).
        if (!additive) {
          canvas.setSelection([]);
          if (canvas.trace) canvas.dispatchEvent(new CustomEvent("traceclear"));
        }
        return;
      }
      const hit = [];
      for (const [id, g] of canvas.geometry) {
        if (g.cx >= box.x1 && g.cx <= box.x2 && g.cy >= box.y1 && g.cy <= box.y2) hit.push(id);
      }
      canvas.setSelection(additive ? [...before, ...hit] : hit);
    },
  };
}

// ---- keyboard ---------------------------------------------------------------------------

function installKeys(canvas, gesture) {
  window.addEventListener("keydown", (e) => { if (e.key === " " && e.target === canvas.svg) gesture.spaceDown = true; });
  window.addEventListener("keyup", (e) => { if (e.key === " ") gesture.spaceDown = false; });
  canvas.svg.addEventListener("keydown", (event) => {
    // With a dialog or the edit tray open the canvas behind takes no keys (Node-RED's shade).
    if (event.target !== canvas.svg || overlayOpen()) return;
    if (event.key === "Delete" || event.key === "Backspace") {
      event.preventDefault();
      if (canvas.selection.size || canvas.selectedWire) {
        canvas.dispatchEvent(new CustomEvent("delete", { detail: { ids: [...canvas.selection], wire: canvas.selectedWire } }));
      }
      return;
    }
    if (event.key === "Escape") {
      canvas.setSelection([]);
      if (canvas.trace) canvas.dispatchEvent(new CustomEvent("traceclear"));
      return;
    }
    const arrows = { ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, -1], ArrowDown: [0, 1] };
    if (arrows[event.key]) {
      event.preventDefault();
      const [ax, ay] = arrows[event.key];
      if (canvas.selection.size && !event.ctrlKey && !event.metaKey) {
        const step = event.shiftKey ? GRID : 1;
        nudge(canvas, ax * step, ay * step);
      } else {
        canvas.view.panBy(-ax * 40, -ay * 40);
      }
      return;
    }
    const keys = {
      "+": () => canvas.zoomIn(),
      "=": () => canvas.zoomIn(),
      "-": () => canvas.zoomOut(),
      "0": () => canvas.zoomReset(),
    };
    if (keys[event.key] && !event.ctrlKey && !event.metaKey) {
      event.preventDefault();
      keys[event.key]();
    }
  });
}

/** Move the selection by (dx, dy) (arrow keys). */
function nudge(canvas, dx, dy) {
  const positions = new Map();
  for (const id of canvas.selection) {
    const node = canvas.model.get(id);
    if (!node) continue;
    if (node.type === "group") {
      positions.set(id, { x: (Number(node.x) || 0) + dx, y: (Number(node.y) || 0) + dy, w: node.w, h: node.h });
      for (const m of canvas.groupMembers(node)) {
        const mn = canvas.model.get(m);
        positions.set(m, { x: (Number(mn.x) || 0) + dx, y: (Number(mn.y) || 0) + dy });
      }
    } else if (canvas.geometry.has(id)) {
      positions.set(id, { x: (Number(node.x) || 0) + dx, y: (Number(node.y) || 0) + dy });
    }
  }
  if (positions.size) canvas.dispatchEvent(new CustomEvent("move", { detail: { positions, nudge: true } }));
}
