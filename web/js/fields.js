// Form fields for the edit tray, built from a node type's JSON schema, and the special editors
// Node-RED has for some nodes (inject props, change and switch rules, debug output, the OpenAI
// API node's method picker, config node pickers).
//
// Every field is {el, key, collect(out, creds) -> [problems]}: collect writes the field's
// value(s) into the node copy `out` and typed credentials into `creds`.

import { h, clear } from "./dom.js";
import { TypedInput, DEFAULT_TYPES, validateTyped } from "./typedinput.js";
import { CodeEditor } from "./codeeditor.js";
import { resolveRef } from "./nodetypes.js";

const LABELS = {
  name: "Name", property: "Property", service: "Service", method: "Method", output: "Output",
  apiBase: "Base URL", secureApiKeyHeaderOrQueryName: "Key header / query name", secureApiKeyValue: "API key",
  secureApiKeyIsQuery: "Send the key as a query parameter", organizationId: "Organization", projectId: "Project",
  maxRetries: "Max retries", timeout: "Timeout", func: "Function", outputs: "Outputs", headers: "Headers",
  resultFormat: "Result format", allPages: "All pages", allowApiKeyFromMsg: "Allow msg.apiKey",
  defaultModel: "Default model", defaultVoice: "Default voice", defaultInstructions: "Default instructions",
  defaultLanguage: "Default language", defaultVoiceAccent: "Voice accent", defaultVoiceTone: "Voice tone",
  clientSecretTtl: "Client secret TTL (s)", url: "URL", info: "Text", template: "Template", field: "Set property",
  initialize: "On start", finalize: "On stop", statusCode: "Status code", tosidebar: "To debug window",
  console: "To system console", tostatus: "To node status", checkall: "Mode", repair: "Recreate message sequences",
  user: "Username", password: "Password",
  libs: "Modules",
};

const MULTILINE = new Set(["func", "initialize", "finalize", "template", "info", "reduceExp", "swaggerDoc"]);

/** The code editor's language of a multi-line field, by node type and key (as Node-RED's editors). */
const CODE_MODES = {
  function: { func: "javascript", initialize: "javascript", finalize: "javascript" },
  "python-function": { func: "python", initialize: "python", finalize: "python" },
  join: { reduceExp: "jsonata" },
};

/** The template node's "format" (Node-RED's Syntax Highlight choice) to a code editor mode. */
export const TEMPLATE_FORMATS = {
  handlebars: "mustache", html: "html", json: "json", javascript: "javascript", css: "css", markdown: "text",
  python: "python", sql: "text", yaml: "yaml", text: "text",
};

/** The code editor mode of field key of node ("text" for plain text). */
export function codeMode(node, key) {
  if (node.type === "template" && key === "template") return TEMPLATE_FORMATS[node.format || "handlebars"] || "text";
  return CODE_MODES[node.type]?.[key] || "text";
}

/** A label for a schema property. */
export function fieldLabel(key, prop) {
  if (LABELS[key]) return LABELS[key];
  const raw = key.replace(/([a-z0-9])([A-Z])/g, "$1 $2").replace(/[_-]+/g, " ").toLowerCase();
  return raw.charAt(0).toUpperCase() + raw.slice(1);
}

/** The JSON type of a schema property (anyOf with null unwrapped). */
export function schemaType(prop) {
  if (!prop) return { type: "any", nullable: false };
  if (Array.isArray(prop.anyOf)) {
    const nonNull = prop.anyOf.filter((p) => p.type !== "null");
    const nullable = nonNull.length !== prop.anyOf.length;
    if (nonNull.length === 1) return { ...schemaType(nonNull[0]), nullable, enum: prop.enum || nonNull[0].enum };
    return { type: "any", nullable };
  }
  if (Array.isArray(prop.type)) {
    const nonNull = prop.type.filter((t) => t !== "null");
    return { type: nonNull.length === 1 ? nonNull[0] : "any", nullable: nonNull.length !== prop.type.length, enum: prop.enum };
  }
  return { type: prop.type || (prop.$ref ? "object" : "any"), nullable: false, enum: prop.enum };
}

function row(key, label, control, { help = "", wide = false, id = null } = {}) {
  return h("div", { class: ["form-row", wide && "form-row-wide"], dataset: { field: key } },
    h("label", { class: "form-label", for: id }, label),
    h("div", { class: "form-control" }, control,
      help ? h("div", { class: "form-help" }, help) : null,
      h("div", { class: "form-error", role: "alert" })));
}

let fieldSeq = 0;
const fid = (key) => `f-${key.replace(/[^a-z0-9]/gi, "-")}-${++fieldSeq}`;

