"""`hotelmate-rt emit` and `hotelmate-rt replay`: send one contract-checked event; resend dead letters."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from .common import ContractOption, ExitCode, fail, load
from .output import Format, JsonOption, choose_format, choose_value, format_option

if TYPE_CHECKING:
    from hotelmate_rt.contracts import Contract
    from hotelmate_rt.emitters import PusherTransport, RetryPolicy

FORMATS = (Format.TEXT, Format.JSON)
FORMAT_OPTION = format_option(FORMATS)
TIMEOUT_OPTION = typer.Option(5.0, "--timeout", help="HTTP timeout per attempt, seconds.")


def _quiet_library_log() -> None:
    """Keep the library's structured log lines off the terminal (the CLI reports outcomes)."""
    import logging

    logging.getLogger("hotelmate_rt.emit").addHandler(logging.NullHandler())


def _parse_params(pairs: list[str]) -> dict[str, str]:
    """Turn `k=v` strings into a dict, failing (exit 2) on a malformed one."""
    params: dict[str, str] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name.strip():
            fail(f"--param {pair!r} is not NAME=VALUE", hint="e.g. --param hotel_slug=hotel-paradise")
        params[name.strip()] = value
    return params


def _parse_data(text: str | None) -> Any:
    """Read the payload from inline JSON or `@file`, failing (exit 2) with the JSON error."""
    source = "--data"
    assert text is not None
    if text.startswith("@"):
        path = Path(text[1:])
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            fail(f"cannot read {path}: {exc.strerror}")
        source = str(path)
    try:
        return json.loads(text)
    except ValueError as exc:
        fail(f"{source} is not JSON: {exc}")


def _example(contract: Contract, event: str) -> Any:
    """Build the contract's example payload for an event (exit 2 naming the right event)."""
    from hotelmate_rt.contracts import resolve_event
    from hotelmate_rt.contracts.examples import event_example

    name = resolve_event(contract, event)
    if name.event is None or name.problem:
        fail(name.problem or f"event {event!r} is not in the contract",
             hint="`hotelmate-rt contract show` lists every event")
    return event_example(contract, name.event)


def _transport(timeout: float) -> PusherTransport:
    """Build the transport to the server in PUSHER_URL / PUSHER_* (exit 2 saying what is missing)."""
    from hotelmate_rt.emitters import PusherTransport
    from hotelmate_rt.errors import ConfigError

    try:
        return PusherTransport.from_env(timeout=timeout)
    except ConfigError as exc:
        fail(str(exc), hint="e.g. PUSHER_URL=http://KEY:SECRET@127.0.0.1:6001/apps/APP_ID")


def _retry(timeout: float) -> RetryPolicy:
    """The CLI's sends: three attempts within three timeouts."""
    from hotelmate_rt.emitters import RetryPolicy

    return RetryPolicy(attempts=3, deadline=timeout * 3)


