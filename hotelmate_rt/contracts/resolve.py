"""The one contract resolution API: what a channel name, an event name and a payload mean.

`judge` (verdicts.py), the Emitter, `Contract.event` and the scan ask the contract the same
three questions here, so that one name or payload is never judged two ways:

- `resolve_channel(contract, name) -> ChannelName`: the canonical channel and its parameters,
  an alias (deprecated or wrong) with the canonical replacement, or unknown with a suggestion.
  `name` is a concrete name (`private-booking-BK-2025-0002`) or a pattern whose `{*}` parts stand
  for values nobody knows yet (what a static scan sees: `private-booking-{*}`).
- `resolve_event(contract, name) -> EventName`: canonical, a wrong or deprecated alias with its
  replacement(s), or unknown with a "did you mean".
- `payload_rules(contract, event, target).check_wire(data, public_channel=...)` (what a
  subscriber received) or `.check_value(value, ...)` (what is about to be sent) -> PayloadCheck:
  not JSON, too large (UTF-8 bytes vs the target's limit), schema violations (with JSON paths),
  sensitive fields on a public channel.

Every finding is a `Finding` of a `VerdictKind`, declared here next to the checks that report
them (`judge` adds `unexpected-channel`).
"""

from __future__ import annotations

import difflib
import enum
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import re2

from hotelmate_rt.rules import Level, RuleId

from .limits import encode_data
from .model import Channel, ChannelAlias, ChannelKind, ChannelMatch, Contract, Event, suggest
from .payloads import PayloadValidator, sensitive_paths
from .templates import DEFAULT_PATTERN, linear_regex

WILDCARD = "{*}"
"""In a channel pattern, one value nobody knows yet (it fills one template parameter)."""


class VerdictKind(RuleId):
    """What one finding about an event says; `conforms` when there is none."""

    CONFORMS = ("conforms", Level.NOTE, "Conforms to the contract",
                "The channel, the event name and the payload are what the contract says.")
    UNKNOWN_CHANNEL = ("unknown-channel", Level.ERROR, "Channel not in the contract",
                       "The channel name fits no channel of the contract, nor any alias.")
    WRONG_CHANNEL_NAME = ("wrong-channel-name", Level.ERROR, "Wrong channel name",
                          "The contract lists this channel name as a wrong name of one of its "
                          "channels; the replacement is the canonical name.")
    UNKNOWN_EVENT = ("unknown-event", Level.ERROR, "Event not in the contract",
                     "The event name is neither a contract event nor an alias of one.")
    WRONG_EVENT_NAME = ("wrong-event-name", Level.ERROR, "Wrong event name",
                        "The contract lists this event name as a wrong name; the other side "
                        "never sends or binds it. The replacement is the canonical event.")
    UNEXPECTED_CHANNEL = ("unexpected-channel", Level.ERROR, "Event on a channel not carrying it",
                          "The contract never sends this event on this channel.")
    SCHEMA_VIOLATION = ("schema-violation", Level.ERROR, "Payload breaks its schema",
                        "The payload does not match the event's JSON Schema (path given).")
    NOT_JSON = ("not-json", Level.ERROR, "Payload is not JSON",
                "The data is not a JSON document (received), or cannot be encoded as one (sent).")
    TOO_LARGE = ("too-large", Level.ERROR, "Payload over the target's limit",
                 "The UTF-8 bytes of the JSON data exceed the target server's payload limit.")
    DEPRECATED_NAME = ("deprecated-name", Level.WARNING, "Deprecated channel or event name",
                       "The name is a deprecated alias: it still works for now; the replacement "
                       "is the canonical name.")
    SENSITIVE_EXPOSED = ("sensitive-exposed", Level.ERROR, "Sensitive field on a public channel",
                         "A field the contract marks sensitive is on a channel anyone with the "
                         "app key can read.")


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


class NameStatus(enum.StrEnum):
    """What a channel or event name is in the contract."""

    CANONICAL = "canonical"
    DEPRECATED = "deprecated"
    WRONG = "wrong"
    UNKNOWN = "unknown"


