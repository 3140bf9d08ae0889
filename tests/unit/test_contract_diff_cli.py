"""`hotelmate-rt contract diff`: git revisions, malformed sides, formats, policy, --scan, snapshots."""

from __future__ import annotations

import io
import json
import re
import subprocess
import sys
from pathlib import Path
from xml.etree import ElementTree

import pytest

from hotelmate_rt.cli.output import Sink
from hotelmate_rt.cli.reporters.diff import render_markdown, render_text
from hotelmate_rt.contracts import load_contract_text
from hotelmate_rt.contracts.diff import (
    Acceptance,
    DiffCheck,
    DiffPolicy,
    Level,
    apply_policy,
    attach_send_sites,
    diff_contracts,
    load_acceptances,
)
from hotelmate_rt.errors import ConfigError

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = (ROOT / "channels.yaml").read_text()
# A frozen copy for the snapshots, so that editing channels.yaml does not move their line numbers.
FROZEN = (ROOT / "tests" / "fixtures" / "diff" / "channels-v1.yaml").read_text()


def edited(text: str) -> str:
    """Make one ERR (type change), one WARN (enum value added), one INFO (required field added)."""
    return (text
            .replace("message_id: {type: integer}", "message_id: {type: string}")
            .replace("status: {enum: [delivered, read]}",
                     "status: {enum: [delivered, read, failed]}")
            .replace("      required: [booking_id, status, declined_at]\n",
                     "      required: [booking_id, status, declined_at, declined_by]\n")
            .replace("        declined_at: {type: string, format: date-time}\n",
                     "        declined_at: {type: string, format: date-time}\n"
                     "        declined_by: {type: string}\n"))


EDITED = edited(SHIPPED)


