// hotelmate-rt console page: no build step, no dependency. Every URL is relative to the page's
// own /s/<token>/ path, so the session token never appears in this file or the HTML. Untrusted
// text (channel names, payloads, messages) only ever goes into the DOM through textContent.
"use strict";

const ROW_H = 22;          // px per table row (the table is virtualised: only visible rows exist)
const KEEP = 20000;        // events kept in the page; older ones are counted, the export has all
const MAX_JSON_LINES = 4000;

const $ = (sel) => document.querySelector(sel);
const el = (tag, cls, text) => {
  const node = document.createElement(tag);
  if (cls) node.className = cls;
  if (text !== undefined && text !== null) node.textContent = String(text);
  return node;
};

const state = {
  config: null,
  session: 0,
  lastN: 0,
  all: [],            // events in arrival order (at most KEEP + slack)
  view: [],           // the filtered subset, in order
  held: [],           // events that arrived while paused
  dropped: 0,         // events pushed out of the page by KEEP
  received: 0,        // events received by this page in this session
  skipped: 0,         // events the server could not deliver to this page (it lagged)
  paused: false,
  follow: true,
  selected: null,
  channels: new Set(),
  events: new Set(),
  kinds: new Set(),
  filters: {channel: "", event: "", verdict: "", text: ""},
  stats: null,
};

// -- API -----------------------------------------------------------------------------------

async function api(path, body) {
  const options = body === undefined ? {} : {
    method: "POST", headers: {"content-type": "application/json"}, body: JSON.stringify(body)};
  const response = await fetch(path, options);
  let data = {};
  try { data = await response.json(); } catch (e) { data = {error: response.statusText}; }
  data.status = response.status;
  return data;
}

// -- the stream ----------------------------------------------------------------------------

function openStream() {
  const stream = new EventSource("api/stream");
  const on = (kind, fn) => stream.addEventListener(kind, (e) => fn(JSON.parse(e.data)));
  on("hello", (m) => {
    if (m.session !== state.session) resetSession(m.session);
    ingest(m.items);
    showStats(m.stats);
  });
  on("items", (m) => {
    if (m.session !== state.session) resetSession(m.session);
    ingest(m.items);
  });
  on("stats", showStats);
  on("cleared", (m) => { if (m.session === state.session) clearPage(); });
  on("skipped", (m) => { state.skipped += m.events; scheduleRender(); });
  on("doctor", showDoctor);
  stream.onerror = () => setStatus("offline", "console offline: reconnecting…");
}

function resetSession(session) {
  state.session = session;
  state.lastN = 0;
  clearPage();
}

function clearPage() {
  state.all = []; state.view = []; state.held = [];
  state.dropped = 0; state.received = 0; state.skipped = 0; state.selected = null;
  showDetail(null);
  scheduleRender();
}

function ingest(items) {
  for (const item of items) {
    if (item.n <= state.lastN) continue;
    state.lastN = item.n;
    if (item.type === "event") {
      state.received += 1;
      if (state.paused) state.held.push(item); else addEvent(item);
    } else if (item.type === "error") {
      $("#connect-error").textContent = item.message;
    }
  }
  if (state.held.length > KEEP) {
    state.dropped += state.held.length - KEEP;
    state.held.splice(0, state.held.length - KEEP);
  }
  scheduleRender();
}

function addEvent(item) {
  state.all.push(item);
  for (const kind of item.verdict) {
    if (!state.kinds.has(kind)) { state.kinds.add(kind); addOption("#f-verdict", kind, kind); }
  }
  if (!state.channels.has(item.channel)) {
    state.channels.add(item.channel); addOption("#f-channel", item.channel, item.channel);
  }
  if (!state.events.has(item.event)) {
    state.events.add(item.event); addOption("#f-event", item.event, item.event);
  }
  if (matches(item)) state.view.push(item);
  if (state.all.length > KEEP * 1.1) {         // trim in bulk: shifting one by one is O(n) each
    const cut = state.all.length - KEEP;
    state.dropped += cut;
    state.all.splice(0, cut);
    refilter();
  }
}

function addOption(select, value, label) {
  const option = el("option", null, label);
  option.value = value;
  $(select).append(option);
}

