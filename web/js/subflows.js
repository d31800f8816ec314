// Creating subflows in the editor, as Node-RED's "Subflows › Create subflow" and "Selection to
// subflow" (editor-client's subflow.js): a new empty definition, or the selected nodes moved
// into a new definition and replaced on their flow by one instance wired as they were.
//
// Both return the new definition {id, type: "subflow", name, info, category, in, out, env}
// (instance type "subflow:<id>") and change nothing when they throw.

import { newId } from "./flows.js";

const GRID = 20;

/** "Subflow N" with the first N not yet used by a subflow of the model (Node-RED's naming). */
export function nextSubflowName(model) {
  const used = new Set(model.subflows.map((sf) => sf.name));
  let i = 1;
  while (used.has(`Subflow ${i}`)) i += 1;
  return `Subflow ${i}`;
}

function definition(model, extra = {}) {
  return { id: newId(), type: "subflow", name: nextSubflowName(model), info: "", category: "", in: [], out: [], env: [], ...extra };
}

/** Add an empty subflow definition; returns it. */
export function createSubflow(model) {
  const subflow = definition(model);
  model.add([subflow]);
  return subflow;
}

/**
 * Move the nodes `ids` of flow `tabId` into a new subflow and put an instance where they were.
 * Wires from the flow into the selection become the subflow's input (one target at most, as
 * Node-RED: "multiple inputs"), each selected node output wired out of the selection becomes an
 * output. Throws Error(message) when the selection cannot be converted. Returns {subflow, instance}.
 */
export function selectionToSubflow(model, ids, tabId) {
  const selected = ids.map((id) => model.get(id)).filter((n) => n && n.z === tabId && n.type !== "group" && n.type !== "tab");
  if (!selected.length) throw new Error("select the nodes to put in the subflow first");
  if (selected.some((n) => n.g)) throw new Error("nodes in a group cannot be moved into a subflow; ungroup them first");
  const inside = new Set(selected.map((n) => n.id));
  const flowNodes = model.nodesOn(tabId);

  // Inputs: wires from outside into the selection; all must end at one node (one input port).
  const entering = [];
  for (const node of flowNodes) {
    if (inside.has(node.id) || !Array.isArray(node.wires)) continue;
    node.wires.forEach((targets, port) => {
      for (const target of targets || []) if (inside.has(target)) entering.push({ source: node.id, port, target });
    });
  }
  const inputTargets = [...new Set(entering.map((w) => w.target))];
  if (inputTargets.length > 1) throw new Error("the selection has wires coming in to more than one node (a subflow has one input)");

  // Outputs: one per selected node output that is wired out of the selection.
  const outputs = [];   // {source, port, targets}
  for (const node of selected) {
    (node.wires || []).forEach((targets, port) => {
      const out = (targets || []).filter((t) => !inside.has(t));
      if (out.length) outputs.push({ source: node.id, port, targets: out });
    });
  }

  const xs = selected.map((n) => Number(n.x) || 0);
  const ys = selected.map((n) => Number(n.y) || 0);
  const [minX, maxX, minY, maxY] = [Math.min(...xs), Math.max(...xs), Math.min(...ys), Math.max(...ys)];
  const dx = 140 - minX;
  const dy = 80 - minY;
  const subflow = definition(model, {
    in: inputTargets.map((target) => ({ x: 50, y: 80, wires: [{ id: target }] })),
    out: outputs.map((o, i) => ({ x: maxX + dx + 160, y: 80 + i * 2 * GRID, wires: [{ id: o.source, port: o.port }] })),
  });
  const instance = {
    id: newId(), type: `subflow:${subflow.id}`, z: tabId, name: "",
    x: Math.round((minX + maxX) / 2 / GRID) * GRID, y: Math.round((minY + maxY) / 2 / GRID) * GRID,
    wires: outputs.map((o) => [...o.targets]),
  };

  // Rewire: sources outside now feed the instance; selected nodes keep only inner wires.
  const touched = [];
  for (const node of flowNodes) {
    if (inside.has(node.id) || !Array.isArray(node.wires)) continue;
    let hit = false;
    node.wires = node.wires.map((targets) => {
      if (!(targets || []).some((t) => inside.has(t))) return targets;
      hit = true;
      const kept = targets.filter((t) => !inside.has(t));
      return kept.includes(instance.id) ? kept : [...kept, instance.id];
    });
    if (hit) touched.push(node.id);
  }
  for (const node of selected) {
    node.z = subflow.id;
    node.x = Math.round((Number(node.x) || 0) + dx);
    node.y = Math.round((Number(node.y) || 0) + dy);
    if (Array.isArray(node.wires)) node.wires = node.wires.map((targets) => (targets || []).filter((t) => inside.has(t)));
    touched.push(node.id);
  }
  model.recomputeChanged(touched);
  model.add([subflow, instance]);
  return { subflow, instance };
}
