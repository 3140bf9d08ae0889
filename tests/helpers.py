"""What the tests share: paths, the shipped contract, seed values, and the CLI in a subprocess.

The soketi credentials (TEST_APP_ID/KEY/SECRET) stay in conftest.py beside the fixtures that
use them; the `contract` fixture (conftest.py) is `shipped_contract()`.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from collections.abc import Mapping
from functools import cache
from pathlib import Path

from hotelmate_rt.contracts import Contract, load_contract
from hotelmate_rt.emitters import RetryPolicy
from hotelmate_rt.scan import ScanConfig, parse_config
from hotelmate_rt.testing.soketi import SoketiServer

ROOT = Path(__file__).resolve().parents[1]
CONTRACT_PATH = ROOT / "channels.yaml"
FIXTURES = ROOT / "tests" / "fixtures"
SCAN_FIXTURES = FIXTURES / "scan"

AT = "2025-03-01T10:00:00Z"
BOOKING = "BK-2025-0002"
HOTEL = "hotel-paradise"
UPDATED = {"booking_id": BOOKING, "updated_at": AT}
"""A valid `booking_updated` payload."""
CHECKED_IN = {"booking_id": BOOKING, "status": "IN_HOUSE", "room_number": "101",
              "checked_in_at": AT}
"""A valid `booking_checked_in` payload (room 101 of hotel-paradise)."""
FAST = RetryPolicy(attempts=3, base_delay=0.001, max_delay=0.005, deadline=5.0)
"""A retry policy that retries like the default one, without the waiting."""
COVERAGE_OFF = {"uncovered-backend-event": "off", "uncovered-frontend-event": "off",
                "transition-never-emitted": "off"}
"""Scan severities that leave only the site rules (coverage is tested on its own)."""


@cache
def shipped_contract() -> Contract:
    """Load the repository's channels.yaml once per test session."""
    return load_contract(CONTRACT_PATH)


def site_rules_only() -> ScanConfig:
    """A scan configuration with the coverage rules off."""
    return parse_config({"severity": COVERAGE_OFF})


def write_tree(root: Path, files: Mapping[str, str]) -> Path:
    """Write a small source tree (each text dedented) under `root` and return `root`."""
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
    return root


def run_cli(*args: str, cwd: Path = ROOT, env: Mapping[str, str] | None = None,
            timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """Run the real `hotelmate-rt` in a subprocess, as a user would (no PUSHER_* unless given)."""
    base = {k: v for k, v in os.environ.items() if not k.startswith("PUSHER_")}
    return subprocess.run([sys.executable, "-m", "hotelmate_rt", *args], cwd=cwd,
                          env={**base, **(env or {})}, capture_output=True, text=True,
                          timeout=timeout)


def env_for(server: SoketiServer, **changes: str) -> dict[str, str]:
    """The backend PUSHER_* environment for a soketi server, with some values changed."""
    env = {"PUSHER_APP_ID": server.app_id, "PUSHER_KEY": server.key,
           "PUSHER_SECRET": server.secret, "PUSHER_HOST": server.host,
           "PUSHER_PORT": str(server.port), "PUSHER_TLS": "false"}
    env.update(changes)
    return env
