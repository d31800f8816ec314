// The node edit tray (double-click a node): a form built from the node type's JSON schema,
// with Node-RED's typed inputs and the special editors of fields.js. Config nodes open in a
// tray stacked over the node's tray.
//
// ctx: {model, apply(id, node, creds), remove(id), addConfig(node, creds), configNodes(type),
//       label(id), getCredentialFlags(type, id)}

import { h, clear } from "./dom.js";
import { openTray } from "./dialog.js";
import { typeDef, credentialFields, isBaseField, resolveRef, createNode } from "./nodetypes.js";
import { newId } from "./flows.js";
import { DEFAULT_TYPES } from "./typedinput.js";
import {
  plainField, typedField, credentialField, configPicker, methodPicker, datalistField, injectEditor,
  changeEditor, switchEditor, debugOutputField, fieldLabel, schemaType, followTemplateFormat, TEMPLATE_FORMATS,
} from "./fields.js";
import { linkTargetsField } from "./linkwires.js";
import { subflowEnvField } from "./subflowedit.js";
import { formTabs } from "./formtabs.js";

/** Fields a type's special editor takes care of (or that are legacy and hidden). */
const HIDDEN = {
  inject: ["props", "repeat", "crontab", "once", "onceDelay", "topic", "payload", "payloadType"],
  change: ["rules", "action", "property", "from", "to", "reg"],
  switch: ["property", "propertyType", "rules", "checkall", "repair", "outputs"],
  debug: ["complete", "targetType"],
  function: ["noerr"],        // the editor's own count of syntax errors, not a setting
  "link in": ["links"],       // linkwires.js's target list
  "link out": ["links"],
  "link call": ["links"],
};

/** Fields that are a choice in Node-RED's dialog although the schema has plain text. */
const CHOICES = {
  "link out": { mode: ["link", "return"] },
  "link call": { linkType: ["static", "dynamic"] },
  template: { format: Object.keys(TEMPLATE_FORMATS) },
};

/** Config node references that the schema does not describe in a way we can detect. */
const CONFIG_REFS = { "OpenAI API": { service: "Service Host" } };

/** Typed-input types per field where Node-RED offers a specific list. */
const TYPE_LISTS = {
  template: { field: ["msg", "flow", "global"] },
  join: { property: ["msg", "full"] },
  split: { property: ["msg"] },
  sort: { target: ["msg"], msgKey: ["msg", "jsonata"], seqKey: ["msg", "jsonata"] },
};

/** Fields that are a typed value: [valueKey, typeKey, credKey] found in the schema. */
function typedPairs(props) {
  const pairs = new Map();
  const keys = Object.keys(props);
  for (const key of keys) {
    if (isBaseField(key)) continue;
    const typeKey = [`${key}Type`, `${key}type`, `${key}t`].find((k) => k in props && k !== key);
    if (typeKey) pairs.set(key, { key, valueKey: key, typeKey });
  }
  // Service Host style: XType with X missing and XRef holding the reference (cred = credential X).
  for (const key of keys) {
    const m = /^(.*)Type$/.exec(key);
    if (!m || m[1] in props || pairs.has(m[1])) continue;
    const base = m[1];
    if (`${base}Ref` in props) pairs.set(`${base}Ref`, { key: base, valueKey: `${base}Ref`, typeKey: key, credKey: base });
  }
  return pairs;
}

function helpBlock(text) {
  if (!text) return null;
  const paragraphs = String(text).replace(/\r/g, "").split(/\n\s*\n/).map((p) => p.replace(/^\s+/gm, "").trim()).filter(Boolean);
  return h("details", { class: "node-help" }, h("summary", null, "Help"),
    paragraphs.map((p) => h("p", null, p.replace(/``/g, "").replace(/\*\*/g, ""))));
}

export class NodeEditor {
  constructor(ctx) {
    this.ctx = ctx;
  }

