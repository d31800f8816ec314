// Import (paste, open a file, drop a file, examples) and export (current flow, selection, all;
// formatted; copy or download). Exports never carry credentials.
//
// ctx: {model, importNodes(nodes, {toNewTab}) -> {count, renamed}, currentTab(), selection(),
//       examples() -> Promise<[{name, file}] | null>, example(file) -> Promise<json>, notify}

import { h, clear } from "./dom.js";
import { openDialog } from "./dialog.js";
import { parseFlowText } from "./flows.js";

/** Show where a JSON error is: the line with a caret under the column. */
function errorExcerpt(text, err) {
  if (!err.line) return null;
  const lines = text.split("\n");
  const line = lines[err.line - 1] ?? "";
  const start = Math.max(0, (err.column || 1) - 60);
  const shown = line.slice(start, start + 100);
  return h("pre", { class: "import-error-excerpt" },
    `${err.line} | ${shown}\n${" ".repeat(String(err.line).length)} | ${" ".repeat(Math.max(0, (err.column || 1) - 1 - start))}^`);
}

export class ImportExport {
  constructor(ctx) {
    this.ctx = ctx;
  }

  /** Parse text and import it; throws the parse error (with line/column) when invalid. */
  importText(text, options = {}) {
    const nodes = parseFlowText(text);
    return this.ctx.importNodes(nodes, options);
  }

  /** Import a File (from a file input or a drop); opens the dialog with the error if it fails. */
  async importFile(file, options = {}) {
    let text;
    try {
      text = await file.text();
    } catch (err) {
      this.ctx.notify(`Could not read ${file.name}: ${err.message}`, { type: "error", timeout: 6000 });
      return;
    }
    try {
      this.importText(text, options);
    } catch (err) {
      this.openImport({ text, error: err, fileName: file.name });
    }
  }

