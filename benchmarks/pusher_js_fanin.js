// Baseline for the fan-in phase of benchmarks/bench_probe.py: pusher-js (the frontend's real
// client) on Node subscribing to many private channels through the backend's auth endpoint.
//
// Usage: node pusher_js_fanin.js KEY HOST PORT AUTH_URL TOKEN CHANNELS_FILE
// Connects, subscribes to every channel of CHANNELS_FILE (one per line; pusher-js authorizes each
// with one POST to AUTH_URL, Bearer TOKEN), prints {"subscribed_s": S, "failed": N} once every
// subscription succeeded or failed (S from `new Pusher` to the last confirmation), then counts
// events; on "done" on stdin it prints {"received": N, "channels_with_events": M} and exits.
"use strict";

const fs = require("fs");
const Pusher = require("pusher-js");
const { performance } = require("perf_hooks");

const [key, host, port, authUrl, token, channelsFile] = process.argv.slice(2);
const names = fs.readFileSync(channelsFile, "utf8").split("\n").filter((n) => n.trim());
const started = performance.now();
const pusher = new Pusher(key, {
  cluster: "mt1",
  wsHost: host,
  wsPort: Number(port),
  forceTLS: false,
  enabledTransports: ["ws"],
  disableStats: true,
  channelAuthorization: { endpoint: authUrl, transport: "ajax",
                          headers: { Authorization: `Bearer ${token}` } },
});

let settled = 0;
let failed = 0;
let received = 0;
const withEvents = new Set();
function settle() {
  settled += 1;
  if (settled === names.length) {
    const seconds = (performance.now() - started) / 1000;
    process.stdout.write(JSON.stringify({ subscribed_s: seconds, failed }) + "\n");
  }
}
for (const name of names) {
  const channel = pusher.subscribe(name);
  channel.bind("pusher:subscription_succeeded", settle);
  channel.bind("pusher:subscription_error", () => { failed += 1; settle(); });
  channel.bind_global((event) => {
    if (!event.startsWith("pusher")) { received += 1; withEvents.add(name); }
  });
}

let finished = false;
function finish() {
  if (finished) return;
  finished = true;
  process.stdout.write(JSON.stringify({ received, channels_with_events: withEvents.size }) + "\n",
    () => { pusher.disconnect(); process.exit(0); });
}
process.stdin.setEncoding("utf8");
process.stdin.on("data", (chunk) => { if (chunk.includes("done")) finish(); });
process.stdin.on("end", finish);
setTimeout(finish, 600000).unref();
