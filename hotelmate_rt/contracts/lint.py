"""Contract lint: the rules a contract must satisfy beyond loading."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from hotelmate_rt.rules import Level, RuleId

from .limits import CHANNEL_CHAR, MAX_CHANNEL_NAME, event_name_problem
from .model import ChannelKind, Contract, Location, suggest
from .templates import pattern_matches


class LintRule(RuleId):
    """What `contract lint` reports about the contract itself (not about code or events)."""

    UNDECLARED_PARAMETER = ("undeclared-parameter", Level.ERROR, "Undeclared parameter",
                            "A channel template or an audience scope names a parameter that is "
                            "not declared under parameters:.")
    PARAMETER_EXAMPLE = ("parameter-example", Level.ERROR, "Example does not match its pattern",
                         "Every parameter's example must match its own pattern.")
    EVENT_WITHOUT_CHANNEL = ("event-without-channel", Level.ERROR, "Event carried by no channel",
                             "Every event is carried by at least one channel.")
    UNKNOWN_CHANNEL = ("unknown-channel", Level.ERROR, "Reference to an undefined channel",
                       "An event names a channel id the contract does not define.")
    EVENT_NOT_ON_CHANNEL = ("event-not-on-channel", Level.ERROR,
                            "Action step on a channel not carrying its event",
                            "An action step restricts its event to a channel that never "
                            "carries that event.")
    UNKNOWN_STATE = ("unknown-state", Level.ERROR, "Reference to an undefined state",
                     "Initial states and transitions name states of their machine.")
    UNKNOWN_EVENT = ("unknown-event", Level.ERROR, "Reference to an undefined event",
                     "Transitions and action steps name events the contract defines.")
    EMPTY_ACTION = ("empty-action", Level.ERROR, "Action with no steps",
                    "An action emits at least one event.")
    KIND_PREFIX = ("kind-prefix", Level.ERROR, "Template prefix does not match the kind",
                   "A channel's template starts with the prefix its kind requires "
                   "(private-, presence-, private-encrypted-, or none for public).")
    UNAUTHENTICATED_PRIVATE = ("unauthenticated-private", Level.ERROR,
                               "Private channel no audience can be authorized for",
                               "A private or presence channel names an audience that "
                               "authenticates, or the auth endpoint can never allow it.")
    UNKNOWN_AUDIENCE = ("unknown-audience", Level.ERROR, "Reference to an undefined audience",
                        "Channels name audiences the contract defines.")
    SENSITIVE_ON_PUBLIC = ("sensitive-on-public", Level.ERROR,
                           "Sensitive field on a public channel",
                           "No event puts a sensitive field on a channel an unauthenticated "
                           "audience can read.")
    ALIAS_TO_NOTHING = ("alias-to-nothing", Level.ERROR, "Alias pointing at nothing",
                        "Every event or state alias points at an event or state that exists.")
    ALIAS_SHADOWS_EVENT = ("alias-shadows-event", Level.ERROR, "Alias with an event's name",
                           "A name is either an event or an alias of one, never both.")
    CHANNEL_NAME_LIMITS = ("channel-name-limits", Level.ERROR, "Channel name outside Pusher limits",
                           "Channel names fit Pusher's 164 characters and character set.")
    EVENT_NAME_LIMITS = ("event-name-limits", Level.ERROR, "Event name outside Pusher limits",
                         "Event names fit Pusher's 200 characters.")
    CHANNEL_WITHOUT_EVENT = ("channel-without-event", Level.WARNING, "Channel carrying no event",
                             "Every channel carries at least one event.")
    PUBLIC_AUDIENCE_ON_PRIVATE = ("public-audience-on-private", Level.ERROR,
                                  "Unauthenticated audience on a private channel",
                                  "The public audience is never listed on a private channel.")


@dataclass(frozen=True, slots=True)
class LintFinding:
    """One broken lint rule, located, with a plain sentence and a fix."""

    rule: LintRule
    severity: Level
    message: str
    where: Location
    fix: str = ""

    def __str__(self) -> str:
        fix = f" {self.fix}" if self.fix else ""
        return f"{self.where}: {self.severity.value} [{self.rule}] {self.message}.{fix}"

    def to_dict(self) -> dict[str, Any]:
        """Describe the finding for JSON output."""
        return {"rule": self.rule.value, "severity": self.severity.value,
                "message": self.message, "file": self.where.file, "line": self.where.line,
                "column": self.where.column, "path": self.where.path, "fix": self.fix}


def lint(contract: Contract) -> list[LintFinding]:
    """Run every lint rule and return the findings in file order."""
    findings = [*_parameters(contract), *_channels(contract), *_events(contract),
                *_aliases(contract), *_machines(contract), *_actions(contract)]
    return sorted(findings, key=lambda f: (f.where.line, f.where.column, f.rule))


def _finding(rule: LintRule, message: str, where: Location, fix: str = "") -> LintFinding:
    """Build a finding for a rule, at the rule's level."""
    return LintFinding(rule, rule.level, message, where, fix)


