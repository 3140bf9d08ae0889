"""Who may talk to the console: only the page at the URL it printed, on this machine.

`Guard` is ASGI middleware in front of the whole app. A request passes only when
- its `Host` header names the console itself (`127.0.0.1:PORT`, `localhost:PORT`, `[::1]:PORT`
  or the bind address): a web page that rebinds its own DNS name to 127.0.0.1 still sends its
  own name, so it is refused (DNS rebinding);
- it is not cross-origin: an `Origin` header, when sent, is the console's own, and
  `Sec-Fetch-Site`, when sent, is `same-origin` or `none` (typed or opened URL);
- its path starts with `/s/<session token>/`; the token is random per run, compared in constant
  time, and stripped before routing, so every page URL is relative to it and the page's HTML
  never contains it.
Everything else gets a plain 403 (or 421 for a foreign Host) that says nothing about the session.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from typing import Any

__all__ = ["Guard", "allowed_hosts", "new_token"]

Scope = dict[str, Any]

SECURITY_HEADERS = [
    (b"content-security-policy",
     b"default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
     b"connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"cross-origin-resource-policy", b"same-origin"),
    (b"cache-control", b"no-store"),
]


def new_token() -> str:
    """Return a fresh random session token (URL-safe, 192 bits)."""
    return secrets.token_urlsafe(24)


def allowed_hosts(bind: str, port: int) -> frozenset[str]:
    """The Host header values that name this console."""
    names = {"127.0.0.1", "localhost", "[::1]", f"[{bind}]" if ":" in bind else bind}
    return frozenset(f"{name}:{port}" for name in names)


class Guard:
    """Refuse requests from elsewhere, then route the rest without the token prefix."""

    def __init__(self, app: Any, token: str, hosts: Iterable[str]) -> None:
        """Guard `app` with the session `token`, answering only for `hosts`."""
        self.app = app
        self.prefix = f"/s/{token}".encode()
        self.hosts = frozenset(h.lower() for h in hosts)
        self.origins = frozenset(f"http://{h}" for h in self.hosts)

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        """Check host, origin and token; pass the request on with the prefix removed."""
        if scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 1008})
            return
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1")
                   for k, v in scope.get("headers", [])}
        if headers.get("host", "").lower() not in self.hosts:
            await _refuse(send, 421, "This console answers only on its own address.")
            return
        origin = headers.get("origin")
        site = headers.get("sec-fetch-site")
        if (origin is not None and origin.lower() not in self.origins) or \
                (site is not None and site not in ("same-origin", "none")):
            await _refuse(send, 403, "Cross-origin requests are refused.")
            return
        raw = scope.get("raw_path") or scope["path"].encode()
        raw = raw.split(b"?", 1)[0]
        prefix = self.prefix
        head, rest = raw[:len(prefix)], raw[len(prefix):]
        if not secrets.compare_digest(head, prefix) or (rest and not rest.startswith(b"/")):
            await _refuse(send, 403, "This console needs the URL it printed (with its session "
                                     "token).")
            return
        if not rest:
            await _redirect(send, scope["path"] + "/")
            return
        inner = dict(scope)
        inner["path"] = scope["path"][len(prefix):]
        inner["raw_path"] = rest
        await self.app(inner, receive, _with_headers(send))


def _with_headers(send: Any) -> Any:
    """Wrap `send` so every response carries the security headers."""
    async def wrapped(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            message = dict(message)
            message["headers"] = [*message.get("headers", []), *SECURITY_HEADERS]
        await send(message)
    return wrapped


async def _refuse(send: Any, status: int, text: str) -> None:
    """Answer with a short plain-text refusal."""
    body = (text + "\n").encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"text/plain; charset=utf-8"),
                            (b"content-length", str(len(body)).encode()), *SECURITY_HEADERS]})
    await send({"type": "http.response.body", "body": body})


async def _redirect(send: Any, location: str) -> None:
    """Send the browser to the same path with a trailing slash (relative URLs need it)."""
    await send({"type": "http.response.start", "status": 307,
                "headers": [(b"location", location.encode()), (b"content-length", b"0"),
                            *SECURITY_HEADERS]})
    await send({"type": "http.response.body", "body": b""})
