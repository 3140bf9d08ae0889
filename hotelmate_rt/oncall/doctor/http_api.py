"""Doctor check of the HTTP API: app id, key and secret proven by a harmless channel-info call."""

from __future__ import annotations

from hotelmate_rt.oncall.checks import Outcome, failed, passed
from hotelmate_rt.oncall.model import Section

from .advice import http_api_action
from .context import DIAGNOSTIC_BOOKING, DOCTOR, DoctorContext


@DOCTOR.check("http-api.credentials", Section.HTTP_API, "HTTP API credentials (channel info)",
              needs=("credentials",))
def credentials(ctx: DoctorContext) -> Outcome:
    """Ask channel info for the diagnostic channel and name the failure, if any."""
    from hotelmate_rt.oncall.httpapi import HttpApiError, channel_info

    s = ctx.settings
    channel = f"private-booking-{DIAGNOSTIC_BOOKING}"
    timeout = ctx.timeout()
    try:
        info = channel_info(s, channel, timeout)
    except HttpApiError as exc:
        evidence = [f"GET {s.api_url}/apps/{s.app_id}/channels/{channel} (timeout "
                    f"{timeout:.1f} s)"]
        if exc.detail:
            evidence.append(f"server said: {exc.detail}")
        return failed(str(exc), evidence=evidence, code=exc.kind.value,
                      next_action=http_api_action(exc.kind.value, f"{s.api_host}:{s.api_port}"))
    count = "" if info.subscription_count is None else \
        f", subscription_count {info.subscription_count}"
    return passed(f"app {s.app_id} accepted the signed request",
                  evidence=[f"channel info {channel}: occupied {info.occupied}{count}"],
                  data=info.to_dict())
