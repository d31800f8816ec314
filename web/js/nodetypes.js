// How each node type looks on the canvas: colour, ports, icon, label, and what the server says
// about it (GET /node-types: category, ports, config node or not, help, JSON schema).
// Types not listed anywhere get a neutral default.

const types = new Map();        // the editor's own look for well-known types
const serverTypes = new Map();  // from GET /node-types

const DEFAULT_COLOR = "#dddddd";

/** Icons drawn in a 20×20 box with white strokes. */
export const ICONS = {
  inject: "M3 10h10M9.5 6l4 4-4 4M16 4v12",
  debug: "M4 5h12M4 10h12M4 15h8",
  function: "M12.5 3.5c-2.5-.5-3.5.5-4 3l-1.8 9c-.5 2.5-1.5 3.5-4 3M5.5 8.5h7.5",
  comment: "M3 4h14v9H9l-4 3v-3H3z",
  catch: "M10 3v9M10 15.5v1.5",
  status: "M2 10h4l2-5 4 10 2-5h4",
  complete: "M4 10.5l4 4 8-9",
  link: "M8 12l4-4M6.5 9.5l-2 2a2.5 2.5 0 003.5 3.5l2-2M13.5 10.5l2-2a2.5 2.5 0 00-3.5-3.5l-2 2",
  change: "M3 7h11M11 4l3 3-3 3M17 13H6M9 10l-3 3 3 3",
  switch: "M3 10h5M8 10l8-5M8 10l8 5M8 10h8",
  ai: "M10 2.5l1.8 5.7 5.7 1.8-5.7 1.8L10 17.5l-1.8-5.7L2.5 10l5.7-1.8z",
  timer: "M10 17a6.5 6.5 0 100-13 6.5 6.5 0 000 13zM10 6.5V10.5l2.5 2",
  http: "M3 10a7 7 0 1014 0 7 7 0 00-14 0M3 10h14M10 3c-2.5 3-2.5 11 0 14M10 3c2.5 3 2.5 11 0 14",
  parser: "M7 4c-2 0-2 2-2 3.5S4 10 3 10c1 0 2 1 2 2.5S5 16 7 16M13 4c2 0 2 2 2 3.5s1 2.5 2 2.5c-1 0-2 1-2 2.5S15 16 13 16",
  split: "M3 10h5M8 10l8-5M8 10l8 5M14 5h2v2M14 15h2v-2",
  join: "M4 5l8 5-8 5M12 10h5M4 10h8",
  sort: "M5 4v12M3 14l2 2 2-2M10 5h7M10 10h5M10 15h3",
  range: "M3 14h14M5 14V9M9 14V6M13 14V9M17 14V4",
  template: "M4 3h9l3 3v11H4zM7 8h6M7 11h6M7 14h4",
  subflow: "M3 6h5v8H3zM12 6h5v8h-5zM8 10h4",
  json: "M7 4c-2 0-2 2-2 3.5S4 10 3 10c1 0 2 1 2 2.5S5 16 7 16M13 4c2 0 2 2 2 3.5s1 2.5 2 2.5c-1 0-2 1-2 2.5S15 16 13 16M10 9v.5M10 12v.5",
  file: "M5 2.5h7l3 3v12H5zM12 2.5v3h3M7.5 11h5M10.5 8.5l2.5 2.5-2.5 2.5",
  fileIn: "M5 2.5h7l3 3v12H5zM12 2.5v3h3M12.5 11h-5M10 8.5L7.5 11l2.5 2.5",
  bridge: "M2 14h16M4 14V9M16 14V9M2 9c3-4 13-4 16 0M8 14v-3.5M12 14v-3.5",
  bridgeDash: "M2 14h3M7.5 14h5M15 14h3M4 14V9M16 14V9M2 9c3-4 13-4 16 0",
  watch: "M2 10c2.5-4.5 13.5-4.5 16 0-2.5 4.5-13.5 4.5-16 0zM10 12.5a2.5 2.5 0 100-5 2.5 2.5 0 000 5z",
  cog: "M10 13a3 3 0 100-6 3 3 0 000 6zM10 2.5v2.5M10 15v2.5M2.5 10H5M15 10h2.5M4.7 4.7l1.8 1.8M13.5 13.5l1.8 1.8M4.7 15.3l1.8-1.8M13.5 6.5l1.8-1.8",
};

