"""Result objects of the on-call commands: checks, doctor and triage reports.

Every text in them was redacted once, when the runner built each `Check` (and the context built
the target, verdict and evidence of sent events), so rendering them needs no further redaction.
"""

from __future__ import annotations

import enum
import time
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hotelmate_rt.redact import Redactor
from hotelmate_rt.settings import PusherSettings, load_settings

__all__ = ["ChannelState", "Check", "DoctorReport", "Outcome", "Redactor", "Section",
           "SetupOptions", "Status", "TriageReport"]


@dataclass(slots=True, kw_only=True)
class SetupOptions:
    """Where the realtime setup is and who to test it as: shared by doctor and triage."""

    contract: Path | None = None
    env: Mapping[str, str] | None = None
    backend_env_file: Path | None = None
    overrides: dict[str, str] = field(default_factory=dict)
    settings: PusherSettings | None = None
    """Settings already read (the console's): then env, backend_env_file and overrides are not."""
    auth_endpoint: str | None = None
    guest_token: str | None = None
    staff_token: str | None = None
    hotel_slug: str | None = None
    room_number: str | None = None
    origin: str | None = None
    step_timeout: float = 5.0

    def read_settings(self) -> PusherSettings:
        """Return the given settings, else read them (env, env file, flag overrides)."""
        if self.settings is not None:
            return self.settings
        return load_settings(self.env, env_file=self.backend_env_file, overrides=self.overrides)


class Status(enum.StrEnum):
    """The outcome of one check: passed, worth a look, broken, or not run (with the reason)."""

    PASS = "pass"
    WARN = "warn"
    FAIL = "fail"
    SKIP = "skip"


class Section(enum.StrEnum):
    """Where on the path from backend to browser a check sits, in walking order."""

    CONFIG = "configuration"
    HTTP_API = "http-api"
    WEBSOCKET = "websocket"
    AUTH = "auth-endpoint"
    WEBHOOK = "webhook"
    SUBSCRIPTION = "subscription"
    ROUND_TRIP = "round-trip"
    CLUSTER = "cluster"
    FRONTEND = "frontend"
    BOOKING = "booking"
    SENT = "sent"
    WATCH = "watch"


@dataclass(slots=True, kw_only=True)
class Outcome:
    """What a check function found; the runner adds the declared id, section and title."""

    status: Status
    summary: str
    evidence: list[str] = field(default_factory=list)
    next_action: str = ""
    code: str = ""
    security: bool = False
    data: dict[str, Any] = field(default_factory=dict)
    id: str = ""
    """A sub-check's own id (one result per channel); empty: the declared check's."""
    title: str = ""
    """A sub-check's own title; empty: the declared check's."""


@dataclass(slots=True, kw_only=True)
class Check(Outcome):
    """One step of a checklist: its status, a one-line summary, evidence and the next action."""

    id: str
    section: Section
    title: str
    duration_ms: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        """Describe the check for JSON output."""
        out: dict[str, Any] = {
            "id": self.id, "section": self.section.value, "title": self.title,
            "status": self.status.value, "summary": self.summary, "evidence": list(self.evidence),
            "next_action": self.next_action, "code": self.code or None,
            "security": self.security, "duration_ms": round(self.duration_ms, 1)}
        if self.data:
            out["data"] = self.data
        return out


def _status_counts(checks: Iterable[Check]) -> dict[str, int]:
    """Count checks per status, every status present."""
    counts = {s.value: 0 for s in Status}
    for check in checks:
        counts[check.status.value] += 1
    return counts


class _Checklist:
    """What doctor and triage reports share: an ordered list of checks and ways to read it."""

    __slots__ = ()
    checks: list[Check]

    def __iter__(self) -> Iterator[Check]:
        """Iterate over the checks in order."""
        return iter(self.checks)

    def get(self, check_id: str) -> Check | None:
        """Return the check with this id, or None."""
        return next((c for c in self.checks if c.id == check_id), None)

    @property
    def counts(self) -> dict[str, int]:
        """Count checks per status."""
        return _status_counts(self.checks)


