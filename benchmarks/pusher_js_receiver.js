// Baseline receiver for benchmarks/bench_probe.py: pusher-js (the frontend's real client) on Node.
//
// Usage: node pusher_js_receiver.js KEY HOST PORT CHANNEL
// Prints "ready" once subscribed, then records (seq, wall-clock ms with sub-ms precision) for
// every event whose data carries offer.id. On a line "done" on stdin (or SIGTERM) it prints one
// JSON line {"received": [[seq, t_ms], ...]} and exits.
"use strict";

const Pusher = require("pusher-js");
const { performance } = require("perf_hooks");

const [key, host, port, channelName] = process.argv.slice(2);
const received = [];
const now = () => performance.timeOrigin + performance.now();

const pusher = new Pusher(key, {
  cluster: "mt1",
  wsHost: host,
  wsPort: Number(port),
  forceTLS: false,
  enabledTransports: ["ws"],
  disableStats: true,
});

const channel = pusher.subscribe(channelName);
channel.bind("pusher:subscription_succeeded", () => process.stdout.write("ready\n"));
channel.bind_global((event, data) => {
  const t = now();
  if (data && data.offer && typeof data.offer.id === "number") {
    received.push([data.offer.id, t]);
  }
});

let finished = false;
function finish() {
  if (finished) return;
  finished = true;
  process.stdout.write(JSON.stringify({ received }) + "\n", () => {
    pusher.disconnect();
    process.exit(0);
  });
}

process.stdin.setEncoding("utf8");
process.stdin.on("data", (chunk) => {
  if (chunk.includes("done")) finish();
});
process.stdin.on("end", finish);
process.on("SIGTERM", finish);
setTimeout(finish, 600000).unref();
