"""The typed contract: parameters, audiences, channels, events, status machines, actions."""

from __future__ import annotations

import datetime
import enum
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from hotelmate_rt.errors import ParameterError, UnknownName

from .limits import DEFAULT_MAX_PAYLOAD_BYTES, Target
from .templates import Template

if TYPE_CHECKING:
    from .payloads import PayloadValidator


@dataclass(frozen=True, slots=True)
class Location:
    """Where something was written: file, 1-based line and column, and the key path."""

    file: str
    line: int
    column: int
    path: str = ""

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"


NOWHERE = Location("<memory>", 0, 0)


class ChannelKind(enum.StrEnum):
    """How Pusher treats a channel: anyone may read public ones; the others need auth."""

    PUBLIC = "public"
    PRIVATE = "private"
    PRESENCE = "presence"
    ENCRYPTED = "private-encrypted"

    @property
    def prefix(self) -> str:
        """Return the channel-name prefix Pusher requires for this kind."""
        return "" if self is ChannelKind.PUBLIC else f"{self.value}-"

    @property
    def needs_auth(self) -> bool:
        """Tell whether subscribing requires a signature from the auth endpoint."""
        return self is not ChannelKind.PUBLIC

    @classmethod
    def of_name(cls, name: str) -> ChannelKind:
        """Infer the kind of a concrete channel name from its prefix."""
        for kind in (cls.ENCRYPTED, cls.PRESENCE, cls.PRIVATE):
            if name.startswith(kind.prefix):
                return kind
        return cls.PUBLIC


class AliasStatus(enum.StrEnum):
    """Why a name is not canonical: still in use but going away, or simply wrong."""

    DEPRECATED = "deprecated"
    WRONG = "wrong"


@dataclass(frozen=True, slots=True)
class Parameter:
    """A typed template parameter such as `booking_id` with its regex pattern."""

    name: str
    pattern: str
    example: str
    description: str = ""
    where: Location = NOWHERE


@dataclass(frozen=True, slots=True)
class Audience:
    """Who reads channels: `scope` names the parameters a principal is bound to."""

    name: str
    authenticates: bool
    scope: tuple[str, ...] = ()
    description: str = ""
    where: Location = NOWHERE


@dataclass(frozen=True, slots=True)
class ChannelAlias:
    """An old or wrong channel name that maps to a canonical channel."""

    template: Template
    status: AliasStatus
    note: str = ""
    where: Location = NOWHERE
    sunset: datetime.date | None = None


@dataclass(frozen=True, slots=True)
class Channel:
    """A channel template, its kind, who may read it, and its known aliases."""

    id: str
    template: Template
    kind: ChannelKind
    audiences: tuple[str, ...]
    description: str = ""
    aliases: tuple[ChannelAlias, ...] = ()
    where: Location = NOWHERE

    @property
    def public_readable(self) -> bool:
        """Tell whether an unauthenticated client can read it (every public channel can)."""
        return self.kind is ChannelKind.PUBLIC


@dataclass(frozen=True, slots=True)
class Envelope:
    """An envelope event: one event name whose `field` value selects the payload variant."""

    field: str
    variants: Mapping[str, Mapping[str, Any]]


@dataclass(frozen=True, slots=True)
class Event:
    """An event name, the channels that carry it, its payload schema and sensitive fields."""

    name: str
    channels: tuple[str, ...]
    schema: Mapping[str, Any]
    sensitive: tuple[str, ...] = ()
    description: str = ""
    envelope: Envelope | None = None
    where: Location = NOWHERE
    validator: PayloadValidator | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class EventAlias:
    """An old or wrong event name and the canonical event(s) that replace it."""

    name: str
    replaced_by: tuple[str, ...]
    status: AliasStatus
    note: str = ""
    where: Location = NOWHERE
    sunset: datetime.date | None = None


@dataclass(frozen=True, slots=True)
class Transition:
    """A legal status change and the events it must emit."""

    source: str
    target: str
    emits: tuple[str, ...]
    description: str = ""
    where: Location = NOWHERE


