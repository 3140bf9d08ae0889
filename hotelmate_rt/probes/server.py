"""Where the probe connects and how long it waits: server addresses, options, close codes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from hotelmate_rt.settings import PusherSettings

__all__ = ["ConnectionOptions", "ServerAddress", "close_code_policy", "stop_message"]

PROTOCOL = 7
CLIENT_NAME = "hotelmate-rt-probe"


@dataclass(frozen=True, slots=True)
class ServerAddress:
    """Where the Pusher-protocol server is and which app key to connect with."""

    key: str
    host: str = "127.0.0.1"
    port: int = 6001
    tls: bool = False

    @classmethod
    def from_settings(cls, settings: PusherSettings, key: str | None = None) -> ServerAddress:
        """Return the websocket address of `hotelmate_rt.settings` (where the emitter sends)."""
        return cls(key or settings.key, settings.ws_host, settings.ws_port, settings.ssl)

    @classmethod
    def nodes_from_settings(cls, settings: PusherSettings, key: str | None = None
                            ) -> list[ServerAddress]:
        """Return the address of every node of the settings (or of the one server)."""
        return [cls.from_settings(node, key) for node in settings.node_settings()]

    @classmethod
    def for_cluster(cls, key: str, cluster: str) -> ServerAddress:
        """Return the hosted Pusher Channels address of a cluster (TLS on 443)."""
        return cls(key, f"ws-{cluster}.pusher.com", 443, True)

    @property
    def url(self) -> str:
        """Return the WebSocket URL a client connects to (key in the path, like pusher-js)."""
        scheme = "wss" if self.tls else "ws"
        return (f"{scheme}://{self.host}:{self.port}/app/{self.key}"
                f"?protocol={PROTOCOL}&client={CLIENT_NAME}&version=1.0")


@dataclass(frozen=True, slots=True)
class ConnectionOptions:
    """Timeouts and backoff; every wait the connection makes is bounded by one of these."""

    connect_timeout: float = 10.0
    activity_timeout: float = 120.0
    pong_timeout: float = 30.0
    subscribe_timeout: float = 10.0
    backoff_initial: float = 0.5
    backoff_max: float = 10.0
    give_up_after: float = 300.0
    tick: float = 0.5
    auth_concurrency: int = 16


def close_code_policy(code: int | None) -> str:
    """Classify a close/error code: 'stop', 'backoff' or 'now' (protocol 7 rules)."""
    if code is None:
        return "backoff"
    if 4000 <= code <= 4099:
        return "stop"
    if 4200 <= code <= 4299:
        return "now"
    return "backoff"


_STOP_MEANINGS = {
    4000: "the server requires TLS: connect with --tls",
    4001: "the server does not know this app key: check --key (the key must match the server's "
          "app)",
    4003: "the app is disabled on the server",
    4004: "the app is over its connection quota",
    4005: "the path is wrong: the probe connects to /app/KEY",
    4006: "the protocol version is not supported",
    4007: "the client did not send a supported protocol version",
    4008: "the client did not identify itself",
    4009: "the connection is unauthorized (the server closed it)",
}


def stop_message(code: int, reason: str) -> str:
    """Explain a 4000-4099 close code: the connection must not be retried unchanged."""
    meaning = _STOP_MEANINGS.get(code, "the server refused the connection; it must not be "
                                       "retried unchanged")
    said = f" (server said: {reason})" if reason else ""
    return f"server closed the connection with code {code}: {meaning}{said}"