// -- filters ---------------------------------------------------------------------------------

function matches(item) {
  const f = state.filters;
  if (f.channel && item.channel !== f.channel) return false;
  if (f.event && item.event !== f.event) return false;
  if (f.verdict === "violations" && item.ok) return false;
  if (f.verdict && f.verdict !== "violations" && !item.verdict.includes(f.verdict)) return false;
  if (f.text) {
    const hay = `${item.channel} ${item.channel_id || ""} ${item.event} ${typeof item.data === "string" ? item.data : JSON.stringify(item.data)}`;
    if (!hay.toLowerCase().includes(f.text)) return false;
  }
  return true;
}

function refilter() {
  state.view = state.all.filter(matches);
  scheduleRender();
}

function bindFilters() {
  const update = () => {
    state.filters = {channel: $("#f-channel").value, event: $("#f-event").value,
                     verdict: $("#f-verdict").value, text: $("#f-text").value.trim().toLowerCase()};
    refilter();
  };
  for (const id of ["#f-channel", "#f-event", "#f-verdict"]) $(id).addEventListener("change", update);
  $("#f-text").addEventListener("input", update);
  $("#pause").addEventListener("click", () => {
    state.paused = !state.paused;
    if (!state.paused) {
      const held = state.held; state.held = [];
      for (const item of held) addEvent(item);
    }
    scheduleRender();
  });
  $("#clear").addEventListener("click", async () => { clearPage(); await api("api/clear", {}); });
}

// -- the virtualised table -------------------------------------------------------------------

const viewport = () => $("#viewport");
const pool = [];
let renderQueued = false;
let drawn = 0;             // rows (re)drawn since load: the table's own work, for the benchmark

function scheduleRender() {
  if (renderQueued) return;
  renderQueued = true;
  requestAnimationFrame(render);
}

function badge(kind) { return el("span", `badge k-${kind}`, kind); }

function fillRow(row, item) {
  row.replaceChildren(
    el("span", "t", clock(item.at)),
    cellChannel(item),
    el("span", "e", item.event),
    verdictCell(item),
    el("span", "num", item.size));
  row.dataset.n = item.n;
  row.title = `${item.channel} (${item.channel_id || "not in contract"}) ${item.event}`;
  row.classList.toggle("bad", !item.ok);
  row.item = item;
  drawn += 1;
}

function cellChannel(item) {
  const cell = el("span", "c");
  cell.append(el("span", "name", item.channel), el("small", "cid", item.channel_id || "not in contract"));
  return cell;
}

function verdictCell(item) {
  const cell = el("span", "v");
  for (const kind of item.verdict) cell.append(badge(kind));
  return cell;
}

function render() {
  renderQueued = false;
  const vp = viewport();
  const total = state.view.length;
  $("#spacer").style.height = `${total * ROW_H}px`;
  if (state.follow) vp.scrollTop = total * ROW_H;
  const first = Math.max(0, Math.floor(vp.scrollTop / ROW_H) - 4);
  const count = Math.ceil(vp.clientHeight / ROW_H) + 8;
  while (pool.length < count) {
    const row = el("div", "vrow");
    row.addEventListener("click", () => { if (row.item) select(row.item); });
    vp.append(row);
    pool.push(row);
  }
  for (let i = 0; i < pool.length; i++) {
    const row = pool[i];
    const item = state.view[first + i];
    if (!item) { row.hidden = true; row.item = null; continue; }
    row.hidden = false;
    row.style.transform = `translateY(${(first + i) * ROW_H}px)`;
    if (row.item !== item) fillRow(row, item);
    row.classList.toggle("selected", item === state.selected);
  }
  const held = state.paused ? ` · paused, ${state.held.length} new` : "";
  const dropped = state.dropped ? ` · ${state.dropped} older not kept here (the export has them)` : "";
  const skipped = state.skipped ? ` · ${state.skipped} not delivered (page too slow)` : "";
  $("#counter").textContent = `showing ${total} of ${state.all.length} · received ${state.received}${held}${dropped}${skipped}`;
  $("#pause").textContent = state.paused ? `Resume (${state.held.length})` : "Pause";
}