  /** Open the tray for an existing node (or a config node). */
  open(id) {
    const node = this.ctx.model.get(id);
    if (!node) return;
    if (node.type === "group") {
      this.openSimple(node, "group");
      return;
    }
    this.openFor(node, { isNew: false });
  }

  /** Open a form for a node object; resolves to the node id on Done, or null on Cancel. */
  openFor(node, { isNew, onDone = null }) {
    return new Promise((resolve) => {
      const def = typeDef(node.type);
      const schema = def.schema || { properties: {} };
      const props = schema.properties || {};
      const hidden = new Set(HIDDEN[node.type] || []);
      const fields = [];
      const credKeys = credentialFields(node.type);
      const credWidgets = [];
      const pairs = typedPairs(props);
      const pairTypeKeys = new Set([...pairs.values()].map((p) => p.typeKey));
      const pairValueKeys = new Set([...pairs.values()].filter((p) => p.valueKey !== p.key).map((p) => p.valueKey));

      const nameProp = props.name ? props.name : { type: "string" };
      fields.push(plainField(node, "name", { ...nameProp, description: "" }, schema));

      if (node.type === "inject") fields.push(injectEditor(node));
      if (node.type === "change") fields.push(changeEditor(node));
      if (node.type === "switch") fields.push(switchEditor(node, schema));
      if (node.type === "debug") fields.push(debugOutputField(node));

      for (const [key, rawProp] of Object.entries(props)) {
        if (isBaseField(key) || hidden.has(key) || pairTypeKeys.has(key)) continue;
        const prop = resolveRef(schema, rawProp);
        const label = fieldLabel(pairs.get(key)?.key || key, prop);
        const help = prop?.description || "";
        const configType = CONFIG_REFS[node.type]?.[key] || (/id of the (.+?) config(uration)? node/i.exec(help || "") || [])[1];
        if (configType) {
          fields.push(configPicker(node, key, configType, this.configCtx(), { label, help }));
          continue;
        }
        if (key === "method" && node.type === "OpenAI API") {
          const groups = prop["x-groups"];
          const values = prop.enum;
          if (values || groups) fields.push(methodPicker(node, key, { label, help, groups, values }));
          else fields.push(datalistField(node, key, { label, help, values: this.ctx.knownMethods?.() || [] }));
          continue;
        }
        const pair = pairs.get(key);
        if (pair) {
          const typeProp = resolveRef(schema, props[pair.typeKey]);
          const t = schemaType(typeProp);
          const types = TYPE_LISTS[node.type]?.[key] || (t.enum && t.enum.length ? t.enum.map(String) : DEFAULT_TYPES);
          const f = typedField(node, { ...pair, label: fieldLabel(pair.key, prop), help: pair.credKey ? (resolveRef(schema, props[pair.typeKey])?.description || help) : help,
            types, credSaved: false });
          if (pair.credKey) credWidgets.push({ key: pair.credKey, field: f });
          fields.push(f);
          continue;
        }
        if (pairValueKeys.has(key)) continue;
        const choices = CHOICES[node.type]?.[key];
        fields.push(plainField(node, key, choices ? { ...prop, enum: choices } : prop, schema));
      }
      if (node.type === "template") followTemplateFormat(fields);
      if (["link in", "link out", "link call"].includes(node.type)) fields.push(linkTargetsField(node, this.ctx.model));
      if (def.subflow) fields.push(subflowEnvField(node, this.ctx.model.get(def.subflow)));
      const pairCreds = new Set(credWidgets.map((c) => c.key));
      for (const key of credKeys) {
        if (pairCreds.has(key)) continue;
        const f = credentialField(key, false);
        credWidgets.push({ key, field: f });
        fields.push(f);
      }
      // Ask the server which credentials are saved (values are never sent).
      if (credWidgets.length && !isNew && this.ctx.getCredentialFlags) {
        this.ctx.getCredentialFlags(node.type, node.id).then((flags) => {
          const pending = this.ctx.model.credentials.get(node.id) || {};
          for (const { key, field } of credWidgets) field.setSaved(!!flags[`has_${key}`] || key in pending);
        }).catch(() => {});
      } else {
        const pending = this.ctx.model.credentials.get(node.id) || {};
        for (const { key, field } of credWidgets) field.setSaved(key in pending);
      }

      // Description (Node-RED's node "info"), unless the form already has it.
      let info = null;
      if (!("info" in props) && !def.configNode) {
        info = h("textarea", { class: "input", rows: 4, "aria-label": "Description" });
        info.value = typeof node.info === "string" ? node.info : "";
      }

      const errors = this.ctx.model.errors.get(node.id) || [];
      const errorBox = h("div", { class: "form-errors", role: "alert", hidden: !errors.length },
        errors.length ? h("strong", null, "The last deploy rejected this node:") : null,
        h("ul", null, errors.map((e) => h("li", null, e.field ? `${e.field}: ${e.message}` : e.message))));

      // Fields the schema puts in tabs (function, python-function) go where the first of them was.
      const tabs = formTabs(schema, fields);
      const firstTabbed = tabs ? fields.findIndex((f) => tabs.has(f)) : -1;
      const parts = fields.flatMap((f, i) => (i === firstTabbed ? [tabs.el] : tabs?.has(f) ? [] : [f.el]));
      const form = h("form", { class: ["node-form", tabs && "node-form-tabbed"], autocomplete: "off",
        onSubmit: (e) => e.preventDefault() },
        errorBox, parts,
        info ? h("details", { class: "node-description", open: !!node.info }, h("summary", null, "Description"), info) : null,
        helpBlock(def.help));
      for (const e of errors) {
        const rowEl = form.querySelector(`.form-row[data-field="${CSS.escape(e.field || "")}"]`);
        if (rowEl) {
          rowEl.classList.add("has-error");
          const slot = rowEl.querySelector(".form-error");
          if (slot) slot.textContent = e.message;
        }
      }
      if (tabs && errors.length) {
        tabs.markErrors(errors.map((e) => e.field || ""));
        errors.some((e) => tabs.showField(e.field || ""));
      }

      const enabled = h("input", { type: "checkbox", id: `enabled-${node.id}` });
      enabled.checked = node.d !== true;
      const left = [
        h("label", { class: "toggle", title: "Disabled nodes do not run" }, enabled, h("span", { class: "toggle-track" }), h("span", { class: "toggle-text" }, "Enabled")),
        h("span", { class: "tray-footer-spacer" }),
        h("span", { class: "tray-node-id", title: "Node id" }, `${node.type} · ${node.id}`),
      ];
      enabled.addEventListener("change", () => {
        left[0].querySelector(".toggle-text").textContent = enabled.checked ? "Enabled" : "Disabled";
      });
      left[0].querySelector(".toggle-text").textContent = enabled.checked ? "Enabled" : "Disabled";

      const done = (close) => {
        clear(errorBox);
        form.querySelectorAll(".form-row.has-error").forEach((r) => {
          r.classList.remove("has-error");
          const slot = r.querySelector(".form-error");
          if (slot) slot.textContent = "";
        });
        const out = JSON.parse(JSON.stringify(node));
        const creds = {};
        const problems = [];
        for (const f of fields) problems.push(...f.collect(out, creds));
        tabs?.markErrors(problems.map((p) => p.key));
        if (problems.length) {
          problems.some((p) => tabs?.showField(p.key));
          errorBox.hidden = false;
          errorBox.append(h("strong", null, "Please fix:"), h("ul", null, problems.map((p) => h("li", null, `${fieldLabel(p.key)}: ${p.message}`))));
          for (const p of problems) {
            const rowEl = form.querySelector(`.form-row[data-field="${CSS.escape(p.key)}"]`);
            if (rowEl) {
              rowEl.classList.add("has-error");
              const slot = rowEl.querySelector(".form-error");
              if (slot) slot.textContent = p.message;
            }
          }
          form.querySelector(".has-error input, .has-error select, .has-error textarea")?.focus();
          return;
        }
        // As Node-RED's function dialog: noerr counts the syntax errors the code editor found;
        // such a node is marked on the canvas and the deploy asks first. Code left as it came
        // keeps the count it came with (Node-RED's editor may have counted more).
        const checked = fields.filter((f) => f.syntaxErrors);
        const syntaxErrors = checked.reduce((n, f) => n + f.syntaxErrors().length, 0);
        if ("noerr" in props && (syntaxErrors || checked.some((f) => f.edited()))) out.noerr = syntaxErrors;
        if (enabled.checked) delete out.d;
        else out.d = true;
        if (info) {
          if (info.value) out.info = info.value;
          else delete out.info;
        }
        // Output count changes (function, switch): keep wires in range.
        if (Number.isInteger(Number(out.outputs)) && Array.isArray(out.wires) && !def.configNode && node.type !== "switch") {
          const n = Number(out.outputs);
          out.wires = Array.from({ length: n }, (_, i) => out.wires[i] || []);
        }
        close();
        if (onDone) onDone(out, creds);
        else this.ctx.apply(node.id, out, creds, { isNew });
        resolve(out.id);
      };
      const buttons = [];
      if (!isNew) {
        buttons.push({ label: "Delete", kind: "danger", cls: "edit-delete", onClick: (close) => {
          close();
          this.ctx.remove(node.id);
          resolve(null);
        } });
      }
      buttons.push({ label: "Cancel", cls: "edit-cancel", onClick: (close) => { close(); resolve(null); } });
      buttons.push({ label: "Done", kind: "primary", cls: "edit-done", onClick: done });
      const title = def.configNode ? `${isNew ? "Add new" : "Edit"} ${node.type} config node` : `Edit ${node.type} node`;
      openTray({ title, body: form, buttons, left, className: def.configNode ? "tray-config" : "",
        onCancel: (close) => { close(); resolve(null); }, onDone: done });
    });
  }

