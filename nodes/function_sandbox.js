// The sandbox of FlowRed's function node: the API a Node-RED function sees (msg, node, context,
// flow, global, env, RED.util, timers, console), evaluated once in each function node's own V8
// isolate by nodes/function.py.
//
// Python drives it with batches of jobs (__flowred.run) and gets back what the user code did as
// a list of effects ([kind, ...]: sends, status, logs, errors, completions, timer changes), which
// Python applies in order. Reads that need an answer at once (context, env) go through a
// SharedArrayBuffer channel: the request is written into the buffer, a "bell" function tells
// Python, and JS waits until Python has written the reply into the same buffer.
var __flowred = (function () {
    "use strict";
    const CHUNK = 65536;               // UTF-16 code units per channel chunk
    const BUDGET_MS = 20;              // start no new job of a batch after this long
    const ANSWER_LIMIT_MS = 30000;     // give up waiting for Python after this long
    const sab = new SharedArrayBuffer(16 + CHUNK * 2);
    const ctl = new Int32Array(sab, 0, 4);   // [state 0 idle/1 request/2 reply, length, more, flush wanted]
    const buf = new Uint16Array(sab, 16, CHUNK);
    const timers = new Map();
    const closeHandlers = [];
    const parts = {};
    let info = { id: "", name: "", outputCount: 1 };
    let bell = null;
    let out = [];
    let inRun = false;
    let current = -1;
    let nextTimer = 1;

    function emit(effect) {
        out.push(effect);
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
                emit(["b"]);
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
                    const m = /:(\d+):(\d+)$/.exec(lines[i + 1] || "");
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

    function failed(seq, err, part) {
        emit(["f", seq].concat(errorInfo(err, part || "body")));
    }

    // -- the API ---------------------------------------------------------------------------
    function sendResults(msgs, msgid, cloneFirst) {
        if (msgs === null || msgs === undefined) {
            return;
        }
        if (!Array.isArray(msgs)) {
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
                    emit(["e", "Function tried to send a message of type " + type, null]);
                }
            }
            outputs.push(list);
        }
        if (count > 0) {
            emit(["s", outputs]);
        }
    }

    // node.linkcall(target, msg[, {timeout, clone}]), as Node-RED 5's 10-function.js: sends
    // (a clone of) msg to the "link in" node target (an id, or a unique name) and resolves with
    // the msg a "link out" in return mode gives back; rejects with Error("timeout") after
    // options.timeout ms (default 5000), or when the target is not found. Python delivers the
    // msg and answers with an "lr" job.
    const calls = new Map();
    let nextCall = 1;

    async function linkcall(target, msg, options) {
        if (typeof target !== "string" || target.trim() === "") {
            throw new Error("Error link call target parameter is not valid, expected a string");
        }
        if (typeof msg !== "object" || msg === null) {
            throw new Error("Error link call msg parameter is not valid, expected an object");
        }
        options = options || {};
        const timeout = Number(options.timeout) || 5000;
        const m = options.clone === false ? msg : cloneMessage(msg);
        const id = nextCall++;
        return new Promise((resolve, reject) => {
            calls.set(id, { resolve, reject });
            emit(["lc", id, target, m, timeout]);
        });
    }

    function linkReturn(id, msg, error) {
        const call = calls.get(id);
        if (call) {
            calls.delete(id);
            if (error === null) {
                call.resolve(attachRefs(msg));
            } else {
                call.reject(new Error(error));
            }
        }
    }

    function makeNode(kind, seq, msgid) {
        const node = {
            id: info.id,
            name: info.name,
            outputCount: info.outputCount,
            log: (m) => emit(["l", 40, text(m)]),
            warn: (m) => emit(["l", 30, text(m)]),
            error: (e, msg) => emit(["e", text(e), msg === undefined ? null : msg]),
            debug: (m) => emit(["l", 50, text(m)]),
            trace: (m) => emit(["l", 60, text(m)]),
            status: (s) => emit(["st", s === undefined ? {} : s]),
            linkcall,
        };
        if (kind === "body") {
            node.send = (msgs, cloneMsg) => sendResults(msgs, msgid, cloneMsg !== false);
            node.done = (err) => (err ? failed(seq, err, "done") : emit(["c", seq]));
            node.on = (event, fn) => {
                if (event === "input") {
                    throw new Error("Cannot add listener to 'input' event within Function");
                }
                if (event === "close" && typeof fn === "function") {
                    closeHandlers.push(fn);
                }
            };
        } else if (kind === "init") {
            node.send = (msgs, cloneMsg) => sendResults(msgs, generateId(), cloneMsg !== false);
        } else {
            node.send = () => emit(["e", "Cannot send from close function", null]);
        }
        return node;
    }

    function contextApi(scope) {
        const api = {
            get(key, store, cb) {
                if (typeof store === "function") { cb = store; store = undefined; }
                const v = call(["get", scope, key, store === undefined ? null : store]);
                if (typeof cb !== "function") return v;
                Array.isArray(key) ? cb(null, ...v) : cb(null, v);
            },
            set(key, value, store, cb) {
                if (typeof store === "function") { cb = store; store = undefined; }
                store = store === undefined ? null : store;
                call(value === undefined ? ["del", scope, key, store] : ["set", scope, key, value, store]);
                if (typeof cb === "function") cb(null);
            },
            keys(store, cb) {
                if (typeof store === "function") { cb = store; store = undefined; }
                const v = call(["keys", scope, store === undefined ? null : store]);
                if (typeof cb !== "function") return v;
                cb(null, v);
            },
            update: (key, fn, store) => update(scope, key, fn, store),
        };
        return api;
    }

    // context.update(key, fn[, store]), FlowRed's own: atomically replaces the value by
    // fn(old) and resolves with it. Python answers "peek" with [token, value?] and "cas" with
    // true/false, or {w: id} when the store must ask NATS; the answer then comes as a "ur" job.
    const updates = new Map();
    let nextUpdate = 1;
    const UPDATE_ATTEMPTS = 10000;

    const updateChains = new Map();  // one update at a time per key in this node: no conflicts among its msgs

    function update(scope, key, fn, store) {
        if (typeof fn !== "function") {
            return Promise.reject(new TypeError("context update needs a function of the old value"));
        }
        store = store === undefined ? null : store;
        const chain = JSON.stringify([scope, store, key]);
        const before = updateChains.get(chain) || Promise.resolve();
        const result = before.then(() => attemptUpdate(scope, key, fn, store));
        const settled = result.then(() => undefined, () => undefined);
        updateChains.set(chain, settled);
        settled.then(() => { if (updateChains.get(chain) === settled) updateChains.delete(chain); });
        return result;
    }

    async function attemptUpdate(scope, key, fn, store) {
        for (let i = 0; i < UPDATE_ATTEMPTS; i++) {
            const peeked = call(["peek", scope, key, store]);
            let value = fn(peeked.length > 1 ? peeked[1] : undefined);
            if (value && typeof value.then === "function") {
                value = await value;
            }
            const request = ["cas", scope, key, store, peeked[0]];
            if (value !== undefined) request.push(value);
            let done = call(request);
            if (done !== true && done !== false) {
                const id = done.w;
                done = await new Promise((resolve, reject) => updates.set(id, { resolve, reject }));
            }
            if (done) return value;
        }
        throw new Error("context update of " + JSON.stringify(key) + " gave up after " + UPDATE_ATTEMPTS + " conflicts");
    }

    function updateAnswer(id, done, error) {
        const waiting = updates.get(id);
        if (waiting) {
            updates.delete(id);
            error === null ? waiting.resolve(done) : waiting.reject(new Error(error));
        }
    }

    function addTimer(fn, delay, args, repeat) {
        if (typeof fn !== "function") {
            throw new TypeError("The \"callback\" argument must be of type function");
        }
        const id = nextTimer++;
        timers.set(id, { fn, args, repeat });
        emit(["ts", id, Math.max(0, Number(delay) || 0), repeat]);
        return id;
    }

    function removeTimer(id) {
        if (timers.delete(id)) {
            emit(["tc", id]);
        }
    }

    const nodeContext = contextApi("node");
    const sandbox = {
        context: nodeContext,
        flow: contextApi("flow"),
        global: contextApi("global"),
        env: { get: (name) => call(["env", String(name)]) },
        RED: { util: { cloneMessage, generateId } },
        console: {
            log: (...a) => emit(["l", 40, a.map(text).join(" ")]),
            info: (...a) => emit(["l", 40, a.map(text).join(" ")]),
            warn: (...a) => emit(["l", 30, a.map(text).join(" ")]),
            error: (...a) => emit(["l", 30, a.map(text).join(" ")]),
            debug: (...a) => emit(["l", 50, a.map(text).join(" ")]),
        },
        setTimeout: (fn, delay, ...args) => addTimer(fn, delay, args, false),
        clearTimeout: removeTimer,
        setInterval: (fn, delay, ...args) => addTimer(fn, delay, args, true),
        Buffer,
        clearInterval: removeTimer,
    };
    nodeContext.flow = sandbox.flow;
    nodeContext.global = sandbox.global;
    Object.assign(globalThis, sandbox);

    // -- jobs ------------------------------------------------------------------------------
    function runMessage(seq, msg) {
        attachRefs(msg);
        const msgid = msg._msgid;
        let result;
        try {
            const body = parts.body;  // called unbound, so its stack frames read "at function-body:2:7"
            result = body(msg, makeNode("body", seq, msgid));
        } catch (err) {
            failed(seq, err);
            return;
        }
        const finish = (results) => {
            sendResults(results, msgid, false);
            if (!info.userDone) {
                emit(["c", seq]);
            }
        };
        if (result && typeof result.then === "function") {
            result.then(finish, (err) => failed(seq, err));
        } else {
            finish(result);
        }
    }

    function runTimer(id) {
        const timer = timers.get(id);
        if (!timer) {
            return;
        }
        if (!timer.repeat) {
            timers.delete(id);
        }
        try {
            timer.fn(...timer.args);
        } catch (err) {
            emit(["e", errorText(err, "timer"), {}]);
        }
    }

    function runInit() {
        if (!parts.init) {
            emit(["ready"]);
            return;
        }
        let result;
        try {
            result = parts.init(makeNode("init"));
        } catch (err) {
            emit(["initfail", errorText(err, "setup")]);
            return;
        }
        Promise.resolve(result).then(() => emit(["ready"]),
                                      (err) => emit(["initfail", errorText(err, "setup")]));
    }

    function runClose() {
        const node = makeNode("close");
        for (const fn of closeHandlers.splice(0)) {
            try {
                fn();
            } catch (err) {
                emit(["e", errorText(err, "close"), null]);
            }
        }
        if (parts.fin) {
            try {
                parts.fin(node);
            } catch (err) {
                emit(["e", errorText(err, "cleanup"), null]);
            }
        }
    }

    function runJob(job) {
        switch (job[0]) {
            case "m": runMessage(job[1], job[2]); break;
            case "t": runTimer(job[1]); break;
            case "i": runInit(); break;
            case "c": runClose(); break;
            case "lr": linkReturn(job[1], job[2], job[3]); break;
            case "ur": updateAnswer(job[1], job[2], job[3]); break;
        }
    }

    function drain() {
        const done = current;
        const effects = out;
        out = [];
        inRun = false;
        current = -1;
        Atomics.store(ctl, 3, 0);
        return JSON.stringify([done, effects]);
    }

    return {
        buffer: sab,
        configure(setBell, infoText) {
            bell = setBell;
            info = JSON.parse(infoText);
        },
        define(kind, fn) {
            parts[kind] = fn;
        },
        // Run a batch of jobs (JSON text); returns [jobs run, effects] as JSON text.
        run(jobsText) {
            inRun = true;
            const jobs = parse(jobsText);
            const t0 = Date.now();
            let i = 0;
            for (; i < jobs.length; i++) {
                if (i > 0 && Date.now() - t0 > BUDGET_MS) {
                    break;
                }
                current = i;
                runJob(jobs[i]);
            }
            current = i;
            return drain();
        },
        drain,
    };
})();
