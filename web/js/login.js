// The login dialog shown when the Admin API asks for credentials (adminAuth).

import { openDialog } from "./dialog.js";
import { h } from "./dom.js";

/** Ask for a username and password; resolves to {username, password} or null (cancelled).
 *  `previous.error` (a failed attempt) is shown above the fields. */
export function askLogin(prompts, previous = null) {
  return new Promise((resolve) => {
    const user = h("input", { type: "text", id: "login-username", autocomplete: "username", autofocus: true });
    const pass = h("input", { type: "password", id: "login-password", autocomplete: "current-password" });
    const submit = (close) => {
      close();
      resolve({ username: user.value, password: pass.value });
    };
    const body = h("form", { class: "login-form", onSubmit: (e) => { e.preventDefault(); submit(dialog.close); } },
      previous && previous.error ? h("p", { class: "login-error", role: "alert" }, previous.error) : null,
      h("label", { for: "login-username" }, "Username"), user,
      h("label", { for: "login-password" }, "Password"), pass,
      h("button", { type: "submit", hidden: true }));
    const dialog = openDialog({
      title: "Log in to FlowRed",
      body,
      width: 360,
      onCancel: (close) => { close(); resolve(null); },
      buttons: [{ label: "Log in", kind: "primary", id: "login-submit", onClick: submit }],
    });
  });
}
