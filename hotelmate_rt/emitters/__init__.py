"""The backend emitter library: contract-driven emit, batching, retries, dead letter, replay.

    from hotelmate_rt.emitters import Emitter

    emitter = Emitter.from_env()            # PUSHER_URL or PUSHER_APP_ID/KEY/SECRET/CLUSTER
    emitter.emit("booking_checked_in", {"booking_id": "BK-2025-0002", "status": "IN_HOUSE",
                 "room_number": "101", "checked_in_at": now}, hotel_slug="hotel-paradise")
    emitter.transition("BK-2025-0002", "CONFIRMED", "IN_HOUSE", {"room_number": "101"},
                       hotel_slug="hotel-paradise")
"""

from hotelmate_rt.redact import redact, redact_text

from .breaker import CircuitBreaker
from .deadletter import (
    DEAD_LETTER_ENV,
    BadLine,
    DeadEvent,
    DeadLetter,
    DeadLetterFile,
    DeadLetterKeeper,
    DeadLetterScan,
    default_dead_letter_path,
)
from .emitter import Batch, Emitter, Observer, Prepared, add_observer, remove_observer
from .http_backend import HttpClientBackend
from .outbox import DELIVERY_ID_FIELD, Outbox
from .policy import NO_RETRY, RetryPolicy
from .replay import ReplayReport
from .results import EmitResult, Outcome
from .transports import (
    ConfigError,
    PusherTransport,
    RecordedCall,
    RecordingTransport,
    Transport,
    TransportError,
    WireEvent,
    pusher_settings,
)

__all__ = [
    "DEAD_LETTER_ENV",
    "DELIVERY_ID_FIELD",
    "NO_RETRY",
    "BadLine",
    "Batch",
    "CircuitBreaker",
    "ConfigError",
    "DeadEvent",
    "DeadLetter",
    "DeadLetterFile",
    "DeadLetterKeeper",
    "DeadLetterScan",
    "EmitResult",
    "Emitter",
    "HttpClientBackend",
    "Observer",
    "Outbox",
    "Outcome",
    "Prepared",
    "PusherTransport",
    "RecordedCall",
    "RecordingTransport",
    "ReplayReport",
    "RetryPolicy",
    "Transport",
    "TransportError",
    "WireEvent",
    "add_observer",
    "default_dead_letter_path",
    "pusher_settings",
    "redact",
    "redact_text",
    "remove_observer",
]
