"""What every doctor check reads: the options, the settings, the contract, the budget, results."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hotelmate_rt.errors import ConfigError, ContractLoadError, HotelmateRtError
from hotelmate_rt.oncall.checks import Budget, Checklist, RunContext
from hotelmate_rt.oncall.model import SetupOptions
from hotelmate_rt.redact import Redactor
from hotelmate_rt.settings import (
    FrontendSettings,
    PusherSettings,
    load_tool_settings,
)

if TYPE_CHECKING:
    from hotelmate_rt.contracts import Contract
    from hotelmate_rt.emitters import Emitter
    from hotelmate_rt.probes import Authorizer, Probe, ServerAddress

DIAGNOSTIC_BOOKING = "BK-0000-0000"
"""The booking id of the doctor's round-trip channel: a booking no guest can have."""

FOREIGN_BOOKING = "BK-0000-0001"
FOREIGN_HOTEL = "hotelmate-rt-doctor-elsewhere"


@dataclass(slots=True, kw_only=True)
class DoctorOptions(SetupOptions):
    """Everything a doctor run needs; the CLI fills it from flags and the environment."""

    frontend_env: Path | None = None
    frontend_src: Path | None = None
    booking_id: str | None = None
    budget: float = 30.0
    round_trips: int = 3
    webhook_url: str | None = None
    """--webhook-url; when None, HOTELMATE_RT_WEBHOOK_URL (environment or --env-file)."""


