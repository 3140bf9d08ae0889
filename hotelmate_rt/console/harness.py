"""Run the real console and Debian's headless Chromium for tests and benchmarks.

    with ConsoleProcess(["--key", key, "--pusher-port", str(port)], env=env) as console:
        console.url                     # the URL the command printed (token included)
        with chromium() as browser:     # a Playwright persistent context on /usr/bin/chromium
            page = browser.new_page(); page.goto(console.url)

`ConsoleProcess` runs `python -m hotelmate_rt console --port 0 ...` (a free port) and reads the
URL from its first line. `chromium()` drives `/usr/bin/chromium` (the `chromium` Debian package,
installed by `make install` from system-packages.txt) through Playwright for Python; it never
downloads a browser, and starts it for a closed network: no sandbox as root, no GPU, no QUIC,
no background networking, component updates or sync, and a fresh profile directory.
"""

from __future__ import annotations

import contextlib
import os
import queue
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

__all__ = ["CHROMIUM", "CHROMIUM_ARGS", "ConsoleProcess", "chromium"]

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ("--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync")
_URL = re.compile(r"http://\S+/s/[A-Za-z0-9_-]+/")


@contextlib.contextmanager
def chromium(width: int = 1400, height: int = 820, **options: Any) -> Iterator[Any]:
    """Yield a Playwright browser context on Debian's Chromium with a fresh profile; close it."""
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        raise RuntimeError(f"{CHROMIUM} is missing: run `make install` (Debian package chromium)")
    args = list(CHROMIUM_ARGS)
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        args.insert(0, "--no-sandbox")
    profile = tempfile.mkdtemp(prefix="hotelmate-chromium-")
    try:
        with sync_playwright() as playwright:
            context = playwright.chromium.launch_persistent_context(
                profile, executable_path=CHROMIUM, headless=True, args=args,
                viewport={"width": width, "height": height},
                accept_downloads=True, **options)
            try:
                yield context
            finally:
                context.close()
    finally:
        shutil.rmtree(profile, ignore_errors=True)


class ConsoleProcess:
    """`hotelmate-rt console` in a subprocess on a free port, its output kept for assertions."""

    def __init__(self, args: Sequence[str], env: Mapping[str, str] | None = None,
                 cwd: Path | None = None, start_timeout: float = 30.0) -> None:
        """Describe the command; nothing runs until `start()` (or `with`)."""
        self.args = list(args)
        self.env = dict(os.environ if env is None else env)
        self.cwd = cwd
        self.start_timeout = start_timeout
        self.proc: subprocess.Popen[str] | None = None
        self.url = ""
        self.stdout: list[str] = []
        self.stderr: list[str] = []
        self._lines: queue.Queue[str] = queue.Queue()

    def start(self) -> ConsoleProcess:
        """Start the console and wait for the URL line (or raise with its output)."""
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "hotelmate_rt", "console", "--port", "0", *self.args],
            cwd=self.cwd, env=self.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            text=True)
        threading.Thread(target=self._pump, args=(self.proc.stdout, self.stdout, True),
                         daemon=True).start()
        threading.Thread(target=self._pump, args=(self.proc.stderr, self.stderr, False),
                         daemon=True).start()
        deadline = time.monotonic() + self.start_timeout
        while not self.url:
            try:
                line = self._lines.get(timeout=max(0.01, deadline - time.monotonic()))
            except queue.Empty:
                self.stop()
                raise RuntimeError("the console printed no URL; stderr: "
                                   + "".join(self.stderr)[-2000:]) from None
            found = _URL.search(line)
            if found:
                self.url = found.group(0)
        return self

    def _pump(self, stream: Any, sink: list[str], lines: bool) -> None:
        """Copy a pipe's lines into `sink` (and the URL queue for stdout)."""
        for line in stream:
            sink.append(line)
            if lines:
                self._lines.put(line)

    @property
    def origin(self) -> str:
        """`http://127.0.0.1:PORT` of the console."""
        return self.url.split("/s/")[0]

    def stop(self, timeout: float = 10.0) -> int | None:
        """Stop the console with SIGTERM (SIGKILL after `timeout`); return its exit code."""
        proc = self.proc
        if proc is None:
            return None
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout)
        return proc.returncode

    def output(self) -> str:
        """Everything the console wrote to stdout and stderr so far."""
        return "".join(self.stdout) + "".join(self.stderr)

    def __enter__(self) -> ConsoleProcess:
        """Start for a `with` block."""
        return self.start()

    def __exit__(self, *exc: object) -> None:
        """Stop at the end of a `with` block."""
        self.stop()