/** A plain field for one schema property. */
export function plainField(node, key, prop, schema) {
  const p = resolveRef(schema, prop);
  const t = schemaType(p);
  const id = fid(key);
  const value = node[key];
  const label = fieldLabel(key, p);
  const help = p?.description || "";
  if (t.enum && t.enum.length) {
    const select = h("select", { id, class: "input" }, t.enum.map((v) => h("option", { value: String(v) }, String(v))));
    select.value = value === undefined || value === null ? String(p.default ?? t.enum[0]) : String(value);
    if (select.selectedIndex < 0) select.value = String(p.default ?? t.enum[0]);  // "" or unknown: the default
    return { key, el: row(key, label, select, { help, id }), collect: (out) => {
      const raw = select.value;
      out[key] = t.type === "integer" || t.type === "number" ? Number(raw) : raw;
      return [];
    } };
  }
  if (t.type === "boolean") {
    const box = h("input", { type: "checkbox", id });
    box.checked = value === true || value === "true";
    const control = h("label", { class: "checkbox-label" }, box, h("span", null, help || label));
    return { key, el: row(key, label, control, { id }), collect: (out) => {
      out[key] = box.checked;
      return [];
    } };
  }
  if (t.type === "number" || t.type === "integer") {
    const input = h("input", { type: "number", id, class: "input input-number", step: t.type === "integer" ? "1" : "any",
      min: p.minimum ?? p.exclusiveMinimum ?? null, max: p.maximum ?? null });
    input.value = value === undefined || value === null ? "" : String(value);
    return { key, el: row(key, label, input, { help, id }), collect: (out) => {
      const raw = input.value.trim();
      if (raw === "") {
        if (t.nullable) out[key] = null;
        else if (p.default !== undefined) out[key] = p.default;
        return [];
      }
      const n = Number(raw);
      if (!Number.isFinite(n)) return [{ key, message: "not a number" }];
      if (t.type === "integer" && !Number.isInteger(n)) return [{ key, message: "a whole number is needed" }];
      if (p.minimum !== undefined && n < p.minimum) return [{ key, message: `at least ${p.minimum}` }];
      if (p.maximum !== undefined && n > p.maximum) return [{ key, message: `at most ${p.maximum}` }];
      out[key] = n;
      return [];
    } };
  }
  if (t.type === "object" || t.type === "array") {
    const area = new CodeEditor({ value: value === undefined || value === null ? "" : JSON.stringify(value, null, 2),
      mode: "json", lint: true, id, label: `${label} (JSON)`, rows: 5 });
    return { key, editor: area, el: row(key, `${label} (JSON)`, area.el, { help, id, wide: true }), collect: (out) => {
      const raw = area.value.trim();
      if (raw === "") {
        if (value !== undefined) out[key] = t.type === "array" ? [] : t.nullable ? null : {};
        return [];
      }
      try {
        out[key] = JSON.parse(raw);
      } catch (err) {
        return [{ key, message: `invalid JSON: ${err.message}` }];
      }
      return [];
    } };
  }
  const multiline = MULTILINE.has(key);
  const text = value === undefined || value === null ? "" : typeof value === "string" ? value : JSON.stringify(value);
  if (multiline && key !== "info") {
    const mode = codeMode(node, key);
    const api = node.type === "function" || node.type === "python-function" ? node.type : null;
    const code = new CodeEditor({ value: text, mode, mustache: node.type === "template" && node.syntax !== "plain",
      lint: api !== null, api, id, label, rows: key === "func" ? 14 : 6 });
    return { key, editor: code, syntaxErrors: () => code.syntaxErrors(), edited: () => code.value !== text,
      el: row(key, label, code.el, { help, id, wide: true }),
      collect: textCollector(key, t, value, code) };
  }
  const input = multiline
    ? h("textarea", { id, class: "input", rows: 6, spellcheck: "true" })
    : h("input", { type: "text", id, class: "input", autocomplete: "off" });
  input.value = text;
  return { key, el: row(key, label, input, { help, id, wide: multiline }), collect: textCollector(key, t, value, input) };
}

/** collect() of a text field: input's value (anything with .value), JSON for untyped non-strings. */
function textCollector(key, t, value, input) {
  return (out) => {
    const raw = input.value;
    if (raw === "" && t.nullable && (value === null || value === undefined)) {
      if (value === null) out[key] = null;
      return [];
    }
    if (t.type === "any" && value !== undefined && typeof value !== "string" && raw !== "") {
      try {
        out[key] = JSON.parse(raw);
        return [];
      } catch { /* fall through: keep as text */ }
    }
    out[key] = raw;
    return [];
  };
}

/**
 * The template node's dialog: its code editor follows the format (Syntax Highlight) and syntax
 * (mustache or plain) choices as they change, as Node-RED's template dialog does.
 */
