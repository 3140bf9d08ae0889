// The events: ingest from the stream, filters, pause and clear, and the virtualised table (only
// the visible rows exist in the DOM, recycled from a pool).

import {$, addOption, api, clock, el, verdictCell} from "./dom.js";
import {showDetail} from "./payload.js";
import {KEEP, state} from "./state.js";

const ROW_H = 22;          // px per table row

const viewport = () => $("#viewport");
const pool = [];
let renderQueued = false;
let drawn = 0;             // rows (re)drawn since load: the table's own work, for the benchmark

export const drawnRows = () => drawn;

// -- the session's events --------------------------------------------------------------------

export function resetSession(session) {
  state.session = session;
  state.lastN = 0;
  clearPage();
}

export function clearPage() {
  state.all = []; state.view = []; state.held = [];
  state.dropped = 0; state.received = 0; state.skipped = 0; state.selected = null;
  showDetail(null);
  scheduleRender();
}

export function ingest(items) {
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

// -- filters, pause, clear -------------------------------------------------------------------

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

export function bindFilters() {
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

export function scheduleRender() {
  if (renderQueued) return;
  renderQueued = true;
  requestAnimationFrame(render);
}

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

function select(item) {
  state.selected = item;
  showDetail(item);
  scheduleRender();
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

export function bindTable() {
  const vp = viewport();
  vp.addEventListener("scroll", () => {
    state.follow = vp.scrollTop + vp.clientHeight >= vp.scrollHeight - ROW_H * 2;
    scheduleRender();
  });
}
