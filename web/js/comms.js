// The /comms websocket: subscribe to topics (MQTT-style wildcards), reconnect with back-off.
//
// Events dispatched on the Comms object:
//   "state"  detail {state: "connecting"|"connected"|"disconnected", attempt, retryIn}
//   "reconnect" after a connection came back (the caller may want to reload data)

import { authToken } from "./api.js";

const MIN_DELAY = 500;
const MAX_DELAY = 10000;

/** Whether an MQTT-style pattern (+ one level, trailing # any levels) matches a topic. */
export function topicMatches(pattern, topic) {
  if (pattern === topic || pattern === "#") return true;
  const p = pattern.split("/");
  const t = topic.split("/");
  for (let i = 0; i < p.length; i++) {
    if (p[i] === "#") return true;
    if (i >= t.length || (p[i] !== "+" && p[i] !== t[i])) return false;
  }
  return p.length === t.length;
}

export class Comms extends EventTarget {
  constructor(path = "comms") {
    super();
    this.path = path;
    this.ws = null;
    this.handlers = [];        // {pattern, handler}
    this.attempt = 0;
    this.timer = null;
    this.everConnected = false;
    this.state = "disconnected";
  }

  url() {
    const url = new URL(this.path, document.baseURI);
    url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
    return url.toString();
  }

  /** Register a handler for a topic pattern and subscribe to it on the server. */
  subscribe(pattern, handler) {
    this.handlers.push({ pattern, handler });
    if (this.ws && this.ws.readyState === WebSocket.OPEN) this.send({ subscribe: pattern });
    return () => {
      this.handlers = this.handlers.filter((h) => h.handler !== handler || h.pattern !== pattern);
    };
  }

  send(obj) {
    if (this.ws && this.ws.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify(obj));
  }

  connect() {
    clearTimeout(this.timer);
    this.timer = null;
    this.setState("connecting");
    let ws;
    try {
      ws = new WebSocket(this.url());
    } catch {
      this.scheduleReconnect();
      return;
    }
    this.ws = ws;
    ws.addEventListener("open", () => {
      const reconnected = this.everConnected;
      this.everConnected = true;
      this.attempt = 0;
      this.setState("connected");
      const token = authToken();
      if (token) this.send({ auth: token });  // with adminAuth the server waits for it first
      for (const pattern of new Set(this.handlers.map((h) => h.pattern))) this.send({ subscribe: pattern });
      if (reconnected) this.dispatchEvent(new CustomEvent("reconnect"));
    });
    ws.addEventListener("message", (event) => this.onMessage(event.data));
    ws.addEventListener("close", () => {
      if (this.ws !== ws) return;
      this.ws = null;
      this.scheduleReconnect();
    });
    // An error is always followed by "close"; nothing to do here.
    ws.addEventListener("error", () => {});
  }

  scheduleReconnect() {
    this.attempt += 1;
    const delay = Math.min(MAX_DELAY, MIN_DELAY * 2 ** (this.attempt - 1)) * (0.8 + Math.random() * 0.4);
    this.setState("disconnected", Math.round(delay));
    this.timer = setTimeout(() => this.connect(), delay);
  }

  setState(state, retryIn = 0) {
    this.state = state;
    this.dispatchEvent(new CustomEvent("state", { detail: { state, attempt: this.attempt, retryIn } }));
  }

  onMessage(raw) {
    let frame;
    try {
      frame = JSON.parse(raw);
    } catch {
      return;
    }
    const messages = Array.isArray(frame) ? frame : [frame];
    for (const message of messages) {
      if (!message || typeof message.topic !== "string" || message.topic === "hb") continue;
      for (const { pattern, handler } of this.handlers) {
        if (!topicMatches(pattern, message.topic)) continue;
        try {
          handler(message.topic, message.data);
        } catch (err) {
          // A failing handler must not stop the others, but it must not go unnoticed either.
          setTimeout(() => { throw err; });
        }
      }
    }
  }
}
