"""Build a ready Probe from settings: the one construction path of `listen`, `record` and the console.

    pusher = load_settings(overrides=flag_overrides(key=..., host=...))   # hotelmate_rt.settings
    settings = ProbeSettings(pusher=pusher, audience="guest", token=token,
                             params={"booking_id": "BK-2025-0002"}, auth_endpoint=url)
    probe = build_probe(settings, contract)      # raises ProbeSetupError(field, message)

The server, app key and secret come only from `hotelmate_rt.settings` (`pusher`), so the probe
listens where the emitter sends and doctor checks; with the nodes of a cluster in the settings it
connects to the first that answers and fails over to the next. A parameter may carry several
values (every combination is planned). `ProbeSetupError.field` names what is missing or wrong
("settings", "key", "audience", "params", "until", "secret", "token", "auth", "server") so each
front end can say how to fix it in its own words (the CLI names flags, the console names form
fields); `missing` lists the parameters a plan lacks.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from hotelmate_rt.contracts import Contract, NameStatus, resolve_event
from hotelmate_rt.errors import HotelmateRtError, ProbeError
from hotelmate_rt.settings import PusherSettings

from .auth import Authorizer, EndpointAuthorizer, LocalSigner, Redactor
from .connection import ConnectionOptions, ServerAddress
from .plan import plan_subscriptions
from .session import Probe, StopWhen

__all__ = ["ProbeSettings", "ProbeSetupError", "build_probe"]


@dataclass(frozen=True, slots=True, kw_only=True)
class ProbeSettings:
    """The server (as `hotelmate_rt.settings` read it), who to listen as, and when to stop."""

    pusher: PusherSettings
    audience: str | None = None
    token: str | None = None
    params: Mapping[str, str | Sequence[str]] = field(default_factory=dict)
    channels: Sequence[str] = ()
    auth_endpoint: str | None = None
    sign_locally: bool = False
    target: str | None = None
    count: int | None = None
    until: str | None = None
    timeout: float | None = None
    auth_timeout: float = 5.0

    def server(self) -> ServerAddress:
        """Return the websocket address to listen on, or raise ProbeSetupError (settings, key)."""
        return self.servers()[0]

    def servers(self) -> list[ServerAddress]:
        """Return every node to listen on, in failover order (one without a node list)."""
        pusher = self.pusher
        if pusher.errors:
            raise ProbeSetupError("settings", Redactor([self.token, pusher.secret])(
                "; ".join(pusher.errors)))
        if not pusher.key:
            raise ProbeSetupError("key", "no Pusher app key")
        return ServerAddress.nodes_from_settings(pusher)


class ProbeSetupError(ProbeError):
    """The settings cannot make a probe; `field` says which setting to fix."""

    def __init__(self, field: str, message: str, missing: Sequence[str] = ()) -> None:
        self.field = field
        self.missing = tuple(missing)
        super().__init__(message)


def _missing_params(message: str, contract: Contract) -> list[str]:
    """Find the parameter names an unfillable plan mentions."""
    return sorted(p for p in contract.parameters if p in message and "pass" in message)


def build_probe(settings: ProbeSettings, contract: Contract,
                options: ConnectionOptions | None = None) -> Probe:
    """Turn settings into a ready (not yet connected) Probe, or raise ProbeSetupError."""
    s = settings
    servers = s.servers()
    key, secret = s.pusher.key, s.pusher.secret
    redactor = Redactor([s.token, secret])
    if s.audience is None and not s.channels:
        raise ProbeSetupError("audience", "say who you listen as (guest, staff or public) or "
                                          "name the channels")
    try:
        plan = plan_subscriptions(contract, s.audience, dict(s.params), list(s.channels))
    except HotelmateRtError as exc:
        raise ProbeSetupError("params", str(exc), _missing_params(str(exc), contract)) from None
    if s.until is not None:
        until = resolve_event(contract, s.until)
        if until.status is NameStatus.UNKNOWN and until.problem:
            raise ProbeSetupError("until", f"--until: {until.problem}")
    authorizer: Authorizer | None = None
    if plan.needs_auth:
        if s.sign_locally:
            if not secret:
                raise ProbeSetupError("secret", "signing locally needs the app secret")
            authorizer = LocalSigner(key, secret)
        elif s.auth_endpoint:
            if not s.token:
                raise ProbeSetupError("token", f"{s.audience or 'this'} listen needs a bearer "
                                               "token for the auth endpoint")
            authorizer = EndpointAuthorizer(s.auth_endpoint, s.token, key,
                                            timeout=s.auth_timeout, redactor=redactor)
        else:
            private = ", ".join(c.name for c in plan.channels if c.private)
            raise ProbeSetupError("auth", f"{private} need(s) authorization from the backend's "
                                          "auth endpoint")
    try:
        return Probe(contract, servers, plan, authorizer, target=s.target,
                     stop=StopWhen(s.count, s.until, s.timeout), options=options,
                     redactor=redactor)
    except HotelmateRtError as exc:
        if authorizer is not None:
            authorizer.close()
        raise ProbeSetupError("server", redactor(str(exc))) from None
