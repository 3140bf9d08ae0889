"""Benchmark the console page under load: 1,000 events/s for 20 s into headless Chromium.

One local soketi; `hotelmate-rt console` (a subprocess) listening as the public on
hotel-bench-hotel; Debian's Chromium showing the page; and, as the baseline in the same run, a
bare `Probe` (what `listen` runs) subscribed to the same channel in this process. A sender
subprocess offers `--rate` offer-created events/s for `--seconds` s (batches of 10 through the
project's PusherTransport). Reported:

- events sent; received by the bare probe (baseline); judged by the console's probe; received by
  the page; counted in the page's table (kept rows + rows older than the page keeps); table rows
  that exist in the DOM (the table is virtualised);
- responsiveness while the load runs, against the same page idle before it: the time a real
  click on a row takes to show that row's payload (measured from Python: mouse click through
  the browser's input pipeline until the payload view names the row's sequence number), the
  browser's Event Timing duration for those clicks (input delay + handler + next paint), and
  main-thread long tasks (> 50 ms) per second.

Target (issue 14): the page stays responsive at 1,000 events/s for 20 s and renders what it
receives. Run: `.venv/bin/python benchmarks/bench_console.py [--rate 1000] [--seconds 20] [--json]`.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
HOTEL = "bench-hotel"
CHANNEL = f"hotel-{HOTEL}"
EVENT = "offer-created"

OBSERVERS = """
window.__bench = {longtasks: [], clicks: []};
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) window.__bench.longtasks.push([e.startTime, e.duration]);
}).observe({type: "longtask", buffered: true});
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) if (e.name === "click") window.__bench.clicks.push(e.duration);
}).observe({type: "event", durationThreshold: 16, buffered: true});
"""


def payload(seq: int) -> dict[str, Any]:
    """A conforming offer-created payload carrying its sequence number."""
    return {"offer": {"id": seq, "title": "Spa weekend", "price": "199.00", "is_active": True,
                      "description": "Two nights, breakfast and spa access."},
            "action": "created"}


def sender_main(rate: float, seconds: float) -> None:
    """Send `rate` events/s for `seconds` s in batches of 10; print the count and duration."""
    from hotelmate_rt.emitters import PusherTransport, WireEvent

    transport = PusherTransport.from_env(timeout=5.0)
    total = int(rate * seconds)
    interval = 10.0 / rate
    start = time.perf_counter()
    sent = failed = 0
    for index, first in enumerate(range(1, total + 1, 10)):
        delay = start + index * interval - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
        if time.perf_counter() - start > seconds * 1.5:
            break  # bounded in time even when the machine cannot keep the pace
        batch = [WireEvent(CHANNEL, EVENT, json.dumps(payload(s), separators=(",", ":")))
                 for s in range(first, min(first + 10, total + 1))]
        try:
            transport.trigger_batch(batch)
            sent += len(batch)
        except Exception:  # count it and go on: a benchmark reports, it does not stop
            failed += len(batch)
    transport.close()
    print(json.dumps({"sent": sent, "failed": failed,
                      "seconds": round(time.perf_counter() - start, 3)}))


class BareProbe:
    """The baseline: the probe `listen` runs, judging every event, on a thread of its own."""

    def __init__(self, key: str, host: str, port: int) -> None:
        """Subscribe as the public to the bench channel."""
        from hotelmate_rt.contracts import load_contract
        from hotelmate_rt.probes import ProbeSettings, build_probe
        from hotelmate_rt.settings import load_settings

        pusher = load_settings({"PUSHER_KEY": key, "PUSHER_HOST": host, "PUSHER_PORT": str(port)})
        self.probe = build_probe(ProbeSettings(pusher=pusher, audience="public",
                                               params={"hotel_slug": HOTEL}),
                                 load_contract(ROOT / "channels.yaml"))
        self.received = 0
        self.ready = threading.Event()
        threading.Thread(target=self._run, daemon=True).start()

    def _run(self) -> None:
        """Count judged events."""
        from hotelmate_rt.probes import Judged, Subscribed

        for event in self.probe.events():
            if isinstance(event, Judged):
                self.received += 1
            elif isinstance(event, Subscribed):
                self.ready.set()


def click_latency(page: Any) -> float | None:
    """Click the last visible row for real; seconds until the payload view shows that row."""
    target = page.evaluate("""() => {
        const rows = [...document.querySelectorAll('.viewport .vrow:not([hidden])')];
        const vp = document.querySelector('#viewport').getBoundingClientRect();
        const row = rows.filter((r) => { const b = r.getBoundingClientRect();
            return b.top >= vp.top && b.bottom <= vp.bottom; }).pop();
        if (!row) return null;
        const box = row.getBoundingClientRect();
        return {seq: row.item.seq, x: box.left + 40, y: box.top + box.height / 2};
    }""")
    if target is None:
        return None
    start = time.perf_counter()
    page.mouse.click(target["x"], target["y"])
    deadline = start + 10
    while time.perf_counter() < deadline:
        meta = page.evaluate("() => (document.querySelector('#detail .meta') || {}).textContent")
        if meta and meta.endswith(f"seq {target['seq']}"):
            return time.perf_counter() - start
    return None


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (nearest rank) of a non-empty list."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered)) - 1))]


def run(rate: float, seconds: float) -> dict[str, Any]:
    """Run the whole scenario once and return the figures."""
    from hotelmate_rt.console.harness import ConsoleProcess, chromium
    from hotelmate_rt.testing.soketi import SoketiServer, free_port

    with SoketiServer(free_port(), "4242", "bench-key", "bench-secret") as soketi:
        env = {**os.environ, "PUSHER_APP_ID": soketi.app_id, "PUSHER_KEY": soketi.key,
               "PUSHER_SECRET": soketi.secret, "PUSHER_HOST": soketi.host,
               "PUSHER_PORT": str(soketi.port), "PUSHER_TLS": "false"}
        baseline = BareProbe(soketi.key, soketi.host, soketi.port)
        with ConsoleProcess(["--as", "public", "--hotel", HOTEL], env=env, cwd=ROOT) as console, \
                chromium() as browser:
            page = browser.new_page()
            page.add_init_script(OBSERVERS)
            page.goto(console.url)
            page.click("#connect")
            page.wait_for_selector(f'.channel-list li.ch-subscribed[data-channel="{CHANNEL}"]',
                                   timeout=30_000)
            if not baseline.ready.wait(30):
                raise RuntimeError("the baseline probe did not subscribe")
            # idle responsiveness: a few events to click on, no load
            warm = subprocess.run([sys.executable, __file__, "--send", "--rate", "20",
                                   "--seconds", "1"], env=env, capture_output=True, text=True,
                                  timeout=60, check=True)
            warm_sent = json.loads(warm.stdout)["sent"]
            deadline = time.monotonic() + 15
            while page.evaluate("() => window.hotelmateConsole.counts().received") < warm_sent \
                    and time.monotonic() < deadline:
                time.sleep(0.05)
            idle = [x for x in (click_latency(page) for _ in range(10)) if x is not None]
            page.evaluate("() => { window.__bench.longtasks = []; window.__bench.clicks = []; }")
            base_received = baseline.received
            page_before = page.evaluate("() => window.hotelmateConsole.counts()")
            # the load
            sender = subprocess.Popen([sys.executable, __file__, "--send", "--rate", str(rate),
                                       "--seconds", str(seconds)], env=env,
                                      stdout=subprocess.PIPE, text=True)
            loaded: list[float] = []
            load_start = time.monotonic()
            while sender.poll() is None and time.monotonic() - load_start < seconds * 2:
                time.sleep(1.0)
                latency = click_latency(page)
                if latency is not None:
                    loaded.append(latency)
            out, _ = sender.communicate(timeout=seconds * 3)
            load_seconds = time.monotonic() - load_start
            sent = json.loads(out)
            # let the page catch up (bounded), then read every counter
            expected = page_before["received"] + sent["sent"]
            deadline = time.monotonic() + 15
            while page.evaluate("() => window.hotelmateConsole.counts().received") < expected \
                    and time.monotonic() < deadline:
                time.sleep(0.2)
            time.sleep(1.0)
            counts = page.evaluate("() => window.hotelmateConsole.counts()")
            bench = page.evaluate("() => window.__bench")
            dom_rows = page.evaluate("() => document.querySelectorAll('.viewport .vrow').length")
    long_ms = [d for _, d in bench["longtasks"]]
    return {
        "rate": rate, "seconds": seconds,
        "sent": sent["sent"], "send_failed": sent["failed"], "send_seconds": sent["seconds"],
        "baseline_probe_received": baseline.received - base_received,
        "console_probe_judged": counts["judged"] - page_before["judged"],
        "page_received": counts["received"] - page_before["received"],
        "page_in_table": counts["inTable"] - page_before["inTable"],
        "page_kept": counts["kept"], "page_dropped_from_view": counts["dropped"],
        "page_not_delivered": counts["skipped"], "dom_rows": dom_rows,
        "click_ms_idle_p50": round(statistics.median(idle) * 1000, 1) if idle else None,
        "click_ms_load_p50": round(statistics.median(loaded) * 1000, 1) if loaded else None,
        "click_ms_load_p95": round(percentile(loaded, 95) * 1000, 1) if loaded else None,
        "click_ms_load_max": round(max(loaded) * 1000, 1) if loaded else None,
        "clicks_measured": len(loaded),
        "event_timing_click_ms_max": round(max(bench["clicks"]), 1) if bench["clicks"] else None,
        "long_tasks": len(long_ms),
        "long_tasks_per_s": round(len(long_ms) / load_seconds, 2),
        "long_task_ms_total": round(sum(long_ms), 1),
        "long_task_ms_max": round(max(long_ms), 1) if long_ms else 0.0,
        "load_seconds": round(load_seconds, 1),
    }


def main() -> int:
    """Parse arguments; run the sender or the benchmark; print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=1000.0)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--send", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.send:
        sender_main(args.rate, args.seconds)
        return 0
    figures = run(args.rate, args.seconds)
    if args.json:
        print(json.dumps(figures))
        return 0
    f = figures
    print(f"console under load: {f['rate']:g} events/s offered for {f['seconds']:g} s "
          f"(sent {f['sent']} in {f['send_seconds']} s, {f['send_failed']} failed)")
    print(f"  baseline: bare probe (listen) received   {f['baseline_probe_received']:>7}")
    print(f"  console probe judged                     {f['console_probe_judged']:>7}")
    print(f"  page received                            {f['page_received']:>7}")
    print(f"  page table rows counted (rendered)       {f['page_in_table']:>7}  "
          f"(kept {f['page_kept']}, older {f['page_dropped_from_view']}, "
          f"not delivered {f['page_not_delivered']}; {f['dom_rows']} rows in the DOM)")
    print(f"  click -> payload shown: idle p50 {f['click_ms_idle_p50']} ms; under load p50 "
          f"{f['click_ms_load_p50']} ms, p95 {f['click_ms_load_p95']} ms, max "
          f"{f['click_ms_load_max']} ms ({f['clicks_measured']} clicks)")
    print(f"  browser Event Timing, slowest click: {f['event_timing_click_ms_max']} ms")
    print(f"  long tasks (>50 ms): {f['long_tasks']} in {f['load_seconds']} s "
          f"({f['long_tasks_per_s']}/s), {f['long_task_ms_total']} ms in total, "
          f"longest {f['long_task_ms_max']} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
