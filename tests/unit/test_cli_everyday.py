"""Everyday and newcomer paths of the CLI: one contract option everywhere, one event shown with its
example, `emit --example`, a scan written to a file says so, "did you mean" for option values, and
every command the tools advise exists."""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import pytest
from syrupy.assertion import SnapshotAssertion
from typer.main import get_command
from typer.testing import CliRunner

from hotelmate_rt.cli.app import app
from hotelmate_rt.contracts import load_contract
from hotelmate_rt.contracts.examples import event_example
from tests.helpers import CONTRACT_PATH, ROOT, SCAN_FIXTURES, write_tree

CONTRACT = load_contract(CONTRACT_PATH)


def invoke(*args: str, cwd: Path | None = None, **env: str) -> tuple[int, str, str]:
    """Run `hotelmate-rt ARGS` in process (no PUSHER_* unless given); return code, out, err."""
    runner = CliRunner()
    clean = {"COLUMNS": "110", "CI": "true", "HOTELMATE_RT_CONTRACT": None, "PUSHER_URL": None,
             "PUSHER_APP_ID": None, "PUSHER_KEY": None, "PUSHER_SECRET": None, **env}
    if cwd is None:
        result = runner.invoke(app, list(args), env=clean)
    else:
        with pytest.MonkeyPatch.context() as patch:
            patch.chdir(cwd)
            result = runner.invoke(app, list(args), env=clean)
    assert "Traceback" not in result.stdout + result.stderr
    return result.exit_code, result.stdout, result.stderr


# -- one contract option -------------------------------------------------------------------------


@pytest.mark.parametrize("args", [["contract", "lint"], ["contract", "show"]])
def test_contract_lint_and_show_take_contract_like_every_command(args: list[str],
                                                                 tmp_path: Path) -> None:
    """`--contract PATH` and `-c PATH` work for lint and show, from any directory."""
    for flag in ("--contract", "-c"):
        code, out, err = invoke(*args, flag, str(CONTRACT_PATH), "--json", cwd=tmp_path)
        assert code == 0, err
        assert json.loads(out)


def test_two_different_contracts_are_refused_in_one_sentence(tmp_path: Path) -> None:
    """PATH and --contract naming different files: exit 2, asking for one."""
    other = tmp_path / "other.yaml"
    other.write_text(CONTRACT_PATH.read_text())
    code, _, err = invoke("contract", "lint", str(CONTRACT_PATH), "--contract", str(other))
    assert code == 2 and "two contracts given" in err


# -- contract show EVENT and emit --example -----------------------------------------------------


def test_contract_show_event_for_people(snapshot: SnapshotAssertion) -> None:
    """One event: description, channels, sensitive fields, schema, example, how to send it."""
    code, out, _ = invoke("contract", "show", "booking_checked_in", "-c", str(CONTRACT_PATH))
    assert code == 0
    assert out == snapshot


def test_contract_show_event_as_json_with_a_valid_example() -> None:
    """`--json` carries the schema and an example payload the contract accepts."""
    code, out, _ = invoke("contract", "show", "booking_checked_in", "--json",
                          "-c", str(CONTRACT_PATH))
    view = json.loads(out)
    event = CONTRACT.events["booking_checked_in"]
    assert code == 0 and view["schema"] == event.schema
    assert event.validator is not None and event.validator.is_valid(view["example"])
    assert view["send"] == ("hotelmate-rt emit booking_checked_in -p booking_id=BK-2025-0002 "
                            "-p hotel_slug=hotel-paradise -p room_number=101 --example")


def test_contract_show_resolves_an_alias_and_names_a_typo() -> None:
    """A deprecated name shows its replacement (and says so); a typo exits 2 with a guess."""
    code, out, _ = invoke("contract", "show", "room_assigned", "--json", "-c", str(CONTRACT_PATH))
    view = json.loads(out)
    assert code == 0 and view["event"] == "booking_room_assigned"
    assert view["problem"] == "event 'room_assigned' is a deprecated name; use booking_room_assigned"
    code, _, err = invoke("contract", "show", "booking_chekced_in", "-c", str(CONTRACT_PATH))
    assert code == 2 and "did you mean 'booking_checked_in'?" in err


def test_contract_show_still_reads_a_yaml_path() -> None:
    """`contract show PATH.yaml` (the old form) still shows the whole contract."""
    code, out, _ = invoke("contract", "show", str(CONTRACT_PATH), "--json")
    assert code == 0 and "channels" in json.loads(out)