function injectLabel(node) {
  const suffix = (node.repeat && Number(node.repeat) !== 0) || node.crontab ? " ↻" : "";
  if (node.name) return node.name + suffix;
  let payload = node.payload ?? "";
  let payloadType = node.payloadType ?? "date";
  let topic = node.topic ?? "";
  if (Array.isArray(node.props)) {
    payload = "";
    payloadType = "";
    for (const prop of node.props) {
      if (prop.p === "payload") {
        payload = prop.v ?? node.payload ?? "";
        payloadType = prop.vt ?? node.payloadType ?? "str";
      } else if (prop.p === "topic" && (prop.vt === "str" || !prop.vt)) {
        topic = prop.v ?? node.topic ?? "";
      }
    }
  }
  payload = typeof payload === "string" ? payload : JSON.stringify(payload);
  topic = typeof topic === "string" ? topic : "";
  if (["string", "str", "num", "bool", "json"].includes(payloadType)) {
    if (topic !== "" && topic.length + payload.length <= 32) return `${topic}:${payload}${suffix}`;
    if (payload.length > 0 && payload.length < 24) return payload + suffix;
    return "inject" + suffix;
  }
  const named = { date: "timestamp", bin: "buffer", env: "env variable" }[payloadType];
  if (named) return (topic !== "" && topic.length <= 16 ? `${topic}:${named}` : named) + suffix;
  if ((payloadType === "flow" || payloadType === "global") && payload) return `${payloadType}.${payload}${suffix}`;
  return "inject" + suffix;
}

function debugLabel(node) {
  const suffix = node.console === true || node.console === "true" ? " ⇲" : "";
  if (node.targetType === "jsonata") return (node.name || "JSONata") + suffix;
  if (node.complete === true || node.complete === "true") return (node.name || "msg") + suffix;
  const prop = !node.complete || node.complete === "false" ? "payload" : node.complete;
  return (node.name || `msg.${prop}`) + suffix;
}

function scopeLabel(type) {
  return (node) => {
    if (node.name) return node.name;
    if (Array.isArray(node.scope)) return `${type}: ${node.scope.length}`;
    if (type === "catch" && node.uncaught) return "catch: uncaught";
    if (node.scope === "group") return `${type}: group`;
    return `${type}: all`;
  };
}

const UNIT = { milliseconds: "ms", seconds: "s", minutes: "m", hours: "h", days: "d",
  millisecond: "ms", second: "s", minute: "m", hour: "h", day: "d" };

function delayLabel(node) {
  if (node.name) return node.name;
  if (node.pauseType === "delay") return `delay ${node.timeout ?? 5}${UNIT[node.timeoutUnits] || "s"}`;
  if (node.pauseType === "delayv") return "delay (msg.delay)";
  if (node.pauseType === "random") return "random delay";
  if (["rate", "queue", "timed"].includes(node.pauseType)) {
    const per = Number(node.nbRateUnits) > 1 ? node.nbRateUnits : "";
    return `limit ${node.rate ?? 1} msg/${per}${UNIT[node.rateUnits] || (node.rateUnits || "s").charAt(0)}`;
  }
  return "delay";
}

function triggerLabel(node) {
  if (node.name) return node.name;
  const duration = Number(node.duration ?? 250);
  if (duration > 0) return `trigger ${duration}${UNIT[node.units] || "ms"}`;
  if (duration < 0) return `trigger & repeat ${-duration}${UNIT[node.units] || "ms"}`;
  return "trigger & block";
}

function httpInLabel(node) {
  return node.name || (node.url ? `[${node.method || "get"}] ${node.url}` : "http in");
}

function httpResponseLabel(node) {
  return node.name || `http${node.statusCode ? ` (${node.statusCode})` : ""}`;
}

/** Add or replace a node type's look. */
export function registerType(type, def) {
  types.set(type, { ...def, type });
  typeDefCache.delete(type);
}

const NO_INPUT = ["inject", "comment", "catch", "status", "complete", "link in", "http in",
  "mqtt in", "tcp in", "udp in", "websocket in", "watch"];

const ICON_FILES = {
  "inject.svg": "inject", "debug.svg": "debug", "comment.svg": "comment", "swap.svg": "change",
  "timer.svg": "timer", "white-globe.svg": "http", "parser-json.svg": "json", "split.svg": "split",
  "join.svg": "join", "sort.svg": "sort", "switch.svg": "switch", "range.svg": "range",
  "function.svg": "function", "template.svg": "template", "openai.svg": "ai", "rbe.png": "switch",
  "link-out.svg": "link", "link-in.svg": "link", "link-call.svg": "link", "alert.svg": "catch",
  "status.svg": "status", "subflow.svg": "subflow",
  "file-out.svg": "file", "file-in.svg": "fileIn", "bridge.svg": "bridge", "bridge-dash.svg": "bridgeDash",
  "watch.svg": "watch", "cog.svg": "cog",
};

const typeDefCache = new Map();

