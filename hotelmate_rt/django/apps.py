"""The installable Django app: `INSTALLED_APPS = [..., "hotelmate_rt.django"]`."""

from __future__ import annotations

from django.apps import AppConfig


class HotelmateRtConfig(AppConfig):
    """The outbox, the dead rows and the webhook history tables (label `hotelmate_rt`)."""

    name = "hotelmate_rt.django"
    label = "hotelmate_rt"
    verbose_name = "hotelmate-rt realtime delivery"
    default_auto_field = "django.db.models.BigAutoField"
