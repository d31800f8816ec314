// Entry point: creates the editor's parts (model, canvas and its pointer handling, tabs,
// palette, sidebar, deployer, clipboard, import/export, edit tray), routes the events between
// them, loads settings, node types and flows at startup, and keeps the page live over /comms.
// Deploying is in deploy.js, copy/cut/paste in clipboard.js, drawing in canvas.js.

import {
  getFlows, getFlowsState, getSettings, injectNode, setDebugActive, getNodeTypes, getCredentialFlags,
  getTrace, setTrace, getTracePath, getExamples, getExample, setLoginHandler,
} from "./api.js";
import { Comms } from "./comms.js";
import { FlowModel, newId, prepareImport } from "./flows.js";
import { FlowCanvas, nodeGeometry } from "./canvas.js";
import { installPointer } from "./canvas-pointer.js";
import { Deployer } from "./deploy.js";
import { Clipboard } from "./clipboard.js";
import { TabBar } from "./tabs.js";
import { DebugSidebar } from "./sidebar.js";
import { notify } from "./notify.js";
import { registerServerTypes, registerSubflows, createNode, typeDef } from "./nodetypes.js";
import { Palette } from "./palette.js";
import { NodeEditor } from "./editor.js";
import { ImportExport } from "./importexport.js";
import { dropdown } from "./menu.js";
import { openDialog, choose, overlayOpen } from "./dialog.js";
import { h } from "./dom.js";
import { askLogin } from "./login.js";
import { createSubflow, selectionToSubflow } from "./subflows.js";
import { SidebarTabs } from "./sidebartabs.js";
import { InfoPane } from "./infopane.js";
import { HelpPane } from "./helppane.js";
import { ConfigPane } from "./configpane.js";
import { ContextPane } from "./contextpane.js";
import { themeSetting, setTheme } from "./theme.js";
import { groupAt, joinGroup } from "./groupjoin.js";
import { Actions, installShortcuts, showShortcuts } from "./shortcuts.js";
import { QuickAdd, addableTypes } from "./quickadd.js";
import { installContextMenu } from "./contextmenu.js";
import { WorkspaceSearch } from "./search.js";
import { installNavigator, zoomToFit } from "./navigator.js";
import { installLinkWires, syncLinkPeers, linkPair } from "./linkwires.js";
import { installSubflowEditor } from "./subflowedit.js";
import { outputCount } from "./canvas.js";

const $ = (selector) => document.querySelector(selector);

const model = new FlowModel();
const canvas = new FlowCanvas($("#workspace-canvas"), model);
installPointer(canvas);
const tabBar = new TabBar($("#workspace-tabs"));
const sidebar = new DebugSidebar({
  list: $("#debug-messages"),
  clearButton: $("#debug-clear"),
  filterSelect: $("#debug-filter"),
  droppedEl: $("#debug-dropped"),
  emptyEl: $("#debug-empty"),
  jumpButton: $("#debug-jump"),
  countEl: $("#debug-count"),
}, model, { max: 500 });
const comms = new Comms("comms");
const palette = new Palette($("#palette"));

const state = {
  tab: null,
  runtime: null,         // "start" | "stop" | null (unknown)
  loadError: null,
  connected: false,
  loading: null,
  trace: null,           // null: the server has no trace; else true/false
  examples: undefined,   // undefined: not asked yet; null: not offered; else the list
};
const deployer = new Deployer({
  button: $("#deploy-button"),
  menuButton: $("#deploy-menu-button"),
  serverBanner: $("#server-banner"),
  runtimeBanner: $("#runtime-banner"),
}, {
  model,
  canvas,
  currentTab: () => state.tab,
  showTab: (id) => showTab(id),
  loadFlows: () => loadFlows(),
  loadError: () => state.loadError,
  changed: () => renderDeployState(),
});

// ---- header indicators -------------------------------------------------------------------

function renderDeployState() {
  const el = $("#deploy-state");
  let key;
  let text;
  if (state.loadError) {
    key = "error";
    text = "Flows unavailable";
  } else if (model.rev === null) {   // until /flows answers, whatever /flows/state said
    key = "loading";
    text = "Loading…";
  } else if (state.runtime === "stop") {
    key = "stopped";
    text = "Stopped";
  } else if (state.runtime === "deploying" || deployer.deploying) {
    key = "loading";
    text = "Deploying…";
  } else if (model.isDirty()) {
    key = "modified";
    text = "Modified";
  } else {
    key = "deployed";
    text = "Deployed";
  }
  if (!state.connected && key !== "loading") key += " offline";
  el.dataset.state = key;
  el.querySelector(".deploy-state-text").textContent = text;
  const rev = model.rev ? String(model.rev) : "";
  el.querySelector(".deploy-state-rev").textContent = rev ? rev.slice(0, 7) : "";
  el.title = [state.loadError || text, rev && `revision ${rev}`].filter(Boolean).join(" · ");
  deployer.renderButton();
}

function renderConnection(detail) {
  const el = $("#connection-state");
  state.connected = detail.state === "connected";
  document.body.classList.toggle("disconnected", !state.connected && comms.everConnected);
  if (detail.state === "connected") {
    el.hidden = true;
  } else if (detail.state === "connecting" && !comms.everConnected) {
    el.hidden = true;
  } else {
    el.hidden = false;
    const text = detail.state === "connecting" ? "Reconnecting…"
      : `Disconnected · retrying in ${Math.max(1, Math.round(detail.retryIn / 1000))}s`;
    el.querySelector(".connection-state-text").textContent = text;
    el.title = `Lost connection to the server (attempt ${detail.attempt})`;
  }
  renderDeployState();
}

// ---- banner for a stopped runtime ---------------------------------------------------------

function showRuntimeBanner(data) {
  const banner = $("#runtime-banner");
  // A stop that is only the first half of a deploy is not worth a banner.
  if (!data || data.state !== "stop" || (data.deploy === true && !data.error && !data.text)) {
    banner.hidden = true;
    return;
  }
  let title = "Flows stopped";
  if (data.error === "missing-types") title = "Missing node types";
  else if (data.error === "load-failed") title = "The flows could not be loaded";
  let text = data.text ? String(data.text) : "";
  if (Array.isArray(data.types) && data.types.length) {
    const list = data.types.map(String).join(", ");
    if (!data.types.every((type) => text.includes(String(type)))) text = `${text ? `${text} ` : ""}Types: ${list}`;
  }
  banner.querySelector(".banner-title").textContent = title;
  banner.querySelector(".banner-text").textContent = text;
  banner.hidden = false;
}

