// Deploying: the deploy button and its menu of deploy types (full, modified flows, modified
// nodes, restart flows; the choice is kept in localStorage), POST /flows with the loaded
// revision, a conflict with newer flows on the server (reload, merge or overwrite, and the
// "flows changed on the server" banner), and the validation errors a refused deploy returns,
// marked on the nodes (the canvas draws them from model.errors).
//
// els: {button, menuButton, serverBanner, runtimeBanner}
// ctx: {model, canvas, currentTab(), showTab(id), loadFlows() -> Promise, loadError() -> text|null,
//       changed()  (called when `deploying` changes: the header shows the deploy state)}

import { getFlows, getFlowsState, postFlows } from "./api.js";
import { notify } from "./notify.js";
import { dropdown } from "./menu.js";
import { choose } from "./dialog.js";

const DEPLOY_LABELS = { full: "Deploy", flows: "Deploy flows", nodes: "Deploy nodes" };
const DEPLOY_TYPES = ["full", "flows", "nodes"];

export class Deployer {
  constructor(els, ctx) {
    this.els = els;
    this.ctx = ctx;
    this.deploying = false;
    this.type = "full";
    this.serverRev = null;       // a newer revision on the server while there are local edits
    this.stateWaiters = [];      // resolve(notice) of deploys waiting for the runtime's new state
    try {
      const saved = localStorage.getItem("flowred.deployType");
      if (DEPLOY_TYPES.includes(saved)) this.type = saved;
    } catch { /* storage unavailable */ }
    els.button.addEventListener("click", () => this.deploy());
    dropdown(els.menuButton, [
      { id: "deploy-type-full", label: "Full", hint: "replace all flows", checked: () => this.type === "full", onClick: () => this.setType("full") },
      { id: "deploy-type-flows", label: "Modified flows", hint: "restart changed flows", checked: () => this.type === "flows", onClick: () => this.setType("flows") },
      { id: "deploy-type-nodes", label: "Modified nodes", hint: "restart changed nodes", checked: () => this.type === "nodes", onClick: () => this.setType("nodes") },
      { separator: true },
      { id: "deploy-restart", label: "Restart flows", onClick: () => this.deploy("reload") },
    ]);
    els.serverBanner.querySelector("#server-merge").addEventListener("click", () => this.mergeServerFlows());
    els.serverBanner.querySelector("#server-reload").addEventListener("click", () => this.reloadServerFlows());
    els.serverBanner.querySelector(".banner-close").addEventListener("click", () => { els.serverBanner.hidden = true; });
  }

  /** The deploy button: enabled with changes, its label the deploy type, the page title starred. */
  renderButton() {
    const { model } = this.ctx;
    const button = this.els.button;
    const dirty = model.isDirty();
    button.disabled = this.deploying || !dirty;
    button.classList.toggle("busy", this.deploying);
    button.querySelector(".deploy-label").textContent = this.deploying ? "Deploying…" : DEPLOY_LABELS[this.type];
    const count = model.changed.size + model.deleted.size;
    button.title = dirty ? `${DEPLOY_LABELS[this.type]} (${count} change${count === 1 ? "" : "s"}) · Ctrl-D` : "Nothing to deploy";
    document.title = `${dirty ? "* " : ""}FlowRed`;
  }

  /** Choose the deploy type ("full" | "flows" | "nodes") and remember it. */
  setType(type) {
    this.type = type;
    try {
      localStorage.setItem("flowred.deployType", type);
    } catch { /* storage unavailable */ }
    this.renderButton();
  }

  /**
   * A runtime-state notification from /comms ({state: "start"|"stop", deploy?, error?, text?});
   * app.js passes each one on. The stop that is only the first half of a deploy is skipped.
   */
  runtimeState(data) {
    if (!data || (data.state === "stop" && data.deploy === true && !data.error)) return;
    for (const resolve of this.stateWaiters.splice(0)) resolve(data);
  }

