// pusher-js on Node, configured like HotelMate's guest booking page (seed 000), for interop tests.
//
// Usage:
//   node pusherjs_client.js --key KEY --host HOST --port PORT [--auth-endpoint URL] [--token T]
//                           [--max-events N] [--timeout-ms MS] CHANNEL [CHANNEL ...]
//
// It subscribes to every CHANNEL and prints one JSON line on stdout per thing that happens:
//   {"type": "connected", "socket_id": "..."}
//   {"type": "subscription_succeeded", "channel": "..."}
//   {"type": "subscription_error", "channel": "...", "status": 403, "error": "..."}
//   {"type": "event", "channel": "...", "event": "...", "data": <decoded data>}
//   {"type": "connection_error", "error": "..."}
//   {"type": "done", "reason": "max-events" | "timeout" | "stdin-closed" | "signal", "events": N}
// It exits 0 after N events (--max-events, 0 = never), 3 on the hard timeout (--timeout-ms,
// default 10000), and also when stdin closes or on SIGTERM, so it never outlives its parent.
// pusher-js's own log goes to stderr, so stdout only ever carries the JSON lines.
"use strict";

const Pusher = require("pusher-js");

function parseArgs(argv) {
  const opts = { authEndpoint: null, token: null, maxEvents: 0, timeoutMs: 10000, channels: [] };
  const names = {
    "--key": "key", "--host": "host", "--port": "port", "--auth-endpoint": "authEndpoint",
    "--token": "token", "--max-events": "maxEvents", "--timeout-ms": "timeoutMs",
  };
  for (let i = 0; i < argv.length; i += 1) {
    const name = names[argv[i]];
    if (name === undefined) {
      opts.channels.push(argv[i]);
    } else {
      if (i + 1 >= argv.length) throw new Error(`missing value for ${argv[i]}`);
      opts[name] = argv[(i += 1)];
    }
  }
  opts.maxEvents = Number(opts.maxEvents);
  opts.timeoutMs = Number(opts.timeoutMs);
  if (!opts.key || !opts.host || !opts.port || opts.channels.length === 0) {
    throw new Error("need --key, --host, --port and at least one channel");
  }
  if (!(opts.timeoutMs > 0)) throw new Error("--timeout-ms must be positive");
  return opts;
}

let opts;
try {
  opts = parseArgs(process.argv.slice(2));
} catch (err) {
  process.stderr.write(`pusherjs_client: ${err.message}\n`);
  process.exit(2);
}

function emitLine(obj) {
  process.stdout.write(JSON.stringify(obj) + "\n");
}

Pusher.log = (message) => process.stderr.write(`pusher-js: ${message}\n`);

// The seed's guest page: a Bearer guest token sent to the auth endpoint (which only private and
// presence channels ever call). `cluster` is a required placeholder; wsHost/wsPort win.
const options = {
  cluster: "mt1",
  wsHost: opts.host,
  wsPort: Number(opts.port),
  forceTLS: false,
  enabledTransports: ["ws"],
};
if (opts.authEndpoint) {
  options.channelAuthorization = {
    endpoint: opts.authEndpoint,
    transport: "ajax",
    headers: opts.token ? { Authorization: `Bearer ${opts.token}` } : {},
  };
}

const pusher = new Pusher(opts.key, options);
let events = 0;
let finished = false;

function finish(reason, code) {
  if (finished) return;
  finished = true;
  process.stdout.write(JSON.stringify({ type: "done", reason, events }) + "\n", () => {
    try {
      pusher.disconnect();
    } finally {
      process.exit(code);
    }
  });
}

pusher.connection.bind("connected", () => {
  emitLine({ type: "connected", socket_id: pusher.connection.socket_id });
});
pusher.connection.bind("error", (err) => {
  const detail = err && err.error ? err.error : err;
  emitLine({ type: "connection_error", error: JSON.stringify(detail && detail.data ? detail.data : detail) });
});

for (const name of opts.channels) {
  const channel = pusher.subscribe(name);
  channel.bind("pusher:subscription_succeeded", () => {
    emitLine({ type: "subscription_succeeded", channel: name });
  });
  channel.bind("pusher:subscription_error", (err) => {
    emitLine({
      type: "subscription_error",
      channel: name,
      status: err && typeof err.status === "number" ? err.status : null,
      error: err && err.error !== undefined ? String(err.error) : JSON.stringify(err),
    });
  });
  channel.bind_global((event, data) => {
    if (event.startsWith("pusher:")) return; // reported above
    events += 1;
    emitLine({ type: "event", channel: name, event, data: data === undefined ? null : data });
    if (opts.maxEvents > 0 && events >= opts.maxEvents) finish("max-events", 0);
  });
}

// The hard bound: whatever happens (no server, no auth answer, no event), exit by then.
setTimeout(() => finish("timeout", 3), opts.timeoutMs);
process.stdin.on("end", () => finish("stdin-closed", 0));
process.stdin.resume();
process.on("SIGTERM", () => finish("signal", 0));