function bindTable() {
  const vp = viewport();
  vp.addEventListener("scroll", () => {
    state.follow = vp.scrollTop + vp.clientHeight >= vp.scrollHeight - ROW_H * 2;
    scheduleRender();
  });
}

function clock(at) {
  const d = new Date(at * 1000);
  const pad = (n, w = 2) => String(n).padStart(w, "0");
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
}

// -- the payload view ------------------------------------------------------------------------

function select(item) {
  state.selected = item;
  showDetail(item);
  scheduleRender();
}

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

function showDetail(item) {
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

// -- connection, channels, timeline ----------------------------------------------------------

function setStatus(kind, text) {
  const pill = $("#status");
  pill.dataset.state = kind;
  pill.textContent = text;
}

function showStats(s) {
  if (!s) return;
  state.stats = s;
  const labels = {idle: "not connected", connecting: "connecting…", live: "live", stopped: "stopped", error: "error"};
  setStatus(s.status, labels[s.status] || s.status);
  if (s.session) {
    const who = s.who || {};
    const params = Object.entries(who.params || {}).map(([k, v]) => `${k}=${v}`).join(" ");
    $("#who").textContent = `as ${who.audience || "?"} ${params}${s.socket_id ? ` · socket ${s.socket_id}` : ""}`;
  }
  const verdicts = Object.entries(s.verdicts).map(([k, n]) => `${n} ${k}`).join(", ");
  $("#totals").textContent = `${s.events} events · ${s.violations} violations · ${s.reconnects} reconnects · ${s.gaps.length} gaps${verdicts ? ` (${verdicts})` : ""}`;
  if (s.error) $("#connect-error").textContent = s.error;
  showChannels(s);
  showTimeline(s);
}

function countsText(counts) {
  return Object.entries(counts).map(([k, n]) => `${n} ${k}`).join(", ") || "none";
}

function showChannels(s) {
  const list = $("#channel-list");
  const table = $("#channel-table");
  list.replaceChildren();
  table.replaceChildren();
  if (!s.channels.length) list.append(el("li", "hint", "Connect to see the channels."));
  for (const c of s.channels) {
    const li = el("li", `ch ch-${c.state}`);
    li.dataset.channel = c.name;
    li.append(el("span", `dot s-${c.state}`, c.state), el("span", "name", c.name),
              el("small", "cid", c.channel_id || "not in contract"),
              el("small", "counts", `${c.events} events: ${countsText(c.counts)}`));
    if (c.last_event) li.append(el("small", "last", `last: ${c.last_event} at ${clock(c.last_at)}`));
    if (c.detail) li.append(el("small", "error", c.detail));
    list.append(li);
    const tr = el("tr", `s-${c.state}`);
    tr.append(el("td", null, c.name), el("td", null, c.channel_id || "not in contract"),
              el("td", `state s-${c.state}`, c.detail ? `${c.state}: ${c.detail}` : c.state),
              el("td", null, c.last_event ? `${c.last_event} at ${clock(c.last_at)}` : "none yet"),
              el("td", "num", c.events), el("td", null, countsText(c.counts)));
    table.append(tr);
  }
  $("#connection").textContent = `Connection ${s.connection}${s.socket_id ? ` (socket ${s.socket_id})` : ""} · ${s.reconnects} reconnects · ${s.gaps.length} gaps (${s.gaps.reduce((a, g) => a + g.seconds, 0).toFixed(1)} s blind) · ${s.pusher_errors} pusher:error`;
}

function showTimeline(s) {
  const box = $("#timeline");
  box.replaceChildren();
  const start = s.started_at;
  const end = Math.max(Date.now() / 1000, start + 1);
  const x = (t) => `${Math.min(100, Math.max(0, ((t - start) / (end - start)) * 100))}%`;
  const track = el("div", "track");
  for (const m of s.timeline) {
    const mark = el("span", `mark m-${m.kind}`);
    mark.style.left = x(m.at);
    if (m.until) mark.style.width = `calc(${x(m.until)} - ${x(m.at)})`;
    mark.title = `${clock(m.at)} ${m.label}`;
    track.append(mark);
  }
  box.append(track, el("div", "axis", `${clock(start)} → now`));
  const marks = $("#marks");
  marks.replaceChildren();
  for (const m of s.timeline.slice(-60).reverse()) {
    const li = el("li", `m-${m.kind}`);
    li.append(el("span", "t", clock(m.at)), el("span", null, ` ${m.label}`));
    marks.append(li);
  }
}

// -- the connect form ------------------------------------------------------------------------

function formValues() {
  const form = $("#connect-form");
  const data = new FormData(form);
  const params = {};
  for (const name of ["booking_id", "hotel_slug", "room_number", "conversation_id"]) {
    const value = String(data.get(name) || "").trim();
    if (value) params[name] = value;
  }
  return {audience: data.get("audience"), token: data.get("token") || "",
          auth_endpoint: String(data.get("auth_endpoint") || "").trim(),
          channels: String(data.get("channels") || ""), params};
}

function showAudienceFields() {
  const audience = new FormData($("#connect-form")).get("audience");
  for (const label of document.querySelectorAll("#connect-form [data-for]")) {
    label.hidden = !label.dataset.for.split(" ").includes(audience);
  }
}

function bindConnect() {
  const form = $("#connect-form");
  form.addEventListener("change", showAudienceFields);
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    $("#connect-error").textContent = "";
    setStatus("connecting", "connecting…");
    const result = await api("api/connect", formValues());
    if (!result.ok) {
      setStatus("error", "not connected");
      $("#connect-error").textContent = result.error || `failed (${result.status})`;
      const input = result.field && form.querySelector(`[name="${result.field === "params" && result.missing && result.missing[0] ? result.missing[0] : result.field}"]`);
      if (input) input.focus();
    }
  });
  $("#disconnect").addEventListener("click", () => api("api/disconnect", {}));
}

