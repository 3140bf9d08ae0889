"""Configure Django for tests and local servers when the host project has not done it already."""

from __future__ import annotations

import os
from typing import Any

DEFAULT_SETTINGS: dict[str, Any] = {
    "DEBUG": False,
    "ALLOWED_HOSTS": ["127.0.0.1", "localhost", "testserver"],
    "SECRET_KEY": "hotelmate-rt-local-only-not-a-secret",
    "ROOT_URLCONF": "hotelmate_rt.testing.django_setup",
    "MIDDLEWARE": [],
    "INSTALLED_APPS": [],
    "DATABASES": {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}},
    "USE_TZ": True,
}
"""Minimal settings used when neither `settings.configure()` nor DJANGO_SETTINGS_MODULE is set."""

urlpatterns: list[Any] = []


def ensure_django(**overrides: Any) -> None:
    """Make Django usable: keep existing settings, else DJANGO_SETTINGS_MODULE, else defaults."""
    import django
    from django.apps import apps
    from django.conf import settings

    if not settings.configured and not os.environ.get("DJANGO_SETTINGS_MODULE"):
        settings.configure(**{**DEFAULT_SETTINGS, **overrides})
    if not apps.ready:
        django.setup()