def test_every_shipped_event_has_a_valid_example() -> None:
    """The one example builder gives a payload each event's schema accepts (envelopes too)."""
    for event in CONTRACT.events.values():
        example = event_example(CONTRACT, event)
        assert event.validator is not None and event.validator.is_valid(example), event.name
        if event.envelope is not None:
            for variant in event.envelope.variants:
                assert event.validator.is_valid(event_example(CONTRACT, event, variant))


def test_emit_example_sends_the_contract_example() -> None:
    """`emit EVENT --example` validates and routes the example payload (dry run)."""
    code, out, err = invoke("emit", "booking_checked_in", "-p", "booking_id=BK-2025-0002",
                            "-p", "hotel_slug=hotel-paradise", "-p", "room_number=101",
                            "--example", "--dry-run", "--json", "-c", str(CONTRACT_PATH))
    assert code == 0, err
    assert json.loads(out)["channels"] == ["private-booking-BK-2025-0002",
                                           "private-hotel-hotel-paradise-staff",
                                           "private-room-hotel-paradise-101"]


@pytest.mark.parametrize(("args", "words"), [
    (["booking_checked_in"], "give the payload with --data JSON (or @file.json), or --example"),
    (["booking_checked_in", "--example", "--data", "{}"], ", not both"),
    (["room_assigned", "--example"], "deprecated name; use booking_room_assigned"),
    (["booking_checked_in", "--example", "--target", "pushr"],
     "unknown --target 'pushr'\nhint: did you mean 'pusher'? use one of: pusher, soketi"),
])
def test_emit_payload_mistakes_exit_2_in_one_sentence(args: list[str], words: str) -> None:
    """No payload, two payloads, an alias, a mistyped target: exit 2 with one plain sentence."""
    code, _, err = invoke("emit", *args, "-p", "booking_id=BK-2025-0002", "-p",
                          "hotel_slug=hotel-paradise", "-p", "room_number=101", "--dry-run",
                          "-c", str(CONTRACT_PATH))
    assert code == 2 and words in err
    assert err.startswith("error: ") or err.startswith("Usage")


# -- scan --output ------------------------------------------------------------------------------


def test_scan_to_a_file_prints_a_one_line_summary(tmp_path: Path) -> None:
    """`scan --output FILE` writes the report there and says what it found on stderr."""
    tree = SCAN_FIXTURES / "seed000" / "correct"
    code, out, err = invoke("scan", str(tree), "-c", str(CONTRACT_PATH), "--format", "sarif",
                            "--output", str(tmp_path / "r.sarif"), "--fail-on", "error")
    assert code == 0 and out == ""
    assert json.loads((tmp_path / "r.sarif").read_text())["version"] == "2.1.0"
    assert re.fullmatch(r"ok: 0 error\(s\), \d+ warning\(s\) in \d+ file\(s\); sarif report "
                        r"written to .*r\.sarif \(--fail-on error\)\n", err)
    broken = write_tree(tmp_path / "src", {"a.py": "def f(pusher_client):\n"
                                                   "    pusher_client.trigger('hotel-x', 'nope', {})\n"})
    code, _, err = invoke("scan", str(broken), "-c", str(CONTRACT_PATH), "-o",
                          str(tmp_path / "r.txt"))
    assert code == 1 and err.startswith("FAIL: 1 error(s)")


# -- did you mean -------------------------------------------------------------------------------


@pytest.mark.parametrize(("args", "words"), [
    (["scan", ".", "--fail-on", "eror"], "unknown --fail-on 'eror'\nhint: did you mean 'error'?"),
    (["contract", "diff", "main:channels.yaml", "--fail-on", "warm"],
     "unknown --fail-on 'warm'\nhint: did you mean 'WARN'?"),
    (["contract", "lint", "--format", "jsn"], "unknown --format 'jsn'\nhint: did you mean 'json'?"),
])
def test_mistyped_option_values_get_a_did_you_mean(args: list[str], words: str) -> None:
    """The one helper (`choose_value`) names the closest value and every choice, exit 2."""
    code, _, err = invoke(*args, cwd=ROOT)
    assert code == 2 and words in err and "use one of:" in err


def test_option_values_are_matched_without_case() -> None:
    """`--fail-on warn` means WARN, `--format JSON` means json."""
    code, out, _ = invoke("contract", "lint", "--format", "JSON", "-c", str(CONTRACT_PATH))
    assert code == 0 and json.loads(out)


# -- every command the tools advise exists ------------------------------------------------------


