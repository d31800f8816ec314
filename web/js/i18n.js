// Status texts that are i18n keys, drawn in English as Node-RED's editor does (RED._ on a
// status text that looks like a key). Only the keys the bundled nodes send: the OpenAI API
// node's ("OpenaiApi.status.*", from @inductiv/node-red-openai-api's locales/en-US/node.json)
// and Node-RED's common statuses ("node-red:common.status.*", @node-red/nodes en-US
// messages.json). Any other text is drawn as it is.

const STATUS_TEXT = {
  "OpenaiApi.status.requesting": "requesting",
  "OpenaiApi.status.streaming": "streaming",
  "node-red:common.status.connected": "connected",
  "node-red:common.status.not-connected": "not connected",
  "node-red:common.status.disconnected": "disconnected",
  "node-red:common.status.connecting": "connecting",
  "node-red:common.status.error": "error",
  "node-red:common.status.ok": "OK",
};

/** The English text of a status text: its translation when it is a known key, else the text. */
export function statusText(text) {
  const s = String(text);
  return Object.prototype.hasOwnProperty.call(STATUS_TEXT, s) ? STATUS_TEXT[s] : s;
}