@dataclass(slots=True)
class DoctorReport(_Checklist):
    """Every check of one doctor run, in walking order, with the run's timing and exit code."""

    checks: list[Check] = field(default_factory=list)
    target: dict[str, Any] = field(default_factory=dict)
    started_at: float = field(default_factory=time.time)
    duration_s: float = 0.0
    budget_s: float = 30.0
    could_not_run: str = ""

    @property
    def failed(self) -> list[Check]:
        """List the failed checks."""
        return [c for c in self.checks if c.status is Status.FAIL]

    @property
    def security_findings(self) -> list[Check]:
        """List the checks that found a security problem."""
        return [c for c in self.checks if c.security and c.status is Status.FAIL]

    @property
    def exit_code(self) -> int:
        """Return 1 if any check failed, 2 if the doctor could not run, else 0."""
        if self.failed:
            return 1
        if self.could_not_run:
            return 2
        return 0

    @property
    def headline(self) -> str:
        """Summarise the run in one plain sentence."""
        if self.could_not_run and not self.failed:
            return f"The doctor could not run: {self.could_not_run}"
        counts = self.counts
        if counts["fail"]:
            first = self.failed[0]
            more = f" (and {counts['fail'] - 1} more failure(s))" if counts["fail"] > 1 else ""
            return f"{first.title}: {first.summary}{more}"
        if counts["warn"]:
            return f"All checks pass, with {counts['warn']} warning(s)."
        return "All checks pass."

    def to_dict(self) -> dict[str, Any]:
        """Describe the run for JSON output (its texts are already redacted)."""
        return {
            "ok": self.exit_code == 0, "exit_code": self.exit_code, "headline": self.headline,
            "counts": self.counts, "duration_s": round(self.duration_s, 3),
            "budget_s": self.budget_s, "target": self.target,
            "could_not_run": self.could_not_run or None,
            "security_findings": [c.id for c in self.security_findings],
            "checks": [c.to_dict() for c in self.checks]}


@dataclass(slots=True)
class ChannelState:
    """One channel a booking's page should be on, and what the HTTP API says about it now."""

    channel_id: str
    name: str
    audience: str
    kind: str
    occupied: bool | None = None
    subscription_count: int | None = None
    error: str = ""

    def to_dict(self) -> dict[str, Any]:
        """Describe the channel state for JSON output."""
        return {"channel_id": self.channel_id, "name": self.name, "audience": self.audience,
                "kind": self.kind, "occupied": self.occupied,
                "subscription_count": self.subscription_count, "error": self.error or None}


@dataclass(slots=True)
class TriageReport(_Checklist):
    """Support's answer for one booking: a plain verdict first, then the checks as evidence."""

    booking_id: str
    verdict: str = ""
    channels: list[ChannelState] = field(default_factory=list)
    checks: list[Check] = field(default_factory=list)
    sent: list[dict[str, Any]] = field(default_factory=list)
    watch: dict[str, Any] | None = None
    duration_s: float = 0.0
    could_not_run: str = ""

    @property
    def exit_code(self) -> int:
        """Return 1 if any check failed, 2 if triage could not run, else 0."""
        if any(c.status is Status.FAIL for c in self.checks):
            return 1
        if self.could_not_run:
            return 2
        return 0

    def to_dict(self) -> dict[str, Any]:
        """Describe the triage for JSON output (its texts are already redacted)."""
        return {
            "ok": self.exit_code == 0, "exit_code": self.exit_code,
            "booking_id": self.booking_id, "verdict": self.verdict, "counts": self.counts,
            "duration_s": round(self.duration_s, 3), "could_not_run": self.could_not_run or None,
            "channels": [c.to_dict() for c in self.channels],
            "sent": self.sent, "watch": self.watch,
            "checks": [c.to_dict() for c in self.checks]}
