"""URLs of the test project: the Pusher auth endpoint, the webhook endpoint, a check-in endpoint."""

from __future__ import annotations

from django.urls import path

from hotelmate_rt.django.views import pusher_auth
from hotelmate_rt.django.webhooks import pusher_webhook

from .hotel import views

urlpatterns = [
    path("pusher/auth/", pusher_auth),
    path("pusher/webhooks/", pusher_webhook),
    path("bookings/<str:booking_id>/check-in/", views.check_in),
]
