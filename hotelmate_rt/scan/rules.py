"""The scan's rule ids (stable: CI configs, suppressions and SARIF refer to them).

Adding a scan rule means adding a member here and reporting it from `checks.py`.
"""

from __future__ import annotations

from hotelmate_rt.rules import Level, RuleId

__all__ = ["CONTRACT_RULES", "DRIFT_RULES", "NAME_RULES", "Level", "ScanRule"]


class ScanRule(RuleId):
    """What `scan` reports about backend and frontend code, with each rule's default level."""

    UNKNOWN_EVENT = ("unknown-event", Level.ERROR, "Event name not in the contract",
                     "The code emits or binds an event name that is neither a contract event "
                     "nor an alias of one. The other side never sends or listens for it.")
    WRONG_EVENT_NAME = ("wrong-event-name", Level.ERROR, "Wrong event name",
                        "The code emits or binds a name the contract lists as a wrong name of "
                        "an event; the other side never sends or listens for it. The fix names "
                        "the canonical event.")
    DEPRECATED_EVENT = ("deprecated-event", Level.WARNING, "Deprecated event name",
                        "The event name is a deprecated alias in the contract; use its "
                        "replacement.")
    UNKNOWN_VARIANT = ("unknown-variant", Level.ERROR, "Envelope variant not in the contract",
                       "An envelope event's payload names a variant (its selector field's "
                       "value) that the event's contract does not define.")
    UNKNOWN_CHANNEL = ("unknown-channel", Level.ERROR, "Channel name matches no contract channel",
                       "The channel name (after interpolations become `{*}`) fits no channel "
                       "template of the contract, nor any alias of one.")
    WRONG_CHANNEL_NAME = ("wrong-channel-name", Level.ERROR, "Wrong channel name",
                          "The channel name only fits an alias the contract marks as wrong; "
                          "the fix names the canonical channel.")
    DEPRECATED_CHANNEL = ("deprecated-channel", Level.WARNING, "Deprecated channel name",
                          "The channel name only fits an alias the contract marks as "
                          "deprecated.")
    EVENT_NOT_ON_CHANNEL = ("event-not-on-channel", Level.ERROR, "Event not carried by that channel",
                            "Per the contract, the event is never sent on the channel used "
                            "here, so the other side never receives it there.")
    PRIVATE_WITHOUT_AUTH = ("private-without-auth", Level.ERROR,
                            "Private/presence channel without auth",
                            "A private or presence channel is subscribed through a Pusher client "
                            "that configures no auth endpoint or authorizer, so the "
                            "subscription cannot be authorized.")
    PUBLIC_WITH_AUTH = ("public-with-auth", Level.ERROR, "Public channel subscribed with auth",
                        "The Pusher client passes auth headers but subscribes a public channel: "
                        "auth never runs for public channels, so anyone with the app key can "
                        "read it.")
    PAYLOAD_UNKNOWN_FIELD = ("payload-unknown-field", Level.ERROR,
                             "Payload field not allowed by the schema",
                             "A payload dict literal has a field the event's schema does not "
                             "allow.")
    PAYLOAD_MISSING_FIELD = ("payload-missing-field", Level.WARNING,
                             "Payload lacks a required field",
                             "A complete payload dict literal lacks a field the event's schema "
                             "requires.")
    PAYLOAD_SENSITIVE_PUBLIC = ("payload-sensitive-public", Level.ERROR,
                                "Sensitive field on a public channel",
                                "A payload field the contract marks sensitive is sent on a "
                                "channel anyone can read.")
    UNKNOWN_ACTION = ("unknown-action", Level.ERROR, "Action not in the contract",
                      "emit_action names an action the contract does not define.")
    ILLEGAL_TRANSITION = ("illegal-transition", Level.ERROR, "Status transition not in the contract",
                          "transition() names a status change the contract's state machine "
                          "does not allow, or a status by an alias.")
    UNCOVERED_BACKEND_EVENT = ("uncovered-backend-event", Level.WARNING,
                               "Contract event never emitted",
                               "No scanned backend code emits this contract event.")
    UNCOVERED_FRONTEND_EVENT = ("uncovered-frontend-event", Level.WARNING,
                                "Contract event never bound",
                                "No scanned frontend code binds this contract event.")
    TRANSITION_NEVER_EMITTED = ("transition-never-emitted", Level.WARNING,
                                "Transition whose events are emitted nowhere",
                                "A contract status transition must emit events that no scanned "
                                "backend code emits.")
    UNRESOLVED_SITE = ("unresolved-site", Level.WARNING, "Call site the scan could not resolve",
                       "A trigger/subscribe/bind site whose channel or event name the scan "
                       "could not work out; it is reported so that nothing is skipped "
                       "silently.")
    # -- adoption: cross-side drift, privacy without a contract entry, partial parses ----------
    DRIFT_CHANNEL = ("drift-channel", Level.ERROR, "Channel one side uses and the other never does",
                     "The frontend subscribes a channel no scanned backend code sends on; the "
                     "nearest backend spelling is named with both locations.")
    DRIFT_EVENT = ("drift-event", Level.ERROR, "Event bound that the backend never sends there",
                   "The frontend binds (directly, through a handler map or an envelope route) an "
                   "event no scanned backend code sends on that channel; the nearest spelling is "
                   "named with both locations.")
    DRIFT_UNHEARD = ("drift-unheard", Level.WARNING, "Backend event nobody listens to",
                     "Scanned backend code sends an event (or envelope subtype) that no scanned "
                     "frontend code binds or routes.")
    DRIFT_PARAMETER = ("drift-parameter", Level.WARNING,
                       "Channel parameter filled from different sources",
                       "Both sides build the same channel, but fill one parameter from different "
                       "kinds of value (an id on one side, a slug or reference on the other), so "
                       "the names never meet.")
    PERSONAL_DATA_PUBLIC = ("personal-data-public", Level.ERROR,
                            "Personal or secret data sent on a public channel",
                            "A payload sent on a channel anyone with the app key can read carries "
                            "fields whose names say personal or secret data (the contract's "
                            "sensitive_fields plus a built-in vocabulary), whether or not the "
                            "event is in the contract.")
    PARTIAL_PARSE = ("partial-parse", Level.NOTE, "File scanned around a syntax error",
                     "The parser recovered from a syntax error; the rest of the file was scanned, "
                     "the part around the error may hold sites the scan did not see.")


