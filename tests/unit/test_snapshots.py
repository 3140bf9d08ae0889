"""Snapshots of what people read: contract lint/show, scan, check, emit, replay and listen.

Each test renders the human (text) output of a command on fixed input and compares it with the
snapshot in `__snapshots__/` (syrupy; `pytest --snapshot-update` rewrites them after a change
that a reviewer should then read). Times, ports, temp paths and durations are normalised.
"""

from __future__ import annotations

import io
import json
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from syrupy.assertion import SnapshotAssertion
from typer.testing import CliRunner

from hotelmate_rt.cli.app import app
from hotelmate_rt.cli.output import Format, Sink
from hotelmate_rt.cli.reporters.probe import REPORTER as PROBE_STREAM
from hotelmate_rt.contracts import Contract, judge
from hotelmate_rt.emitters import DeadEvent, DeadLetterFile
from hotelmate_rt.probes import (
    FrameProblem,
    Gap,
    Judged,
    Note,
    ProbeSummary,
    PusherError,
    StateChanged,
    Subscribed,
    SubscriptionFailed,
)
from hotelmate_rt.testing.scripted_server import ScriptedPusherServer
from tests.helpers import CHECKED_IN, CONTRACT_PATH, COVERAGE_OFF, SCAN_FIXTURES, UPDATED

_NORMALISE = [
    (re.compile(r"\b\d{2}:\d{2}:\d{2}(\.\d{3})?\b"), "HH:MM:SS"),
    (re.compile(r"127\.0\.0\.1:\d+"), "127.0.0.1:PORT"),
    (re.compile(r"\b\d+\.\d{2}s\b"), "N.NNs"),
]


def normalise(text: str, *paths: Path) -> str:
    """Replace what changes from run to run: temp paths, clock times, ports, durations."""
    for path in paths:
        text = text.replace(str(path), "<tmp>")
    for pattern, replacement in _NORMALISE:
        text = pattern.sub(replacement, text)
    return text


@pytest.fixture
def cli() -> CliRunner:
    """An in-process runner with a fixed terminal width and no progress bar."""
    return CliRunner()


def invoke(cli: CliRunner, *args: str, **env: str) -> tuple[int, str, str]:
    """Run `hotelmate-rt ARGS` and return (exit code, stdout, stderr)."""
    result = cli.invoke(app, list(args), env={"COLUMNS": "110", "CI": "true", **env})
    return result.exit_code, result.stdout, result.stderr


def test_contract_lint_clean(cli: CliRunner, snapshot: SnapshotAssertion) -> None:
    """`contract lint` on the shipped contract: one ok line with its counts."""
    code, out, _ = invoke(cli, "contract", "lint", str(CONTRACT_PATH))
    assert code == 0
    assert normalise(out, CONTRACT_PATH.parent) == snapshot


def test_contract_lint_findings(cli: CliRunner, tmp_path: Path,
                                snapshot: SnapshotAssertion) -> None:
    """`contract lint` on a contract broken three ways: a located line per finding and a count."""
    text = CONTRACT_PATH.read_text(encoding="utf-8")
    text = text.replace("  offer-deleted:\n    channels: [hotel-public]",
                        "  offer-deleted:\n    channels: [hotel-pub]")
    text = text.replace("        to: NO_SHOW", "        to: NOSHOW")
    text = text.replace("'private-room-{hotel_slug}-{room_number}'",
                        "'private-room-{hotel_slug}-{room_no}'")
    path = tmp_path / "channels.yaml"
    path.write_text(text, encoding="utf-8")
    code, out, _ = invoke(cli, "contract", "lint", str(path))
    assert code == 1
    assert normalise(out, tmp_path) == snapshot


def test_contract_show(cli: CliRunner, snapshot: SnapshotAssertion) -> None:
    """`contract show`: channels, events, aliases and status machines as tables."""
    code, out, _ = invoke(cli, "contract", "show", str(CONTRACT_PATH))
    assert code == 0
    assert normalise(out, CONTRACT_PATH.parent) == snapshot


@pytest.mark.parametrize("tree", ["seed000/wrong", "seed001/wrong"])
def test_scan_text(cli: CliRunner, tree: str, tmp_path: Path,
                   snapshot: SnapshotAssertion) -> None:
    """`scan` for people: findings grouped by file with fixes, then the summary and verdict."""
    root = SCAN_FIXTURES / tree
    config = tmp_path / "pyproject.toml"
    config.write_text("[tool.hotelmate-rt.severity]\n"
                      + "".join(f'{rule} = "off"\n' for rule in COVERAGE_OFF), encoding="utf-8")
    code, out, _ = invoke(cli, "scan", str(root), "-c", str(CONTRACT_PATH), "--root", str(root),
                          "--config", str(config))
    assert code == 1
    assert normalise(out, root) == snapshot