def _did_you_mean(name: str, known: object) -> str:
    """Phrase a fix from the closest known name."""
    guess = suggest(name, known)
    return f"Did you mean {guess!r}?" if guess else ""


def _parameters(contract: Contract) -> Iterator[LintFinding]:
    """Check that each parameter's example fits its pattern."""
    for p in contract.parameters.values():
        if p.example and not pattern_matches(p.pattern, p.example):
            yield _finding(LintRule.PARAMETER_EXAMPLE,
                           f"example {p.example!r} of {p.name} does not match {p.pattern!r}",
                           p.where, "Fix the example or the pattern.")


def _channels(contract: Contract) -> Iterator[LintFinding]:
    """Check templates, kinds, audiences and name limits of every channel."""
    carried = {cid for e in contract.events.values() for cid in e.channels}
    for channel in contract.channels.values():
        templates = [(channel.template, channel.where)] + [(a.template, a.where)
                                                           for a in channel.aliases]
        for template, where in templates:
            for name in template.parameters:
                if name not in contract.parameters:
                    yield _finding(LintRule.UNDECLARED_PARAMETER,
                                   f"template {template.text!r} uses undeclared parameter {name!r}",
                                   where, _did_you_mean(name, contract.parameters)
                                   or f"Declare '{name}' under parameters:.")
            yield from _name_limits(contract, template.text, template.literals,
                                    template.parameters, where)
        prefix = channel.kind.prefix
        actual = ChannelKind.of_name(channel.template.literals[0])
        if actual is not channel.kind:
            fix = (f"Start the template with '{prefix}'." if prefix
                   else "Drop the private-/presence- prefix or change kind.")
            yield _finding(LintRule.KIND_PREFIX, f"channel {channel.id} is declared {channel.kind.value} "
                           f"but its template {channel.template.text!r} makes it {actual.value}",
                           channel.where, fix)
        for audience in channel.audiences:
            if audience not in contract.audiences:
                yield _finding(LintRule.UNKNOWN_AUDIENCE, f"channel {channel.id} names unknown audience "
                               f"{audience!r}", channel.where,
                               _did_you_mean(audience, contract.audiences))
        known = [contract.audiences[a] for a in channel.audiences if a in contract.audiences]
        if channel.kind.needs_auth:
            if not any(a.authenticates for a in known):
                yield _finding(LintRule.UNAUTHENTICATED_PRIVATE,
                               f"{channel.kind.value} channel {channel.id} names no audience that "
                               "authenticates, so the auth endpoint can never allow it",
                               channel.where, "Add guest or staff to its audiences.")
            for reader in known:
                if not reader.authenticates:
                    yield _finding(LintRule.PUBLIC_AUDIENCE_ON_PRIVATE,
                                   f"{channel.kind.value} channel {channel.id} lists unauthenticated "
                                   f"audience {reader.name!r}", channel.where,
                                   "Remove it, or make the channel public.")
        if channel.id not in carried:
            yield _finding(LintRule.CHANNEL_WITHOUT_EVENT, f"channel {channel.id} carries no event",
                           channel.where, "List it under some event's channels, or remove it.")
    for declared in contract.audiences.values():
        for name in declared.scope:
            if name not in contract.parameters:
                yield _finding(LintRule.UNDECLARED_PARAMETER, f"audience {declared.name} is scoped to "
                               f"undeclared parameter {name!r}", declared.where,
                               _did_you_mean(name, contract.parameters))


def _name_limits(contract: Contract, text: str, literals: tuple[str, ...],
                 parameters: tuple[str, ...], where: Location) -> Iterator[LintFinding]:
    """Check a template's fixed characters and its length with the parameters' examples."""
    bad = sorted({c for part in literals for c in part if not CHANNEL_CHAR.fullmatch(c)})
    if bad:
        shown = " ".join(repr(c) for c in bad)
        yield _finding(LintRule.CHANNEL_NAME_LIMITS, f"template {text!r} contains {shown}, which Pusher "
                       "does not allow in channel names", where,
                       "Use only A-Z a-z 0-9 _ - = @ , . ;")
    example_length = sum(len(p) for p in literals) + sum(
        len(contract.parameters[p].example) if p in contract.parameters else 1 for p in parameters)
    if example_length > MAX_CHANNEL_NAME:
        yield _finding(LintRule.CHANNEL_NAME_LIMITS, f"template {text!r} renders to {example_length} "
                       f"characters with the example values; Pusher allows {MAX_CHANNEL_NAME}",
                       where, "Shorten the fixed parts of the name.")