$("#runtime-banner .banner-close").addEventListener("click", () => {
  $("#runtime-banner").hidden = true;
});

// ---- flows and tabs -----------------------------------------------------------------------

function tabFromHash() {
  const m = /^#flow\/(.+)$/.exec(location.hash);
  return m ? decodeURIComponent(m[1]) : null;
}

function updateWorkspaceMessage() {
  const el = $("#workspace-message");
  const tab = model.tab(state.tab);
  let text = "";
  if (state.loadError && !model.tabs.length) text = state.loadError;
  else if (!allTabs().length) text = model.rev === null ? "" : "No flows yet: drag a node from the palette, or import a flow (Ctrl-I).";
  else if (tab && tab.disabled) text = "This flow is disabled.";
  else if (tab && model.nodesOn(tab.id).length === 0) text = "This flow is empty: drag nodes here from the palette.";
  el.textContent = text;
  el.hidden = !text;
  el.classList.toggle("subtle", !!(tab && tab.disabled));
}

function showTab(id, { updateHash = true } = {}) {
  if (!model.tab(id)) id = model.tabs[0]?.id ?? model.subflows[0]?.id ?? null;
  state.tab = id;
  tabBar.setActive(id);
  canvas.showTab(id);
  sidebar.setCurrentTab(id);
  updatePanes();
  updateWorkspaceMessage();
  const hash = id ? `#flow/${encodeURIComponent(id)}` : "";
  if (updateHash && id && location.hash !== hash) history.replaceState(null, "", hash);
}

function allTabs() {
  return [...model.tabs, ...model.subflows];
}

function changedTabs() {
  const out = new Set();
  for (const id of [...model.changed, ...model.credentials.keys()]) {
    const node = model.get(id);
    if (!node) continue;
    out.add(node.type === "tab" || node.type === "subflow" ? node.id : node.z);
  }
  return out;
}

function renderTabs() {
  tabBar.render(allTabs(), changedTabs());
  tabBar.setActive(state.tab);
}

/** The palette's subflow entries follow the definitions (added, renamed, deleted) at once. */
let paletteSubflows = "";
function updatePaletteSubflows() {
  const key = JSON.stringify(model.subflows.map((sf) => [sf.id, sf.name, sf.category, sf.color, sf.in?.length, sf.out?.length]));
  if (key === paletteSubflows) return;
  paletteSubflows = key;
  palette.setSubflows(model.subflows);
}

model.addEventListener("load", () => {
  registerSubflows(model.subflows);
  updatePaletteSubflows();
  renderTabs();
  showTab(state.tab ?? tabFromHash(), { updateHash: state.tab !== null });
  renderDeployState();
});

model.addEventListener("change", (event) => {
  const { kind, ids } = event.detail;
  if (kind === "move") {
    canvas.moved(ids);
  } else if (kind === "errors" || kind === "deployed") {
    canvas.refreshMarks();
  } else {
    registerSubflows(model.subflows);
    updatePaletteSubflows();
    if (!model.tab(state.tab)) state.tab = null;
    if (state.pendingTab && model.tab(state.pendingTab)) {
      const tab = state.pendingTab;
      state.pendingTab = null;
      renderTabs();
      showTab(tab);
    } else if (state.tab === null && allTabs().length) {
      renderTabs();
      showTab(allTabs()[0].id);
    } else {
      canvas.redraw();
    }
  }
  renderTabs();
  updateWorkspaceMessage();
  renderDeployState();
});

async function loadFlows() {
  // Coalesce overlapping reloads (a deploy notification during a reconnect, say).
  if (state.loading) return state.loading;
  state.loading = (async () => {
    try {
      const data = await getFlows();
      state.loadError = null;
      model.load(data);
    } catch (err) {
      state.loadError = `Could not load the flows: ${err.message}`;
      updateWorkspaceMessage();
    } finally {
      state.loading = null;
      renderDeployState();
    }
  })();
  return state.loading;
}

async function loadRuntimeState() {
  try {
    const body = await getFlowsState();
    if (body && (body.state === "start" || body.state === "stop")) state.runtime = body.state;
  } catch {
    // Older servers have no /flows/state; the runtime-state notification tells us instead.
  }
  renderDeployState();
}

async function loadSettings() {
  try {
    const settings = await getSettings();
    const emulator = settings && settings.openaiEmulator;
    if (emulator && emulator.url) {
      $("#emulator-url").textContent = String(emulator.url);
      $("#emulator-banner").hidden = false;
    } else {
      $("#emulator-banner").hidden = true;
    }
    if (settings && settings.version) $("#footer-version").textContent = `FlowRed ${settings.version}`;
  } catch (err) {
    notify(`Could not load the settings: ${err.message}`, { type: "warning", timeout: 6000 });
  }
}

tabBar.addEventListener("select", (event) => showTab(event.detail.id));
window.addEventListener("hashchange", () => {
  const id = tabFromHash();
  if (id && id !== state.tab && model.tab(id)) showTab(id, { updateHash: false });
});

// ---- canvas actions -----------------------------------------------------------------------

canvas.addEventListener("inject", async (event) => {
  const { id } = event.detail;
  try {
    await injectNode(id);
    canvas.flashButton(id, true);
    notify(`Injected: ${model.label(id)}`, { type: "success", timeout: 1500 });
  } catch (err) {
    canvas.flashButton(id, false);
    notify(`Inject failed: ${err.message}`, { type: "error", timeout: 5000 });
  }
});

canvas.addEventListener("debugtoggle", async (event) => {
  const { id, active } = event.detail;
  try {
    await setDebugActive(id, active);
    const node = model.get(id);
    if (node) node.active = active;
    canvas.updateDebugToggle(id);
    notify(`Debug output ${active ? "on" : "off"}: ${model.label(id)}`, { type: "success", timeout: 1500 });
  } catch (err) {
    notify(`Could not switch the debug node: ${err.message}`, { type: "error", timeout: 5000 });
  }
});

const zoomLevel = $("#zoom-level");
canvas.addEventListener("viewchange", (event) => {
  zoomLevel.textContent = `${Math.round(event.detail.scale * 100)}%`;
});
$("#zoom-in").addEventListener("click", () => canvas.zoomIn());
$("#zoom-out").addEventListener("click", () => canvas.zoomOut());
$("#zoom-reset").addEventListener("click", () => canvas.zoomReset());

