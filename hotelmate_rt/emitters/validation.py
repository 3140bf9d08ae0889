"""The Emitter's validation path: resolve the event, check parameters, render, check the payload.

Names and payloads are judged by the contract resolution API (`hotelmate_rt.contracts.resolve`),
the same code `judge` uses for what a subscriber receives; this module adds what only a sender
has: channel parameters to check and render, and a plan cached per event so that a valid emit
costs a few microseconds.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from hotelmate_rt.contracts import (
    Channel,
    Contract,
    Event,
    Finding,
    NameStatus,
    PayloadRules,
    compile_pattern,
    payload_rules,
    resolve_event,
)
from hotelmate_rt.contracts.limits import CHANNEL_NAME_CHARS, MAX_CHANNEL_NAME
from hotelmate_rt.errors import ParameterError, UnknownName

encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
"""The JSON text the emitter sends (compact, UTF-8): what the payload limit is measured on."""


@dataclass(frozen=True, slots=True)
class Prepared:
    """A validated event in wire form: its rendered channels and the encoded JSON data."""

    event: str
    channels: tuple[str, ...]
    data: str
    ids: dict[str, str]
    socket_id: str | None = None


@dataclass(frozen=True, slots=True)
class EventPlan:
    """Per-event data computed once: its channels, their parameters, whether any is public, and
    how its payloads are checked (the resolution API's rules for the emitter's target)."""

    event: Event
    channels: tuple[Channel, ...]
    params: tuple[str, ...]
    public: bool
    payload: PayloadRules


class Refused(Exception):
    """The payload broke the contract: the rendered channels and every finding."""

    def __init__(self, channels: tuple[str, ...], findings: list[Finding]) -> None:
        """Carry what the Emitter reports before it raises PayloadRejected."""
        super().__init__("; ".join(f.message for f in findings))
        self.channels = channels
        self.findings = findings


def describe(findings: Sequence[Finding]) -> str:
    """Join findings into one line: `path: message; ...`."""
    return "; ".join(f"{f.path}: {f.message}" if f.path else f.message for f in findings)


class EventValidation:
    """Validate events for one contract and target, and render their channel names."""

    def __init__(self, contract: Contract, target: str | None = None) -> None:
        """Compile the parameter patterns; plans are built on first use of each event."""
        self.contract = contract
        self.target = target
        contract.target(target)  # an unknown target fails here, not at the first emit
        self._patterns = {name: compile_pattern(p) for name, p in contract.patterns.items()}
        self._plans: dict[str, EventPlan] = {}

    def plan(self, event: str) -> EventPlan:
        """Return (and cache) the per-event plan, raising UnknownName for any non-canonical name."""
        plan = self._plans.get(event)
        if plan is None:
            name = resolve_event(self.contract, event)
            if name.event is None or name.status is not NameStatus.CANONICAL:
                raise UnknownName(name.problem)
            ev = name.event
            channels = tuple(self.contract.channel(c) for c in ev.channels)
            params = tuple(dict.fromkeys(p for c in channels for p in c.template.parameters))
            plan = EventPlan(ev, channels, params, any(c.public_readable for c in channels),
                             payload_rules(self.contract, ev, self.target))
            self._plans[event] = plan
        return plan

    def prepare(self, event: str, data: Any, only: Sequence[str], socket_id: str | None,
                params: Mapping[str, Any]) -> Prepared:
        """Validate an event and render its channels; raise Refused or a ContractUsageError.

        Channel parameters come from `params`, falling back to top-level fields of `data` of
        the same name (`booking_id`, `room_number`); a conflict between the two is an error.
        """
        plan = self.plan(event)
        channels = plan.channels
        if only:
            unknown = [c for c in only if c not in plan.event.channels]
            if unknown:
                raise UnknownName(f"event {event!r} is not carried by {', '.join(unknown)}; "
                                  f"it is carried by {', '.join(plan.event.channels)}")
            channels = tuple(c for c in channels if c.id in only)
        ids = self._ids(event, plan, data, params)
        names = tuple(self._render(event, c, ids) for c in channels)
        public = next((n for c, n in zip(channels, names, strict=True) if c.public_readable),
                      None) if plan.public else None
        check = plan.payload.check_value(data, public_channel=public, encode=encode)
        if check.text is None or check.encoding or check.content:
            raise Refused(names, check.findings)
        return Prepared(event, names, check.text, ids, socket_id)

    def _ids(self, event: str, plan: EventPlan, data: Any,
             params: Mapping[str, Any]) -> dict[str, str]:
        """Collect and check the channel parameters from `params` and the payload."""
        ids: dict[str, str] = {}
        for name in plan.params:
            value = params.get(name)
            from_data = data.get(name) if isinstance(data, dict) else None
            if value is None or value == "":
                if from_data is None:
                    continue
                value = from_data
            elif from_data is not None and str(from_data) != str(value):
                raise ParameterError(f"{event}: {name}={value!r} but the payload says "
                                     f"{name}={from_data!r}")
            text = str(value)
            pattern = self._patterns.get(name)
            if (pattern is not None and not pattern.fullmatch(text)) or \
                    not CHANNEL_NAME_CHARS.fullmatch(text):
                shown = pattern.pattern if pattern is not None else "Pusher channel characters"
                raise ParameterError(f"{event}: {name}={text!r} does not look like a {name} "
                                     f"(pattern {shown})")
            ids[name] = text
        extra = [k for k in params if k not in plan.params]
        if extra:
            raise ParameterError(f"{event} takes no parameter {', '.join(sorted(extra))}; its "
                                 f"channels need {', '.join(plan.params) or 'none'}")
        return ids

    def _render(self, event: str, channel: Channel, values: Mapping[str, str]) -> str:
        """Render a channel name from checked values; on any doubt let the contract explain."""
        try:
            name = channel.template.text.format_map(values)
        except KeyError:
            name = ""
        if not name or len(name) > MAX_CHANNEL_NAME:
            try:
                return channel.template.render(values, self.contract.patterns)
            except ParameterError as exc:
                raise ParameterError(f"{event} on {channel.id}: {exc}") from None
        return name
