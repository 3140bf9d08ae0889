// hotelmate-rt console page: plain ES modules, no build step, no dependency. Every URL is relative
// to the page's own /s/<token>/ path, so the session token never appears in these files or the
// HTML. The parts: dom.js (helpers), state.js, table.js (events, filters, virtualised table),
// payload.js (the payload view), channels.js (state and timeline), connect.js, send.js, doctor.js.

import {showStats, setStatus, showTimeline} from "./channels.js";
import {applyDefaults, bindConnect, showAudienceFields} from "./connect.js";
import {bindDoctor, showDoctor} from "./doctor.js";
import {$, api} from "./dom.js";
import {bindSend} from "./send.js";
import {state} from "./state.js";
import {bindFilters, bindTable, clearPage, drawnRows, ingest, resetSession, scheduleRender} from "./table.js";

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

function bindTabs() {
  for (const button of document.querySelectorAll(".tabs button")) {
    button.addEventListener("click", () => {
      for (const b of document.querySelectorAll(".tabs button")) b.classList.toggle("active", b === button);
      for (const tab of document.querySelectorAll(".tab")) tab.classList.toggle("active", tab.id === `tab-${button.dataset.tab}`);
      scheduleRender();
    });
  }
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
                  drawn: drawnRows(), session: state.session,
                  judged: state.stats ? state.stats.events : 0}),
};

start();
