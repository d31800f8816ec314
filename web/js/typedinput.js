// Node-RED's typed input: a value plus its type (str, num, bool, json, date, env, flow, global,
// msg, jsonata, ...). The "cred" type is a password field whose value is a credential: it is
// never filled from the server, only "(saved)" is shown when one exists.

import { h } from "./dom.js";
import { openDialog } from "./dialog.js";
import { CodeEditor } from "./codeeditor.js";

export const TYPES = {
  msg: { label: "msg.", title: "msg property" },
  flow: { label: "flow.", title: "flow context" },
  global: { label: "global.", title: "global context" },
  str: { label: "a-z", title: "string" },
  num: { label: "0-9", title: "number" },
  bool: { label: "bool", title: "boolean", options: ["true", "false"] },
  json: { label: "{ }", title: "JSON" },
  bin: { label: "buffer", title: "buffer (JSON array of bytes)" },
  re: { label: ".*", title: "regular expression" },
  date: { label: "timestamp", title: "timestamp (milliseconds since 1970)", noValue: true },
  jsonata: { label: "J:", title: "JSONata expression" },
  env: { label: "env", title: "environment variable" },
  cred: { label: "credential", title: "credential (stored encrypted, never sent back)" },
  full: { label: "msg", title: "complete msg object", noValue: true },
  node: { label: "node", title: "node id" },
};

export const DEFAULT_TYPES = ["str", "num", "bool", "json", "date", "env", "flow", "global", "msg", "jsonata"];

/** A problem with a typed value, or null. */
export function validateTyped(type, value) {
  const text = value === undefined || value === null ? "" : String(value);
  if (type === "num") {
    if (text.trim() === "" || !Number.isFinite(Number(text))) return "not a number";
  } else if (type === "json") {
    try {
      JSON.parse(text);
    } catch (err) {
      return `invalid JSON: ${err.message.replace(/^JSON\.parse: /, "")}`;
    }
  } else if (type === "bin") {
    try {
      const v = JSON.parse(text || "[]");
      if (!Array.isArray(v) && typeof v !== "string") return "a buffer is a JSON array of bytes or a string";
    } catch {
      return "a buffer is a JSON array of bytes or a string";
    }
  } else if (type === "re") {
    try {
      new RegExp(text);
    } catch (err) {
      return err.message;
    }
  } else if (["msg", "flow", "global"].includes(type) && text.trim() === "") {
    return "a property name is needed";
  }
  return null;
}

let seq = 0;

export class TypedInput {
  /**
   * options: value, type, types (list of type names), id, label (aria), placeholder,
   * credential: {saved: bool} when the "cred" type is offered, onChange().
   */
  constructor({ value = "", type = "str", types = DEFAULT_TYPES, id = null, label = "", placeholder = "", credential = null,
    onChange = null } = {}) {
    this.types = types.filter((t) => TYPES[t] || t);
    if (!this.types.includes(type)) this.types = [type, ...this.types];
    this.onChange = onChange;
    this.credentialTyped = "";
    const inputId = id || `ti-${++seq}`;
    this.typeSelect = h("select", { class: "ti-type", "aria-label": `${label || "value"} type`, title: "Type of the value" },
      this.types.map((t) => h("option", { value: t, title: TYPES[t]?.title || t }, TYPES[t]?.label || t)));
    this.typeSelect.value = type;
    this.input = h("input", { type: "text", class: "ti-value ti-text", id: inputId, "aria-label": label || null, placeholder,
      autocomplete: "off", spellcheck: "false" });
    this.input.value = typeof value === "string" ? value : value === undefined || value === null ? "" : JSON.stringify(value);
    this.boolSelect = h("select", { class: "ti-value ti-bool", "aria-label": label || null },
      h("option", { value: "true" }, "true"), h("option", { value: "false" }, "false"));
    this.boolSelect.value = String(value) === "false" ? "false" : "true";
    this.password = h("input", { type: "password", class: "ti-value ti-password", "aria-label": `${label || "value"} (credential)`,
      autocomplete: "new-password", placeholder: credential && credential.saved ? "(saved)" : "enter a value" });
    this.password.addEventListener("input", () => {
      this.credentialTyped = this.password.value;
      this.changed();
    });
    this.fixed = h("span", { class: "ti-fixed" });
    this.expand = h("button", { type: "button", class: "ti-expand", title: "Edit in a larger editor", "aria-label": "Open the JSON editor",
      onClick: () => this.openEditor() }, "…");
    this.error = h("div", { class: "ti-error", role: "alert" });
    this.el = h("div", { class: "typed-input" },
      h("div", { class: "ti-row" }, this.typeSelect, this.input, this.boolSelect, this.password, this.fixed, this.expand),
      this.error);
    this.typeSelect.addEventListener("change", () => {
      this.applyType();
      this.changed();
      (this.type === "bool" ? this.boolSelect : this.type === "cred" ? this.password : this.input).focus();
    });
    this.input.addEventListener("input", () => this.changed());
    this.boolSelect.addEventListener("change", () => this.changed());
    this.applyType();
  }

