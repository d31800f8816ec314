// The debug sidebar: messages from debug nodes and node errors/warnings.
//
// Messages are appended incrementally (batched per animation frame); at most `max` are kept.
// Events dispatched on the DebugSidebar:
//   "nodeselect" detail {id, z}   the node name of a message was clicked
//   "nodehover"  detail {id, on}  the pointer entered/left a message
//   "trace"      detail {msgid, id, el}  a message's path was asked for (message trace on)

import { h, clear, formatTime } from "./dom.js";
import { decodeDebug } from "./decode.js";
import { renderTree } from "./jsontree.js";
import { debugTreeOptions } from "./debugtools.js";

const STICK_PX = 30;

export class DebugSidebar extends EventTarget {
  constructor({ list, clearButton, filterSelect, droppedEl, emptyEl, jumpButton, countEl }, model, { max = 500 } = {}) {
    super();
    this.list = list;
    this.filterSelect = filterSelect;
    this.droppedEl = droppedEl;
    this.emptyEl = emptyEl;
    this.jumpButton = jumpButton;
    this.countEl = countEl;
    this.model = model;
    this.max = max;
    this.pending = [];
    this.frame = 0;
    this.dropped = 0;
    this.unseen = 0;
    this.filter = "all";
    this.currentTab = null;
    this.selectedNodes = new Set();
    this.traceOn = false;
    this.paused = false;
    this.skipped = 0;          // msgs not shown while paused
    this.pins = new Map();     // debug node id -> paths kept expanded (debugtools.js)
    this.notify = null;        // (text) => void: tells what a tool did

    clearButton.addEventListener("click", () => this.clear());
    filterSelect.addEventListener("change", () => {
      this.filter = filterSelect.value;
      this.applyFilter();
    });
    list.addEventListener("scroll", () => {
      if (this.atBottom()) this.setUnseen(0);
    }, { passive: true });
    jumpButton?.addEventListener("click", () => {
      list.scrollTop = list.scrollHeight;
      this.setUnseen(0);
    });
    this.updateEmpty();
  }

  atBottom() {
    return this.list.scrollHeight - this.list.scrollTop - this.list.clientHeight < STICK_PX;
  }

  /** Queue one debug message (the data of a "debug" comms message). */
  add(data) {
    if (!data || typeof data !== "object") return;
    if (this.paused) {
      this.skipped += 1;
      this.dispatchEvent(new CustomEvent("paused", { detail: { paused: true, skipped: this.skipped } }));
      return;
    }
    this.pending.push({ data, received: Date.now() });
    if (this.pending.length > this.max) this.pending.splice(0, this.pending.length - this.max);
    if (!this.frame) this.frame = requestAnimationFrame(() => this.flush());
  }

  flush() {
    this.frame = 0;
    if (!this.pending.length) return;
    const batch = this.pending;
    this.pending = [];
    const stick = this.atBottom();
    const fragment = document.createDocumentFragment();
    let visible = 0;
    for (const item of batch) {
      const el = this.renderMessage(item.data, item.received);
      if (!el.hidden) visible += 1;
      fragment.append(el);
    }
    this.list.append(fragment);
    let removedHeight = 0;
    let excess = this.list.childElementCount - this.max;
    while (excess-- > 0) {
      const first = this.list.firstElementChild;
      if (!stick) removedHeight += first.offsetHeight;
      first.remove();
    }
    if (stick) {
      this.list.scrollTop = this.list.scrollHeight;
    } else {
      if (removedHeight) this.list.scrollTop = Math.max(0, this.list.scrollTop - removedHeight);
      this.setUnseen(this.unseen + visible);
    }
    this.updateEmpty();
  }

  label(data) {
    const node = this.model.get(data.id) || (data._alias && this.model.get(data._alias));
    if (data.name) return data.name;
    if (node) return this.model.label(node.id);
    return data.id || "";
  }

