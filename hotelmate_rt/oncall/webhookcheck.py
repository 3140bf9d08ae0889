"""Doctor's webhook step: does the backend's webhook endpoint accept Pusher and refuse forgeries?

Two POSTs, neither stores anything: a body with no events, signed with the app secret exactly
as Pusher signs it (must get 2xx), and the same body with a forged signature (must get 401).
"""

from __future__ import annotations

import json
import time

from .model import Check, Section, Status

TITLE = "Webhook endpoint verifies Pusher's signature"


def webhook_check(url: str, key: str, secret: str, timeout: float) -> Check:
    """Post a signed empty webhook and a forged one to `url`; report what the endpoint did."""
    import httpx
    from pusher.signature import sign

    body = json.dumps({"time_ms": int(time.time() * 1000), "events": []})
    signed = {"X-Pusher-Key": key, "X-Pusher-Signature": sign(secret, body),
              "Content-Type": "application/json"}
    forged = {**signed, "X-Pusher-Signature": "0" * 64}
    answers: dict[str, int] = {}
    try:
        with httpx.Client(timeout=timeout, follow_redirects=False) as client:
            for name, headers in (("signed", signed), ("forged", forged)):
                answers[name] = client.post(url, content=body, headers=headers).status_code
    except httpx.HTTPError as exc:
        return Check("webhook.endpoint", Section.WEBHOOK, TITLE, Status.FAIL,
                     f"cannot reach {url}: {type(exc).__name__}",
                     next_action="check the URL the Pusher dashboard (or "
                                 "SOKETI_DEFAULT_APP_WEBHOOKS) posts to, and that it is routed "
                                 "to hotelmate_rt.django.webhooks.pusher_webhook",
                     code="unreachable")
    evidence = [f"signed empty body: HTTP {answers['signed']}",
                f"forged signature: HTTP {answers['forged']}"]
    if 200 <= answers["forged"] < 300:
        return Check("webhook.endpoint", Section.WEBHOOK, TITLE, Status.FAIL,
                     "SECURITY: the endpoint accepts a webhook with a forged signature", evidence,
                     "verify X-Pusher-Signature (hotelmate_rt.django.webhooks does)",
                     code="accepts-forged", security=True)
    if answers["signed"] == 401:
        return Check("webhook.endpoint", Section.WEBHOOK, TITLE, Status.FAIL,
                     "the endpoint refuses a correctly signed webhook: its PUSHER_KEY / "
                     "PUSHER_SECRET are not this app's", evidence,
                     "give the web process the same PUSHER_KEY and PUSHER_SECRET as the emitter",
                     code="wrong-credentials")
    if not 200 <= answers["signed"] < 300:
        return Check("webhook.endpoint", Section.WEBHOOK, TITLE, Status.FAIL,
                     f"the endpoint answered HTTP {answers['signed']} to a signed webhook",
                     evidence, "route it to hotelmate_rt.django.webhooks.pusher_webhook (POST, "
                     "no CSRF)", code="bad-status")
    if answers["forged"] != 401:
        return Check("webhook.endpoint", Section.WEBHOOK, TITLE, Status.WARN,
                     f"a forged webhook got HTTP {answers['forged']} instead of 401", evidence,
                     code="forged-status")
    return Check("webhook.endpoint", Section.WEBHOOK, TITLE, Status.PASS,
                 "accepts a signed webhook and refuses a forged one", evidence)
