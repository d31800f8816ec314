// The workspace tab bar: one tab per flow (type "tab"), then the subflow definitions; disabled
// flows are greyed, a flow with undeployed changes has a dot.
//
// Events: "select" {id} a tab was picked; "edit" {id} a tab was double-clicked; "add" the +
// button was pressed.

import { h, clear } from "./dom.js";

export class TabBar extends EventTarget {
  constructor(container) {
    super();
    this.container = container;
    this.active = null;
    this.buttons = new Map();
    container.setAttribute("role", "tablist");
    container.setAttribute("aria-label", "Flows");
    container.addEventListener("keydown", (event) => this.onKey(event));
  }

  /** Draw the tabs of a FlowModel (changed: Set of tab ids with undeployed edits). */
  render(tabs, changed = new Set()) {
    clear(this.container);
    this.buttons.clear();
    for (const tab of tabs) {
      const label = tab.type === "subflow" ? `Subflow: ${tab.name || tab.id}` : tab.label || tab.id;
      const button = h("button", {
        type: "button",
        role: "tab",
        class: ["workspace-tab", tab.disabled && "disabled", tab.type === "subflow" && "subflow", changed.has(tab.id) && "changed"],
        id: `tab-${tab.id}`,
        "aria-selected": "false",
        "aria-controls": "workspace-canvas",
        tabindex: "-1",
        title: tab.disabled ? `${label} (disabled)` : label,
        dataset: { tabId: tab.id },
        onClick: () => this.dispatchEvent(new CustomEvent("select", { detail: { id: tab.id } })),
        onDblclick: () => this.dispatchEvent(new CustomEvent("edit", { detail: { id: tab.id } })),
      }, h("span", { class: "workspace-tab-label" }, label));
      this.buttons.set(tab.id, button);
      this.container.append(button);
    }
    if (!tabs.length) this.container.append(h("span", { class: "workspace-tabs-empty" }, "No flows"));
    this.container.append(h("button", {
      type: "button", class: "workspace-tab-add", id: "tab-add", title: "Add a flow", "aria-label": "Add a flow",
      onClick: () => this.dispatchEvent(new CustomEvent("add")),
    }, "+"));
    this.setActive(this.active);
  }

  setActive(id) {
    this.active = id;
    for (const [tabId, button] of this.buttons) {
      const on = tabId === id;
      button.classList.toggle("active", on);
      button.setAttribute("aria-selected", String(on));
      button.tabIndex = on ? 0 : -1;
    }
    this.buttons.get(id)?.scrollIntoView({ block: "nearest", inline: "nearest" });
  }

  onKey(event) {
    const ids = [...this.buttons.keys()];
    const index = ids.indexOf(this.active);
    if (index < 0) return;
    let next = null;
    if (event.key === "ArrowRight") next = ids[(index + 1) % ids.length];
    else if (event.key === "ArrowLeft") next = ids[(index - 1 + ids.length) % ids.length];
    else if (event.key === "Home") next = ids[0];
    else if (event.key === "End") next = ids[ids.length - 1];
    if (!next) return;
    event.preventDefault();
    this.dispatchEvent(new CustomEvent("select", { detail: { id: next } }));
    this.buttons.get(next)?.focus();
  }
}
