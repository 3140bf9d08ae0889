"""Benchmark the probe (judging every event) against pusher-js on Node, on one local soketi.

Both receivers subscribe to the same public channel of the same soketi and receive the same
events, sent by a separate process with the pusher SDK (so the sender does not share the probe's
interpreter). Two phases in one run:

1. latency: `--latency-events` events one at a time, `--latency-interval` s apart; per event
   trigger-to-receive = receive wall-clock time minus the time just before the HTTP trigger.
   The probe's time is taken after its verdict (judged), pusher-js's in its event callback.
2. rate: `--rate-events` events offered at `--rate` events/s (batches of 10 through
   trigger_batch from `--threads` sender threads); reports the achieved send rate, what each
   receiver got, the drops, and the receive rate.

3. fan-in: `--fanin-channels` private channels (staff room channels) authorized through the
   test auth endpoint (the real Django view, `AuthServer`, in this process) and subscribed, then
   one event on each. The probe runs in its own process (`--fanin-probe`, so its resident memory
   is its own: `ru_maxrss`) and pusher-js on Node (`pusher_js_fanin.js`, one XHR per channel as
   the browser does) does the same right after it, on the same soketi and auth endpoint; each
   times `connect -> every subscription confirmed`. The events are sent once to both (trigger to
   100 channels per call).

Targets (from the issues): probe p50 at most 1.5x pusher-js; 20,000 events at >= 5,000/s all
received and judged, none dropped; fan-in of 1,000 private channels subscribed at least as fast
as pusher-js, every event received, under 200 MB resident.
Run: `.venv/bin/python benchmarks/bench_probe.py [--phases latency,rate,fanin] [--json]`.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import statistics
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
CHANNEL = "hotel-bench-hotel"
EVENT = "offer-created"
RATE_BASE = 1_000_000
FANIN_HOTEL = "bench-hotel"
FANIN_TOKEN = "bench-staff-token"
FANIN_EVENT = "booking_checked_in"


def payload(seq: int) -> dict[str, Any]:
    """A conforming offer-created payload carrying the sequence number."""
    return {"offer": {"id": seq, "title": "Spa weekend", "price": "199.00", "is_active": True,
                      "description": "Two nights, breakfast and spa access."},
            "action": "created"}


# -- sender process ----------------------------------------------------------------------------


def send(mode: str, conn: dict[str, Any], count: int, pace: float, threads: int,
         first_seq: int = RATE_BASE + 1) -> None:
    """Send `count` events (latency: one by one `pace` s apart; rate: `pace` events/s)."""
    import pusher

    sent: dict[int, float] = {}
    if mode == "latency":
        client = pusher.Pusher(**conn)
        for seq in range(1, count + 1):
            start = time.time()
            client.trigger(CHANNEL, EVENT, payload(seq))
            sent[seq] = start
            time.sleep(max(0.0, pace - (time.time() - start)))
        print(json.dumps({"sent": sent}))
        return
    # The rate phase signs requests with the pusher SDK but sends them with http.client: measured
    # on this 2-core machine, a batch of 10 costs ~1.2 ms of sender CPU this way and ~3.0 ms
    # through the SDK's requests.Session, which alone would need ~1.8 cores at 6,000 events/s.
    # Keep-alive does not help: soketi answers every HTTP API call with `Connection: close`, so
    # each batch opens a new connection (http.client reconnects on its own).
    import http.client

    signer = pusher.Pusher(**conn)._pusher_client
    local = threading.local()
    lock = threading.Lock()

    def batch(first: int) -> None:
        """Trigger one batch of up to 10 events (POST /apps/ID/batch_events)."""
        link = getattr(local, "link", None)
        if link is None:
            link = local.link = http.client.HTTPConnection(conn["host"], conn["port"], timeout=10)
        seqs = range(first, min(first + 10, first_seq + count))
        events = [{"channel": CHANNEL, "name": EVENT, "data": payload(s)} for s in seqs]
        request = signer.trigger_batch.make_request(events)
        start = time.time()
        link.request("POST", request.signed_path, body=request.body,
                     headers={"Content-Type": "application/json"})
        response = link.getresponse()
        body = response.read()
        if response.status != 200:
            raise RuntimeError(f"soketi answered {response.status}: {body[:200]!r}")
        with lock:
            for s in seqs:
                sent[s] = start

    interval = 10.0 / pace
    t0 = time.perf_counter()
    wall0 = time.time()
    with ThreadPoolExecutor(max_workers=threads) as pool:
        futures = []
        for index, first in enumerate(range(first_seq, first_seq + count, 10)):
            delay = t0 + index * interval - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            futures.append(pool.submit(batch, first))
        for future in futures:
            future.result()
    print(json.dumps({"sent": sent, "seconds": time.time() - wall0}))


# -- receivers -----------------------------------------------------------------------------------


class ProbeReceiver:
    """The hotelmate-rt probe, judging every event, on a background thread."""

    def __init__(self, host: str, port: int, key: str) -> None:
        """Subscribe as the public to the bench channel."""
        from hotelmate_rt.contracts import load_contract
        from hotelmate_rt.probes import Probe, ServerAddress, plan_subscriptions

        contract = load_contract(ROOT / "channels.yaml")
        plan = plan_subscriptions(contract, "public", {"hotel_slug": "bench-hotel"})
        self.probe = Probe(contract, ServerAddress(key, host, port), plan)
        self.received: dict[int, tuple[float, float]] = {}
        self.conforming = 0
        self.ready = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        """Consume the probe's stream: receive time and judged time per sequence number."""
        from hotelmate_rt.probes import Judged, Subscribed

        for event in self.probe.events():
            if isinstance(event, Judged):
                judged_at = time.time()
                seq = json.loads(event.data)["offer"]["id"]
                self.received[seq] = (event.at, judged_at)
                self.conforming += event.ok
            elif isinstance(event, Subscribed):
                self.ready.set()

    def count(self, low: int, high: int) -> int:
        """Count received sequence numbers in [low, high]."""
        return sum(1 for s in list(self.received) if low <= s <= high)

    def stop(self) -> None:
        """Close the probe."""
        self.probe.close()
        self.thread.join(10)


