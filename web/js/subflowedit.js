// Editing a subflow definition on its tab, as Node-RED's subflow toolbar and template
// (editor-client's subflow.js): a toolbar over the canvas sets the input port (0 or 1), the
// output ports (add/remove) and the status port, and opens the definition's env properties
// (name, type, value). The ports are drawn on the canvas as Node-RED's grey boxes: dragged to
// move them; a wire dragged from the input port to a node's input, or from a node's output
// onto an output or status port, wires them (kept in the definition's in[0].wires,
// out[i].wires and status.wires).
//
// subflowEnvField(node, subflow) is an instance's edit-dialog block: one row per property of
// its template, left empty to keep the template's value; `env` holds only the overrides.
//
// installSubflowEditor(canvas, {host, model, edit(fn), editTab(id)}) -> {dropWire(detail)}:
// edit(fn) wraps a model change in one undo step.

import { h, s, clear } from "./dom.js";
import { wirePath } from "./canvas.js";
import { openDialog } from "./dialog.js";

const PORT = 40;   // Node-RED's subflow port box
export const ENV_TYPES = ["str", "num", "bool", "json", "bin", "env", "jsonata", "cred"];

function clone(value) {
  return JSON.parse(JSON.stringify(value));
}

/** The env property rows of a dialog: {el, read() -> [{name, type, value}]}. */
function envRows(list, { template = null } = {}) {
  const body = h("div", { class: "env-rows" });
  const rows = [];
  const addRow = (entry = { name: "", type: "str", value: "" }, fixed = false) => {
    const name = h("input", { type: "text", class: "input env-name", "aria-label": "Property name", placeholder: "name" });
    name.value = entry.name || "";
    name.readOnly = fixed;
    const type = h("select", { class: "input env-type", "aria-label": "Property type" }, ENV_TYPES.map((t) => h("option", { value: t }, t)));
    type.value = ENV_TYPES.includes(entry.type) ? entry.type : "str";
    const value = h("input", { type: entry.type === "cred" ? "password" : "text", class: "input env-value", "aria-label": "Property value",
      placeholder: fixed ? String(template?.find((t) => t.name === entry.name)?.value ?? "") : "value" });
    value.value = entry.value === undefined || entry.value === null ? "" : String(entry.value);
    const row = { name, type, value, el: null };
    const remove = fixed ? null : h("button", { type: "button", class: "btn btn-small env-remove", "aria-label": "Remove property",
      onClick: () => { row.el.remove(); rows.splice(rows.indexOf(row), 1); } }, "×");
    row.el = h("div", { class: "env-row" }, name, type, value, remove);
    rows.push(row);
    body.append(row.el);
  };
  for (const entry of list) addRow(entry, !!template);
  const read = () => rows.map((r) => ({ name: r.name.value.trim(), type: r.type.value, value: r.value.value }));
  return { el: body, read, addRow };
}

/** An instance's properties, from its template's env (Node-RED's subflow instance dialog). */
export function subflowEnvField(node, subflow) {
  const template = Array.isArray(subflow?.env) ? subflow.env : [];
  const own = new Map((Array.isArray(node.env) ? node.env : []).map((e) => [e.name, e]));
  const shown = template.map((t) => ({ name: t.name, type: own.get(t.name)?.type ?? t.type, value: own.get(t.name)?.value ?? "" }));
  const rows = envRows(shown, { template });
  const el = h("div", { class: "form-row form-row-wide subflow-env-row", dataset: { field: "env" } },
    h("label", { class: "form-label" }, "Properties"),
    h("div", { class: "form-control" }, template.length ? rows.el : h("div", { class: "env-empty" }, "The subflow has no properties."),
      template.length ? h("p", { class: "form-help" }, "Leave a value empty to use the subflow's.") : null));
  return {
    el,
    collect(out) {
      const env = rows.read().filter((r, i) => r.value !== "" || r.type !== (template[i]?.type ?? "str"));
      const others = (Array.isArray(node.env) ? node.env : []).filter((e) => !template.some((t) => t.name === e.name));
      out.env = [...others, ...env.filter((e) => e.value !== "")];
      return [];
    },
  };
}

/** The definition's env editor dialog. */
function editEnv(subflow, save) {
  const rows = envRows(Array.isArray(subflow.env) ? subflow.env : []);
  const add = h("button", { type: "button", class: "btn btn-small env-add", onClick: () => rows.addRow() }, "+ add property");
  openDialog({
    title: `Properties of ${subflow.name || "the subflow"}`,
    className: "subflow-env-dialog",
    width: 600,
    body: h("div", null, rows.el, add),
    buttons: [
      { label: "Cancel", onClick: (close) => close() },
      { label: "Done", kind: "primary", id: "subflow-env-done", onClick: (close) => {
        close();
        save(rows.read().filter((r) => r.name));
      } },
    ],
  });
}

