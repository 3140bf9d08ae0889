"""What to do about each named failure: the doctor's advice tables, in one place."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from hotelmate_rt.oncall.authcheck import AuthAnswer, AuthOutcome
from hotelmate_rt.oncall.httpapi import unresolved_host

if TYPE_CHECKING:
    from hotelmate_rt.probes import ServerAddress
    from hotelmate_rt.settings import PusherSettings

HTTP_API_ACTIONS = {
    "wrong-secret": "copy PUSHER_SECRET from the Pusher dashboard / soketi app config (App Keys); "
                    "the app id and key look right",
    "wrong-app-id": "set PUSHER_APP_ID to the app id of this key and secret",
    "wrong-key": "set PUSHER_KEY to the app's key",
    "bad-app-id": "PUSHER_APP_ID must be the numeric app id",
    "connection-refused": "check PUSHER_HOST/PUSHER_PORT: nothing listens on {where}",
    "unknown-host": "fix PUSHER_HOST or PUSHER_CLUSTER",
    "tls-mismatch": "set PUSHER_USE_TLS to match the server (soketi on a plain port: false)",
    "timeout": "check the host and firewall; the server did not answer",
    "not-pusher": "point PUSHER_HOST/PUSHER_PORT at the Pusher-protocol server",
    "app-disabled": "enable the app (soketi: SOKETI_DEFAULT_APP_ENABLED) or check its quota",
}
"""Next action per `httpapi.ApiFailure` ({where} is the API's host:port)."""


def http_api_action(kind: str, where: str) -> str:
    """Return the next action for a named HTTP API failure."""
    return HTTP_API_ACTIONS.get(kind, "check the PUSHER_* settings").format(where=where)


def auth_failure(answer: AuthAnswer, url: str, timeout: float) -> tuple[str, str]:
    """Name an auth endpoint failure (404, 5xx, HTML, non-JSON, timeout, ...): summary, action."""
    table: dict[AuthOutcome, tuple[str, str]] = {
        AuthOutcome.NOT_FOUND: (f"404: there is no auth endpoint at {url}",
                                "fix --auth-endpoint / the frontend's authEndpoint to the "
                                "backend's pusher auth route"),
        AuthOutcome.SERVER_ERROR: (f"the auth endpoint crashed (HTTP {answer.status})",
                                   "read the backend's error log for this request"),
        AuthOutcome.HTML: (f"the auth endpoint answered an HTML page (HTTP {answer.status}) "
                           "instead of JSON: a login page, an error page or the SPA",
                           "point authEndpoint at the API route, not a page; check the proxy"),
        AuthOutcome.NOT_JSON: (f"the auth endpoint answered HTTP {answer.status} but not JSON",
                               'it must return {"auth": "key:signature"}'),
        AuthOutcome.NO_AUTH_FIELD: ("the auth endpoint answered JSON without an \"auth\" "
                                    "signature", 'it must return {"auth": "key:signature"}'),
        AuthOutcome.TIMEOUT: (f"the auth endpoint did not answer within {timeout:.1f} s "
                              "(timeout)", "check the backend is not hung or overloaded"),
        AuthOutcome.UNREACHABLE: (f"cannot reach the auth endpoint: {answer.reason}",
                                  "start the backend or fix --auth-endpoint"),
        AuthOutcome.UNAUTHENTICATED: ("401: the token was not accepted (missing, expired or "
                                      "wrong)", "get a fresh token for this guest/staff"),
        AuthOutcome.FORBIDDEN: ("403: the endpoint refuses this principal its own channel",
                                "check the token belongs to this booking/hotel (--booking, "
                                "--hotel) and the endpoint's audience rules"),
        AuthOutcome.BAD_REQUEST: (f"400: the endpoint did not understand the request "
                                  f"({answer.reason})", "it must accept form-encoded socket_id "
                                  "and channel_name as pusher-js sends them"),
        AuthOutcome.METHOD: ("405: the URL does not accept POST", "fix --auth-endpoint"),
        AuthOutcome.REDIRECT: (f"the auth endpoint redirects ({answer.reason}): usually a login "
                               "redirect or a missing trailing slash",
                               "use the final URL; auth must not redirect"),
    }
    return table.get(answer.outcome, (f"unexpected answer: {answer.describe()}",
                                      "check the auth endpoint"))


_TLS_WORDS = ("ssl", "wrong version number", "record layer", "tls", "handshake")
_PLAIN_ON_TLS = ("handshake", "bad request", "connection reset", "remote host closed")


def classify_ws(reason: str, codes: list[int | None], server: ServerAddress,
                settings: PusherSettings) -> tuple[str, str, str]:
    """Name a websocket failure (code, summary, action): 4001, 4003, wrong host, refused, TLS."""
    low = reason.lower()
    where = f"{server.host}:{server.port}"

    def seen(code: int) -> bool:
        return code in codes or f"code {code}" in low

    if seen(4001):
        return ("unknown-app-key", f"unknown app key {server.key!r} (4001): the server has no "
                f"app with this key", "set the frontend/backend PUSHER_KEY to the app's key")
    if seen(4003):
        return ("app-disabled", "the app is disabled on the server (4003)",
                "enable the app (soketi: SOKETI_DEFAULT_APP_ENABLED=true; Pusher: dashboard)")
    if seen(4000):
        return ("tls-required", "the server requires TLS (4000)", "connect with TLS (forceTLS)")
    if seen(4004) or 4100 in codes:
        return ("over-quota", "the app is over its connection quota", "raise the quota")
    if unresolved_host(low):
        hint = f" (cluster {settings.cluster!r}?)" if settings.cluster and not settings.host \
            else ""
        return ("wrong-host", f"wrong host: {server.host!r} does not resolve{hint}",
                "fix PUSHER_HOST / PUSHER_CLUSTER (and the frontend's wsHost/cluster)")
    if "refused" in low:
        return ("connection-refused", f"wrong port or server down: connection refused by {where}",
                "check PUSHER_PORT / the frontend's wsPort and that the server runs")
    if server.tls and any(word in low for word in _TLS_WORDS):
        return TLS_ON_PLAIN_PORT[0], f"TLS spoken to a plain port: {where} does not speak TLS", \
            TLS_ON_PLAIN_PORT[1]
    status = re.search(r"handshake status (\d{3})", low)
    if status is not None and status.group(1) != "400":
        return ("not-pusher", f"{where} answers the websocket handshake with HTTP "
                f"{status.group(1)}: it is not a Pusher websocket server (a web server or the "
                "auth endpoint's port?)", "point PUSHER_HOST/PUSHER_PORT (and the frontend's "
                "wsHost/wsPort) at soketi or Pusher")
    if not server.tls and any(word in low for word in _PLAIN_ON_TLS):
        return ("plain-on-tls-port", f"plain websocket to {where}, which expects TLS "
                "(or is not a websocket server)", "enable TLS (PUSHER_USE_TLS=true / forceTLS)")
    if "timed out" in low or "timeout" in low:
        return ("timeout", f"{where} did not answer in time (firewalled or wrong host?)",
                "check host, port and firewall")
    if "connection_established" in low:
        return ("not-pusher", f"{where} accepted the websocket but is not a Pusher server",
                "point the host/port at soketi or Pusher")
    return ("connect-failed", f"cannot connect: {reason}", "check host, port, key and TLS")


TLS_ON_PLAIN_PORT = ("tls-on-plain-port",
                     "set PUSHER_USE_TLS=false / forceTLS: false for this server, or use its TLS "
                     "port")
"""The code and action when TLS is spoken to a plain port."""
