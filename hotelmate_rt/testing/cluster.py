"""A real soketi cluster: one Redis and several soketi nodes sharing the Redis adapter.

    with SoketiCluster(nodes=2) as cluster:
        a, b = cluster.nodes                 # SoketiServer each, on its own free ports
        cluster.addresses                    # "127.0.0.1:40001,127.0.0.1:40002"
        cluster.add_node(adapter="local")    # a third node that never joins (a classic mistake)
        cluster.add_node(secret="other")     # a node with different app credentials
        cluster.add_node(redis_port=1)       # a node whose Redis is unreachable

Each node runs with `SOKETI_ADAPTER_DRIVER=redis`, `SOKETI_DB_REDIS_HOST/PORT` and a prefix of
the cluster's own (`SOKETI_ADAPTER_REDIS_PREFIX`), so events triggered on one node reach the
subscribers of every node, and channel information (`GET /apps/ID/channels/NAME`) is gathered
across nodes: the node asks the others over Redis pub/sub and answers with what came back within
`SOKETI_ADAPTER_REDIS_REQUESTS_TIMEOUT` ms (partial after that; soketi's default is 5000).
Everything binds 127.0.0.1 (soketi's websocket/HTTP, metrics and node-discovery ports, Redis),
and everything is stopped by `close()` (the `with` block) or at interpreter exit.
"""

from __future__ import annotations

import contextlib
import json
import uuid
from types import TracebackType

from .redis import RedisServer
from .soketi import SoketiServer, free_port

__all__ = ["SoketiCluster"]

ADAPTER_CHANNEL = "redis-adapter"
"""soketi's Redis adapter channel name (before the prefix)."""


class SoketiCluster:
    """Redis plus `nodes` soketi nodes on the Redis adapter, sharing one app."""

    def __init__(self, nodes: int = 2, app_id: str = "4242", key: str = "test-key",
                 secret: str = "test-secret", *, requests_timeout_ms: int = 2000,
                 extra_env: dict[str, str] | None = None) -> None:
        """Describe the cluster; nothing starts until `start()`."""
        if nodes < 1:
            raise ValueError("a cluster needs at least one node")
        self.size = nodes
        self.app_id = app_id
        self.key = key
        self.secret = secret
        self.requests_timeout_ms = requests_timeout_ms
        self.extra_env = dict(extra_env or {})
        self.prefix = f"hotelmate-rt-{uuid.uuid4().hex[:8]}"
        self.redis = RedisServer()
        self.nodes: list[SoketiServer] = []

    @property
    def addresses(self) -> str:
        """The nodes as `HOST:PORT,HOST:PORT` (what `--node` / HOTELMATE_RT_PUSHER_NODES take)."""
        return ",".join(f"{n.host}:{n.port}" for n in self.nodes)

    @property
    def adapter_channel(self) -> str:
        """The Redis channel every joined node subscribes to for cross-node requests."""
        return f"{self.prefix}#{ADAPTER_CHANNEL}#comms#req"

    def joined(self) -> int:
        """Count the nodes subscribed to this cluster's adapter channel in Redis right now."""
        return self.redis.numsub(self.adapter_channel)

    def node_env(self, adapter: str = "redis", redis_port: int | None = None) -> dict[str, str]:
        """Return the SOKETI_* variables that put a node on this cluster's adapter."""
        env = {"SOKETI_ADAPTER_DRIVER": adapter, **self.extra_env}
        if adapter == "redis":
            env.update({
                "SOKETI_DB_REDIS_HOST": self.redis.host,
                "SOKETI_DB_REDIS_PORT": str(redis_port or self.redis.port),
                "SOKETI_ADAPTER_REDIS_PREFIX": json.dumps(self.prefix),
                "SOKETI_ADAPTER_REDIS_REQUESTS_TIMEOUT": str(self.requests_timeout_ms),
            })
        return env

    def add_node(self, *, adapter: str = "redis", key: str | None = None,
                 secret: str | None = None, app_id: str | None = None,
                 redis_port: int | None = None) -> SoketiServer:
        """Start one more node (by default a proper member) and return it."""
        node = SoketiServer(free_port(), app_id or self.app_id, key or self.key,
                            secret or self.secret,
                            extra_env=self.node_env(adapter, redis_port))
        self.nodes.append(node)
        node.start()
        return node

    def start(self) -> SoketiCluster:
        """Start Redis, then every node; stop everything if one fails."""
        try:
            self.redis.start()
            for _ in range(self.size):
                self.add_node()
        except BaseException:
            self.close()
            raise
        return self

    def close(self) -> None:
        """Stop every node and Redis, and remove their files."""
        for node in self.nodes:
            with contextlib.suppress(Exception):
                node.close()
        self.redis.close()

    def __enter__(self) -> SoketiCluster:
        """Start for a `with` block."""
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        """Stop everything at the end of a `with` block."""
        self.close()

    def __repr__(self) -> str:
        """Show the nodes and Redis."""
        return f"SoketiCluster({self.addresses or 'not started'}, redis {self.redis.port})"
