"""Judge one received or recorded event (channel, event name, data) against the contract."""

from __future__ import annotations

import enum
import json
from dataclasses import dataclass, field
from typing import Any

from .limits import encode_data
from .model import ChannelKind, Contract, suggest
from .payloads import PayloadValidator, sensitive_paths


class VerdictKind(enum.StrEnum):
    """What a single finding about an event says (stable ids for machines)."""

    CONFORMS = "conforms"
    UNKNOWN_CHANNEL = "unknown-channel"
    UNKNOWN_EVENT = "unknown-event"
    UNEXPECTED_CHANNEL = "unexpected-channel"
    SCHEMA_VIOLATION = "schema-violation"
    NOT_JSON = "not-json"
    TOO_LARGE = "too-large"
    DEPRECATED_NAME = "deprecated-name"
    SENSITIVE_EXPOSED = "sensitive-exposed"


@dataclass(frozen=True, slots=True)
class Finding:
    """One problem with an event, with the JSON path or replacement name where relevant."""

    kind: VerdictKind
    message: str
    path: str | None = None
    replacement: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """Describe the finding for JSON output."""
        out: dict[str, Any] = {"kind": self.kind.value, "message": self.message}
        if self.path is not None:
            out["path"] = self.path
        if self.replacement is not None:
            out["replacement"] = self.replacement
        return out


@dataclass(slots=True)
class Verdict:
    """The contract's judgement of one event: no findings means it conforms."""

    channel: str
    event: str
    findings: list[Finding] = field(default_factory=list)
    channel_id: str | None = None
    canonical_event: str | None = None
    size: int = 0

    @property
    def ok(self) -> bool:
        """Tell whether the event conforms to the contract."""
        return not self.findings

    @property
    def kinds(self) -> list[VerdictKind]:
        """List the distinct finding kinds, or [CONFORMS]."""
        if not self.findings:
            return [VerdictKind.CONFORMS]
        return list(dict.fromkeys(f.kind for f in self.findings))

    def to_dict(self) -> dict[str, Any]:
        """Describe the verdict for JSON output."""
        return {"channel": self.channel, "event": self.event, "ok": self.ok,
                "verdict": [k.value for k in self.kinds], "channel_id": self.channel_id,
                "canonical_event": self.canonical_event, "size": self.size,
                "findings": [f.to_dict() for f in self.findings]}


@dataclass(frozen=True, slots=True)
class _Names:
    """What `judge` concludes from the channel and event names alone (cached per name pair)."""

    limit: int
    channel_id: str | None
    canonical_event: str | None
    findings: tuple[Finding, ...]
    validator: PayloadValidator | None
    sensitive: frozenset[str]


def _judge_names(contract: Contract, channel: str, event: str, target: str | None) -> _Names:
    """Judge the channel and event names (match, aliases, carried-by), once per name pair."""
    cache = contract._judge_cache
    key = (channel, event, target)
    found = cache.get(key)
    if found is not None:
        return found
    limit = contract.target(target).max_payload_bytes
    findings: list[Finding] = []
    channel_id: str | None = None
    canonical_event: str | None = None
    match = contract.match_channel(channel)
    channel_obj = match.channel if match else None
    if match is None:
        findings.append(Finding(VerdictKind.UNKNOWN_CHANNEL,
                                f"channel {channel!r} matches no channel in the contract"))
    else:
        channel_id = match.channel.id
        if match.alias is not None:
            findings.append(Finding(
                VerdictKind.DEPRECATED_NAME,
                f"channel {channel!r} is a {match.alias.status.value} name "
                f"({match.alias.note or 'alias'}); use {match.canonical_name!r}",
                replacement=match.canonical_name))

    event_obj = contract.events.get(event)
    if event_obj is None:
        alias = contract.event_aliases.get(event)
        if alias is not None:
            replacement = " / ".join(alias.replaced_by)
            canonical_event = alias.replaced_by[0] if len(alias.replaced_by) == 1 else None
            findings.append(Finding(VerdictKind.DEPRECATED_NAME,
                                    f"event {event!r} is a {alias.status.value} name; use "
                                    f"{replacement}", replacement=replacement))
            if canonical_event:
                event_obj = contract.events.get(canonical_event)
        else:
            guess = suggest(event, contract.events)
            hint = f"; did you mean {guess!r}?" if guess else ""
            findings.append(Finding(VerdictKind.UNKNOWN_EVENT,
                                    f"event {event!r} is not in the contract{hint}",
                                    replacement=guess))
    else:
        canonical_event = event

    if event_obj is not None and channel_obj is not None and \
            channel_obj.id not in event_obj.channels:
        carried = ", ".join(event_obj.channels) or "no channel"
        findings.append(Finding(VerdictKind.UNEXPECTED_CHANNEL,
                                f"{event_obj.name} is carried by {carried}, not {channel_obj.id}"))
    public = ChannelKind.of_name(channel) is ChannelKind.PUBLIC
    names = _Names(limit, channel_id, canonical_event, tuple(findings),
                   event_obj.validator if event_obj is not None else None,
                   contract.sensitive_for(event_obj) if public else frozenset())
    if len(cache) < 4096:
        cache[key] = names
    return names


def judge(contract: Contract, channel: str, event: str, data: Any,
          target: str | None = None) -> Verdict:
    """Judge an event as a subscriber received it; `data` is the raw string or a decoded value."""
    names = _judge_names(contract, channel, event, target)
    raw = encode_data(data)
    size = len(raw) if raw.isascii() else len(raw.encode("utf-8"))
    verdict = Verdict(channel, event, channel_id=names.channel_id,
                      canonical_event=names.canonical_event, size=size)
    findings = verdict.findings
    if size > names.limit:
        findings.append(Finding(VerdictKind.TOO_LARGE,
                                f"payload is {size} bytes; the limit is {names.limit}"))
    payload: Any = None
    decoded = True
    if isinstance(data, str):
        try:
            payload = json.loads(data)
        except json.JSONDecodeError as exc:
            decoded = False
            findings.append(Finding(VerdictKind.NOT_JSON, f"data is not JSON ({exc.msg})"))
    else:
        payload = data
    if names.findings:
        findings.extend(names.findings)
    if not decoded:
        return verdict
    validator = names.validator
    if validator is not None and not validator.is_valid(payload):
        findings.extend(Finding(VerdictKind.SCHEMA_VIOLATION, v.message, path=v.path)
                        for v in validator.violations(payload))
    if names.sensitive:
        for path in sensitive_paths(payload, names.sensitive):
            findings.append(Finding(VerdictKind.SENSITIVE_EXPOSED,
                                    f"sensitive field {path} on public channel {channel!r}, "
                                    "readable by anyone with the app key", path=path))
    return verdict