class NodeReceiver:
    """pusher-js on Node (benchmarks/pusher_js_receiver.js)."""

    def __init__(self, host: str, port: int, key: str) -> None:
        """Start Node and wait (bounded) until it is subscribed."""
        script = Path(__file__).with_name("pusher_js_receiver.js")
        self.proc = subprocess.Popen(["node", str(script), key, host, str(port), CHANNEL],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                                     cwd=ROOT)
        assert self.proc.stdout is not None
        ready = threading.Event()

        def wait_ready() -> None:
            """Read the 'ready' line."""
            assert self.proc.stdout is not None
            if self.proc.stdout.readline().strip() == "ready":
                ready.set()

        threading.Thread(target=wait_ready, daemon=True).start()
        if not ready.wait(15):
            self.proc.kill()
            raise SystemExit("pusher-js receiver did not subscribe within 15 s")

    def finish(self) -> dict[int, float]:
        """Ask Node for its records and return seq -> receive time (seconds)."""
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write("done\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        self.proc.wait(15)
        return {int(seq): t / 1000.0 for seq, t in json.loads(line)["received"]}


# -- fan-in ----------------------------------------------------------------------------------


def fanin_probe(key: str, host: str, port: str, auth_url: str, channels_file: str) -> None:
    """The probe's side of the fan-in (its own process): subscribe, count, report its RSS."""
    import resource

    from hotelmate_rt.contracts import load_contract
    from hotelmate_rt.probes import Judged, ProbeSettings, Subscribed, SubscriptionFailed, build_probe
    from hotelmate_rt.settings import load_settings

    names = [n for n in Path(channels_file).read_text().split("\n") if n.strip()]
    contract = load_contract(ROOT / "channels.yaml")
    settings = ProbeSettings(pusher=load_settings({"PUSHER_KEY": key, "PUSHER_HOST": host,
                                                   "PUSHER_PORT": port}),
                             channels=names, token=FANIN_TOKEN, auth_endpoint=auth_url)
    started = time.perf_counter()
    probe = build_probe(settings, contract)

    def wait_done() -> None:
        """Close the probe when the parent says done."""
        sys.stdin.readline()
        probe.close()

    threading.Thread(target=wait_done, daemon=True).start()
    settled = failed = received = conforming = 0
    channels: set[str] = set()
    for event in probe.events():
        if isinstance(event, Subscribed | SubscriptionFailed):
            settled += 1
            failed += isinstance(event, SubscriptionFailed)
            if settled == len(names):
                print(json.dumps({"subscribed_s": time.perf_counter() - started,
                                  "failed": failed}), flush=True)
        elif isinstance(event, Judged):
            received += 1
            conforming += event.ok
            channels.add(event.channel)
            if received == len(names):
                print(json.dumps({"all_received": True}), flush=True)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"received": received, "channels_with_events": len(channels),
                      "conforming": conforming, "peak_rss_mb": round(rss, 1)}), flush=True)


