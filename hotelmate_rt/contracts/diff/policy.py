"""What a team decided about changes: level overrides, accepted changes, the failing level.

Configured in `[tool.hotelmate-rt.diff]` of pyproject.toml:

    [tool.hotelmate-rt.diff]
    fail-on = "ERR"                                   # or WARN / INFO
    accepted-changes = "contract-accepted.yaml"       # relative to pyproject.toml
    [tool.hotelmate-rt.diff.levels]
    payload-enum-value-added = "ERR"

The accepted-changes file lists reviewed changes by check id and subject (as `contract diff
--format json` prints them), with a reason and an optional expiry date:

    accepted:
      - check: payload-field-removed
        subject: booking_created $.guest_name
        reason: no frontend ever read it (PR 412)
        until: 2025-12-31
"""

from __future__ import annotations

import datetime
import difflib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from hotelmate_rt.errors import ConfigError

from .model import SEND_SITE_CHECKS, Change, DiffCheck, DiffResult, Level

_KEYS = ("fail-on", "accepted-changes", "levels")


@dataclass(frozen=True, slots=True)
class Acceptance:
    """One reviewed change that no longer fails the diff (until a date, when given)."""

    check: DiffCheck
    subject: str
    reason: str
    until: datetime.date | None = None


@dataclass(slots=True)
class DiffPolicy:
    """Level overrides, accepted changes and the level that makes the diff fail."""

    fail_on: Level = Level.ERR
    levels: dict[DiffCheck, Level] = field(default_factory=dict)
    accepted: list[Acceptance] = field(default_factory=list)
    source: str | None = None


def parse_policy(table: Mapping[str, Any], source: str, base: Path) -> DiffPolicy:
    """Validate a `[tool.hotelmate-rt.diff]` table; misspelt keys and check ids are errors."""
    for key in table:
        if key not in _KEYS:
            close = difflib.get_close_matches(str(key), _KEYS, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else f"; known: {', '.join(_KEYS)}"
            raise ConfigError(f"{source}: unknown key {key!r} in [tool.hotelmate-rt.diff]{hint}")
    policy = DiffPolicy(source=source)
    if "fail-on" in table:
        policy.fail_on = _level(table["fail-on"], f"{source}: fail-on")
    levels = table.get("levels", {})
    if not isinstance(levels, Mapping):
        raise ConfigError(f"{source}: [tool.hotelmate-rt.diff.levels] must be a table")
    for check_id, level in levels.items():
        check = _check(str(check_id), f"{source}: [tool.hotelmate-rt.diff.levels]")
        policy.levels[check] = _level(level, f"{source}: level of {check_id}")
    accepted = table.get("accepted-changes")
    if accepted is not None:
        if not isinstance(accepted, str):
            raise ConfigError(f"{source}: accepted-changes must be a file path")
        policy.accepted = load_acceptances(base / accepted)
    return policy


def load_acceptances(path: Path) -> list[Acceptance]:
    """Read an accepted-changes YAML file; unknown check ids are errors with a suggestion."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"cannot read accepted changes {path}: {exc.strerror or exc}") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: invalid YAML: {exc}") from None
    entries = (data or {}).get("accepted", []) if isinstance(data, dict) else None
    if not isinstance(entries, list):
        raise ConfigError(f"{path}: expected 'accepted:' followed by a list of changes")
    out: list[Acceptance] = []
    for number, entry in enumerate(entries, 1):
        where = f"{path}: accepted change {number}"
        if not isinstance(entry, dict) or not {"check", "subject", "reason"} <= set(entry):
            raise ConfigError(f"{where}: give check, subject and reason")
        until = entry.get("until")
        if until is not None and not isinstance(until, datetime.date):
            raise ConfigError(f"{where}: until must be a date (YYYY-MM-DD), not {until!r}")
        out.append(Acceptance(_check(str(entry["check"]), where), str(entry["subject"]),
                              str(entry["reason"]), until))
    return out


def _check(text: str, where: str) -> DiffCheck:
    """Look a check id up, turning a misspelling into a ConfigError with 'did you mean'."""
    try:
        return DiffCheck.lookup(text, "check")
    except ConfigError as exc:
        raise ConfigError(f"{where}: {exc}") from None


def _level(value: Any, where: str) -> Level:
    """Read a level (ERR/WARN/INFO)."""
    try:
        return Level.parse(str(value))
    except ValueError as exc:
        raise ConfigError(f"{where}: {exc}") from None


def apply_policy(result: DiffResult, policy: DiffPolicy, today: datetime.date) -> DiffResult:
    """Apply level overrides and acceptances (expired ones do not count) and set --fail-on."""
    used: set[int] = set()
    changes: list[Change] = []
    for change in result.changes:
        level = policy.levels.get(change.check, change.level)
        accepted = None
        for index, entry in enumerate(policy.accepted):
            if entry.check is change.check and entry.subject == change.subject:
                used.add(index)
                if entry.until is None or entry.until >= today:
                    accepted = entry.reason
        changes.append(change.with_(level=level, accepted=accepted))
    result.changes = changes
    result.fail_on = policy.fail_on
    result.unused_acceptances = [
        f"{entry.check.value} {entry.subject}" + (
            f" (expired {entry.until})" if entry.until is not None and entry.until < today else "")
        for index, entry in enumerate(policy.accepted)
        if index not in used or (entry.until is not None and entry.until < today)]
    return result


def attach_send_sites(result: DiffResult, emitted: Mapping[str, Sequence[str]] | None) -> None:
    """Note on each change that backend code must follow which send sites must change."""
    changes: list[Change] = []
    for change in result.changes:
        if change.check in SEND_SITE_CHECKS and change.event is not None:
            what = _duty(change)
            if emitted is None:
                note = (f"every backend send site of {change.event} must now {what}; run with "
                        "--scan PATH to list them")
            else:
                sites = sorted(set(emitted.get(change.event, ())))
                note = (f"backend send sites that must now {what}: {', '.join(sites)}" if sites
                        else f"no scanned backend code sends {change.event}")
            change = change.with_(notes=(*change.notes, note))
        changes.append(change)
    result.changes = changes


def _duty(change: Change) -> str:
    """Say what a send site must now do for a change."""
    field_name = change.subject.split(" ", 1)[-1]
    if change.check in (DiffCheck.REQUIRED_FIELD_ADDED, DiffCheck.FIELD_MADE_REQUIRED):
        return f"set `{field_name}`"
    if change.check is DiffCheck.CLOSED:
        return f"send no field that `{field_name}` does not list"
    return f"send only the values `{field_name}` still allows"
