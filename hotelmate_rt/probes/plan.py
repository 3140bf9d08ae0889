"""Which channels a probe subscribes to: every channel an audience may read, or explicit names."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from hotelmate_rt.contracts import Contract, pattern_matches
from hotelmate_rt.contracts.limits import channel_name_problem
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
        return self.name.startswith(("private-", "presence-"))


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


def plan_subscriptions(contract: Contract, audience: str | None,
                       params: Mapping[str, str], explicit: Sequence[str] = ()
                       ) -> SubscriptionPlan:
    """Resolve the channels to subscribe to from an audience and parameters, or explicit names."""
    if audience is not None and audience not in contract.audiences:
        known = ", ".join(sorted(contract.audiences))
        raise UnknownName(f"no audience {audience!r} in the contract; known: {known}")
    for name, value in params.items():
        parameter = contract.parameters.get(name)
        if parameter is None:
            known = ", ".join(sorted(contract.parameters))
            raise UnknownName(f"no parameter {name!r} in the contract; known: {known}")
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
    for channel in contract.readable_channels(audience):
        missing = tuple(p for p in channel.template.parameters if not params.get(p))
        if missing:
            plan.skipped.append((channel.id, missing))
            continue
        plan.channels.append(PlannedChannel(contract.render(channel.id, **params), channel.id))
    if not plan.channels:
        needed = sorted({p for _, missing in plan.skipped for p in missing})
        raise ParameterError(f"{audience} can read no channel with these parameters; pass "
                             + ", ".join(needed))
    return plan