// -- send test event -------------------------------------------------------------------------

function bindSend() {
  const config = state.config;
  const form = $("#send-form");
  const select = $("#send-event");
  for (const event of config.contract.events) addOption("#send-event", event.name, event.name);
  if (!config.send.enabled) {
    $("#send-off").textContent = config.send.reason;
    for (const input of form.querySelectorAll("input, select, textarea, button")) input.disabled = true;
  } else {
    $("#send-off").textContent = `Events go to ${config.send.target}, validated by the Emitter first.`;
  }
  const fill = () => {
    const event = config.contract.events.find((e) => e.name === select.value);
    if (!event) return;
    $("#send-about").textContent = `${event.description || ""} (channels: ${event.channels.join(", ")})`;
    const params = $("#send-params");
    params.replaceChildren();
    const known = formValues().params;
    for (const name of event.params) {
      const label = el("label", null, `${name} `);
      const input = el("input");
      input.name = name;
      const parameter = config.contract.parameters[name] || {};
      input.value = known[name] || parameter.example || "";
      label.append(input);
      params.append(label);
    }
    $("#send-data").value = JSON.stringify(event.example, null, 2);
  };
  let chosen = false;
  select.addEventListener("change", () => { chosen = true; fill(); });
  fill();
  // Until someone picks an event, offer the first one the connected page would receive.
  document.querySelector('.tabs button[data-tab="send"]').addEventListener("click", () => {
    const ids = new Set(((state.stats && state.stats.channels) || []).map((c) => c.channel_id));
    const event = config.contract.events.find((e) => e.channels.some((c) => ids.has(c)));
    if (!chosen && event && select.value !== event.name) { select.value = event.name; fill(); }
  });
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const box = $("#send-result");
    box.replaceChildren();
    let data;
    try { data = JSON.parse($("#send-data").value); } catch (err) {
      box.append(el("p", "error", `The payload is not JSON: ${err.message}`));
      return;
    }
    const params = {};
    for (const input of $("#send-params").querySelectorAll("input")) params[input.name] = input.value.trim();
    const result = await api("api/send", {event: select.value, params, data});
    if (result.ok) {
      box.append(el("p", "ok", `sent ${result.event} to ${result.channels.join(", ")} (attempts: ${result.attempts})`));
    } else {
      box.append(el("p", "error", `${result.outcome || "error"}: ${result.message || result.error}`));
      const list = el("ul", "findings");
      for (const f of result.findings || []) {
        const li = el("li", `finding k-${f.kind}`);
        li.append(badge(f.kind), el("code", "path", f.path || ""), el("span", null, ` ${f.message}`));
        list.append(li);
      }
      box.append(list);
    }
  });
}

