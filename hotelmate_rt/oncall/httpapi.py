"""Harmless HTTP API calls (channel info) through the pusher SDK, with failures named."""

from __future__ import annotations

import enum
import json
import re
from dataclasses import dataclass
from typing import Any

from hotelmate_rt.errors import ProbeError
from hotelmate_rt.excerpt import body_excerpt, looks_like_html, one_line
from hotelmate_rt.settings import PusherSettings


class ApiFailure(enum.StrEnum):
    """Why an HTTP API call failed, as a person would name it."""

    NO_CREDENTIALS = "no-credentials"
    BAD_APP_ID = "bad-app-id"
    WRONG_SECRET = "wrong-secret"
    WRONG_KEY = "wrong-key"
    WRONG_APP_ID = "wrong-app-id"
    APP_DISABLED = "app-disabled"
    CONNECTION_REFUSED = "connection-refused"
    UNKNOWN_HOST = "unknown-host"
    TLS_MISMATCH = "tls-mismatch"
    TIMEOUT = "timeout"
    NOT_PUSHER = "not-pusher"
    HTTP_ERROR = "http-error"


class HttpApiError(ProbeError):
    """An HTTP API call failed; `kind` names the cause and `detail` is the server's answer."""

    def __init__(self, kind: ApiFailure, message: str, detail: str = "",
                 status: int | None = None) -> None:
        self.kind = kind
        self.detail = detail
        self.status = status
        super().__init__(message)


@dataclass(frozen=True, slots=True)
class ChannelInfo:
    """What the HTTP API says about one channel right now."""

    channel: str
    occupied: bool
    subscription_count: int | None = None
    user_count: int | None = None

    def to_dict(self) -> dict[str, Any]:
        """Describe the channel info for JSON output."""
        return {"channel": self.channel, "occupied": self.occupied,
                "subscription_count": self.subscription_count, "user_count": self.user_count}


def make_client(settings: PusherSettings, timeout: float) -> Any:
    """Build a pusher SDK client for these settings or raise HttpApiError naming the problem."""
    if not settings.has_credentials:
        raise HttpApiError(ApiFailure.NO_CREDENTIALS, f"{', '.join(settings.missing)} not set")
    import pusher

    try:
        return pusher.Pusher(**settings.sdk_kwargs(), timeout=timeout)
    except (ValueError, TypeError) as exc:
        if not settings.app_id.isdigit():
            raise HttpApiError(ApiFailure.BAD_APP_ID,
                               f"PUSHER_APP_ID {settings.app_id!r} is not a number; Pusher app "
                               "ids are numeric") from exc
        raise HttpApiError(ApiFailure.HTTP_ERROR, f"the pusher SDK refused the settings: {exc}",
                           ) from exc


def channel_info(settings: PusherSettings, channel: str, timeout: float,
                 attributes: tuple[str, ...] = ("subscription_count",)) -> ChannelInfo:
    """Ask the HTTP API about one channel (occupied, subscription_count) or raise HttpApiError."""
    client = make_client(settings, timeout)
    try:
        answer = client.channel_info(channel, list(attributes))
    except Exception as exc:
        error = classify(exc, settings)
        if settings.ssl and error.kind in {ApiFailure.TIMEOUT, ApiFailure.TLS_MISMATCH,
                                           ApiFailure.NOT_PUSHER} and \
                plain_http_answers(settings.api_host, settings.api_port, min(timeout, 1.0)):
            where = f"{settings.api_host}:{settings.api_port}"
            error = HttpApiError(ApiFailure.TLS_MISMATCH,
                                 f"TLS spoken to a plain port: {where} answers plain HTTP but "
                                 "not the TLS handshake", detail=error.detail)
        raise error from exc
    if not isinstance(answer, dict):
        raise HttpApiError(ApiFailure.NOT_PUSHER, "the HTTP API answered something that is not "
                           "a channel description", detail=str(answer)[:200])
    if "error" in answer and "occupied" not in answer:
        # soketi writes its CORS headers before the status, so uWebSockets keeps "200 OK" and
        # the real status only survives as `code` in the body: classify it as that status.
        import pusher.errors as perr

        code = answer.get("code")
        status = int(code) if isinstance(code, int) else 400
        body = json.dumps(answer)
        cause: Exception = perr.PusherBadAuth(body) if status == 401 else \
            perr.PusherBadStatus(f"{status}: {body}")
        raise classify(cause, settings)
    count = answer.get("subscription_count")
    users = answer.get("user_count")
    return ChannelInfo(channel, bool(answer.get("occupied", bool(count))),
                       int(count) if isinstance(count, int) else None,
                       int(users) if isinstance(users, int) else None)


def _body_message(body: str) -> str:
    """Say in one line what an error body was (its JSON error, an HTML page's title, text)."""
    return body_excerpt(body, limit=200)


