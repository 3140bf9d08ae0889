"""Result objects of a scan: sites found, findings, skipped files, coverage."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any

from .rules import Level, ScanRule
from .symbols import Sym, Value, display


class Side(enum.StrEnum):
    """Which codebase a site belongs to."""

    BACKEND = "backend"
    FRONTEND = "frontend"


class SiteKind(enum.StrEnum):
    """What a call site does with Pusher."""

    TRIGGER = "trigger"
    TRIGGER_BATCH = "trigger_batch"
    EMIT = "emit"
    EMIT_ACTION = "emit_action"
    TRANSITION = "transition"
    SUBSCRIBE = "subscribe"
    BIND = "bind"
    BIND_GLOBAL = "bind_global"
    UNBIND = "unbind"
    CLIENT = "client"


@dataclass(frozen=True, slots=True)
class PayloadField:
    """A key of a payload dict literal, with its dotted path and position."""

    path: str
    line: int
    column: int
    type: str | None = None
    source: str | None = None

    @property
    def name(self) -> str:
        """Return the last component of the path."""
        return self.path.rsplit(".", 1)[-1]

    @property
    def top_level(self) -> bool:
        """Tell whether the key is a key of the payload itself, not of a nested dict."""
        return "." not in self.path


@dataclass(frozen=True, slots=True)
class Payload:
    """What a payload dict literal shows: its keys, constant string values, and `**` spreads."""

    fields: tuple[PayloadField, ...]
    constants: tuple[tuple[str, str], ...] = ()
    spread: bool = False
    symbolic: tuple[tuple[str, Sym], ...] = ()
    spread_params: tuple[str, ...] = ()

    def constant(self, key: str) -> str | None:
        """Return the constant string value of a top-level key, if it has one."""
        for name, value in self.constants:
            if name == key:
                return value
        return None


@dataclass(frozen=True, slots=True)
class ClientConfig:
    """A `new Pusher(key, options)`: whether auth is configured and how."""

    name: str
    auth: bool
    auth_headers: bool
    file: str
    line: int


@dataclass(frozen=True, slots=True)
class Route:
    """An envelope subtype the code sends or handles: `type == "message_created"`, and where."""

    field: str
    value: str
    file: str
    line: int
    column: int

    def to_dict(self) -> dict[str, Any]:
        """Describe the route for JSON output."""
        return {"field": self.field, "value": self.value, "file": self.file, "line": self.line,
                "column": self.column}


@dataclass(slots=True)
class Site:
    """One place in the code that triggers, emits, subscribes or binds, as far as resolved."""

    kind: SiteKind
    side: Side
    file: str
    line: int
    column: int
    channels: tuple[Value, ...] = ()
    events: tuple[Value, ...] = ()
    payload: Payload | None = None
    states: tuple[Value, ...] = ()
    unresolved: str | None = None
    via: tuple[str, ...] = ()
    origin: str | None = None
    receivers: tuple[str, ...] = ()
    client: ClientConfig | None = None
    client_ref: str | None = None
    payload_param: str | None = field(default=None, repr=False)
    routes: tuple[Route, ...] = ()
    pending: tuple[Any, ...] = field(default=(), repr=False)

    def to_dict(self) -> dict[str, Any]:
        """Describe the site for JSON output."""
        out: dict[str, Any] = {"kind": self.kind.value, "side": self.side.value,
                               "file": self.file, "line": self.line, "column": self.column}
        if self.channels:
            out["channels"] = [display(v.sym) for v in self.channels]
        if self.events:
            out["events"] = [display(v.sym) for v in self.events]
        if self.payload is not None:
            out["payload_fields"] = [f.path for f in self.payload.fields]
        if self.states:
            out["transition"] = [display(v.sym) for v in self.states]
        if self.via:
            out["via"] = list(self.via)
        if self.unresolved:
            out["unresolved"] = self.unresolved
        if self.routes:
            out["routes"] = [f"{r.field}={r.value}" for r in self.routes]
        return out


@dataclass(frozen=True, slots=True)
class Related:
    """The other side of a finding (the backend send of a frontend bind, ...), with a label."""

    file: str
    line: int
    column: int
    message: str = ""

    def to_dict(self) -> dict[str, Any]:
        """Describe the related location for JSON output."""
        return {"file": self.file, "line": self.line, "column": self.column,
                "message": self.message}


@dataclass(frozen=True, slots=True)
class Finding:
    """One problem: where, which rule, how bad, a plain sentence and maybe a fix."""

    rule: ScanRule
    level: Level
    message: str
    file: str
    line: int
    column: int
    fix: str | None = None
    related: tuple[Related, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """Describe the finding for JSON output."""
        out: dict[str, Any] = {"rule": self.rule.value, "level": self.level.value,
                               "file": self.file, "line": self.line, "column": self.column,
                               "message": self.message}
        if self.fix:
            out["fix"] = self.fix
        if self.related:
            out["related"] = [r.to_dict() for r in self.related]
        return out

    def __str__(self) -> str:
        hint = f" ({self.fix})" if self.fix else ""
        return f"{self.file}:{self.line}:{self.column}: {self.level.value} [{self.rule.value}] " \
               f"{self.message}{hint}"


@dataclass(frozen=True, slots=True)
class SkippedFile:
    """A file the scan could not read or parse, with the reason."""

    file: str
    reason: str

    def to_dict(self) -> dict[str, str]:
        """Describe the skipped file for JSON output."""
        return {"file": self.file, "reason": self.reason}


@dataclass(slots=True)
class Coverage:
    """Which contract events the scanned code emits and binds, and which transitions it covers."""

    emitted: dict[str, list[str]] = field(default_factory=dict)
    bound: dict[str, list[str]] = field(default_factory=dict)
    transitions_covered: list[str] = field(default_factory=list)
    transitions_missing: list[str] = field(default_factory=list)
    backend_seen: bool = False
    frontend_seen: bool = False

    def to_dict(self) -> dict[str, Any]:
        """Describe coverage for JSON output."""
        return {"backend_scanned": self.backend_seen, "frontend_scanned": self.frontend_seen,
                "emitted": {k: sorted(set(v)) for k, v in sorted(self.emitted.items())},
                "bound": {k: sorted(set(v)) for k, v in sorted(self.bound.items())},
                "transitions_covered": self.transitions_covered,
                "transitions_missing": self.transitions_missing}


@dataclass(slots=True)
class ScanResult:
    """Everything a scan found: the CLI renders it, tests assert on it."""

    root: str
    contract: str
    files_seen: int = 0
    files_parsed: int = 0
    sites: list[Site] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    skipped: list[SkippedFile] = field(default_factory=list)
    coverage: Coverage = field(default_factory=Coverage)
    suppressed: int = 0
    seconds: float = 0.0

    @property
    def unresolved(self) -> list[Site]:
        """Return the sites the scan could not resolve (they are reported, never dropped)."""
        return [s for s in self.sites if s.unresolved]

    def worst(self) -> Level:
        """Return the highest level among the findings (off when there are none)."""
        best = Level.OFF
        for finding in self.findings:
            if finding.level.rank > best.rank:
                best = finding.level
        return best

    def fails(self, threshold: str) -> bool:
        """Tell whether any finding is at or above `threshold` (error, warning or never)."""
        if threshold == "never":
            return False
        return self.worst().rank >= Level(threshold).rank and self.worst() is not Level.OFF

    def summary(self) -> dict[str, Any]:
        """Count sites, findings per level, unresolved sites and skipped files."""
        resolved = sum(1 for s in self.sites if not s.unresolved)
        return {"files_seen": self.files_seen, "files_parsed": self.files_parsed,
                "sites": len(self.sites), "resolved_sites": resolved,
                "unresolved_sites": len(self.sites) - resolved,
                "errors": sum(1 for f in self.findings if f.level is Level.ERROR),
                "warnings": sum(1 for f in self.findings if f.level is Level.WARNING),
                "notes": sum(1 for f in self.findings if f.level is Level.NOTE),
                "suppressed": self.suppressed, "skipped_files": len(self.skipped),
                "seconds": round(self.seconds, 3)}

    def to_dict(self) -> dict[str, Any]:
        """Describe the whole result for `--format json`."""
        return {"root": self.root, "contract": self.contract, "summary": self.summary(),
                "findings": [f.to_dict() for f in self.findings],
                "skipped": [s.to_dict() for s in self.skipped],
                "unresolved": [s.to_dict() for s in self.unresolved],
                "coverage": self.coverage.to_dict(),
                "sites": [s.to_dict() for s in self.sites]}