class LineProcess:
    """A child process whose JSON stdout lines are read on a thread."""

    def __init__(self, argv: list[str]) -> None:
        """Start it."""
        import queue

        self.proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     text=True, cwd=ROOT)
        self.lines: queue.Queue[dict[str, Any]] = queue.Queue()
        threading.Thread(target=self._pump, daemon=True).start()

    def _pump(self) -> None:
        """Parse each stdout line."""
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            if line.startswith("{"):
                self.lines.put(json.loads(line))

    def next(self, timeout: float) -> dict[str, Any]:
        """Return the next JSON line, or raise SystemExit after `timeout`."""
        import queue

        try:
            return self.lines.get(timeout=timeout)
        except queue.Empty:
            self.proc.kill()
            raise SystemExit(f"{self.proc.args[1]} said nothing within {timeout:g} s") from None

    def done(self, timeout: float = 60) -> dict[str, Any]:
        """Say done; return the last JSON line."""
        assert self.proc.stdin is not None
        self.proc.stdin.write("done\n")
        self.proc.stdin.flush()
        last = self.next(timeout)
        self.proc.wait(timeout)
        return last


def fanin(soketi: Any, count: int) -> dict[str, Any]:
    """Run the fan-in phase: the probe, then pusher-js, on `count` private channels."""
    import tempfile

    import pusher

    from hotelmate_rt.auth import Principal
    from hotelmate_rt.contracts import load_contract
    from hotelmate_rt.testing.auth_server import AuthServer

    contract = load_contract(ROOT / "channels.yaml")
    names = [contract.render("room", hotel_slug=FANIN_HOTEL, room_number=str(1000 + n))
             for n in range(count)]
    tokens = {FANIN_TOKEN: Principal.staff(FANIN_HOTEL, user_id=1)}
    with AuthServer(contract, soketi.key, soketi.secret, tokens) as auth, \
            tempfile.TemporaryDirectory(prefix="hotelmate-bench-fanin-") as tmp:
        channels_file = Path(tmp) / "channels.txt"
        channels_file.write_text("\n".join(names) + "\n")
        where = [soketi.key, soketi.host, str(soketi.port), auth.url]
        probe = LineProcess([sys.executable, __file__, "--fanin-probe", *where,
                             str(channels_file)])
        probe_sub = probe.next(120)
        node = LineProcess(["node", str(Path(__file__).with_name("pusher_js_fanin.js")), *where,
                            FANIN_TOKEN, str(channels_file)])
        node_sub = node.next(120)
        client = pusher.Pusher(**soketi.pusher_kwargs())
        data = {"booking_id": "BK-2025-0001", "status": "IN_HOUSE", "room_number": "1000",
                "checked_in_at": "2025-06-01T14:00:00Z"}
        sent_at = time.perf_counter()
        for first in range(0, count, 100):
            client.trigger(names[first:first + 100], FANIN_EVENT, data)
        with contextlib.suppress(SystemExit):
            probe.next(30)  # all received (or give up after 30 s)
        time.sleep(0.5)
        delivered_s = time.perf_counter() - sent_at
        probe_end = probe.done()
        node_end = node.done()
    return {"channels": count, "auth_requests": len(auth.requests),
            "probe": {**probe_sub, **probe_end}, "pusher_js": {**node_sub, **node_end},
            "delivery_window_s": round(delivered_s, 2)}


# -- orchestration ---------------------------------------------------------------------------