// ---- sidebar ------------------------------------------------------------------------------

sidebar.addEventListener("nodeselect", (event) => revealNode(event.detail.id));

function revealNode(id) {
  const node = model.get(id);
  if (!node || !model.tab(node.z)) {
    notify("That node is not on any flow shown here.", { type: "warning", timeout: 2500 });
    return;
  }
  if (node.z !== state.tab) showTab(node.z);
  canvas.setSelection([id]);
  canvas.reveal(id);
  canvas.highlight(id);
}
sidebar.addEventListener("nodehover", (event) => canvas.hover(event.detail.id, event.detail.on));

function installResizer() {
  const handle = $("#sidebar-resizer");
  const root = document.documentElement;
  const setWidth = (px) => {
    const width = Math.max(240, Math.min(window.innerWidth * 0.7, px));
    root.style.setProperty("--sidebar-width", `${Math.round(width)}px`);
    handle.setAttribute("aria-valuenow", String(Math.round(width)));
    handle.setAttribute("aria-valuemin", "240");
    handle.setAttribute("aria-valuemax", String(Math.round(window.innerWidth * 0.7)));
    return width;
  };
  let saved = 0;
  try {
    saved = Number(localStorage.getItem("flowred.sidebarWidth"));
  } catch { /* storage unavailable */ }
  if (saved) {
    setWidth(saved);
  } else {
    handle.setAttribute("aria-valuenow", String($("#sidebar").offsetWidth));
    handle.setAttribute("aria-valuemin", "240");
  }
  const save = () => {
    try {
      localStorage.setItem("flowred.sidebarWidth", String($("#sidebar").offsetWidth));
    } catch { /* storage unavailable */ }
  };
  handle.addEventListener("pointerdown", (event) => {
    handle.setPointerCapture(event.pointerId);
    document.body.classList.add("resizing");
    const move = (e) => setWidth(window.innerWidth - e.clientX);
    const up = () => {
      handle.removeEventListener("pointermove", move);
      handle.removeEventListener("pointerup", up);
      handle.removeEventListener("pointercancel", up);
      document.body.classList.remove("resizing");
      save();
    };
    handle.addEventListener("pointermove", move);
    handle.addEventListener("pointerup", up);
    handle.addEventListener("pointercancel", up);
  });
  handle.addEventListener("keydown", (event) => {
    const step = event.shiftKey ? 60 : 20;
    const width = $("#sidebar").offsetWidth;
    if (event.key === "ArrowLeft") setWidth(width + step);
    else if (event.key === "ArrowRight") setWidth(width - step);
    else return;
    event.preventDefault();
    save();
  });
}

// ---- comms --------------------------------------------------------------------------------

comms.addEventListener("state", (event) => renderConnection(event.detail));
comms.addEventListener("reconnect", async () => {
  // The server replays the statuses it holds; drop the ones from before the break.
  canvas.clearStatuses();
  loadRuntimeState();
  if (!model.isDirty()) {
    loadFlows();
    return;
  }
  try {
    const { rev } = await getFlows();
    if (rev !== model.rev) deployer.serverChanged(rev);
  } catch { /* the next reconnect tries again */ }
});

comms.subscribe("debug", (topic, data) => sidebar.add(data));

comms.subscribe("status/#", (topic, data) => {
  canvas.setStatus(topic.slice("status/".length), data);
});

comms.subscribe("notification/#", (topic, data) => {
  const name = topic.slice("notification/".length);
  data = data && typeof data === "object" ? data : {};
  switch (name) {
    case "runtime-state":
      deployer.runtimeState(data);
      if (data.state === "start" || data.state === "stop") {
        state.runtime = data.state === "stop" && data.deploy === true && !data.error ? "deploying" : data.state;
      }
      showRuntimeBanner(data);
      if (data.state === "start") canvas.setMissingTypes([]);
      else if (data.error === "missing-types" && Array.isArray(data.types)) canvas.setMissingTypes(data.types);
      renderDeployState();
      break;
    case "runtime-deploy":
      if (deployer.deploying) break;   // our own deploy: its answer sets the revision
      if (!data.revision || data.revision !== model.rev) deployer.serverChanged(data.revision);
      break;
    case "flow-file-error":
      showFileError(data);
      break;
    case "comms-dropped":
      sidebar.addDropped(data);
      break;
    default:
      if (data.text) notify(String(data.text), { type: ["error", "warning", "success"].includes(data.type) ? data.type : "info" });
  }
});

// ---- the flow file on the server ------------------------------------------------------------

function showFileError(data) {
  const text = data && data.text ? String(data.text) : "The flow file changed but could not be loaded.";
  const banner = $("#runtime-banner");
  banner.querySelector(".banner-title").textContent = "The flow file could not be loaded";
  banner.querySelector(".banner-text").textContent = `${text} The flows that were running keep running.`;
  banner.hidden = false;
  banner.dataset.kind = "flow-file-error";
  notify(text, { type: "error", timeout: 8000 });
}

// ---- node types and the palette ------------------------------------------------------------

async function loadNodeTypes() {
  try {
    const types = await getNodeTypes();
    registerServerTypes(types);
    canvas.knownTypes = new Set(types.map((t) => t.type).concat(["tab", "group", "subflow"]));
    registerSubflows(model.subflows);
    palette.render();
    if (model.rev !== null) {
          canvas.redraw();
    }
  } catch (err) {
    notify(`Could not load the node types: ${err.message}`, { type: "error", timeout: 6000 });
  }
}

/** The tab new nodes go to; creates a first flow when there is none. */
function ensureTab() {
  if (model.tab(state.tab)) return state.tab;
  const tab = { id: newId(), type: "tab", label: nextTabLabel(), disabled: false, info: "", env: [] };
  model.add([tab]);
  showTab(tab.id);
  return tab.id;
}

function nextTabLabel() {
  const used = new Set(model.tabs.map((t) => t.label));
  let i = model.tabs.length + 1;
  while (used.has(`Flow ${i}`)) i += 1;
  return `Flow ${i}`;
}

