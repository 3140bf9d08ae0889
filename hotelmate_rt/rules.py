"""The base of every rule-id enum: each rule is declared once, with its metadata, by its kind.

A kind of result (scan findings, lint findings, verdict kinds, contract-diff changes, ...) has
one enum of its rule ids, declared next to the logic that reports them:

    class ScanRule(RuleId):
        UNKNOWN_EVENT = ("unknown-event", Level.ERROR, "Event name not in the contract",
                         "The code emits or binds an event name the contract does not define.")

`ScanRule.UNKNOWN_EVENT == "unknown-event"` (ids are stable strings for configs, suppressions,
SARIF and JSON); `.level`, `.summary` (the title: `str.title` is taken) and `.help` carry the
metadata; `ScanRule.lookup(text)` turns user input (configuration keys, suppression comments)
into a member or raises `UnknownRule` with a "did you mean".

The registries (each enum is the documentation of its ids):
- `hotelmate_rt.contracts.resolve.VerdictKind`: what a judged event's findings say (judge, the
  Emitter's refusals, the probe, `check`).
- `hotelmate_rt.contracts.lint.LintRule`: what `contract lint` reports about the contract itself.
- `hotelmate_rt.scan.rules.ScanRule`: what `scan` reports about backend and frontend code.
"""

from __future__ import annotations

import difflib
import enum
from typing import Any, Self

from hotelmate_rt.errors import ConfigError


class Level(enum.StrEnum):
    """How much a finding matters: errors and warnings count toward a failure; off hides it."""

    ERROR = "error"
    WARNING = "warning"
    NOTE = "note"
    OFF = "off"

    @property
    def rank(self) -> int:
        """Order levels for threshold comparisons (off lowest, error highest)."""
        return _RANKS[self.value]


_RANKS = {"off": 0, "note": 1, "warning": 2, "error": 3}


class UnknownRule(ConfigError):
    """A rule id in configuration or a suppression comment names no rule of that kind."""


class RuleId(enum.StrEnum):
    """A stable rule id with its default level, a one-line summary and the longer help."""

    level: Any
    summary: str
    help: str

    def __new__(cls, value: str, level: Any = None, summary: str = "", help: str = "") -> Self:
        """Create a member whose string value is the id and whose metadata rides along."""
        member = str.__new__(cls, value)
        member._value_ = value
        member.level = level
        member.summary = summary
        member.help = help
        return member

    @classmethod
    def lookup(cls, text: str, what: str = "rule") -> Self:
        """Return the member whose id is `text`, or raise UnknownRule with a suggestion."""
        key = text.strip()
        for member in cls:
            if member.value == key:
                return member
        ids = [m.value for m in cls]
        close = difflib.get_close_matches(key, ids, n=1, cutoff=0.6)
        hint = f"; did you mean {close[0]!r}?" if close else f"; known: {', '.join(ids)}"
        raise UnknownRule(f"unknown {what} id {key!r}{hint}")
