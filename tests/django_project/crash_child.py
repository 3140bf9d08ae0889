"""A web process for the crash tests: commits events through the outbox, then waits to be killed.

    python -m tests.django_project.crash_child CONTRACT COUNT PER_TRANSACTION [PAUSE_AFTER]

Environment: DJANGO_SETTINGS_MODULE, HOTELMATE_RT_TEST_DB_URL, PUSHER_URL. Event `seq` (0..COUNT)
is booking_updated for booking BK-2025-{seq:04d} of hotel-{seq % 5}. Prints `committed N` when
transaction N commits (before its fast path runs); after transaction PAUSE_AFTER it prints
`paused` and waits for a line on stdin; after the last commit it prints `committed-all` and
sleeps before the fast path, so a SIGKILL lands between the commit and the HTTP call.
"""

from __future__ import annotations

import sys
import time


def main() -> None:
    """Commit COUNT events in transactions of PER_TRANSACTION, then block."""
    import django

    django.setup()
    from django.db import transaction

    from hotelmate_rt.emitters import Emitter, RetryPolicy

    contract, count, per = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    pause_after = int(sys.argv[4]) if len(sys.argv) > 4 else -1
    emitter = Emitter.from_env(contract, timeout=1.0, outbox=True,
                               retry=RetryPolicy(attempts=2, base_delay=0.01, deadline=2.0))
    batches = range(0, count, per)
    for number, start in enumerate(batches):
        last = start + per >= count
        with transaction.atomic():
            def committed(number: int = number, last: bool = last) -> None:
                """Say the transaction committed; after the last one, wait for the kill."""
                print("committed-all" if last else f"committed {number}", flush=True)
                if last:
                    time.sleep(120)
            transaction.on_commit(committed)
            for seq in range(start, min(start + per, count)):
                emitter.emit("booking_updated", {"booking_id": f"BK-2025-{seq:04d}",
                                                 "updated_at": "2025-03-01T10:00:00Z",
                                                 "changed_fields": [f"seq-{seq}"]},
                             hotel_slug=f"hotel-{seq % 5}")
        if number == pause_after:
            print("paused", flush=True)
            sys.stdin.readline()


if __name__ == "__main__":
    main()
