"""Which channels a probe subscribes to: every channel an audience may read, or explicit names.

A parameter may have several values (`--booking` repeated, or read from a file): the plan then
holds the channels of every combination, each name once, so one probe can watch a whole hotel.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from hotelmate_rt.contracts import ChannelKind, Contract, pattern_matches
from hotelmate_rt.contracts.limits import channel_name_problem
from hotelmate_rt.contracts.model import suggest
from hotelmate_rt.errors import ParameterError, ProbeError, UnknownName

__all__ = ["PlannedChannel", "SubscriptionPlan", "plan_subscriptions"]


@dataclass(frozen=True, slots=True)
class PlannedChannel:
    """A concrete channel name to subscribe to and the contract channel it belongs to."""

    name: str
    channel_id: str | None

    @property
    def private(self) -> bool:
        """Tell whether subscribing needs a signature from the auth endpoint."""
        return ChannelKind.of_name(self.name).needs_auth


@dataclass(slots=True)
class SubscriptionPlan:
    """The channels to subscribe to, and the readable ones skipped for a missing parameter."""

    audience: str | None
    channels: list[PlannedChannel] = field(default_factory=list)
    skipped: list[tuple[str, tuple[str, ...]]] = field(default_factory=list)

    @property
    def needs_auth(self) -> bool:
        """Tell whether any planned channel is private or presence."""
        return any(c.private for c in self.channels)


def _unknown(what: str, name: str, known: Sequence[str]) -> UnknownName:
    """Say that a name is not in the contract, with a 'did you mean' when one is close."""
    close = suggest(name, known)
    hint = f"did you mean {close!r}?" if close else "known: " + ", ".join(sorted(known))
    return UnknownName(f"no {what} {name!r} in the contract; {hint}")


def _values(value: str | Sequence[str]) -> list[str]:
    """Return a parameter's values (one string, or several)."""
    return [value] if isinstance(value, str) else list(dict.fromkeys(value))


def plan_subscriptions(contract: Contract, audience: str | None,
                       params: Mapping[str, str | Sequence[str]], explicit: Sequence[str] = ()
                       ) -> SubscriptionPlan:
    """Resolve the channels to subscribe to from an audience and parameters, or explicit names."""
    if audience is not None and audience not in contract.audiences:
        raise _unknown("audience", audience, list(contract.audiences))
    for name, given in params.items():
        parameter = contract.parameters.get(name)
        if parameter is None:
            raise _unknown("parameter", name, list(contract.parameters))
        for value in _values(given):
            if not pattern_matches(parameter.pattern, value):
                raise ParameterError(f"{name}={value!r} does not look like a {name} "
                                     f"(pattern {parameter.pattern}, e.g. {parameter.example})")
    plan = SubscriptionPlan(audience)
    if explicit:
        for name in dict.fromkeys(explicit):
            problem = channel_name_problem(name)
            if problem:
                raise ParameterError(f"--channel {name!r}: {problem}")
            match = contract.match_channel(name)
            plan.channels.append(PlannedChannel(name, match.channel.id if match else None))
        return plan
    if audience is None:
        raise ProbeError("say who you listen as (--as guest|staff|public) or name channels "
                         "with --channel")
    seen: set[str] = set()
    for channel in contract.readable_channels(audience):
        names = channel.template.parameters
        missing = tuple(p for p in names if not params.get(p))
        if missing:
            plan.skipped.append((channel.id, missing))
            continue
        for combination in itertools.product(*(_values(params[p]) for p in names)):
            rendered = contract.render(channel.id, **dict(zip(names, combination, strict=True)))
            if rendered not in seen:
                seen.add(rendered)
                plan.channels.append(PlannedChannel(rendered, channel.id))
    if not plan.channels:
        needed = sorted({p for _, missing in plan.skipped for p in missing})
        raise ParameterError(f"{audience} can read no channel with these parameters; pass "
                             + ", ".join(needed))
    return plan
