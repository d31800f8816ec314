// Decoding of debug message values, the inverse of Node-RED's RED.util.encodeObject.
//
// The result is a plain JS value in which special values keep their {"__enc__": true, ...}
// marker objects; jsontree.js knows how to show them. Two extra marker types are produced
// here for top-level values that have no JSON form: "hex" (a buffer sent as hex) and "raw".

export const UNDEFINED = Object.freeze({ __enc__: true, type: "undefined" });

/** Whether a value is an encoder marker ({"__enc__": true, "type": ...}). */
export function isMarker(value) {
  return value !== null && typeof value === "object" && !Array.isArray(value) && value.__enc__ === true;
}

function parseJson(text) {
  if (typeof text !== "string") return { ok: true, value: text };
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    return { ok: false, value: text };
  }
}

/**
 * Decode the {msg, format} pair of a debug message.
 * Returns {value, format}: the format as shown in the header, the value for the tree.
 */
export function decodeDebug(data) {
  const format = typeof data.format === "string" ? data.format : "";
  const msg = data.msg;
  if (format.startsWith("string")) {
    return { value: typeof msg === "string" ? msg : String(msg ?? ""), format };
  }
  switch (format) {
    case "number": {
      if (typeof msg === "number") return { value: msg, format };
      const n = Number(msg);
      if (Number.isFinite(n) && String(n) === String(msg).trim()) return { value: n, format };
      return { value: { __enc__: true, type: "number", data: String(msg) }, format };
    }
    case "boolean":
      return { value: msg === true || msg === "true", format };
    case "null":
      return { value: null, format };
    case "undefined":
      return { value: UNDEFINED, format };
    case "function":
      return { value: { __enc__: true, type: "function" }, format };
    case "bigint":
      return { value: { __enc__: true, type: "bigint", data: String(msg) }, format };
    case "error": {
      const parsed = parseJson(msg);
      if (!parsed.ok) return { value: { __enc__: true, type: "error", data: { message: String(msg) } }, format };
      const v = parsed.value;
      if (isMarker(v)) return { value: v, format };
      if (v && typeof v === "object") return { value: { __enc__: true, type: "error", data: v }, format };
      return { value: { __enc__: true, type: "error", data: { message: String(v) } }, format };
    }
    default:
      break;
  }
  if (format.startsWith("buffer")) {
    const length = Number((/\[(\d+)\]/.exec(format) || [])[1]);
    return { value: { __enc__: true, type: "hex", data: String(msg ?? ""), length }, format };
  }
  // Object, array[n], set[n], map, Date and other JSON-encoded types.
  const parsed = parseJson(msg);
  if (parsed.ok) return { value: parsed.value, format: format || typeof parsed.value };
  return { value: { __enc__: true, type: "raw", data: String(msg) }, format: format || "string" };
}
