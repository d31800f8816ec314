// The sidebar's "help" pane, as Node-RED's help sidebar (editor-client src/js/ui/tab-help.js):
// the help of the selected node's type. The server sends each type's help in GET /node-types
// (the node class's docstring, runtime/registry.py); it is rendered by markdown.js.

import { h, clear } from "./dom.js";
import { renderMarkdown } from "./markdown.js";
import { typeDef } from "./nodetypes.js";

export class HelpPane {
  constructor(el) {
    this.el = el;
    this.type = null;
  }

  /** Show the help of a node type (null: a hint to select a node). */
  show(type) {
    this.type = type;
    this.render();
  }

  render() {
    clear(this.el);
    const type = this.type;
    if (!type) {
      this.el.append(h("p", { class: "pane-empty" }, "Select a node to see the help of its type."));
      return;
    }
    const def = typeDef(type);
    const help = typeof def.help === "string" ? def.help.trim() : "";
    this.el.append(
      h("h3", { class: "pane-title" }, def.paletteLabel && def.paletteLabel !== type ? `${def.paletteLabel} (${type})` : type),
      help ? h("div", { class: "help-text" }, renderMarkdown(help))
        : h("p", { class: "pane-empty" }, type.startsWith("subflow:") ? "A subflow instance: its description is in the info pane."
          : "There is no help for this node type."),
    );
  }
}
