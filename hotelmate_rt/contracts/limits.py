"""Pusher Channels limits that every channel name, event name and payload must respect."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

MAX_CHANNEL_NAME = 164
MAX_EVENT_NAME = 200
DEFAULT_MAX_PAYLOAD_BYTES = 10_240
MAX_CHANNELS_PER_TRIGGER = 100
MAX_EVENTS_PER_BATCH = 10
CHANNEL_NAME_CHARS = re.compile(r"[A-Za-z0-9_\-=@,.;]+")
CHANNEL_CHAR = re.compile(r"[A-Za-z0-9_\-=@,.;]")
PRIVATE_PREFIX = "private-"
PRESENCE_PREFIX = "presence-"
ENCRYPTED_PREFIX = "private-encrypted-"


@dataclass(frozen=True, slots=True)
class Target:
    """A Pusher-protocol server with its own payload limit (hosted Pusher, local soketi...)."""

    name: str
    max_payload_bytes: int = DEFAULT_MAX_PAYLOAD_BYTES


def channel_name_problem(name: str) -> str | None:
    """Say what is wrong with a concrete channel name, or None when Pusher accepts it."""
    if not name:
        return "channel name is empty"
    if len(name) > MAX_CHANNEL_NAME:
        return f"channel name is {len(name)} characters; Pusher allows at most {MAX_CHANNEL_NAME}"
    if not CHANNEL_NAME_CHARS.fullmatch(name):
        bad = sorted({c for c in name if not CHANNEL_CHAR.fullmatch(c)})
        shown = ", ".join(repr(c) for c in bad)
        return f"channel name contains {shown}; Pusher allows only A-Z a-z 0-9 _ - = @ , . ;"
    return None


def event_name_problem(name: str) -> str | None:
    """Say what is wrong with an event name, or None when Pusher accepts it."""
    if not name:
        return "event name is empty"
    if len(name) > MAX_EVENT_NAME:
        return f"event name is {len(name)} characters; Pusher allows at most {MAX_EVENT_NAME}"
    return None


def encode_data(data: Any) -> str:
    """Encode a payload exactly as the pusher SDK does before sending it."""
    if isinstance(data, str):
        return data
    return json.dumps(data, ensure_ascii=False)


def payload_bytes(data: Any) -> int:
    """Measure a payload as Pusher does: UTF-8 bytes of the JSON string sent as `data`."""
    return len(encode_data(data).encode("utf-8"))
