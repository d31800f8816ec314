// The editor's clipboard: copy and cut the selected nodes (with the members of selected
// groups) as flow JSON, kept in the page and also written to the system clipboard; paste them
// onto the current flow with new ids (wires, links and group members renamed with them, see
// prepareImport) and shifted 20px further at each paste; and a flow JSON pasted from the
// system clipboard, imported when nothing was copied inside the page.
//
// ctx: {model, canvas, withMembers(ids) -> Set of ids (selected groups' members added),
//       ensureTab() -> id of the tab pasted nodes go to, importExport, notify}

import { prepareImport } from "./flows.js";
import { overlayOpen } from "./dialog.js";

export class Clipboard {
  constructor(ctx) {
    this.ctx = ctx;
    this.nodes = null;       // the copied nodes (flow JSON), or null
    this.pasteCount = 0;     // pastes of the same copy: each lands 20px further
  }

  /** Copy (cut: and remove) the selected nodes; nothing happens without a selection. */
  copy(cut = false) {
    const { model, canvas, notify } = this.ctx;
    const ids = this.ctx.withMembers([...canvas.selection]);
    if (!ids.size) return;
    this.nodes = model.toJSON(ids);
    this.pasteCount = 0;
    try {
      navigator.clipboard?.writeText(JSON.stringify(this.nodes)).catch(() => {});
    } catch { /* clipboard not available: the internal one is enough */ }
    notify(`${cut ? "Cut" : "Copied"} ${this.nodes.length} node${this.nodes.length === 1 ? "" : "s"}`, { type: "info", timeout: 1500 });
    if (cut) {
      model.checkpoint();
      model.remove([...ids]);
    }
  }

  /** Paste the copied nodes onto the current flow (a new one when there is none), selected. */
  paste() {
    const { model, canvas } = this.ctx;
    if (!this.nodes || !this.nodes.length) return;
    model.checkpoint();
    const z = this.ctx.ensureTab();
    const { nodes } = prepareImport(this.nodes, model, { targetTab: z, renameAll: true });
    this.pasteCount += 1;
    const offset = 20 * this.pasteCount;
    for (const node of nodes) {
      if (node.type === "tab") continue;
      if (node.x !== undefined && node.y !== undefined && node.x !== null) {
        node.x = Number(node.x) + offset;
        node.y = Number(node.y) + offset;
      }
    }
    model.add(nodes);
    canvas.setSelection(nodes.filter((n) => n.z === z).map((n) => n.id));
  }

  /** A document "paste" event: flow JSON from the system clipboard is imported (or shown in the
   *  import dialog with its error), unless a field has the focus or nodes were copied here. */
  pasteFromSystem(event) {
    const { importExport } = this.ctx;
    const target = event.target;
    if (target && ["INPUT", "TEXTAREA"].includes(target.tagName)) return;
    if (overlayOpen() || this.nodes) return;
    const text = event.clipboardData?.getData("text/plain");
    if (!text || !/^\s*[[{]/.test(text)) return;
    event.preventDefault();
    try {
      importExport.importText(text);
    } catch (err) {
      importExport.openImport({ text, error: err });
    }
  }
}
