"""The settings the doctor checks: backend PUSHER_* variables and frontend env files."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlsplit

from hotelmate_rt.errors import ConfigError

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}
FRONTEND_PREFIXES = ("REACT_APP_", "VITE_", "NEXT_PUBLIC_")



def parse_env_text(text: str) -> dict[str, str]:
    """Parse dotenv text (KEY=VALUE, `export`, quotes, comments) into a mapping."""
    out: dict[str, str] = {}
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("export "):
            line = line[len("export "):].lstrip()
        if "=" not in line:
            continue
        key, value = line.split("=", 1)
        key = key.strip()
        value = value.strip()
        if value[:1] in {'"', "'"}:
            quote = value[0]
            end = value.find(quote, 1)
            value = value[1:end] if end > 0 else value[1:]
        else:
            value = re.split(r"\s+#", value, maxsplit=1)[0].strip()
        if key:
            out[key] = value
    return out


def read_env_file(path: Path) -> dict[str, str]:
    """Read a dotenv file or raise ConfigError naming it."""
    try:
        return parse_env_text(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"cannot read env file {path}: {exc.strerror or exc}") from None


@dataclass(slots=True)
class PusherSettings:
    """Where and as whom the backend talks to the Pusher-protocol server."""

    app_id: str = ""
    key: str = ""
    secret: str = ""
    cluster: str = ""
    host: str = ""
    port: int | None = None
    ssl: bool = True
    source: dict[str, str] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    @property
    def api_host(self) -> str:
        """The HTTP API host: the explicit host, else the cluster's hosted Pusher host."""
        if self.host:
            return self.host
        if self.cluster:
            return f"api-{self.cluster}.pusher.com"
        return "api.pusherapp.com"

    @property
    def ws_host(self) -> str:
        """The websocket host: the explicit host, else the cluster's hosted Pusher host."""
        if self.host:
            return self.host
        return f"ws-{self.cluster}.pusher.com" if self.cluster else "ws.pusherapp.com"

    @property
    def api_port(self) -> int:
        """The HTTP API port (explicit, else 443 with TLS, 80 without)."""
        return self.port or (443 if self.ssl else 80)

    @property
    def ws_port(self) -> int:
        """The websocket port (explicit, else 443 with TLS, 80 without)."""
        return self.port or (443 if self.ssl else 80)

    @property
    def api_url(self) -> str:
        """The HTTP API base URL."""
        return f"{'https' if self.ssl else 'http'}://{self.api_host}:{self.api_port}"

    @property
    def ws_url(self) -> str:
        """The websocket URL a client connects to with this key."""
        return (f"{'wss' if self.ssl else 'ws'}://{self.ws_host}:{self.ws_port}/app/{self.key}"
                "?protocol=7&client=hotelmate-rt-doctor")

    @property
    def has_credentials(self) -> bool:
        """Tell whether app id, key and secret are all known (needed for the HTTP API)."""
        return bool(self.app_id and self.key and self.secret)

    def pusher_kwargs(self, timeout: float) -> dict[str, object]:
        """Keyword arguments for `pusher.Pusher(**kwargs)` with a request timeout."""
        kwargs: dict[str, object] = {"app_id": self.app_id, "key": self.key,
                                     "secret": self.secret, "ssl": self.ssl,
                                     "timeout": max(1, round(timeout))}
        if self.host:
            kwargs["host"] = self.host
        elif self.cluster:
            kwargs["cluster"] = self.cluster
        if self.port:
            kwargs["port"] = self.port
        return kwargs

    def describe(self) -> dict[str, object]:
        """Describe the settings for a report (the secret only as set / not set)."""
        return {"app_id": self.app_id or None, "key": self.key or None,
                "secret": "set" if self.secret else None, "cluster": self.cluster or None,
                "host": self.host or None, "port": self.port, "ssl": self.ssl,
                "api_url": self.api_url, "source": dict(self.source)}

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> PusherSettings:
        """Read PUSHER_URL and PUSHER_* variables (explicit variables win over the URL)."""
        settings = cls()
        url = env.get("PUSHER_URL", "").strip()
        if url:
            settings._apply_url(url)
        pairs = {"PUSHER_APP_ID": "app_id", "PUSHER_KEY": "key", "PUSHER_SECRET": "secret",
                 "PUSHER_CLUSTER": "cluster", "PUSHER_HOST": "host"}
        for name, attr in pairs.items():
            value = env.get(name, "").strip()
            if not value:
                continue
            old = getattr(settings, attr)
            if old and old != value:
                shown = "(differs)" if attr == "secret" else f"{old!r} vs {value!r}"
                settings.problems.append(f"PUSHER_URL and {name} disagree on {attr} {shown}; "
                                         f"{name} wins")
            setattr(settings, attr, value)
            settings.source[attr] = name
        port = env.get("PUSHER_PORT", "").strip()
        if port:
            if port.isdigit():
                settings.port = int(port)
                settings.source["port"] = "PUSHER_PORT"
            else:
                settings.problems.append(f"PUSHER_PORT={port!r} is not a number")
        if "ssl" not in settings.source:
            settings.ssl = not settings.host  # the emitter's rule: a custom host is plain
        for name in ("PUSHER_TLS", "PUSHER_SSL", "PUSHER_USE_TLS", "PUSHER_USE_SSL",
                     "PUSHER_SCHEME"):
            value = env.get(name, "").strip().lower()
            if not value:
                continue
            if value in _TRUE or value in {"https", "wss"}:
                settings.ssl = True
            elif value in _FALSE or value in {"http", "ws"}:
                settings.ssl = False
            else:
                settings.problems.append(f"{name}={value!r} is neither true nor false")
                continue
            settings.source["ssl"] = name
        return settings

    def _apply_url(self, url: str) -> None:
        """Fill the settings from a PUSHER_URL such as http://key:secret@host:port/apps/123."""
        parts = urlsplit(url)
        match = re.fullmatch(r"/apps/([^/]+)/?", parts.path or "")
        if parts.scheme not in {"http", "https"} or not parts.hostname or match is None:
            self.problems.append("PUSHER_URL is not of the form "
                                 "http(s)://KEY:SECRET@HOST[:PORT]/apps/APP_ID")
            return
        self.ssl = parts.scheme == "https"
        self.key = unquote(parts.username or "")
        self.secret = unquote(parts.password or "")
        self.host = parts.hostname
        try:
            self.port = parts.port
        except ValueError:
            self.problems.append("PUSHER_URL has a port that is not a number")
        self.app_id = match.group(1)
        for attr in ("app_id", "key", "secret", "host", "ssl"):
            self.source[attr] = "PUSHER_URL"
        if self.port:
            self.source["port"] = "PUSHER_URL"


