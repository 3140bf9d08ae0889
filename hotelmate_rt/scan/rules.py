"""The scan's rule ids (stable: CI configs, suppressions and SARIF refer to them).

Adding a scan rule means adding a member here and reporting it from `checks.py`.
"""

from __future__ import annotations

from hotelmate_rt.rules import Level, RuleId

__all__ = ["CONTRACT_RULES", "DRIFT_RULES", "LIFECYCLE_RULES", "NAME_RULES", "Level", "ScanRule"]


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

    # -- subscription lifecycle (React effects, hooks, shared clients): lifecyclecheck.py -------
    LIFECYCLE_SHARED_UNSUBSCRIBE = (
        "lifecycle-shared-unsubscribe", Level.ERROR,
        "Cleanup unsubscribes a channel other components still use",
        "An effect cleanup calls `pusher.unsubscribe(name)` (or `channel.unsubscribe()`) on a "
        "shared client while another component, hook caller or module subscribes the same channel "
        "through it: pusher-js keeps one subscription per name, so when this component unmounts "
        "the others stop receiving events. Unbind only this component's handlers and leave "
        "unsubscribing to a ref-counted registry.")
    LIFECYCLE_SHARED_TEARDOWN = (
        "lifecycle-shared-teardown", Level.ERROR,
        "Cleanup disconnects or unbinds everything on a shared client",
        "An effect cleanup calls `pusher.disconnect()` on a module-level or context client (every "
        "component loses its events, and nothing reconnects it), or `channel.unbind_all()` / "
        "`channel.unbind()` / `pusher.unbind_all()` where other components bind on the same "
        "channel or client (their handlers are removed too).")
    LIFECYCLE_UNBIND_WITHOUT_HANDLER = (
        "lifecycle-unbind-without-handler", Level.ERROR,
        "`unbind(event)` without the handler removes other components' handlers",
        "An effect cleanup calls `channel.unbind('event')` with no handler on a channel another "
        "component binds the same event on: pusher-js removes every handler of that event, so "
        "the other component stops receiving it. Pass the handler.")
    LIFECYCLE_STALE_SUBSCRIPTION = (
        "lifecycle-stale-subscription", Level.ERROR,
        "Effect subscribes with dependencies that leave out the channel's props/state",
        "The channel name is built from props, state or hook values that the effect's dependency "
        "array (often `[]`) leaves out: when they change, the component keeps the subscription "
        "to the previous channel and never receives the new one's events.")
    LIFECYCLE_HANDLER_LEAK = (
        "lifecycle-handler-leak", Level.ERROR,
        "Handler bound again on every re-run and never unbound",
        "A `bind` runs in the component body, or in an effect that re-runs on the same channel "
        "(no dependency array, a dependency that is not the channel, or a cleanup that unbinds "
        "the other handlers) without the cleanup unbinding that same handler: handlers pile up "
        "and each message is handled (and shown) several times.")
    LIFECYCLE_BIND_UNSUBSCRIBED = (
        "lifecycle-bind-unsubscribed", Level.ERROR,
        "Bind on a channel this scope never subscribes",
        "Events are bound on `pusher.channel(name)` (or `pusher.channels.find`) where nothing in "
        "that component or function subscribes the channel: the lookup only finds a channel some "
        "other code subscribed first, else it is undefined and no event arrives.")
    LIFECYCLE_CLIENT_PER_MOUNT = (
        "lifecycle-client-per-mount", Level.WARNING,
        "Pusher client created in a component or hook",
        "`new Pusher(...)` runs in a component body, an effect or a per-instance initializer, so "
        "each mount (or render) opens another websocket; without a disconnect in the cleanup old "
        "connections keep delivering events. Context providers are left alone.")
    LIFECYCLE_DUPLICATE_CLIENT = (
        "lifecycle-duplicate-client", Level.WARNING, "Pusher client created in two modules",
        "Two modules of one app each create a module-level Pusher client: two websockets, and "
        "code importing one never sees the other's subscriptions, handlers or disconnects.")
    LIFECYCLE_NO_ERROR_HANDLER = (
        "lifecycle-no-error-handler", Level.WARNING,
        "Private channel with no subscription or connection error handler",
        "A private or presence channel is subscribed, but nothing binds "
        "`pusher:subscription_error` on it and no `error` / `failed` / `state_change` handler is "
        "bound on the client's connection: a refused authorization (403) is invisible.")
    LIFECYCLE_NO_CATCH_UP = (
        "lifecycle-no-catch-up", Level.WARNING, "Nothing refetches after a reconnect",
        "A client whose channels carry events has no `connected` / `state_change` connection "
        "handler, `pusher:subscription_succeeded` handler or `online` listener that does more "
        "than log: events sent while the page was offline are lost (Pusher keeps no history).")


LIFECYCLE_RULES = frozenset(rule for rule in ScanRule if rule.value.startswith("lifecycle-"))
"""The rules that judge React subscription lifecycles (they need no contract)."""

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
