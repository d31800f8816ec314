// The sidebar's panes (debug, info, help, config, context) behind a tab strip, as Node-RED's
// sidebar tabs (editor-client src/js/ui/sidebar.js). The shown pane is kept in localStorage.
// Dispatches "show" detail {pane} when a pane is shown.

const KEY = "flowred.sidebarPane";

export class SidebarTabs extends EventTarget {
  /** strip: the role=tablist element whose buttons carry data-pane; panes: id "pane-<name>". */
  constructor(strip) {
    super();
    this.strip = strip;
    this.tabs = [...strip.querySelectorAll("[role=tab]")];
    this.current = "debug";
    strip.addEventListener("click", (event) => {
      const tab = event.target.closest("[role=tab]");
      if (tab) this.show(tab.dataset.pane);
    });
    strip.addEventListener("keydown", (event) => {
      const i = this.tabs.findIndex((t) => t.dataset.pane === this.current);
      let next = null;
      if (event.key === "ArrowRight") next = this.tabs[(i + 1) % this.tabs.length];
      else if (event.key === "ArrowLeft") next = this.tabs[(i - 1 + this.tabs.length) % this.tabs.length];
      if (!next) return;
      event.preventDefault();
      this.show(next.dataset.pane);
      next.focus();
    });
    let saved = null;
    try {
      saved = localStorage.getItem(KEY);
    } catch { /* storage unavailable */ }
    if (saved && this.tabs.some((t) => t.dataset.pane === saved)) this.show(saved, { save: false });
  }

  /** Show the pane `name` ("debug", "info", ...). */
  show(name, { save = true } = {}) {
    if (!this.tabs.some((t) => t.dataset.pane === name)) return;
    this.current = name;
    for (const tab of this.tabs) {
      const on = tab.dataset.pane === name;
      tab.setAttribute("aria-selected", String(on));
      tab.tabIndex = on ? 0 : -1;
      const pane = document.getElementById(`pane-${tab.dataset.pane}`);
      if (pane) pane.hidden = !on;
    }
    if (save) {
      try {
        localStorage.setItem(KEY, name);
      } catch { /* storage unavailable */ }
    }
    this.dispatchEvent(new CustomEvent("show", { detail: { pane: name } }));
  }
}
