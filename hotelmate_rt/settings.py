"""The one reader of the Pusher settings: PUSHER_URL, PUSHER_*, HOTELMATE_RT_* and .env files.

Every consumer (emitter, probe, listen/record, doctor, triage, emit/replay, demo) asks this module,
so they all send to, listen on and check the same server. The precedence, for each field on its
own (the pusher SDK's `Pusher.from_url(url, **options)` is the reference: options win over the
URL), highest first:

1. a command-line flag (`--host`, `--key`, ...), given as `overrides`;
2. `HOTELMATE_RT_PUSHER_<FIELD>` (point the tools elsewhere without touching the backend's names);
3. `PUSHER_<FIELD>`; TLS is `PUSHER_USE_TLS`, also spelt `PUSHER_TLS`, `PUSHER_SSL`,
   `PUSHER_USE_SSL` or `PUSHER_SCHEME=https|http` (first set wins, a disagreement is reported);
4. the field from `PUSHER_URL` (`http(s)://KEY:SECRET@HOST[:PORT]/apps/APP_ID`); as in the SDK,
   whose URL host carries the port, a host set by 1-3 replaces the URL's host *and* its port;
5. the defaults: a host wins over a cluster (`api-CLUSTER.pusher.com`), neither means hosted
   Pusher's `api.pusherapp.com`, except that a port with neither host nor cluster means a server
   on this machine (127.0.0.1); TLS is on, except for a host or port set without a URL or a TLS
   variable (soketi is plain); the port is 443 with TLS, 80 without.

The nodes of a cluster (soketi nodes behind a load balancer, sharing a Redis adapter) are
`HOTELMATE_RT_PUSHER_NODES=HOST:PORT,HOST:PORT` (or `--node HOST:PORT` repeated): the probe fails
over between them and doctor checks each one; every node shares the TLS setting, app and key.

Variables come from the process environment, with a `--env-file` laid over it. Every value that
loses to another is reported in `problems` (the settings stay usable); a value that cannot be used
(a malformed URL, a port that is not a number) is in `errors`, and `require()` raises it.
The secret never appears in a repr, a description or an error.

The tool's own delivery settings (`HOTELMATE_RT_OUTBOX`, `HOTELMATE_RT_WEBHOOK_URL`, and the
test project's `HOTELMATE_RT_TEST_DB_URL`) are read by `load_tool_settings`, from the same
environment and env file; a lone variable read where it is used (`HOTELMATE_RT_DEAD_LETTER`) by
`tool_variable`; a Django app's `settings.HOTELMATE_RT` keys are read by
`hotelmate_rt.django.conf`, after these variables.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from hotelmate_rt.errors import ConfigError

__all__ = [
    "FRONTEND_PREFIXES", "TOOL_PREFIX", "VARIABLES", "FrontendSettings", "PusherSettings",
    "ToolSettings", "flag_overrides", "load_settings", "load_tool_settings", "parse_env_text",
    "read_env_file", "tool_variable",
]

TOOL_PREFIX = "HOTELMATE_RT_"
FRONTEND_PREFIXES = ("REACT_APP_", "VITE_", "NEXT_PUBLIC_")
LOCAL_HOST = "127.0.0.1"
_TRUE = {"1", "true", "yes", "on", "https", "wss"}
_FALSE = {"0", "false", "no", "off", "http", "ws"}
_URL_FORM = "http(s)://KEY:SECRET@HOST[:PORT]/apps/APP_ID"

FIELDS: dict[str, tuple[str, ...]] = {
    "app_id": ("PUSHER_APP_ID",),
    "key": ("PUSHER_KEY",),
    "secret": ("PUSHER_SECRET",),
    "cluster": ("PUSHER_CLUSTER",),
    "host": ("PUSHER_HOST",),
    "port": ("PUSHER_PORT",),
    "ssl": ("PUSHER_USE_TLS", "PUSHER_TLS", "PUSHER_SSL", "PUSHER_USE_SSL", "PUSHER_SCHEME"),
}
"""Each settings field and the variable names that set it, preferred spelling first."""

FLAGS = {"app_id": "--app-id", "key": "--key", "secret": "--secret", "cluster": "--cluster",
         "host": "--host", "port": "--port", "ssl": "--tls/--no-tls"}
"""The command-line flag that overrides each field (doctor, triage, listen)."""

NODES_VARIABLE = TOOL_PREFIX + "PUSHER_NODES"
"""The nodes of a cluster, `HOST:PORT,HOST:PORT` (`--node` overrides it)."""

VARIABLES = ("PUSHER_URL", *(name for names in FIELDS.values() for name in names),
             "HOTELMATE_RT_PUSHER_<NAME>", NODES_VARIABLE, "HOTELMATE_RT_CONTRACT",
             "HOTELMATE_RT_DEAD_LETTER",
             "HOTELMATE_RT_TOKEN", "HOTELMATE_RT_AUTH_ENDPOINT", "HOTELMATE_RT_GUEST_TOKEN",
             "HOTELMATE_RT_STAFF_TOKEN", "HOTELMATE_RT_OUTBOX", "HOTELMATE_RT_WEBHOOK_URL",
             "HOTELMATE_RT_TEST_DB_URL")
"""Every variable the package reads (the README's Settings table lists each one)."""


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
        key, value = (part.strip() for part in line.split("=", 1))
        if value[:1] in {'"', "'"}:
            end = value.find(value[0], 1)
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


def _boolean(value: str) -> bool | None:
    """Read a TLS value (true/false, yes/no, 1/0, on/off, https/http); None when unreadable."""
    low = value.strip().lower()
    return True if low in _TRUE else False if low in _FALSE else None


@dataclass(slots=True)
class PusherSettings:
    """Where and as whom to talk to the Pusher-protocol server, and where each value came from."""

    app_id: str = ""
    key: str = ""
    secret: str = field(default="", repr=False)
    cluster: str = ""
    host: str = ""
    port: int | None = None
    ssl: bool = True
    nodes: list[tuple[str, int]] = field(default_factory=list)
    source: dict[str, str] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None,
                 overrides: Mapping[str, str | None] | None = None) -> PusherSettings:
        """Read the settings (see the module docstring for the precedence)."""
        return load_settings(env, overrides=overrides)

    @property
    def api_host(self) -> str:
        """The HTTP API host: the host, else the cluster's, else local (port only) or hosted."""
        if self.host:
            return self.host
        if self.cluster:
            return f"api-{self.cluster}.pusher.com"
        return LOCAL_HOST if self.port else "api.pusherapp.com"

    @property
    def ws_host(self) -> str:
        """The websocket host pusher-js would use with the same settings."""
        if self.host:
            return self.host
        if self.cluster:
            return f"ws-{self.cluster}.pusher.com"
        return LOCAL_HOST if self.port else "ws.pusherapp.com"

    @property
    def api_port(self) -> int:
        """The port (explicit, else 443 with TLS, 80 without); the websocket uses the same."""
        return self.port or (443 if self.ssl else 80)

    ws_port = api_port

    @property
    def api_url(self) -> str:
        """The HTTP API base URL (no credentials)."""
        return f"{'https' if self.ssl else 'http'}://{self.api_host}:{self.api_port}"

    @property
    def ws_url(self) -> str:
        """The websocket URL a client connects to with this key."""
        return f"{'wss' if self.ssl else 'ws'}://{self.ws_host}:{self.ws_port}/app/{self.key}"

    def node(self, host: str, port: int) -> PusherSettings:
        """Return these settings pointed at one node of the cluster (same app, key, TLS)."""
        return replace(self, host=host, port=port, nodes=[],
                       source={**self.source, "host": "node", "port": "node"},
                       problems=[], errors=[])

    def node_settings(self) -> list[PusherSettings]:
        """Return one settings object per node, or just these settings without a node list."""
        return [self.node(h, p) for h, p in self.nodes] if self.nodes else [self]

    @property
    def has_credentials(self) -> bool:
        """Tell whether app id, key and secret are all known (needed for the HTTP API)."""
        return bool(self.app_id and self.key and self.secret)

    @property
    def missing(self) -> list[str]:
        """Name the credential variables that are not set."""
        return [name for name, value in (("PUSHER_APP_ID", self.app_id), ("PUSHER_KEY", self.key),
                                         ("PUSHER_SECRET", self.secret)) if not value]

    def require(self) -> PusherSettings:
        """Return the settings when a client can be built from them, else raise ConfigError."""
        if self.errors:
            raise ConfigError("; ".join(self.errors))
        if self.missing:
            raise ConfigError(f"set PUSHER_URL, or {', '.join(self.missing)} (and "
                              "PUSHER_CLUSTER, or PUSHER_HOST/PUSHER_PORT/PUSHER_USE_TLS for "
                              "soketi)")
        return self

    def sdk_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for `pusher.Pusher(...)`: the same server every consumer sees."""
        kwargs: dict[str, Any] = {"app_id": self.app_id, "key": self.key, "secret": self.secret,
                                  "host": self.api_host if self.host or (self.port and not self.cluster)
                                  else None,
                                  "port": self.port, "ssl": self.ssl}
        if self.cluster:
            kwargs["cluster"] = self.cluster
        return kwargs

    def describe(self) -> dict[str, object]:
        """Describe the settings for a report (the secret only as set / not set)."""
        return {"app_id": self.app_id or None, "key": self.key or None,
                "secret": "set" if self.secret else None, "cluster": self.cluster or None,
                "host": self.host or None, "port": self.port, "ssl": self.ssl,
                "nodes": [f"{h}:{p}" for h, p in self.nodes] or None,
                "api_url": self.api_url, "source": dict(self.source)}


def flag_overrides(*, app_id: str | None = None, key: str | None = None,
                   secret: str | None = None, host: str | None = None, port: int | None = None,
                   cluster: str | None = None, tls: bool | None = None,
                   nodes: list[str] | None = None) -> dict[str, str]:
    """Turn command-line flags into `overrides` for `load_settings` (unset flags left out)."""
    out = {"PUSHER_APP_ID": app_id, "PUSHER_KEY": key, "PUSHER_SECRET": secret,
           "PUSHER_HOST": host, "PUSHER_PORT": None if port is None else str(port),
           "PUSHER_CLUSTER": cluster,
           "PUSHER_USE_TLS": None if tls is None else ("true" if tls else "false"),
           NODES_VARIABLE: ",".join(nodes) if nodes else None}
    return {name: value for name, value in out.items() if value}


def _url_problem(url: str) -> str:
    """Say what is wrong with an unusable PUSHER_URL without quoting any part of it.

    A URL that does not parse may carry its secret anywhere (`key:secret@host` without a scheme,
    a secret with an unencoded `/`), so nothing from it is echoed, only the shape it lacks.
    """
    scheme, sep, rest = url.partition("://")
    if not sep:
        return "it does not start with http:// or https://"
    if scheme.lower() not in {"http", "https"}:
        return "its scheme is neither http nor https"
    netloc = re.split(r"[/?#]", rest, maxsplit=1)[0]
    if "@" not in netloc:
        if "@" in rest:
            return "a '/', '?' or '#' in the key or secret must be percent-encoded (%2F, %3F, %23)"
        return "it has no KEY:SECRET@ before the host"
    if ":" not in netloc.rpartition("@")[0]:
        return "it has no :SECRET after the key"
    return ("its host or port does not parse (a port is a number up to 65535; a [ or ] in the "
            "secret must be percent-encoded)")


def _read_url(env: Mapping[str, str], errors: list[str]) -> dict[str, Any]:
    """Split PUSHER_URL into fields (an unusable URL is an error that never quotes the URL)."""
    url = (env.get(TOOL_PREFIX + "PUSHER_URL") or env.get("PUSHER_URL") or "").strip()
    if not url:
        return {}
    try:
        parts = urlsplit(url)
        port = parts.port
        usable = parts.scheme in {"http", "https"} and bool(parts.hostname) and \
            bool(parts.username) and parts.password is not None
    except ValueError:  # an unclosed IPv6 bracket, a port that is not a number
        usable, parts, port = False, None, None
    match = re.fullmatch(r"/apps/([0-9]+)/?", parts.path or "") if parts is not None else None
    if not usable or parts is None or match is None:
        why = _url_problem(url) if not usable else "its path is not /apps/ and a numeric app id"
        errors.append(f"PUSHER_URL must look like {_URL_FORM}: {why}")
        return {}
    fields = {"app_id": match.group(1), "key": unquote(parts.username or ""),
              "secret": unquote(parts.password or ""), "host": parts.hostname,
              "ssl": parts.scheme == "https"}
    return fields | ({"port": port} if port else {})


def _candidates(attr: str, env: Mapping[str, str],
                overrides: Mapping[str, str | None]) -> list[tuple[str, str]]:
    """List (where, raw value) of every flag and variable setting a field, winner first."""
    names = FIELDS[attr]
    found = [(FLAGS[attr], (overrides.get(n) or "").strip()) for n in names]
    found += [(n, (env.get(n) or "").strip()) for n in tuple(TOOL_PREFIX + n for n in names)]
    found += [(n, (env.get(n) or "").strip()) for n in names]
    return [(where, value) for where, value in found if value]


def _parse(attr: str, where: str, raw: str, errors: list[str]) -> Any:
    """Turn a raw value into the field's type (None, with an error, when it cannot be)."""
    shown = f"{where}={raw!r}" if len(raw) <= 12 else where  # a long value may be a pasted secret
    if attr == "port":
        if raw.isdigit() and 0 < int(raw) < 65536:
            return int(raw)
        errors.append(f"{shown} is not a port number (1-65535)")
        return None
    if attr == "ssl":
        value = _boolean(raw)
        if value is None:
            errors.append(f"{shown} is neither true nor false")
        return value
    if attr == "host" and re.search(r"[@/\s]", raw):
        errors.append(f"{where} must be a bare host name such as 127.0.0.1 (no scheme, "
                      "credentials or path)")
        return None
    return raw


