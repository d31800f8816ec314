// Short-lived notifications in the corner of the workspace.

import { h } from "./dom.js";

let region = null;

function ensureRegion() {
  if (!region) {
    region = document.getElementById("notifications") ||
      document.body.appendChild(h("div", { id: "notifications" }));
    region.setAttribute("aria-live", "polite");
  }
  return region;
}

/** Show a message; type is "info", "success", "warning" or "error". */
export function notify(text, { type = "info", timeout = 3000 } = {}) {
  const close = () => {
    el.classList.add("leaving");
    setTimeout(() => el.remove(), 200);
  };
  const el = h("div", { class: ["notification", `notification-${type}`], role: type === "error" ? "alert" : "status" },
    h("span", { class: "notification-text" }, text),
    h("button", { type: "button", class: "notification-close", "aria-label": "Dismiss", onClick: close }, "×"));
  ensureRegion().append(el);
  while (region.childElementCount > 4) region.firstElementChild.remove();
  if (timeout > 0) setTimeout(close, timeout);
  return close;
}
