"""Channel authorization for the probe: the backend's auth endpoint or a local signature.

`EndpointAuthorizer` asks the real auth endpoint exactly as pusher-js does (POST, form-encoded
`socket_id` and `channel_name`, `Authorization: Bearer <token>`), with timeouts, and turns every
failure into an `AuthEndpointError` whose message says the status, the endpoint's reason and what
it means. Its HTTP is `hotelmate_rt.keepalive` (a kept-alive connection per auth thread, a third
of httpx's CPU per request: a thousand signatures a second). `LocalSigner` signs with the app
secret (dev servers only, `--sign-locally`); its formula is pysher's and the pusher SDK's
(`key:HMAC_SHA256_hex(secret, "socket_id:channel")`), which a unit test pins against both.
Neither ever puts the token or the secret in a message.
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import json
import ssl
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import urlencode, urlsplit

from hotelmate_rt.errors import AuthEndpointError, ProbeError
from hotelmate_rt.excerpt import body_excerpt
from hotelmate_rt.keepalive import KeepAlive
from hotelmate_rt.redact import Redactor

__all__ = ["Authorization", "Authorizer", "EndpointAuthorizer", "LocalSigner", "Redactor"]

@dataclass(frozen=True, slots=True)
class Authorization:
    """What a subscribe frame needs for a private/presence channel."""

    auth: str
    channel_data: str | None = None


class Authorizer(Protocol):
    """Anything that can authorize a channel for a socket id."""

    def authorize(self, socket_id: str, channel: str) -> Authorization:
        """Return the signature for `channel` bound to `socket_id`, or raise ProbeError."""
        ...  # pragma: no cover

    def close(self) -> None:
        """Release any resources (HTTP connections)."""
        ...  # pragma: no cover


def sign(key: str, secret: str, socket_id: str, channel: str,
         channel_data: str | None = None) -> str:
    """Return `key:HMAC_SHA256_hex(secret, "socket_id:channel[:channel_data]")`."""
    subject = f"{socket_id}:{channel}" if channel_data is None else \
        f"{socket_id}:{channel}:{channel_data}"
    digest = hmac.new(secret.encode("utf-8"), subject.encode("utf-8"), hashlib.sha256)
    return f"{key}:{digest.hexdigest()}"


class LocalSigner:
    """Sign subscriptions with the app secret, as a dev server's backend would."""

    def __init__(self, key: str, secret: str, user_id: str = "hotelmate-rt-probe") -> None:
        """Keep the app key and secret (the secret is never shown)."""
        if not secret:
            raise ProbeError("--sign-locally needs the app secret (--secret or "
                             "HOTELMATE_RT_PUSHER_SECRET)")
        self._key = key
        self._secret = secret
        self._user_id = user_id

    def authorize(self, socket_id: str, channel: str) -> Authorization:
        """Sign `channel` for `socket_id` (presence channels get a probe member)."""
        if channel.startswith("presence-"):
            channel_data = json.dumps({"user_id": self._user_id})
            return Authorization(sign(self._key, self._secret, socket_id, channel, channel_data),
                                 channel_data)
        return Authorization(sign(self._key, self._secret, socket_id, channel))

    def close(self) -> None:
        """Nothing to release."""


_MEANINGS = {
    400: "the endpoint did not understand the request: is it a Pusher auth endpoint expecting "
         "form-encoded socket_id and channel_name?",
    401: "the bearer token was not accepted (missing, expired or wrong): get a fresh token for "
         "this guest or staff member",
    403: "the token is valid but this principal may not read the channel: the contract's "
         "audiences (and the principal's booking/hotel) do not allow it",
    404: "there is no auth endpoint at this URL: check --auth-endpoint",
    405: "the URL does not accept POST: check --auth-endpoint",
}


def meaning_of(status: int) -> str:
    """Explain what an auth endpoint HTTP status means for the person debugging."""
    if status in _MEANINGS:
        return _MEANINGS[status]
    if status >= 500:
        return "the auth endpoint itself failed (a backend bug or outage): check its logs"
    return "the auth endpoint refused the subscription"