@dataclass(slots=True)
class FrontendSettings:
    """What a frontend env file (CRA REACT_APP_*, Vite VITE_*) gives pusher-js."""

    path: str
    values: dict[str, str]
    key: str = ""
    cluster: str = ""
    host: str = ""
    port: int | None = None
    force_tls: bool | None = None
    auth_endpoint: str = ""
    key_var: str = ""

    @classmethod
    def from_file(cls, path: Path) -> FrontendSettings:
        """Read a frontend env file (ConfigError if it cannot be read)."""
        return cls.from_values(str(path), read_env_file(path))

    @classmethod
    def from_values(cls, path: str, values: Mapping[str, str]) -> FrontendSettings:
        """Pick the pusher-js settings out of a frontend env mapping."""
        settings = cls(path, dict(values))
        settings.key_var, settings.key = settings._first("PUSHER_KEY", "PUSHER_APP_KEY")
        settings.cluster = settings._first("PUSHER_CLUSTER", "PUSHER_APP_CLUSTER")[1]
        settings.host = settings._first("PUSHER_HOST", "PUSHER_WS_HOST", "PUSHER_APP_HOST")[1]
        port = settings._first("PUSHER_PORT", "PUSHER_WS_PORT", "PUSHER_APP_PORT")[1]
        settings.port = int(port) if port.isdigit() else None
        tls = settings._first("PUSHER_FORCE_TLS", "PUSHER_TLS", "PUSHER_USE_TLS",
                              "PUSHER_ENCRYPTED", "PUSHER_SCHEME")[1].lower()
        if tls in _TRUE or tls in {"https", "wss"}:
            settings.force_tls = True
        elif tls in _FALSE or tls in {"http", "ws"}:
            settings.force_tls = False
        settings.auth_endpoint = settings._first(
            "PUSHER_AUTH_ENDPOINT", "PUSHER_AUTH_URL", "PUSHER_AUTHORIZATION_ENDPOINT")[1]
        return settings

    def _first(self, *suffixes: str) -> tuple[str, str]:
        """Return the first (variable, value) among the frontend prefixes and suffixes."""
        for suffix in suffixes:
            for prefix in FRONTEND_PREFIXES:
                value = self.values.get(prefix + suffix, "").strip()
                if value:
                    return prefix + suffix, value
        return "", ""

    def variants(self, suffix: str) -> dict[str, str]:
        """Return every prefixed variable ending in `suffix` that has a value."""
        return {prefix + suffix: self.values[prefix + suffix].strip()
                for prefix in FRONTEND_PREFIXES
                if self.values.get(prefix + suffix, "").strip()}
