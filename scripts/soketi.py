"""Start, stop or install the local soketi server (a CLI over hotelmate_rt/testing/soketi.py).

Usage:
    python scripts/soketi.py install
    python scripts/soketi.py start [--port P] [--app-id ID] [--key K] [--secret S]
                                   [--pidfile F] [--log F] [--env NAME=VALUE ...] [--foreground]
    python scripts/soketi.py stop --pidfile F
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
import threading
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[1]


def _load_soketi_module() -> ModuleType:
    """Load hotelmate_rt/testing/soketi.py alone (stdlib only), without the package's imports."""
    path = ROOT / "hotelmate_rt" / "testing" / "soketi.py"
    spec = importlib.util.spec_from_file_location("_hotelmate_rt_soketi", path)
    if spec is None or spec.loader is None:
        raise SystemExit(f"cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


soketi = _load_soketi_module()


def _parse_env(pairs: list[str]) -> dict[str, str]:
    """Turn ``NAME=VALUE`` strings into a dict."""
    env = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name:
            raise SystemExit(f"--env expects NAME=VALUE, got {pair!r}")
        env[name] = value
    return env


def cmd_start(args: argparse.Namespace) -> int:
    """Start soketi, write the pidfile and leave it running (or wait, with --foreground)."""
    server = soketi.SoketiServer(
        args.port,
        args.app_id,
        args.key,
        args.secret,
        args.host,
        extra_env=_parse_env(args.env),
        log_path=Path(args.log).resolve() if args.log else None,
        startup_timeout=args.timeout,
    )
    server.start()
    print(f"soketi running: pid {server.pid}, {server.http_url}, ws {server.ws_url}")
    print(f"app_id={server.app_id} key={server.key} log={server.log_path}")
    if args.foreground:
        print("press Ctrl-C to stop")
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            pass
        finally:
            server.close()
        return 0
    pid = server.detach()
    if args.pidfile:
        Path(args.pidfile).write_text(f"{pid}\n")
    return 0


def cmd_stop(args: argparse.Namespace) -> int:
    """Stop the soketi whose pid is in the pidfile, then remove the pidfile."""
    pidfile = Path(args.pidfile)
    if not pidfile.exists():
        print(f"no pidfile {pidfile}: nothing to stop")
        return 0
    pid = int(pidfile.read_text().split()[0])
    cmdline = Path(f"/proc/{pid}/cmdline")
    if cmdline.exists() and b"soketi" not in cmdline.read_bytes():
        print(f"pid {pid} is not soketi any more; removing stale {pidfile}")
    else:
        soketi.stop_pid(pid, args.timeout)
        print(f"soketi (pid {pid}) stopped")
    pidfile.unlink()
    return 0


def cmd_install(args: argparse.Namespace) -> int:
    """Install soketi and pusher-js from package.json and package-lock.json."""
    soketi.npm_install(ROOT)
    return 0


def main(argv: list[str] | None = None) -> int:
    """Parse the command line and run one command."""
    parser = argparse.ArgumentParser(prog="soketi.py", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)

    start = sub.add_parser("start", help="start soketi in the background")
    start.add_argument("--port", type=int, default=None, help="default: a free port")
    start.add_argument("--host", default="127.0.0.1")
    start.add_argument("--app-id", default="4242", help="numeric, as the pusher SDK requires")
    start.add_argument("--key", default="test-key")
    start.add_argument("--secret", default="test-secret")
    start.add_argument("--pidfile", default=None)
    start.add_argument("--log", default=None, help="default: a file in a temporary directory")
    start.add_argument("--env", action="append", default=[], metavar="NAME=VALUE")
    start.add_argument("--timeout", type=float, default=30.0, help="startup timeout, seconds")
    start.add_argument("--foreground", action="store_true", help="stay attached until Ctrl-C")
    start.set_defaults(func=cmd_start)

    stop = sub.add_parser("stop", help="stop the soketi named by a pidfile")
    stop.add_argument("--pidfile", required=True)
    stop.add_argument("--timeout", type=float, default=10.0)
    stop.set_defaults(func=cmd_stop)

    install = sub.add_parser("install", help="npm install soketi and pusher-js")
    install.set_defaults(func=cmd_install)

    args = parser.parse_args(argv)
    try:
        return int(args.func(args))
    except soketi.SoketiError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
