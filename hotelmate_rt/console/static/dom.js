// Small DOM and API helpers every part of the page uses. Untrusted text (channel names,
// payloads, messages) only ever goes into the DOM through textContent.

export const $ = (sel) => document.querySelector(sel);

export function el(tag, cls, text) {
  const node = document.createElement(tag);
  if (cls) node.className = cls;
  if (text !== undefined && text !== null) node.textContent = String(text);
  return node;
}

export function addOption(select, value, label) {
  const option = el("option", null, label);
  option.value = value;
  $(select).append(option);
}

export function clock(at) {
  const d = new Date(at * 1000);
  const pad = (n, w = 2) => String(n).padStart(w, "0");
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
}

export function badge(kind) { return el("span", `badge k-${kind}`, kind); }

export function verdictCell(item) {
  const cell = el("span", "v");
  for (const kind of item.verdict) cell.append(badge(kind));
  return cell;
}

// Every URL is relative to the page's own /s/<token>/ path, so the session token never appears
// in the page's files.
export async function api(path, body) {
  const options = body === undefined ? {} : {
    method: "POST", headers: {"content-type": "application/json"}, body: JSON.stringify(body)};
  const response = await fetch(path, options);
  let data = {};
  try { data = await response.json(); } catch (e) { data = {error: response.statusText}; }
  data.status = response.status;
  return data;
}
