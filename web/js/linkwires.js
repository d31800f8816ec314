// Link nodes, as Node-RED's (core/common/60-link.html and view.js's virtual links):
//
// - linkTargetsField(node, model): the edit dialog's list of the link in (for a link out or
//   link call) or link out (for a link in) nodes of every flow, with their flow's name, a
//   filter box and checkboxes, kept in the node's `links`; a link out in "return" mode has no
//   targets, so the list hides.
// - syncLinkPeers(model, id): after a link node's `links` changed, the nodes at the other end
//   list it back (a link in's `links` are the link outs that reach it), as Node-RED keeps them.
// - installLinkWires(canvas, {onLink, onDropEmpty}): the port-less "virtual" port of link in (left) and
//   link out (right) nodes; dragging from it to a link node of the other kind on the same tab
//   links the two (onLink(outId, inId)); dropped on empty space it asks for a new link node
//   (onDropEmpty(id, clientX, clientY): Node-RED's quick-add); a selected or hovered link node
//   shows a badge with the number and flows of its links to other tabs. The dashed link wires
//   themselves are drawn by canvas.js.

import { h, s } from "./dom.js";
import { nodeLabel } from "./nodetypes.js";
import { wirePath } from "./canvas.js";

const LINK_TYPES = new Set(["link in", "link out", "link call"]);

/** The type at the other end of a link node's links. */
function peerType(type) {
  return type === "link in" ? "link out" : "link in";
}

/** Link nodes a node may link to: the other kind, on flows (or within its own subflow). */
export function linkCandidates(model, node) {
  const want = peerType(node.type);
  const inSubflow = !!model.subflows.find((sf) => sf.id === node.z);
  return model.all.filter((n) => n.type === want && n.id !== node.id && !(want === "link out" && n.mode === "return") &&
    (inSubflow ? n.z === node.z : !!model.tabs.find((t) => t.id === n.z)));
}

function tabName(model, z) {
  const tab = model.tab(z);
  if (!tab) return "";
  return tab.type === "subflow" ? `Subflow: ${tab.name || tab.id}` : tab.label || tab.id;
}

/** The edit dialog's link target list: {el, collect(out) -> problems}. */
export function linkTargetsField(node, model) {
  const chosen = new Set(Array.isArray(node.links) ? node.links : []);
  const candidates = linkCandidates(model, node)
    .map((n) => ({ node: n, name: nodeLabel(n), tab: tabName(model, n.z) }))
    .sort((a, b) => a.tab.localeCompare(b.tab) || a.name.localeCompare(b.name));
  const filter = h("input", { type: "search", class: "input link-filter", placeholder: "filter", "aria-label": "Filter the link nodes" });
  const rows = candidates.map((c) => {
    const box = h("input", { type: "checkbox", value: c.node.id, "aria-label": `${c.name} on ${c.tab}` });
    box.checked = chosen.has(c.node.id);
    return { c, el: h("label", { class: "link-target", dataset: { nodeId: c.node.id } }, box,
      h("span", { class: "link-target-name" }, c.name), h("span", { class: "link-target-tab" }, c.tab)), box };
  });
  const list = h("div", { class: "link-targets", role: "group", "aria-label": "Link targets" },
    rows.length ? rows.map((r) => r.el) : h("div", { class: "link-targets-empty" }, `There are no ${peerType(node.type)} nodes.`));
  filter.addEventListener("input", () => {
    const text = filter.value.trim().toLowerCase();
    for (const r of rows) r.el.hidden = !!text && !`${r.c.name} ${r.c.tab} ${r.c.node.id}`.toLowerCase().includes(text);
  });
  const el = h("div", { class: "form-row form-row-wide link-targets-row", dataset: { field: "links" } },
    h("label", { class: "form-label" }, node.type === "link in" ? "Linked from" : "Link to"),
    h("div", { class: "form-control" }, filter, list));
  // A link out in "return" mode and a "dynamic" link call have no targets: follow the select
  // built beside this field once the form is in the page.
  const hider = { "link out": ["mode", "return"], "link call": ["linkType", "dynamic"] }[node.type];
  if (hider) {
    const [key, value] = hider;
    el.hidden = node[key] === value;
    requestAnimationFrame(() => {
      const select = el.closest("form")?.querySelector(`.form-row[data-field="${key}"] select`);
      if (!select) return;
      const sync = () => { el.hidden = select.value === value; };
      select.addEventListener("change", sync);
      sync();
    });
  }
  return {
    el,
    collect(out) {
      if ((node.type === "link out" && out.mode === "return") || (node.type === "link call" && out.linkType === "dynamic")) out.links = [];
      else out.links = rows.filter((r) => r.box.checked).map((r) => r.c.node.id);
      return [];
    },
  };
}

/** Make the link out/in nodes at the other end of `id`'s links list it back (and only them). */
export function syncLinkPeers(model, id) {
  const node = model.get(id);
  if (!node || (node.type !== "link in" && node.type !== "link out")) return;
  const mine = new Set(node.type === "link out" && node.mode === "return" ? [] : node.links || []);
  for (const peer of model.all.filter((n) => n.type === peerType(node.type))) {
    const links = Array.isArray(peer.links) ? peer.links : [];
    const has = links.includes(id);
    const want = mine.has(peer.id);
    if (want && !has) model.update(peer.id, { links: [...links, id] });
    else if (!want && has) model.update(peer.id, { links: links.filter((l) => l !== id) });
  }
}

