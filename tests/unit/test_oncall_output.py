"""Snapshots of what people read: doctor and triage in text and Markdown (times, ports normalised)."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import pytest
from syrupy.assertion import SnapshotAssertion
from typer.testing import CliRunner

from hotelmate_rt.auth import Principal
from hotelmate_rt.cli.app import app
from hotelmate_rt.cli.output import Format, Sink
from hotelmate_rt.cli.reporters.doctor import REPORTER as DOCTOR_REPORTER
from hotelmate_rt.cli.reporters.triage import REPORTER as TRIAGE_REPORTER
from hotelmate_rt.contracts import load_contract
from hotelmate_rt.emitters import DeadEvent, DeadLetterFile
from hotelmate_rt.oncall import (
    DoctorOptions,
    DoctorReport,
    TriageOptions,
    TriageReport,
    run_doctor,
    run_triage,
)
from hotelmate_rt.testing.auth_server import AuthServer
from hotelmate_rt.testing.soketi import free_port
from tests.conftest import TEST_APP_ID, TEST_KEY, TEST_SECRET

ROOT = Path(__file__).resolve().parents[2]
CONTRACT_PATH = ROOT / "channels.yaml"
GUEST = "guest-token-snapshot-0002"
NORMALISE = [(re.compile(re.escape(str(ROOT))), "ROOT"),
             (re.compile(r"127\.0\.0\.1:\d+"), "127.0.0.1:PORT"), (re.compile(r"port=\d+"), "port=PORT"),
             (re.compile(r"\b\d+\.\d+ s\b"), "N s"), (re.compile(r"\b\d+ ms\b"), "N ms"),
             (re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC"), "DATE UTC"),
             (re.compile(r"/tmp/[^\s:|`)]+"), "TMP")]


def normalise(text: str) -> str:
    """Replace ports, durations, dates and temporary paths with stable placeholders."""
    for pattern, replacement in NORMALISE:
        text = pattern.sub(replacement, text)
    return text


def rendered(reporter: object, report: object, fmt: Format) -> str:
    """Render a report as a file would receive it (no colour, 120 columns), normalised."""
    buffer = io.StringIO()
    reporter.renderers[fmt](report, Sink(buffer, to_file=True))  # type: ignore[attr-defined]
    return normalise(buffer.getvalue())


@pytest.fixture(scope="module")
def doctor_report(tmp_path_factory: pytest.TempPathFactory) -> DoctorReport:
    """A doctor run with nothing listening, the real auth view and a mismatched frontend key."""
    front = tmp_path_factory.mktemp("front") / ".env"
    front.write_text("VITE_PUSHER_KEY=other-key\nVITE_PUSHER_HOST=127.0.0.1\n"
                     "VITE_BOOKING_CHANNEL=booking.{bookingId}\n")
    contract = load_contract(CONTRACT_PATH)
    tokens = {GUEST: Principal.guest("BK-2025-0002", "hotel-paradise", "101")}
    env = {"PUSHER_APP_ID": TEST_APP_ID, "PUSHER_KEY": TEST_KEY, "PUSHER_SECRET": TEST_SECRET,
           "PUSHER_HOST": "127.0.0.1", "PUSHER_PORT": str(free_port())}
    with AuthServer(contract, TEST_KEY, TEST_SECRET, tokens) as auth:
        return run_doctor(DoctorOptions(env=env, contract=CONTRACT_PATH, frontend_env=front,
                                        auth_endpoint=auth.url, guest_token=GUEST,
                                        booking_id="BK-2025-0002", step_timeout=1.0))


@pytest.fixture(scope="module")
def triage_report(tmp_path_factory: pytest.TempPathFactory) -> TriageReport:
    """A triage with no HTTP API credentials, a dead letter and a backend log."""
    folder = tmp_path_factory.mktemp("triage")
    dead = DeadLetterFile(folder / "dead.jsonl")
    dead.append(DeadEvent("booking_checked_in", ["private-booking-BK-2025-0006"], "{}",
                          "connection refused", None, 3, {"booking_id": "BK-2025-0006"},
                          failed_at=1_750_000_000.0))
    log = folder / "backend.log"
    log.write_text('2025-06-15 10:00:00 INFO hotelmate_rt.emit emit failed {"event": '
                   '"booking_checked_in", "channels": ["private-booking-BK-2025-0006"], '
                   '"error": "connection refused"}\n')
    return run_triage(TriageOptions(booking_id="BK-2025-0006", env={}, contract=CONTRACT_PATH,
                                    hotel_slug="hotel-paradise", dead_letter=dead.path,
                                    log_file=log))


def test_doctor_text(doctor_report: DoctorReport, snapshot: SnapshotAssertion) -> None:
    """The doctor's checklist as people read it."""
    assert rendered(DOCTOR_REPORTER, doctor_report, Format.TEXT) == snapshot


def test_doctor_markdown(doctor_report: DoctorReport, snapshot: SnapshotAssertion) -> None:
    """The doctor's Markdown for a ticket."""
    assert rendered(DOCTOR_REPORTER, doctor_report, Format.MARKDOWN) == snapshot


def test_triage_text(triage_report: TriageReport, snapshot: SnapshotAssertion) -> None:
    """The triage as support reads it: the verdict first."""
    assert rendered(TRIAGE_REPORTER, triage_report, Format.TEXT) == snapshot


def test_triage_markdown(triage_report: TriageReport, snapshot: SnapshotAssertion) -> None:
    """The triage's Markdown for a ticket."""
    assert rendered(TRIAGE_REPORTER, triage_report, Format.MARKDOWN) == snapshot


def test_format_option_and_its_aliases_choose_the_same_reporter() -> None:
    """`--format json` and `--json` write the same JSON; `--format markdown` is `--markdown`."""
    runner = CliRunner()
    args = ["doctor", "--contract", str(CONTRACT_PATH), "--budget", "1", "--timeout", "0.2"]
    env = {"PUSHER_KEY": TEST_KEY, "PUSHER_PORT": str(free_port())}
    by_format = runner.invoke(app, [*args, "--format", "json"], env=env)
    by_alias = runner.invoke(app, [*args, "--json"], env=env)
    assert by_format.exit_code == by_alias.exit_code == 1
    assert json.loads(by_format.stdout).keys() == json.loads(by_alias.stdout).keys()
    markdown = runner.invoke(app, [*args, "--format", "markdown"], env=env)
    assert markdown.stdout.startswith("## hotelmate-rt doctor: FAIL")
    wrong = runner.invoke(app, [*args, "--format", "jsn"], env=env)
    assert wrong.exit_code == 2 and "did you mean 'json'" in wrong.output
