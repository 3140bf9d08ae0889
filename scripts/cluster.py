"""Start or stop a local soketi cluster: Redis plus soketi nodes on the Redis adapter.

A CLI over hotelmate_rt/testing/cluster.py (everything binds 127.0.0.1):

    python scripts/cluster.py start [--nodes 2] [--key K] [--secret S] [--app-id ID]
                                    [--foreground | --state FILE]
    python scripts/cluster.py stop --state FILE

`start --foreground` stays attached and stops everything on Ctrl-C; `start --state FILE` leaves
the processes running and writes their pids to FILE, which `stop --state FILE` stops. Either way
it prints the PUSHER_* and HOTELMATE_RT_PUSHER_NODES settings that point the tools at it.
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from hotelmate_rt.testing.cluster import SoketiCluster  # noqa: E402
from hotelmate_rt.testing.soketi import SoketiError, stop_pid  # noqa: E402


def cmd_start(args: argparse.Namespace) -> int:
    """Start the cluster; wait for Ctrl-C, or detach and write the state file."""
    cluster = SoketiCluster(args.nodes, args.app_id, args.key, args.secret)
    cluster.start()
    print(f"redis: {cluster.redis.url}")
    for index, node in enumerate(cluster.nodes, start=1):
        print(f"node {index}: {node.http_url} (pid {node.pid})")
    print(f"export PUSHER_APP_ID={cluster.app_id} PUSHER_KEY={cluster.key} "
          f"PUSHER_SECRET={cluster.secret} PUSHER_USE_TLS=false")
    print(f"export HOTELMATE_RT_PUSHER_NODES={cluster.addresses}")
    if args.foreground:
        print("press Ctrl-C to stop")
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            pass
        finally:
            cluster.close()
        return 0
    pids = [node.detach() for node in cluster.nodes]
    redis = cluster.redis.detach()
    Path(args.state).write_text(json.dumps({"redis": redis, "nodes": pids}) + "\n")
    print(f"state written to {args.state}: `python scripts/cluster.py stop --state {args.state}`")
    return 0


def cmd_stop(args: argparse.Namespace) -> int:
    """Stop every process named in the state file, then remove it."""
    state = Path(args.state)
    if not state.exists():
        print(f"no state file {state}: nothing to stop")
        return 0
    pids = json.loads(state.read_text())
    for pid in [*pids.get("nodes", []), pids.get("redis")]:
        if isinstance(pid, int):
            stop_pid(pid)
    state.unlink()
    print("cluster stopped")
    return 0


def main(argv: list[str] | None = None) -> int:
    """Parse the command line and run one command."""
    parser = argparse.ArgumentParser(prog="cluster.py", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    start = sub.add_parser("start", help="start Redis and the soketi nodes")
    start.add_argument("--nodes", type=int, default=2)
    start.add_argument("--app-id", default="4242", help="numeric, as the pusher SDK requires")
    start.add_argument("--key", default="test-key")
    start.add_argument("--secret", default="test-secret")
    mode = start.add_mutually_exclusive_group(required=True)
    mode.add_argument("--foreground", action="store_true", help="stay attached until Ctrl-C")
    mode.add_argument("--state", help="detach and write the pids here")
    start.set_defaults(func=cmd_start)
    stop = sub.add_parser("stop", help="stop the cluster named by a state file")
    stop.add_argument("--state", required=True)
    stop.set_defaults(func=cmd_stop)
    args = parser.parse_args(argv)
    try:
        return int(args.func(args))
    except SoketiError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
