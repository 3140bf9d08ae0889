"""The scan's rule ids (stable: CI configs, suppressions and SARIF refer to them).

Adding a scan rule means adding a member here and reporting it from `checks.py`.
"""

from __future__ import annotations

from hotelmate_rt.rules import Level, RuleId

__all__ = ["Level", "ScanRule"]


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