# -- channel names -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ChannelName:
    """What a channel name means: its channel and parameters (maybe through an alias), or nothing."""

    name: str
    status: NameStatus
    match: ChannelMatch | None = None
    suggestion: str | None = None

    @property
    def channel(self) -> Channel | None:
        """The contract channel the name resolves to (also through an alias)."""
        return self.match.channel if self.match is not None else None

    @property
    def alias(self) -> ChannelAlias | None:
        """The alias the name fits, when it is not canonical."""
        return self.match.alias if self.match is not None else None

    @property
    def canonical(self) -> str | None:
        """The canonical name for the same parameters (the template itself for a pattern)."""
        return self.match.canonical_name if self.match is not None else None

    @property
    def template(self) -> str | None:
        """The contract template the name fits (the alias's when it is one)."""
        return self.match.template if self.match is not None else None

    @property
    def kind(self) -> ChannelKind:
        """The Pusher kind of the name as used (an alias may be public where the channel is not)."""
        return ChannelKind.of_name(self.template or self.name)

    @property
    def note(self) -> str:
        """The contract's note on the alias, if any."""
        alias = self.alias
        return alias.note if alias is not None else ""

    def finding(self) -> Finding | None:
        """The verdict finding about this name, or None when it is canonical."""
        if self.status is NameStatus.CANONICAL:
            return None
        if self.status is NameStatus.UNKNOWN:
            hint = f"; did you mean {self.suggestion!r}?" if self.suggestion else ""
            return Finding(VerdictKind.UNKNOWN_CHANNEL,
                           f"channel {self.name!r} matches no channel in the contract{hint}",
                           replacement=self.suggestion)
        kind = VerdictKind.WRONG_CHANNEL_NAME if self.status is NameStatus.WRONG \
            else VerdictKind.DEPRECATED_NAME
        return Finding(kind, f"channel {self.name!r} is a {self.status.value} name "
                             f"({self.note or 'alias'}); use {self.canonical!r}",
                       replacement=self.canonical)


def resolve_channel(contract: Contract, name: str) -> ChannelName:
    """Resolve a concrete channel name, or a pattern with `{*}` holes, against the contract."""
    match = _patterns(contract).match(name) if WILDCARD in name else contract.match_channel(name)
    if match is None:
        return ChannelName(name, NameStatus.UNKNOWN, None, _suggest_channel(contract, name))
    if match.alias is None:
        return ChannelName(name, NameStatus.CANONICAL, match)
    return ChannelName(name, NameStatus(match.alias.status.value), match)


def _suggest_channel(contract: Contract, name: str) -> str | None:
    """Return the canonical template closest to an unknown name (compared with `{*}` holes)."""
    shapes = {c.template.wildcard(): c.template.text for c in contract.channels.values()}
    close = difflib.get_close_matches(name, list(shapes), n=1, cutoff=0.6)
    return shapes[close[0]] if close else None


class _PatternIndex:
    """Every channel template and alias as a regex where a slot takes its pattern or holes.

    The regexes run on RE2 like the templates themselves: scanned values come from source trees
    nobody vetted, and a contract pattern must not make matching one of them slow.
    """

    def __init__(self, contract: Contract) -> None:
        """Compile each template once, most specific first, canonical before alias."""
        holes = f"(?:{re2.escape(WILDCARD)})+"
        entries: list[tuple[int, int, Any, ChannelMatch]] = []
        for channel in contract.channels.values():
            for alias in (None, *channel.aliases):
                template = (alias or channel).template
                parts: list[str] = []
                for index, literal in enumerate(template.literals):
                    parts.append(re2.escape(literal))
                    if index < len(template.parameters):
                        pattern = contract.patterns.get(template.parameters[index], DEFAULT_PATTERN)
                        parts.append(f"(?:(?:{pattern})|{holes})")
                try:
                    regex = linear_regex("".join(parts))
                except ValueError:  # past RE2's memory budget: only whole names can match it
                    continue
                entries.append((-template.literal_length, 0 if alias is None else 1, regex,
                                ChannelMatch(channel, {}, alias)))
        entries.sort(key=lambda e: (e[0], e[1]))
        self.entries = [(regex, match) for _, _, regex, match in entries]

    def match(self, name: str) -> ChannelMatch | None:
        """Return the most specific template or alias the pattern fits, or None."""
        for regex, match in self.entries:
            if regex.fullmatch(name):
                return match
        return None


def _patterns(contract: Contract) -> _PatternIndex:
    """Return the contract's pattern index (built on first use)."""
    index = contract._resolved.get("patterns")
    if index is None:
        index = contract._resolved["patterns"] = _PatternIndex(contract)
    return index


# -- event names ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class EventName:
    """What an event name means: a contract event, an alias of one or several, or nothing."""

    name: str
    status: NameStatus
    event: Event | None = None
    replaced_by: tuple[str, ...] = ()
    note: str = ""
    suggestion: str | None = None

    @property
    def replacement(self) -> str | None:
        """What to write instead: the replacement(s) of an alias, or the closest event name."""
        return " / ".join(self.replaced_by) if self.replaced_by else self.suggestion

    @property
    def problem(self) -> str | None:
        """One sentence on what is wrong with the name, or None when it is canonical."""
        if self.status is NameStatus.CANONICAL:
            return None
        if self.status is NameStatus.UNKNOWN:
            hint = f"; did you mean {self.suggestion!r}?" if self.suggestion else ""
            return f"event {self.name!r} is not in the contract{hint}"
        return f"event {self.name!r} is a {self.status.value} name; use {self.replacement}"

    def finding(self) -> Finding | None:
        """The verdict finding about this name, or None when it is canonical."""
        problem = self.problem
        if problem is None:
            return None
        kind = {NameStatus.UNKNOWN: VerdictKind.UNKNOWN_EVENT,
                NameStatus.WRONG: VerdictKind.WRONG_EVENT_NAME,
                NameStatus.DEPRECATED: VerdictKind.DEPRECATED_NAME}[self.status]
        return Finding(kind, problem, replacement=self.replacement)


