"""Benchmark the emitter against a local soketi: validation, per-event emit, 1,000 batched events.

Run: `.venv/bin/python benchmarks/bench_emit.py [--events 1000] [--json]` (needs soketi installed
with `npm install`). Every figure comes from one run. The raw baselines are the stock SDK as a
HotelMate developer calls it (`pusher.Pusher` on its default requests backend); "emit" is the
emitter as shipped (PusherTransport's default http.client backend), and "emit/requests" is the
emitter on the same requests-backed client as the raw calls, for transparency.

Outbox (issue 13): on a throwaway PostgreSQL (Debian's server, durable settings: fsync on), each
sample is one request's transaction, `atomic(): UPDATE booking; emit(...)`, through the outbox
(row INSERT in the transaction, send after commit, row marked sent) and directly (send after
commit), alternating; the target is outbox >= 70% of direct events/s. The same without the
business UPDATE, and 1,000 events in one transaction (one emit_many: one INSERT; and 1,000
emit() calls: one INSERT each, as Django has no pre-commit hook to gather them; use
`emit_many` or `Emitter.batch()` for bulk work), are printed too (medians of alternating runs).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
import timeit
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pusher.requests import RequestsBackend  # noqa: E402

from hotelmate_rt.contracts import load_contract  # noqa: E402
from hotelmate_rt.emitters import Emitter, PusherTransport  # noqa: E402
from hotelmate_rt.testing.soketi import SoketiServer  # noqa: E402

AT = "2025-03-01T10:00:00Z"
CHECKED_IN = {"booking_id": "BK-2025-0002", "status": "IN_HOUSE", "room_number": "101",
              "checked_in_at": AT, "staff_user": "reception", "wifi_ssid": "Paradise"}


def per_call_us(fn: Callable[[], Any], number: int = 20000, repeat: int = 7) -> float:
    """Best-of-`repeat` time of one call in microseconds."""
    return min(timeit.repeat(fn, number=number, repeat=repeat)) / number * 1e6


def bench_validation(contract: Any, emitter: Emitter) -> dict[str, float]:
    """Time payload validation (jsonschema-rs vs python-jsonschema) and the whole prepare()."""
    import jsonschema

    event = contract.events["booking_checked_in"]
    reference = jsonschema.Draft202012Validator(dict(_plain(event.schema)))
    assert event.validator.is_valid(CHECKED_IN) and reference.is_valid(CHECKED_IN)
    return {
        "validate_us_jsonschema_rs": per_call_us(lambda: event.validator.is_valid(CHECKED_IN)),
        "validate_us_python_jsonschema": per_call_us(lambda: reference.is_valid(CHECKED_IN),
                                                     number=2000),
        "prepare_us": per_call_us(lambda: emitter.prepare("booking_checked_in", CHECKED_IN,
                                                          hotel_slug="hotel-paradise")),
    }


def _plain(value: Any) -> Any:
    """Turn YAML mappings into plain dicts for python-jsonschema."""
    if isinstance(value, dict) or hasattr(value, "items"):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def bench_single(client: Any, emitter: Emitter, req_emitter: Emitter,
                 samples: int) -> dict[str, float]:
    """Per-event time of emit() (both backends) vs raw client.trigger(), interleaved (medians)."""
    channels = list(emitter.prepare("booking_checked_in", CHECKED_IN,
                                    hotel_slug="hotel-paradise").channels)
    raw_times, emit_times, req_times = [], [], []
    clock = time.perf_counter
    for index in range(samples + 20):
        start = clock()
        client.trigger(channels, "booking_checked_in", CHECKED_IN)
        middle = clock()
        emitter.emit("booking_checked_in", CHECKED_IN, hotel_slug="hotel-paradise")
        after = clock()
        req_emitter.emit("booking_checked_in", CHECKED_IN, hotel_slug="hotel-paradise")
        end = clock()
        if index >= 20:
            raw_times.append(middle - start)
            emit_times.append(after - middle)
            req_times.append(end - after)
    raw, emitted = statistics.median(raw_times), statistics.median(emit_times)
    via_requests = statistics.median(req_times)
    return {"raw_trigger_ms": raw * 1e3, "emit_ms": emitted * 1e3,
            "emit_overhead_pct": (emitted / raw - 1) * 100,
            "raw_trigger_per_s": 1 / raw, "emit_per_s": 1 / emitted,
            "raw_trigger_mean_ms": statistics.fmean(raw_times) * 1e3,
            "emit_mean_ms": statistics.fmean(emit_times) * 1e3,
            "emit_requests_ms": via_requests * 1e3,
            "emit_requests_overhead_pct": (via_requests / raw - 1) * 100}


def bench_batched(client: Any, emitter: Emitter, seq_emitter: Emitter, req_emitter: Emitter,
                  req_seq_emitter: Emitter, count: int) -> dict[str, float]:
    """1,000 events: raw trigger x1000, raw trigger_batch (chunks of 10), emit_many (lanes)."""
    def items(spread: int) -> list[tuple[str, Any, dict[str, str]]]:
        return [("booking_overstay_flagged",
                 {"booking_id": f"BK-2025-{i:04d}", "room_number": str(100 + i % 50),
                  "flagged_at": AT}, {"hotel_slug": f"hotel-{i % spread}"})
                for i in range(count)]

    spread_items = items(20)
    wire = [{"channel": f"private-hotel-{p['hotel_slug']}-staff", "name": e, "data": d}
            for e, d, p in spread_items]

    def raw_single() -> None:
        for w in wire:
            client.trigger(w["channel"], w["name"], w["data"])

    def raw_batch() -> None:
        for start in range(0, len(wire), 10):
            client.trigger_batch([dict(w) for w in wire[start:start + 10]])

    def timed(fn: Callable[[], Any], repeat: int = 3) -> float:
        best = float("inf")
        for _ in range(repeat):
            start = time.perf_counter()
            fn()
            best = min(best, time.perf_counter() - start)
        return count / best

    return {
        "raw_trigger_events_per_s": timed(raw_single, repeat=1),
        "raw_trigger_batch_events_per_s": timed(raw_batch),
        "emit_many_events_per_s": timed(lambda: emitter.emit_many(spread_items)),
        "emit_many_one_lane_events_per_s": timed(lambda: seq_emitter.emit_many(spread_items)),
        "emit_many_single_channel_events_per_s": timed(lambda: emitter.emit_many(items(1))),
        "emit_many_requests_events_per_s": timed(lambda: req_emitter.emit_many(spread_items)),
        "emit_many_requests_one_lane_events_per_s":
            timed(lambda: req_seq_emitter.emit_many(spread_items)),
    }


def bench_outbox(contract: Any, soketi: Any, samples: int, count: int) -> dict[str, float]:
    """Outbox emit vs direct emit on PostgreSQL, same transaction shapes, alternating samples."""
    from django.conf import settings

    from hotelmate_rt.testing.postgres import PostgresServer

    with PostgresServer(fsync=True) as pg:
        settings.configure(DATABASES={"default": pg.django_settings()}, USE_TZ=True,
                           INSTALLED_APPS=["hotelmate_rt.django"], SECRET_KEY="bench")
        import django
        from django.core.management import call_command
        from django.db import connection, transaction

        django.setup()
        call_command("migrate", "hotelmate_rt", verbosity=0)
        with connection.cursor() as cursor:
            cursor.execute("CREATE TABLE booking (id int PRIMARY KEY, status text)")
            cursor.execute("INSERT INTO booking VALUES (1, 'CONFIRMED')")
        settings_ = {"host": soketi.host, "port": soketi.port, "ssl": False}
        make = lambda outbox: Emitter(  # noqa: E731
            contract, PusherTransport.create(soketi.app_id, soketi.key, soketi.secret,
                                             **settings_), strict=True, dead_letter=False,
            outbox=outbox)
        direct, outboxed = make(False), make(True)

        def request(emitter: Emitter, write: bool) -> float:
            """One request: optional business UPDATE + one emit, committed; its duration."""
            start = time.perf_counter()
            with transaction.atomic():
                if write:
                    with connection.cursor() as cursor:
                        cursor.execute("UPDATE booking SET status = %s WHERE id = 1", ["IN_HOUSE"])
                emitter.emit("booking_checked_in", CHECKED_IN, hotel_slug="hotel-paradise")
            return time.perf_counter() - start

        out: dict[str, float] = {}
        for write, label in ((True, "write"), (False, "bare")):
            times: dict[str, list[float]] = {"direct": [], "outbox": []}
            for index in range(samples + 20):
                for name, emitter in (("direct", direct), ("outbox", outboxed)):
                    took = request(emitter, write)
                    if index >= 20:
                        times[name].append(took)
            for name in times:
                out[f"{label}_{name}_ms"] = statistics.median(times[name]) * 1e3
                out[f"{label}_{name}_per_s"] = 1 / statistics.median(times[name])
            out[f"{label}_ratio_pct"] = out[f"{label}_outbox_per_s"] / out[f"{label}_direct_per_s"] * 100
        items = [("booking_overstay_flagged", {"booking_id": f"BK-2025-{i:04d}",
                                               "room_number": str(100 + i % 50), "flagged_at": AT},
                  {"hotel_slug": f"hotel-{i % 20}"}) for i in range(count)]

        def transaction_of(emitter: Emitter, one_by_one: bool) -> float:
            """`count` events in one transaction (emit_many, or emit() each); its duration."""
            start = time.perf_counter()
            with transaction.atomic():
                if one_by_one:
                    for event, data, params in items:
                        emitter.emit(event, data, **params)
                else:
                    emitter.emit_many(items)
            return time.perf_counter() - start

        for one_by_one, label, rounds in ((False, "many", 9), (True, "each", 3)):
            times = {"direct": [], "outbox": []}
            for index in range(rounds + 1):  # alternating; the first round warms up
                for name, emitter in (("direct", direct), ("outbox", outboxed)):
                    took = transaction_of(emitter, one_by_one)
                    if index:
                        times[name].append(took)
            for name in times:
                out[f"{label}_{name}_events_per_s"] = count / statistics.median(times[name])
            out[f"{label}_ratio_pct"] = \
                out[f"{label}_outbox_events_per_s"] / out[f"{label}_direct_events_per_s"] * 100
        direct.close()
        outboxed.close()
        connection.close()
    return out


def main() -> None:
    """Start soketi, run every benchmark, print a table (or JSON)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1000)
    parser.add_argument("--samples", type=int, default=1500)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--no-outbox", action="store_true", help="Skip the PostgreSQL outbox part.")
    args = parser.parse_args()
    contract = load_contract(ROOT / "channels.yaml")
    with SoketiServer(app_id="4242", key="bench-key", secret="bench-secret") as soketi:
        settings = {"host": soketi.host, "port": soketi.port, "ssl": False}
        transport = PusherTransport.create(soketi.app_id, soketi.key, soketi.secret, **settings)
        req_transport = PusherTransport.create(soketi.app_id, soketi.key, soketi.secret,
                                               backend=RequestsBackend, **settings)
        client = req_transport.client
        options: dict[str, Any] = {"strict": True, "dead_letter": False, "defer": False}
        emitter = Emitter(contract, transport, **options)
        seq = Emitter(contract, transport, lanes=1, **options)
        req_emitter = Emitter(contract, req_transport, **options)
        req_seq = Emitter(contract, req_transport, lanes=1, **options)
        results = {"validation": bench_validation(contract, emitter),
                   "single": bench_single(client, emitter, req_emitter, args.samples),
                   "batched": bench_batched(client, emitter, seq, req_emitter, req_seq,
                                            args.events)}
        for each in (emitter, seq, req_emitter, req_seq):
            each.close()
        if not args.no_outbox:
            results["outbox"] = bench_outbox(contract, soketi, min(args.samples, 500), args.events)
    if args.json:
        print(json.dumps(results, indent=2))
        return
    v, s, b = results["validation"], results["single"], results["batched"]
    print(f"validation (booking_checked_in): jsonschema-rs {v['validate_us_jsonschema_rs']:.2f} us"
          f" | python-jsonschema {v['validate_us_python_jsonschema']:.1f} us"
          f" | full prepare() {v['prepare_us']:.2f} us")
    print(f"single event to 3 channels, alternating calls: raw trigger {s['raw_trigger_ms']:.3f} ms"
          f" ({s['raw_trigger_per_s']:.0f}/s) | emit {s['emit_ms']:.3f} ms"
          f" ({s['emit_per_s']:.0f}/s) | overhead {s['emit_overhead_pct']:+.1f}% (medians;"
          f" means {s['raw_trigger_mean_ms']:.3f} / {s['emit_mean_ms']:.3f} ms)"
          f" | emit/requests {s['emit_requests_ms']:.3f} ms"
          f" ({s['emit_requests_overhead_pct']:+.1f}%)")
    print(f"{args.events} events: raw trigger {b['raw_trigger_events_per_s']:.0f}/s"
          f" | raw trigger_batch {b['raw_trigger_batch_events_per_s']:.0f}/s"
          f" | emit_many {b['emit_many_events_per_s']:.0f}/s"
          f" (1 lane {b['emit_many_one_lane_events_per_s']:.0f}/s,"
          f" all on one channel {b['emit_many_single_channel_events_per_s']:.0f}/s)"
          f" | emit_many/requests {b['emit_many_requests_events_per_s']:.0f}/s"
          f" (1 lane {b['emit_many_requests_one_lane_events_per_s']:.0f}/s)")
    o = results.get("outbox")
    if o:
        print(f"outbox on PostgreSQL (fsync on), one request = atomic(UPDATE booking; emit):"
              f" direct {o['write_direct_per_s']:.0f}/s ({o['write_direct_ms']:.3f} ms)"
              f" | outbox {o['write_outbox_per_s']:.0f}/s ({o['write_outbox_ms']:.3f} ms)"
              f" | outbox keeps {o['write_ratio_pct']:.0f}% (target >= 70%)")
        print(f"outbox, atomic(emit) alone: direct {o['bare_direct_per_s']:.0f}/s"
              f" | outbox {o['bare_outbox_per_s']:.0f}/s ({o['bare_ratio_pct']:.0f}%)"
              f" | {args.events} events in one transaction (emit_many): direct"
              f" {o['many_direct_events_per_s']:.0f}/s | outbox {o['many_outbox_events_per_s']:.0f}/s"
              f" ({o['many_ratio_pct']:.0f}%)"
              f" | the same as {args.events} emit() calls: direct"
              f" {o['each_direct_events_per_s']:.0f}/s | outbox {o['each_outbox_events_per_s']:.0f}/s"
              f" ({o['each_ratio_pct']:.0f}%)")


if __name__ == "__main__":
    main()