def _environment(env: Mapping[str, str] | None, env_file: Path | None) -> dict[str, str]:
    """The variables: `env` (`os.environ` by default) with the env file laid over it."""
    merged: dict[str, str] = dict(os.environ if env is None else env)
    if env_file is not None:
        merged.update(read_env_file(env_file))
    return merged
def _read_nodes(raw: str, where: str, errors: list[str]) -> list[tuple[str, int]]:
    """Parse `HOST:PORT,HOST:PORT` (an unusable entry is an error naming it)."""
    nodes: list[tuple[str, int]] = []
    for item in (part.strip() for part in raw.split(",")):
        if not item:
            continue
        host, sep, port = item.rpartition(":")
        if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
            errors.append(f"{where} entry {item!r} is not HOST:PORT")
            continue
        if (host, int(port)) not in nodes:
            nodes.append((host, int(port)))
    return nodes


def load_settings(env: Mapping[str, str] | None = None, *, env_file: Path | None = None,
                  overrides: Mapping[str, str | None] | None = None) -> PusherSettings:
    """Read the settings in the documented precedence from the environment (`os.environ` by
    default) with an env file laid over it, and command-line overrides (by PUSHER_* name)."""
    merged = _environment(env, env_file)
    s = PusherSettings()
    url = _read_url(merged, s.errors)
    for attr, value in url.items():
        setattr(s, attr, value)
        s.source[attr] = "PUSHER_URL"
    for attr in FIELDS:
        found = _candidates(attr, merged, overrides or {})
        if not found:
            continue
        where, raw = found[0]
        value = _parse(attr, where, raw, s.errors)
        if value is None:
            continue
        spellings = [(w, _parse(attr, w, v, [])) for w, v in found if w in FIELDS[attr]]
        for other, other_value in spellings[1:]:  # two spellings of one variable
            if other_value != spellings[0][1]:
                s.problems.append(f"{spellings[0][0]} and {other} disagree; {spellings[0][0]} "
                                  "wins")
        if attr in url and url[attr] != value:
            shown = "(differs)" if attr == "secret" else f"{url[attr]!r} vs {value!r}"
            s.problems.append(f"PUSHER_URL and {where} disagree on {attr} {shown}; {where} wins")
            if attr == "host" and s.source.get("port") == "PUSHER_URL":
                if not _candidates("port", merged, overrides or {}):
                    s.problems.append(f"the URL's port {s.port} goes with its host (as in the "
                                      f"pusher SDK): set PUSHER_PORT for {value}")
                s.port = None
                del s.source["port"]
        setattr(s, attr, value)
        s.source[attr] = where
    flagged = (overrides or {}).get(NODES_VARIABLE)
    raw_nodes = flagged or merged.get(NODES_VARIABLE, "")
    if raw_nodes.strip():
        where = "--node" if flagged else NODES_VARIABLE
        s.nodes = _read_nodes(raw_nodes, where, s.errors)
        s.source["nodes"] = where
        if s.nodes and not s.host:  # the first node is where a single connection goes
            s.host, s.port = s.nodes[0]
            s.source["host"] = s.source["port"] = where
    if "ssl" not in s.source:
        s.ssl = not (s.host or s.port)  # hosted Pusher speaks TLS; a server of your own is plain
    if s.host and s.cluster:
        s.problems.append(f"{s.source['host']} and {s.source['cluster']} are both set; the "
                          f"host wins and cluster {s.cluster!r} is ignored")
    return s