/** Link two link nodes both ways (out: a link out or link call, inn: a link in). */
export function linkPair(model, outId, inId) {
  const out = model.get(outId);
  const inn = model.get(inId);
  if (!out || !inn) return false;
  const a = Array.isArray(out.links) ? out.links : [];
  if (a.includes(inId)) return false;
  model.update(outId, { links: [...a, inId] });
  if (out.type === "link out") {
    const b = Array.isArray(inn.links) ? inn.links : [];
    if (!b.includes(outId)) model.update(inId, { links: [...b, outId] });
  }
  return true;
}

export function installLinkWires(canvas, { onLink, onDropEmpty = null }) {
  const hovered = new Set();

  // Virtual ports on link in (left) and link out (right) nodes, added after each drawing.
  canvas.addEventListener("redraw", () => {
    for (const [id, el] of canvas.nodeEls) {
      const node = canvas.model.get(id);
      if (!node || (node.type !== "link in" && node.type !== "link out") || (node.type === "link out" && node.mode === "return")) continue;
      const g = canvas.geometry.get(id);
      el.append(s("rect", { class: "port port-link", x: node.type === "link in" ? -5 : g.w - 5, y: g.h / 2 - 5,
        width: 10, height: 10, rx: 3, dataset: { linkPort: node.type } }));
    }
    badges();
  });

  // Drag from a virtual port to a link node of the other kind on the same tab.
  canvas.svg.addEventListener("pointerdown", (event) => {
    const port = event.button === 0 && !event.altKey && event.target.closest?.(".port-link");
    if (!port) return;
    event.stopPropagation();
    event.preventDefault();
    const id = port.closest(".node").dataset.nodeId;
    const node = canvas.model.get(id);
    const g = canvas.geometry.get(id);
    const fromOut = node.type === "link out";
    const anchor = { x: fromOut ? g.left + g.w + 5 : g.left - 5, y: g.cy };
    const path = s("path", { class: "drag-wire drag-link-wire" });
    canvas.overlayLayer.append(path);
    canvas.svg.setPointerCapture(event.pointerId);
    const move = (e) => {
      const p = canvas.clientToWorld(e.clientX, e.clientY);
      path.setAttribute("d", fromOut ? wirePath(anchor.x, anchor.y, p.x, p.y) : wirePath(p.x, p.y, anchor.x, anchor.y));
    };
    const up = (e) => {
      canvas.svg.removeEventListener("pointermove", move);
      canvas.svg.removeEventListener("pointerup", up);
      canvas.svg.removeEventListener("pointercancel", up);
      path.remove();
      if (e.type === "pointercancel") return;
      const under = document.elementFromPoint(e.clientX, e.clientY);
      const otherId = under?.closest?.(".node")?.dataset.nodeId;
      const other = otherId && canvas.model.get(otherId);
      if (!other && under && canvas.svg.contains(under)) {
        onDropEmpty?.(id, e.clientX, e.clientY);
        return;
      }
      if (!other || other.id === id) return;
      if (fromOut && (other.type === "link in")) onLink(id, other.id);
      else if (!fromOut && (other.type === "link out" || other.type === "link call") && other.mode !== "return") onLink(other.id, id);
    };
    move(event);
    canvas.svg.addEventListener("pointermove", move);
    canvas.svg.addEventListener("pointerup", up);
    canvas.svg.addEventListener("pointercancel", up);
  }, true);

  // Badges for links to other tabs, on selected or hovered link nodes.
  function badges() {
    canvas.overlayLayer.querySelectorAll(".link-offtab").forEach((el) => el.remove());
    const shown = new Set([...canvas.selection, ...hovered]);
    for (const id of shown) {
      const node = canvas.model.get(id);
      const g = canvas.geometry.get(id);
      if (!node || !g || !LINK_TYPES.has(node.type) || !Array.isArray(node.links)) continue;
      const away = node.links.map((l) => canvas.model.get(l)).filter((n) => n && n.z !== node.z);
      if (!away.length) continue;
      const tabs = [...new Set(away.map((n) => tabName(canvas.model, n.z)))];
      const text = `${away.length} on ${tabs.length === 1 ? tabs[0] : `${tabs.length} flows`}`;
      const left = node.type === "link in";
      const x = left ? g.left - 20 : g.left + g.w + 20;
      const width = Math.max(40, 6.5 * text.length + 12);
      canvas.overlayLayer.append(s("g", { class: "link-offtab", dataset: { nodeId: id } },
        s("title", null, away.map((n) => `${nodeLabel(n)} (${tabName(canvas.model, n.z)})`).join("\n")),
        s("path", { class: "link-wire show", d: left ? `M ${g.left} ${g.cy} H ${x}` : `M ${g.left + g.w} ${g.cy} H ${x}` }),
        s("rect", { x: left ? x - width : x, y: g.cy - 8, width, height: 16, rx: 8 }),
        s("text", { x: left ? x - width / 2 : x + width / 2, y: g.cy + 4, "text-anchor": "middle" }, text)));
    }
  }
  canvas.addEventListener("select", badges);
  canvas.svg.addEventListener("pointerover", (event) => {
    const id = event.target.closest?.(".node")?.dataset.nodeId;
    if (!id || hovered.has(id) || !LINK_TYPES.has(canvas.model.get(id)?.type)) return;
    hovered.add(id);
    badges();
  });
  canvas.svg.addEventListener("pointerout", (event) => {
    const id = event.target.closest?.(".node")?.dataset.nodeId;
    if (!id || !hovered.has(id) || event.relatedTarget?.closest?.(".node")?.dataset.nodeId === id) return;
    hovered.delete(id);
    badges();
  });
}
