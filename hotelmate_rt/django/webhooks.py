"""The Pusher / soketi webhook endpoint: verified with the pusher SDK, stored once per event.

Pusher POSTs `{"time_ms": ..., "events": [{"name": "channel_occupied", "channel": ...}, ...]}`
with `X-Pusher-Key` and `X-Pusher-Signature` (HMAC-SHA256 of the body with the app secret). The
view answers:

- 200 `{"stored": n, "duplicates": m}`: every event is stored once, keyed by a digest of
  (time_ms, name, channel, user_id, subscription_count), so a redelivered body stores nothing new;
- 401 when a header is missing, the key is not the app's, the signature does not match, or the
  body is older (or newer) than 5 minutes (`pusher.Pusher.validate_webhook`): nothing is stored;
- 400 for a signed body that has no `events` list; 405 for anything but POST.

Wire it with `path("pusher/webhooks/", pusher_webhook)` (key and secret from PUSHER_KEY /
PUSHER_SECRET or settings.HOTELMATE_RT) or `make_webhook_view(key=..., secret=...)`.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from django.db import DEFAULT_DB_ALIAS
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from .models import ChannelWebhookEvent

log = logging.getLogger("hotelmate_rt.webhooks")

WebhookView = Callable[[HttpRequest], HttpResponse]


def event_digest(time_ms: int, event: dict[str, Any]) -> str:
    """The idempotency key of one webhook event (same event, same digest, on every retry)."""
    parts = [str(time_ms), str(event.get("name", "")), str(event.get("channel", "")),
             str(event.get("user_id", "")), str(event.get("subscription_count", ""))]
    return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()


def store_events(body: dict[str, Any], using: str | None = None) -> tuple[int, int]:
    """Store a verified body's events once each; return (stored, duplicates)."""
    time_ms = int(body["time_ms"])
    happened = datetime.fromtimestamp(time_ms / 1000, UTC)
    rows: dict[str, ChannelWebhookEvent] = {}
    for event in body["events"]:
        if not isinstance(event, dict) or not isinstance(event.get("channel"), str) \
                or not isinstance(event.get("name"), str):
            continue
        count = event.get("subscription_count")
        digest = event_digest(time_ms, event)
        rows[digest] = ChannelWebhookEvent(
            digest=digest, name=event["name"][:40], channel=event["channel"][:200],
            user_id=str(event.get("user_id") or "")[:200],
            subscription_count=count if isinstance(count, int) else None, happened_at=happened)
    manager = ChannelWebhookEvent.objects.using(using or DEFAULT_DB_ALIAS)
    known = set(manager.filter(digest__in=list(rows)).values_list("digest", flat=True))
    fresh = [row for digest, row in rows.items() if digest not in known]
    manager.bulk_create(fresh, ignore_conflicts=True)
    return len(fresh), len(known)


def make_webhook_view(*, key: str, secret: str, app_id: str = "1",
                      using: str | None = None) -> WebhookView:
    """Build the webhook endpoint for one Pusher app (key and secret of that app)."""
    import pusher

    client = pusher.Pusher(app_id=app_id if app_id.isdigit() else "1", key=key, secret=secret)

    def refuse(why: str) -> HttpResponse:
        """Answer 401 and log why (never the secret or the signature)."""
        log.warning("webhook refused: %s", why)
        return JsonResponse({"error": "invalid webhook: unknown key, bad signature, or a body "
                                      "older than 5 minutes"}, status=401)

    @csrf_exempt
    def pusher_webhook(request: HttpRequest) -> HttpResponse:
        """Verify one webhook POST and store its events."""
        if request.method != "POST":
            response = JsonResponse({"error": "use POST"}, status=405)
            response["Allow"] = "POST"
            return response
        given_key = request.META.get("HTTP_X_PUSHER_KEY", "")
        signature = request.META.get("HTTP_X_PUSHER_SIGNATURE", "")
        if not given_key or not signature:
            return refuse("missing X-Pusher-Key or X-Pusher-Signature")
        try:
            text = request.body.decode("utf-8")
            body = client.validate_webhook(given_key, signature, text)
        except Exception as exc:  # undecodable body, absurd nesting: refused, never a 500
            return refuse(f"unreadable body ({type(exc).__name__})")
        if body is None:
            return refuse("key, signature or time_ms did not verify")
        if not isinstance(body, dict) or not isinstance(body.get("events"), list) \
                or not isinstance(body.get("time_ms"), int | float):
            return JsonResponse({"error": "a webhook body has time_ms and an events list"},
                                status=400)
        stored, duplicates = store_events(body, using)
        log.info("webhook stored %s", json.dumps({"stored": stored, "duplicates": duplicates}))
        return JsonResponse({"stored": stored, "duplicates": duplicates})

    return pusher_webhook


_SETTINGS_VIEW: WebhookView | None = None


def settings_webhook_view() -> WebhookView:
    """Build (once) the view from settings.HOTELMATE_RT or the Pusher settings (environment)."""
    global _SETTINGS_VIEW
    if _SETTINGS_VIEW is None:
        from .conf import pusher_credentials

        pusher = pusher_credentials()
        _SETTINGS_VIEW = make_webhook_view(key=pusher.key, secret=pusher.secret,
                                           app_id=pusher.app_id or "1")
    return _SETTINGS_VIEW


@csrf_exempt
def pusher_webhook(request: HttpRequest) -> HttpResponse:
    """The settings-configured webhook endpoint, for `path("pusher/webhooks/", pusher_webhook)`."""
    return settings_webhook_view()(request)
