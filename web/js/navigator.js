// The navigator (Node-RED's mini-map, editor-client's view-navigator.js) and zoom-to-fit.
// The navigator is a small drawing at the canvas's corner of every node of the tab and of the
// visible area; a click or a drag in it moves the view there. It only draws while it is
// shown, at most once a frame, so a hidden navigator costs the canvas nothing.
//
// installNavigator(canvas, {host, toggle}) -> {show(on), shown, draw()}; zoomToFit(canvas).

import { h } from "./dom.js";

const WIDTH = 220;
const HEIGHT = 140;
const PAD = 40;

/** Zoom and pan so that every node of the tab is in view (Node-RED's zoom-fit, Ctrl+1). */
export function zoomToFit(canvas) {
  const box = canvas.contentBounds();
  if (!box) {
    canvas.view.set(0, 0, 1);
    return;
  }
  const { w, h: height } = canvas.size();
  const scale = Math.min((w - 2 * PAD) / (box.x2 - box.x1), (height - 2 * PAD) / (box.y2 - box.y1), 1);
  canvas.view.set(0, 0, scale);
  const s = canvas.view.scale;   // clamped to the canvas's zoom range
  const cx = (box.x1 + box.x2) / 2;
  const cy = (box.y1 + box.y2) / 2;
  canvas.view.set(w / 2 - cx * s, height / 2 - cy * s, s);
}

export function installNavigator(canvas, { host, toggle }) {
  const surface = h("canvas", { class: "navigator-surface", width: WIDTH, height: HEIGHT, "aria-hidden": "true" });
  const el = h("div", { class: "navigator", id: "navigator", hidden: true, role: "img",
    "aria-label": "Navigator: the whole flow and the visible area; click or drag to move the view" }, surface);
  host.append(el);
  let frame = 0;
  let map = null;   // {scale, x, y}: world -> navigator px

  const world = () => {
    const box = canvas.contentBounds() || { x1: 0, y1: 0, x2: 0, y2: 0 };
    const { w, h: height } = canvas.size();
    const view = canvas.view;
    const v = { x1: -view.x / view.scale, y1: -view.y / view.scale, x2: (w - view.x) / view.scale, y2: (height - view.y) / view.scale };
    return { box, v, all: { x1: Math.min(box.x1, v.x1, 0), y1: Math.min(box.y1, v.y1, 0), x2: Math.max(box.x2, v.x2), y2: Math.max(box.y2, v.y2) } };
  };

  const draw = () => {
    frame = 0;
    if (el.hidden) return;
    const { v, all } = world();
    const scale = Math.min(WIDTH / (all.x2 - all.x1 || 1), HEIGHT / (all.y2 - all.y1 || 1));
    map = { scale, x: all.x1, y: all.y1 };
    const ctx = surface.getContext("2d");
    ctx.clearRect(0, 0, WIDTH, HEIGHT);
    ctx.fillStyle = "#999";
    for (const g of canvas.geometry.values()) {
      ctx.fillRect((g.left - map.x) * scale, (g.top - map.y) * scale, Math.max(1, g.w * scale), Math.max(1, g.h * scale));
    }
    ctx.strokeStyle = "#ad1625";
    ctx.lineWidth = 1.5;
    ctx.strokeRect((v.x1 - map.x) * scale, (v.y1 - map.y) * scale, (v.x2 - v.x1) * scale, (v.y2 - v.y1) * scale);
    el.dataset.nodes = String(canvas.geometry.size);
  };
  const schedule = () => {
    if (!el.hidden && !frame) frame = requestAnimationFrame(draw);
  };
  canvas.addEventListener("viewchange", schedule);
  canvas.addEventListener("redraw", schedule);
  canvas.model.addEventListener("change", schedule);

  // Click or drag in the navigator: centre the view on that point.
  const moveTo = (event) => {
    if (!map) return;
    const r = surface.getBoundingClientRect();
    const x = (event.clientX - r.left) / map.scale + map.x;
    const y = (event.clientY - r.top) / map.scale + map.y;
    const { w, h: height } = canvas.size();
    canvas.view.set(w / 2 - x * canvas.view.scale, height / 2 - y * canvas.view.scale);
  };
  surface.addEventListener("pointerdown", (event) => {
    event.preventDefault();
    surface.setPointerCapture(event.pointerId);
    moveTo(event);
    const move = (e) => moveTo(e);
    const up = () => {
      surface.removeEventListener("pointermove", move);
      surface.removeEventListener("pointerup", up);
      surface.removeEventListener("pointercancel", up);
    };
    surface.addEventListener("pointermove", move);
    surface.addEventListener("pointerup", up);
    surface.addEventListener("pointercancel", up);
  });

  const show = (on) => {
    el.hidden = !on;
    toggle.setAttribute("aria-pressed", String(on));
    toggle.classList.toggle("on", on);
    if (on) draw();
  };
  toggle.addEventListener("click", () => show(el.hidden));
  return { show, get shown() { return !el.hidden; }, draw, el };
}