palette.addEventListener("add", (event) => {
  const { type, clientX, clientY } = event.detail;
  const def = typeDef(type);
  if (def.configNode) return;
  let at;
  if (clientX === null) {
    at = canvas.viewCentre();
  } else {
    if (!canvas.containsClient(clientX, clientY)) return;
    at = canvas.clientToWorld(clientX, clientY);
  }
  model.checkpoint();
  const z = ensureTab();
  const node = createNode(type, newId(), z, Math.round(at.x / 10) * 10, Math.round(at.y / 10) * 10);
  model.add([node]);
  const group = groupAt(model, z, node.x, node.y);
  if (group) joinGroup(model, canvas, [node.id], group);
  canvas.setSelection([node.id]);
  canvas.svg.focus({ preventScroll: true });
});

// ---- editing on the canvas -----------------------------------------------------------------

canvas.addEventListener("select", (event) => sidebar.setSelectedNodes(event.detail.ids || []));

canvas.addEventListener("move", (event) => {
  model.checkpoint();
  model.setPositions(event.detail.positions);
  // Loose nodes dropped inside a group join it (as Node-RED's drag into a group).
  const moved = [...event.detail.positions.keys()].map((id) => model.get(id))
    .filter((n) => n && n.type !== "group" && !n.g && n.z === state.tab);
  const byGroup = new Map();
  for (const node of moved) {
    const group = groupAt(model, node.z, node.x, node.y);
    if (group) byGroup.set(group, [...(byGroup.get(group) || []), node.id]);
  }
  for (const [group, ids] of byGroup) joinGroup(model, canvas, ids, group);
  // Dropped onto a wire: the node goes into it (Node-RED's splice).
  const splice = event.detail.splice;
  if (splice && model.get(splice.id) && model.get(splice.source)?.wires?.[splice.port]?.includes(splice.target)) {
    model.removeWire(splice.source, splice.port, splice.target);
    model.addWire(splice.source, splice.port, splice.id);
    model.addWire(splice.id, 0, splice.target);
  }
});

canvas.addEventListener("wire", (event) => {
  const { source, port, target } = event.detail;
  model.checkpoint();
  if (!model.addWire(source, port, target)) model.undoStack.pop();
});

canvas.addEventListener("delete", (event) => deleteSelection(event.detail));

canvas.addEventListener("open", (event) => editor.open(event.detail.id));

canvas.addEventListener("traceclear", () => {
  canvas.setTrace(null);
  sidebar.markTraced(null);
});

function selectionWithMembers(ids) {
  const out = new Set(ids);
  for (const id of ids) {
    const node = model.get(id);
    if (node && node.type === "group") for (const m of canvas.groupMembers(node)) out.add(m);
  }
  // Groups nested in selected groups.
  for (const id of ids) {
    const node = model.get(id);
    if (node && node.type === "group") for (const m of node.nodes || []) out.add(m);
  }
  return out;
}

function deleteSelection({ ids = canvas.selection ? [...canvas.selection] : [], wire = canvas.selectedWire } = {}) {
  if (ids.length) {
    model.checkpoint();
    model.remove([...selectionWithMembers(ids)]);
    notify(`Deleted ${ids.length} node${ids.length === 1 ? "" : "s"} (Ctrl-Z undoes)`, { type: "info", timeout: 2000 });
  } else if (wire) {
    model.checkpoint();
    model.removeWire(wire.source, wire.port, wire.target);
    canvas.setSelection([]);
  }
}

/** Import nodes: new ids for clashing ones, loose nodes to the current (or a new) flow. */
function importNodes(input, { toNewTab = false } = {}) {
  model.checkpoint();
  const hasTabs = input.some((n) => n && n.type === "tab");
  const loose = input.some((n) => n && n.type !== "tab" && n.type !== "subflow" && n.x !== undefined && !input.some((t) => t.id === n.z && (t.type === "tab" || t.type === "subflow")));
  let target = null;
  if (loose) {
    if (toNewTab || !model.tab(state.tab)) {
      const tab = { id: newId(), type: "tab", label: nextTabLabel(), disabled: false, info: "", env: [] };
      model.add([tab]);
      target = tab.id;
    } else {
      target = state.tab;
    }
  }
  const { nodes, idMap, tabs } = prepareImport(input, model, { targetTab: target });
  const shown = tabs[0]?.id || target;
  state.pendingTab = shown !== state.tab ? shown : null;
  model.add(nodes);
  state.pendingTab = null;
  if (loose) {
    canvas.setSelection(nodes.filter((n) => n.z === target).map((n) => n.id));
    const first = nodes.find((n) => n.z === target && n.x !== undefined);
    if (first) canvas.reveal(first.id);
  }
  const renamed = [...idMap.keys()].length;
  const count = nodes.filter((n) => n.type !== "tab").length;
  notify(`Imported ${count} node${count === 1 ? "" : "s"}${hasTabs ? ` in ${tabs.length} flow${tabs.length === 1 ? "" : "s"}` : ""}` +
    (renamed ? ` (${renamed} with clashing ids got new ids)` : ""), { type: "success", timeout: 3000 });
  return { count, renamed };
}

/** Put the selected nodes in a new group (Node-RED's Ctrl-Shift-G). */
function groupSelection() {
  const ids = [...canvas.selection].filter((id) => {
    const node = model.get(id);
    return node && node.z === state.tab && !node.g;
  });
  if (!ids.length) {
    notify("Select nodes that are not in a group yet, then group them.", { type: "info", timeout: 2500 });
    return;
  }
  const members = ids.flatMap((id) => (model.get(id).type === "group" ? canvas.groupMembers(model.get(id)) : [id]));
  const box = canvas.fitGroup(members);
  if (!box) return;
  model.checkpoint();
  const group = { id: newId(), type: "group", z: state.tab, name: "", style: { label: true }, nodes: ids, ...box };
  for (const id of ids) model.get(id).g = group.id;
  model.recomputeChanged(ids);
  model.add([group]);
  canvas.setSelection([group.id]);
}

/** A new empty subflow, opened in its tab (Node-RED's Subflows › Create subflow). */
function newSubflow() {
  model.checkpoint();
  const subflow = createSubflow(model);
  showTab(subflow.id);
  notify(`Created ${subflow.name}: it is in the palette under "subflows".`, { type: "success", timeout: 2500 });
}

