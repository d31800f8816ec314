// Completions of the function node's JavaScript and the python-function node's Python: the
// names their code is given (msg, node, context, flow, global, env, RED.util in
// nodes/function_sandbox.js; msg, node, context, flow, global_, env in
// nodes/python_function_worker.py), the msg properties the code already uses, as Node-RED's
// function editor offers them. Keywords and local names come from the languages themselves
// (@codemirror/lang-javascript, @codemirror/lang-python).
//
// Only codemirror-setup.js imports this module.

import { syntaxTree } from "@codemirror/language";

const method = (label, detail, info) => ({ label, type: "method", detail, info });
const property = (label, detail, info) => ({ label, type: "property", detail, info });
const variable = (label, detail) => ({ label, type: "variable", detail });

const CONTEXT_METHODS = [
  method("get", "(key[, store][, callback])", "The value of a key (undefined when missing)."),
  method("set", "(key, value[, store][, callback])", "Set a key; undefined deletes it."),
  method("keys", "([store][, callback])", "The keys that have a value."),
  method("update", "(key, fn[, store])", "Atomically replace the value by fn(old) (FlowRed's own)."),
];
const MSG_PROPERTIES = [       // payload first, as the property most code uses
  { ...property("payload", "msg", "The msg's payload."), boost: 2 },
  { ...property("topic", "msg", "The msg's topic."), boost: 1 },
  property("_msgid", "msg", "The msg's id."),
];

/** JavaScript: the members of each object of the function node's sandbox. */
const JS_MEMBERS = {
  node: [
    method("send", "(msg | [msgs][, clone])", "Send msgs, one entry per output."),
    method("done", "([error])", "Tell the runtime the msg is handled."),
    method("error", "(err[, msg])", "Report an error (catch nodes get it with msg)."),
    method("warn", "(text)", "Log a warning (and show it in the debug sidebar)."),
    method("log", "(text)", "Log a message."),
    method("status", "({fill, shape, text})", "Set the node's status."),
    method("on", "(\"close\", fn)", "Run fn when the node stops."),
    method("linkcall", "(target, msg[, options])", "Call a link in node; resolves with its reply."),
    property("id", "string", "The node's id."),
    property("name", "string", "The node's name."),
    property("outputCount", "number", "The node's number of outputs."),
  ],
  context: CONTEXT_METHODS,
  flow: CONTEXT_METHODS,
  global: CONTEXT_METHODS,
  env: [method("get", "(name)", "An environment variable (node, group, flow, global, process).")],
  RED: [property("util", "object", "Node-RED's utility functions.")],
  "RED.util": [
    method("cloneMessage", "(msg)", "A deep copy of a msg (msg.req and msg.res are kept)."),
    method("generateId", "()", "A new msg id."),
    method("getMessageProperty", "(msg, expr)", "The value at a property expression (\"payload.a[0]\")."),
    method("setMessageProperty", "(msg, expr, value, createMissing)", "Set (or, with undefined, delete) a msg property."),
    method("getObjectProperty", "(obj, expr)", "The value at a property expression of any object."),
    method("setObjectProperty", "(obj, expr, value, createMissing)", "Set a property of any object."),
    method("normalisePropertyExpression", "(expr)", "A property expression as its list of keys."),
    method("ensureString", "(value)", "A value as text (objects as JSON)."),
  ],
};

/** JavaScript: the names the function node's code is given. */
const JS_GLOBALS = [
  variable("msg", "the msg"), variable("node", "this node"), variable("context", "node context"),
  variable("flow", "flow context"), variable("global", "global context"), variable("env", "environment"),
  variable("RED", "Node-RED's util"), variable("Buffer", "bytes"), variable("console", "logging"),
  ...["setTimeout", "clearTimeout", "setInterval", "clearInterval"].map((n) => ({ label: n, type: "function" })),
];

