"""Judge one received or recorded event (channel, event name, data) against the contract."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .model import ChannelKind, Contract
from .resolve import Finding, PayloadRules, VerdictKind, payload_rules, resolve_channel, resolve_event


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

    channel_id: str | None
    canonical_event: str | None
    findings: tuple[Finding, ...]
    payload: PayloadRules
    public_channel: str | None


def _judge_names(contract: Contract, channel: str, event: str, target: str | None) -> _Names:
    """Resolve the channel and event names and check the event is carried there, once per pair."""
    cache = contract._judge_cache
    key = (channel, event, target)
    found = cache.get(key)
    if found is not None:
        return found
    channel_name = resolve_channel(contract, channel)
    event_name = resolve_event(contract, event)
    findings = [f for f in (channel_name.finding(), event_name.finding()) if f is not None]
    carrier, meant = channel_name.channel, event_name.event
    if meant is not None and carrier is not None and carrier.id not in meant.channels:
        carried = ", ".join(meant.channels) or "no channel"
        findings.append(Finding(VerdictKind.UNEXPECTED_CHANNEL,
                                f"{meant.name} is carried by {carried}, not {carrier.id}"))
    public = ChannelKind.of_name(channel) is ChannelKind.PUBLIC
    names = _Names(carrier.id if carrier is not None else None,
                   meant.name if meant is not None else None, tuple(findings),
                   payload_rules(contract, meant, target), channel if public else None)
    if len(cache) < 4096:
        cache[key] = names
    return names


def judge(contract: Contract, channel: str, event: str, data: Any,
          target: str | None = None) -> Verdict:
    """Judge an event as a subscriber received it; `data` is the raw string or a decoded value."""
    names = _judge_names(contract, channel, event, target)
    payload = names.payload.check_wire(data, public_channel=names.public_channel)
    findings = [*payload.encoding, *names.findings, *payload.content]
    return Verdict(channel, event, findings, names.channel_id, names.canonical_event, payload.size)