// -- doctor ----------------------------------------------------------------------------------

function showDoctor(m) {
  const list = $("#doctor-checks");
  const head = $("#doctor-headline");
  if (m.type === "started") {
    list.replaceChildren();
    head.className = "headline running";
    head.textContent = `The doctor is running (budget ${m.budget_s} s)…`;
    $("#doctor-run").disabled = true;
  } else if (m.type === "check") {
    const c = m.check;
    const li = el("li", `check st-${c.status}`);
    li.dataset.id = c.id;
    li.append(el("span", `badge st-${c.status}`, c.status), el("strong", null, ` ${c.title}`),
              el("span", "section", ` ${c.section}`), el("div", null, c.summary));
    if (c.evidence.length) {
      const details = el("details");
      details.append(el("summary", null, "evidence"));
      for (const line of c.evidence) details.append(el("div", "evidence", line));
      li.append(details);
    }
    if (c.next_action) li.append(el("div", "next", `next: ${c.next_action}`));
    list.append(li);
  } else if (m.type === "done" || m.type === "failed") {
    head.className = `headline ${m.type === "done" && m.exit_code === 0 ? "ok" : "bad"}`;
    head.textContent = m.type === "done" ? `${m.headline} (exit ${m.exit_code}, ${m.duration_s} s)` : `The doctor could not run: ${m.message}`;
    $("#doctor-run").disabled = false;
  }
}

function bindDoctor() {
  $("#doctor-run").addEventListener("click", async () => {
    const v = formValues();
    const result = await api("api/doctor", {audience: v.audience, token: v.token,
      auth_endpoint: v.auth_endpoint, origin: $("#doctor-origin").value.trim(), ...v.params});
    if (!result.ok) $("#doctor-headline").textContent = result.error;
  });
}

// -- tabs and start --------------------------------------------------------------------------

function bindTabs() {
  for (const button of document.querySelectorAll(".tabs button")) {
    button.addEventListener("click", () => {
      for (const b of document.querySelectorAll(".tabs button")) b.classList.toggle("active", b === button);
      for (const tab of document.querySelectorAll(".tab")) tab.classList.toggle("active", tab.id === `tab-${button.dataset.tab}`);
      scheduleRender();
    });
  }
}

function applyDefaults(config) {
  const d = config.defaults;
  const form = $("#connect-form");
  if (d.audience) form.querySelector(`[name="audience"][value="${d.audience}"]`)?.click();
  for (const [name, value] of Object.entries(d.params)) {
    const input = form.querySelector(`[name="${name}"]`);
    if (input) input.value = value;
  }
  if (d.channels.length) form.channels.value = d.channels.join("\n");
  if (d.auth_endpoint) form.auth_endpoint.value = d.auth_endpoint;
  if (d.token_on_server) form.token.placeholder = "set on the server (leave empty to use it)";
  const s = config.server;
  $("#server").textContent = s.cluster ? `Pusher cluster ${s.cluster}` : `${s.tls ? "wss" : "ws"}://${s.host}:${s.port} · key ${s.key}`;
}

async function start() {
  bindTabs(); bindFilters(); bindTable(); bindConnect(); bindDoctor();
  state.config = await api("api/config");
  applyDefaults(state.config);
  showAudienceFields();
  bindSend();
  openStream();
  $("#connect").disabled = false;
  window.setInterval(() => { if (state.stats) showTimeline(state.stats); }, 2000);
}

// What the page holds, for tests and the benchmark (read-only numbers, no data); `judged` is
// the server's count of events its probe judged (from the last stats message).
window.hotelmateConsole = {
  counts: () => ({received: state.received, kept: state.all.length, dropped: state.dropped,
                  inTable: state.all.length + state.dropped + state.held.length,
                  showing: state.view.length, held: state.held.length, skipped: state.skipped,
                  drawn, session: state.session, judged: state.stats ? state.stats.events : 0}),
};

start();
