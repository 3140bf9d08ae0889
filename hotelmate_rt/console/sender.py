"""The "send test event" form: one event through the Emitter, validated, never raising.

`EventSender.from_settings(contract, pusher)` sends with the settings the console listens with
(`hotelmate_rt.settings`, the one reader: PUSHER_URL or PUSHER_APP_ID/KEY/SECRET, HOST/PORT/TLS
for soketi), through `Emitter.from_env(settings=...)` as `hotelmate-rt emit` and doctor do.
`send()` returns what happened as data for the page: sent (to which channels), refused (each
finding with its JSON path) or failed (after the retry policy); nothing is dropped silently and
nothing raises into the web request.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import Any

from hotelmate_rt.contracts import Contract
from hotelmate_rt.emitters import Emitter, RetryPolicy
from hotelmate_rt.errors import ContractUsageError, DeliveryError, HotelmateRtError, PayloadRejected
from hotelmate_rt.redact import Redactor
from hotelmate_rt.settings import PusherSettings

__all__ = ["EventSender"]


class EventSender:
    """Send test events the page asks for through a strict, immediate Emitter."""

    def __init__(self, emitter: Emitter, redactor: Redactor) -> None:
        """Send through `emitter`; error texts pass through `redactor`."""
        self.emitter = emitter
        self.redactor = redactor
        self._lock = threading.Lock()

    @classmethod
    def from_settings(cls, contract: Contract, settings: PusherSettings,
                      target: str | None = None, timeout: float = 3.0) -> EventSender:
        """Build from settings already read; raises ConfigError without credentials."""
        emitter = Emitter.from_env(contract, settings=settings, timeout=timeout, target=target,
                                   strict=True, dead_letter=False, defer=False,
                                   retry=RetryPolicy(attempts=3, deadline=timeout * 3))
        return cls(emitter, Redactor([settings.secret]))

    @property
    def target(self) -> str:
        """Where events go (no credentials), for the page."""
        return str(getattr(self.emitter.transport, "target_url", "the Pusher HTTP API"))

    def send(self, event: str, data: Any, params: Mapping[str, Any]) -> dict[str, Any]:
        """Validate and send one event; describe the outcome (sent, refused or failed)."""
        clean = {str(k): str(v) for k, v in params.items() if v not in (None, "")}
        try:
            with self._lock:
                result = self.emitter.emit(event, data, **clean)
        except PayloadRejected as exc:
            findings = [f.to_dict() for f in exc.findings]  # type: ignore[attr-defined]
            return self.redactor.value({"ok": False, "event": event, "outcome": "refused",
                                        "message": str(exc), "findings": findings})
        except ContractUsageError as exc:
            return self.redactor.value({"ok": False, "event": event, "outcome": "refused",
                                        "message": str(exc), "findings": []})
        except (DeliveryError, HotelmateRtError) as exc:
            return {"ok": False, "event": event, "outcome": "failed",
                    "message": self.redactor.text(str(exc)), "findings": []}
        return self.redactor.value({"ok": True, **result.to_dict()})

    def close(self) -> None:
        """Release the emitter's connections."""
        self.emitter.close()
