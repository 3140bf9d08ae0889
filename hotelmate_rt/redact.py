"""One redaction policy for every layer: the app secret, bearer tokens, signatures, URL passwords.

Nothing this package prints, logs or writes (dead letters, NDJSON, doctor reports) may carry a
secret. `Redactor` hides the literal values it was given plus anything that looks like a secret:
`Bearer ...`, `Authorization: Token ...`, `key:<64 hex>` auth signatures, `auth_signature=` query
values, `scheme://user:password@`, `secret=...`-style assignments, and the values of secret-named
keys in JSON-like data.

Prose must survive it: "Guest token: own channel" and "wrong app secret: refused" are sentences,
not assignments. After a lowercase `token`/`secret`/`password` word followed by a colon or a space,
only a value that looks like a credential (`_looks_like_credential`) is masked; `=`, quotes and
identifier-style keys (`PUSHER_SECRET:`, `guest_token:`) always mask.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

MASK = "***"

SECRET_KEYS = frozenset({
    "secret", "pusher_secret", "app_secret", "password", "token", "access_token", "guest_token",
    "staff_token", "authorization", "auth_signature", "api_key", "encryption_master_key",
    "encryption_master_key_base64",
})
"""Mapping keys (compared lowercased) whose values are always masked."""

_VALUE = r"[^\s\"',&}]+"
_TOKEN = r"[A-Za-z0-9._~+/=-]"
"""A character of a token: base64(url), hex, JWT, DRF."""
# Every run of characters before a required delimiter is bounded ({0,31}, {2,128}...): the
# patterns scan hostile text (server answers, frames), which must never take quadratic time.


def _assignment(m: re.Match[str]) -> str:
    """Mask `secret=x`, `PUSHER_SECRET: x`, `"token": x`; keep prose ("app secret: refused").

    Groups: the key word, a quote after it, the separator with its spaces, the separator, a
    quote before the value, the value. The key is part of an identifier (`pusher_secret`,
    `mysecret`) when the character before it is a letter, digit or `_`.
    """
    before = m.string[m.start() - 1] if m.start() else " "
    setting = (m[4] == "=" or m[2] or m[5] or m[1].isupper() or before == "_"
               or before.isalnum())
    if not setting and not _looks_like_credential(m[6]):
        return m[0]
    return m[1] + m[2] + m[3] + m[5] + MASK


def _looks_like_credential(value: str) -> bool:
    """Tell a credential (`9f8e7d6c5b4a`, `kQx...Zp` base64) from a word (`own`, `refused`)."""
    if len(value) >= 6 and any(c.isdigit() for c in value):
        return True
    letters = [c for c in value if c.isalpha()]
    mixed = any(c.isupper() for c in letters) and any(c.islower() for c in letters)
    return len(value) >= 24 or (len(value) >= 16 and mixed)


def _token_word(m: re.Match[str]) -> str:
    """Mask the value after a `token` word when it looks like a credential (`token 9f8e7d6c5b4a`)."""
    return m[1] + MASK if _looks_like_credential(m[2]) else m[0]


_PATTERNS: tuple[tuple[re.Pattern[str], Any], ...] = (
    (re.compile(r"(?i)\b(authorization[\"']?\s*[:=]\s*[\"']?(?:bearer|token|basic)\s+)"
                + _TOKEN + "+"), r"\1" + MASK),
    (re.compile(r"(?i)\b(bearer\s+)" + _TOKEN + "{8,}"), r"\1" + MASK),
    (re.compile(r"(?i)(auth_signature=)[0-9a-f]+"), r"\1" + MASK),
    (re.compile(r"(?i)(\b[a-z][a-z0-9+.-]{0,31}://[^:/@\s]{1,256}:)[^@\s/]{1,1024}@"),
     r"\1" + MASK + "@"),
    (re.compile(r"(?i)\b(token\s+)(" + _TOKEN + "+)"), _token_word),
    (re.compile(r"""(?i)(secret|password|token)(["']?)(\s*([=:])\s*)(["']?)(""" + _VALUE + ")"),
     _assignment),
    (re.compile(r"\b([A-Za-z0-9_-]{2,128}:)[0-9a-f]{64}\b"), r"\1" + MASK),
)


class Redactor:
    """Hide known secret values and secret-looking patterns in text and JSON-like data."""

    __slots__ = ("secrets",)

    def __init__(self, secrets: Iterable[str | None] = ()) -> None:
        """Remember the literal values to hide (empty or very short values are ignored)."""
        self.secrets: list[str] = []
        for secret in secrets:
            self.add(secret)

    def add(self, secret: str | None) -> None:
        """Hide one more literal value from now on."""
        if secret and len(secret) >= 4 and secret not in self.secrets:
            self.secrets.append(secret)
            self.secrets.sort(key=len, reverse=True)

    def text(self, value: str) -> str:
        """Return `value` with every secret and secret-looking pattern replaced by ***."""
        for secret in self.secrets:
            if secret in value:
                value = value.replace(secret, MASK)
        for pattern, replacement in _PATTERNS:
            value = pattern.sub(replacement, value)
        return value

    __call__ = text

    def value(self, value: Any) -> Any:
        """Return a copy of JSON-like data with secret-named keys masked and strings redacted."""
        if isinstance(value, Mapping):
            return {k: (MASK if str(k).lower() in SECRET_KEYS and v not in (None, "")
                        else self.value(v)) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [self.value(v) for v in value]
        if isinstance(value, str):
            return self.text(value)
        return value


def redact_text(text: str, secrets: Iterable[str | None] = ()) -> str:
    """Redact one string with a throwaway Redactor."""
    return Redactor(secrets).text(text)


def redact(value: Any, secrets: Iterable[str | None] = ()) -> Any:
    """Redact JSON-like data with a throwaway Redactor."""
    return Redactor(secrets).value(value)