/** Record the server's node types (GET /node-types). */
export function registerServerTypes(list) {
  serverTypes.clear();
  typeDefCache.clear();
  for (const info of Array.isArray(list) ? list : []) {
    if (!info || typeof info.type !== "string") continue;
    serverTypes.set(info.type, info);
  }
}

/** The server's entry for a type, or undefined. */
export function serverType(type) {
  return serverTypes.get(type);
}

/** Every type the server knows, in its order. */
export function serverTypeList() {
  return [...serverTypes.values()];
}

/** Subflow definitions become instance types "subflow:<id>". */
export function registerSubflows(subflows) {
  for (const key of [...types.keys()]) if (key.startsWith("subflow:")) types.delete(key);
  for (const sf of subflows) {
    types.set(`subflow:${sf.id}`, {
      type: `subflow:${sf.id}`,
      color: sf.color || "#DDAA99",
      inputs: Array.isArray(sf.in) && sf.in.length ? 1 : 0,
      outputs: Array.isArray(sf.out) ? sf.out.length : 0,
      icon: "subflow",
      category: sf.category || "subflows",
      paletteLabel: sf.name || "subflow",
      label: (node) => node.name || sf.name || "subflow",
      subflow: sf.id,
    });
  }
  typeDefCache.clear();
}

/** The drawing definition for a type (always returns something). */
export function typeDef(type) {
  const cached = typeDefCache.get(type);
  if (cached) return cached;
  const known = types.get(type);
  const server = serverTypes.get(type);
  const fromServer = server ? {
    color: server.color || DEFAULT_COLOR,
    inputs: Number(server.inputs) || 0,
    outputs: Number(server.outputs) || 0,
    icon: ICON_FILES[server.icon] || "cog",
    category: server.category || "other",
    paletteLabel: server.label || server.type,
    configNode: !!server.configNode,
    help: server.help || "",
    schema: server.schema || null,
    server: true,
  } : {};
  const def = {
    color: DEFAULT_COLOR,
    inputs: NO_INPUT.includes(type) ? 0 : 1,
    outputs: null,
    icon: "cog",
    align: "left",
    label: null,
    ...fromServer,
    ...known,
    type,
  };
  if (server) {
    // The runtime is the authority on ports and kind; the look stays the editor's.
    def.inputs = Number(server.inputs) || 0;
    def.outputs = Number(server.outputs) || 0;
    def.configNode = !!server.configNode;
  }
  if (serverTypes.size) typeDefCache.set(type, def);
  return def;
}

/** The label Node-RED shows for a node. */
export function nodeLabel(node) {
  if (!node) return "";
  const def = typeDef(node.type);
  let label = "";
  try {
    label = def.label ? def.label(node) : "";
  } catch {
    label = "";
  }
  if (!label) label = node.name || node.label || node.type || node.id;
  return String(label);
}

registerType("inject", { color: "#a6bbcf", inputs: 0, icon: "inject", label: injectLabel, button: "inject" });
registerType("debug", { color: "#87a980", inputs: 1, icon: "debug", align: "right", label: debugLabel, button: "debug" });
registerType("comment", { color: "#ffffff", inputs: 0, icon: "comment", note: true });
registerType("catch", { color: "#e49191", inputs: 0, icon: "catch", label: scopeLabel("catch") });
registerType("status", { color: "#94c1d0", inputs: 0, icon: "status", label: scopeLabel("status") });
registerType("complete", { color: "#c0edc0", inputs: 0, icon: "complete", label: scopeLabel("complete") });
registerType("link in", { color: "#dddddd", inputs: 0, icon: "link", label: (n) => n.name || "link in" });
registerType("link out", { color: "#dddddd", inputs: 1, icon: "link", align: "right",
  label: (n) => n.name || (n.mode === "return" ? "link return" : "link out") });
registerType("link call", { color: "#dddddd", inputs: 1, icon: "link", label: (n) => n.name || "link call" });
registerType("junction", { color: "#d9d9d9", inputs: 1, junction: true });
registerType("function", { color: "#fdd0a2", inputs: 1, icon: "function" });
registerType("change", { color: "#e2d96e", inputs: 1, icon: "change" });
registerType("switch", { color: "#e2d96e", inputs: 1, icon: "switch" });
registerType("range", { color: "#e2d96e", inputs: 1, icon: "range" });
registerType("python-function", { color: "#fdd0a2", inputs: 1, icon: "function" });
registerType("rbe", { color: "#e2d96e", inputs: 1, icon: "switch", label: (node) => node.name || "filter" });
registerType("template", { color: "#f3b567", inputs: 1, icon: "template" });
registerType("delay", { color: "#e6e0f8", inputs: 1, icon: "timer", label: delayLabel });
registerType("trigger", { color: "#e6e0f8", inputs: 1, icon: "timer", label: triggerLabel });
registerType("http in", { color: "#e7e7ae", inputs: 0, icon: "http", label: httpInLabel });
registerType("http response", { color: "#e7e7ae", inputs: 1, icon: "http", align: "right", label: httpResponseLabel });
registerType("http request", { color: "#e7e7ae", inputs: 1, icon: "http" });
for (const parser of ["json", "xml", "csv", "yaml", "html"]) {
  registerType(parser, { color: "#debd5c", inputs: 1, icon: "json" });
}
for (const seq of ["split", "join", "sort", "batch"]) {
  registerType(seq, { color: "#e2d96e", inputs: 1, icon: seq === "batch" ? "join" : seq });
}
registerType("Service Host", { color: "#dddddd", inputs: 0, icon: "ai", configNode: true,
  label: (n) => n.name || "Service Host" });
