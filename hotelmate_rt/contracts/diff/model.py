"""What a contract diff reports: levels, the one enum of check ids, changes and the result."""

from __future__ import annotations

import enum
from collections import Counter
from dataclasses import dataclass, field, replace
from typing import Any

from hotelmate_rt.contracts.model import Location
from hotelmate_rt.rules import RuleId


class Level(enum.StrEnum):
    """How bad a change is for builds that already exist: breaks, cannot tell, or harmless."""

    ERR = "ERR"
    WARN = "WARN"
    INFO = "INFO"

    @property
    def rank(self) -> int:
        """Order levels: ERR 3, WARN 2, INFO 1 (for --fail-on and sorting)."""
        return {"ERR": 3, "WARN": 2, "INFO": 1}[self.value]

    @classmethod
    def parse(cls, text: str) -> Level:
        """Read a level written as ERR/WARN/INFO in any case (ValueError otherwise)."""
        try:
            return cls(text.strip().upper())
        except ValueError:
            raise ValueError(f"level must be ERR, WARN or INFO, not {text!r}") from None


class Area(enum.StrEnum):
    """The part of the contract a change is about (the text and markdown group by it)."""

    EVENTS = "events"
    CHANNELS = "channels"
    PAYLOADS = "payloads"
    MACHINES = "status machines and actions"
    LIMITS = "limits"


E, W, I = Level.ERR, Level.WARN, Level.INFO  # noqa: E741 - short names keep the table readable


