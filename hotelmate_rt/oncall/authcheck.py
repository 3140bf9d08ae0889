"""Probe the backend's Pusher auth endpoint with httpx and name what it answers."""

from __future__ import annotations

import enum
import hashlib
import hmac
import json
from dataclasses import dataclass, field
from typing import Any

from hotelmate_rt.excerpt import ERROR_KEYS, body_excerpt, looks_like_html

from .httpapi import unresolved_host

DIAGNOSTIC_SOCKET_ID = "123456.7890123"
"""A well-formed socket id for asking the endpoint outside a live connection."""


class AuthOutcome(enum.StrEnum):
    """What one auth endpoint answer means."""

    SIGNED = "signed"
    UNAUTHENTICATED = "401"
    FORBIDDEN = "403"
    NOT_FOUND = "404"
    SERVER_ERROR = "5xx"
    BAD_REQUEST = "400"
    METHOD = "405"
    REDIRECT = "redirect"
    OTHER_STATUS = "other-status"
    HTML = "html"
    NOT_JSON = "not-json"
    NO_AUTH_FIELD = "no-auth-field"
    TIMEOUT = "timeout"
    UNREACHABLE = "unreachable"


REFUSED = frozenset({AuthOutcome.UNAUTHENTICATED, AuthOutcome.FORBIDDEN})


@dataclass(slots=True)
class AuthAnswer:
    """One POST to the auth endpoint: the outcome, the status, and what came back (redacted)."""

    channel: str
    outcome: AuthOutcome
    status: int | None = None
    content_type: str = ""
    reason: str = ""
    auth: str = ""
    channel_data: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    elapsed_ms: float = 0.0

    @property
    def signed(self) -> bool:
        """Tell whether the endpoint returned a signature."""
        return self.outcome is AuthOutcome.SIGNED

    @property
    def refused(self) -> bool:
        """Tell whether the endpoint refused cleanly (401 or 403)."""
        return self.outcome in REFUSED

    def describe(self) -> str:
        """Say in one phrase what the endpoint answered."""
        status = f"HTTP {self.status}" if self.status is not None else "no answer"
        text = {
            AuthOutcome.SIGNED: f"{status} with a signature",
            AuthOutcome.UNAUTHENTICATED: f"{status} (token not accepted)",
            AuthOutcome.FORBIDDEN: f"{status} (forbidden)",
            AuthOutcome.NOT_FOUND: f"{status} (no auth endpoint at this URL)",
            AuthOutcome.SERVER_ERROR: f"{status} (the endpoint crashed)",
            AuthOutcome.BAD_REQUEST: f"{status} (bad request)",
            AuthOutcome.METHOD: f"{status} (POST not allowed)",
            AuthOutcome.REDIRECT: f"{status} (redirect)",
            AuthOutcome.OTHER_STATUS: status,
            AuthOutcome.HTML: f"{status} with an HTML page instead of JSON",
            AuthOutcome.NOT_JSON: f"{status} with a body that is not JSON",
            AuthOutcome.NO_AUTH_FIELD: f"{status} with JSON but no \"auth\" field",
            AuthOutcome.TIMEOUT: "no answer before the timeout",
            AuthOutcome.UNREACHABLE: "connection failed",
        }[self.outcome]
        return f"{text}: {self.reason}" if self.reason else text


def _reason(body: bytes, content_type: str) -> tuple[str, bool, Any]:
    """Return (short reason, looks like HTML, parsed JSON or None) for a response body."""
    text = body.decode("utf-8", errors="replace").strip()
    if looks_like_html(text, content_type):
        return body_excerpt(text, content_type), True, None
    try:
        parsed = json.loads(text) if text else None
    except ValueError:
        return body_excerpt(text), False, None
    if isinstance(parsed, dict) and any(isinstance(parsed.get(k), str) and parsed[k].strip()
                                        for k in ERROR_KEYS):
        return body_excerpt(text), False, parsed
    return "", False, parsed


_CLIENT: Any = None


def _client() -> Any:
    """Return one shared httpx client (building an SSL context per call costs ~50 ms)."""
    global _CLIENT
    if _CLIENT is None:
        import httpx

        _CLIENT = httpx.Client(follow_redirects=False)
    return _CLIENT