  renderMessage(data, received) {
    const level = Number(data.level);
    const isError = level === 20 || level === 10;
    const isWarn = level === 30;
    const ts = Number(data.timestamp);
    const when = new Date(Number.isFinite(ts) && ts > 0 ? ts : received);
    const { value, format } = decodeDebug(data);
    const nodeId = this.model.get(data.id) ? data.id : data._alias && this.model.get(data._alias) ? data._alias : data.id;
    const z = data.z || this.model.get(nodeId)?.z || "";
    const label = this.label(data);
    let msgid = typeof data._msgid === "string" ? data._msgid : "";
    if (!msgid && value && typeof value === "object" && typeof value._msgid === "string") msgid = value._msgid;

    const nodeButton = h("button", {
      type: "button",
      class: "debug-message-node",
      title: `Show node ${label}${nodeId ? ` (${nodeId})` : ""}`,
      "aria-label": `Show node ${label} on the canvas`,
      onClick: () => this.dispatchEvent(new CustomEvent("nodeselect", { detail: { id: nodeId, z } })),
    }, label || "(unknown node)");

    const prop = data.property ? `msg.${data.property}` : "msg";
    const meta = [
      h("time", { class: "debug-message-time", datetime: when.toISOString() }, formatTime(when)),
      nodeButton,
    ];
    // in a cluster, the worker that produced the message (data.worker, set by the runtime)
    if (typeof data.worker === "string" && data.worker) {
      meta.push(h("span", { class: "debug-message-worker", title: "cluster worker" }, data.worker));
    }
    if (msgid) {
      meta.push(h("button", {
        type: "button",
        class: "debug-trace-button",
        title: "Show the path this message took on the canvas",
        onClick: (event) => {
          event.stopPropagation();
          this.dispatchEvent(new CustomEvent("trace", { detail: { msgid, id: nodeId, el: event.currentTarget.closest(".debug-message") } }));
        },
      }, "path"));
    }
    if (isError || isWarn) {
      meta.push(h("span", { class: ["debug-message-level", isError ? "error" : "warn"] },
        `${isError ? "error" : "warning"}${data.type ? ` · ${data.type}` : ""}`));
    }
    const info = [];
    if (data.topic !== undefined && data.topic !== null && data.topic !== "") {
      info.push(h("span", { class: "debug-message-topic", title: "msg.topic" },
        typeof data.topic === "string" ? data.topic : JSON.stringify(data.topic)));
    }
    if (!isError && !isWarn) {
      info.push(h("span", { class: "debug-message-prop" }, prop,
        h("span", { class: "debug-message-format" }, ` : ${format}`)));
    }

    const tree = debugTreeOptions({ pins: this.pins, nodeId, property: data.property, notify: this.notify });
    const body = isError || isWarn
      ? h("div", { class: "debug-message-text" }, typeof value === "string" ? value : null,
        typeof value === "string" ? null : renderTree(value, tree))
      : renderTree(value, tree);

    const el = h("div", {
      class: ["debug-message", isError && "level-error", isWarn && "level-warn"],
      dataset: { nodeId: nodeId || "", z, msgid },
    },
    h("div", { class: "debug-message-meta" }, meta),
    info.length ? h("div", { class: "debug-message-info" }, info) : null,
    h("div", { class: "debug-message-value" }, body));
    el.addEventListener("click", (event) => {
      if (!this.traceOn || !msgid || event.target.closest("button, a, input")) return;
      if (window.getSelection && String(window.getSelection()).length) return;
      this.dispatchEvent(new CustomEvent("trace", { detail: { msgid, id: nodeId, el } }));
    });
    el.addEventListener("mouseenter", () => this.dispatchEvent(new CustomEvent("nodehover", { detail: { id: nodeId, on: true } })));
    el.addEventListener("mouseleave", () => this.dispatchEvent(new CustomEvent("nodehover", { detail: { id: nodeId, on: false } })));
    el.hidden = !this.passes(el);
    return el;
  }

  passes(el) {
    if (this.filter === "selected") return this.selectedNodes.has(el.dataset.nodeId);
    return this.filter !== "current" || !this.currentTab || el.dataset.z === this.currentTab;
  }

  /** Nodes selected on the canvas (for the "selected nodes" filter). */
  setSelectedNodes(ids) {
    this.selectedNodes = new Set(ids);
    if (this.filter === "selected") this.applyFilter();
  }

  /** Message trace on/off: messages become clickable to show their path. */
  setTraceOn(on) {
    this.traceOn = on;
    this.list.classList.toggle("trace-on", on);
  }

  /** Mark the message whose path is shown (null: none). */
  markTraced(el) {
    for (const other of this.list.querySelectorAll(".debug-message.traced")) other.classList.remove("traced");
    el?.classList.add("traced");
  }

  applyFilter() {
    for (const el of this.list.children) el.hidden = !this.passes(el);
    this.updateEmpty();
    if (this.atBottom()) this.setUnseen(0);
  }

  /** The tab shown on the canvas (for the "current flow" filter). */
  setCurrentTab(tabId) {
    this.currentTab = tabId;
    if (this.filter === "current") this.applyFilter();
  }

  /** Pause: msgs arriving meanwhile are counted, not shown ("paused" event {paused, skipped}). */
  setPaused(on) {
    this.paused = !!on;
    if (!on) this.skipped = 0;
    this.dispatchEvent(new CustomEvent("paused", { detail: { paused: this.paused, skipped: this.skipped } }));
  }

  clear() {
    this.pending = [];
    clear(this.list);
    this.dropped = 0;
    this.droppedEl.hidden = true;
    this.setUnseen(0);
    this.updateEmpty();
  }

  /** Count messages the server dropped for this client. */
  addDropped({ dropped }) {
    const n = Number(dropped) || 0;
    if (!n) return;
    this.dropped += n;
    this.droppedEl.textContent = `${this.dropped} message${this.dropped === 1 ? "" : "s"} dropped (the server's queue for this page was full)`;
    this.droppedEl.hidden = false;
  }

  setUnseen(n) {
    this.unseen = n;
    if (!this.jumpButton) return;
    this.jumpButton.hidden = n === 0;
    this.jumpButton.textContent = `↓ ${n} new message${n === 1 ? "" : "s"}`;
  }

  updateEmpty() {
    let shown = 0;
    for (const el of this.list.children) if (!el.hidden) shown += 1;
    this.emptyEl.hidden = shown > 0;
    this.emptyEl.classList.toggle("filtered", shown === 0 && this.list.childElementCount > 0);
    if (this.countEl) this.countEl.textContent = this.list.childElementCount ? String(this.list.childElementCount) : "";
  }
}