def _advised_commands() -> set[str]:
    """Every `hotelmate-rt ...` command written in backticks in the package's messages (strings
    that are not docstrings), f-string fields read as {field}."""
    found: set[str] = set()
    for path in (ROOT / "hotelmate_rt").rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        docstrings = {id(node.body[0].value) for node in ast.walk(tree)
                      if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef)
                      and node.body and isinstance(node.body[0], ast.Expr)}
        for node in ast.walk(tree):
            if isinstance(node, ast.JoinedStr):
                text = "".join(str(part.value) if isinstance(part, ast.Constant) else "{field}"
                               for part in node.values)
            elif isinstance(node, ast.Constant) and isinstance(node.value, str) and \
                    id(node) not in docstrings:
                text = node.value
            else:
                continue
            found.update(re.findall(r"`(hotelmate-rt [^`]+)`", text))
    return found


def test_every_command_a_message_advises_exists() -> None:
    """`hotelmate-rt emit replay` (a triage hint) was no command: each advised one must parse."""
    root = get_command(app)
    advised = _advised_commands()
    assert "hotelmate-rt replay {field}" in advised  # triage's dead-letter hint
    for command in advised:
        words = command.split()[1:]
        node = root
        while hasattr(node, "commands") and words and not words[0].startswith(("-", "{")):
            sub = node.get_command(None, words[0])  # type: ignore[attr-defined]
            assert sub is not None, f"`{command}` names no command ({words[0]!r})"
            node, words = sub, words[1:]
        options = {o for p in node.params for o in getattr(p, "opts", [])}
        for word in words:
            if word.startswith("--"):
                assert word in options, f"`{command}`: {node.name} has no option {word}"
            else:  # an argument: a placeholder, not a word that reads like a subcommand
                assert word.startswith("{") or word.isupper(), \
                    f"`{command}`: {node.name} has no subcommand {word!r}"


def test_a_refusal_without_a_status_does_not_print_none() -> None:
    """An auth endpoint that never answered has no HTTP status: the line says so without 'None'."""
    from hotelmate_rt.cli.reporters.probe import describe
    from hotelmate_rt.probes import SubscriptionFailed

    unreachable = describe(SubscriptionFailed(channel="private-booking-BK-2025-0002",
                                              source="auth-endpoint", reason="unreachable",
                                              meaning="could not reach the auth endpoint", at=0))
    assert "None" not in unreachable
    assert "no answer from the auth endpoint (unreachable); could not reach" in unreachable
    refused = describe(SubscriptionFailed(channel="x", source="server", status=4009, at=0))
    assert "by server (status 4009)" in refused


def test_an_unreachable_auth_endpoint_is_not_called_a_refusal() -> None:
    """Nobody refused a channel whose auth endpoint never answered: each line, the folded line of
    a many-channel session and the summary say 'not subscribed: no answer', never 'refused'."""
    import io

    from hotelmate_rt.cli.output import Sink
    from hotelmate_rt.cli.reporters.probe import TextRenderer
    from hotelmate_rt.probes import ProbeSummary, SubscriptionFailed

    def failure(name: str, reason: str, status: int | None = None) -> SubscriptionFailed:
        return SubscriptionFailed(channel=name, source="auth-endpoint", status=status,
                                  reason=reason, meaning="gave up after 300 s of retries", at=0)

    for count in (1, 20):  # one line per channel, then folded per template
        out = io.StringIO()
        renderer = TextRenderer(Sink(out, to_file=True))
        names = [f"private-booking-BK-2025-{n:04d}" for n in range(count)]
        summary = ProbeSummary()
        renderer.begin("guest", [(n, "guest-booking") for n in names], summary)
        for name in names:
            renderer.show(failure(name, "timeout" if name.endswith("1") else "unreachable"))
            summary.refused[name] = "timeout" if name.endswith("1") else "unreachable"
        renderer.end(summary, None)
        text = out.getvalue()
        assert "refused" not in text, text
        assert "not subscribed" in text and "no answer from the auth endpoint" in text
        assert f"{count} channel(s) not subscribed: no answer" in text
        assert f"{count} channel(s) not subscribed: no answer" in summary.problems
        assert not any("refused" in p for p in summary.problems)
    out = io.StringIO()
    renderer = TextRenderer(Sink(out, to_file=True))
    summary = ProbeSummary()
    renderer.begin("guest", [("private-x", None)], summary)
    renderer.show(failure("private-x", "forbidden", 403))
    summary.refused["private-x"] = "forbidden"
    renderer.end(summary, None)
    assert "subscription refused private-x by auth-endpoint (status 403)" in out.getvalue()
    assert "1 channel(s) refused" in out.getvalue()