registerType("OpenAI API", {
  color: "#3fadb5",
  inputs: 1,
  icon: "ai",
  label: (node) => node.name || node.method || "OpenAI API",
});

// ---- new nodes ----------------------------------------------------------------------------

const BASE_FIELDS = new Set(["id", "type", "z", "name", "wires", "x", "y", "d", "g"]);

/** Node-RED's defaults for a new node where the schema's defaults are not what the editor uses. */
const NEW_NODE = {
  inject: () => ({ props: [{ p: "payload" }, { p: "topic", vt: "str" }], repeat: "", crontab: "", once: false,
    onceDelay: 0.1, topic: "", payload: "", payloadType: "date" }),
  debug: () => ({ active: true, tosidebar: true, console: false, tostatus: false, complete: "false",
    targetType: "msg", statusVal: "", statusType: "auto" }),
  change: () => ({ rules: [{ t: "set", p: "payload", pt: "msg", to: "", tot: "str" }], action: "", property: "",
    from: "", to: "", reg: false }),
  switch: () => ({ property: "payload", propertyType: "msg", rules: [{ t: "eq", v: "", vt: "str" }],
    checkall: "true", repair: false, outputs: 1 }),
  function: () => ({ func: "\nreturn msg;", outputs: 1, timeout: 0, noerr: 0, initialize: "", finalize: "", libs: [] }),
  "python-function": () => ({ func: "\nreturn msg", outputs: 1 }),
  comment: () => ({ info: "" }),
  "OpenAI API": () => ({ property: "payload", propertyType: "msg", service: "", method: "createModelResponse" }),
  "Service Host": () => ({ apiBase: "https://api.openai.com/v1", apiBaseType: "str",
    secureApiKeyHeaderOrQueryName: "Authorization", secureApiKeyHeaderOrQueryNameType: "str",
    organizationId: "", organizationIdType: "str", secureApiKeyValueType: "cred", secureApiKeyValueRef: "",
    secureApiKeyIsQuery: false }),
};

/** Resolve a "$ref" in a JSON schema. */
export function resolveRef(schema, prop) {
  if (prop && prop.$ref && schema && schema.$defs) {
    const name = prop.$ref.split("/").pop();
    return schema.$defs[name] || prop;
  }
  return prop;
}

/** The properties a new node of this type starts with (without id, z, x, y, wires). */
export function defaultsFor(type) {
  const def = typeDef(type);
  const props = def.schema?.properties || {};
  const out = { name: "" };
  for (const [key, prop] of Object.entries(props)) {
    if (BASE_FIELDS.has(key)) continue;
    if (prop && Object.prototype.hasOwnProperty.call(prop, "default")) {
      const value = prop.default;
      if (value === null && !(key in (NEW_NODE[type]?.() || {}))) continue;
      out[key] = value === null ? null : JSON.parse(JSON.stringify(value));
    }
  }
  Object.assign(out, NEW_NODE[type]?.() || {});
  return out;
}

/** A complete new node of a type on a tab at (x, y). */
export function createNode(type, id, z, x, y) {
  const def = typeDef(type);
  const node = { id, type, z, ...defaultsFor(type) };
  if (def.configNode) {
    delete node.z;
    return node;
  }
  node.x = Math.round(x);
  node.y = Math.round(y);
  const outputs = Number.isInteger(node.outputs) ? node.outputs : Number(def.outputs) || 0;
  node.wires = Array.from({ length: outputs }, () => []);
  return node;
}

/** Credential fields of a type (GET /node-types `credentials`): never sent back by the
 *  server, shown as password fields. */
export function credentialFields(type) {
  const declared = serverTypes.get(type)?.credentials;
  return Array.isArray(declared) ? declared : [];
}

/** Whether a schema property name is one of the node's base fields (not shown in forms). */
export function isBaseField(name) {
  return BASE_FIELDS.has(name);
}
