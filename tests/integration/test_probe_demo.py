"""`make demo`: the scripted scene runs end to end and the probe catches the wrong event."""

from __future__ import annotations

import subprocess
import sys

from tests.helpers import ROOT


def test_demo_runs_the_scene_and_stops_by_itself() -> None:
    """The demo exits 0, both audiences receive the scene, the wrong event is flagged, doctor passes."""
    result = subprocess.run([sys.executable, "-m", "hotelmate_rt.demo"], cwd=ROOT,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    out = " ".join(result.stdout.split())
    assert "guest received 5 event(s), 1 violation(s)" in out
    assert "staff received 9 event(s), 1 violation(s)" in out
    assert "sensitive-exposed" in out and "unexpected-channel" in out
    assert "hotelmate-rt doctor" in out and "All checks pass." in out
    assert "Traceback" not in result.stderr
