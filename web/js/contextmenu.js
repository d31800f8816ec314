// The canvas's right-click menu, as Node-RED's (editor-client's contextMenu.js): on a node, a
// wire, a group or the background it offers the actions that apply there (edit, cut, copy,
// paste, delete, enable/disable, group/ungroup, selection to subflow, export, select all,
// add a node). A right-click on something not selected selects it first, as Node-RED.
//
// installContextMenu(canvas, host, items(ctx)) with ctx {kind: "node"|"group"|"wire"|"canvas",
// id, wire, clientX, clientY}; items returns [{id, label, hint, disabled, onClick} | {separator}].

import { h } from "./dom.js";

export function installContextMenu(canvas, host, items) {
  let menu = null;
  const close = () => {
    if (!menu) return;
    menu.remove();
    menu = null;
    document.removeEventListener("pointerdown", outside, true);
  };
  const outside = (event) => {
    if (menu && !menu.contains(event.target)) close();
  };
  canvas.svg.addEventListener("contextmenu", (event) => {
    event.preventDefault();
    close();
    const under = document.elementFromPoint(event.clientX, event.clientY) || event.target;
    const nodeEl = under.closest?.(".node");
    const wireEl = !nodeEl && under.closest?.(".wire");
    const groupEl = !nodeEl && !wireEl && under.closest?.(".group");
    let ctx;
    if (nodeEl || groupEl) {
      const id = nodeEl ? nodeEl.dataset.nodeId : groupEl.dataset.groupId;
      if (!canvas.selection.has(id)) canvas.setSelection([id], { clicked: id });
      ctx = { kind: nodeEl ? "node" : "group", id };
    } else if (wireEl) {
      const wire = { source: wireEl.dataset.source, port: Number(wireEl.dataset.port), target: wireEl.dataset.target };
      canvas.setSelection([], { wire });
      ctx = { kind: "wire", wire };
    } else {
      ctx = { kind: "canvas" };
    }
    ctx.clientX = event.clientX;
    ctx.clientY = event.clientY;
    open(ctx);
  });

  function open(ctx) {
    menu = h("div", { class: "menu context-menu", role: "menu", "aria-label": "Canvas menu", dataset: { kind: ctx.kind } });
    for (const item of items(ctx)) {
      if (item.separator) {
        if (menu.lastChild && !menu.lastChild.classList.contains("menu-separator")) {
          menu.append(h("div", { class: "menu-separator", role: "separator" }));
        }
        continue;
      }
      const el = h("button", { type: "button", class: "menu-item", role: "menuitem", id: item.id, disabled: !!item.disabled },
        h("span", { class: "menu-check", "aria-hidden": "true" }),
        h("span", { class: "menu-label" }, item.label),
        item.hint ? h("span", { class: "menu-hint" }, item.hint) : null);
      el.addEventListener("click", () => {
        close();
        item.onClick(ctx);
      });
      menu.append(el);
    }
    if (menu.lastChild?.classList.contains("menu-separator")) menu.lastChild.remove();
    menu.addEventListener("keydown", (event) => {
      const list = [...menu.querySelectorAll(".menu-item:not([disabled])")];
      const i = list.indexOf(document.activeElement);
      event.stopPropagation();
      if (event.key === "Escape") {
        event.preventDefault();
        close();
        canvas.svg.focus({ preventScroll: true });
      } else if (event.key === "ArrowDown") {
        event.preventDefault();
        list[(i + 1) % list.length]?.focus();
      } else if (event.key === "ArrowUp") {
        event.preventDefault();
        list[(i - 1 + list.length) % list.length]?.focus();
      }
    });
    const bounds = host.getBoundingClientRect();
    host.append(menu);
    const x = Math.min(ctx.clientX - bounds.left, bounds.width - menu.offsetWidth - 4);
    const y = Math.min(ctx.clientY - bounds.top, bounds.height - menu.offsetHeight - 4);
    menu.style.left = `${Math.max(0, x)}px`;
    menu.style.top = `${Math.max(0, y)}px`;
    document.addEventListener("pointerdown", outside, true);
    menu.querySelector(".menu-item:not([disabled])")?.focus({ preventScroll: true });
  }

  return { close, isOpen: () => !!menu };
}