export function installSubflowEditor(canvas, { host, model, edit, editTab }) {
  const layer = s("g", { class: "layer-subflow-ports" });
  canvas.viewport.insertBefore(layer, canvas.nodeLayer);
  const toolbar = h("div", { class: "subflow-toolbar", role: "toolbar", "aria-label": "Subflow", hidden: true });
  host.append(toolbar);

  const subflow = () => model.subflows.find((sf) => sf.id === canvas.tabId) || null;
  const change = (fn) => {
    const sf = subflow();
    if (!sf) return;
    edit(() => {
      const fresh = clone(sf);
      fn(fresh);
      model.replace(sf.id, fresh);
      fitInstances(fresh);
    });
  };

  // Instances follow their definition's ports: wires into an instance go with its input, the
  // wires of a removed output with it (as Node-RED's subflow port removal).
  function fitInstances(sf) {
    const type = `subflow:${sf.id}`;
    const outs = Array.isArray(sf.out) ? sf.out.length : 0;
    const instances = new Set(model.all.filter((n) => n.type === type).map((n) => n.id));
    for (const id of instances) {
      const node = model.get(id);
      if (Array.isArray(node.wires) && node.wires.length > outs) model.update(id, { wires: node.wires.slice(0, outs) });
    }
    if (sf.in?.length) return;
    for (const node of model.all) {
      if (!Array.isArray(node.wires) || !node.wires.some((ts) => Array.isArray(ts) && ts.some((t) => instances.has(t)))) continue;
      model.update(node.id, { wires: node.wires.map((ts) => (Array.isArray(ts) ? ts.filter((t) => !instances.has(t)) : ts)) });
    }
  }

  function renderToolbar() {
    const sf = subflow();
    toolbar.hidden = !sf;
    clear(toolbar);
    if (!sf) return;
    const ins = Array.isArray(sf.in) ? sf.in.length : 0;
    const outs = Array.isArray(sf.out) ? sf.out.length : 0;
    const inputs = [0, 1].map((n) => h("button", { type: "button", class: ["btn", "btn-small", ins === n && "on"], id: `subflow-inputs-${n}`,
      "aria-pressed": String(ins === n), onClick: () => change((f) => {
        f.in = n ? (f.in?.length ? f.in : [{ x: 60, y: 60, wires: [] }]) : [];
      }) }, String(n)));
    const status = h("input", { type: "checkbox", id: "subflow-status" });
    status.checked = !!sf.status;
    status.addEventListener("change", () => change((f) => {
      if (status.checked) f.status = { x: 100, y: 140 + 60 * (f.out?.length || 0), wires: [] };
      else delete f.status;
    }));
    toolbar.append(
      h("span", { class: "subflow-toolbar-label" }, "subflow:"),
      h("span", { class: "subflow-toolbar-group" }, "inputs", ...inputs),
      h("span", { class: "subflow-toolbar-group" }, "outputs",
        h("button", { type: "button", class: "btn btn-small", id: "subflow-outputs-remove", "aria-label": "Remove an output", disabled: !outs,
          onClick: () => change((f) => { f.out.pop(); }) }, "−"),
        h("span", { class: "subflow-outputs-count", id: "subflow-outputs" }, String(outs)),
        h("button", { type: "button", class: "btn btn-small", id: "subflow-outputs-add", "aria-label": "Add an output",
          onClick: () => change((f) => {
            f.out = Array.isArray(f.out) ? f.out : [];
            const last = f.out.at(-1);
            f.out.push({ x: last ? last.x : 460, y: last ? last.y + 60 : 60, wires: [] });
          }) }, "+")),
      h("label", { class: "subflow-toolbar-group" }, status, "status output"),
      h("button", { type: "button", class: "btn btn-small", id: "subflow-env", onClick: () => editEnv(sf, (env) => change((f) => { f.env = env; })) },
        `properties${sf.env?.length ? ` (${sf.env.length})` : ""}`),
      h("button", { type: "button", class: "btn btn-small", id: "subflow-edit", onClick: () => editTab(sf.id) }, "edit subflow"));
  }

  // ---- ports on the canvas ----------------------------------------------------------------

  const ports = (sf) => [
    ...(sf.in || []).map((p, i) => ({ kind: "in", i, p, label: "input" })),
    ...(sf.out || []).map((p, i) => ({ kind: "out", i, p, label: `output ${i + 1}` })),
    ...(sf.status ? [{ kind: "status", i: 0, p: sf.status, label: "status" }] : []),
  ];

  function portWires(sf) {
    const out = [];
    for (const port of ports(sf)) {
      const x = Number(port.p.x) || 0;
      const y = Number(port.p.y) || 0;
      for (const w of port.p.wires || []) {
        const g = canvas.geometry.get(w.id);
        if (!g) continue;
        if (port.kind === "in") {
          if (g.inPort) out.push({ d: wirePath(x + PORT / 2 + 5, y, g.left - 5, g.top + g.inPort.y), port, w });
        } else {
          const op = g.outPorts[w.port || 0];
          if (op) out.push({ d: wirePath(g.left + op.x + 5, g.top + op.y, x - PORT / 2 - 5, y), port, w });
        }
      }
    }
    return out;
  }

  function draw() {
    clear(layer);
    const sf = subflow();
    renderToolbar();
    if (!sf) return;
    for (const wire of portWires(sf)) {
      layer.append(s("g", { class: "subflow-port-wire", dataset: { port: `${wire.port.kind}:${wire.port.i}`, node: wire.w.id } },
        s("path", { class: "subflow-port-wire-hit", d: wire.d }), s("path", { class: "subflow-port-wire-line", d: wire.d })));
    }
    for (const port of ports(sf)) {
      const x = Number(port.p.x) || 0;
      const y = Number(port.p.y) || 0;
      const el = s("g", { class: ["subflow-port", `subflow-port-${port.kind}`], transform: `translate(${x - PORT / 2} ${y - PORT / 2})`,
        dataset: { portKind: port.kind, portIndex: String(port.i) }, role: "group", "aria-label": `subflow ${port.label} port` },
      s("rect", { class: "subflow-port-body", width: PORT, height: PORT, rx: 8 }),
      s("text", { class: "subflow-port-label", x: PORT / 2, y: PORT / 2, dy: "0.35em", "text-anchor": "middle" },
        port.kind === "in" ? "in" : port.kind === "status" ? "st" : String(port.i + 1)));
      if (port.kind === "in") el.append(s("rect", { class: "port port-output subflow-port-out", x: PORT - 5, y: PORT / 2 - 5, width: 10, height: 10, rx: 3 }));
      else el.append(s("rect", { class: "port port-input subflow-port-in", x: -5, y: PORT / 2 - 5, width: 10, height: 10, rx: 3 }));
      layer.append(el);
    }
  }
  canvas.addEventListener("redraw", draw);
  model.addEventListener("change", (event) => { if (event.detail.kind === "move" && subflow()) draw(); });

  // Drag a port box (move it) or from the input port's output (wire it to a node).
  layer.addEventListener("pointerdown", (event) => {
    const el = event.target.closest(".subflow-port");
    if (!el || event.button !== 0) return;
    event.stopPropagation();
    event.preventDefault();
    const sf = subflow();
    const kind = el.dataset.portKind;
    const i = Number(el.dataset.portIndex);
    const holder = kind === "status" ? sf.status : sf[kind][i];
    const start = canvas.clientToWorld(event.clientX, event.clientY);
    const wiring = kind === "in" && event.target.closest(".subflow-port-out");
    const path = wiring ? s("path", { class: "drag-wire" }) : null;
    if (path) canvas.overlayLayer.append(path);
    canvas.svg.setPointerCapture(event.pointerId);
    let last = { x: 0, y: 0 };
    const move = (e) => {
      const p = canvas.clientToWorld(e.clientX, e.clientY);
      if (path) {
        path.setAttribute("d", wirePath(holder.x + PORT / 2 + 5, holder.y, p.x, p.y));
        return;
      }
      last = { x: Math.round((p.x - start.x) / 10) * 10, y: Math.round((p.y - start.y) / 10) * 10 };
      el.setAttribute("transform", `translate(${holder.x + last.x - PORT / 2} ${holder.y + last.y - PORT / 2})`);
    };
    const up = (e) => {
      canvas.svg.removeEventListener("pointermove", move);
      canvas.svg.removeEventListener("pointerup", up);
      canvas.svg.removeEventListener("pointercancel", up);
      path?.remove();
      if (e.type === "pointercancel") return draw();
      if (path) {
        const target = document.elementFromPoint(e.clientX, e.clientY)?.closest?.(".node")?.dataset.nodeId;
        const g = target && canvas.geometry.get(target);
        if (g && g.inputs && !(holder.wires || []).some((w) => w.id === target)) {
          change((f) => { f.in[0].wires = [...(f.in[0].wires || []), { id: target }]; });
        }
        return;
      }
      if (!last.x && !last.y) return;
      change((f) => {
        const p = kind === "status" ? f.status : f[kind][i];
        p.x = holder.x + last.x;
        p.y = holder.y + last.y;
      });
    };
    canvas.svg.addEventListener("pointermove", move);
    canvas.svg.addEventListener("pointerup", up);
    canvas.svg.addEventListener("pointercancel", up);
  });

  // A right-click on a port wire removes it (a port's wires are not the canvas's wires).
  layer.addEventListener("contextmenu", (event) => {
    const wire = event.target.closest(".subflow-port-wire");
    if (!wire) return;
    event.preventDefault();
    event.stopPropagation();
    const [kind, i] = wire.dataset.port.split(":");
    change((f) => {
      const p = kind === "status" ? f.status : f[kind][Number(i)];
      p.wires = (p.wires || []).filter((w) => w.id !== wire.dataset.node);
    });
  });

  return {
    draw,
    /** A wire from a node's output dropped on an output or status port: wire it; true when handled. */
    dropWire(detail) {
      const el = detail.under?.closest?.(".subflow-port");
      if (!el || detail.source === undefined || el.dataset.portKind === "in") return false;
      const kind = el.dataset.portKind;
      const i = Number(el.dataset.portIndex);
      change((f) => {
        const p = kind === "status" ? f.status : f.out[i];
        if (!(p.wires || []).some((w) => w.id === detail.source && (w.port || 0) === detail.port)) {
          p.wires = [...(p.wires || []), { id: detail.source, port: detail.port }];
        }
      });
      return true;
    },
  };
}
