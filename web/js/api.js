// Admin API calls. URLs are relative to the page so the editor works under any httpAdminRoot.

export class ApiError extends Error {
  constructor(status, message, body) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.body = body;
  }
}

/** Absolute URL of an Admin API path (no leading slash), relative to the editor page. */
export function apiUrl(path) {
  return new URL(path, document.baseURI).toString();
}

// ---- adminAuth: a Bearer token from POST /auth/token, kept in localStorage -------------------

const TOKEN_KEY = "flowred-auth-token";
let loginHandler = null;
let loggingIn = null;

/** The saved admin token, or null. */
export function authToken() {
  try {
    return localStorage.getItem(TOKEN_KEY);
  } catch {
    return null;
  }
}

/** Set the function that asks the user to log in: `async (prompts) => {username, password}`
 *  (null when the user cancels). */
export function setLoginHandler(fn) {
  loginHandler = fn;
}

/** POST /auth/token with Node-RED's password grant (as JSON); saves and returns the token. */
export async function logIn(username, password) {
  const grant = JSON.stringify({ client_id: "node-red-editor", grant_type: "password", scope: "*", username, password });
  const response = await fetch(apiUrl("auth/token"), {
    method: "POST", headers: { "Content-Type": "application/json" }, body: grant });
  if (!response.ok) throw new ApiError(response.status, "Login failed: wrong username or password");
  const body = await response.json();
  localStorage.setItem(TOKEN_KEY, body.access_token);
  return body.access_token;
}

async function ensureLogin() {
  localStorage.removeItem(TOKEN_KEY);
  if (!loginHandler) return false;
  loggingIn ||= (async () => {
    const prompts = await fetch(apiUrl("auth/login")).then((r) => r.json()).catch(() => ({}));
    if (!prompts.type) return false;
    for (;;) {
      const answer = await loginHandler(prompts);
      if (!answer) return false;
      try {
        await logIn(answer.username, answer.password);
        return true;
      } catch (err) {
        answer.error = err.message;
      }
    }
  })().finally(() => { loggingIn = null; });
  return loggingIn;
}

async function request(method, path, options = {}, retried = false) {
  const { json, headers = {} } = options;
  const init = { method, headers: { "Node-RED-API-Version": "v2", ...headers }, cache: "no-store" };
  const token = authToken();
  if (token) init.headers.Authorization = `Bearer ${token}`;
  // Every write says application/json: the server refuses other bodies (cross-site protection).
  if (method !== "GET" && method !== "HEAD") init.headers["Content-Type"] = "application/json";
  if (json !== undefined) init.body = JSON.stringify(json);
  let response;
  try {
    response = await fetch(apiUrl(path), init);
  } catch (err) {
    throw new ApiError(0, `Cannot reach the server (${err.message})`);
  }
  if (response.status === 401 && !retried && (await ensureLogin())) {
    return request(method, path, options, true);
  }
  const type = response.headers.get("Content-Type") || "";
  const body = type.includes("application/json") ? await response.json().catch(() => null) : await response.text();
  if (!response.ok) {
    const detail = body && typeof body === "object" ? body.message || body.code : body;
    throw new ApiError(response.status, `${method} /${path}: ${response.status} ${detail || response.statusText}`, body);
  }
  return body;
}

/** GET /flows (v2): {rev, flows}. */
export async function getFlows() {
  const body = await request("GET", "flows");
  if (Array.isArray(body)) return { rev: null, flows: body };
  return { rev: body.rev ?? null, flows: Array.isArray(body.flows) ? body.flows : [] };
}

/** GET /settings. */
export function getSettings() {
  return request("GET", "settings");
}

/** GET /flows/state: {state: "start"|"stop"}. */
export function getFlowsState() {
  return request("GET", "flows/state");
}

/** POST /inject/<id>: fires an inject node. */
export function injectNode(id) {
  return request("POST", `inject/${encodeURIComponent(id)}`);
}

/** POST /debug/<id>/enable|disable: switches a debug node's sidebar output. */
export function setDebugActive(id, active) {
  return request("POST", `debug/${encodeURIComponent(id)}/${active ? "enable" : "disable"}`);
}

/** POST /flows (v2): deploys nodes; type is full|nodes|flows|reload. Resolves to {rev}. */
export function postFlows(flows, rev, type = "full") {
  return request("POST", "flows", { json: { flows, rev }, headers: { "Node-RED-Deployment-Type": type } });
}

/** GET /node-types: every registered type with its palette data and config schema. */
export async function getNodeTypes() {
  const body = await request("GET", "node-types");
  return Array.isArray(body) ? body : [];
}

/** GET /credentials/<type>/<id>: {has_<field>: bool}; {} when the node is not deployed. */
export async function getCredentialFlags(type, id) {
  try {
    const body = await request("GET", `credentials/${encodeURIComponent(type)}/${encodeURIComponent(id)}`);
    return body && typeof body === "object" ? body : {};
  } catch (err) {
    if (err.status === 404) return {};
    throw err;
  }
}

/** GET /trace: {enabled}; null when the server has no message trace. */
export async function getTrace() {
  try {
    return await request("GET", "trace");
  } catch (err) {
    if (err.status === 404 || err.status === 405) return null;
    throw err;
  }
}

/** POST /trace {enabled}. */
export function setTrace(enabled) {
  return request("POST", "trace", { json: { enabled } });
}

/** GET /trace/<msgid>: {msgid, hops: [{node, time}]}. */
export function getTracePath(msgid) {
  return request("GET", `trace/${encodeURIComponent(msgid)}`);
}

/** GET /flows/examples: [{name, file}]; null when the server does not offer examples. */
export async function getExamples() {
  try {
    const body = await request("GET", "flows/examples");
    return Array.isArray(body) ? body : null;
  } catch (err) {
    if (err.status === 404 || err.status === 405) return null;
    throw err;
  }
}

/** GET /flows/examples/<file>: the example's flow JSON. */
export function getExample(file) {
  return request("GET", `flows/examples/${encodeURIComponent(file)}`);
}

/** GET /context/global | /context/flow/<id> | /context/node/<id>: {store: {key: {msg, format}}}
 *  (Node-RED's context Admin API). scope is "global", "flow" or "node". */
export function getContext(scope, id) {
  return request("GET", scope === "global" ? "context/global" : `context/${scope}/${encodeURIComponent(id)}`);
}

/** DELETE /context/<scope>[/<id>]/<key>?store=<store>: removes one key. */
export function deleteContext(scope, id, key, store) {
  const base = scope === "global" ? "context/global" : `context/${scope}/${encodeURIComponent(id)}`;
  return request("DELETE", `${base}/${encodeURIComponent(key)}${store ? `?store=${encodeURIComponent(store)}` : ""}`);
}