def post_auth(url: str, channel: str, *, token: str | None, timeout: float,
              socket_id: str = DIAGNOSTIC_SOCKET_ID, origin: str | None = None) -> AuthAnswer:
    """POST socket_id and channel_name as pusher-js does and classify the answer."""
    import time

    import httpx

    headers = {"Accept": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    if origin:
        headers["Origin"] = origin
    started = time.perf_counter()
    try:
        response = _client().post(url, data={"socket_id": socket_id, "channel_name": channel},
                                  headers=headers, timeout=httpx.Timeout(timeout))
    except httpx.TimeoutException:
        return AuthAnswer(channel, AuthOutcome.TIMEOUT, reason=f"no answer within {timeout:g} s",
                          elapsed_ms=(time.perf_counter() - started) * 1000)
    except httpx.HTTPError as exc:
        return AuthAnswer(channel, AuthOutcome.UNREACHABLE, reason=_network_reason(exc),
                          elapsed_ms=(time.perf_counter() - started) * 1000)
    elapsed = (time.perf_counter() - started) * 1000
    status = response.status_code
    content_type = response.headers.get("content-type", "")
    reason, is_html, parsed = _reason(response.content, content_type)
    answer = AuthAnswer(channel, AuthOutcome.OTHER_STATUS, status, content_type, reason,
                        headers={k.lower(): v for k, v in response.headers.items()},
                        elapsed_ms=elapsed)
    if status == 200:
        if is_html:
            answer.outcome = AuthOutcome.HTML
        elif not isinstance(parsed, dict):
            answer.outcome = AuthOutcome.NOT_JSON
            answer.reason = reason or "empty body"
        elif not isinstance(parsed.get("auth"), str) or ":" not in parsed["auth"]:
            answer.outcome = AuthOutcome.NO_AUTH_FIELD
            answer.reason = f"keys: {sorted(parsed)}"
        else:
            answer.outcome = AuthOutcome.SIGNED
            answer.auth = parsed["auth"]
            data = parsed.get("channel_data")
            answer.channel_data = data if isinstance(data, str) else None
            answer.reason = ""
        return answer
    if is_html and status not in {401, 403, 404} and status < 500:
        answer.outcome = AuthOutcome.HTML
    elif status == 401:
        answer.outcome = AuthOutcome.UNAUTHENTICATED
    elif status == 403:
        answer.outcome = AuthOutcome.FORBIDDEN
    elif status == 404:
        answer.outcome = AuthOutcome.NOT_FOUND
    elif status == 400:
        answer.outcome = AuthOutcome.BAD_REQUEST
    elif status == 405:
        answer.outcome = AuthOutcome.METHOD
    elif 300 <= status < 400:
        answer.outcome = AuthOutcome.REDIRECT
        answer.reason = f"to {response.headers.get('location', '?')}"
    elif status >= 500:
        answer.outcome = AuthOutcome.SERVER_ERROR
    return answer


def _network_reason(exc: BaseException) -> str:
    """Name a network failure in a few words."""
    text = str(exc) or type(exc).__name__
    low = text.lower()
    if "refused" in low:
        return "connection refused (is the backend running on that port?)"
    if unresolved_host(low):
        return "the host name does not resolve"
    if "ssl" in low or "tls" in low or "wrong version number" in low:
        return f"TLS failed ({text[:120]})"
    return text[:160]


@dataclass(slots=True)
class CorsAnswer:
    """A CORS preflight and what it allows for one origin."""

    origin: str
    status: int | None
    allow_origin: str = ""
    allow_headers: str = ""
    allow_methods: str = ""
    error: str = ""

    @property
    def origin_allowed(self) -> bool:
        """Tell whether the preflight allows this origin."""
        return self.allow_origin in {self.origin, "*"}

    @property
    def authorization_allowed(self) -> bool:
        """Tell whether the preflight allows the Authorization header."""
        allowed = {h.strip().lower() for h in self.allow_headers.split(",")}
        return "authorization" in allowed or "*" in allowed

    @property
    def post_allowed(self) -> bool:
        """Tell whether the preflight allows POST (an empty list allows simple methods)."""
        methods = {m.strip().upper() for m in self.allow_methods.split(",") if m.strip()}
        return not methods or "POST" in methods or "*" in methods


def preflight(url: str, origin: str, timeout: float) -> CorsAnswer:
    """Send the browser's CORS preflight (OPTIONS) for a POST with an Authorization header."""
    import httpx

    headers = {"Origin": origin, "Access-Control-Request-Method": "POST",
               "Access-Control-Request-Headers": "authorization,content-type"}
    try:
        response = _client().request("OPTIONS", url, headers=headers,
                                     timeout=httpx.Timeout(timeout))
    except httpx.TimeoutException:
        return CorsAnswer(origin, None, error=f"no answer within {timeout:g} s")
    except httpx.HTTPError as exc:
        return CorsAnswer(origin, None, error=_network_reason(exc))
    get = response.headers.get
    return CorsAnswer(origin, response.status_code, get("access-control-allow-origin", ""),
                      get("access-control-allow-headers", ""),
                      get("access-control-allow-methods", ""))


def signature_matches(auth: str, key: str, secret: str, socket_id: str, channel: str,
                      channel_data: str | None = None) -> bool:
    """Tell whether `auth` is `key:HMAC_SHA256_hex(secret, socket_id:channel[:data])`."""
    subject = f"{socket_id}:{channel}" if channel_data is None else \
        f"{socket_id}:{channel}:{channel_data}"
    expected = hmac.new(secret.encode(), subject.encode(), hashlib.sha256).hexdigest()
    return hmac.compare_digest(auth, f"{key}:{expected}")