@dataclass(frozen=True, slots=True)
class StateAlias:
    """An old or wrong status name (CHECKED_IN) and its canonical state (IN_HOUSE)."""

    name: str
    replaced_by: str
    status: AliasStatus
    note: str = ""
    where: Location = NOWHERE


@dataclass(frozen=True, slots=True)
class StateMachine:
    """A status field's states, initial states, legal transitions and state aliases."""

    name: str
    parameter: str
    states: tuple[str, ...]
    initial: tuple[str, ...]
    transitions: tuple[Transition, ...]
    aliases: tuple[StateAlias, ...] = ()
    where: Location = NOWHERE

    def find(self, source: str, target: str) -> Transition | None:
        """Return the transition from `source` to `target`, or None when it is not legal."""
        for transition in self.transitions:
            if transition.source == source and transition.target == target:
                return transition
        return None

    def canonical_state(self, name: str) -> tuple[str, StateAlias | None]:
        """Map an aliased status (CHECKED_IN) to its canonical name, with the alias used."""
        for alias in self.aliases:
            if alias.name == name:
                return alias.replaced_by, alias
        return name, None


@dataclass(frozen=True, slots=True)
class ActionStep:
    """One event of a fan-out action, optionally restricted to some of its channels."""

    event: str
    channels: tuple[str, ...] = ()
    where: Location = NOWHERE


@dataclass(frozen=True, slots=True)
class Action:
    """A domain action that emits several events in order (a staff message to a guest)."""

    name: str
    steps: tuple[ActionStep, ...]
    description: str = ""
    where: Location = NOWHERE


@dataclass(frozen=True, slots=True)
class ChannelMatch:
    """A concrete channel name resolved to a contract channel, maybe through an alias."""

    channel: Channel
    params: dict[str, str]
    alias: ChannelAlias | None = None

    @property
    def canonical_name(self) -> str:
        """Render the canonical name for the same parameters (the 'did you mean')."""
        return self.channel.template.fill(self.params)

    @property
    def template(self) -> str:
        """The template the name fits: the alias's when it is one."""
        return (self.alias or self.channel).template.text