export function followTemplateFormat(fields) {
  const code = fields.find((f) => f.key === "template" && f.editor);
  const format = fields.find((f) => f.key === "format");
  const syntax = fields.find((f) => f.key === "syntax");
  if (!code || !format) return;
  const sync = () => {
    const chosen = {};
    format.collect(chosen, {});
    syntax?.collect(chosen, {});
    code.editor.setMode(codeMode({ type: "template", format: chosen.format }, "template"), chosen.syntax !== "plain");
  };
  format.el.addEventListener("change", sync);
  syntax?.el.addEventListener("change", sync);
}

/**
 * A typed field: value key + type key (and, for Service Host style pairs, a credential that
 * replaces the value when the type is "cred").
 */
export function typedField(node, { key, typeKey, valueKey = key, label, help, types, credKey = null, credSaved = false }) {
  const id = fid(key);
  let type = node[typeKey];
  if (type === undefined || type === null || type === "") type = types[0];
  const ti = new TypedInput({ value: node[valueKey], type, types, id, label, credential: credKey ? { saved: credSaved } : null });
  return { key, ti, el: row(key, label, ti.el, { help, id }), setSaved(saved) {
    ti.password.placeholder = saved ? "(saved)" : "enter a value";
  }, collect: (out, creds) => {
    const problem = ti.validate();
    if (problem) return [{ key, message: problem }];
    out[typeKey] = ti.type;
    if (ti.type === "cred") {
      if (credKey && ti.credential) creds[credKey] = ti.credential;
      if (valueKey !== key) out[valueKey] = node[valueKey] ?? "";
    } else {
      out[valueKey] = ti.value;
    }
    return [];
  } };
}

/** A password field for a credential; empty means "keep the saved one". */
export function credentialField(key, saved) {
  const id = fid(key);
  const input = h("input", { type: "password", id, class: "input", autocomplete: "new-password",
    placeholder: saved ? "(saved)" : "" });
  return { key, el: row(key, fieldLabel(key), input, { id, help: "Stored in the credentials file; never sent back to the editor." }),
    setSaved(s) { input.placeholder = s ? "(saved)" : ""; },
    collect: (out, creds) => {
      if (input.value) creds[key] = input.value;
      return [];
    } };
}

// ---- config node picker ---------------------------------------------------------------------

/**
 * A select of config nodes of one type, with "Add new <type>…" and an edit button.
 * ctx.configNodes(type) lists them; ctx.editConfig(id|null, type) opens the config form
 * and resolves to the id chosen/created (or null).
 */
export function configPicker(node, key, configType, ctx, { label, help }) {
  const id = fid(key);
  const select = h("select", { id, class: "input" });
  const fill = (value) => {
    clear(select);
    select.append(h("option", { value: "" }, "none"));
    for (const c of ctx.configNodes(configType)) select.append(h("option", { value: c.id }, ctx.label(c.id)));
    if (value && !ctx.configNodes(configType).some((c) => c.id === value)) {
      select.append(h("option", { value }, `unknown: ${value}`));
    }
    select.append(h("option", { value: "__add__" }, `Add new ${configType}…`));
    select.value = value || "";
  };
  fill(node[key]);
  let current = select.value;
  const edit = h("button", { type: "button", class: "btn btn-icon", title: `Edit this ${configType}`, "aria-label": `Edit ${configType}` }, "✎");
  const open = async (which) => {
    const chosen = await ctx.editConfig(which, configType);
    fill(chosen || current);
    current = select.value;
    edit.disabled = !select.value;
  };
  select.addEventListener("change", () => {
    if (select.value === "__add__") {
      select.value = current;
      open(null);
    } else {
      current = select.value;
      edit.disabled = !select.value;
    }
  });
  edit.disabled = !select.value;
  edit.addEventListener("click", () => select.value && open(select.value));
  const control = h("div", { class: "input-group" }, select, edit);
  return { key, el: row(key, label, control, { help, id }), select, collect: (out) => {
    out[key] = select.value === "__add__" ? current : select.value;
    return [];
  } };
}

// ---- method picker (grouped, searchable) -------------------------------------------------------

