"""Testing helpers for HotelMate's test suite and ours: event capture, a local auth server, soketi.

`capture_events()` records what every Emitter would send, each with a contract verdict; the
pytest plugin exposes it as the `rt_events` fixture. `auth_server.AuthServer` serves the real
Django auth view on a free port; `soketi.SoketiServer` runs a local Pusher-protocol server.
"""

from .capture import CapturedEvent, EventCapture, capture_events

__all__ = ["CapturedEvent", "EventCapture", "capture_events"]