/** Replace the selected nodes with an instance of a new subflow holding them (Node-RED's Selection to subflow). */
function subflowFromSelection() {
  const tab = state.tab;
  if (!model.tab(tab)) return;
  const ids = [...canvas.selection];
  const before = model.snapshot();
  try {
    model.checkpoint();
    const { subflow, instance } = selectionToSubflow(model, ids, tab);
    canvas.setSelection([instance.id]);
    notify(`Moved ${ids.length} node${ids.length === 1 ? "" : "s"} into ${subflow.name}.`, { type: "success", timeout: 2500 });
  } catch (err) {
    model.undoStack.pop();
    if (model.snapshot().all !== before.all) model.restore(before);
    notify(`Cannot create a subflow: ${err.message}`, { type: "warning", timeout: 5000 });
  }
}

/** Dissolve the selected groups (Node-RED's Ctrl-Shift-U). */
function ungroupSelection() {
  const groups = [...canvas.selection].map((id) => model.get(id)).filter((n) => n && n.type === "group");
  if (!groups.length) return;
  model.checkpoint();
  const freed = [];
  for (const group of groups) {
    for (const m of group.nodes || []) {
      const node = model.get(m);
      if (!node) continue;
      if (group.g) node.g = group.g;
      else delete node.g;
      freed.push(m);
    }
    group.nodes = [];
  }
  model.recomputeChanged(freed);
  model.remove(groups.map((g) => g.id));
  canvas.setSelection(freed);
}

// ---- edit tray ---------------------------------------------------------------------------------

const editor = new NodeEditor({
  model,
  apply: (id, node, creds) => {
    model.checkpoint();
    model.replace(id, node);
    if (creds && Object.keys(creds).length) model.setCredentials(id, creds);
    syncLinkPeers(model, id);
  },
  remove: (id) => {
    model.checkpoint();
    model.remove([...selectionWithMembers([id])]);
  },
  addConfig: (node, creds) => {
    model.checkpoint();
    model.add([node]);
    if (creds && Object.keys(creds).length) model.setCredentials(node.id, creds);
  },
  configNodes: (type) => model.configNodes.filter((c) => c.type === type),
  label: (id) => model.label(id),
  getCredentialFlags: (type, id) => (model.base.has(id) ? getCredentialFlags(type, id) : Promise.resolve({})),
});


// ---- tabs ----------------------------------------------------------------------------------------

tabBar.addEventListener("add", () => {
  model.checkpoint();
  const tab = { id: newId(), type: "tab", label: nextTabLabel(), disabled: false, info: "", env: [] };
  model.add([tab]);
  showTab(tab.id);
});

tabBar.addEventListener("edit", (event) => editTab(event.detail.id));

function editTab(id) {
  const tab = model.tab(id);
  if (!tab) return;
  const isSubflow = tab.type === "subflow";
  const name = h("input", { type: "text", class: "input", id: "tab-name" });
  name.value = isSubflow ? tab.name || "" : tab.label || "";
  const enabled = h("input", { type: "checkbox", id: "tab-enabled" });
  enabled.checked = !tab.disabled;
  const info = h("textarea", { class: "input", rows: 5, id: "tab-info" });
  info.value = tab.info || "";
  const body = h("form", { class: "node-form", onSubmit: (e) => e.preventDefault() },
    h("div", { class: "form-row" }, h("label", { class: "form-label", for: "tab-name" }, "Name"), h("div", { class: "form-control" }, name)),
    isSubflow ? null : h("div", { class: "form-row" }, h("label", { class: "form-label", for: "tab-enabled" }, "Status"),
      h("div", { class: "form-control" }, h("label", { class: "checkbox-label" }, enabled, h("span", null, "Enabled (a disabled flow does not run)")))),
    h("div", { class: "form-row form-row-wide" }, h("label", { class: "form-label", for: "tab-info" }, "Description"), h("div", { class: "form-control" }, info)));
  const count = model.nodesOn(id).length;
  openDialog({
    title: isSubflow ? "Edit subflow" : "Edit flow",
    body,
    width: 520,
    buttons: [
      { label: "Delete", kind: "danger", id: "tab-delete", onClick: async (close) => {
        close();
        // A subflow goes with its instances (Node-RED's subflow delete): say how many first.
        const instances = isSubflow ? model.subflowInstances(id).length : 0;
        if (count || instances) {
          const what = isSubflow ? "subflow" : "flow";
          const lines = [`Delete the ${what} "${name.value || id}"${count ? ` and its ${count} node${count === 1 ? "" : "s"}` : ""}?`];
          if (instances) lines.push(`${instances} instance${instances === 1 ? "" : "s"} of this subflow will be deleted too.`);
          const ok = await choose(`Delete ${what}`, lines,
            [{ label: "Cancel", value: false }, { label: "Delete", kind: "danger", value: true, id: "tab-delete-confirm" }]);
          if (!ok) return;
        }
        model.checkpoint();
        model.remove([id]);
      } },
      { spacer: true },
      { label: "Cancel", onClick: (close) => close() },
      { label: "Done", kind: "primary", id: "tab-done", onClick: (close) => {
        close();
        model.checkpoint();
        const props = isSubflow ? { name: name.value } : { label: name.value, disabled: !enabled.checked, info: info.value };
        if (isSubflow) props.info = info.value;
        model.update(id, props);
      } },
    ],
  });
}

// ---- import / export ---------------------------------------------------------------------------

const importExport = new ImportExport({
  model,
  importNodes,
  currentTab: () => state.tab,
  selection: () => [...canvas.selection],
  examples: async () => {
    if (state.examples === undefined) state.examples = await getExamples().catch(() => null);
    return state.examples;
  },
  example: (file) => getExample(file),
  notify,
});

const clipboard = new Clipboard({ model, canvas, withMembers: selectionWithMembers, ensureTab, importExport, notify });

