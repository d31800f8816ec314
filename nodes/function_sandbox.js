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
        const answer = JSON.parse(reply);
        if (answer.e !== undefined) {
            throw new Error(answer.e);
        }
        return answer.v;
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

    // An error of user code as Node-RED reports it: "TypeError: ... (line 3, col 11)".
    function errorText(err, part) {
        if (err instanceof Error) {
            const m = new RegExp("function-" + part + ":(\\d+):(\\d+)").exec(String(err.stack));
            const where = m ? " (line " + (Number(m[1]) - 1) + ", col " + m[2] + ")" : "";
            return err.toString() + where;
        }
        return typeof err === "string" ? err : text(err);
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
        };
        if (kind === "body") {
            node.send = (msgs, cloneMsg) => sendResults(msgs, msgid, cloneMsg !== false);
            node.done = (err) => emit(err ? ["f", seq, errorText(err, "body")] : ["c", seq]);
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
        };
        return api;
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
            result = parts.body(msg, makeNode("body", seq, msgid));
        } catch (err) {
            emit(["f", seq, errorText(err, "body")]);
            return;
        }
        const finish = (results) => {
            sendResults(results, msgid, false);
            if (!info.userDone) {
                emit(["c", seq]);
            }
        };
        if (result && typeof result.then === "function") {
            result.then(finish, (err) => emit(["f", seq, errorText(err, "body")]));
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
            emit(["e", errorText(err, "body"), {}]);
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
                emit(["e", errorText(err, "body"), null]);
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
            const jobs = JSON.parse(jobsText);
            const t0 = Date.now();
            inRun = true;
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
