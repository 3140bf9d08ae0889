"""The one exception tree of hotelmate-rt.

    HotelmateRtError
    ├── ContractLoadError        the contract file cannot be read or is malformed
    ├── ConfigError              settings (environment, .env files, [tool.hotelmate-rt]) are unusable
    ├── ContractUsageError       a render/emit asked for something the contract does not allow
    │   ├── UnknownName          no channel, event, action or state by that name
    │   ├── ParameterError       a template parameter is missing or does not match its pattern
    │   └── PayloadRejected      a payload failed validation (schema, size, sensitive fields)
    ├── TransitionRefused        the status machine does not allow that transition
    ├── Forbidden                a principal may not subscribe to a channel (carries the reason)
    ├── DeliveryError            a send failed after the retry policy (strict mode only)
    │   └── TransportError       one HTTP attempt failed (status, retryable)
    └── ProbeError               the probe could not connect, authorize or subscribe
        ├── AuthEndpointError    the backend auth endpoint refused or failed (status, reason)
        └── HttpApiError         a Pusher HTTP API call failed (oncall/httpapi.py: kind, detail)

SDK errors (pusher, pysher, httpx, websocket) are mapped at the boundary with `raise X from e`.
"""

from __future__ import annotations


class HotelmateRtError(Exception):
    """Base class of every error this package raises on purpose."""


class ContractLoadError(HotelmateRtError):
    """The contract could not be loaded; `problems` lists every located problem found."""

    def __init__(self, problems: list[object]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


class ConfigError(HotelmateRtError):
    """Settings (environment, .env files, the pyproject table) are missing or malformed."""


class ContractUsageError(HotelmateRtError):
    """A caller asked the contract for something it does not allow."""


class UnknownName(ContractUsageError):
    """No channel, event, action or state by that name exists in the contract."""


class ParameterError(ContractUsageError):
    """A channel template parameter is missing or does not match its declared pattern."""


class PayloadRejected(ContractUsageError):
    """A payload was refused before sending; `findings` says why."""

    def __init__(self, message: str, findings: list[object] | None = None) -> None:
        self.findings = findings or []
        super().__init__(message)


class TransitionRefused(HotelmateRtError):
    """The contract's status machine does not allow this transition."""


class Forbidden(HotelmateRtError):
    """A principal is not allowed to subscribe to a channel; `reason` is safe to show."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)


class DeliveryError(HotelmateRtError):
    """A send failed for good (raised only in strict mode)."""


class TransportError(DeliveryError):
    """One HTTP attempt failed; `retryable` says whether trying again can help."""

    def __init__(self, message: str, status: int | None = None, retryable: bool = False) -> None:
        self.status = status
        self.retryable = retryable
        super().__init__(message)


class ProbeError(HotelmateRtError):
    """The probe could not connect, authorize or subscribe."""


class AuthEndpointError(ProbeError):
    """The backend's auth endpoint refused or failed; carries status and reason."""

    def __init__(self, message: str, status: int | None = None, reason: str | None = None) -> None:
        self.status = status
        self.reason = reason
        super().__init__(message)