/** A searchable combobox over grouped values: groups [{group, methods: []}]. */
export function methodPicker(node, key, { label, help, groups, values }) {
  const id = fid(key);
  const listId = `${id}-list`;
  if (!groups || !groups.length) groups = [{ group: "", methods: values || [] }];
  const known = new Set(groups.flatMap((g) => g.methods));
  const input = h("input", { type: "text", id, class: "input method-input", role: "combobox", "aria-expanded": "false",
    "aria-controls": listId, "aria-autocomplete": "list", autocomplete: "off", spellcheck: "false", placeholder: "search methods…" });
  input.value = node[key] || "";
  const list = h("div", { class: "method-list", id: listId, role: "listbox", hidden: true });
  let active = -1;
  let options = [];
  const groupOf = new Map(groups.flatMap((g) => g.methods.map((m) => [m, g.group])));
  const badge = h("span", { class: "method-group-badge" });
  const updateBadge = () => {
    badge.textContent = groupOf.get(input.value) || (input.value && !known.has(input.value) ? "unknown method" : "");
    badge.classList.toggle("unknown", !!input.value && !known.has(input.value));
  };
  const render = () => {
    clear(list);
    options = [];
    const q = input.value.trim().toLowerCase();
    const showAll = !q || known.has(input.value);
    for (const g of groups) {
      const matchGroup = g.group.toLowerCase().includes(q);
      const items = showAll || matchGroup ? g.methods : g.methods.filter((m) => m.toLowerCase().includes(q));
      if (!items.length) continue;
      list.append(h("div", { class: "method-group", role: "presentation" }, g.group));
      for (const m of items) {
        const opt = h("div", { class: ["method-option", m === node[key] && "current"], role: "option", id: `${id}-o${options.length}`,
          dataset: { value: m }, "aria-selected": "false" }, m);
        opt.addEventListener("pointerdown", (e) => {
          e.preventDefault();
          pick(m);
        });
        options.push(opt);
        list.append(opt);
      }
    }
    if (!options.length) list.append(h("div", { class: "method-empty" }, "No method matches"));
    setActive(options.findIndex((o) => o.dataset.value === input.value));
  };
  const setActive = (i) => {
    options[active]?.classList.remove("active");
    options[active]?.setAttribute("aria-selected", "false");
    active = i;
    const opt = options[active];
    if (opt) {
      opt.classList.add("active");
      opt.setAttribute("aria-selected", "true");
      opt.scrollIntoView({ block: "nearest" });
      input.setAttribute("aria-activedescendant", opt.id);
    } else {
      input.removeAttribute("aria-activedescendant");
    }
  };
  const openList = () => {
    list.hidden = false;
    input.setAttribute("aria-expanded", "true");
    render();
  };
  const closeList = () => {
    list.hidden = true;
    input.setAttribute("aria-expanded", "false");
  };
  const pick = (m) => {
    input.value = m;
    closeList();
    updateBadge();
    input.dispatchEvent(new Event("change", { bubbles: true }));
  };
  input.addEventListener("focus", openList);
  input.addEventListener("click", openList);
  input.addEventListener("input", () => {
    openList();
    updateBadge();
    if (input.value.trim()) setActive(0);
  });
  input.addEventListener("blur", () => setTimeout(closeList, 100));
  input.addEventListener("keydown", (e) => {
    if (e.key === "ArrowDown") {
      e.preventDefault();
      if (list.hidden) openList();
      setActive(Math.min(options.length - 1, active + 1));
    } else if (e.key === "ArrowUp") {
      e.preventDefault();
      setActive(Math.max(0, active - 1));
    } else if (e.key === "Enter" && !list.hidden && options[active]) {
      e.preventDefault();
      e.stopPropagation();
      pick(options[active].dataset.value);
    } else if (e.key === "Escape" && !list.hidden) {
      e.preventDefault();
      e.stopPropagation();
      closeList();
    }
  });
  updateBadge();
  const control = h("div", { class: "method-picker" }, h("div", { class: "input-group" }, input, badge), list);
  return { key, el: row(key, label, control, { help, id }), input, collect: (out) => {
    const v = input.value.trim();
    if (v && known.size && !known.has(v)) return [{ key, message: `unknown method "${v}"` }];
    out[key] = v;
    return [];
  } };
}

/** A text field with suggestions (when a schema has no enum for a known list). */
export function datalistField(node, key, { label, help, values }) {
  const id = fid(key);
  const listId = `${id}-dl`;
  const input = h("input", { type: "text", id, class: "input", list: listId, autocomplete: "off" });
  input.value = node[key] || "";
  const dl = h("datalist", { id: listId }, values.map((v) => h("option", { value: v })));
  return { key, el: row(key, label, h("div", null, input, dl), { help, id }), collect: (out) => {
    out[key] = input.value.trim();
    return [];
  } };
}

// ---- list editors -------------------------------------------------------------------------