def _events(contract: Contract) -> Iterator[LintFinding]:
    """Check that events name real channels and keep sensitive fields off public ones."""
    for event in contract.events.values():
        problem = event_name_problem(event.name)
        if problem:
            yield _finding(LintRule.EVENT_NAME_LIMITS, f"event {event.name[:40]!r}...: {problem}",
                           event.where)
        if not event.channels:
            yield _finding(LintRule.EVENT_WITHOUT_CHANNEL, f"event {event.name} is carried by no channel",
                           event.where, "List at least one channel under its channels:.")
        sensitive = contract.sensitive_for(event)
        declared = _declared_fields(event.schema)
        for cid in event.channels:
            channel = contract.channels.get(cid)
            if channel is None:
                yield _finding(LintRule.UNKNOWN_CHANNEL, f"event {event.name} names unknown channel "
                               f"{cid!r}", event.where, _did_you_mean(cid, contract.channels))
                continue
            if not channel.public_readable:
                continue
            exposed = sorted((declared & sensitive) | set(event.sensitive))
            if exposed:
                yield _finding(LintRule.SENSITIVE_ON_PUBLIC,
                               f"event {event.name} puts sensitive field(s) {', '.join(exposed)} "
                               f"on public channel {cid}, readable by anyone with the app key",
                               event.where, "Move the event to a private channel or drop the "
                               "fields from its schema.")


def _declared_fields(schema: Any) -> set[str]:
    """Collect every property name declared anywhere in a schema."""
    found: set[str] = set()
    stack = [schema]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            props = node.get("properties")
            if isinstance(props, dict):
                found.update(str(k) for k in props)
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return found


def _aliases(contract: Contract) -> Iterator[LintFinding]:
    """Check that event aliases point at real events and do not shadow them."""
    for alias in contract.event_aliases.values():
        if alias.name in contract.events:
            yield _finding(LintRule.ALIAS_SHADOWS_EVENT, f"{alias.name!r} is both an event and an alias",
                           alias.where, "Remove one of them.")
        if not alias.replaced_by:
            yield _finding(LintRule.ALIAS_TO_NOTHING, f"event alias {alias.name!r} replaces nothing",
                           alias.where, "Name the event(s) under replaced_by:.")
        for target in alias.replaced_by:
            if target not in contract.events:
                yield _finding(LintRule.ALIAS_TO_NOTHING, f"event alias {alias.name!r} points at unknown "
                               f"event {target!r}", alias.where,
                               _did_you_mean(target, contract.events))


def _machines(contract: Contract) -> Iterator[LintFinding]:
    """Check transitions and state aliases against states and events."""
    for machine in contract.state_machines.values():
        states = set(machine.states)
        for state in machine.initial:
            if state not in states:
                yield _finding(LintRule.UNKNOWN_STATE, f"initial state {state!r} is not a state of "
                               f"{machine.name}", machine.where, _did_you_mean(state, states))
        for t in machine.transitions:
            for state in (t.source, t.target):
                if state not in states:
                    yield _finding(LintRule.UNKNOWN_STATE, f"transition {t.source} -> {t.target} names "
                                   f"unknown state {state!r}", t.where,
                                   _did_you_mean(state, states) or
                                   f"Add it to {machine.name}.states.")
            for name in t.emits:
                if name not in contract.events:
                    yield _finding(LintRule.UNKNOWN_EVENT, f"transition {t.source} -> {t.target} emits "
                                   f"unknown event {name!r}", t.where,
                                   _did_you_mean(name, contract.events))
        for alias in machine.aliases:
            if alias.replaced_by not in states:
                yield _finding(LintRule.ALIAS_TO_NOTHING, f"state alias {alias.name!r} points at unknown "
                               f"state {alias.replaced_by!r}", alias.where,
                               _did_you_mean(alias.replaced_by, states))


def _actions(contract: Contract) -> Iterator[LintFinding]:
    """Check that action steps name real events and channels that carry them."""
    for action in contract.actions.values():
        if not action.steps:
            yield _finding(LintRule.EMPTY_ACTION, f"action {action.name} has no steps", action.where)
        for step in action.steps:
            event = contract.events.get(step.event)
            if event is None:
                yield _finding(LintRule.UNKNOWN_EVENT, f"action {action.name} emits unknown event "
                               f"{step.event!r}", step.where,
                               _did_you_mean(step.event, contract.events))
                continue
            for cid in step.channels:
                if cid not in event.channels:
                    yield _finding(LintRule.EVENT_NOT_ON_CHANNEL,
                                   f"action {action.name}: {step.event} is not carried by {cid!r}",
                                   step.where, f"It is carried by {', '.join(event.channels)}.")