@dataclass(slots=True)
class Contract:
    """The whole HotelMate realtime contract, with the lookups every tool needs."""

    path: str
    version: int
    parameters: dict[str, Parameter]
    audiences: dict[str, Audience]
    channels: dict[str, Channel]
    events: dict[str, Event]
    event_aliases: dict[str, EventAlias]
    state_machines: dict[str, StateMachine]
    actions: dict[str, Action]
    sensitive_fields: tuple[str, ...] = ()
    targets: dict[str, Target] = field(default_factory=dict)
    default_target: str = "pusher"
    _match_cache: dict[str, ChannelMatch | None] = field(default_factory=dict, repr=False,
                                                         compare=False)
    _judge_cache: dict[tuple[str, str, str | None], Any] = field(default_factory=dict,
                                                                repr=False, compare=False)
    _resolved: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)
    _locator: Callable[[tuple[str | int, ...]], Location] | None = field(default=None, repr=False,
                                                                       compare=False)

    def locate(self, *path: str | int) -> Location:
        """Return where a key path (`"events", name, "schema"`) was written, else its nearest parent."""
        if self._locator is None:
            return Location(self.path, 0, 0, ".".join(map(str, path)))
        return self._locator(path)

    @property
    def patterns(self) -> dict[str, str]:
        """Map each parameter name to its regex pattern."""
        return {name: p.pattern for name, p in self.parameters.items()}

    def target(self, name: str | None = None) -> Target:
        """Return a named target's limits, or the default one."""
        key = name or self.default_target
        if key in self.targets:
            return self.targets[key]
        if name is None:
            return Target(key, DEFAULT_MAX_PAYLOAD_BYTES)
        known = "" if suggest(name, self.targets) else f"; known: {', '.join(sorted(self.targets))}"
        raise UnknownName(_unknown("target", name, self.targets) + known)

    def channel(self, channel_id: str) -> Channel:
        """Return a channel by id or raise UnknownName with a suggestion."""
        try:
            return self.channels[channel_id]
        except KeyError:
            raise UnknownName(_unknown("channel", channel_id, self.channels)) from None

    def event(self, name: str) -> Event:
        """Return an event by canonical name or raise UnknownName saying what to use instead."""
        found = self.events.get(name)
        if found is not None:
            return found
        from .resolve import resolve_event

        raise UnknownName(resolve_event(self, name).problem)

    def action(self, name: str) -> Action:
        """Return a fan-out action by name or raise UnknownName."""
        try:
            return self.actions[name]
        except KeyError:
            raise UnknownName(_unknown("action", name, self.actions)) from None

    def state_machine(self, name: str = "booking") -> StateMachine:
        """Return a status machine by name or raise UnknownName."""
        try:
            return self.state_machines[name]
        except KeyError:
            raise UnknownName(_unknown("state machine", name, self.state_machines)) from None

    def render(self, channel_id: str, **params: object) -> str:
        """Render a channel's concrete name from parameters."""
        return self.channel(channel_id).template.render(params, self.patterns)

    def channels_for(self, event_name: str, params: Mapping[str, object],
                     only: tuple[str, ...] = ()) -> list[tuple[Channel, str]]:
        """Render every channel that carries an event (or the `only` subset) for these params."""
        event = self.event(event_name)
        chosen = only or event.channels
        out: list[tuple[Channel, str]] = []
        for channel_id in chosen:
            channel = self.channel(channel_id)
            if channel_id not in event.channels:
                raise UnknownName(f"event {event_name!r} is not carried by channel {channel_id!r}")
            try:
                out.append((channel, channel.template.render(params, self.patterns)))
            except ParameterError as exc:
                raise ParameterError(f"{event_name} on {channel_id}: {exc}") from None
        return out

    def match_channel(self, name: str) -> ChannelMatch | None:
        """Resolve a concrete channel name to the most specific channel or alias it fits."""
        cache = self._match_cache
        if name in cache:  # a probe judges thousands of events on a handful of channels
            return cache[name]
        matches = self.match_channel_all(name)
        found = matches[0] if matches else None
        if len(cache) < 4096:
            cache[name] = found
        return found

    def match_channel_all(self, name: str) -> list[ChannelMatch]:
        """Return every channel or alias a name fits, most specific first, canonical first."""
        found: list[tuple[int, int, ChannelMatch]] = []
        for channel in self.channels.values():
            params = channel.template.match(name)
            if params is not None:
                found.append((-channel.template.literal_length, 0, ChannelMatch(channel, params)))
            for alias in channel.aliases:
                params = alias.template.match(name)
                if params is not None:
                    rank = -alias.template.literal_length
                    found.append((rank, 1, ChannelMatch(channel, params, alias)))
        found.sort(key=lambda item: (item[0], item[1]))
        return [match for _, _, match in found]

    def readable_channels(self, audience: str) -> list[Channel]:
        """List the channels an audience may read (every public channel included)."""
        return [c for c in self.channels.values() if audience in c.audiences or c.public_readable]

    def sensitive_for(self, event: Event | None) -> frozenset[str]:
        """Return the field names treated as sensitive for an event (global plus its own)."""
        own = event.sensitive if event is not None else ()
        return frozenset(self.sensitive_fields) | frozenset(own)


def suggest(name: str, known: object) -> str | None:
    """Return the closest known name for a 'did you mean', or None."""
    import difflib

    names = [str(k) for k in known]  # type: ignore[attr-defined]
    close = difflib.get_close_matches(name, names, n=1, cutoff=0.6)
    return close[0] if close else None


def _unknown(kind: str, name: str, known: Mapping[str, object]) -> str:
    """Phrase an unknown-name message with a suggestion when one is close."""
    guess = suggest(name, known)
    hint = f"; did you mean {guess!r}?" if guess else ""
    return f"no {kind} named {name!r} in the contract{hint}"
