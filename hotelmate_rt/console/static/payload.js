// The payload view: the selected event's JSON, pretty-printed, with each schema violation marked
// at its JSON path and each sensitive field marked.

import {$, badge, clock, el, verdictCell} from "./dom.js";

const MAX_JSON_LINES = 4000;

// JSON paths as the server writes them: $, $.key, $[0], $.a.b[2].c
const childPath = (path, key) => (typeof key === "number" ? `${path}[${key}]` : `${path}.${key}`);

function findingPaths(finding) {
  const paths = [];
  if (finding.path) paths.push(finding.path);
  // "Additional properties are not allowed ('x', 'y' were unexpected)": point at the keys too
  const extra = /\(((?:'[^']*'(?:, )?)+) (?:was|were) unexpected\)/.exec(finding.message || "");
  if (extra) {
    for (const m of extra[1].matchAll(/'([^']*)'/g)) paths.push(childPath(finding.path || "$", m[1]));
  }
  return paths;
}

export function showDetail(item) {
  const box = $("#detail");
  box.replaceChildren();
  if (!item) { box.append(el("p", "hint", "Click an event to see its payload.")); return; }
  const head = el("div", "detail-head");
  head.append(el("strong", null, item.event), el("span", null, ` on ${item.channel}`),
              el("small", "cid", `contract channel: ${item.channel_id || "none (not in contract)"}`));
  const meta = el("div", "meta", `${clock(item.at)} · ${item.size} bytes · seq ${item.seq}`);
  const badges = verdictCell(item);
  box.append(head, meta, badges);
  const marks = new Map();   // path -> [{kind, text}]
  const mark = (path, kind, text) => {
    if (!marks.has(path)) marks.set(path, []);
    marks.get(path).push({kind, text});
  };
  if (item.findings.length) {
    const list = el("ul", "findings");
    for (const f of item.findings) {
      const li = el("li", `finding k-${f.kind}`);
      li.append(badge(f.kind));
      if (f.path) li.append(el("code", "path", f.path));
      li.append(el("span", null, ` ${f.message}`));
      if (f.replacement) li.append(el("span", "replacement", ` → ${f.replacement}`));
      list.append(li);
      if (f.kind === "schema-violation" || f.kind === "sensitive-exposed") {
        for (const p of findingPaths(f)) mark(p, f.kind === "schema-violation" ? "violation" : "exposed", f.message);
      }
    }
    box.append(list);
  }
  for (const p of item.sensitive || []) mark(p, "sensitive", "sensitive field");
  let value;
  try {
    value = typeof item.data === "string" ? JSON.parse(item.data) : item.data;
  } catch (e) {
    box.append(el("p", "error", "The data is not JSON; shown as received:"), el("pre", "raw", item.data));
    return;
  }
  const pre = el("div", "json");
  const lines = {count: 0};
  renderJson(pre, value, "$", null, 0, false, marks, lines);
  box.append(pre);
  const first = pre.querySelector(".violation, .exposed");
  if (first) first.scrollIntoView({block: "nearest"});
}

function renderJson(parent, value, path, key, depth, comma, marks, lines) {
  if (lines.count > MAX_JSON_LINES) return;
  const isArray = Array.isArray(value);
  const isObject = value !== null && typeof value === "object";
  const line = el("div", "jl");
  line.dataset.path = path;
  line.style.paddingLeft = `${depth * 1.2}em`;
  if (key !== null) {
    line.append(el("span", "jk", typeof key === "number" ? "" : JSON.stringify(key)));
    if (typeof key !== "number") line.append(el("span", "jp", ": "));
  }
  const entries = isObject ? (isArray ? value.map((v, i) => [i, v]) : Object.entries(value)) : [];
  if (isObject) {
    line.append(el("span", "jp", entries.length ? (isArray ? "[" : "{") : (isArray ? "[]" : "{}") + (comma ? "," : "")));
  } else {
    line.append(el("span", `jv j-${value === null ? "null" : typeof value}`, JSON.stringify(value)), el("span", "jp", comma ? "," : ""));
  }
  for (const m of marks.get(path) || []) {
    line.classList.add(m.kind);
    line.append(el("span", `note n-${m.kind}`, m.text));
  }
  parent.append(line);
  lines.count += 1;
  if (!isObject || !entries.length) return;
  entries.forEach(([k, v], i) => renderJson(parent, v, childPath(path, k), isArray ? i : k, depth + 1, i < entries.length - 1, marks, lines));
  const close = el("div", "jl");
  close.style.paddingLeft = `${depth * 1.2}em`;
  close.append(el("span", "jp", (isArray ? "]" : "}") + (comma ? "," : "")));
  parent.append(close);
  lines.count += 1;
}
