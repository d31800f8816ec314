// Splicing a node into a wire, as Node-RED's view.js: while one unwired node with an input
// and at least one output is dragged, the wire under its centre is highlighted ("splice"),
// and dropping the node there puts it into that wire (source → node → target).
//
// createSplicer(canvas, id) returns null for a node that cannot be spliced, else
// {update(), wire(), clear()}: update() looks for the wire under the node's centre at most
// every 100 ms (as Node-RED), wire() is the {source, port, target} under it now, or null.

import { wirePath } from "./canvas.js";

const HIT_DISTANCE2 = 200;   // Node-RED's squared distance (world px) from the path
const INTERVAL_MS = 100;

/** Whether a node can be spliced into a wire: one input, outputs, no wires of its own. */
export function canSplice(canvas, id) {
  const g = canvas.geometry.get(id);
  if (!g || !g.inputs || !g.outputs) return false;
  return !(canvas.wiresByNode.get(id)?.size);
}

/**
 * Points along an SVG path made of M, C and S commands (as wirePath draws), 24 per curve.
 * Computed here rather than with getPointAtLength, which costs a style pass on a big canvas.
 */
export function pathPoints(d) {
  const tokens = d.match(/[MCS]|-?[\d.]+(?:e-?\d+)?/g) || [];
  const out = [];
  let cmd = null;
  let x = 0;
  let y = 0;
  let lastC2 = null;
  let i = 0;
  const num = () => Number(tokens[i++]);
  while (i < tokens.length) {
    if (/[MCS]/.test(tokens[i])) cmd = tokens[i++];
    if (cmd === "M") {
      x = num();
      y = num();
      out.push({ x, y });
      lastC2 = null;
      continue;
    }
    let c1;
    if (cmd === "C") c1 = { x: num(), y: num() };
    else c1 = lastC2 ? { x: 2 * x - lastC2.x, y: 2 * y - lastC2.y } : { x, y };
    const c2 = { x: num(), y: num() };
    const end = { x: num(), y: num() };
    for (let k = 1; k <= 24; k++) {
      const t = k / 24;
      const u = 1 - t;
      out.push({
        x: u * u * u * x + 3 * u * u * t * c1.x + 3 * u * t * t * c2.x + t * t * t * end.x,
        y: u * u * u * y + 3 * u * u * t * c1.y + 3 * u * t * t * c2.y + t * t * t * end.y,
      });
    }
    lastC2 = c2;
    x = end.x;
    y = end.y;
  }
  return out;
}

/** The wire whose path passes closest to (x, y) (world), within Node-RED's distance, or null. */
export function wireAt(canvas, x, y, skip = null) {
  let best = null;
  let bestD = HIT_DISTANCE2;
  for (const [key, wire] of canvas.wires) {
    if (skip && (wire.source === skip || wire.target === skip)) continue;
    const ends = canvas.wireEnds(wire.source, wire.port, wire.target);
    if (!ends) continue;
    const pad = 60;
    if (x < Math.min(ends.x1, ends.x2) - pad || x > Math.max(ends.x1, ends.x2) + pad ||
        y < Math.min(ends.y1, ends.y2) - pad || y > Math.max(ends.y1, ends.y2) + pad) continue;
    for (const p of pathPoints(wirePath(ends.x1, ends.y1, ends.x2, ends.y2))) {
      const d = (p.x - x) ** 2 + (p.y - y) ** 2;
      if (d < bestD) {
        bestD = d;
        best = key;
      }
    }
  }
  return best ? canvas.wires.get(best) : null;
}

export function createSplicer(canvas, id) {
  if (!canSplice(canvas, id)) return null;
  let timer = 0;
  let current = null;
  const mark = (wire) => {
    if (current === wire) return;
    current?.el.classList.remove("splice");
    current = wire;
    current?.el.classList.add("splice");
  };
  return {
    update() {
      if (timer) return;
      timer = setTimeout(() => {
        timer = 0;
        const g = canvas.geometry.get(id);
        mark(g ? wireAt(canvas, g.cx, g.cy, id) : null);
      }, INTERVAL_MS);
    },
    /** The wire under the node now (highlighted), or null. */
    wire() {
      clearTimeout(timer);
      timer = 0;
      const g = canvas.geometry.get(id);
      mark(g ? wireAt(canvas, g.cx, g.cy, id) : null);
      return current ? { source: current.source, port: current.port, target: current.target } : null;
    },
    clear() {
      clearTimeout(timer);
      timer = 0;
      mark(null);
    },
  };
}
