"""Doctor check of the webhook endpoint: does it accept Pusher and refuse forgeries?

Runs only when a webhook URL is configured (`--webhook-url` or HOTELMATE_RT_WEBHOOK_URL). Two
POSTs, neither stores anything: a body with no events, signed with the app secret exactly as
Pusher signs it (must get 2xx), and the same body with a forged signature (must get 401).
"""

from __future__ import annotations

import json
import time

from hotelmate_rt.oncall.checks import Outcome, failed, passed, warned
from hotelmate_rt.oncall.model import Section

from .context import DOCTOR, DoctorContext

ROUTE = "hotelmate_rt.django.webhooks.pusher_webhook"


@DOCTOR.fact("webhook-url")
def webhook_url(ctx: DoctorContext) -> str | None:
    """A webhook URL is configured."""
    return None if ctx.webhook_url else "no --webhook-url (or HOTELMATE_RT_WEBHOOK_URL) given"


@DOCTOR.check("webhook.endpoint", Section.WEBHOOK, "Webhook endpoint verifies Pusher's signature",
              only_if=("webhook-url",), needs=("credentials",))
def endpoint(ctx: DoctorContext) -> Outcome:
    """Post a signed empty webhook and a forged one; report what the endpoint did."""
    return webhook_check(ctx.webhook_url, ctx.settings.key, ctx.settings.secret, ctx.timeout())


def webhook_check(url: str, key: str, secret: str, timeout: float) -> Outcome:
    """Post a signed empty webhook and a forged one to `url`; judge the two answers."""
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
        return failed(f"cannot reach {url}: {type(exc).__name__}", code="unreachable",
                      next_action="check the URL the Pusher dashboard (or "
                                  "SOKETI_DEFAULT_APP_WEBHOOKS) posts to, and that it is routed "
                                  f"to {ROUTE}")
    evidence = [f"signed empty body: HTTP {answers['signed']}",
                f"forged signature: HTTP {answers['forged']}"]
    if 200 <= answers["forged"] < 300:
        return failed("SECURITY: the endpoint accepts a webhook with a forged signature",
                      evidence=evidence, code="accepts-forged", security=True,
                      next_action="verify X-Pusher-Signature (hotelmate_rt.django.webhooks does)")
    if answers["signed"] == 401:
        return failed("the endpoint refuses a correctly signed webhook: its PUSHER_KEY / "
                      "PUSHER_SECRET are not this app's", evidence=evidence,
                      code="wrong-credentials",
                      next_action="give the web process the same PUSHER_KEY and PUSHER_SECRET "
                                  "as the emitter")
    if not 200 <= answers["signed"] < 300:
        return failed(f"the endpoint answered HTTP {answers['signed']} to a signed webhook",
                      evidence=evidence, code="bad-status",
                      next_action=f"route it to {ROUTE} (POST, no CSRF)")
    if answers["forged"] != 401:
        return warned(f"a forged webhook got HTTP {answers['forged']} instead of 401",
                      evidence=evidence, code="forged-status")
    return passed("accepts a signed webhook and refuses a forged one", evidence=evidence)
