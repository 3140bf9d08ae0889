"""Benchmark `hotelmate-rt check` on a generated 1,000,000-event recording against a bare loop.

The recording is what `hotelmate-rt record` writes (one `event` line per event, with its verdict,
a few stream lines): 70% conforming offers on the public hotel channel, 25% booking updates on
1,000 private booking channels, 5% offers whose payload breaks the schema (so the grouped report
has problems to show). Both runs are separate processes on the same file, in the same run:

- baseline: a bare loop that only parses each line and its `data` string with the same JSON
  library (`json`) and does nothing else;
- check: `python -m hotelmate_rt check FILE` (contract load, one pass, the grouped report).

Figures: events/s by CPU time and by wall time, and the peak resident memory of each process
(`wait4`'s ru_maxrss). Targets (issue 16): check at least half the bare loop's rate, and under
150 MB peak. Run: `.venv/bin/python benchmarks/bench_check.py [--events N] [--json]`.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]

BARE_LOOP = """
import json, sys
loads = json.loads
n = 0
with open(sys.argv[1], encoding="utf-8", errors="replace") as handle:
    for line in handle:
        record = loads(line)
        if type(record) is dict and record.get("type") == "event":
            loads(record["data"])
            n += 1
print(n)
"""


def generate(path: Path, events: int, seed: int = 16) -> None:
    """Write a recording of `events` events (plus state, subscribed and summary lines)."""
    rng = random.Random(seed)
    dumps = json.dumps
    with path.open("w", encoding="utf-8") as out:
        out.write(dumps({"type": "state", "at": 1.0, "state": "connected",
                         "previous": "connecting", "socket_id": "1.2"}) + "\n")
        out.write(dumps({"type": "subscribed", "at": 1.0, "channel": "hotel-paradise",
                         "channel_id": "hotel-public", "resubscribed": False}) + "\n")
        for seq in range(1, events + 1):
            draw = rng.random()
            if draw < 0.70:
                channel, event, channel_id = "hotel-paradise", "offer-created", "hotel-public"
                data: dict[str, Any] = {
                    "offer": {"id": seq, "title": "Spa weekend", "price": "199.00",
                              "is_active": True, "description": "Two nights and the spa."},
                    "action": "created"}
            elif draw < 0.95:
                booking = f"BK-2025-{seq % 1000:04d}"
                channel, event, channel_id = f"private-booking-{booking}", "booking_updated", \
                    "guest-booking"
                data = {"booking_id": booking, "updated_at": "2025-06-01T10:00:00.000Z",
                        "changed_fields": ["status"]}
            else:
                channel, event, channel_id = "hotel-paradise", "offer-created", "hotel-public"
                data = {"offer": {"id": f"offer-{seq}"}, "action": "created"}
            text = dumps(data)
            out.write(dumps({"type": "event", "at": 1700000000.0 + seq / 1000, "seq": seq,
                             "channel": channel, "event": event, "data": text, "ok": True,
                             "verdict": ["conforms"], "channel_id": channel_id,
                             "canonical_event": event, "size": len(text), "findings": []},
                            separators=(",", ":")) + "\n")
        out.write(dumps({"type": "summary", "ok": True, "events": events, "listened": True,
                         "error": None}) + "\n")


def run(argv: list[str]) -> dict[str, Any]:
    """Run one process with wait4 so its own CPU time and peak RSS are known."""
    started = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT)
    assert proc.stdout is not None and proc.stderr is not None
    out = proc.stdout.read()
    err = proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - started
    return {"wall_s": round(wall, 2), "cpu_s": round(usage.ru_utime + usage.ru_stime, 2),
            "peak_rss_mb": round(usage.ru_maxrss / 1024, 1), "rc": proc.returncode,
            "out": out.decode(errors="replace"), "err": err.decode(errors="replace")}


def main() -> int:
    """Generate the recording, run both processes, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--json", action="store_true", help="print one JSON document")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="hotelmate-bench-check-") as tmp:
        path = Path(tmp) / "recording.jsonl"
        generate(path, args.events)
        size_mb = path.stat().st_size / 1e6
        bare = run([sys.executable, "-c", BARE_LOOP, str(path)])
        check = run([sys.executable, "-m", "hotelmate_rt", "check", str(path)])
    if bare["rc"] != 0 or int(bare["out"].strip() or 0) != args.events:
        raise SystemExit(f"the bare loop failed: {bare['err'][-2000:]}")
    if check["rc"] not in (0, 1):
        raise SystemExit(f"check failed (exit {check['rc']}): {check['err'][-2000:]}")
    n = args.events
    out: dict[str, Any] = {"events": n, "recording_mb": round(size_mb, 1), "cpus": os.cpu_count()}
    for name, figures in (("bare_loop", bare), ("check", check)):
        out[name] = {"events_per_s_cpu": round(n / figures["cpu_s"]),
                     "events_per_s_wall": round(n / figures["wall_s"]),
                     **{k: figures[k] for k in ("cpu_s", "wall_s", "peak_rss_mb")}}
    ratio = out["check"]["events_per_s_cpu"] / out["bare_loop"]["events_per_s_cpu"]
    out["targets"] = {"rate_ratio_cpu": round(ratio, 2), "at_least_half_of_bare": ratio >= 0.5,
                      "peak_under_150_mb": out["check"]["peak_rss_mb"] < 150}
    out["check_report_tail"] = check["out"].strip().splitlines()[-1:]
    if args.json:
        print(json.dumps(out, indent=2))
    else:
        print(f"recording: {n} events, {out['recording_mb']} MB")
        for name in ("bare_loop", "check"):
            f = out[name]
            print(f"  {name:10} {f['events_per_s_cpu']:>9,} events/s (CPU {f['cpu_s']} s), "
                  f"{f['events_per_s_wall']:>9,} events/s (wall {f['wall_s']} s), "
                  f"peak {f['peak_rss_mb']} MB")
        print(f"  check's last line: {out['check_report_tail']}")
        print(f"targets: {out['targets']}")
    targets = out["targets"]
    return 0 if targets["at_least_half_of_bare"] and targets["peak_under_150_mb"] else 1


if __name__ == "__main__":
    sys.exit(main())