@dataclass(slots=True)
class ToolSettings:
    """The tool's own delivery settings (the outbox, the webhook endpoint, the test database)."""

    outbox: bool | None = None
    """HOTELMATE_RT_OUTBOX: emitters write through the outbox (None: not set, Django decides)."""
    webhook_url: str = ""
    """HOTELMATE_RT_WEBHOOK_URL: the backend's Pusher webhook endpoint, checked by `doctor`."""
    test_db_url: str = ""
    """HOTELMATE_RT_TEST_DB_URL: the test project's database (`postgresql://...`, `sqlite:///...`)."""


def tool_variable(name: str, env: Mapping[str, str] | None = None) -> str:
    """Return one `HOTELMATE_RT_<name>` value of the environment ('' when unset).

    For a setting read where it is used, alone: the dead-letter file (`DEAD_LETTER`) and the
    contract path (`CONTRACT`; `contracts/` reads it itself, since it imports nothing of this).
    """
    return (os.environ if env is None else env).get(TOOL_PREFIX + name) or ""


def load_tool_settings(env: Mapping[str, str] | None = None, *,
                       env_file: Path | None = None) -> ToolSettings:
    """Read the tool's delivery settings from the environment with an env file laid over it.

    An HOTELMATE_RT_OUTBOX that is neither true nor false raises ConfigError (it would otherwise
    silently leave the outbox off or on).
    """
    merged = _environment(env, env_file)
    raw = (merged.get(TOOL_PREFIX + "OUTBOX") or "").strip()
    outbox = _boolean(raw) if raw else None
    if raw and (outbox is None or raw.lower() in {"http", "https", "ws", "wss"}):
        raise ConfigError(f"{TOOL_PREFIX}OUTBOX={raw!r} is neither true nor false (1/0, "
                          "true/false, yes/no, on/off)")
    return ToolSettings(outbox=outbox,
                        webhook_url=(merged.get(TOOL_PREFIX + "WEBHOOK_URL") or "").strip(),
                        test_db_url=(merged.get(TOOL_PREFIX + "TEST_DB_URL") or "").strip())