def resolve_event(contract: Contract, name: str) -> EventName:
    """Resolve an event name; `event` is set when it means exactly one contract event."""
    event = contract.events.get(name)
    if event is not None:
        return EventName(name, NameStatus.CANONICAL, event)
    alias = contract.event_aliases.get(name)
    if alias is None:
        return EventName(name, NameStatus.UNKNOWN, suggestion=suggest(name, contract.events))
    meant = contract.events.get(alias.replaced_by[0]) if len(alias.replaced_by) == 1 else None
    return EventName(name, NameStatus(alias.status.value), meant, alias.replaced_by, alias.note)


# -- payloads ------------------------------------------------------------------------------------


@dataclass(slots=True)
class PayloadCheck:
    """What checking one payload found: its JSON text and UTF-8 size, and the findings.

    `encoding` holds what is wrong with the bytes (not JSON, too large), `content` what is wrong
    with the decoded value (schema, sensitive fields); `findings` is both, in that order.
    """

    text: str | None
    size: int
    encoding: Sequence[Finding] = ()
    content: Sequence[Finding] = ()

    @property
    def findings(self) -> list[Finding]:
        """Every finding, encoding first."""
        return [*self.encoding, *self.content]

    @property
    def ok(self) -> bool:
        """Tell whether the payload passed every check."""
        return not self.encoding and not self.content


@dataclass(frozen=True, slots=True)
class PayloadRules:
    """How one event's payloads are checked for one target: schema, byte limit, sensitive fields."""

    validator: PayloadValidator | None
    limit: int
    sensitive: frozenset[str]

    def check_wire(self, data: Any, *, public_channel: str | None = None) -> PayloadCheck:
        """Check data as a subscriber received it: a string is the JSON text, decoded here."""
        if not isinstance(data, str):
            return self.check_value(data, public_channel=public_channel, encode=encode_data)
        try:
            value = json.loads(data)
        except json.JSONDecodeError as exc:
            size = _utf8_size(data)
            found = Finding(VerdictKind.NOT_JSON, f"data is not JSON ({exc.msg})")
            return PayloadCheck(data, size, [*self._too_large(size), found])
        return self._check(data, value, public_channel)

    def check_value(self, value: Any, *, public_channel: str | None = None,
                    encode: Callable[[Any], str] = encode_data) -> PayloadCheck:
        """Check a value about to be sent; `encode` makes the JSON text that goes on the wire."""
        try:
            text = encode(value)
        except (TypeError, ValueError) as exc:
            return PayloadCheck(None, 0, [Finding(VerdictKind.NOT_JSON,
                                                  f"payload is not JSON-serialisable: {exc}")])
        return self._check(text, value, public_channel)

    def _check(self, text: str, value: Any, public_channel: str | None) -> PayloadCheck:
        """Check the size of the JSON text and the decoded value (schema, sensitive fields)."""
        size = _utf8_size(text)
        encoding = self._too_large(size)
        validator = self.validator
        content: Sequence[Finding] = ()
        if validator is not None and not validator.is_valid(value):
            content = [Finding(VerdictKind.SCHEMA_VIOLATION, v.message, path=v.path)
                       for v in validator.violations(value)]
        if public_channel is not None and self.sensitive:
            exposed = sensitive_paths(value, self.sensitive)
            if exposed:
                content = [*content, *(
                    Finding(VerdictKind.SENSITIVE_EXPOSED, f"sensitive field {path} on public "
                            f"channel {public_channel!r}, readable by anyone with the app key",
                            path=path) for path in exposed)]
        return PayloadCheck(text, size, encoding, content)

    def _too_large(self, size: int) -> list[Finding]:
        """Report a payload over the target's limit (nothing when it fits)."""
        if size <= self.limit:
            return []
        return [Finding(VerdictKind.TOO_LARGE,
                        f"payload is {size} bytes (UTF-8 JSON); the limit is {self.limit}")]


def _utf8_size(text: str) -> int:
    """Count the UTF-8 bytes of a string (without encoding it when it is ASCII)."""
    return len(text) if text.isascii() else len(text.encode("utf-8"))


def payload_rules(contract: Contract, event: Event | None,
                  target: str | None = None) -> PayloadRules:
    """Return how `event`'s payloads are checked for `target` (None: the contract's default)."""
    return PayloadRules(event.validator if event is not None else None,
                        contract.target(target).max_payload_bytes, contract.sensitive_for(event))
