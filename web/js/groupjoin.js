// Nodes dropped into a group join it, as in Node-RED's editor (a node dragged from the palette
// or across the canvas and let go inside a group becomes one of its members). Part of the same
// undo step as the drop itself: the caller has taken the checkpoint.

/** The innermost group on tab z whose box holds the point (x, y), or null. */
export function groupAt(model, z, x, y) {
  let best = null;
  for (const group of model.groupsOn(z)) {
    const gx = Number(group.x) || 0;
    const gy = Number(group.y) || 0;
    const w = Number(group.w) || 0;
    const h = Number(group.h) || 0;
    if (x < gx || x > gx + w || y < gy || y > gy + h) continue;
    if (!best || w * h < best.w * best.h) best = group;
  }
  return best;
}

/** Make the nodes ids members of group and grow the group's box to hold them (and their buttons). */
export function joinGroup(model, canvas, ids, group) {
  const fresh = ids.filter((id) => model.get(id) && !(group.nodes || []).includes(id));
  if (!fresh.length) return;
  for (const id of fresh) model.get(id).g = group.id;
  model.recomputeChanged(fresh);
  const nodes = [...(group.nodes || []), ...fresh];
  const fit = canvas.fitGroup(canvas.groupMembers({ ...group, nodes })) || {};
  const x1 = Math.min(Number(group.x) || 0, fit.x ?? Infinity);
  const y1 = Math.min(Number(group.y) || 0, fit.y ?? Infinity);
  const x2 = Math.max((Number(group.x) || 0) + (Number(group.w) || 0), (fit.x ?? -Infinity) + (fit.w ?? 0));
  const y2 = Math.max((Number(group.y) || 0) + (Number(group.h) || 0), (fit.y ?? -Infinity) + (fit.h ?? 0));
  model.update(group.id, { nodes, x: x1, y: y1, w: x2 - x1, h: y2 - y1 });
}
