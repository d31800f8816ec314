// The sandbox of FlowRed's function nodes: the API a Node-RED function sees (msg, node, context,
// flow, global, env, RED.util, timers, console), evaluated once in each V8 isolate by
// nodes/js_isolate.py. One isolate holds many function nodes: each node's code is compiled once
// into its own scope (__flowred.define) and its state (timers, close handlers, link calls) lives
// in its own entry of `nodes`, under the number ("key") Python gave it.
//
// Python drives it with batches of jobs (__flowred.run: a flat JSON array of [key, kind, a, b]
// records) and gets back what the user code did as a flat array of effects (key, kind, value
// triples: sends, status, logs, errors, completions, timer changes), which Python applies in
// order. Reads that need an answer at once (context, env) go through a SharedArrayBuffer channel:
// the request is written into the buffer, a "bell" function tells Python, and JS waits until
// Python has written the reply into the same buffer.
var __flowred = (function () {
    "use strict";
    const CHUNK = 65536;               // UTF-16 code units per channel chunk
    const BUDGET_MS = 20;              // start no new job of a batch after this long
    const ANSWER_LIMIT_MS = 30000;     // give up waiting for Python after this long
    const sab = new SharedArrayBuffer(16 + CHUNK * 2);
    const ctl = new Int32Array(sab, 0, 4);   // [state 0 idle/1 request/2 reply, length, more, flush wanted]
    const buf = new Uint16Array(sab, 16, CHUNK);
    let jobsBuf = new Uint16Array(new SharedArrayBuffer(2 * 65536));  // the text of a batch (UTF-16)
    const nodes = new Map();           // key -> the state of one function node
    let bell = null;
    let out = [];
    let inRun = false;
    let current = -1;

    // One effect of node `key` (0: the isolate itself): kind and one value.
    function emit(key, kind, value) {
        out.push(key, kind, value);
        if (!inRun && Atomics.load(ctl, 3) === 0) {
            Atomics.store(ctl, 3, 1);
            bell();
        }
    }

    // -- the channel to Python -----------------------------------------------------------
    function writeChunk(s, start) {
        const end = Math.min(s.length, start + CHUNK);
        for (let i = start; i < end; i++) {
            buf[i - start] = s.charCodeAt(i);
        }
        ctl[1] = end - start;
        ctl[2] = end < s.length ? 1 : 0;
        return end;
    }

    function readChunk() {
        const n = ctl[1];
        let s = "";
        for (let i = 0; i < n; i += 8192) {
            s += String.fromCharCode.apply(null, buf.subarray(i, Math.min(n, i + 8192)));
        }
        return s;
    }

    function ring() {
        Atomics.store(ctl, 0, 1);
        bell();
        const t0 = Date.now();
        let spins = 0;
        while (Atomics.load(ctl, 0) !== 2) {
            if (++spins > 200) {
                Atomics.wait(ctl, 0, 1, 0.2);
                if ((spins & 255) === 0 && Date.now() - t0 > ANSWER_LIMIT_MS) {
                    Atomics.store(ctl, 0, 0);
                    throw new Error("FlowRed runtime did not answer");
                }
            }
        }
    }

    function call(request) {
        const s = JSON.stringify(request);
        let pos = 0;
        do {
            pos = writeChunk(s, pos);
            ring();
        } while (pos < s.length);
        let reply = readChunk();
        while (ctl[2] === 1) {
            ctl[1] = 0;
            ctl[2] = 0;
            ring();
            reply += readChunk();
        }
        Atomics.store(ctl, 0, 0);
        const answer = parse(reply);
        if (answer.e !== undefined) {
            throw new Error(answer.e);
        }
        return answer.v;
    }

    // -- Buffer ------------------------------------------------------------------------------
    // A small subset of Node.js' Buffer (a Uint8Array): Buffer.from(string[, "utf8"|"hex"|
    // "base64"|"latin1"|"binary"|"ascii"] | array | Buffer | {type: "Buffer", data}),
    // Buffer.alloc, Buffer.isBuffer, Buffer.concat, Buffer.byteLength; buf.toString([encoding[,
    // start[, end]]]), buf.toJSON, buf.equals, buf.slice (shares memory, as Node.js), and every
    // Uint8Array method. Buffers in msgs cross to and from Python as {type: "Buffer", data: [...]}.
    const B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let buffersMade = false;

    function utf8Bytes(s) {
        const out = [];
        for (let i = 0; i < s.length; i++) {
            let c = s.charCodeAt(i);
            if (c >= 0xd800 && c < 0xe000) {
                const d = s.charCodeAt(i + 1);
                if (c < 0xdc00 && d >= 0xdc00 && d < 0xe000) {
                    c = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00);
                    i++;
                } else {
                    c = 0xfffd;
                }
            }
            if (c < 0x80) out.push(c);
            else if (c < 0x800) out.push(0xc0 | (c >> 6), 0x80 | (c & 63));
            else if (c < 0x10000) out.push(0xe0 | (c >> 12), 0x80 | ((c >> 6) & 63), 0x80 | (c & 63));
            else out.push(0xf0 | (c >> 18), 0x80 | ((c >> 12) & 63), 0x80 | ((c >> 6) & 63), 0x80 | (c & 63));
        }
        return out;
    }

    // UTF-8 with each invalid sequence (its maximal valid prefix) replaced by U+FFFD, as Node.js.
    function utf8Text(b) {
        const codes = [];
        for (let i = 0; i < b.length;) {
            const c = b[i];
            const n = c < 0x80 ? 0 : c >= 0xc2 && c < 0xe0 ? 1 : c >= 0xe0 && c < 0xf0 ? 2
                : c >= 0xf0 && c < 0xf5 ? 3 : -1;
            if (n < 0) { codes.push(0xfffd); i++; continue; }
            let cp = n === 0 ? c : c & (0x3f >> n);
            let j = 1;
            for (; j <= n; j++) {
                const d = b[i + j];
                const lo = j === 1 && c === 0xe0 ? 0xa0 : j === 1 && c === 0xf0 ? 0x90 : 0x80;
                const hi = j === 1 && c === 0xed ? 0x9f : j === 1 && c === 0xf4 ? 0x8f : 0xbf;
                if (d === undefined || d < lo || d > hi) break;
                cp = (cp << 6) | (d & 0x3f);
            }
            if (j <= n) { codes.push(0xfffd); i += j; continue; }
            codes.push(cp);
            i += n + 1;
        }
        let s = "";
        for (let k = 0; k < codes.length; k += 8192) {
            s += String.fromCodePoint.apply(null, codes.slice(k, k + 8192));
        }
        return s;
    }

    function base64Bytes(s) {
        const out = [];
        let acc = 0;
        let bits = 0;
        for (const ch of s) {
            const v = ch === "-" ? 62 : ch === "_" ? 63 : B64.indexOf(ch);
            if (ch === "=") break;
            if (v < 0) continue;
            acc = (acc << 6) | v;
            bits += 6;
            if (bits >= 8) {
                bits -= 8;
                out.push((acc >> bits) & 255);
            }
        }
        return out;
    }

    function base64Text(b) {
        let s = "";
        for (let i = 0; i < b.length; i += 3) {
            const n = (b[i] << 16) | ((b[i + 1] || 0) << 8) | (b[i + 2] || 0);
            s += B64[n >> 18] + B64[(n >> 12) & 63] + (i + 1 < b.length ? B64[(n >> 6) & 63] : "=")
                + (i + 2 < b.length ? B64[n & 63] : "=");
        }
        return s;
    }

    function stringBytes(s, encoding) {
        switch (String(encoding || "utf8").toLowerCase()) {
            case "hex": {
                const out = [];
                for (let i = 0; i + 1 < s.length; i += 2) {
                    const v = parseInt(s.substr(i, 2), 16);
                    if (!/^[0-9a-fA-F]{2}$/.test(s.substr(i, 2))) break;
                    out.push(v);
                }
                return out;
            }
            case "base64": case "base64url": return base64Bytes(s);
            case "latin1": case "binary": case "ascii": return Array.from(s, (ch) => ch.charCodeAt(0) & 255);
            case "utf8": case "utf-8": return utf8Bytes(s);
            default: throw new TypeError("Unknown encoding: " + encoding);
        }
    }

    class Buffer extends Uint8Array {
        constructor(...args) {
            super(...args);
            if (!buffersMade) {
                buffersMade = true;
                emit(0, "b", null);
            }
        }
        static from(value, encoding) {
            if (typeof value === "string") {
                value = stringBytes(value, encoding);
            } else if (value && value.type === "Buffer" && Array.isArray(value.data)) {
                value = value.data;
            } else if (value instanceof ArrayBuffer) {
                return new Buffer(value);
            } else if (value === null || typeof value !== "object" || typeof value.length !== "number") {
                throw new TypeError("The first argument must be of type string, Buffer, ArrayBuffer, Array, "
                                    + "or Array-like Object.");
            }
            const buf = new Buffer(value.length);
            buf.set(value);
            return buf;
        }
        static alloc(size, fill) {
            const buf = new Buffer(size);
            if (fill !== undefined) buf.fill(typeof fill === "string" ? stringBytes(fill)[0] : fill);
            return buf;
        }
        static isBuffer(value) {
            return value instanceof Buffer;
        }
        static byteLength(s, encoding) {
            return typeof s === "string" ? stringBytes(s, encoding).length : s.byteLength;
        }
        static concat(list, total) {
            const size = total === undefined ? list.reduce((n, b) => n + b.length, 0) : total;
            const buf = new Buffer(size);
            let pos = 0;
            for (const b of list) {
                if (pos >= size) break;
                buf.set(b.length > size - pos ? b.subarray(0, size - pos) : b, pos);
                pos += b.length;
            }
            return buf;
        }
        toString(encoding, start, end) {
            const b = start === undefined && end === undefined ? this : this.subarray(start || 0, end);
            switch (String(encoding || "utf8").toLowerCase()) {
                case "hex": return Array.from(b, (v) => (v < 16 ? "0" : "") + v.toString(16)).join("");
                case "base64": return base64Text(b);
                case "base64url": return base64Text(b).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
                case "latin1": case "binary": return String.fromCharCode.apply(null, Array.from(b));
                case "ascii": return String.fromCharCode.apply(null, Array.from(b, (v) => v & 127));
                case "utf8": case "utf-8": return utf8Text(b);
                default: throw new TypeError("Unknown encoding: " + encoding);
            }
        }
        toJSON() {
            return { type: "Buffer", data: Array.from(this) };
        }
        equals(other) {
            return other.length === this.length && this.every((v, i) => v === other[i]);
        }
        slice(start, end) {
            return this.subarray(start, end);
        }
    }

    // JSON.parse reviver: Node.js Buffer JSON becomes a Buffer.
    function reviveBuffer(key, v) {
        if (v !== null && typeof v === "object" && v.type === "Buffer" && Array.isArray(v.data)
                && Object.keys(v).length === 2) {
            return Buffer.from(v.data);
        }
        return v;
    }

    function parse(text) {
        return text.indexOf('"Buffer"') < 0 ? JSON.parse(text) : JSON.parse(text, reviveBuffer);
    }

    // -- values --------------------------------------------------------------------------
    function generateId() {
        let id = "";
        for (let i = 0; i < 16; i++) {
            id += Math.floor(Math.random() * 16).toString(16);
        }
        return id;
    }

    function deepClone(v) {
        if (v === null || typeof v !== "object") {
            return v;
        }
        if (v instanceof Date) {
            return new Date(v.getTime());
        }
        if (v instanceof Buffer) {
            return Buffer.from(v);
        }
        if (Array.isArray(v)) {
            return v.map(deepClone);
        }
        if (typeof v.toJSON === "function" && v.__flowredRef !== undefined) {
            return v;
        }
        const copy = {};
        for (const k of Object.keys(v)) {
            copy[k] = deepClone(v[k]);
        }
        return copy;
    }

    function cloneMessage(msg) {
        if (msg === null || typeof msg !== "object") {
            return msg;
        }
        const req = msg.req;
        const res = msg.res;
        const copy = deepClone(msg);
        if (req !== undefined) copy.req = req;
        if (res !== undefined) copy.res = res;
        return copy;
    }

    // msg.req/msg.res arrive as views with a reference number; they go back as that number,
    // so Python puts the original objects back on the msgs that leave the node.
    function attachRefs(msg) {
        for (const k of ["req", "res"]) {
            const v = msg[k];
            if (v && typeof v === "object" && v.__flowred_ref__ !== undefined) {
                const ref = v.__flowred_ref__;
                delete v.__flowred_ref__;
                Object.defineProperty(v, "__flowredRef", { value: ref });
                Object.defineProperty(v, "toJSON", { value: () => ({ __flowred_ref__: ref }) });
            }
        }
        return msg;
    }

    function text(v) {
        if (typeof v === "string") return v;
        if (v instanceof Error) return v.toString();
        if (v === undefined) return "undefined";
        try {
            return typeof v === "object" ? JSON.stringify(v) : String(v);
        } catch (e) {
            return String(v);
        }
    }

    // An error of user code as Node-RED's 10-function.js reports it: [text, error], where text
    // is what the user reads ("TypeError: ..."; an Error's message is kept as it is, except
    // that in the body a ReferenceError's message becomes its first stack line plus its place,
    // so the text reads "ReferenceError: ReferenceError: x is not defined (line 2, col 1)") and
    // error is {name, message, stack} of an Error (catch nodes get its stack), or null.
    function errorInfo(err, part) {
        if (err instanceof Error || (err !== null && typeof err === "object" && Object.hasOwn(err, "stack"))) {
            const stack = String(err.stack);
            let message = err.message;
            if (part === "body") {
                const lines = stack.split("\n");
                const i = lines.findIndex((l) => l.indexOf("ReferenceError") === 0);
                if (i >= 0) {
                    const m = /:(\d+):(\d+)\)?$/.exec(lines[i + 1] || "");
                    message = lines[i] + (m ? " (line " + (Number(m[1]) - 1) + ", col " + m[2] + ")" : "");
                }
            }
            const name = err.name === undefined ? "Error" : String(err.name);
            const shown = message ? name + ": " + message : name;
            return [shown, { name, message: String(message), stack }];
        }
        return [typeof err === "string" ? err : text(err), null];
    }

    function errorText(err, part) {
        return errorInfo(err, part)[0];
    }

    function failed(st, seq, err, part) {
        emit(st.key, "f", [seq].concat(errorInfo(err, part || "body")));
    }

    // -- the API ---------------------------------------------------------------------------
    // What node `st` sends: a msg, or an array with one entry per output (a msg, an array of
    // msgs, or null). One msg alone leaves as effect "1" (the common case), anything else as "s".
    function sendResults(st, msgs, msgid, cloneFirst) {
        if (msgs === null || msgs === undefined) {
            return;
        }
        if (!Array.isArray(msgs)) {
            if (typeof msgs === "object" && !(msgs instanceof Date)) {
                const msg = cloneFirst ? cloneMessage(msgs) : msgs;
                msg._msgid = msgid;
                emit(st.key, "1", msg);
                return;
            }
            msgs = [msgs];
        }
        let count = 0;
        const outputs = [];
        for (const entry of msgs) {
            if (!entry) {
                outputs.push(null);
                continue;
            }
            const list = [];
            for (let msg of Array.isArray(entry) ? entry : [entry]) {
                if (msg === null || msg === undefined) {
                    continue;
                }
                if (typeof msg === "object" && !Array.isArray(msg) && !(msg instanceof Date)) {
                    if (count === 0 && cloneFirst) {
                        msg = cloneMessage(msg);
                    }
                    msg._msgid = msgid;
                    count++;
                    list.push(msg);
                } else {
                    const type = Array.isArray(msg) ? "Array" : (msg instanceof Date ? "Date" : typeof msg);
                    emit(st.key, "e", ["Function tried to send a message of type " + type, null]);
                }
            }
            outputs.push(list);
        }
        if (count > 0) {
            emit(st.key, "s", outputs);
        }
    }

    // node.linkcall(target, msg[, {timeout, clone}]), as Node-RED 5's 10-function.js: sends
    // (a clone of) msg to the "link in" node target (an id, or a unique name) and resolves with
    // the msg a "link out" in return mode gives back; rejects with Error("timeout") after
    // options.timeout ms (default 5000), or when the target is not found. Python delivers the
    // msg and answers with an "lr" job.
    function linkcaller(st) {
        return async function linkcall(target, msg, options) {
            if (typeof target !== "string" || target.trim() === "") {
                throw new Error("Error link call target parameter is not valid, expected a string");
            }
            if (typeof msg !== "object" || msg === null) {
                throw new Error("Error link call msg parameter is not valid, expected an object");
            }
            options = options || {};
            const timeout = Number(options.timeout) || 5000;
            const m = options.clone === false ? msg : cloneMessage(msg);
            const id = st.nextCall++;
            return new Promise((resolve, reject) => {
                st.calls.set(id, { resolve, reject });
                emit(st.key, "lc", [id, target, m, timeout]);
            });
        };
    }

    function linkReturn(st, id, answer) {
        const call = st.calls.get(id);
        if (call) {
            st.calls.delete(id);
            if (answer[1] === null) {
                call.resolve(attachRefs(answer[0]));
            } else {
                call.reject(new Error(answer[1]));
            }
        }
    }

    // The `node` a part of the code gets. For the body, one per msg: send/done know the msg;
    // the other methods are made once per node (st.methods) and shared by its msgs.
    function makeNode(st, kind, seq, msgid) {
        const key = st.key;
        const m = st.methods || (st.methods = nodeMethods(st));
        if (kind === "body") {
            return {
                id: m.id, name: m.name, outputCount: m.outputCount, log: m.log, warn: m.warn,
                error: m.error, debug: m.debug, trace: m.trace, status: m.status, linkcall: st.linkcall,
                send: (msgs, cloneMsg) => sendResults(st, msgs, msgid, cloneMsg !== false),
                done: (err) => (err ? failed(st, seq, err, "done") : emit(key, "c", seq)),
                on: m.on,
            };
        }
        const node = {
            id: m.id, name: m.name, outputCount: m.outputCount, log: m.log, warn: m.warn,
            error: m.error, debug: m.debug, trace: m.trace, status: m.status, linkcall: st.linkcall,
        };
        if (kind === "init") {
            node.send = (msgs, cloneMsg) => sendResults(st, msgs, generateId(), cloneMsg !== false);
        } else {
            node.send = () => emit(key, "e", ["Cannot send from close function", null]);
        }
        return node;
    }

    // The methods of a node's `node` objects that do not depend on the msg.
    function nodeMethods(st) {
        const key = st.key;
        return {
            id: st.info.id,
            name: st.info.name,
            outputCount: st.info.outputCount,
            log: (m) => emit(key, "l", [40, text(m)]),
            warn: (m) => emit(key, "l", [30, text(m)]),
            error: (e, msg) => emit(key, "e", [text(e), msg === undefined ? null : msg]),
            debug: (m) => emit(key, "l", [50, text(m)]),
            trace: (m) => emit(key, "l", [60, text(m)]),
            status: (s) => emit(key, "st", s === undefined ? {} : s),
            on: (event, fn) => {
                if (event === "input") {
                    throw new Error("Cannot add listener to 'input' event within Function");
                }
                if (event === "close" && typeof fn === "function") {
                    st.closeHandlers.push(fn);
                }
            },
        };
    }

    function contextApi(st, scope) {
        const key = st.key;
        const api = {
            get(k, store, cb) {
                if (typeof store === "function") { cb = store; store = undefined; }
                const v = call([key, "get", scope, k, store === undefined ? null : store]);
                if (typeof cb !== "function") return v;
                Array.isArray(k) ? cb(null, ...v) : cb(null, v);
            },
            set(k, value, store, cb) {
                if (typeof store === "function") { cb = store; store = undefined; }
                store = store === undefined ? null : store;
                call(value === undefined ? [key, "del", scope, k, store] : [key, "set", scope, k, value, store]);
                if (typeof cb === "function") cb(null);
            },
            keys(store, cb) {
                if (typeof store === "function") { cb = store; store = undefined; }
                const v = call([key, "keys", scope, store === undefined ? null : store]);
                if (typeof cb !== "function") return v;
                cb(null, v);
            },
            update: (k, fn, store) => update(st, scope, k, fn, store),
        };
        return api;
    }

    // context.update(key, fn[, store]), FlowRed's own: atomically replaces the value by
    // fn(old) and resolves with it. Python answers "peek" with [token, value?] and "cas" with
    // true/false, or {w: id} when the store must ask NATS; the answer then comes as a "ur" job.
    // One update of a key at a time per node: its own msgs never conflict with each other.
    const UPDATE_ATTEMPTS = 10000;

    function update(st, scope, k, fn, store) {
        if (typeof fn !== "function") {
            return Promise.reject(new TypeError("context update needs a function of the old value"));
        }
        store = store === undefined ? null : store;
        const chains = st.updateChains || (st.updateChains = new Map());
        const chain = JSON.stringify([scope, store, k]);
        const before = chains.get(chain) || Promise.resolve();
        const result = before.then(() => attemptUpdate(st, scope, k, fn, store));
        const settled = result.then(() => undefined, () => undefined);
        chains.set(chain, settled);
        settled.then(() => { if (chains.get(chain) === settled) chains.delete(chain); });
        return result;
    }

    async function attemptUpdate(st, scope, k, fn, store) {
        for (let i = 0; i < UPDATE_ATTEMPTS; i++) {
            const peeked = call([st.key, "peek", scope, k, store]);
            let value = fn(peeked.length > 1 ? peeked[1] : undefined);
            if (value && typeof value.then === "function") {
                value = await value;
            }
            const request = [st.key, "cas", scope, k, store, peeked[0]];
            if (value !== undefined) request.push(value);
            let done = call(request);
            if (done !== true && done !== false) {
                const id = done.w;
                const waiting = st.updates || (st.updates = new Map());
                done = await new Promise((resolve, reject) => waiting.set(id, { resolve, reject }));
            }
            if (done) return value;
        }
        throw new Error("context update of " + JSON.stringify(k) + " gave up after " + UPDATE_ATTEMPTS + " conflicts");
    }

    function updateAnswer(st, id, answer) {
        const waiting = st.updates && st.updates.get(id);
        if (waiting) {
            st.updates.delete(id);
            answer[1] === null ? waiting.resolve(answer[0]) : waiting.reject(new Error(answer[1]));
        }
    }

    // The names a node's code sees besides msg and node, made for each node: its own context,
    // timers and console; RED and Buffer are the isolate's.
    function nodeApi(st) {
        const key = st.key;
        const addTimer = (fn, delay, args, repeat) => {
            if (typeof fn !== "function") {
                throw new TypeError("The \"callback\" argument must be of type function");
            }
            const id = st.nextTimer++;
            st.timers.set(id, { fn, args, repeat });
            emit(key, "ts", [id, Math.max(0, Number(delay) || 0), repeat]);
            return id;
        };
        const removeTimer = (id) => {
            if (st.timers.delete(id)) {
                emit(key, "tc", id);
            }
        };
        const log = (level) => (...a) => emit(key, "l", [level, a.map(text).join(" ")]);
        const context = contextApi(st, "node");
        const flow = contextApi(st, "flow");
        const global = contextApi(st, "global");
        context.flow = flow;
        context.global = global;
        return [
            context, flow, global,
            { get: (name) => call([key, "env", String(name)]) },
            { log: log(40), info: log(40), warn: log(30), error: log(30), debug: log(50) },
            (fn, delay, ...args) => addTimer(fn, delay, args, false),
            removeTimer,
            (fn, delay, ...args) => addTimer(fn, delay, args, true),
            removeTimer,
        ];
    }

    // The parameters of the factory nodes/js_isolate.py wraps each part of the code in.
    const API_NAMES = "context, flow, global, env, console, setTimeout, clearTimeout, setInterval, clearInterval";

    globalThis.RED = { util: { cloneMessage, generateId, ...__redUtil } };  // red_util.js
    globalThis.Buffer = Buffer;

    // -- jobs ------------------------------------------------------------------------------
    // `snap` is a second copy of the msg as it arrived (from the same JSON text): what Python
    // holds, so that a returned msg travels back as the keys the code changed.
    function runMessage(st, seq, msg, snap) {
        attachRefs(msg);
        const msgid = msg._msgid;
        let result;
        try {
            const body = st.parts.body;  // called unbound, so its stack frames read "at function-body:2:7"
            result = body(msg, makeNode(st, "body", seq, msgid));
        } catch (err) {
            failed(st, seq, err);
            return;
        }
        if (result && typeof result.then === "function") {
            result.then((results) => {
                returned(st, seq, msg, results, msgid, snap, false);
                if (!st.info.userDone) {
                    emit(st.key, "c", seq);
                }
            }, (err) => failed(st, seq, err));
            return;
        }
        const complete = !st.info.userDone;
        if (!returned(st, seq, msg, result, msgid, snap, complete) && complete) {
            emit(st.key, "c", seq);
        }
    }

    // What the body returned: the msg it got, or anything sendResults takes. The msg it got goes
    // back as its changes ("d": [seq, {key: new value}, deleted keys?]; "D" the same and the msg
    // is complete, when `complete`; returns true then), or whole when its keys were reordered or
    // there is no snapshot ("r" with the msg's number, then "R" with the msg). Either way Python
    // sends its own msg object with this content.
    function returned(st, seq, msg, result, msgid, snap, complete) {
        if (result !== msg) {
            sendResults(st, result, msgid, false);
            return false;
        }
        msg._msgid = msgid;
        const change = snap === undefined ? null : delta(msg, snap);
        if (change === null) {
            emit(st.key, "r", seq);
            emit(st.key, "R", msg);
            return false;
        }
        change[0] = seq;
        emit(st.key, complete ? "D" : "d", change);
        return complete;
    }

    // JSON.stringify leaves out a property with one of these values.
    function omitted(v) {
        return v === undefined || typeof v === "function" || typeof v === "symbol";
    }

    // Whether a (the code's value) still reads as b (the arrived value, fresh from JSON.parse):
    // the same JSON, key order included.
    function same(a, b) {
        if (a === b) {
            return true;
        }
        if (a === null || b === null || typeof a !== "object" || typeof b !== "object"
                || Object.getPrototypeOf(a) !== Object.getPrototypeOf(b)) {
            return false;
        }
        if (Array.isArray(a)) {
            if (a.length !== b.length) return false;
            for (let i = 0; i < a.length; i++) {
                if (!same(a[i], b[i])) return false;
            }
            return true;
        }
        if (a instanceof Uint8Array) {
            return a.length === b.length && a.every((v, i) => v === b[i]);
        }
        const ka = Object.keys(a);
        const kb = Object.keys(b);
        if (ka.length !== kb.length || typeof a.toJSON === "function") return false;
        for (let i = 0; i < ka.length; i++) {
            if (ka[i] !== kb[i] || !same(a[ka[i]], b[kb[i]])) return false;
        }
        return true;
    }

    // The top-level changes of msg against snap: [null, {key: value}] plus the keys no longer
    // there as a third entry, or null when the kept keys changed order or new keys do not all
    // come after them (Python's dict then would not read as the msg: it gets the whole msg).
    function delta(msg, snap) {
        const changed = {};
        const old = Object.keys(snap);
        let j = 0;
        let fresh = false;
        let kept = 0;
        for (const k of Object.keys(msg)) {
            const v = msg[k];
            if (omitted(v)) continue;
            if (Object.hasOwn(snap, k)) {
                if (fresh) return null;
                while (j < old.length && old[j] !== k) j++;
                if (j === old.length) return null;
                j++;
                kept++;
                if (!same(v, snap[k])) changed[k] = v;
            } else {
                fresh = true;
                changed[k] = v;
            }
        }
        if (kept === old.length) {
            return [null, changed];
        }
        const gone = old.filter((k) => !Object.hasOwn(msg, k) || omitted(msg[k]));
        return [null, changed, gone];
    }

    function runTimer(st, id) {
        const timer = st.timers.get(id);
        if (!timer) {
            return;
        }
        if (!timer.repeat) {
            st.timers.delete(id);
        }
        try {
            timer.fn(...timer.args);
        } catch (err) {
            emit(st.key, "e", [errorText(err, "timer"), {}]);
        }
    }

    function runInit(st) {
        if (!st.parts.init) {
            emit(st.key, "ready", null);
            return;
        }
        let result;
        try {
            result = st.parts.init(makeNode(st, "init"));
        } catch (err) {
            emit(st.key, "initfail", errorText(err, "setup"));
            return;
        }
        Promise.resolve(result).then(() => emit(st.key, "ready", null),
                                      (err) => emit(st.key, "initfail", errorText(err, "setup")));
    }

    function runClose(st) {
        const node = makeNode(st, "close");
        for (const fn of st.closeHandlers.splice(0)) {
            try {
                fn();
            } catch (err) {
                emit(st.key, "e", [errorText(err, "close"), null]);
            }
        }
        if (st.parts.fin) {
            try {
                st.parts.fin(node);
            } catch (err) {
                emit(st.key, "e", [errorText(err, "cleanup"), null]);
            }
        }
        st.timers.clear();
    }

    function runJob(key, kind, a, b, snap) {
        const st = nodes.get(key);
        if (st === undefined) {
            return;
        }
        switch (kind) {
            case "m": runMessage(st, a, b, snap); break;
            case "t": runTimer(st, a); break;
            case "i": runInit(st); break;
            case "c": runClose(st); nodes.delete(key); emit(key, "closed", null); break;
            case "x": nodes.delete(key); break;
            case "lr": linkReturn(st, a, b); break;
            case "ur": updateAnswer(st, a, b); break;
        }
    }

    function drain() {
        const done = current;
        const effects = out;
        out = [];
        inRun = false;
        current = -1;
        Atomics.store(ctl, 3, 0);
        effects.unshift(done);
        return JSON.stringify(effects);
    }

    return {
        buffer: sab,
        API_NAMES,
        configure(setBell) {
            bell = setBell;
        },
        // A new node: key (a number), info {id, name, outputCount, userDone} as JSON text.
        add(key, infoText) {
            const st = {
                key, info: JSON.parse(infoText), parts: {}, timers: new Map(), nextTimer: 1,
                closeHandlers: [], calls: new Map(), nextCall: 1,
            };
            st.linkcall = linkcaller(st);
            st.api = nodeApi(st);
            nodes.set(key, st);
        },
        // Many new nodes at once: JSON text of [[key, info, [[part, source], ...]], ...], each
        // source an expression giving the part's factory. Returns the keys whose code did not
        // compile (those nodes are not added), as JSON text.
        addAll(specsText) {
            const failed = [];
            for (const [key, info, sources] of JSON.parse(specsText)) {
                this.add(key, JSON.stringify(info));
                try {
                    for (const [kind, source] of sources) {
                        this.define(key, kind, (0, eval)(source));
                    }
                } catch (err) {
                    nodes.delete(key);
                    failed.push(key);
                }
            }
            return JSON.stringify(failed);
        },
        // One part (body, init, fin) of node key's code: factory(...API_NAMES) makes it.
        define(key, kind, factory) {
            const st = nodes.get(key);
            st.parts[kind] = factory(...st.api);
        },
        // Forget node key: its code, timers and handlers become garbage.
        remove(key) {
            nodes.delete(key);
        },
        // The buffer Python writes a batch's text into, made anew when it needs `units` UTF-16
        // code units (a batch passed as source text would be a new script each time, which
        // V8 keeps).
        jobsBuffer(units) {
            if (units > jobsBuf.length) {
                jobsBuf = new Uint16Array(new SharedArrayBuffer(2 * units));
            }
            return jobsBuf.buffer;
        },
        // Run a batch of jobs: JSON text of [key, kind, a, b, ...] in the jobs buffer, after its
        // length in characters (32 bits, little-endian) and its form (1: ASCII bytes, 2: UTF-16).
        // Returns [jobs run, ...effects] as JSON text.
        run() {
            inRun = true;
            const units = jobsBuf[0] | (jobsBuf[1] << 16);
            // ASCII text comes one byte a character (the third code unit says which)
            const chars = jobsBuf[2] === 1 ? new Uint8Array(jobsBuf.buffer, 6, units) : jobsBuf.subarray(3, 3 + units);
            let jobsText = "";
            for (let i = 0; i < units; i += 8192) {
                jobsText += String.fromCharCode.apply(null, chars.subarray(i, Math.min(units, i + 8192)));
            }
            const jobs = parse(jobsText);
            const snaps = parse(jobsText);  // what Python holds of each msg (see runMessage)
            const t0 = Date.now();
            let i = 0;
            for (; i < jobs.length; i += 4) {
                if (i > 0 && Date.now() - t0 > BUDGET_MS) {
                    break;
                }
                current = i >> 2;
                runJob(jobs[i], jobs[i + 1], jobs[i + 2], jobs[i + 3], snaps[i + 3]);
            }
            current = i >> 2;
            return drain();
        },
        drain,
    };
})();