function listEditor({ className, addLabel, rows, makeRow, sortable = true }) {
  const list = h("ol", { class: ["edit-list", className] });
  const items = [];
  const renumber = () => items.forEach((it, i) => it.onIndex?.(i));
  const add = (data, focus = false) => {
    const item = makeRow(data);
    const remove = h("button", { type: "button", class: "btn btn-icon edit-list-remove", title: "Remove", "aria-label": "Remove" }, "×");
    const up = h("button", { type: "button", class: "btn btn-icon", title: "Move up", "aria-label": "Move up" }, "↑");
    const li = h("li", { class: "edit-list-item" }, sortable ? h("div", { class: "edit-list-handle" }, up) : null,
      h("div", { class: "edit-list-content" }, item.el), remove);
    item.li = li;
    remove.addEventListener("click", () => {
      items.splice(items.indexOf(item), 1);
      li.remove();
      renumber();
      editor.onChange?.();
    });
    up.addEventListener("click", () => {
      const i = items.indexOf(item);
      if (i <= 0) return;
      items.splice(i, 1);
      items.splice(i - 1, 0, item);
      li.previousElementSibling.before(li);
      renumber();
      editor.onChange?.();
    });
    items.push(item);
    list.append(li);
    renumber();
    if (focus) item.focus?.();
    editor.onChange?.();
  };
  const addButton = h("button", { type: "button", class: "btn btn-small edit-list-add" }, `+ ${addLabel}`);
  addButton.addEventListener("click", () => add(null, true));
  const editor = { el: h("div", { class: "edit-list-wrap" }, list, addButton), items, add, onChange: null };
  for (const r of rows) add(r);
  return editor;
}

const PROP_TYPES = ["flow", "global", "str", "num", "bool", "json", "bin", "date", "jsonata", "env"];

/** The inject node: props list, once, repeat. */
export function injectEditor(node) {
  const props = Array.isArray(node.props) ? node.props : [{ p: "payload" }, { p: "topic", vt: "str" }];
  const editor = listEditor({
    className: "inject-props",
    addLabel: "add",
    rows: props,
    makeRow: (prop) => {
      prop = prop || { p: "", v: "", vt: "str" };
      let v = prop.v;
      let vt = prop.vt;
      if (prop.p === "payload" && (v === undefined || v === null)) {
        v = node.payload ?? "";
        vt = node.payloadType ?? "date";
      } else if (prop.p === "topic" && (v === undefined || v === null) && (vt === "str" || !vt)) {
        v = node.topic ?? "";
        vt = "str";
      }
      const name = h("input", { type: "text", class: "input prop-name", "aria-label": "msg property", value: prop.p || "", spellcheck: "false" });
      name.value = prop.p || "";
      const ti = new TypedInput({ value: v ?? "", type: vt || "str", types: PROP_TYPES, label: `value of msg.${prop.p || ""}` });
      name.addEventListener("input", () => ti.input.setAttribute("aria-label", `value of msg.${name.value}`));
      return {
        el: h("div", { class: "prop-row", dataset: { prop: prop.p || "" } }, h("span", { class: "prop-prefix" }, "msg."), name, h("span", { class: "prop-eq" }, "="), ti.el),
        focus: () => name.focus(),
        collect: () => ({ p: name.value.trim(), v: ti.value, vt: ti.type, problem: ti.validate() }),
      };
    },
  });
  const id = fid("once");
  const once = h("input", { type: "checkbox", id });
  once.checked = node.once === true || node.once === "true";
  const onceDelay = h("input", { type: "number", class: "input input-number input-short", step: "any", min: "0", "aria-label": "seconds after deploy" });
  onceDelay.value = String(node.onceDelay ?? 0.1);
  const repeatMode = h("select", { class: "input input-auto", "aria-label": "Repeat" },
    h("option", { value: "none" }, "none"), h("option", { value: "interval" }, "interval"), h("option", { value: "cron" }, "crontab"));
  const interval = h("input", { type: "number", class: "input input-number input-short", min: "0", step: "any", "aria-label": "every" });
  const units = h("select", { class: "input input-auto", "aria-label": "unit" },
    h("option", { value: "1" }, "seconds"), h("option", { value: "60" }, "minutes"), h("option", { value: "3600" }, "hours"));
  const cron = h("input", { type: "text", class: "input", placeholder: "*/5 * * * *", "aria-label": "crontab", spellcheck: "false" });
  cron.value = node.crontab || "";
  const repeat = Number(node.repeat);
  if (node.repeat !== "" && node.repeat !== undefined && Number.isFinite(repeat) && repeat > 0) {
    repeatMode.value = "interval";
    const unit = repeat % 3600 === 0 ? 3600 : repeat % 60 === 0 ? 60 : 1;
    units.value = String(unit);
    interval.value = String(repeat / unit);
  } else if (node.crontab) {
    repeatMode.value = "cron";
  }
  const intervalBox = h("span", { class: "inline-group" }, "every", interval, units);
  const cronBox = h("span", { class: "inline-group" }, cron);
  const sync = () => {
    intervalBox.hidden = repeatMode.value !== "interval";
    cronBox.hidden = repeatMode.value !== "cron";
  };
  repeatMode.addEventListener("change", sync);
  sync();
  const el = h("div", { class: "special-editor" },
    h("div", { class: "form-row form-row-wide", dataset: { field: "props" } },
      h("div", { class: "form-label" }, "Properties"),
      h("div", { class: "form-control" }, editor.el, h("div", { class: "form-error", role: "alert" }))),
    h("div", { class: "form-row", dataset: { field: "once" } }, h("div", { class: "form-label" }, ""),
      h("div", { class: "form-control inline-group" }, h("label", { class: "checkbox-label" }, once, h("span", null, "Inject once after")), onceDelay, "seconds, then")),
    h("div", { class: "form-row", dataset: { field: "repeat" } }, h("label", { class: "form-label" }, "Repeat"),
      h("div", { class: "form-control inline-group" }, repeatMode, intervalBox, cronBox, h("div", { class: "form-error", role: "alert" }))));
  return { key: "props", el, collect: (out) => {
    const problems = [];
    const list = [];
    for (const item of editor.items) {
      const { p, v, vt, problem } = item.collect();
      if (!p) {
        problems.push({ key: "props", message: "a property name is empty" });
        continue;
      }
      if (problem) problems.push({ key: "props", message: `msg.${p}: ${problem}` });
      if (p === "payload") {
        out.payload = v;
        out.payloadType = vt;
        list.push({ p: "payload" });
      } else if (p === "topic" && vt === "str") {
        out.topic = v;
        list.push({ p: "topic", vt: "str" });
      } else {
        list.push({ p, v, vt });
      }
    }
    out.props = list;
    out.once = once.checked;
    out.onceDelay = Number(onceDelay.value) || 0.1;
    out.repeat = "";
    out.crontab = "";
    if (repeatMode.value === "interval") {
      const n = Number(interval.value) * Number(units.value);
      if (!Number.isFinite(n) || n <= 0) problems.push({ key: "repeat", message: "the interval must be a positive number" });
      else out.repeat = String(n);
    } else if (repeatMode.value === "cron") {
      out.crontab = cron.value.trim();
    }
    return problems;
  } };
}

