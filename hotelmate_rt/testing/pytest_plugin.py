"""pytest plugin (auto-loaded via the `pytest11` entry point): the `rt_events` capture fixture.

    def test_check_in_emits(rt_events, client):
        client.post("/bookings/BK-2025-0002/check-in/")
        rt_events.assert_emitted("booking_checked_in", "guest-booking", booking_id="BK-2025-0002")
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from hotelmate_rt.testing.capture import EventCapture, capture_events


@pytest.fixture
def rt_events() -> Iterator[EventCapture]:
    """Capture every event emitted during the test instead of sending it, with verdicts."""
    with capture_events() as capture:
        yield capture