  openImport({ text = "", error = null, fileName = "", tab = "clipboard" } = {}) {
    const area = h("textarea", { class: "input code-editor import-text", id: "import-text", rows: 14, spellcheck: "false",
      placeholder: "Paste flow JSON here, open a file, or drop a file on this dialog", "aria-label": "Flow JSON to import" });
    area.value = text;
    const fileInput = h("input", { type: "file", accept: ".json,application/json,text/plain", id: "import-file", class: "visually-hidden", tabindex: "-1" });
    const fileButton = h("button", { type: "button", class: "btn btn-small", id: "import-file-button" }, "Select a file to import");
    const fileNameEl = h("span", { class: "import-file-name" }, fileName);
    const errorBox = h("div", { class: "import-error", id: "import-error", role: "alert", hidden: true });
    const toNew = h("input", { type: "radio", name: "import-target", value: "new", id: "import-to-new" });
    const toCurrent = h("input", { type: "radio", name: "import-target", value: "current", id: "import-to-current", checked: true });
    const showError = (err) => {
      clear(errorBox);
      if (!err) {
        errorBox.hidden = true;
        area.classList.remove("invalid");
        return;
      }
      errorBox.hidden = false;
      area.classList.add("invalid");
      errorBox.append(h("strong", null, err.message));
      const excerpt = errorExcerpt(area.value, err);
      if (excerpt) errorBox.append(excerpt);
      if (Number.isInteger(err.position)) {
        area.focus();
        area.setSelectionRange(err.position, Math.min(area.value.length, err.position + 1));
      }
    };
    fileButton.addEventListener("click", () => fileInput.click());
    fileInput.addEventListener("change", async () => {
      const file = fileInput.files && fileInput.files[0];
      if (!file) return;
      area.value = await file.text();
      fileNameEl.textContent = file.name;
      check();
    });
    const check = () => {
      if (!area.value.trim()) {
        showError(null);
        return false;
      }
      try {
        parseFlowText(area.value);
        showError(null);
        return true;
      } catch (err) {
        showError(err);
        return false;
      }
    };
    let timer = 0;
    area.addEventListener("input", () => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        if (area.value.trim()) {
          try {
            parseFlowText(area.value);
            showError(null);
          } catch (err) {
            clear(errorBox);
            errorBox.hidden = false;
            errorBox.append(h("strong", null, err.message));
            const excerpt = errorExcerpt(area.value, err);
            if (excerpt) errorBox.append(excerpt);
          }
        } else {
          showError(null);
        }
      }, 250);
    });

    // Examples (only when the server offers them).
    const examplesList = h("ul", { class: "examples-list", id: "examples-list" });
    const clipboardPane = h("div", { class: "import-pane" },
      h("div", { class: "import-file-row" }, fileButton, fileInput, fileNameEl),
      area, errorBox,
      h("div", { class: "import-target" }, h("span", null, "Import to"),
        h("label", { class: "radio-label" }, toCurrent, h("span", null, "current flow")),
        h("label", { class: "radio-label" }, toNew, h("span", null, "new flow"))));
    const examplesPane = h("div", { class: "import-pane", hidden: true }, examplesList);
    const tabClip = h("button", { type: "button", class: "import-tab active", role: "tab", "aria-selected": "true" }, "Clipboard");
    const tabEx = h("button", { type: "button", class: "import-tab", role: "tab", id: "import-examples-tab", "aria-selected": "false", hidden: true }, "Examples");
    const showPane = (which) => {
      clipboardPane.hidden = which !== "clipboard";
      examplesPane.hidden = which !== "examples";
      tabClip.classList.toggle("active", which === "clipboard");
      tabEx.classList.toggle("active", which === "examples");
      tabClip.setAttribute("aria-selected", String(which === "clipboard"));
      tabEx.setAttribute("aria-selected", String(which === "examples"));
      // Opened on the examples: the keyboard starts in the list (else on the Examples tab).
      if (which === "examples" && tab === "examples") (examplesList.querySelector(".example-item") || tabEx).focus({ preventScroll: true });
    };
    tabClip.addEventListener("click", () => showPane("clipboard"));
    tabEx.addEventListener("click", () => showPane("examples"));
    this.ctx.examples().then((list) => {
      if (!list || !list.length) return;
      tabEx.hidden = false;
      for (const ex of list) {
        const item = h("li", null, h("button", { type: "button", class: "example-item", dataset: { file: ex.file } },
          h("span", { class: "example-name" }, ex.name || ex.file), h("span", { class: "example-file" }, ex.file)));
        item.firstChild.addEventListener("click", async () => {
          try {
            const body = await this.ctx.example(ex.file);
            area.value = typeof body === "string" ? body : JSON.stringify(body, null, 4);
            fileNameEl.textContent = ex.file;
            toNew.checked = true;
            showPane("clipboard");
            check();
          } catch (err) {
            this.ctx.notify(`Could not load the example: ${err.message}`, { type: "error", timeout: 5000 });
          }
        });
        examplesList.append(item);
      }
      if (tab === "examples") showPane("examples");
    }).catch(() => {});

    const body = h("div", { class: "import-dialog" },
      h("div", { class: "import-tabs", role: "tablist" }, tabClip, tabEx),
      clipboardPane, examplesPane);
    body.addEventListener("dragover", (e) => {
      e.preventDefault();
      e.stopPropagation();
      body.classList.add("drop-target");
    });
    body.addEventListener("dragleave", () => body.classList.remove("drop-target"));
    body.addEventListener("drop", async (e) => {
      e.preventDefault();
      e.stopPropagation();
      body.classList.remove("drop-target");
      const file = e.dataTransfer?.files?.[0];
      if (!file) return;
      area.value = await file.text();
      fileNameEl.textContent = file.name;
      check();
    });
    const dialog = openDialog({
      title: "Import nodes",
      body,
      className: "dialog-import",
      width: 680,
      buttons: [
        { label: "Cancel", id: "import-cancel", onClick: (close) => close() },
        { label: "Import", kind: "primary", id: "import-confirm", onClick: (close) => {
          if (!check()) {
            if (!area.value.trim()) showError({ message: "Nothing to import: paste flow JSON or select a file." });
            return;
          }
          try {
            this.importText(area.value, { toNewTab: toNew.checked });
            close();
          } catch (err) {
            showError(err);
          }
        } },
      ],
    });
    if (error) requestAnimationFrame(() => showError(error));
    if (tab === "examples") showPane("examples");
    return dialog;
  }

  /** The nodes of an export: "current" tab, "selected" nodes or "all" (config nodes used are included). */
  exportNodes(scope) {
    const model = this.ctx.model;
    if (scope === "all") return model.toJSON();
    const ids = new Set();
    if (scope === "current") {
      const tab = this.ctx.currentTab();
      if (tab) {
        ids.add(tab);
        for (const n of model.all) if (n.z === tab) ids.add(n.id);
      }
    } else {
      for (const id of this.ctx.selection()) {
        ids.add(id);
        const node = model.get(id);
        if (node && node.type === "group" && Array.isArray(node.nodes)) node.nodes.forEach((m) => ids.add(m));
      }
    }
    // Config nodes the exported nodes use.
    const configIds = new Set(model.configNodes.map((c) => c.id));
    let grew = true;
    while (grew) {
      grew = false;
      for (const id of [...ids]) {
        const node = model.get(id);
        if (!node) continue;
        for (const [key, value] of Object.entries(node)) {
          if (key === "id" || key === "z" || typeof value !== "string") continue;
          if (configIds.has(value) && !ids.has(value)) {
            ids.add(value);
            grew = true;
          }
        }
      }
    }
    return model.toJSON(ids);
  }

  openExport() {
    const hasSelection = this.ctx.selection().length > 0;
    let scope = hasSelection ? "selected" : "current";
    let formatted = true;
    const area = h("textarea", { class: "input code-editor export-text", id: "export-text", rows: 16, readonly: true, spellcheck: "false", "aria-label": "Exported JSON" });
    const summary = h("div", { class: "export-summary" });
    const render = () => {
      const nodes = this.exportNodes(scope);
      area.value = JSON.stringify(nodes, null, formatted ? 4 : 0);
      summary.textContent = `${nodes.length} node${nodes.length === 1 ? "" : "s"}`;
      for (const b of scopeButtons) b.classList.toggle("active", b.dataset.scope === scope);
      for (const b of formatButtons) b.classList.toggle("active", (b.dataset.format === "formatted") === formatted);
    };
    const scopeButtons = [["current", "current flow"], ["selected", "selected nodes"], ["all", "all flows"]].map(([value, label]) => {
      const b = h("button", { type: "button", class: "seg", id: `export-${value}`, dataset: { scope: value }, disabled: value === "selected" && !hasSelection }, label);
      b.addEventListener("click", () => {
        scope = value;
        render();
      });
      return b;
    });
    const formatButtons = [["compact", "compact"], ["formatted", "formatted"]].map(([value, label]) => {
      const b = h("button", { type: "button", class: "seg", id: `export-${value}`, dataset: { format: value } }, label);
      b.addEventListener("click", () => {
        formatted = value === "formatted";
        render();
      });
      return b;
    });
    const body = h("div", { class: "export-dialog" },
      h("div", { class: "export-options" },
        h("div", { class: "segmented", role: "group", "aria-label": "What to export" }, scopeButtons),
        h("div", { class: "segmented", role: "group", "aria-label": "Format" }, formatButtons)),
      area, summary,
      h("p", { class: "form-help" }, "Credentials (API keys, passwords) are never part of an export."));
    render();
    openDialog({
      title: "Export nodes",
      body,
      className: "dialog-export",
      width: 680,
      buttons: [
        { label: "Download", id: "export-download", onClick: () => {
          const blob = new Blob([area.value], { type: "application/json" });
          const url = URL.createObjectURL(blob);
          const a = h("a", { href: url, download: "flows.json" });
          document.body.append(a);
          a.click();
          a.remove();
          setTimeout(() => URL.revokeObjectURL(url), 1000);
        } },
        { spacer: true },
        { label: "Close", id: "export-close", onClick: (close) => close() },
        { label: "Copy to clipboard", kind: "primary", id: "export-copy", onClick: async (close) => {
          try {
            await navigator.clipboard.writeText(area.value);
          } catch {
            area.select();
            document.execCommand("copy");
          }
          this.ctx.notify(`${summary.textContent} copied to the clipboard`, { type: "success", timeout: 2000 });
          close();
        } },
      ],
    });
  }
}