class DiffCheck(RuleId):
    """Every change `contract diff` can report, with its default level (stable ids)."""

    # -- events ------------------------------------------------------------------------------
    EVENT_REMOVED = ("event-removed", E, "Event removed",
                     "Frontends that bind it never hear it again; backends that emit it fail.")
    EVENT_RENAMED = ("event-renamed-without-alias", E, "Event renamed without an alias",
                     "Keep the old name under event_aliases (deprecated, with a sunset date).")
    EVENT_DEPRECATED = ("event-became-alias", W, "Event replaced by an alias",
                        "Old frontends binding the old name hear nothing until they move; the "
                        "tools now say which event replaces it.")
    EVENT_ADDED = ("event-added", I, "Event added", "New events break nobody.")
    EVENT_CHANNEL_REMOVED = ("event-channel-removed", E, "Event moved off a channel",
                             "Frontends subscribed to that channel stop receiving the event.")
    EVENT_CHANNEL_ADDED = ("event-channel-added", I, "Event now also on a channel",
                           "Subscribers of that channel may receive an event they ignore.")
    ENVELOPE_FIELD_CHANGED = ("event-envelope-field-changed", E, "Envelope field changed",
                              "Frontends route envelope variants on the old field name.")
    ALIAS_REMOVED_BEFORE_SUNSET = ("alias-removed-before-sunset", E,
                                   "Alias removed before its sunset date",
                                   "Its sunset date promised clients time until then.")
    ALIAS_REMOVED_AFTER_SUNSET = ("alias-removed-after-sunset", I,
                                  "Alias removed after its sunset date",
                                  "The deprecation period is over.")
    ALIAS_REMOVED_UNDATED = ("alias-removed-undated", W, "Deprecated alias removed (no sunset)",
                             "Without a sunset date nobody can tell whether clients moved.")
    WRONG_ALIAS_REMOVED = ("wrong-alias-removed", I, "Wrong-name alias removed",
                           "The name was never valid; tools just stop suggesting the fix.")
    ALIAS_ADDED = ("alias-added", I, "Alias added", "A known old or wrong name helps diagnosis.")
    ALIAS_RETARGETED = ("alias-retargeted", W, "Alias points elsewhere",
                        "Tools now suggest a different replacement for the old name.")
    ALIAS_SUNSET_EARLIER = ("alias-sunset-brought-forward", W, "Alias sunset brought forward",
                            "Clients have less time to move than they were told.")
    # -- channels ----------------------------------------------------------------------------
    CHANNEL_REMOVED = ("channel-removed", E, "Channel removed",
                       "Subscribers hear nothing; auth refuses the name.")
    CHANNEL_ADDED = ("channel-added", I, "Channel added", "New channels break nobody.")
    CHANNEL_ID_RENAMED = ("channel-id-renamed", I, "Channel id renamed (same name)",
                          "Clients subscribe by name, which is unchanged; generated code "
                          "renames its builder.")
    CHANNEL_TEMPLATE_CHANGED = ("channel-template-changed", E, "Channel name template changed",
                                "Existing builds subscribe to and trigger on the old name.")
    CHANNEL_PARAMETER_RENAMED = ("channel-parameter-renamed", E, "Channel parameter renamed",
                                 "Builders and auth scopes use parameter names.")
    CHANNEL_KIND_CHANGED = ("channel-kind-changed", E, "Channel kind (prefix) changed",
                            "The name's prefix changes and with it how subscribing works.")
    CHANNEL_MADE_PUBLIC = ("channel-made-public", E, "Channel made public",
                           "Anyone with the app key can read it: a security regression.")
    CHANNEL_AUDIENCE_REMOVED = ("channel-audience-removed", E, "Audience lost a channel",
                                "The auth endpoint now refuses that audience.")
    CHANNEL_AUDIENCE_ADDED = ("channel-audience-added", I, "Audience gained a channel",
                              "More readers; check the payloads suit them.")
    PARAMETER_NARROWED = ("parameter-pattern-narrowed", E, "Parameter pattern narrowed",
                          "Values valid before are refused now (render and auth).")
    PARAMETER_RETYPED = ("parameter-retyped", E, "Parameter retyped",
                         "The pattern accepts different values, old ones are refused.")
    PARAMETER_WIDENED = ("parameter-pattern-widened", I, "Parameter pattern widened",
                         "Every old value is still valid.")
    PARAMETER_CHANGED = ("parameter-pattern-changed", W, "Parameter pattern changed",
                         "Neither a narrowing nor a widening could be shown.")
    AUDIENCE_SCOPE_CHANGED = ("audience-scope-changed", W, "Audience scope changed",
                              "Principals are bound to different parameters at auth.")
    # -- payloads ----------------------------------------------------------------------------
    FIELD_REMOVED = ("payload-field-removed", E, "Required payload field removed",
                     "Clients read it unconditionally.")
    OPTIONAL_FIELD_REMOVED = ("payload-optional-field-removed", W, "Optional payload field removed",
                              "Clients may read it.")
    FIELD_MADE_OPTIONAL = ("payload-field-made-optional", W, "Payload field made optional",
                           "Clients read it without checking for its absence.")
    REQUIRED_FIELD_ADDED = ("payload-required-field-added", I, "Required payload field added",
                            "Harmless for clients; every backend send site must now set it.")
    OPTIONAL_FIELD_ADDED = ("payload-optional-field-added", I, "Optional payload field added",
                            "Harmless for clients.")
    FIELD_MADE_REQUIRED = ("payload-field-made-required", I, "Payload field made required",
                           "Harmless for clients; every backend send site must now set it.")
    TYPE_CHANGED = ("payload-type-changed", E, "Payload field type changed",
                    "Clients handle the old type only.")
    TYPE_WIDENED = ("payload-type-widened", E, "Payload field type widened",
                    "Clients receive a type they never handled.")
    TYPE_NARROWED = ("payload-type-narrowed", W, "Payload field type narrowed",
                     "Clients are fine; backend code sending the dropped type now fails.")
    ENUM_VALUE_ADDED = ("payload-enum-value-added", W, "Enum value added",
                        "Clients switch over the old values; mark the enum x-extensible if "
                        "they must tolerate new ones.")
    EXTENSIBLE_ENUM_VALUE_ADDED = ("payload-extensible-enum-value-added", I,
                                   "Value added to an extensible enum",
                                   "The contract told clients to expect new values.")
    ENUM_VALUE_REMOVED = ("payload-enum-value-removed", I, "Enum value removed",
                          "Clients just stop seeing it.")
    ENUM_VALUE_STILL_EMITTED = ("payload-enum-value-still-emitted", E,
                                "Enum value removed that a transition still sends",
                                "The emitter must send it for a transition of the status machine.")
    ENUM_DROPPED = ("payload-enum-dropped", E, "Enum constraint dropped",
                    "Clients receive values outside the set they handle.")
    ENUM_INTRODUCED = ("payload-enum-introduced", W, "Enum constraint introduced",
                       "Clients are fine; backend code sending other values now fails.")
    FORMAT_CHANGED = ("payload-format-changed", E, "String format changed",
                      "Clients parse the old format.")
    FORMAT_REMOVED = ("payload-format-removed", W, "String format removed",
                      "Clients may parse it as the old format.")
    FORMAT_ADDED = ("payload-format-added", I, "String format added", "Clients are fine.")
    CONSTRAINT_CHANGED = ("payload-constraint-changed", W, "Value constraint changed",
                          "Pattern, length, range or item bounds differ.")
    CLOSED = ("payload-additional-properties-forbidden", W, "Payload closed to extra fields",
              "Backend code sending extra fields now fails validation.")
    OPENED = ("payload-additional-properties-allowed", I, "Payload open to extra fields",
              "Clients ignore fields they do not know.")
    VARIANT_ADDED = ("payload-variant-added", W, "Payload variant added",
                     "Clients switch over the old variants.")
    VARIANT_REMOVED = ("payload-variant-removed", I, "Payload variant removed",
                       "Clients just stop seeing it.")
    KEYWORD_CHANGED = ("payload-keyword-changed", W, "Other schema keyword changed",
                       "A keyword the diff does not model changed: check it by hand.")
    SENSITIVE_ON_PUBLIC = ("payload-sensitive-on-public", E, "Sensitive field on a public channel",
                           "Anyone with the app key reads it.")
    # -- status machines and actions ---------------------------------------------------------
    MACHINE_REMOVED = ("state-machine-removed", E, "Status machine removed",
                       "Backend code calling transition() fails.")
    MACHINE_ADDED = ("state-machine-added", I, "Status machine added", "Breaks nobody.")
    STATE_REMOVED = ("state-removed", E, "Status removed",
                     "Backend code moving to it is refused; frontends may still show it.")
    STATE_ADDED = ("state-added", W, "Status added",
                   "Frontends switch over the statuses they know.")
    INITIAL_CHANGED = ("initial-states-changed", W, "Initial statuses changed",
                       "New bookings may start in a status frontends do not expect.")
    TRANSITION_REMOVED = ("transition-removed", E, "Transition removed",
                          "Backend code performing it is refused.")
    TRANSITION_ADDED = ("transition-added", I, "Transition added", "Breaks nobody.")
    TRANSITION_EMITS_REMOVED = ("transition-emits-removed", E, "Transition no longer emits an event",
                                "Frontends waiting for that event on this change never see it.")
    TRANSITION_EMITS_ADDED = ("transition-emits-added", I, "Transition emits another event",
                              "The emitter sends it; frontends may ignore it.")
    ACTION_REMOVED = ("action-removed", E, "Action removed",
                      "Backend code calling emit_action() fails.")
    ACTION_ADDED = ("action-added", I, "Action added", "Breaks nobody.")
    ACTION_EVENT_REMOVED = ("action-event-removed", E, "Action no longer emits an event",
                            "Frontends waiting for it never see it.")
    ACTION_EVENT_ADDED = ("action-event-added", I, "Action emits another event",
                          "Frontends may ignore it.")
    ACTION_REORDERED = ("action-steps-reordered", W, "Action steps reordered",
                        "Frontends may rely on the order (message before receipt).")
    ACTION_CHANNELS_CHANGED = ("action-channels-changed", W, "Action step channels changed",
                               "The step reaches different subscribers.")
    # -- limits ------------------------------------------------------------------------------
    TARGET_REMOVED = ("target-removed", W, "Target removed",
                      "Tools and CI jobs passing --target NAME fail.")
    TARGET_ADDED = ("target-added", I, "Target added", "Breaks nobody.")
    TARGET_LIMIT_LOWERED = ("target-limit-lowered", W, "Payload limit lowered",
                            "Payloads that fitted may now be refused.")
    TARGET_LIMIT_RAISED = ("target-limit-raised", I, "Payload limit raised", "Breaks nobody.")
    DEFAULT_TARGET_CHANGED = ("default-target-changed", W, "Default target changed",
                              "Every size check now measures against another limit.")
    PAYLOAD_EXCEEDS_LIMIT = ("payload-exceeds-limit", E, "Largest payload exceeds a limit",
                             "A payload valid under the schema can be refused by the server.")