const CHANGE_ACTIONS = [["set", "Set"], ["change", "Change"], ["delete", "Delete"], ["move", "Move"]];

/** The change node's rules. */
export function changeEditor(node) {
  const rules = Array.isArray(node.rules) && node.rules.length ? node.rules : [{ t: "set", p: "payload", pt: "msg", to: "", tot: "str" }];
  const editor = listEditor({
    className: "change-rules",
    addLabel: "add",
    rows: rules,
    makeRow: (rule) => {
      rule = rule || { t: "set", p: "", pt: "msg", to: "", tot: "str" };
      const action = h("select", { class: "input input-auto", "aria-label": "action" }, CHANGE_ACTIONS.map(([v, l]) => h("option", { value: v }, l)));
      action.value = rule.t || "set";
      const prop = new TypedInput({ value: rule.p ?? "", type: rule.pt || "msg", types: ["msg", "flow", "global"], label: "property" });
      // Each action has its own inputs (one element can sit in one row only), as Node-RED's
      // change node dialog: set → "to the value", change → "search for" + "replace with".
      const t0 = rule.t || "set";
      const to = new TypedInput({ value: t0 === "set" ? rule.to ?? "" : "", type: t0 === "set" ? rule.tot || "str" : "str",
        types: ["msg", "flow", "global", "str", "num", "bool", "json", "bin", "date", "jsonata", "env"], label: "to the value" });
      const from = new TypedInput({ value: rule.from ?? "", type: rule.fromt || "str", types: ["msg", "flow", "global", "str", "re", "num", "bool", "env"], label: "search for" });
      const repl = new TypedInput({ value: t0 === "change" ? rule.to ?? "" : "", type: t0 === "change" ? rule.tot || "str" : "str",
        types: ["msg", "flow", "global", "str", "num", "bool", "json", "bin", "env"], label: "replace with" });
      const moveTo = new TypedInput({ value: rule.t === "move" ? rule.to ?? "" : "", type: rule.t === "move" ? rule.tot || "msg" : "msg", types: ["msg", "flow", "global"], label: "move to" });
      const dc = h("input", { type: "checkbox" });
      dc.checked = !!rule.dc;
      const toRow = h("div", { class: "rule-line" }, h("span", { class: "rule-word" }, "to the value"), to.el);
      const dcRow = h("label", { class: "checkbox-label rule-dc" }, dc, h("span", null, "deep copy value"));
      const fromRow = h("div", { class: "rule-line" }, h("span", { class: "rule-word" }, "Search for"), from.el);
      const replRow = h("div", { class: "rule-line" }, h("span", { class: "rule-word" }, "Replace with"), repl.el);
      const moveRow = h("div", { class: "rule-line" }, h("span", { class: "rule-word" }, "to"), moveTo.el);
      const body = h("div", { class: "rule-body" });
      const sync = () => {
        clear(body);
        const t = action.value;
        if (t === "set") body.append(toRow, dcRow);
        else if (t === "change") body.append(fromRow, replRow);
        else if (t === "move") body.append(moveRow);
        dcRow.hidden = !["msg", "flow", "global"].includes(to.type);
      };
      to.typeSelect.addEventListener("change", sync);
      action.addEventListener("change", sync);
      sync();
      return {
        el: h("div", { class: "rule-row" }, h("div", { class: "rule-line" }, action, prop.el), body),
        focus: () => prop.focus(),
        collect: () => {
          const t = action.value;
          const r = { t, p: prop.value, pt: prop.type };
          const problems = [prop.validate()];
          if (t === "set") {
            Object.assign(r, { to: to.value, tot: to.type });
            if (dc.checked && ["msg", "flow", "global"].includes(to.type)) r.dc = true;
            problems.push(to.validate());
          } else if (t === "change") {
            Object.assign(r, { from: from.value, fromt: from.type, to: repl.value, tot: repl.type });
            problems.push(from.validate(), repl.validate());
          } else if (t === "move") {
            Object.assign(r, { to: moveTo.value, tot: moveTo.type });
            problems.push(moveTo.validate());
          }
          return { rule: r, problem: problems.find(Boolean) || null };
        },
      };
    },
  });
  return { key: "rules", el: h("div", { class: "form-row form-row-wide", dataset: { field: "rules" } },
    h("div", { class: "form-label" }, "Rules"),
    h("div", { class: "form-control" }, editor.el, h("div", { class: "form-error", role: "alert" }))),
  collect: (out) => {
    const problems = [];
    out.rules = editor.items.map((item, i) => {
      const { rule, problem } = item.collect();
      if (problem) problems.push({ key: "rules", message: `rule ${i + 1}: ${problem}` });
      return rule;
    });
    for (const legacy of ["action", "property", "from", "to", "reg"]) if (legacy in out) out[legacy] = legacy === "reg" ? false : "";
    return problems;
  } };
}