dropdown($("#main-menu-button"), [
  { id: "menu-import", label: "Import…", hint: "Ctrl-I", onClick: () => importExport.openImport() },
  { id: "menu-examples", label: "Import › Examples…", hidden: () => !state.examples, onClick: () => importExport.openImport({ tab: "examples" }) },
  { id: "menu-export", label: "Export…", hint: "Ctrl-E", onClick: () => importExport.openExport() },
  { separator: true },
  { id: "menu-config", label: "Configuration nodes", onClick: () => sidebarTabs.show("config") },
  { id: "menu-undo", label: "Undo", hint: "Ctrl-Z", disabled: () => !model.canUndo(), onClick: () => model.undo() },
  { id: "menu-redo", label: "Redo", hint: "Ctrl-Shift-Z", disabled: () => !model.canRedo(), onClick: () => model.redo() },
  { id: "menu-select-all", label: "Select all", hint: "Ctrl-A", onClick: () => canvas.selectAll() },
  { id: "menu-group", label: "Group selection", hint: "Ctrl-Shift-G", onClick: groupSelection },
  { id: "menu-subflow-create", label: "Create subflow", onClick: newSubflow },
  { id: "menu-subflow-selection", label: "Selection to subflow", onClick: subflowFromSelection },
  { id: "menu-ungroup", label: "Ungroup", hint: "Ctrl-Shift-U", onClick: ungroupSelection },
  { separator: true },
  { id: "menu-search", label: "Search flows", hint: "Ctrl-F", onClick: () => actions.run("core:search") },
  { id: "menu-keys", label: "Keyboard shortcuts", hint: "?", onClick: showShortcuts },
  { separator: true },
  { id: "menu-theme-system", label: "Theme: follow the system", checked: () => themeSetting() === "system", onClick: () => setTheme("system") },
  { id: "menu-theme-light", label: "Theme: light", checked: () => themeSetting() === "light", onClick: () => setTheme("light") },
  { id: "menu-theme-dark", label: "Theme: dark", checked: () => themeSetting() === "dark", onClick: () => setTheme("dark") },
]);
getExamples().then((list) => { state.examples = list; }).catch(() => { state.examples = null; });

// Drop a flow file anywhere on the page.
let dragDepth = 0;
const hasFiles = (event) => [...(event.dataTransfer?.types || [])].includes("Files");
document.addEventListener("dragenter", (event) => {
  if (!hasFiles(event) || overlayOpen()) return;
  dragDepth += 1;
  $("#drop-overlay").hidden = false;
});
document.addEventListener("dragleave", (event) => {
  if (!hasFiles(event)) return;
  dragDepth = Math.max(0, dragDepth - 1);
  if (!dragDepth) $("#drop-overlay").hidden = true;
});
document.addEventListener("dragover", (event) => {
  if (hasFiles(event)) event.preventDefault();
});
document.addEventListener("drop", (event) => {
  if (!hasFiles(event)) return;
  event.preventDefault();
  dragDepth = 0;
  $("#drop-overlay").hidden = true;
  if (overlayOpen()) return;
  const file = event.dataTransfer.files[0];
  if (file) importExport.importFile(file);
});

// ---- keyboard ------------------------------------------------------------------------------------

document.addEventListener("keydown", (event) => {
  const target = event.target;
  const typing = target && (target.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(target.tagName));
  if (typing || overlayOpen()) return;
  const mod = event.ctrlKey || event.metaKey;
  const key = event.key.toLowerCase();
  if (mod && key === "d") {
    event.preventDefault();
    deployer.deploy();
  } else if (mod && key === "i") {
    event.preventDefault();
    importExport.openImport();
  } else if (mod && key === "e") {
    event.preventDefault();
    importExport.openExport();
  } else if (mod && event.shiftKey && key === "g") {
    event.preventDefault();
    groupSelection();
  } else if (mod && event.shiftKey && key === "u") {
    event.preventDefault();
    ungroupSelection();
  } else if ((mod && event.shiftKey && key === "z") || (mod && !event.shiftKey && key === "y")) {
    event.preventDefault();
    if (!model.redo()) notify("Nothing to redo", { type: "info", timeout: 1200 });
  } else if (mod && key === "z") {
    event.preventDefault();
    if (!model.undo()) notify("Nothing to undo", { type: "info", timeout: 1200 });
  } else if (mod && key === "a" && !target.closest?.("#sidebar")) {
    event.preventDefault();
    canvas.selectAll();
  } else if (mod && key === "c" && !String(window.getSelection?.() || "")) {
    if (canvas.selection.size) {
      event.preventDefault();
      clipboard.copy(false);
    }
  } else if (mod && key === "x") {
    if (canvas.selection.size) {
      event.preventDefault();
      clipboard.copy(true);
    }
  } else if (mod && key === "v") {
    if (clipboard.nodes) {
      event.preventDefault();
      clipboard.paste();
    }
  } else if ((event.key === "Delete" || event.key === "Backspace") && target === document.body) {
    event.preventDefault();
    deleteSelection();
  }
});

// A JSON flow pasted from the system clipboard (when nothing was copied inside the page).
document.addEventListener("paste", (event) => clipboard.pasteFromSystem(event));

window.addEventListener("beforeunload", (event) => {
  if (model.isDirty()) {
    event.preventDefault();
    event.returnValue = "";
  }
});

// ---- message trace ---------------------------------------------------------------------------

async function loadTrace() {
  try {
    const body = await getTrace();
    state.trace = body ? !!body.enabled : null;
  } catch {
    state.trace = null;
  }
  renderTrace();
}

function renderTrace() {
  const button = $("#trace-toggle");
  button.hidden = state.trace === null;
  button.setAttribute("aria-pressed", String(!!state.trace));
  button.classList.toggle("on", !!state.trace);
  sidebar.setTraceOn(!!state.trace);
}

$("#trace-toggle").addEventListener("click", async () => {
  try {
    const body = await setTrace(!state.trace);
    state.trace = !!body.enabled;
    renderTrace();
    notify(state.trace ? "Message trace on: click a debug message (or its \u201cpath\u201d) to see the way it went." : "Message trace off.",
      { type: "info", timeout: 3000 });
    if (!state.trace) {
      canvas.setTrace(null);
      sidebar.markTraced(null);
    }
  } catch (err) {
    notify(`Could not switch the message trace: ${err.message}`, { type: "error", timeout: 5000 });
  }
});

sidebar.addEventListener("trace", async (event) => {
  const { msgid, el } = event.detail;
  try {
    const body = await getTracePath(msgid);
    const hops = Array.isArray(body.hops) ? body.hops.filter((hop) => model.get(hop.node)) : [];
    if (!hops.length) {
      notify("No path was recorded for this message (the trace was off when it ran, or it left the trace buffer).", { type: "warning", timeout: 4000 });
      return;
    }
    const first = model.get(hops[hops.length - 1].node) || model.get(hops[0].node);
    if (first && first.z && first.z !== state.tab && model.tab(first.z)) showTab(first.z);
    canvas.setTrace(hops);
    sidebar.markTraced(el);
  } catch (err) {
    notify(`Could not get the message path: ${err.message}`, { type: "error", timeout: 4000 });
  }
});

