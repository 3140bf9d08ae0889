"""Build a ready Probe from settings: what `listen`, `record` and the web console share.

    settings = ProbeSettings(key="app-key", audience="guest", token=token,
                             params={"booking_id": "BK-2025-0002"}, auth_endpoint=url)
    probe = build_probe(settings, contract)      # raises ProbeSetupError(field, message)

`ProbeSetupError.field` names what is missing or wrong ("key", "audience", "params", "secret",
"token", "auth", "server") so each front end can say how to fix it in its own words (the CLI
names flags, the console names form fields); `missing` lists the parameters a plan lacks.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from hotelmate_rt.contracts import Contract
from hotelmate_rt.errors import HotelmateRtError, ProbeError

from .auth import Authorizer, EndpointAuthorizer, LocalSigner, Redactor
from .connection import ConnectionOptions, ServerAddress
from .plan import plan_subscriptions
from .session import Probe, StopWhen

__all__ = ["ProbeSettings", "ProbeSetupError", "build_probe"]


@dataclass(frozen=True, slots=True)
class ProbeSettings:
    """Where the server is, who to listen as, and when to stop (fields as `listen` names them)."""

    audience: str | None = None
    token: str | None = None
    params: Mapping[str, str] = field(default_factory=dict)
    channels: Sequence[str] = ()
    auth_endpoint: str | None = None
    sign_locally: bool = False
    secret: str | None = None
    key: str | None = None
    host: str = "127.0.0.1"
    port: int = 6001
    tls: bool = False
    cluster: str | None = None
    target: str | None = None
    count: int | None = None
    until: str | None = None
    timeout: float | None = None
    auth_timeout: float = 5.0


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
    redactor = Redactor([s.token, s.secret])
    if not s.key:
        raise ProbeSetupError("key", "no Pusher app key")
    if s.audience is None and not s.channels:
        raise ProbeSetupError("audience", "say who you listen as (guest, staff or public) or "
                                          "name the channels")
    try:
        plan = plan_subscriptions(contract, s.audience, dict(s.params), list(s.channels))
    except HotelmateRtError as exc:
        raise ProbeSetupError("params", str(exc), _missing_params(str(exc), contract)) from None
    authorizer: Authorizer | None = None
    if plan.needs_auth:
        if s.sign_locally:
            if not s.secret:
                raise ProbeSetupError("secret", "signing locally needs the app secret")
            authorizer = LocalSigner(s.key, s.secret)
        elif s.auth_endpoint:
            if not s.token:
                raise ProbeSetupError("token", f"{s.audience or 'this'} listen needs a bearer "
                                               "token for the auth endpoint")
            authorizer = EndpointAuthorizer(s.auth_endpoint, s.token, s.key,
                                            timeout=s.auth_timeout, redactor=redactor)
        else:
            private = ", ".join(c.name for c in plan.channels if c.private)
            raise ProbeSetupError("auth", f"{private} need(s) authorization from the backend's "
                                          "auth endpoint")
    server = ServerAddress.for_cluster(s.key, s.cluster) if s.cluster else \
        ServerAddress(s.key, s.host, s.port, s.tls)
    try:
        return Probe(contract, server, plan, authorizer, target=s.target,
                     stop=StopWhen(s.count, s.until, s.timeout), options=options,
                     redactor=redactor)
    except HotelmateRtError as exc:
        if authorizer is not None:
            authorizer.close()
        raise ProbeSetupError("server", redactor(str(exc))) from None