const SWITCH_OPS = [
  ["eq", "=="], ["neq", "!="], ["lt", "<"], ["lte", "<="], ["gt", ">"], ["gte", ">="], ["btwn", "is between"],
  ["cont", "contains"], ["regex", "matches regex"], ["true", "is true"], ["false", "is false"], ["null", "is null"],
  ["nnull", "is not null"], ["istype", "is of type"], ["empty", "is empty"], ["nempty", "is not empty"],
  ["head", "head"], ["index", "index between"], ["tail", "tail"], ["hask", "has key"], ["jsonata_exp", "JSONata exp"],
  ["else", "otherwise"],
];
const NO_VALUE = new Set(["true", "false", "null", "nnull", "empty", "nempty", "else"]);

/** The switch node: property, rules (one output each), mode. Outputs follow the rules. */
export function switchEditor(node, schema) {
  const prop = typedField(node, { key: "property", typeKey: "propertyType", label: "Property",
    types: ["msg", "flow", "global", "jsonata", "env"], help: "" });
  const wiresBefore = Array.isArray(node.wires) ? node.wires : [];
  const rules = Array.isArray(node.rules) ? node.rules : [];
  const editor = listEditor({
    className: "switch-rules",
    addLabel: "add",
    rows: rules.map((r, i) => ({ ...r, __index: i })),
    makeRow: (rule) => {
      rule = rule || { t: "eq", v: "", vt: "str" };
      const op = h("select", { class: "input input-auto", "aria-label": "operator" }, SWITCH_OPS.map(([v, l]) => h("option", { value: v }, l)));
      op.value = rule.t || "eq";
      const valueTypes = ["msg", "flow", "global", "str", "num", "jsonata", "env", "prev"];
      const v1 = new TypedInput({ value: rule.v ?? "", type: rule.vt || (rule.t === "istype" ? "string" : "str"),
        types: rule.t === "istype" ? ["string", "number", "boolean", "array", "buffer", "object", "json", "undefined", "null"] : valueTypes, label: "value" });
      const v2 = new TypedInput({ value: rule.v2 ?? "", type: rule.v2t || "num", types: valueTypes, label: "second value" });
      const ci = h("input", { type: "checkbox" });
      ci.checked = !!rule.case;
      const and = h("span", { class: "rule-word" }, "and");
      const ciLabel = h("label", { class: "checkbox-label" }, ci, h("span", null, "ignore case"));
      const outLabel = h("span", { class: "rule-output", title: "output" });
      const sync = () => {
        const t = op.value;
        v1.el.hidden = NO_VALUE.has(t);
        v2.el.hidden = !(t === "btwn" || t === "index");
        and.hidden = v2.el.hidden;
        ciLabel.hidden = t !== "regex";
        if (t === "istype" && !["string", "number", "boolean", "array", "buffer", "object", "json", "undefined", "null"].includes(v1.type)) v1.type = "string";
      };
      op.addEventListener("change", sync);
      sync();
      return {
        origIndex: rule.__index ?? null,
        onIndex: (i) => { outLabel.textContent = `→ ${i + 1}`; },
        el: h("div", { class: "rule-row switch-rule" }, h("div", { class: "rule-line" }, op, v1.el, and, v2.el, ciLabel, outLabel)),
        focus: () => op.focus(),
        collect: () => {
          const t = op.value;
          const r = { t };
          const problems = [];
          if (!NO_VALUE.has(t)) {
            r.v = v1.value;
            r.vt = v1.type;
            if (t !== "istype") problems.push(v1.validate());
          }
          if (t === "btwn" || t === "index") {
            r.v2 = v2.value;
            r.v2t = v2.type;
            problems.push(v2.validate());
          }
          if (t === "regex") r.case = ci.checked;
          return { rule: r, problem: problems.find(Boolean) || null };
        },
      };
    },
  });
  const checkall = h("select", { class: "input input-auto", "aria-label": "mode" },
    h("option", { value: "true" }, "checking all rules"), h("option", { value: "false" }, "stopping after first match"));
  checkall.value = String(node.checkall ?? "true") === "false" ? "false" : "true";
  const repair = h("input", { type: "checkbox" });
  repair.checked = !!node.repair;
  const count = h("span", { class: "form-help outputs-count" });
  const updateCount = () => {
    count.textContent = `${editor.items.length} output${editor.items.length === 1 ? "" : "s"}`;
  };
  editor.onChange = updateCount;
  updateCount();
  const el = h("div", { class: "special-editor" }, prop.el,
    h("div", { class: "form-row form-row-wide", dataset: { field: "rules" } }, h("div", { class: "form-label" }, "Rules"),
      h("div", { class: "form-control" }, editor.el, count, h("div", { class: "form-error", role: "alert" }))),
    h("div", { class: "form-row", dataset: { field: "checkall" } }, h("div", { class: "form-label" }, "Mode"), h("div", { class: "form-control" }, checkall)),
    h("div", { class: "form-row", dataset: { field: "repair" } }, h("div", { class: "form-label" }, ""),
      h("div", { class: "form-control" }, h("label", { class: "checkbox-label" }, repair, h("span", null, "recreate message sequences")))));
  return { key: "rules", el, collect: (out, creds) => {
    const problems = prop.collect(out, creds);
    out.rules = editor.items.map((item, i) => {
      const { rule, problem } = item.collect();
      if (problem) problems.push({ key: "rules", message: `rule ${i + 1}: ${problem}` });
      return rule;
    });
    out.checkall = checkall.value;
    out.repair = repair.checked;
    out.outputs = editor.items.length;
    // Wires follow their rule when rules are removed or reordered.
    out.wires = editor.items.map((item) => (item.origIndex !== null && Array.isArray(wiresBefore[item.origIndex]) ? [...wiresBefore[item.origIndex]] : []));
    return problems;
  } };
}

/** The debug node's output: msg property, the complete msg, or a JSONata expression. */
export function debugOutputField(node) {
  let type = node.targetType;
  let value = node.complete;
  if (value === true || value === "true") {
    type = "full";
    value = "";
  } else if (type !== "jsonata") {
    type = "msg";
    value = !value || value === "false" ? "payload" : value;
  }
  const ti = new TypedInput({ value, type, types: ["msg", "full", "jsonata"], label: "Output" });
  return { key: "complete", el: row("complete", "Output", ti.el), collect: (out) => {
    const problem = ti.validate();
    if (problem) return [{ key: "complete", message: problem }];
    if (ti.type === "full") {
      out.complete = "true";
      out.targetType = "full";
    } else if (ti.type === "jsonata") {
      out.complete = ti.value;
      out.targetType = "jsonata";
    } else {
      out.complete = ti.value === "payload" ? "payload" : ti.value;
      out.targetType = "msg";
    }
    return [];
  } };
}

export { DEFAULT_TYPES, validateTyped };
