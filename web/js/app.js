// Entry point: loads settings and flows, draws them, and keeps the page live over /comms.

import { getFlows, getFlowsState, getSettings, injectNode, setDebugActive } from "./api.js";
import { Comms } from "./comms.js";
import { FlowModel } from "./flows.js";
import { FlowCanvas } from "./canvas.js";
import { TabBar } from "./tabs.js";
import { DebugSidebar } from "./sidebar.js";
import { ConfigPanel } from "./confignodes.js";
import { notify } from "./notify.js";

const $ = (selector) => document.querySelector(selector);

const model = new FlowModel();
const canvas = new FlowCanvas($("#workspace-canvas"), model);
const tabBar = new TabBar($("#workspace-tabs"));
const configPanel = new ConfigPanel($("#config-nodes"), model);
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

const state = {
  tab: null,
  runtime: null,         // "start" | "stop" | null (unknown)
  loadError: null,
  connected: false,
  loading: null,
};

// ---- header indicators -------------------------------------------------------------------

function renderDeployState() {
  const el = $("#deploy-state");
  let key;
  let text;
  if (state.loadError) {
    key = "error";
    text = "Flows unavailable";
  } else if (model.rev === null && state.runtime === null) {
    key = "loading";
    text = "Loading…";
  } else if (state.runtime === "stop") {
    key = "stopped";
    text = "Stopped";
  } else if (state.runtime === "deploying") {
    key = "loading";
    text = "Deploying…";
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
  else if (!model.tabs.length) text = model.rev === null ? "" : "No flows are deployed.";
  else if (tab && tab.disabled) text = "This flow is disabled.";
  else if (tab && model.nodesOn(tab.id).length === 0) text = "This flow is empty.";
  el.textContent = text;
  el.hidden = !text;
  el.classList.toggle("subtle", !!(tab && tab.disabled));
}

function showTab(id, { updateHash = true } = {}) {
  if (!model.tab(id)) id = model.tabs[0]?.id ?? null;
  state.tab = id;
  tabBar.setActive(id);
  canvas.showTab(id);
  sidebar.setCurrentTab(id);
  updateWorkspaceMessage();
  const hash = id ? `#flow/${encodeURIComponent(id)}` : "";
  if (updateHash && id && location.hash !== hash) history.replaceState(null, "", hash);
}

model.addEventListener("load", () => {
  tabBar.render(model.tabs);
  configPanel.render();
  showTab(state.tab ?? tabFromHash(), { updateHash: state.tab !== null });
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

sidebar.addEventListener("nodeselect", (event) => {
  const { id } = event.detail;
  const node = model.get(id);
  if (!node || !model.tab(node.z)) {
    notify("That node is not on any flow shown here.", { type: "warning", timeout: 2500 });
    return;
  }
  if (node.z !== state.tab) showTab(node.z);
  canvas.select(id);
  canvas.reveal(id);
  canvas.highlight(id);
});
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
comms.addEventListener("reconnect", () => {
  // The server replays the statuses it holds; drop the ones from before the break.
  canvas.clearStatuses();
  loadFlows();
  loadRuntimeState();
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
      if (data.state === "start" || data.state === "stop") {
        state.runtime = data.state === "stop" && data.deploy === true && !data.error ? "deploying" : data.state;
      }
      showRuntimeBanner(data);
      if (data.state === "start") canvas.setMissingTypes([]);
      else if (data.error === "missing-types" && Array.isArray(data.types)) canvas.setMissingTypes(data.types);
      renderDeployState();
      break;
    case "runtime-deploy":
      if (!data.revision || data.revision !== model.rev) {
        loadFlows().then(() => {
          if (!state.loadError) notify("Flows were deployed; the view is up to date.", { type: "info", timeout: 2500 });
        });
      }
      break;
    case "comms-dropped":
      sidebar.addDropped(data);
      break;
    default:
      if (data.text) notify(String(data.text), { type: ["error", "warning", "success"].includes(data.type) ? data.type : "info" });
  }
});

// ---- start --------------------------------------------------------------------------------

installResizer();
renderDeployState();
loadSettings();
loadRuntimeState();
loadFlows().then(() => comms.connect());
