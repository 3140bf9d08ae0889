"""The Pusher channel auth endpoint as a Django view: bearer token -> principal -> contract decision.

pusher-js posts `socket_id` and `channel_name` form-encoded to the auth endpoint with the headers
configured in `auth.headers` (here `Authorization: Bearer <token>`). The view answers:

- 200 `{"auth": "key:signature"}` (presence adds `channel_data`) when the contract allows it;
- 400 `{"error": ...}` when `socket_id` or `channel_name` is missing or malformed, or the body
  is larger than `MAX_BODY_BYTES`, nested too deep or not a form / flat JSON object;
- 401 `{"error": ...}` when the token is missing or unknown (with `WWW-Authenticate: Bearer`);
- 403 `{"error": reason}` when the principal may not read the channel;
- 204 for a CORS preflight (`OPTIONS`), and CORS headers on every answer to an allowed origin.

Wire it with `make_auth_view(contract, resolver, key=..., secret=..., allowed_origins=[...])`, or
use `pusher_auth` with a `HOTELMATE_RT` dict in Django settings (see `settings_auth_view`).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from django.core.exceptions import BadRequest, SuspiciousOperation
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.http.multipartparser import MultiPartParserError
from django.views.decorators.csrf import csrf_exempt

from hotelmate_rt.auth import ChannelAuthorizer, Principal, valid_socket_id
from hotelmate_rt.contracts import Contract
from hotelmate_rt.errors import Forbidden

log = logging.getLogger("hotelmate_rt.auth")

TokenResolver = Callable[[str], Principal | None]
"""Map a bearer token to the principal it belongs to, or None when the token is unknown."""

AuthView = Callable[[HttpRequest], HttpResponse]

_CORS_METHODS = "POST, OPTIONS"
_CORS_HEADERS = "Authorization, Content-Type, X-Requested-With"
_SCHEMES = ("bearer", "token")
MAX_BODY_BYTES = 8192
"""Largest auth request body the view reads (pusher-js sends about 60 bytes)."""


class _BadBody(Exception):
    """The request body cannot be read as a form or a flat JSON object; the message says why."""


def resolver_from_mapping(tokens: Mapping[str, Principal]) -> TokenResolver:
    """Turn a fixed token -> principal mapping into a resolver (tests, demos)."""
    table = dict(tokens)
    return table.get


def bearer_token(request: HttpRequest) -> str | None:
    """Return the token of an `Authorization: Bearer <token>` (or DRF `Token <token>`) header."""
    header = request.META.get("HTTP_AUTHORIZATION", "")
    scheme, _, token = header.strip().partition(" ")
    token = token.strip()
    if scheme.lower() not in _SCHEMES or not token:
        return None
    return token


def make_auth_view(contract: Contract, resolver: TokenResolver | Mapping[str, Principal], *,
                   key: str, secret: str, allowed_origins: Iterable[str] = ()) -> AuthView:
    """Build the auth endpoint view for one contract, token resolver and Pusher app."""
    authorizer = ChannelAuthorizer(contract, key, secret)
    resolve: TokenResolver = (resolver_from_mapping(resolver) if isinstance(resolver, Mapping)
                              else resolver)
    origins = frozenset(allowed_origins)

    def cors(request: HttpRequest, response: HttpResponse) -> HttpResponse:
        """Add CORS headers when the request comes from an allowed frontend origin."""
        origin = request.META.get("HTTP_ORIGIN")
        if origin and (origin in origins or "*" in origins):
            response["Access-Control-Allow-Origin"] = origin
            response["Access-Control-Allow-Credentials"] = "true"
            response["Access-Control-Allow-Methods"] = _CORS_METHODS
            response["Access-Control-Allow-Headers"] = _CORS_HEADERS
            response["Access-Control-Max-Age"] = "600"
        response["Vary"] = "Origin"
        return response

    def error(request: HttpRequest, status: int, message: str) -> HttpResponse:
        """Answer a JSON error with CORS headers."""
        response = JsonResponse({"error": message}, status=status)
        if status == 401:
            response["WWW-Authenticate"] = 'Bearer realm="pusher-auth"'
        return cors(request, response)

    @csrf_exempt
    def pusher_auth(request: HttpRequest) -> HttpResponse:
        """Authorize one private/presence channel subscription for the bearer of the token."""
        if request.method == "OPTIONS":
            return cors(request, HttpResponse(status=204))
        if request.method != "POST":
            response = error(request, 405, "use POST with socket_id and channel_name")
            response["Allow"] = _CORS_METHODS
            return response
        try:
            form = _form(request)
        except _BadBody as exc:
            return error(request, 400, str(exc))
        socket_id = form.get("socket_id", "")
        channel_name = form.get("channel_name", "")
        if not socket_id or not channel_name:
            return error(request, 400, "socket_id and channel_name are required")
        if not valid_socket_id(socket_id):
            return error(request, 400, "socket_id is not a Pusher socket id")
        token = bearer_token(request)
        if token is None:
            _log_outcome("unauthenticated", channel_name, None, "missing bearer token")
            return error(request, 401, "missing bearer token (Authorization: Bearer <token>)")
        principal = resolve(token)
        if principal is None:
            _log_outcome("unauthenticated", channel_name, None, "unknown token")
            return error(request, 401, "unknown or expired token")
        try:
            body = authorizer.authorize(principal, channel_name, socket_id)
        except Forbidden as exc:
            _log_outcome("forbidden", channel_name, principal, exc.reason)
            return error(request, 403, exc.reason)
        _log_outcome("authorized", channel_name, principal, None)
        return cors(request, JsonResponse(body))

    return pusher_auth


def _form(request: HttpRequest) -> Mapping[str, str]:
    """Read the text fields of a form body (pusher-js) or a flat JSON object (other clients)."""
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        raise _BadBody("Content-Length is not a number") from None
    if length > MAX_BODY_BYTES:
        raise _BadBody(f"the request body is larger than {MAX_BODY_BYTES} bytes")
    content_type = request.META.get("CONTENT_TYPE", "").lower()
    try:
        if not content_type.startswith("application/json"):
            return {k: v for k, v in request.POST.items() if isinstance(v, str)}
        data: Any = json.loads(request.body or b"{}")
    except RecursionError:
        raise _BadBody("the JSON body is nested too deeply") from None
    except (ValueError, SuspiciousOperation, BadRequest, MultiPartParserError):
        raise _BadBody("the request body is not a valid form or JSON object") from None
    if not isinstance(data, dict):
        raise _BadBody("the JSON body must be an object with socket_id and channel_name")
    return {k: v for k, v in data.items() if isinstance(v, str)}


def _log_outcome(outcome: str, channel: str, principal: Principal | None,
                 reason: str | None) -> None:
    """Log one structured line per auth decision (ids only; never a token or the secret)."""
    extra = {"outcome": outcome, "channel": channel,
             "principal": principal.describe() if principal else None, "reason": reason}
    log.info("pusher-auth %s", json.dumps(extra, separators=(",", ":")), extra={"rt": extra})


_SETTINGS_VIEW: AuthView | None = None


def settings_auth_view() -> AuthView:
    """Build (once) the view configured by `settings.HOTELMATE_RT` and the PUSHER_* environment.

    `HOTELMATE_RT = {"CONTRACT": "channels.yaml", "TOKEN_RESOLVER": "app.auth.principal_for",
    "ALLOWED_ORIGINS": ["https://app.example"], "PUSHER_KEY": ..., "PUSHER_SECRET": ...}`;
    key and secret default to the Pusher settings (`PUSHER_URL` / `PUSHER_*`, as
    `hotelmate_rt.settings` reads them).
    """
    global _SETTINGS_VIEW
    if _SETTINGS_VIEW is None:
        from django.conf import settings
        from django.utils.module_loading import import_string

        from hotelmate_rt.contracts import load_contract
        from hotelmate_rt.django.conf import pusher_credentials

        conf: dict[str, Any] = dict(getattr(settings, "HOTELMATE_RT", {}))
        resolver = conf.get("TOKEN_RESOLVER")
        if resolver is None:
            raise RuntimeError("settings.HOTELMATE_RT['TOKEN_RESOLVER'] is not set")
        if isinstance(resolver, str):
            resolver = import_string(resolver)
        pusher = pusher_credentials()
        _SETTINGS_VIEW = make_auth_view(load_contract(conf.get("CONTRACT")), resolver,
                                        key=pusher.key, secret=pusher.secret,
                                        allowed_origins=conf.get("ALLOWED_ORIGINS", ()))
    return _SETTINGS_VIEW


@csrf_exempt
def pusher_auth(request: HttpRequest) -> HttpResponse:
    """The settings-configured auth endpoint, for `path("pusher/auth/", pusher_auth)`."""
    return settings_auth_view()(request)