  /** The runtime's next state notice, or null after timeoutMs (no /comms connection, say). */
  nextRuntimeState(timeoutMs = 5000) {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.stateWaiters = this.stateWaiters.filter((w) => w !== done);
        resolve(null);
      }, timeoutMs);
      const done = (data) => {
        clearTimeout(timer);
        resolve(data);
      };
      this.stateWaiters.push(done);
    });
  }

  /** Node types on the flows the runtime does not have (subflow instances of a known subflow are known). */
  unknownTypes() {
    const { model, canvas } = this.ctx;
    if (!canvas.knownTypes) return [];
    const subflows = new Set(model.subflows.map((sf) => `subflow:${sf.id}`));
    const unknown = new Set();
    for (const node of model.all) {
      if (typeof node.type !== "string" || canvas.knownTypes.has(node.type) || subflows.has(node.type)) continue;
      unknown.add(node.type);
    }
    return [...unknown].sort();
  }

  /** Deploy the edits (type: "full" | "flows" | "nodes", or "reload" to restart the flows). */
  async deploy(type = this.type) {
    const { model } = this.ctx;
    if (this.deploying) return;
    if (type !== "reload" && !model.isDirty()) {
      notify("Nothing to deploy: no changes since the last deploy.", { type: "info", timeout: 2000 });
      return;
    }
    // As Node-RED: unknown node types stop the flows, so ask before deploying them.
    const unknown = type === "reload" ? [] : this.unknownTypes();
    if (unknown.length) {
      const ok = await choose("Confirm deploy", [
        `The flows contain nodes of unknown types: ${unknown.join(", ")}.`,
        "The runtime will not start the flows until these types are installed. Deploy anyway?",
      ], [{ label: "Cancel", value: false }, { label: "Deploy anyway", kind: "danger", value: true, id: "deploy-unknown-confirm" }]);
      if (!ok) return;
    }
    this.deploying = true;
    this.ctx.changed();
    try {
      const outcome = this.nextRuntimeState();
      if (type === "reload") {
        const { rev } = await postFlows([], model.rev, "reload");
        if (rev) model.rev = rev;
        this.report(await this.settled(outcome), "Flows restarted");
        return;
      }
      const { rev } = await postFlows(model.deployNodes(), model.rev, type);
      model.markDeployed(rev);
      this.els.serverBanner.hidden = true;
      const banner = this.els.runtimeBanner;
      if (banner.dataset.kind === "flow-file-error") banner.hidden = true;
      this.report(await this.settled(outcome), "Successfully deployed");
    } catch (err) {
      if (err.status === 409) {
        this.conflict(type);
      } else if (err.status === 400 && err.body && err.body.code === "invalid_flow") {
        this.showErrors(err.body);
      } else {
        notify(`Deploy failed: ${err.message}`, { type: "error", timeout: 8000 });
      }
    } finally {
      this.deploying = false;
      this.ctx.changed();
    }
  }

  /** The runtime's state after a deploy: its notice, else GET /flows/state ({state}), else null. */
  async settled(outcome) {
    const notice = await outcome;
    if (notice) return notice;
    try {
      return await getFlowsState();
    } catch {
      return null;
    }
  }

  /**
   * Tell how a deploy the server accepted ended: success only when the flows run without a
   * problem; flows left stopped (missing node types, safe mode) or partly blocked show the
   * runtime's own text instead.
   */
  report(notice, success) {
    if (notice && (notice.state === "stop" || notice.error)) {
      const text = notice.text ? String(notice.text) : "the flows are stopped.";
      notify(`Deployed, but ${notice.state === "stop" ? "the flows are not running" : "some flows are not running"}: ${text}`,
        { type: notice.error ? "error" : "warning", timeout: 12000 });
      return;
    }
    if (notice && notice.fullRestart) {
      // The runtime restarts every node when a modified-only deploy cannot be partial.
      const why = notice.fullRestart === "subflows" ? "the flows have subflows" : "some node types are missing";
      notify(`${success}: all flows were restarted (a full restart, as ${why})`, { type: "success", timeout: 5000 });
      return;
    }
    notify(success, { type: "success", timeout: 2000 });
  }

  /** A refused deploy: mark the nodes with errors, show the first one, list a few. */
  showErrors(body) {
    const { model, canvas } = this.ctx;
    const errors = Array.isArray(body.errors) ? body.errors : [];
    model.setErrors(errors);
    const ids = [...new Set(errors.map((e) => e.id).filter(Boolean))];
    const firstNode = ids.map((id) => model.get(id)).find((n) => n && model.tab(n.z));
    if (firstNode) {
      if (firstNode.z !== this.ctx.currentTab()) this.ctx.showTab(firstNode.z);
      canvas.reveal(firstNode.id);
    }
    const lines = errors.slice(0, 4).map((e) => `${e.id ? model.label(e.id) : ""}${e.field ? ` (${e.field})` : ""}: ${e.message}`);
    const more = errors.length > 4 ? ` … and ${errors.length - 4} more` : "";
    notify(`Not deployed: ${errors.length ? `${ids.length} node${ids.length === 1 ? " has" : "s have"} errors. ${lines.join("; ")}${more}` : body.message || "the flows are invalid"}`,
      { type: "error", timeout: 12000 });
  }

  /** The server's revision is not the one the edits started from: ask what to do. */
  async conflict(type) {
    const choice = await choose("The flows changed on the server", [
      "Someone (or a change to the flow file) deployed new flows since you loaded them.",
      "Merge your changes onto the new flows, reload and lose your changes, or overwrite the server's flows with yours.",
    ], [
      { label: "Cancel", value: null },
      { label: "Reload", value: "reload", id: "conflict-reload" },
      { label: "Merge", value: "merge", id: "conflict-merge" },
      { label: "Overwrite", kind: "danger", value: "overwrite", id: "conflict-overwrite" },
    ]);
    if (choice === "reload") {
      await this.reloadServerFlows();
    } else if (choice === "merge") {
      await this.mergeServerFlows();
    } else if (choice === "overwrite") {
      try {
        const current = await getFlows();
        this.ctx.model.rev = current.rev;
        await this.deploy(type);
      } catch (err) {
        notify(`Overwrite failed: ${err.message}`, { type: "error", timeout: 6000 });
      }
    }
  }

  /** The server has new flows (a deploy elsewhere, or the flow file changed on disk). */
  async serverChanged(revision) {
    if (!this.ctx.model.isDirty()) {
      await this.ctx.loadFlows();
      if (!this.ctx.loadError()) notify("The flows were updated on the server; the view is up to date.", { type: "info", timeout: 2500 });
      return;
    }
    this.serverRev = revision || "unknown";
    this.els.serverBanner.hidden = false;
  }

  /** Put the local edits onto the server's flows (the local version wins where both changed). */
  async mergeServerFlows() {
    try {
      const data = await getFlows();
      const conflicts = this.ctx.model.mergeOnto(data);
      this.els.serverBanner.hidden = true;
      this.serverRev = null;
      notify(conflicts.length
        ? `Merged: ${conflicts.length} node${conflicts.length === 1 ? " was" : "s were"} changed on both sides; your version is kept. Deploy to apply.`
        : "Your changes were merged onto the new flows. Deploy to apply them.", { type: conflicts.length ? "warning" : "success", timeout: 5000 });
    } catch (err) {
      notify(`Could not merge: ${err.message}`, { type: "error", timeout: 6000 });
    }
  }

  /** Drop the local edits and load the server's flows. */
  async reloadServerFlows() {
    this.els.serverBanner.hidden = true;
    this.serverRev = null;
    this.ctx.model.rev = null;
    await this.ctx.loadFlows();
    if (!this.ctx.loadError()) notify("Reloaded the flows from the server.", { type: "info", timeout: 2500 });
  }
}
