"""`hotelmate-rt console` start-up as a person runs it: clear errors (exit 2), clean stop (exit 0)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import httpx

from hotelmate_rt.console.harness import ConsoleProcess

ROOT = Path(__file__).resolve().parents[2]


def clean_env(**extra: str) -> dict[str, str]:
    """The environment without any Pusher or hotelmate-rt settings, plus `extra`."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("PUSHER_", "HOTELMATE_RT_"))}
    return {**env, **extra}


def run(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """Run the console command to completion (only error paths end by themselves)."""
    return subprocess.run([sys.executable, "-m", "hotelmate_rt", "console", *args], cwd=ROOT,
                          env=env, capture_output=True, text=True, timeout=60)


def test_missing_key_busy_port_and_send_without_credentials_exit_2() -> None:
    """Each start-up problem is one line naming the fix, exit 2, no traceback."""
    no_key = run("--port", "0", env=clean_env())
    assert no_key.returncode == 2 and "no Pusher app key" in no_key.stderr
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        port = busy.getsockname()[1]
        taken = run("--port", str(port), env=clean_env(PUSHER_KEY="k"))
    assert taken.returncode == 2 and f"cannot serve on 127.0.0.1:{port}" in taken.stderr
    no_creds = run("--port", "0", "--allow-send", env=clean_env(PUSHER_KEY="k"))
    assert no_creds.returncode == 2 and "--allow-send" in no_creds.stderr
    for result in (no_key, taken, no_creds):
        assert "Traceback" not in result.stderr


def test_serves_on_loopback_prints_the_url_and_stops_cleanly() -> None:
    """The printed URL is on 127.0.0.1 with a token; SIGTERM stops the server with exit 0."""
    console = ConsoleProcess(["--key", "k"], env=clean_env(), cwd=ROOT).start()
    try:
        assert console.url.startswith("http://127.0.0.1:")
        assert httpx.get(console.url, timeout=5).status_code == 200
    finally:
        code = console.stop()
    assert code == 0, console.output()
    assert "Traceback" not in console.output()
