// Tabs of an edit form, as Node-RED's function node dialog (10-function.html: Setup, On Start,
// On Message, On Stop), from the node type's JSON schema: each property's "x-tab" names its
// tab, the schema's "x-tabs" gives their order and "x-tab-default" the one shown first.
// Every tab's fields are made once and only hidden, so a code editor keeps its text, undo
// history and cursor across switches. A tab whose code has syntax errors is marked.

import { h } from "./dom.js";

let tabsSeq = 0;

/**
 * The tabs of a form, or null when the schema names none.
 * schema: the node type's JSON schema; fields: the form's fields ({el, key, editor?}), in order.
 * Returns {el, has(field), select(name), showField(key), tabOf(key), selected()}: el holds
 * the tab bar and one panel per tab with its fields' elements; fields of no tab are left out.
 */
export function formTabs(schema, fields) {
  const props = schema.properties || {};
  const tabOf = (key) => props[key]?.["x-tab"] || null;
  const names = (schema["x-tabs"] || []).filter((name) => fields.some((f) => tabOf(f.key) === name));
  for (const f of fields) {
    const name = tabOf(f.key);
    if (name && !names.includes(name)) names.push(name);
  }
  if (!names.length) return null;
  const seq = ++tabsSeq;
  const tabs = new Map();
  for (const [i, name] of names.entries()) {
    const id = `form-tab-${seq}-${i}`;
    const members = fields.filter((f) => tabOf(f.key) === name);
    const button = h("button", { type: "button", class: "form-tab", role: "tab", id, "aria-controls": `${id}-panel`,
      dataset: { tab: name }, onClick: () => select(name) }, h("span", { class: "form-tab-label" }, name),
    h("span", { class: "form-tab-marker", "aria-hidden": "true", title: "Syntax error" }, "!"));
    const panel = h("div", { class: "form-tab-panel", role: "tabpanel", id: `${id}-panel`, "aria-labelledby": id,
      dataset: { tab: name } }, members.map((f) => f.el));
    // A tab that is one code field: the editor fills the tab (and the tray's height); the tab names it.
    const [only] = members;
    if (members.length === 1 && only.editor) {
      panel.classList.add("form-tab-code");
      only.el.querySelector(".form-label")?.classList.add("visually-hidden");
    }
    const problems = new Map();
    panel.addEventListener("code-problems", (event) => {
      problems.set(event.target, event.detail.count);
      const count = [...problems.values()].reduce((a, b) => a + b, 0);
      button.classList.toggle("has-syntax-error", count > 0);
      button.setAttribute("aria-label", count ? `${name} (${count} syntax error${count > 1 ? "s" : ""})` : name);
    });
    tabs.set(name, { button, panel, members });
  }
  const bar = h("div", { class: "form-tab-bar", role: "tablist", "aria-label": "Sections" },
    [...tabs.values()].map((t) => t.button));
  bar.addEventListener("keydown", (event) => {
    if (!["ArrowLeft", "ArrowRight", "Home", "End"].includes(event.key)) return;
    const order = [...tabs.keys()];
    const at = order.indexOf(current);
    const next = { ArrowLeft: at - 1, ArrowRight: at + 1, Home: 0, End: order.length - 1 }[event.key];
    const name = order[(next + order.length) % order.length];
    event.preventDefault();
    select(name);
    tabs.get(name).button.focus();
  });
  const el = h("div", { class: "form-tabs" }, bar, [...tabs.values()].map((t) => t.panel));
  let current = null;

  function select(name) {
    if (!tabs.has(name)) return;
    current = name;
    for (const [key, t] of tabs) {
      const on = key === name;
      t.button.setAttribute("aria-selected", String(on));
      t.button.tabIndex = on ? 0 : -1;
      t.button.classList.toggle("selected", on);
      t.panel.hidden = !on;
    }
    for (const f of tabs.get(name).members) f.editor?.refresh?.();
  }

  const first = schema["x-tab-default"];
  select(tabs.has(first) ? first : names[0]);
  const inTabs = new Set([...tabs.values()].flatMap((t) => t.members));
  return {
    el,
    has: (field) => inTabs.has(field),
    select,
    tabOf,
    selected: () => current,
    /** Show the tab of field key (for an error on it); false when the key is in no tab. */
    showField(key) {
      const name = tabOf(key);
      if (!tabs.has(name)) return false;
      select(name);
      return true;
    },
    /** Mark the tabs holding fields with errors (keys), or clear the marks with []. */
    markErrors(keys) {
      const bad = new Set(keys.map(tabOf));
      for (const [name, t] of tabs) t.button.classList.toggle("has-error", bad.has(name));
    },
  };
}