def run(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    """Run the real CLI in a subprocess, as a user or CI job would."""
    return subprocess.run([sys.executable, "-m", "hotelmate_rt", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=120)


def git(cwd: Path, *args: str) -> None:
    """Run a git command in a temporary repository (bounded in time)."""
    subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@example.com",
                    "-c", "commit.gpgsign=false", *args], cwd=cwd, check=True,
                   capture_output=True, timeout=30)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A git repository whose `main` has the shipped contract and HEAD the edited one."""
    git(tmp_path, "init", "-q", "-b", "main")
    (tmp_path / "channels.yaml").write_text(SHIPPED)
    git(tmp_path, "add", "channels.yaml")
    git(tmp_path, "commit", "-q", "-m", "contract")
    git(tmp_path, "checkout", "-q", "-b", "feature")
    (tmp_path / "channels.yaml").write_text(EDITED)
    git(tmp_path, "commit", "-q", "-am", "edit")
    return tmp_path


def test_git_revisions_in_a_temporary_repository(repo: Path) -> None:
    """REV:PATH, a bare revision (against the work tree) and a branch name all work."""
    spelled = run("contract", "diff", "main:channels.yaml", "HEAD:channels.yaml", "--json", cwd=repo)
    assert spelled.returncode == 1, spelled.stderr
    data = json.loads(spelled.stdout)
    assert (data["old"], data["new"]) == ("main:channels.yaml", "HEAD:channels.yaml")
    assert data["summary"] == {"ERR": 1, "WARN": 1, "INFO": 1, "accepted": 0}
    assert data["changes"][0]["old"]["file"] == "main:channels.yaml"
    bare = run("contract", "diff", "HEAD~1", "--json", cwd=repo)
    assert bare.returncode == 1, bare.stderr
    assert json.loads(bare.stdout)["old"] == "HEAD~1:channels.yaml"
    same = run("contract", "diff", "HEAD", cwd=repo)
    assert same.returncode == 0 and "no changes" in same.stdout


def test_unknown_revision_or_missing_path_exits_2(repo: Path) -> None:
    """A side that is neither a file nor a revision, or a path git lacks, exits 2 with one line each."""
    nothing = run("contract", "diff", "no-such-branch", cwd=repo)
    assert nothing.returncode == 2
    assert "neither a contract file nor a git revision" in nothing.stderr
    missing = run("contract", "diff", "main:nope.yaml", cwd=repo)
    assert missing.returncode == 2 and "git cannot read main:nope.yaml" in missing.stderr
    assert "Traceback" not in nothing.stderr + missing.stderr


@pytest.mark.parametrize("side", ["old", "new"])
def test_malformed_side_exits_2_with_file_and_line(tmp_path: Path, side: str) -> None:
    """A malformed OLD or NEW exits 2 naming file:line:column and the problem."""
    bad = tmp_path / "bad.yaml"
    bad.write_text(SHIPPED.replace("\nevents:\n", "\nevnts:\n"))
    good = tmp_path / "good.yaml"
    good.write_text(SHIPPED)
    args = (str(bad), str(good)) if side == "old" else (str(good), str(bad))
    result = run("contract", "diff", *args)
    assert result.returncode == 2
    line = SHIPPED.splitlines().index("events:") + 1
    assert f"{bad}:{line}:1: unknown key 'evnts'" in result.stderr
    assert "Traceback" not in result.stderr


def test_malformed_side_from_git_names_the_revision(repo: Path) -> None:
    """A broken contract at a revision is located as REV:PATH:line:column."""
    (repo / "channels.yaml").write_text("version: 1\nchannels: [unclosed\n")
    git(repo, "commit", "-q", "-am", "broken")
    result = run("contract", "diff", "HEAD:channels.yaml", "main:channels.yaml", cwd=repo)
    assert result.returncode == 2
    assert re.search(r"HEAD:channels\.yaml:3:1: invalid YAML", result.stderr), result.stderr


def _files(tmp_path: Path) -> tuple[Path, Path]:
    """Write the shipped and edited contracts into a directory."""
    old, new = tmp_path / "old.yaml", tmp_path / "new.yaml"
    old.write_text(SHIPPED)
    new.write_text(EDITED)
    return old, new


def test_fail_on_levels_and_machine_formats(tmp_path: Path) -> None:
    """--fail-on moves the threshold; json, junit and github output parse and agree."""
    old, new = _files(tmp_path)
    info_only = SHIPPED.replace("        reason: {type: string}\n        refund_status",
                                "        reason: {type: string}\n        note: {type: string}\n"
                                "        refund_status")
    (tmp_path / "info.yaml").write_text(info_only)
    assert run("contract", "diff", str(old), str(tmp_path / "info.yaml")).returncode == 0
    assert run("contract", "diff", str(old), str(tmp_path / "info.yaml"),
               "--fail-on", "INFO").returncode == 1
    assert run("contract", "diff", str(old), str(new), "--fail-on", "nope").returncode == 2
    junit = run("contract", "diff", str(old), str(new), "-f", "junit", "--fail-on", "WARN")
    suites = ElementTree.fromstring(junit.stdout)
    assert suites.get("tests") == "3" and suites.get("failures") == "2"
    github = run("contract", "diff", str(old), str(new), "-f", "github", cwd=tmp_path)
    lines = github.stdout.splitlines()
    assert lines[0].startswith(f"::error file={new},line=")
    assert "title=ERR payload-type-changed::message-delivered: `$.message_id` type changed" in lines[0]
    assert any(line.startswith("::warning ") for line in lines)
    assert lines[-1].startswith("::notice title=contract diff::1 ERR, 1 WARN, 1 INFO")


def test_pyproject_overrides_and_accepted_changes(tmp_path: Path) -> None:
    """Level overrides, an accepted change and misspelt check ids behave as configured."""
    old, new = _files(tmp_path)
    accepted = tmp_path / "accepted.yaml"
    accepted.write_text("accepted:\n  - check: payload-type-changed\n"
                        "    subject: message-delivered $.message_id\n"
                        "    reason: the frontend never reads message_id\n")
    (tmp_path / "pyproject.toml").write_text(
        '[tool.hotelmate-rt.diff]\naccepted-changes = "accepted.yaml"\n'
        '[tool.hotelmate-rt.diff.levels]\npayload-required-field-added = "ERR"\n')
    result = run("contract", "diff", str(old), str(new), "--json", cwd=tmp_path)
    data = json.loads(result.stdout)
    assert result.returncode == 1  # the override turned the new required field into an ERR
    levels = {c["check"]: (c["level"], c["accepted"]) for c in data["changes"]}
    assert levels["payload-type-changed"] == ("ERR", "the frontend never reads message_id")
    assert levels["payload-required-field-added"] == ("ERR", None)
    (tmp_path / "pyproject.toml").write_text(
        '[tool.hotelmate-rt.diff]\naccepted-changes = "accepted.yaml"\n')
    assert run("contract", "diff", str(old), str(new), cwd=tmp_path).returncode == 0
    (tmp_path / "pyproject.toml").write_text(
        '[tool.hotelmate-rt.diff.levels]\npayload-enum-valu-added = "ERR"\n')
    typo = run("contract", "diff", str(old), str(new), cwd=tmp_path)
    assert typo.returncode == 2
    assert "did you mean 'payload-enum-value-added'?" in typo.stderr
    accepted.write_text("accepted:\n  - {check: payload-type-chnged, subject: x, reason: y}\n")
    (tmp_path / "pyproject.toml").write_text(
        '[tool.hotelmate-rt.diff]\naccepted-changes = "accepted.yaml"\n')
    typo = run("contract", "diff", str(old), str(new), cwd=tmp_path)
    assert typo.returncode == 2 and "did you mean 'payload-type-changed'?" in typo.stderr


def test_expired_acceptance_fails_again_and_is_reported() -> None:
    """An acceptance past its `until` date no longer accepts, and the report says so."""
    import datetime

    result = diff_contracts(load_contract_text(SHIPPED, "old.yaml"),
                            load_contract_text(EDITED, "new.yaml"))
    policy = DiffPolicy(accepted=[Acceptance(DiffCheck.TYPE_CHANGED,
                                             "message-delivered $.message_id", "ok",
                                             datetime.date(2025, 1, 1))])
    apply_policy(result, policy, datetime.date(2026, 1, 1))
    assert not result.ok
    assert result.unused_acceptances == [
        "payload-type-changed message-delivered $.message_id (expired 2025-01-01)"]


def test_acceptances_file_errors_are_config_errors(tmp_path: Path) -> None:
    """A malformed accepted-changes file is a ConfigError naming the file and entry."""
    path = tmp_path / "a.yaml"
    path.write_text("accepted:\n  - {check: payload-type-changed}\n")
    with pytest.raises(ConfigError, match="accepted change 1: give check, subject and reason"):
        load_acceptances(path)


def test_scan_points_at_the_send_sites_of_a_new_required_field(tmp_path: Path) -> None:
    """--scan lists the backend sites that send the event whose payload gained a required field."""
    old, new = _files(tmp_path)
    backend = tmp_path / "backend"
    backend.mkdir()
    (backend / "views.py").write_text(
        "import pusher\n\npusher_client = pusher.Pusher(app_id='1', key='k', secret='s')\n\n\n"
        "def decline(booking):\n"
        "    pusher_client.trigger('private-booking-BK-2025-0002', 'booking_declined',\n"
        "                          {'booking_id': booking.id, 'status': 'DECLINED',\n"
        "                           'declined_at': booking.at})\n")
    result = run("contract", "diff", str(old), str(new), "--scan", "backend", "--json",
                 cwd=tmp_path)
    change = next(c for c in json.loads(result.stdout)["changes"]
                  if c["check"] == "payload-required-field-added")
    assert change["notes"] == ["backend send sites that must now set `$.declined_by`: "
                               "backend/views.py:7"]
    without = run("contract", "diff", str(old), str(new), "--json", cwd=tmp_path)
    change = next(c for c in json.loads(without.stdout)["changes"]
                  if c["check"] == "payload-required-field-added")
    assert "run with --scan PATH" in change["notes"][0]


def _sample_result() -> object:
    """A diff with every level, a note, an accepted change and an unused acceptance."""
    import datetime

    result = diff_contracts(load_contract_text(FROZEN, "main:channels.yaml"),
                            load_contract_text(edited(FROZEN), "channels.yaml"),
                            old_label="main:channels.yaml", new_label="channels.yaml")
    policy = DiffPolicy(fail_on=Level.ERR, accepted=[
        Acceptance(DiffCheck.ENUM_VALUE_ADDED, "message-delivered $.status", "apps >= 2.3 "
                   "handle failed receipts"),
        Acceptance(DiffCheck.EVENT_REMOVED, "event offers-updated", "gone")])
    apply_policy(result, policy, datetime.date(2026, 1, 1))
    attach_send_sites(result, {"booking_declined": ["backend/views.py:7", "backend/jobs.py:31"]})
    return result


def _render(render: object) -> str:
    """Render the sample result with a reporter function into text (no colour)."""
    buffer = io.StringIO()
    render(_sample_result(), Sink(buffer, to_file=True))  # type: ignore[operator]
    return buffer.getvalue()


def test_text_report_snapshot(snapshot: object) -> None:
    """The text report people read: grouped, both locations, notes, acceptance, verdict."""
    assert _render(render_text) == snapshot


def test_markdown_report_snapshot(snapshot: object) -> None:
    """The PR comment: verdict, counts, failing table, the rest folded away."""
    assert _render(render_markdown) == snapshot
