"""In a real Django TestCase (one transaction that never commits) capture_events() says how to
see the events the view emitted, and sees them with captureOnCommitCallbacks; no PUSHER_* set."""

from __future__ import annotations

import os
from typing import Any

import pytest
from django.test import Client, TestCase

from hotelmate_rt.emitters import Emitter
from hotelmate_rt.testing import EventCapture, capture_events
from hotelmate_rt.testing.django_setup import ensure_django
from tests.helpers import CONTRACT_PATH

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.django_project.settings")


def _booking_model() -> Any:
    """The test project's Booking model (Django configured first)."""
    ensure_django()
    from django.conf import settings

    if settings.ROOT_URLCONF != "tests.django_project.urls":
        pytest.fail("Django was configured by another module before tests.django_project",
                    pytrace=False)
    from tests.django_project.hotel.models import Booking

    return Booking


class CheckInTest(TestCase):
    """What a HotelMate test of the check-in view looks like, with the emitter built from an
    environment that has no PUSHER_* at all."""

    @classmethod
    def setUpClass(cls) -> None:
        """Create the booking table before the class's transaction starts."""
        from django.db import connection

        booking = _booking_model()
        with connection.schema_editor() as editor:
            editor.create_model(booking)

        def drop() -> None:
            with connection.schema_editor() as editor:
                editor.delete_model(booking)

        cls.addClassCleanup(drop)
        super().setUpClass()

    def setUp(self) -> None:
        """One confirmed booking."""
        _booking_model().objects.create(booking_id="BK-2025-0002", hotel_slug="hotel-paradise",
                                        room_number="101", status="CONFIRMED")

    @staticmethod
    def check_in(sent: EventCapture) -> int:
        """POST the check-in through the view with an emitter from an empty environment."""
        from tests.django_project.hotel.views import EMITTER

        EMITTER["default"] = Emitter.from_env(str(CONTRACT_PATH), env={})
        try:
            return int(Client().post("/bookings/BK-2025-0002/check-in/").status_code)
        finally:
            EMITTER.clear()

    def test_pending_events_name_capture_on_commit_callbacks(self) -> None:
        """Without the commit callbacks the events are pending, and the message says what to do."""
        with capture_events() as sent:
            assert self.check_in(sent) == 200
        with pytest.raises(AssertionError) as failure:
            sent.assert_emitted("booking_checked_in", "guest-booking", booking_id="BK-2025-0002")
        message = str(failure.value)
        assert "still waiting for the transaction to commit" in message
        assert "self.captureOnCommitCallbacks(execute=True)" in message
        assert "booking_checked_in on private-booking-BK-2025-0002 [pending commit" in message

    def test_capture_on_commit_callbacks_sends_them(self) -> None:
        """With captureOnCommitCallbacks(execute=True) the events count as sent and conform."""
        with capture_events() as sent, self.captureOnCommitCallbacks(execute=True):
            assert self.check_in(sent) == 200
        sent.assert_emitted("booking_checked_in", "guest-booking", booking_id="BK-2025-0002")
        sent.assert_emitted("booking_status_changed", "hotel-staff", status="IN_HOUSE")
        sent.assert_all_conform()