@dataclass(slots=True)
class FrontendSettings:
    """What a frontend env file (CRA REACT_APP_*, Vite VITE_*, Next NEXT_PUBLIC_*) gives pusher-js."""

    path: str
    values: dict[str, str] = field(repr=False)
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
        s = cls(path, dict(values))
        s.key_var, s.key = s._first("PUSHER_KEY", "PUSHER_APP_KEY")
        s.cluster = s._first("PUSHER_CLUSTER", "PUSHER_APP_CLUSTER")[1]
        s.host = s._first("PUSHER_HOST", "PUSHER_WS_HOST", "PUSHER_APP_HOST")[1]
        port = s._first("PUSHER_PORT", "PUSHER_WS_PORT", "PUSHER_APP_PORT")[1]
        s.port = int(port) if port.isdigit() else None
        tls = s._first("PUSHER_FORCE_TLS", "PUSHER_TLS", "PUSHER_USE_TLS", "PUSHER_ENCRYPTED",
                       "PUSHER_SCHEME")[1]
        s.force_tls = _boolean(tls) if tls else None
        s.auth_endpoint = s._first("PUSHER_AUTH_ENDPOINT", "PUSHER_AUTH_URL",
                                   "PUSHER_AUTHORIZATION_ENDPOINT")[1]
        return s

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