# Checks whose note lists the backend send sites that must change (`contract diff --scan`).
SEND_SITE_CHECKS = frozenset({DiffCheck.REQUIRED_FIELD_ADDED, DiffCheck.FIELD_MADE_REQUIRED,
                              DiffCheck.ENUM_INTRODUCED, DiffCheck.CLOSED,
                              DiffCheck.TYPE_NARROWED})


@dataclass(frozen=True, slots=True)
class Change:
    """One judged change: which check, how bad, a sentence with both values, where on each side."""

    check: DiffCheck
    area: Area
    subject: str
    message: str
    level: Level
    old: Location | None = None
    new: Location | None = None
    before: Any = None
    after: Any = None
    event: str | None = None
    notes: tuple[str, ...] = ()
    accepted: str | None = None
    anchor: Location | None = field(default=None, compare=False)  # where in NEW to annotate

    @property
    def key(self) -> str:
        """The stable identity of this change (what an accepted-changes entry names)."""
        return f"{self.check.value} {self.subject}"

    def with_(self, **changes: Any) -> Change:
        """Return a copy with some fields replaced (level override, notes, acceptance)."""
        return replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        """Describe the change for JSON output."""
        return {"check": self.check.value, "level": self.level.value, "area": self.area.value,
                "subject": self.subject, "message": self.message,
                "old": _where(self.old), "new": _where(self.new),
                "before": self.before, "after": self.after, "event": self.event,
                "notes": list(self.notes), "accepted": self.accepted}