DRIFT_RULES = frozenset({ScanRule.DRIFT_CHANNEL, ScanRule.DRIFT_EVENT, ScanRule.DRIFT_UNHEARD,
                         ScanRule.DRIFT_PARAMETER})
"""The rules that compare the backend with the frontend directly."""

NAME_RULES = frozenset({
    ScanRule.UNKNOWN_EVENT, ScanRule.WRONG_EVENT_NAME, ScanRule.DEPRECATED_EVENT,
    ScanRule.UNKNOWN_CHANNEL, ScanRule.WRONG_CHANNEL_NAME, ScanRule.DEPRECATED_CHANNEL,
    ScanRule.EVENT_NOT_ON_CHANNEL})
"""The rules that judge a channel or event name against the contract (drift does not repeat them)."""

CONTRACT_RULES = NAME_RULES | {
    ScanRule.UNKNOWN_VARIANT, ScanRule.PAYLOAD_UNKNOWN_FIELD, ScanRule.PAYLOAD_MISSING_FIELD,
    ScanRule.PAYLOAD_SENSITIVE_PUBLIC, ScanRule.UNKNOWN_ACTION, ScanRule.ILLEGAL_TRANSITION,
    ScanRule.UNCOVERED_BACKEND_EVENT, ScanRule.UNCOVERED_FRONTEND_EVENT,
    ScanRule.TRANSITION_NEVER_EMITTED}
"""The rules that need a contract: off when the scan runs without one."""
