// Drop-down menus for header buttons (the main menu, the deploy type menu).
//
// items: [{id, label, hint, onClick, hidden: () => bool, checked: () => bool, separator}]

import { h, clear } from "./dom.js";

export function dropdown(button, items, { align = "right" } = {}) {
  const menu = h("div", { class: ["menu", `menu-${align}`], role: "menu", hidden: true });
  button.setAttribute("aria-haspopup", "menu");
  button.setAttribute("aria-expanded", "false");
  button.after(menu);
  const close = () => {
    menu.hidden = true;
    button.setAttribute("aria-expanded", "false");
    document.removeEventListener("pointerdown", outside, true);
  };
  const outside = (event) => {
    if (!menu.contains(event.target) && !button.contains(event.target)) close();
  };
  const render = () => {
    clear(menu);
    for (const item of items) {
      if (item.hidden && item.hidden()) continue;
      if (item.separator) {
        menu.append(h("div", { class: "menu-separator", role: "separator" }));
        continue;
      }
      const checked = item.checked ? item.checked() : null;
      const el = h("button", {
        type: "button",
        class: ["menu-item", checked && "checked"],
        role: checked === null ? "menuitem" : "menuitemradio",
        "aria-checked": checked === null ? null : String(!!checked),
        id: item.id,
        disabled: item.disabled && item.disabled(),
      },
      h("span", { class: "menu-check", "aria-hidden": "true" }, checked ? "✓" : ""),
      h("span", { class: "menu-label" }, item.label),
      item.hint ? h("span", { class: "menu-hint" }, item.hint) : null);
      el.addEventListener("click", () => {
        close();
        item.onClick();
      });
      menu.append(el);
    }
  };
  const open = () => {
    render();
    menu.hidden = false;
    button.setAttribute("aria-expanded", "true");
    document.addEventListener("pointerdown", outside, true);
    menu.querySelector(".menu-item:not([disabled])")?.focus();
  };
  button.addEventListener("click", () => (menu.hidden ? open() : close()));
  menu.addEventListener("keydown", (event) => {
    const list = [...menu.querySelectorAll(".menu-item:not([disabled])")];
    const i = list.indexOf(document.activeElement);
    if (event.key === "Escape") {
      close();
      button.focus();
    } else if (event.key === "ArrowDown") {
      event.preventDefault();
      list[(i + 1) % list.length]?.focus();
    } else if (event.key === "ArrowUp") {
      event.preventDefault();
      list[(i - 1 + list.length) % list.length]?.focus();
    }
  });
  return { open, close, menu };
}