  get type() {
    return this.typeSelect.value;
  }

  set type(t) {
    if (![...this.typeSelect.options].some((o) => o.value === t)) {
      this.typeSelect.append(h("option", { value: t }, TYPES[t]?.label || t));
    }
    this.typeSelect.value = t;
    this.applyType();
  }

  get value() {
    if (this.type === "bool") return this.boolSelect.value;
    if (TYPES[this.type]?.noValue) return "";
    if (this.type === "cred") return "";
    return this.input.value;
  }

  set value(v) {
    this.input.value = v === undefined || v === null ? "" : typeof v === "string" ? v : JSON.stringify(v);
    this.boolSelect.value = String(v) === "false" ? "false" : "true";
  }

  /** The credential typed in the password field ("" when none: keep the saved one). */
  get credential() {
    return this.type === "cred" ? this.credentialTyped : "";
  }

  applyType() {
    const t = this.type;
    const meta = TYPES[t] || {};
    this.input.hidden = t === "bool" || t === "cred" || !!meta.noValue;
    this.boolSelect.hidden = t !== "bool";
    this.password.hidden = t !== "cred";
    this.fixed.hidden = !meta.noValue;
    this.fixed.textContent = t === "date" ? "timestamp" : t === "full" ? "complete msg object" : "";
    this.expand.hidden = !(t === "json" || t === "jsonata" || t === "bin");
    this.el.dataset.type = t;
    this.input.classList.toggle("mono", ["json", "jsonata", "bin", "re"].includes(t));
    this.input.placeholder = t === "env" ? "variable name" : ["msg", "flow", "global"].includes(t) ? "property" : "";
    this.validate();
  }

  changed() {
    this.validate();
    if (this.onChange) this.onChange();
  }

  /** Show and return the current problem (null when valid). */
  validate() {
    const problem = this.type === "cred" || this.type === "bool" || TYPES[this.type]?.noValue ? null : validateTyped(this.type, this.input.value);
    const shown = problem && !(this.type !== "num" && this.input.value === "" && this.type !== "msg");
    this.error.textContent = shown ? problem : "";
    this.el.classList.toggle("invalid", !!shown);
    return shown ? problem : null;
  }

  focus() {
    (this.type === "bool" ? this.boolSelect : this.type === "cred" ? this.password : this.input).focus();
  }

  /**
   * A larger editor for JSON / JSONata values (a code editor: JSON with its syntax errors
   * marked, JSONata with bracket matching), with formatting for JSON.
   */
  openEditor() {
    let text = this.input.value;
    if (this.type === "json") {
      try {
        text = JSON.stringify(JSON.parse(text), null, 4);
      } catch { /* keep as typed */ }
    }
    const problem = h("div", { class: "ti-error" });
    // The code editor marks JSON errors itself (with line and column); the textarea it falls back to does not.
    const check = () => {
      const p = this.type === "json" ? validateTyped("json", area.value) : null;
      problem.textContent = p && !area.enhanced ? p : "";
      return !p;
    };
    const area = new CodeEditor({ value: text, mode: this.type === "jsonata" ? "jsonata" : "json", lint: this.type === "json",
      label: "Value", rows: 16, autofocus: true, onChange: check });
    const buttons = [];
    if (this.type === "json") {
      buttons.push({ label: "Format", onClick: () => {
        try {
          area.value = JSON.stringify(JSON.parse(area.value), null, 4);
        } catch { check(); }
      } });
      buttons.push({ spacer: true });
    }
    buttons.push({ label: "Cancel", onClick: (close) => close() });
    buttons.push({ label: "Done", kind: "primary", onClick: (close) => {
      if (!check() && this.type === "json") return;
      let v = area.value;
      if (this.type === "json") {
        try {
          v = JSON.stringify(JSON.parse(v));
        } catch { /* checked above */ }
      }
      this.input.value = v;
      this.changed();
      close();
    } });
    openDialog({ title: this.type === "json" ? "JSON editor" : "Expression editor", body: [area.el, problem], buttons, width: 640,
      className: "code-dialog" });
  }
}