def run_sender(mode: str, conn: dict[str, Any], count: int, pace: float,
               threads: int, processes: int = 1) -> dict[str, Any]:
    """Run the sender in `processes` Python processes (each a share) and merge their reports."""
    share = -(-count // processes // 10) * 10 if mode == "rate" else count
    procs = []
    for index in range(processes if mode == "rate" else 1):
        first = RATE_BASE + 1 + index * share
        n = max(0, min(share, count - index * share))
        procs.append(subprocess.Popen(
            [sys.executable, __file__, "--send", mode, json.dumps(conn), str(n),
             str(pace / processes if mode == "rate" else pace), str(threads), str(first)],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
    report: dict[str, Any] = {"sent": {}, "seconds": 0.0}
    for proc in procs:
        out, err = proc.communicate(timeout=600)
        if proc.returncode != 0:
            raise SystemExit(f"sender failed: {err[-2000:]}")
        part = json.loads(out)
        report["sent"].update({int(k): v for k, v in part["sent"].items()})
        report["seconds"] = max(report["seconds"], part.get("seconds", 0.0))
    return report


def percentiles(values: list[float]) -> dict[str, float]:
    """Return p50/p99/max in milliseconds."""
    if not values:
        return {"p50_ms": float("nan"), "p99_ms": float("nan"), "max_ms": float("nan")}
    ordered = sorted(values)
    p99 = ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]
    return {"p50_ms": round(statistics.median(ordered) * 1000, 3),
            "p99_ms": round(p99 * 1000, 3), "max_ms": round(ordered[-1] * 1000, 3)}


def wait_until(check: Any, timeout: float, stall: float = 5.0) -> None:
    """Wait until check() is true, giving up after `timeout` s or `stall` s without progress."""
    deadline = time.monotonic() + timeout
    last, last_change = None, time.monotonic()
    while time.monotonic() < deadline:
        state = check()
        if state is True:
            return
        if state != last:
            last, last_change = state, time.monotonic()
        elif time.monotonic() - last_change > stall:
            return
        time.sleep(0.05)


def main() -> int:
    """Run both phases against a fresh soketi and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latency-events", type=int, default=1000)
    parser.add_argument("--latency-interval", type=float, default=0.005)
    parser.add_argument("--rate-events", type=int, default=20_000)
    parser.add_argument("--rate", type=float, default=6_000)
    parser.add_argument("--threads", type=int, default=4, help="threads per sender process")
    parser.add_argument("--senders", type=int, default=2, help="sender processes (rate phase)")
    parser.add_argument("--fanin-channels", type=int, default=1000)
    parser.add_argument("--phases", default="latency,rate,fanin",
                        help="comma-separated: latency, rate, fanin")
    parser.add_argument("--json", action="store_true", help="print one JSON document")
    args = parser.parse_args()
    phases = set(args.phases.split(","))

    from hotelmate_rt.testing.soketi import SoketiServer

    soketi = SoketiServer(extra_env={"SOKETI_DEFAULT_APP_MAX_BACKEND_EVENTS_PER_SEC": "-1"})
    soketi.start()
    out: dict[str, Any] = {"soketi": "1.6.1", "cpus": os.cpu_count()}
    try:
        if "fanin" in phases:
            out["fanin"] = fanin(soketi, args.fanin_channels)
        if not phases & {"latency", "rate"}:
            return report(out, args)
        conn = soketi.pusher_kwargs()
        node = NodeReceiver(soketi.host, soketi.port, soketi.key)
        probe = ProbeReceiver(soketi.host, soketi.port, soketi.key)
        if not probe.ready.wait(15):
            raise SystemExit("the probe did not subscribe within 15 s")
        time.sleep(0.3)

        lat = run_sender("latency", conn, args.latency_events, args.latency_interval, 1)
        n_lat = args.latency_events
        wait_until(lambda: probe.count(1, n_lat) >= n_lat or probe.count(1, n_lat), 30)
        rate = run_sender("rate", conn, args.rate_events, args.rate, args.threads, args.senders)
        low, high = RATE_BASE + 1, RATE_BASE + args.rate_events
        wait_until(lambda: probe.count(low, high) >= args.rate_events or probe.count(low, high),
                   60)
        time.sleep(0.5)
        node_got = node.finish()
        probe.stop()
    finally:
        soketi.stop()

    probe_got = probe.received
    sent = lat["sent"]
    out["latency"] = {
        "events": n_lat,
        "probe_judged": percentiles([probe_got[s][1] - t for s, t in sent.items()
                                     if s in probe_got]),
        "probe_received": percentiles([probe_got[s][0] - t for s, t in sent.items()
                                       if s in probe_got]),
        "pusher_js": percentiles([node_got[s] - t for s, t in sent.items() if s in node_got]),
        "probe_missing": sum(1 for s in sent if s not in probe_got),
        "pusher_js_missing": sum(1 for s in sent if s not in node_got),
    }
    rsent = rate["sent"]

    def rate_figures(got: dict[int, float]) -> dict[str, Any]:
        """Received count, drops and receive rate for one receiver in the rate phase."""
        times = sorted(got[s] for s in rsent if s in got)
        span = times[-1] - min(rsent.values()) if times else 0.0
        return {"received": len(times), "dropped": len(rsent) - len(times),
                "receive_rate_per_s": round(len(times) / span, 1) if span else 0.0}

    out["rate"] = {
        "events": len(rsent), "offered_rate_per_s": args.rate,
        "achieved_send_rate_per_s": round(len(rsent) / rate["seconds"], 1),
        "probe": {**rate_figures({s: v[1] for s, v in probe_got.items()}),
                  "judged_conforming": probe.conforming - sum(
                      1 for s in probe_got if s <= n_lat)},
        "pusher_js": rate_figures(node_got),
    }
    p50_probe = out["latency"]["probe_judged"]["p50_ms"]
    p50_js = out["latency"]["pusher_js"]["p50_ms"]
    out["targets"] = {
        "p50_ratio": round(p50_probe / p50_js, 2) if p50_js else None,
        "p50_within_1_5x": bool(p50_js) and p50_probe <= 1.5 * p50_js,
        "rate_at_least_5000_per_s": out["rate"]["achieved_send_rate_per_s"] >= 5000,
        "none_dropped": out["rate"]["probe"]["dropped"] == 0,
    }
    return report(out, args)


def report(out: dict[str, Any], args: Any) -> int:
    """Add the fan-in targets, print the figures, return 0 when every target is met."""
    targets = out.setdefault("targets", {})
    fan = out.get("fanin")
    if fan is not None:
        probe, js = fan["probe"], fan["pusher_js"]
        targets.update({
            "fanin_subscribe_ratio": round(probe["subscribed_s"] / js["subscribed_s"], 2),
            "fanin_at_least_as_fast_as_pusher_js": probe["subscribed_s"] <= js["subscribed_s"],
            "fanin_every_event_received": probe["received"] == fan["channels"]
            and probe["channels_with_events"] == fan["channels"],
            "fanin_under_200_mb": probe["peak_rss_mb"] < 200,
        })
    if args.json:
        print(json.dumps(out, indent=2))
        return 0 if all(v for k, v in targets.items() if not k.endswith("ratio")) else 1
    if fan is not None:
        print(f"fan-in ({fan['channels']} private channels, {fan['auth_requests']} auth requests)")
        for name in ("probe", "pusher_js"):
            f = fan[name]
            rss = f" peak RSS {f['peak_rss_mb']} MB" if "peak_rss_mb" in f else ""
            print(f"  {name:15} subscribed in {f['subscribed_s']:.2f} s ({f['failed']} failed), "
                  f"received {f['received']} on {f['channels_with_events']} channels{rss}")
    if "latency" in out:
        lat_out, rate_out = out["latency"], out["rate"]
        print(f"latency ({lat_out['events']} events, one every {args.latency_interval * 1000:g} ms)")
        for name in ("probe_judged", "probe_received", "pusher_js"):
            f = lat_out[name]
            print(f"  {name:15} p50 {f['p50_ms']:7.3f} ms  p99 {f['p99_ms']:7.3f} ms  "
                  f"max {f['max_ms']:8.3f} ms")
        print(f"rate ({rate_out['events']} events offered at {args.rate:g}/s, sent at "
              f"{rate_out['achieved_send_rate_per_s']:g}/s)")
        for name in ("probe", "pusher_js"):
            f = rate_out[name]
            print(f"  {name:15} received {f['received']}  dropped {f['dropped']}  "
                  f"receive rate {f['receive_rate_per_s']:g}/s")
    print(f"targets: {targets}")
    return 0 if all(v for k, v in targets.items() if not k.endswith("ratio")) else 1


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--fanin-probe":
        fanin_probe(*sys.argv[2:7])
    elif len(sys.argv) > 1 and sys.argv[1] == "--send":
        _, _, mode, conn_json, count, pace, threads, first_seq = sys.argv
        send(mode, json.loads(conn_json), int(count), float(pace), int(threads), int(first_seq))
    else:
        sys.exit(main())