def test_scan_without_contract_text(cli: CliRunner, tmp_path: Path,
                                   monkeypatch: pytest.MonkeyPatch,
                                   snapshot: SnapshotAssertion) -> None:
    """`scan --backend --frontend` with no contract: drift with both sides (`see:`), privacy, notes."""
    shutil.copytree(SCAN_FIXTURES / "grown", tmp_path / "app")
    monkeypatch.chdir(tmp_path)
    code, out, err = invoke(cli, "scan", "--backend", "app/backend", "--frontend", "app/frontend")
    assert code == 1
    assert "no contract found" in err
    assert normalise(out, tmp_path) == snapshot


def test_contract_infer_text(cli: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                             snapshot: SnapshotAssertion) -> None:
    """`contract infer`: the commented YAML draft on stdout, exposures and aliases on stderr."""
    shutil.copytree(SCAN_FIXTURES / "grown", tmp_path / "app")
    monkeypatch.chdir(tmp_path)
    code, out, err = invoke(cli, "contract", "infer", "app")
    assert code == 1
    assert normalise(out, tmp_path) == snapshot(name="yaml")
    assert normalise(err, tmp_path) == snapshot(name="findings")


def test_check_text(cli: CliRunner, tmp_path: Path, snapshot: SnapshotAssertion) -> None:
    """`check` for people: each event that does not conform, unreadable lines, the totals."""
    lines = [
        {"channel": "private-booking-BK-2025-0002", "event": "booking_checked_in",
         "data": json.dumps(CHECKED_IN)},
        {"channel": "booking.BK-2025-0002", "event": "booking_checked_in",
         "data": json.dumps({**CHECKED_IN, "guest_token": "t"})},
        {"channel": "private-hotel-paradise-room-101-chat", "event": "message-received",
         "data": "{not json"},
    ]
    recording = tmp_path / "events.jsonl"
    recording.write_text("\n".join(json.dumps(line) for line in lines) + "\n[oops\n",
                         encoding="utf-8")
    code, out, _ = invoke(cli, "check", str(recording), "-c", str(CONTRACT_PATH))
    assert code == 2
    assert normalise(out, tmp_path) == snapshot


def test_emit_dry_run_and_refusal(cli: CliRunner, snapshot: SnapshotAssertion) -> None:
    """`emit --dry-run` lists the channels; a refusal says why on stderr and sends nothing."""
    args = ("emit", "booking_updated", "-p", "hotel_slug=hotel-paradise", "-c",
            str(CONTRACT_PATH), "--dry-run", "--data")
    code, valid, _ = invoke(cli, *args, json.dumps(UPDATED))
    assert code == 0
    code, _, refused = invoke(cli, *args, json.dumps({"booking_id": "BK-2025-0002",
                                                      "colour": "red"}))
    assert code == 1
    assert {"valid": valid, "refused": refused} == snapshot


@pytest.fixture
def server() -> Iterator[ScriptedPusherServer]:
    """A scripted Pusher HTTP API on 127.0.0.1."""
    with ScriptedPusherServer() as running:
        yield running


def test_emit_sent_and_replay(cli: CliRunner, server: ScriptedPusherServer, tmp_path: Path,
                              snapshot: SnapshotAssertion) -> None:
    """`emit` reports where the event went; `replay` counts what was resent and what remains."""
    env = {"PUSHER_URL": f"http://app-key:app-secret@127.0.0.1:{server.port}/apps/4242"}
    code, sent, _ = invoke(cli, "emit", "booking_updated", "-p", "hotel_slug=hotel-paradise",
                           "-c", str(CONTRACT_PATH), "--data", json.dumps(UPDATED), **env)
    assert code == 0
    dead = DeadLetterFile(tmp_path / "dead.jsonl")
    for booking in ("BK-2025-0001", "BK-2025-0002"):
        dead.append(DeadEvent("booking_updated", ["private-booking-" + booking],
                              json.dumps({**UPDATED, "booking_id": booking}), "HTTP 503", 503,
                              3, {"booking_id": booking}))
    server.script = [200, 400]
    code, replayed, _ = invoke(cli, "replay", str(dead.path), "-c", str(CONTRACT_PATH), **env)
    assert code == 1
    assert {"sent": sent, "replay": normalise(replayed, tmp_path)} == snapshot


def test_replay_text_of_a_database_and_of_a_stranded_file(snapshot: SnapshotAssertion) -> None:
    """`replay --database` names rows still dead by outbox id; a file replay names the claim it
    picked up and the lines it set aside."""
    from hotelmate_rt.cli.reporters.replay import REPORTER as REPLAY
    from hotelmate_rt.emitters import ReplayReport
    from hotelmate_rt.emitters.deadletter import BadLine

    dead = DeadEvent("booking_updated", ["private-booking-BK-2025-0002"], "{}", "HTTP 503", 503,
                     3, {"booking_id": "BK-2025-0002"}, ref="outbox:7")
    database = ReplayReport("database:default", resent=[dead], remaining=[dead])
    stranded = ReplayReport("dead.jsonl", recovered=["dead.jsonl.replaying-4242"],
                            rejected=[BadLine("dead.jsonl.replaying-4242", 3, "not a JSON object",
                                              "[1]")])
    out = {}
    for name, report in (("database", database), ("stranded", stranded)):
        buffer = io.StringIO()
        REPLAY.renderers[Format.TEXT](report, Sink(buffer, to_file=True))
        out[name] = buffer.getvalue()
    assert out == snapshot


