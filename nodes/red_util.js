// RED.util's property helpers for function nodes, as Node-RED's @node-red/util lib/util.js:
// normalisePropertyExpression, getMessageProperty, setMessageProperty, getObjectProperty,
// setObjectProperty, ensureString. Loaded into each function-node isolate ahead of
// function_sandbox.js (nodes/js_isolate.py), which puts them on RED.util.
var __redUtil = (function () {
    "use strict";

    function invalid(str, i) {
        return new Error("Invalid property expression: unexpected " + (i < str.length ? str[i] : "end") +
            " at position " + i);
    }

    // "a.b[0]['c d'][msg.k]" -> ["a", "b", 0, "c d", <the value of msg.k>]; throws Error
    // "Invalid property expression: ..." on a malformed expression.
    function normalisePropertyExpression(str, msg) {
        str = String(str);
        if (str.length === 0) throw new Error("Invalid property expression: zero-length");
        const parts = [];
        let i = 0;
        const n = str.length;
        let expectKey = true;
        while (i < n) {
            if (expectKey) {
                const start = i;
                while (i < n && str[i] !== "." && str[i] !== "[" && str[i] !== "]") i++;
                if (i === start) throw invalid(str, i);
                parts.push(str.slice(start, i));
                expectKey = false;
            } else if (str[i] === ".") {
                i++;
                if (i >= n) throw new Error("Invalid property expression: unterminated expression");
                expectKey = true;
            } else if (str[i] === "[") {
                i++;
                const c = str[i];
                if (c === "'" || c === "\"") {
                    let j = i + 1;
                    let key = "";
                    while (j < n && str[j] !== c) {
                        if (str[j] === "\\" && j + 1 < n) j++;
                        key += str[j++];
                    }
                    if (j >= n || str[j + 1] !== "]") throw invalid(str, Math.min(j + 1, n));
                    parts.push(key);
                    i = j + 2;
                } else if (c !== undefined && c >= "0" && c <= "9") {
                    let j = i;
                    while (j < n && str[j] >= "0" && str[j] <= "9") j++;
                    if (str[j] !== "]") throw invalid(str, j);
                    parts.push(Number(str.slice(i, j)));
                    i = j + 1;
                } else if (msg !== undefined && str.startsWith("msg.", i)) {
                    let depth = 1;
                    let j = i;
                    while (j < n && depth > 0) {
                        if (str[j] === "[") depth++;
                        else if (str[j] === "]") depth--;
                        if (depth > 0) j++;
                    }
                    if (j >= n) throw invalid(str, n);
                    const value = getMessageProperty(msg, str.slice(i, j));
                    if (value === undefined) {
                        throw new Error("Invalid expression: undefined reference at position " + i + " : " + str.slice(i, j));
                    }
                    parts.push(value);
                    i = j + 1;
                } else {
                    throw invalid(str, i);
                }
            } else {
                throw invalid(str, i);
            }
        }
        if (expectKey) throw new Error("Invalid property expression: unterminated expression");
        return parts;
    }

    // The value at expr in obj, undefined when the last step is missing (a missing step
    // before it throws TypeError, as Node-RED's reduce does).
    function getObjectProperty(obj, expr) {
        let result = obj;
        for (const key of normalisePropertyExpression(expr, obj)) {
            result = result[key];
        }
        return result;
    }

    function getMessageProperty(msg, expr) {
        expr = String(expr);
        if (expr.startsWith("msg.")) expr = expr.slice(4);
        return getObjectProperty(msg, expr);
    }

    // Set (or, with value undefined, delete) obj's property at prop; missing parents are made
    // (an array before a numeric key) unless createMissing is false (default: value !== undefined).
    // true when set; false when a parent is missing (and not made) or not an object.
    function setObjectProperty(obj, prop, value, createMissing) {
        if (createMissing === undefined) createMissing = value !== undefined;
        const parts = normalisePropertyExpression(prop, obj);
        let target = obj;
        for (let i = 0; i < parts.length - 1; i++) {
            const key = parts[i];
            const next = target[key];
            if (next === undefined || next === null) {
                if (!createMissing) return false;
                target[key] = typeof parts[i + 1] === "number" ? [] : {};
            } else if (typeof next !== "object" && typeof next !== "function") {
                return false;
            }
            target = target[key];
        }
        const last = parts[parts.length - 1];
        if (value === undefined) {
            if (Array.isArray(target) && typeof last === "number") target.splice(last, 1);
            else delete target[last];
        } else {
            target[last] = value;
        }
        return true;
    }

    function setMessageProperty(msg, prop, value, createMissing) {
        prop = String(prop);
        if (prop.startsWith("msg.")) prop = prop.slice(4);
        return setObjectProperty(msg, prop, value, createMissing);
    }

    // A value as text: objects as JSON, others with String().
    function ensureString(o) {
        if (typeof o === "string") return o;
        if (o !== null && typeof o === "object") return JSON.stringify(o);
        return String(o);
    }

    return { normalisePropertyExpression, getMessageProperty, setMessageProperty, getObjectProperty,
        setObjectProperty, ensureString };
})();
