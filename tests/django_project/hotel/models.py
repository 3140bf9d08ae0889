"""A booking with a status, as HotelMate's hotel.models.RoomBooking has."""

from __future__ import annotations

from django.db import models


class Booking(models.Model):
    """A booking reference, its hotel, room and status."""

    booking_id: models.CharField[str, str] = models.CharField(max_length=32, unique=True)
    hotel_slug: models.CharField[str, str] = models.CharField(max_length=64)
    room_number: models.CharField[str, str] = models.CharField(max_length=8, blank=True)
    status: models.CharField[str, str] = models.CharField(max_length=32)

    class Meta:
        app_label = "hotel"
