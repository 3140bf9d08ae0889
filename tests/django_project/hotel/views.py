"""The check-in endpoint: update the booking and emit through the status machine, atomically."""

from __future__ import annotations

from django.db import transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from hotelmate_rt.emitters import Emitter

from .models import Booking

EMITTER: dict[str, Emitter] = {}


@csrf_exempt
@require_POST
def check_in(request: HttpRequest, booking_id: str) -> HttpResponse:
    """Check a guest in: CONFIRMED -> IN_HOUSE; events go out only if the save commits."""
    emitter = EMITTER["default"]
    with transaction.atomic():
        booking = Booking.objects.select_for_update().get(booking_id=booking_id)
        emitter.transition(booking.booking_id, booking.status, "IN_HOUSE",
                           {"room_number": booking.room_number}, hotel_slug=booking.hotel_slug)
        booking.status = "IN_HOUSE"
        booking.save(update_fields=["status"])
        if request.POST.get("fail"):
            raise RuntimeError("simulated failure after the emit")
    return JsonResponse({"booking_id": booking.booking_id, "status": booking.status})
