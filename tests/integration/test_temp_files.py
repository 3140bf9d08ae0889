"""The fixtures and the demo leave nothing in the system temp directory (soketi's working
directories, Redis's and PostgreSQL's, the Django test database, the console's and Chromium's
profiles)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from tests.helpers import ROOT

SUBSET = [
    # soketi: a failed start, a server only stopped (never closed), the session fixture
    "tests/integration/test_soketi_roundtrip.py::test_failed_start_reports_the_log_tail",
    "tests/integration/test_doctor.py::test_disabled_app_is_named_4003",
    "tests/integration/test_doctor.py::test_wrong_secret_is_named_wrong_secret",
    # the auth server (Django's WSGI handler) and the Django project's SQLite database
    "tests/unit/test_oncall_doctor.py::test_auth_endpoint_checks_against_the_real_view",
    "tests/integration/test_django_capture.py",
    "tests/integration/test_django_soketi.py::test_emit_inside_atomic_arrives_only_after_commit",
    # the console's recording directory
    "tests/unit/test_console.py",
    # PostgreSQL (the session fixture: initdb's cluster, its socket directory and log)
    "tests/integration/test_outbox_postgres.py::test_a_rollback_on_postgres_writes_no_row",
    # Redis and a soketi cluster (the function fixture), with a node added and one killed
    "tests/integration/test_cluster.py::test_doctor_passes_a_sound_cluster",
    "tests/integration/test_cluster.py::test_doctor_names_a_node_that_cannot_reach_redis",
    "tests/integration/test_cluster.py::test_the_probe_fails_over_re_authorizes_and_reports_the_gap",
]
"""A representative subset: each kind of fixture that makes files in the temp directory."""


def _run(args: list[str], tmp: Path, timeout: float) -> subprocess.CompletedProcess[str]:
    """Run a Python module with TMPDIR pointing at an empty directory of its own."""
    env = {**os.environ, "TMPDIR": str(tmp), "CI": "true"}
    return subprocess.run([sys.executable, "-m", *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=timeout)


def test_the_fixtures_leave_the_temp_directory_as_it_was(tmp_path: Path) -> None:
    """A pytest run of the subset (its own tmp_path base elsewhere) leaves TMPDIR empty."""
    # a temp directory like /tmp (sticky, open to all): PostgreSQL runs as `postgres` under root
    # and must reach its directory, which pytest's private tmp_path would not let it
    watched = Path(tempfile.mkdtemp(prefix="hotelmate-rt-watched-"))
    watched.chmod(0o1777)
    try:
        result = _run(["pytest", "-q", "-p", "no:cacheprovider", "--basetemp",
                       str(tmp_path / "basetemp"), *SUBSET], watched, timeout=600)
        assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
        assert sorted(p.name for p in watched.iterdir()) == []
    finally:
        shutil.rmtree(watched, ignore_errors=True)


def test_the_demo_leaves_the_temp_directory_as_it_was(tmp_path: Path) -> None:
    """`make demo` (python -m hotelmate_rt.demo) removes soketi's directory when it stops."""
    result = _run(["hotelmate_rt.demo"], tmp_path, timeout=300)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert sorted(p.name for p in tmp_path.iterdir()) == []