  /** The context the config picker needs: list, label, and edit/add a config node. */
  configCtx() {
    return {
      configNodes: (type) => this.ctx.configNodes(type),
      label: (id) => this.ctx.label(id),
      editConfig: async (id, type) => {
        if (id) {
          await this.openFor(this.ctx.model.get(id), { isNew: false });
          return id;
        }
        const fresh = createNode(type, newId(), null, 0, 0);
        delete fresh.x;
        delete fresh.y;
        delete fresh.wires;
        delete fresh.z;
        let created = null;
        await this.openFor(fresh, { isNew: true, onDone: (out, creds) => {
          this.ctx.addConfig(out, creds);
          created = out.id;
        } });
        return created;
      },
    };
  }

  /** Groups: name only. */
  openSimple(node, kind) {
    const name = h("input", { type: "text", class: "input", id: "group-name" });
    name.value = node.name || "";
    const form = h("form", { class: "node-form", onSubmit: (e) => e.preventDefault() },
      h("div", { class: "form-row", dataset: { field: "name" } }, h("label", { class: "form-label", for: "group-name" }, "Name"), h("div", { class: "form-control" }, name)));
    const done = (close) => {
      close();
      this.ctx.apply(node.id, { ...JSON.parse(JSON.stringify(node)), name: name.value }, {});
    };
    openTray({ title: `Edit ${kind}`, body: form, onCancel: (close) => close(), onDone: done, buttons: [
      { label: "Delete", kind: "danger", onClick: (close) => { close(); this.ctx.remove(node.id); } },
      { label: "Cancel", onClick: (close) => close() },
      { label: "Done", kind: "primary", cls: "edit-done", onClick: done },
    ] });
  }
}