class DoctorContext(RunContext):
    """One doctor run's inputs, read once before any check (nothing touches the network here)."""

    def __init__(self, options: DoctorOptions) -> None:
        """Read the settings, the frontend env file and the contract (ConfigError if unreadable)."""
        super().__init__(Redactor([options.guest_token, options.staff_token]),
                         Budget(options.budget, options.step_timeout))
        self.options = options
        self.settings: PusherSettings = options.read_settings()
        if not self.settings.source and not self.settings.errors:
            raise ConfigError("no Pusher settings found: set PUSHER_URL (or PUSHER_APP_ID, "
                              "PUSHER_KEY, PUSHER_SECRET and PUSHER_HOST/PUSHER_PORT or "
                              "PUSHER_CLUSTER), or pass --env-file with them")
        self.redactor.add(self.settings.secret)
        self.webhook_url = options.webhook_url or load_tool_settings(
            options.env, env_file=options.backend_env_file).webhook_url
        self.frontend = FrontendSettings.from_file(options.frontend_env) \
            if options.frontend_env is not None else None
        self.contract: Contract | None = None
        self.contract_problems: list[str] = []
        from hotelmate_rt.contracts import load_contract

        try:
            self.contract = load_contract(options.contract)
        except ContractLoadError as exc:
            self.contract_problems = [str(p) for p in exc.problems]
        except HotelmateRtError as exc:
            self.contract_problems = [str(exc)]

    # -- what several checks share ---------------------------------------------------------

    @property
    def page_key(self) -> str:
        """The key the page connects with: the frontend's when known, else the backend's."""
        return self.frontend.key if self.frontend is not None and self.frontend.key else \
            self.settings.key

    def server(self) -> ServerAddress:
        """Return the websocket address the browser would use (same server as the emitter)."""
        from hotelmate_rt.probes import ServerAddress

        return ServerAddress.from_settings(self.settings, key=self.page_key)

    def probe(self, channels: list[tuple[str, str | None]], authorizer: Authorizer | None,
              lasting: float | None = None) -> Probe:
        """Build a probe on the page's server, bounded by the step timeout."""
        from hotelmate_rt.oncall.listening import make_probe

        timeout = self.timeout()
        return make_probe(self.contract, self.server(), channels, authorizer, timeout,
                          self.redactor, lasting if lasting is not None else timeout + 1.0)

    def emitter(self, settings: PusherSettings) -> Emitter:
        """Build the real emitter on `settings`, sending each event once, now, bounded."""
        from hotelmate_rt.emitters import NO_RETRY, Emitter

        return Emitter.from_env(self.contract, settings=settings, timeout=self.timeout(),
                                strict=True, retry=NO_RETRY, dead_letter=False, defer=False,
                                lanes=1)

    def render(self, channel_id: str, params: Mapping[str, str | None]) -> str | None:
        """Render a contract channel, or None when it is missing or a parameter is."""
        if self.contract is None or channel_id not in self.contract.channels or \
                not all(params.values()):
            return None
        try:
            return self.contract.render(channel_id, **params)
        except HotelmateRtError:
            return None

    def guest_params(self) -> dict[str, str]:
        """Return the guest's known scope (booking, hotel, room)."""
        o = self.options
        return {k: v for k, v in (("booking_id", o.booking_id), ("hotel_slug", o.hotel_slug),
                                  ("room_number", o.room_number)) if v}

    def staff_params(self) -> dict[str, str]:
        """Return the staff member's known scope (hotel, room)."""
        o = self.options
        return {k: v for k, v in (("hotel_slug", o.hotel_slug), ("room_number", o.room_number))
                if v}

    def probe_channel(self) -> str:
        """Return a private channel to ask the auth endpoint about when no principal matters."""
        booking = self.options.booking_id or DIAGNOSTIC_BOOKING
        return self.render("guest-booking", {"booking_id": booking}) or \
            f"private-booking-{booking}"

    def auth_usable(self) -> bool:
        """Tell whether the auth endpoint answered like one (refusing, or signing anonymously)."""
        reachable = self.results.get("auth.reachable")
        return reachable is not None and (reachable.status.value == "pass" or
                                          reachable.code == "signs-anonymous")

    def audiences(self) -> list[tuple[str, str | None, dict[str, str]]]:
        """List (audience, token, params) the subscriptions check can subscribe as."""
        o = self.options
        plans: list[tuple[str, str | None, dict[str, str]]] = []
        if o.hotel_slug:
            plans.append(("public", None, {"hotel_slug": o.hotel_slug}))
        if o.auth_endpoint and self.auth_usable():
            if o.guest_token:
                plans.append(("guest", o.guest_token, self.guest_params()))
            if o.staff_token:
                plans.append(("staff", o.staff_token, self.staff_params()))
        return plans

    def target(self) -> dict[str, Any]:
        """Describe what the run looked at (no secret, no token), redacted once."""
        o = self.options
        return self.redactor.value({
            "pusher": self.settings.describe(),
            "frontend_env": o.frontend_env and str(o.frontend_env),
            "frontend_src": o.frontend_src and str(o.frontend_src),
            "auth_endpoint": o.auth_endpoint, "origin": o.origin,
            "webhook_url": self.webhook_url or None,
            "guest_token": "set" if o.guest_token else None,
            "staff_token": "set" if o.staff_token else None,
            "booking_id": o.booking_id, "hotel_slug": o.hotel_slug, "room_number": o.room_number,
            "contract": self.contract.path if self.contract else (o.contract and str(o.contract))})


def send_diagnostic(emitter: Emitter) -> tuple[str, str | None]:
    """Send a booking_updated marked with a fresh nonce to the diagnostic booking.

    Return the nonce and why the send failed (None when it was accepted).
    """
    nonce = uuid.uuid4().hex[:12]
    payload = {"booking_id": DIAGNOSTIC_BOOKING,
               "updated_at": datetime.now(UTC).isoformat(timespec="milliseconds"),
               "changed_fields": [f"hotelmate-rt-doctor-{nonce}"]}
    try:
        result = emitter.emit("booking_updated", payload, only=("guest-booking",),
                              booking_id=DIAGNOSTIC_BOOKING)
    except HotelmateRtError as exc:
        return nonce, str(exc)
    return nonce, None if result.ok else (result.error or result.outcome.value)


DOCTOR: Checklist[DoctorContext] = Checklist("doctor")
"""Every doctor check and fact; the modules of this package add theirs when imported."""