def _where(location: Location | None) -> dict[str, Any] | None:
    """Describe a location for JSON output."""
    if location is None:
        return None
    return {"file": location.file, "line": location.line, "column": location.column,
            "path": location.path}


@dataclass(slots=True)
class DiffResult:
    """Every change between two contracts, judged, plus what the policy did with them."""

    old: str
    new: str
    changes: list[Change] = field(default_factory=list)
    fail_on: Level = Level.ERR
    unused_acceptances: list[str] = field(default_factory=list)
    new_path: str | None = None  # NEW's path in the work tree, for CI annotations

    @property
    def failing(self) -> list[Change]:
        """The changes at or above --fail-on that were not accepted (they make the exit 1)."""
        return [c for c in self.changes
                if c.accepted is None and c.level.rank >= self.fail_on.rank]

    @property
    def ok(self) -> bool:
        """Tell whether the diff passes the --fail-on threshold."""
        return not self.failing

    def counts(self) -> dict[str, int]:
        """Count the changes per level (accepted ones included) and the accepted ones."""
        counter = Counter(c.level.value for c in self.changes)
        out = {level.value: counter.get(level.value, 0) for level in Level}
        out["accepted"] = sum(1 for c in self.changes if c.accepted is not None)
        return out

    def to_dict(self) -> dict[str, Any]:
        """Describe the whole result for JSON output."""
        return {"old": self.old, "new": self.new, "ok": self.ok, "fail_on": self.fail_on.value,
                "summary": self.counts(), "changes": [c.to_dict() for c in self.changes],
                "unused_acceptances": self.unused_acceptances}
