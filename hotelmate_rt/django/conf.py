"""The delivery settings of the Django integration, read in one place.

Environment first (HOTELMATE_RT_OUTBOX), then `settings.HOTELMATE_RT` when Django is configured:
`{"OUTBOX": True, "OUTBOX_GRACE": 10, "OUTBOX_KEEP_SENT_DAYS": 7, "WEBHOOK_KEEP_DAYS": 30,
"WEBHOOK_TENTATIVE_VACATE": 5}`. (To be folded into `hotelmate_rt.settings` when it lands.)
"""

from __future__ import annotations

import os
from typing import Any

OUTBOX_ENV = "HOTELMATE_RT_OUTBOX"
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}

DEFAULTS: dict[str, Any] = {
    "OUTBOX": False,
    "OUTBOX_GRACE": 10.0,
    "OUTBOX_KEEP_SENT_DAYS": 7.0,
    "WEBHOOK_KEEP_DAYS": 30.0,
    "WEBHOOK_TENTATIVE_VACATE": 5.0,
}


def setting(name: str) -> Any:
    """Return `settings.HOTELMATE_RT[name]` (Django configured) or the default."""
    from hotelmate_rt.django.transactions import django_ready

    if django_ready():
        from django.conf import settings

        conf = getattr(settings, "HOTELMATE_RT", None) or {}
        if name in conf:
            return conf[name]
    return DEFAULTS[name]


def outbox_enabled() -> bool:
    """Tell whether emitters write through the outbox (HOTELMATE_RT_OUTBOX, else the setting)."""
    text = os.environ.get(OUTBOX_ENV, "").strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    return bool(setting("OUTBOX"))
