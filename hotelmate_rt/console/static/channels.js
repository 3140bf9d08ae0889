// The connection: status pill, per-channel state (side list and table), and the timeline of
// subscriptions, reconnects and gaps.

import {$, clock, el} from "./dom.js";
import {state} from "./state.js";

export function setStatus(kind, text) {
  const pill = $("#status");
  pill.dataset.state = kind;
  pill.textContent = text;
}

export function showStats(s) {
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

export function showTimeline(s) {
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
