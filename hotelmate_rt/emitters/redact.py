"""Redaction of secrets (app secret, bearer tokens, signatures, URL passwords) from text and data."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

MASK = "***"

SECRET_KEYS = frozenset({
    "secret", "pusher_secret", "app_secret", "password", "token", "access_token", "guest_token",
    "authorization", "auth_signature", "api_key", "encryption_master_key",
    "encryption_master_key_base64",
})
"""Mapping keys (compared lowercased) whose values are always masked."""

_PATTERNS = (
    (re.compile(r"(?i)\b(bearer|token)\s+[A-Za-z0-9._~+/=-]+"), r"\1 " + MASK),
    (re.compile(r"(?i)(auth_signature=)[0-9a-f]+"), r"\1" + MASK),
    (re.compile(r"(?i)(\b[a-z][a-z0-9+.-]*://[^:/@\s]+:)[^@\s]+@"), r"\1" + MASK + "@"),
    (re.compile(r"(?i)((?:secret|password|token)[\"']?\s*[=:]\s*[\"']?)[^\s\"',&}]+"),
     r"\1" + MASK),
)


def redact_text(text: str, secrets: Iterable[str] = ()) -> str:
    """Mask every known secret value and every secret-looking pattern in a string."""
    for value in secrets:
        if value and len(value) >= 4:
            text = text.replace(value, MASK)
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


def redact(value: Any, secrets: Iterable[str] = ()) -> Any:
    """Return a copy of a JSON-like value with secret keys masked and strings redacted."""
    known = tuple(s for s in secrets if s)
    return _redact(value, known)


def _redact(value: Any, secrets: tuple[str, ...]) -> Any:
    """Walk the value recursively."""
    if isinstance(value, Mapping):
        return {k: (MASK if str(k).lower() in SECRET_KEYS and v not in (None, "")
                    else _redact(v, secrets)) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_redact(v, secrets) for v in value]
    if isinstance(value, str):
        return redact_text(value, secrets)
    return value
