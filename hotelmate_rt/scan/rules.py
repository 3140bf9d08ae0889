"""The scan's rule ids (stable: CI configs, suppressions and SARIF refer to them)."""

from __future__ import annotations

import enum
from dataclasses import dataclass


class Level(enum.StrEnum):
    """How much a finding matters: error and warning count toward --fail-on; off hides it."""

    ERROR = "error"
    WARNING = "warning"
    NOTE = "note"
    OFF = "off"

    @property
    def rank(self) -> int:
        """Order levels for --fail-on comparisons (off lowest; a note never fails a run)."""
        return {"off": 0, "note": 0, "warning": 1, "error": 2}[self.value]


@dataclass(frozen=True, slots=True)
class Rule:
    """A rule id, its default level, a one-line title and the longer help text."""

    id: str
    level: Level
    title: str
    help: str


_RULES = (
    Rule("unknown-event", Level.ERROR, "Event name not in the contract",
         "The code emits or binds an event name the contract does not define (or only names as "
         "a wrong alias). The other side never sends or listens for it."),
    Rule("deprecated-event", Level.WARNING, "Deprecated event name",
         "The event name is a deprecated alias in the contract; use its replacement."),
    Rule("unknown-channel", Level.ERROR, "Channel name matches no contract channel",
         "The channel name (after interpolations become `{*}`) fits no channel template of the "
         "contract, or only an alias the contract marks as wrong."),
    Rule("deprecated-channel", Level.WARNING, "Deprecated channel name",
         "The channel name only fits an alias the contract marks as deprecated."),
    Rule("event-not-on-channel", Level.ERROR, "Event not carried by that channel",
         "Per the contract, the event is never sent on the channel used here, so the other side "
         "never receives it there."),
    Rule("private-without-auth", Level.ERROR, "Private/presence channel without auth",
         "A private or presence channel is subscribed through a Pusher client that configures no "
         "auth endpoint or authorizer, so the subscription cannot be authorized."),
    Rule("public-with-auth", Level.ERROR, "Public channel subscribed with auth",
         "The Pusher client passes auth headers but subscribes a public channel: auth never runs "
         "for public channels, so anyone with the app key can read it."),
    Rule("payload-unknown-field", Level.ERROR, "Payload field not allowed by the schema",
         "A payload dict literal has a field the event's schema does not allow."),
    Rule("payload-missing-field", Level.WARNING, "Payload lacks a required field",
         "A complete payload dict literal lacks a field the event's schema requires."),
    Rule("payload-sensitive-public", Level.ERROR, "Sensitive field on a public channel",
         "A payload field the contract marks sensitive is sent on a channel anyone can read."),
    Rule("unknown-action", Level.ERROR, "Action not in the contract",
         "emit_action names an action the contract does not define."),
    Rule("illegal-transition", Level.ERROR, "Status transition not in the contract",
         "transition() names a status change the contract's state machine does not allow."),
    Rule("uncovered-backend-event", Level.WARNING, "Contract event never emitted",
         "No scanned backend code emits this contract event."),
    Rule("uncovered-frontend-event", Level.WARNING, "Contract event never bound",
         "No scanned frontend code binds this contract event."),
    Rule("transition-never-emitted", Level.WARNING, "Transition whose events are emitted nowhere",
         "A contract status transition must emit events that no scanned backend code emits."),
    Rule("unresolved-site", Level.WARNING, "Call site the scan could not resolve",
         "A trigger/subscribe/bind site whose channel or event name the scan could not work out; "
         "it is reported so that nothing is skipped silently."),
    # -- adoption (issue 10): cross-side drift, privacy without a contract entry, partial parses
    Rule("drift-channel", Level.ERROR, "Channel one side uses and the other never does",
         "The frontend subscribes a channel no scanned backend code sends on (or the backend sends "
         "on one nobody subscribes); the nearest spelling on the other side is named with both "
         "locations."),
    Rule("drift-event", Level.ERROR, "Event bound that the backend never sends there",
         "The frontend binds (directly, through a handler map or an envelope route) an event no "
         "scanned backend code sends on that channel; the nearest spelling is named with both "
         "locations."),
    Rule("drift-unheard", Level.WARNING, "Backend event nobody listens to",
         "Scanned backend code sends an event (or envelope subtype) that no scanned frontend code "
         "binds or routes."),
    Rule("drift-parameter", Level.WARNING, "Channel parameter filled from different sources",
         "Both sides build the same channel, but fill one parameter from different kinds of value "
         "(an id on one side, a slug or reference on the other), so the names never meet."),
    Rule("personal-data-public", Level.ERROR, "Personal or secret data sent on a public channel",
         "A payload sent on a channel anyone with the app key can read carries fields whose names "
         "say personal or secret data (the contract's sensitive_fields plus a built-in "
         "vocabulary), whether or not the event is in the contract."),
    Rule("partial-parse", Level.NOTE, "File scanned around a syntax error",
         "The parser recovered from a syntax error; the rest of the file was scanned, the part "
         "around the error may hold sites the scan did not see."),
)

RULES: dict[str, Rule] = {rule.id: rule for rule in _RULES}