def emit_command(
    event: str = typer.Argument(..., help="Event name from the contract, e.g. booking_checked_in."),
    param: list[str] = typer.Option([], "--param", "-p",
                                    help="Channel parameter NAME=VALUE (repeatable)."),
    data: str | None = typer.Option(None, "--data", "-d", help="Payload as JSON, or @file.json."),
    example: bool = typer.Option(False, "--example",
                                 help="Send the contract's example payload instead of --data "
                                      "(`contract show EVENT` shows it)."),
    only: list[str] = typer.Option([], "--only", help="Send only to this channel id (repeatable)."),
    target: str | None = typer.Option(None, "--target", help="Payload-limit target (contract)."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Validate and show channels; send nothing."),
    timeout: float = TIMEOUT_OPTION,
    contract_path: Path | None = ContractOption,
    output_format: str = FORMAT_OPTION,
    as_json: bool = JsonOption,
) -> None:
    """Send one contract-checked event to the server in PUSHER_URL / PUSHER_* (exit 1 if refused)."""
    from hotelmate_rt.emitters import Emitter, RecordingTransport
    from hotelmate_rt.errors import DeliveryError, PayloadRejected

    from .reporters.emit import REPORTER, EmitReport

    fmt = choose_format(output_format, as_json, REPORTER.formats)
    if example == (data is not None):
        fail("give the payload with --data JSON (or @file.json), or --example for the "
             "contract's example payload" + (", not both" if example else ""))
    _quiet_library_log()
    contract = load(contract_path, json_errors=fmt is Format.JSON)
    if target is not None:
        target = choose_value(target, list(contract.targets), "--target")
    params = _parse_params(param)
    payload = _example(contract, event) if example else _parse_data(data)
    transport: Any = RecordingTransport() if dry_run else _transport(timeout)
    emitter = Emitter(contract, transport, target=target, strict=True, dead_letter=False,
                      defer=False, retry=_retry(timeout))
    report: EmitReport
    code = ExitCode.OK
    try:
        prepared = emitter.prepare(event, payload, only=tuple(only), **params)
        if dry_run:
            report = {"ok": True, "event": event, "outcome": "valid", "dry_run": True,
                      "channels": list(prepared.channels),
                      "bytes": len(prepared.data.encode("utf-8"))}
        else:
            report = {"ok": True, **emitter.emit(event, payload, only=tuple(only),
                                                 **params).to_dict()}
    except PayloadRejected as exc:
        code = ExitCode.FINDINGS
        report = {"ok": False, "event": event, "outcome": "refused",
                  "findings": [f.to_dict() for f in exc.findings]}  # type: ignore[attr-defined]
    except DeliveryError as exc:
        code = ExitCode.USAGE
        report = {"ok": False, "event": event, "outcome": "failed", "error": str(exc),
                  "server": transport.target_url}
    finally:
        emitter.close()
    REPORTER.write(report, fmt)
    raise typer.Exit(int(code))


def replay_command(
    path: Path | None = typer.Argument(None, help="Dead-letter JSONL file written by the emitter."),
    database: str | None = typer.Option(
        None, "--database", help="Replay the dead outbox rows of this Django database alias "
                                 "instead (needs DJANGO_SETTINGS_MODULE)."),
    timeout: float = TIMEOUT_OPTION,
    contract_path: Path | None = ContractOption,
    output_format: str = FORMAT_OPTION,
    as_json: bool = JsonOption,
) -> None:
    """Resend every dead-lettered event once; what still fails is kept (exit 1 if any)."""
    from hotelmate_rt.emitters import DeadLetterFile, Emitter

    from .reporters.replay import REPORTER

    fmt = choose_format(output_format, as_json, REPORTER.formats)
    _quiet_library_log()
    if (path is None) == (database is None):
        fail("give a dead-letter FILE or --database ALIAS (one of them)")
    if path is not None and not DeadLetterFile(path).exists():
        fail(f"{path} does not exist (and no stranded {path.name}.replaying-* claim is next to it)")
    contract = load(contract_path, json_errors=fmt is Format.JSON)
    transport = _transport(timeout)
    if database is not None:
        report = _replay_database(transport, database, contract)
    else:
        emitter = Emitter(contract, transport, dead_letter=False, defer=False, outbox=False,
                          retry=_retry(timeout))
        try:
            report = emitter.replay(path)
        except OSError as exc:
            fail(f"cannot write {path}: {exc.strerror or exc}; nothing was lost (the claimed "
                 "file is kept for the next replay)")
        finally:
            emitter.close()
    REPORTER.write(report, fmt)
    raise typer.Exit(int(ExitCode.OK if report.ok else ExitCode.FINDINGS))


def _replay_database(transport: Any, database: str, contract: Any) -> Any:
    """Replay the dead rows of a Django database (exit 2 when Django is not set up for it)."""
    from hotelmate_rt.django.database import app_database_problem

    problem = app_database_problem(database)
    if problem is not None:
        fail(f"--database {database}: {problem}",
             hint="or run `python manage.py hotelmate_rt_replay` in the backend")
    from django.db import DatabaseError

    from hotelmate_rt.django.relay import replay_database

    try:
        return replay_database(transport, using=database, contract=contract)
    except DatabaseError as exc:
        fail(f"database {database!r}: {exc}")


def register(app: typer.Typer) -> None:
    """Add `emit` and `replay` to the root app."""
    app.command("emit")(emit_command)
    app.command("replay")(replay_command)