def test_listen_text(contract: Contract, snapshot: SnapshotAssertion) -> None:
    """The listen/record stream for people: connection, subscriptions, verdicts, a summary."""
    stream = io.StringIO()
    renderer = PROBE_STREAM.renderers[Format.TEXT](Sink(stream))
    booking = "private-booking-BK-2025-0002"
    summary = ProbeSummary(until="booking_checked_out")
    renderer.begin("guest", [(booking, "guest-booking"), ("hotel-hotel-paradise", "hotel-public")],
                   summary)
    at = 1_700_000_000.25
    gap = Gap(disconnected_at=at, reconnected_at=at + 2.5, reason="connection lost", at=at)
    events = [
        StateChanged(state="connected", previous="connecting", socket_id="123.456",
                     activity_timeout=120, at=at),
        Subscribed(channel=booking, channel_id="guest-booking", at=at),
        SubscriptionFailed(channel="private-booking-BK-2025-0003", source="auth endpoint",
                           status=403, reason="not your booking",
                           meaning="the backend refused this guest", at=at),
        Judged(seq=1, channel=booking, event="booking_checked_in", data=json.dumps(CHECKED_IN),
               verdict=judge(contract, booking, "booking_checked_in", json.dumps(CHECKED_IN)),
               at=at),
        Judged(seq=2, channel="hotel-hotel-paradise", event="offer-created",
               data='{"offer": {"id": 1, "email": "a@b.c"}, "action": "made"}',
               verdict=judge(contract, "hotel-hotel-paradise", "offer-created",
                             '{"offer": {"id": 1, "email": "a@b.c"}, "action": "made"}'),
               at=at),
        PusherError(code=4200, message="Please reconnect immediately", at=at),
        gap,
        Note(message="[bold]markup[/] in a note is shown as text", at=at),
    ]
    for event in events:
        renderer.show(event)
    summary.events, summary.violations = 2, 1
    summary.kinds.update({"conforms": 1, "schema-violation": 1, "sensitive-exposed": 1})
    summary.stopped = "timeout"
    summary.gaps.append(gap)
    summary.subscribed.append(booking)
    summary.refused["private-booking-BK-2025-0003"] = "not your booking"
    renderer.end(summary, "/recordings/events.jsonl")
    assert normalise(stream.getvalue()) == snapshot


def test_listen_text_on_a_thousand_channels(contract: Contract,
                                            snapshot: SnapshotAssertion) -> None:
    """A thousand channels read per channel template: counts, not a line per channel."""
    stream = io.StringIO()
    renderer = PROBE_STREAM.renderers[Format.TEXT](Sink(stream))
    renderer.show_data = True
    rooms = [(f"private-room-hotel-paradise-{n}", "room") for n in range(100, 1100)]
    channels = [*rooms, ("hotel-hotel-paradise", "hotel-public")]
    summary = ProbeSummary()
    renderer.begin("staff", channels, summary)
    at = 1_700_000_000.25
    renderer.show(StateChanged(state="connected", previous="connecting", socket_id="1.2",
                               activity_timeout=120, at=at))
    for name, channel_id in channels[:-3]:
        renderer.show(Subscribed(channel=name, channel_id=channel_id, at=at))
    for name, _ in channels[-3:-1]:
        renderer.show(SubscriptionFailed(channel=name, source="auth-endpoint", status=403,
                                         reason="not your hotel", meaning="refused", at=at))
    data = '{"offer": {"id": 1, "title": "Spa", "price": "1.00", "is_active": true}, ' \
           '"action": "created"}'
    renderer.show(Judged(seq=1, channel="hotel-hotel-paradise", event="offer-created", data=data,
                         verdict=judge(contract, "hotel-hotel-paradise", "offer-created", data),
                         at=at))
    renderer.show(FrameProblem(kind="unsubscribed-channel", channel="hotel-elsewhere",
                               event="offer-created", at=at,
                               message="server sent 'offer-created' on 'hotel-elsewhere', a "
                                       "channel this probe did not subscribe to"))
    summary.subscribed.extend(name for name, _ in channels[:-3])
    summary.refused.update({name: "not your hotel" for name, _ in channels[-3:-1]})
    summary.events = 1
    summary.kinds.update({"conforms": 1})
    summary.per_channel.update({"hotel-public": 1})
    summary.frame_problems.update({"unsubscribed-channel": 1})
    summary.stopped = "interrupted"
    renderer.end(summary, None)
    assert normalise(stream.getvalue()) == snapshot