// ---- sidebar panes: info, help, config, context; the debug pane's pause ----------------------

const sidebarTabs = new SidebarTabs($("#sidebar-tabs"));
const infoPane = new InfoPane($("#pane-info"), model);
const helpPane = new HelpPane($("#pane-help"));
const configPane = new ConfigPane($("#pane-config"), model);
const contextPane = new ContextPane($("#pane-context"), model, { visible: () => sidebarTabs.current === "context" });
let paneSelection = null;

/** Show the selected node (else the shown flow) in the info, help and context panes. */
function updatePanes() {
  const id = paneSelection && model.get(paneSelection) ? paneSelection : state.tab;
  const node = id ? model.get(id) : null;
  infoPane.show(id);
  helpPane.show(node && node.type !== "tab" && node.type !== "subflow" && node.type !== "group" ? node.type : null);
  contextPane.show(node && node.type !== "group" ? id : null, state.tab);
}

canvas.addEventListener("select", (event) => {
  const ids = event.detail.ids || [];
  paneSelection = ids.length === 1 ? ids[0] : ids.length ? event.detail.id ?? ids[0] : null;
  updatePanes();
});
sidebarTabs.addEventListener("show", (event) => {
  if (event.detail.pane === "context" && contextPane.dirty) contextPane.refreshAll();
  if (event.detail.pane === "config") configPane.render();
});
for (const kind of ["load", "change"]) {
  model.addEventListener(kind, (event) => {
    if (event.detail?.kind === "move") return;
    configPane.render();
    infoPane.render();
  });
}
configPane.addEventListener("edit", (event) => editor.open(event.detail.id));
// As Node-RED: a palette node picked (clicked or focused) shows its type's help.
$("#palette").addEventListener("focusin", (event) => {
  const item = event.target.closest?.(".palette-node");
  if (item && !item.dataset.type.startsWith("subflow:")) helpPane.show(item.dataset.type);
});

sidebar.notify = (text) => notify(text, { type: "success", timeout: 1500 });
$("#debug-pause").addEventListener("click", () => sidebar.setPaused(!sidebar.paused));
sidebar.addEventListener("paused", (event) => {
  const { paused, skipped } = event.detail;
  const button = $("#debug-pause");
  button.setAttribute("aria-pressed", String(paused));
  button.setAttribute("aria-label", paused ? "Resume debug messages" : "Pause debug messages");
  button.title = paused ? "Resume: add messages again" : "Pause: stop adding messages";
  const el = $("#debug-paused");
  el.hidden = !paused;
  el.textContent = `Paused: ${skipped} message${skipped === 1 ? "" : "s"} skipped`;
});

// After a server restart the emulator may listen elsewhere: read the settings again.
comms.addEventListener("reconnect", () => loadSettings());

// ---- canvas tools: actions and shortcuts, quick-add, context menu, search, navigator, -----
// ---- link wires, subflow ports ------------------------------------------------------------

const actions = new Actions();
const workspaceBody = $("#workspace-body");
const quickAdd = new QuickAdd(workspaceBody, () => addableTypes(model.subflows));
const search = new WorkspaceSearch(workspaceBody, { model, reveal: revealNode, focus: () => canvas.svg.focus({ preventScroll: true }) });
const miniMap = installNavigator(canvas, { host: workspaceBody, toggle: $("#navigator-toggle") });
$("#zoom-fit").addEventListener("click", () => zoomToFit(canvas));

/**
 * Quick-add at a client point (default: the view's centre), wired to source/port or target,
 * spliced into a wire {source, port, target}, or linked to a link node (linkFrom: its id).
 */
function openQuickAdd({ clientX, clientY, source, port = 0, target, splice = null, linkFrom = null } = {}) {
  if (clientX === undefined) {
    const r = canvas.svg.getBoundingClientRect();
    clientX = r.left + r.width / 2;
    clientY = r.top + r.height / 3;
  }
  const at = canvas.clientToWorld(clientX, clientY);
  const linkNode = linkFrom && model.get(linkFrom);
  const filter = linkNode ? { types: [linkNode.type === "link in" ? "link out" : "link in"] }
    : splice ? { input: true, output: true } : source !== undefined ? { input: true } : target !== undefined ? { output: true } : {};
  quickAdd.open({ clientX, clientY, filter, onClose: (picked) => { if (!picked) canvas.svg.focus({ preventScroll: true }); }, onPick: (type) => {
    model.checkpoint();
    const z = ensureTab();
    const node = createNode(type, newId(), z, 0, 0);
    const w = nodeGeometry(node).w;
    const x = source !== undefined ? at.x + w / 2 + 10 : target !== undefined ? at.x - w / 2 - 10 : at.x;
    node.x = Math.round(x / 10) * 10;
    node.y = Math.round(at.y / 10) * 10;
    model.add([node]);
    if (source !== undefined && typeDef(type).inputs > 0) model.addWire(source, port, node.id);
    if (target !== undefined && outputCount(node) > 0) model.addWire(node.id, 0, target);
    if (splice && model.get(splice.source)?.wires?.[splice.port]?.includes(splice.target)) {
      model.removeWire(splice.source, splice.port, splice.target);
      model.addWire(splice.source, splice.port, node.id);
      model.addWire(node.id, 0, splice.target);
    }
    if (linkNode) {
      if (linkNode.type === "link in") linkPair(model, node.id, linkNode.id);
      else linkPair(model, linkNode.id, node.id);
    }
    canvas.setSelection([node.id]);
    canvas.svg.focus({ preventScroll: true });
  } });
}
canvas.addEventListener("quickadd", (event) => openQuickAdd(event.detail));

const subflowEditor = installSubflowEditor(canvas, {
  host: workspaceBody,
  model,
  edit: (fn) => {
    model.checkpoint();
    fn();
  },
  editTab: (id) => editTab(id),
});
canvas.addEventListener("wiredrop", (event) => {
  if (!subflowEditor.dropWire(event.detail)) openQuickAdd(event.detail);
});

installLinkWires(canvas, {
  onLink: (outId, inId) => {
    model.checkpoint();
    if (!linkPair(model, outId, inId)) model.undoStack.pop();
  },
  onDropEmpty: (id, clientX, clientY) => openQuickAdd({ clientX, clientY, linkFrom: id }),
});