class EndpointAuthorizer:
    """Ask the backend's auth endpoint for each signature, as the real page does."""

    def __init__(self, url: str, token: str | None, key: str, timeout: float = 5.0,
                 headers: dict[str, str] | None = None, redactor: Redactor | None = None,
                 origin: str | None = None) -> None:
        """Prepare the kept-alive HTTP client (nothing connects before the first request)."""
        self.url = url
        self._key = key
        self._token = token
        self.timeout = timeout
        self._redact = redactor or Redactor()
        self._redact.add(token)
        send: dict[str, str] = {"Accept": "application/json",
                                "Content-Type": "application/x-www-form-urlencoded"}
        if token:
            send["Authorization"] = f"Bearer {token}"
        if origin:
            send["Origin"] = origin
        send.update(headers or {})
        self._headers = send
        parts = urlsplit(url)
        self._path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        self._unusable = "" if parts.scheme in ("http", "https") and parts.hostname else \
            "not an http:// or https:// URL"
        self._http: KeepAlive | None = None
        if not self._unusable:
            context = ssl.create_default_context() if parts.scheme == "https" else None
            try:
                port = parts.port
            except ValueError:
                self._unusable = "its port is not a number from 1 to 65535"
            else:
                self._http = KeepAlive(parts.hostname or "", port, context=context,
                                       timeout=lambda: self.timeout)

    def authorize(self, socket_id: str, channel: str) -> Authorization:
        """POST socket_id and channel_name; return the signature or raise AuthEndpointError."""
        where = self._redact(self.url)
        if self._http is None:
            raise AuthEndpointError(
                f"could not reach auth endpoint {where or '(none)'} ({self._unusable}): pass "
                "--auth-endpoint http(s)://HOST/PATH", status=None, reason="unreachable")
        body = urlencode({"socket_id": socket_id, "channel_name": channel})
        try:
            answer = self._http.request("POST", self._path, body, self._headers)
        except TimeoutError as exc:
            raise AuthEndpointError(
                f"auth endpoint {where} did not answer within {self.timeout:g} s for {channel} "
                "(timeout): the backend is overloaded or hung", status=None,
                reason="timeout") from exc
        except (OSError, http.client.HTTPException) as exc:
            detail = self._redact(str(exc)) or type(exc).__name__
            raise AuthEndpointError(
                f"could not reach auth endpoint {where} ({detail}): is the backend running "
                "and --auth-endpoint right?", status=None, reason="unreachable") from exc
        content_type = answer.headers.get("content-type", "")
        if answer.status != 200:
            reason = self._redact(body_excerpt(answer.body, content_type)) or "no reason"
            if 300 <= answer.status < 400:
                reason = f"redirect to {self._redact(answer.headers.get('location', '?'))}"
            raise AuthEndpointError(
                f"auth endpoint refused {channel}: HTTP {answer.status} ({reason}); "
                f"{meaning_of(answer.status)}", status=answer.status, reason=reason)
        return self._parse(answer.body, content_type, channel)

    def _parse(self, body: bytes, content_type: str, channel: str) -> Authorization:
        """Read `{"auth": "key:signature"}` from a 200 answer or explain what came instead."""
        try:
            parsed: Any = json.loads(body)
        except ValueError:
            shown = self._redact(body_excerpt(body, content_type, 80)) or "an empty body"
            raise AuthEndpointError(
                f"auth endpoint answered 200 for {channel} but not with JSON "
                f"(content-type {content_type or 'none'}: {shown!r}); it must return "
                '{"auth": "key:signature"}: is --auth-endpoint the auth view and not a page?',
                status=200, reason="not JSON") from None
        auth = parsed.get("auth") if isinstance(parsed, dict) else None
        if not isinstance(auth, str) or ":" not in auth:
            raise AuthEndpointError(
                f"auth endpoint answered 200 for {channel} without an \"auth\" signature "
                f"(keys: {sorted(parsed) if isinstance(parsed, dict) else type(parsed).__name__})"
                '; it must return {"auth": "key:signature"}', status=200,
                reason="no auth field")
        signed_key = auth.split(":", 1)[0]
        if signed_key != self._key:
            raise AuthEndpointError(
                f"auth endpoint signed {channel} with app key {signed_key!r} but the probe "
                f"connects with key {self._key!r}: the backend and the probe use different apps",
                status=200, reason="key mismatch")
        channel_data = parsed.get("channel_data")
        return Authorization(auth, channel_data if isinstance(channel_data, str) else None)

    def close(self) -> None:
        """Close the kept-alive connections."""
        if self._http is not None:
            self._http.close()
