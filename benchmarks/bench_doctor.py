"""Benchmark a full healthy doctor run against a local soketi and the real auth endpoint.

Run: `.venv/bin/python benchmarks/bench_doctor.py [--runs 5] [--json]` (needs soketi installed
with `npm install`). Each run walks every step (config, contract lint, HTTP API, websocket, the
auth endpoint with guest and staff tokens and CORS, every subscription, a 3-event round trip);
the figures are wall-clock seconds per run, the first one including imports and Django setup.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from hotelmate_rt.auth import Principal  # noqa: E402
from hotelmate_rt.contracts import load_contract  # noqa: E402
from hotelmate_rt.oncall import DoctorOptions, Status, run_doctor  # noqa: E402
from hotelmate_rt.testing.auth_server import AuthServer  # noqa: E402
from hotelmate_rt.testing.soketi import SoketiServer  # noqa: E402

ORIGIN = "http://localhost:3000"


def bench(runs: int) -> dict[str, Any]:
    """Start soketi and the auth endpoint, run the doctor `runs` times, return the timings."""
    contract = load_contract(ROOT / "channels.yaml")
    with SoketiServer() as soketi:
        tokens = {"bench-guest-token": Principal.guest("BK-2025-0002", "hotel-paradise", "101"),
                  "bench-staff-token": Principal.staff("hotel-paradise", user_id=7)}
        with AuthServer(contract, soketi.key, soketi.secret, tokens, origin=ORIGIN) as auth:
            env = {"PUSHER_APP_ID": soketi.app_id, "PUSHER_KEY": soketi.key,
                   "PUSHER_SECRET": soketi.secret, "PUSHER_HOST": soketi.host,
                   "PUSHER_PORT": str(soketi.port), "PUSHER_TLS": "false"}
            options = DoctorOptions(
                contract=ROOT / "channels.yaml", env=env, auth_endpoint=auth.url,
                guest_token="bench-guest-token", staff_token="bench-staff-token",
                booking_id="BK-2025-0002", hotel_slug="hotel-paradise", room_number="101",
                origin=ORIGIN)
            seconds: list[float] = []
            checks = 0
            p50s: list[float] = []
            for _ in range(runs):
                started = time.perf_counter()
                report = run_doctor(options)
                seconds.append(time.perf_counter() - started)
                if report.exit_code != 0:
                    failed = [c.to_dict() for c in report.checks if c.status is Status.FAIL]
                    raise SystemExit(f"doctor did not pass on a healthy setup: {failed}")
                checks = len(report.checks)
                round_trip = report.get("round-trip")
                if round_trip is not None and "p50_ms" in round_trip.data:
                    p50s.append(float(round_trip.data["p50_ms"]))
    return {"runs": runs, "checks": checks, "first_s": round(seconds[0], 3),
            "median_s": round(statistics.median(seconds), 3), "max_s": round(max(seconds), 3),
            "round_trip_p50_ms": round(statistics.median(p50s), 2) if p50s else None}


def main() -> int:
    """Run the benchmark and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    result = bench(max(1, args.runs))
    if args.json:
        print(json.dumps(result))
    else:
        print(f"doctor, healthy local setup ({result['checks']} checks), {result['runs']} runs: "
              f"first {result['first_s']:.2f} s, median {result['median_s']:.2f} s, "
              f"max {result['max_s']:.2f} s; round trip p50 {result['round_trip_p50_ms']} ms")
    return 0 if result["max_s"] < 5.0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
