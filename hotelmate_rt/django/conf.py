"""The Django app's delivery settings, read in one place: `settings.HOTELMATE_RT` keys.

`{"OUTBOX": True, "OUTBOX_GRACE": 10, "OUTBOX_KEEP_SENT_DAYS": 7, "WEBHOOK_KEEP_DAYS": 30,
"WEBHOOK_TENTATIVE_VACATE": 5}`, plus `PUSHER_KEY` / `PUSHER_SECRET` / `PUSHER_APP_ID` for the
auth and webhook views. Environment variables are read by `hotelmate_rt.settings` only: the
HOTELMATE_RT_OUTBOX variable wins over the OUTBOX key, and the PUSHER_* variables (or
PUSHER_URL) are used where the Django settings give no credentials.
"""

from __future__ import annotations

from typing import Any

from hotelmate_rt.settings import PusherSettings, load_settings, load_tool_settings

DEFAULTS: dict[str, Any] = {
    "OUTBOX": False,
    "OUTBOX_GRACE": 10.0,
    "OUTBOX_KEEP_SENT_DAYS": 7.0,
    "WEBHOOK_KEEP_DAYS": 30.0,
    "WEBHOOK_TENTATIVE_VACATE": 5.0,
}
"""The delivery keys of `settings.HOTELMATE_RT` and their defaults (the README lists each)."""


def _configured() -> dict[str, Any]:
    """Return `settings.HOTELMATE_RT` when Django is configured, else an empty mapping."""
    from hotelmate_rt.django.transactions import django_ready

    if not django_ready():
        return {}
    from django.conf import settings

    return dict(getattr(settings, "HOTELMATE_RT", None) or {})


def setting(name: str) -> Any:
    """Return `settings.HOTELMATE_RT[name]` (Django configured) or the default."""
    return _configured().get(name, DEFAULTS[name])


def outbox_enabled() -> bool:
    """Tell whether emitters write through the outbox (HOTELMATE_RT_OUTBOX, else the setting)."""
    chosen = load_tool_settings().outbox
    return bool(setting("OUTBOX")) if chosen is None else chosen


def pusher_credentials() -> PusherSettings:
    """The app's Pusher credentials for the views: `settings.HOTELMATE_RT` keys over the
    environment as `hotelmate_rt.settings` reads it (RuntimeError when key or secret is unset)."""
    conf = _configured()
    found = load_settings()
    for attr, name in (("key", "PUSHER_KEY"), ("secret", "PUSHER_SECRET"),
                       ("app_id", "PUSHER_APP_ID")):
        if conf.get(name):
            setattr(found, attr, str(conf[name]))
            found.source[attr] = f"settings.HOTELMATE_RT[{name!r}]"
    if not found.key or not found.secret:
        raise RuntimeError("PUSHER_KEY and PUSHER_SECRET must be set (settings.HOTELMATE_RT, "
                           "or the environment: PUSHER_URL / PUSHER_*)")
    return found