def classify(exc: BaseException, settings: PusherSettings) -> HttpApiError:
    """Name the cause of a pusher SDK or network failure (never just 'error 401')."""
    import pusher.errors as perr
    import requests

    where = f"{settings.api_host}:{settings.api_port}"
    if isinstance(exc, perr.PusherError):
        raw = str(exc)
        status: int | None = None
        body = raw
        if isinstance(exc, perr.PusherBadAuth):
            status = 401
        elif isinstance(exc, perr.PusherForbidden):
            status = 403
        elif isinstance(exc, perr.PusherBadRequest):
            status = 400
        else:
            head, _, rest = raw.partition(": ")
            if head.isdigit():
                status, body = int(head), rest
        message = _body_message(body)
        if looks_like_html(body):  # Pusher and soketi answer JSON or text, never a web page
            return HttpApiError(ApiFailure.NOT_PUSHER,
                                f"{where} answers HTTP {status} with a web page: it is not a "
                                "Pusher HTTP API", detail=message, status=status)
        low = message.lower()
        if "unknown auth_key" in low or "unknown key" in low or "app key" in low:
            return HttpApiError(ApiFailure.WRONG_KEY,
                                f"the server does not know app key {settings.key!r}",
                                detail=message, status=status)
        if status == 401 or "signature" in low or "secret" in low:
            return HttpApiError(
                ApiFailure.WRONG_SECRET,
                f"wrong app secret: {where} refused the request signature for app "
                f"{settings.app_id} (HTTP {status})", detail=message, status=status)
        if status == 404 and ("app" in low and ("found" in low or "unknown" in low)):
            return HttpApiError(ApiFailure.WRONG_APP_ID,
                                f"wrong app id: {where} has no app {settings.app_id}",
                                detail=message, status=status)
        if status == 403:
            return HttpApiError(ApiFailure.APP_DISABLED,
                                f"the app {settings.app_id} is disabled or over quota (HTTP 403)",
                                detail=message, status=status)
        if status in {404, 405}:
            return HttpApiError(ApiFailure.NOT_PUSHER,
                                f"{where} answers HTTP {status} but is not a Pusher HTTP API",
                                detail=message, status=status)
        return HttpApiError(ApiFailure.HTTP_ERROR, f"the HTTP API answered HTTP {status}",
                            detail=message, status=status)
    if isinstance(exc, requests.exceptions.SSLError):
        return HttpApiError(ApiFailure.TLS_MISMATCH,
                            f"TLS handshake with {where} failed: TLS spoken to a plain (non-TLS) "
                            "port, or a bad certificate", detail=_short(exc))
    if isinstance(exc, requests.exceptions.Timeout):
        return HttpApiError(ApiFailure.TIMEOUT, f"{where} did not answer in time",
                            detail=_short(exc))
    if isinstance(exc, requests.exceptions.ConnectionError):
        text = _short(exc)
        low = text.lower()
        if unresolved_host(low):
            hint = f" (is cluster {settings.cluster!r} right?)" \
                if settings.cluster and not settings.host else ""
            return HttpApiError(ApiFailure.UNKNOWN_HOST,
                                f"wrong host: {settings.api_host!r} does not resolve{hint}",
                                detail=text)
        if "refused" in low:
            return HttpApiError(ApiFailure.CONNECTION_REFUSED,
                                f"wrong port or server down: connection refused by {where}",
                                detail=text)
        if "remotedisconnected" in low or "connection aborted" in low or "badstatusline" in low:
            return HttpApiError(ApiFailure.NOT_PUSHER,
                                f"{where} closed the connection without an HTTP answer "
                                "(a TLS port spoken to in plain HTTP?)", detail=text)
        return HttpApiError(ApiFailure.CONNECTION_REFUSED, f"cannot reach {where}", detail=text)
    return HttpApiError(ApiFailure.HTTP_ERROR, f"the HTTP API call failed: {_short(exc)}")


_NO_HOST = ("name or service not known", "nodename", "getaddrinfo", "no address",
            "resolution")


def unresolved_host(text: str) -> bool:
    """Tell whether a network error's (lowercase) text says the host name does not resolve."""
    return any(word in text for word in _NO_HOST)


def plain_http_answers(host: str, port: int, timeout: float) -> bool:
    """Tell whether `host:port` answers plain HTTP (so TLS there is a TLS-on-plain-port mistake)."""
    import httpx

    try:
        with httpx.Client(timeout=httpx.Timeout(timeout), trust_env=False) as client:
            client.get(f"http://{host}:{port}/")
    except httpx.HTTPError:
        return False
    return True


def _short(exc: BaseException) -> str:
    """Shorten an exception's text to its cause: never the signed request URL or its query."""
    text = str(exc).rsplit("Caused by ", 1)[-1]
    text = re.sub(r"\?[^\s'\")]*", "", text)  # a URL's query carries auth_key and auth_signature
    return one_line(text, 240)