/** Enable or disable the selected nodes (Node-RED's "d" property). */
function toggleDisabled(ids, disable) {
  const nodes = ids.map((id) => model.get(id)).filter((n) => n && n.type !== "tab");
  if (!nodes.length) return;
  model.checkpoint();
  for (const node of nodes) model.update(node.id, { d: disable ? true : undefined });
}

const selectedIds = () => [...canvas.selection];
actions.add("core:search", () => search.open());
actions.add("core:show-quick-add", () => openQuickAdd());
actions.add("core:show-keyboard-settings", () => showShortcuts());
actions.add("core:deploy-flows", () => deployer.deploy());
actions.add("core:show-export-dialog", () => importExport.openExport());
actions.add("core:show-import-dialog", () => importExport.openImport());
actions.add("core:edit-selected-node", () => { if (canvas.selected) editor.open(canvas.selected); });
actions.add("core:go-to-selection", () => { if (canvas.selected) canvas.reveal(canvas.selected); });
actions.add("core:delete-selection", () => deleteSelection());
actions.add("core:copy-selection-to-internal-clipboard", () => clipboard.copy(false));
actions.add("core:cut-selection-to-internal-clipboard", () => clipboard.copy(true));
actions.add("core:paste-from-internal-clipboard", () => clipboard.paste());
actions.add("core:undo", () => model.undo());
actions.add("core:redo", () => model.redo());
actions.add("core:select-all-nodes", () => canvas.selectAll());
actions.add("core:select-none", () => canvas.setSelection([]));
actions.add("core:group-selection", () => groupSelection());
actions.add("core:ungroup-selection", () => ungroupSelection());
actions.add("core:convert-to-subflow", () => subflowFromSelection());
actions.add("core:zoom-in", () => canvas.zoomIn());
actions.add("core:zoom-out", () => canvas.zoomOut());
actions.add("core:zoom-reset", () => canvas.zoomReset());
actions.add("core:zoom-fit", () => zoomToFit(canvas));
actions.add("core:toggle-navigator", () => miniMap.show(!miniMap.shown));
const stepTab = (step) => {
  const list = allTabs();
  const i = list.findIndex((t) => t.id === state.tab);
  if (list.length) showTab(list[(i + step + list.length) % list.length].id);
};
actions.add("core:show-previous-tab", () => stepTab(-1));
actions.add("core:show-next-tab", () => stepTab(1));
installShortcuts(actions);

installContextMenu(canvas, workspaceBody, (ctx) => {
  const ids = selectedIds();
  const nodes = ids.map((id) => model.get(id)).filter(Boolean);
  const flowNodes = nodes.filter((n) => n.type !== "group");
  const one = nodes.length === 1 ? nodes[0] : null;
  const onFlow = !!model.tabs.find((t) => t.id === state.tab);
  const hint = (id) => actions.hint(id);
  const run = (id) => () => actions.run(id);
  const items = [];
  if (ctx.kind === "node" || ctx.kind === "group") {
    items.push({ id: "ctx-edit", label: "Edit…", hint: "Enter", disabled: !one, onClick: () => editor.open(one.id) });
    items.push({ separator: true });
  }
  items.push(
    { id: "ctx-cut", label: "Cut", hint: hint("core:cut-selection-to-internal-clipboard"), disabled: !ids.length, onClick: run("core:cut-selection-to-internal-clipboard") },
    { id: "ctx-copy", label: "Copy", hint: hint("core:copy-selection-to-internal-clipboard"), disabled: !ids.length, onClick: run("core:copy-selection-to-internal-clipboard") },
    { id: "ctx-paste", label: "Paste", hint: hint("core:paste-from-internal-clipboard"), disabled: !clipboard.nodes, onClick: run("core:paste-from-internal-clipboard") },
    { id: "ctx-delete", label: ctx.kind === "wire" ? "Delete wire" : "Delete", hint: "Delete", disabled: !ids.length && !canvas.selectedWire, onClick: run("core:delete-selection") },
    { separator: true });
  if (flowNodes.length) {
    const allDisabled = flowNodes.every((n) => n.d === true);
    items.push({ id: "ctx-toggle-disabled", label: allDisabled ? `Enable node${flowNodes.length === 1 ? "" : "s"}` : `Disable node${flowNodes.length === 1 ? "" : "s"}`,
      onClick: () => toggleDisabled(flowNodes.map((n) => n.id), !allDisabled) });
  }
  if (ids.length) items.push({ id: "ctx-group", label: "Group selection", hint: hint("core:group-selection"), onClick: run("core:group-selection") });
  if (nodes.some((n) => n.type === "group")) items.push({ id: "ctx-ungroup", label: "Ungroup", hint: hint("core:ungroup-selection"), onClick: run("core:ungroup-selection") });
  if (flowNodes.length && onFlow) items.push({ id: "ctx-subflow", label: "Selection to subflow", onClick: run("core:convert-to-subflow") });
  items.push({ separator: true },
    { id: "ctx-export", label: ids.length ? "Export selection…" : "Export…", hint: hint("core:show-export-dialog"), onClick: run("core:show-export-dialog") },
    { id: "ctx-import", label: "Import…", hint: hint("core:show-import-dialog"), onClick: run("core:show-import-dialog") },
    { separator: true },
    { id: "ctx-select-all", label: "Select all", hint: hint("core:select-all-nodes"), onClick: run("core:select-all-nodes") },
    { id: "ctx-add-node", label: ctx.kind === "wire" ? "Insert node…" : "Add node…", hint: hint("core:show-quick-add"),
      onClick: () => openQuickAdd({ clientX: ctx.clientX, clientY: ctx.clientY, splice: ctx.wire || null }) });
  return items;
});

// ---- for tests and benchmarks -------------------------------------------------------------

window.flowred = { model, canvas, sidebar, deploy: (type) => deployer.deploy(type), importNodes, nodeGeometry, actions };

// ---- start --------------------------------------------------------------------------------

let lastLogin = null;
setLoginHandler(async (prompts) => (lastLogin = await askLogin(prompts, lastLogin)));
installResizer();
renderDeployState();
loadSettings();
loadRuntimeState();
loadTrace();
Promise.all([loadNodeTypes(), loadFlows()]).then(() => comms.connect());