/** Python: the members of each object python-function's code is given. */
const PY_CONTEXT = [
  method("get", "(key, store=None)", "The value of a key (None when missing)."),
  method("set", "(key, value, store=None)", "Set a key; None deletes it."),
  method("keys", "(store=None)", "The keys that have a value."),
  method("update", "(key, fn, store=None)", "Atomically replace the value by fn(old) and return it."),
];
const PY_MEMBERS = {
  node: [
    method("send", "(msgs, clone=True)", "Send msgs, one entry per output."),
    method("done", "(error=None)", "Tell the runtime the msg is handled."),
    method("error", "(err, msg=None)", "Report an error (catch nodes get it with msg)."),
    method("warn", "(text)", "Log a warning."),
    method("log", "(text)", "Log a message."),
    method("status", "(status)", "Set the node's status: {'fill', 'shape', 'text'}."),
    property("id", "str", "The node's id."),
    property("name", "str", "The node's name."),
    property("path", "str", "The node's path."),
    property("outputCount", "int", "The node's number of outputs."),
  ],
  context: [...PY_CONTEXT, property("flow", "context", "Flow context."), property("global_", "context", "Global context.")],
  flow: PY_CONTEXT,
  global_: PY_CONTEXT,
  "context.flow": PY_CONTEXT,
  "context.global_": PY_CONTEXT,
  env: [method("get", "(name)", "An environment variable (node, group, flow, global, process).")],
  msg: ["get", "keys", "items", "values", "pop", "setdefault", "update", "copy"].map((n) => method(n, "dict")),
};
const PY_GLOBALS = [
  variable("msg", "the msg (a dict)"), variable("node", "this node"), variable("context", "node context"),
  variable("flow", "flow context"), variable("global_", "global context"), variable("env", "environment"),
];

const JS_SKIP = new Set(["String", "TemplateString", "RegExp", "LineComment", "BlockComment"]);
const PY_SKIP = new Set(["String", "FormatString", "Comment"]);

function inSkipped(context, skip) {
  for (let node = syntaxTree(context.state).resolveInner(context.pos, -1); node; node = node.parent) {
    if (skip.has(node.name)) return true;
  }
  return false;
}

/** The msg properties the code uses (msg.x in JavaScript, msg['x'] in Python), besides payload, topic, _msgid. */
function seenMsgProperties(context, pattern) {
  const text = context.state.doc.toString();
  const known = new Set(MSG_PROPERTIES.map((o) => o.label));
  const found = [];
  for (const m of text.matchAll(pattern)) {
    const end = m.index + m[0].length;
    if (end === context.pos || known.has(m[1])) continue;    // the name being typed
    known.add(m[1]);
    found.push(property(m[1], "msg", "Used in this code."));
  }
  return found;
}

/**
 * A completion source over members (object path → options), globals and msg properties:
 * `a.b.` lists the members of `a.b`; a name alone lists the globals (with Ctrl+Space, or once
 * typed). Returns null elsewhere (strings, comments, unknown objects).
 */
function apiSource({ members, globals, skip, ident, msgPattern, msgIsDict }) {
  const pathBefore = new RegExp(`(?:${ident}\\.)+[\\w$]*$`);
  const wordBefore = new RegExp(`${ident}$`);
  return (context) => {
    if (inSkipped(context, skip)) return null;
    const path = context.matchBefore(pathBefore);
    const line = context.state.doc.lineAt(context.pos);
    if (path && !/[\w$.]$/.test(line.text.slice(0, path.from - line.from))) {
      const parts = path.text.split(".");
      const prefix = parts.pop();
      const object = parts.join(".");
      let options = members[object];
      if (object === "msg" && !msgIsDict) options = [...MSG_PROPERTIES, ...seenMsgProperties(context, msgPattern)];
      if (!options) return null;
      return { from: path.to - prefix.length, options, validFor: /^[\w$]*$/ };
    }
    const word = context.matchBefore(wordBefore);
    if (word && /[.\w$]$/.test(line.text.slice(0, word.from - line.from))) return null;
    if (!word && !context.explicit) return null;
    return { from: word ? word.from : context.pos, options: globals, validFor: /^[\w$]*$/ };
  };
}

/** Python: msg['…'] and msg["…"] complete the msg's keys. */
function pythonMsgKeys(context) {
  const key = context.matchBefore(/\bmsg\[(['"])\w*$/);
  if (!key) return null;
  const from = key.from + key.text.search(/['"]/) + 1;
  return {
    from, validFor: /^\w*$/,
    options: [...MSG_PROPERTIES, ...seenMsgProperties(context, /\bmsg\[['"](\w+)['"]\]/g)],
  };
}

/** The function node's JavaScript: msg., node., context./flow./global., env., RED.util. and its globals. */
export const functionCompletions = apiSource({
  members: JS_MEMBERS, globals: JS_GLOBALS, skip: JS_SKIP, ident: "[A-Za-z_$][\\w$]*",
  msgPattern: /\bmsg\.([A-Za-z_$][\w$]*)/g, msgIsDict: false,
});

const pythonApi = apiSource({ members: PY_MEMBERS, globals: PY_GLOBALS, skip: PY_SKIP, ident: "[A-Za-z_]\\w*",
  msgPattern: null, msgIsDict: true });

/** python-function's Python: msg['…'], node., context./flow./global_., env. and its globals. */
export function pythonFunctionCompletions(context) {
  return pythonMsgKeys(context) || pythonApi(context);
}
