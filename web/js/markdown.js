// A small, safe Markdown renderer for node descriptions (the `info` field) and node help.
//
// It builds DOM nodes only (text goes in as text nodes, never as markup), so raw HTML in the
// source shows as text and cannot inject anything. It is deliberately limited: headings (#),
// paragraphs, one level of bullet (* - +) and numbered lists, fenced (```) and indented code
// blocks, reStructuredText literal blocks (a paragraph ending in "::", as the help docstrings
// use), block quotes (>), rules (---), and inline `code` / ``code``, **bold**, *em* / _em_ and
// [links](url) whose url is http(s), mailto or a #fragment. Anything else is plain text.

import { h } from "./dom.js";

const SAFE_URL = /^(https?:\/\/|mailto:|#)/i;

/** Remove the indentation common to all lines but the first (a Python docstring's layout). */
export function dedent(text) {
  const lines = String(text ?? "").replace(/\r\n?/g, "\n").split("\n");
  let indent = Infinity;
  for (const line of lines.slice(1)) {
    if (!line.trim()) continue;
    indent = Math.min(indent, line.length - line.trimStart().length);
  }
  if (!Number.isFinite(indent)) indent = 0;
  return [lines[0].trimStart(), ...lines.slice(1).map((l) => l.slice(indent))].join("\n");
}

/** Inline markup of one paragraph's text → an array of DOM nodes. */
export function renderInline(text) {
  const out = [];
  const re = /``(.+?)``|`([^`]+)`|\*\*(.+?)\*\*|(?<!\w)__(.+?)__(?!\w)|\*([^*\s](?:[^*]*[^*\s])?)\*|(?<!\w)_([^_\s](?:[^_]*[^_\s])?)_(?!\w)|\[([^\]]+)\]\(([^)\s]+)\)|\\([\\`*_[\]()#>-])/g;
  let last = 0;
  for (const m of text.matchAll(re)) {
    if (m.index > last) out.push(text.slice(last, m.index));
    last = m.index + m[0].length;
    if (m[1] !== undefined || m[2] !== undefined) out.push(h("code", null, m[1] ?? m[2]));
    else if (m[3] !== undefined || m[4] !== undefined) out.push(h("strong", null, renderInline(m[3] ?? m[4])));
    else if (m[5] !== undefined || m[6] !== undefined) out.push(h("em", null, renderInline(m[5] ?? m[6])));
    else if (m[7] !== undefined) {
      const url = m[8];
      out.push(SAFE_URL.test(url)
        ? h("a", { href: url, target: url.startsWith("#") ? null : "_blank", rel: "noopener noreferrer" }, renderInline(m[7]))
        : h("span", null, renderInline(m[7])));
    } else out.push(m[9]);
  }
  if (last < text.length) out.push(text.slice(last));
  return out;
}

const BULLET = /^\s*[*+-]\s+/;
const NUMBERED = /^\s*\d+[.)]\s+/;

/** Render Markdown text → a <div class="markdown"> element. */
export function renderMarkdown(text) {
  const root = h("div", { class: "markdown" });
  const lines = dedent(text).split("\n");
  let i = 0;
  let literalNext = false;   // the previous paragraph ended with "::"
  const indentOf = (line) => line.length - line.trimStart().length;
  while (i < lines.length) {
    const line = lines[i];
    if (!line.trim()) {
      i += 1;
      continue;
    }
    const fence = /^\s*```/.exec(line);
    if (fence) {
      const code = [];
      i += 1;
      while (i < lines.length && !/^\s*```/.test(lines[i])) code.push(lines[i++]);
      i += 1;
      root.append(h("pre", null, h("code", null, code.join("\n"))));
      literalNext = false;
      continue;
    }
    if ((literalNext && indentOf(line) > 0) || indentOf(line) >= 4) {
      const base = indentOf(line);
      const code = [];
      while (i < lines.length && (!lines[i].trim() || indentOf(lines[i]) >= Math.min(base, 1))) {
        code.push(lines[i].slice(Math.min(base, indentOf(lines[i]) || base)));
        i += 1;
      }
      while (code.length && !code[code.length - 1].trim()) code.pop();
      root.append(h("pre", null, h("code", null, code.join("\n"))));
      literalNext = false;
      continue;
    }
    literalNext = false;
    const heading = /^(#{1,6})\s+(.*?)\s*#*\s*$/.exec(line);
    if (heading) {
      root.append(h(`h${Math.min(6, heading[1].length + 2)}`, null, renderInline(heading[2])));
      i += 1;
      continue;
    }
    if (/^\s*(-{3,}|\*{3,})\s*$/.test(line)) {
      root.append(h("hr"));
      i += 1;
      continue;
    }
    if (/^\s*>/.test(line)) {
      const quoted = [];
      while (i < lines.length && /^\s*>/.test(lines[i])) quoted.push(lines[i++].replace(/^\s*>\s?/, ""));
      root.append(h("blockquote", null, [...renderMarkdown(quoted.join("\n")).childNodes]));
      continue;
    }
    if (BULLET.test(line) || NUMBERED.test(line)) {
      const numbered = NUMBERED.test(line) && !BULLET.test(line);
      const marker = numbered ? NUMBERED : BULLET;
      const list = h(numbered ? "ol" : "ul");
      const base = indentOf(line);
      let item = null;
      while (i < lines.length) {
        const l = lines[i];
        if (!l.trim()) {
          const next = lines[i + 1];
          if (next !== undefined && (marker.test(next) && indentOf(next) === base)) {
            i += 1;
            continue;
          }
          break;
        }
        if (marker.test(l) && indentOf(l) === base) {
          item = [l.replace(marker, "")];
          list.append(h("li"));
          list.lastChild.item = item;
        } else if (indentOf(l) > base && item) {
          item.push(l.trim());
        } else {
          break;
        }
        i += 1;
      }
      for (const li of list.children) li.append(...renderInline(li.item.join(" ")));
      root.append(list);
      continue;
    }
    const para = [];
    while (i < lines.length && lines[i].trim() && !/^\s*(```|#{1,6}\s|>)/.test(lines[i]) &&
      !(para.length && (BULLET.test(lines[i]) || NUMBERED.test(lines[i])))) {
      para.push(lines[i].trim());
      i += 1;
    }
    let joined = para.join(" ");
    if (joined.endsWith("::")) {
      literalNext = true;
      joined = joined.slice(0, -1);
      if (joined.endsWith(" :")) joined = joined.slice(0, -2);
    }
    if (joined.trim()) root.append(h("p", null, renderInline(joined)));
  }
  return root;
}
