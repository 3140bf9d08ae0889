"""Compare events: removed, renamed, deprecated into aliases, moved off channels, their payloads."""

from __future__ import annotations

import datetime

from hotelmate_rt.contracts.model import AliasStatus, Contract, Event

from .context import Comparison, KeyPath
from .model import Area, DiffCheck
from .payloads import PayloadWalker, SchemaSide
from .schemas import canonical, iter_fields


def compare_events(diff: Comparison) -> None:
    """Record every event-level and payload change between the two contracts."""
    old, new = diff.old, diff.new
    added = [name for name in new.events if name not in old.events]
    by_shape: dict[str, list[str]] = {}
    for name in added:
        event = new.events[name]
        by_shape.setdefault(_shape(event, event.channels), []).append(name)
    renamed_to: set[str] = set()
    for name, event in old.events.items():
        if name in new.events:
            _compare_event(diff, event, new.events[name])
            continue
        alias = new.event_aliases.get(name)
        if alias is not None:
            targets = ", ".join(alias.replaced_by)
            diff.add(DiffCheck.EVENT_DEPRECATED, Area.EVENTS, f"event {name}",
                     f"event {name} was removed and is now a {alias.status.value} alias of "
                     f"{targets}: frontends built before bind {name} and hear nothing until they "
                     f"bind {targets}", old=("events", name), new=("event_aliases", name),
                     before=name, after=list(alias.replaced_by), event=name)
            continue
        mapped = tuple(diff.new_channel(c) for c in event.channels)
        candidates = by_shape.get(_shape(event, mapped))
        if candidates:
            target = candidates.pop(0)
            renamed_to.add(target)
            diff.add(DiffCheck.EVENT_RENAMED, Area.EVENTS, f"event {name}",
                     f"event {name} was renamed to {target} without keeping {name} as an alias: "
                     f"frontends that bind {name} hear nothing and get no hint",
                     old=("events", name), new=("events", target), before=name, after=target,
                     event=name)
        else:
            diff.add(DiffCheck.EVENT_REMOVED, Area.EVENTS, f"event {name}",
                     f"event {name} was removed (it was on {', '.join(event.channels)})",
                     old=("events", name), before=name, event=name)
    for name in added:
        if name not in renamed_to:
            channels = ", ".join(new.events[name].channels)
            diff.add(DiffCheck.EVENT_ADDED, Area.EVENTS, f"event {name}",
                     f"event {name} was added (was absent; now on {channels})",
                     new=("events", name), after=name, event=name)
    _event_aliases(diff)
    _sensitive(diff)


def _shape(event: Event, channels: tuple[str, ...]) -> str:
    """Describe what an event carries and where, to recognise a rename."""
    return canonical([sorted(channels), event.schema])


def _compare_event(diff: Comparison, old: Event, new: Event) -> None:
    """Compare one event present on both sides: channels, envelope, payload schema."""
    name = new.name
    old_channels = [diff.new_channel(c) for c in old.channels]
    renamed_ids = set(diff.channel_ids.values())
    for index, channel in enumerate(old_channels):
        if channel not in new.channels and channel in diff.new.channels:
            diff.add(DiffCheck.EVENT_CHANNEL_REMOVED, Area.EVENTS, f"event {name} on {channel}",
                     f"event {name} moved off channel {channel} (channels were "
                     f"{', '.join(old.channels)}, now {', '.join(new.channels) or 'none'})",
                     old=("events", name, "channels", index), new=("events", name, "channels"),
                     before=list(old.channels), after=list(new.channels), event=name)
    for index, channel in enumerate(new.channels):
        existed = channel in diff.old.channels or channel in renamed_ids
        if channel not in old_channels and existed:
            diff.add(DiffCheck.EVENT_CHANNEL_ADDED, Area.EVENTS, f"event {name} on {channel}",
                     f"event {name} is now also on channel {channel} (channels were "
                     f"{', '.join(old.channels)})", old=("events", name, "channels"),
                     new=("events", name, "channels", index), before=list(old.channels),
                     after=list(new.channels), event=name)
    needed = _needed_statuses(diff.new, name)
    if canonical(old.schema) != canonical(new.schema):
        PayloadWalker(diff, name, SchemaSide(old.schema, ("events", name, "schema")),
                      SchemaSide(new.schema, ("events", name, "schema")), needed).run()
    _envelope(diff, old, new, needed)


def _needed_statuses(contract: Contract, event: str) -> frozenset[str]:
    """Return the statuses a transition that emits `event` moves from or to (the emitter sends them)."""
    out: set[str] = set()
    for machine in contract.state_machines.values():
        for transition in machine.transitions:
            if event in transition.emits:
                out.update((transition.source, transition.target))
    return frozenset(out)


def _envelope(diff: Comparison, old: Event, new: Event, needed: frozenset[str]) -> None:
    """Compare envelope events: the discriminating field and each variant's schema."""
    name = new.name
    before, after = old.envelope, new.envelope
    if before is None and after is None:
        return
    path: KeyPath = ("events", name, "envelope")
    if before is None or after is None or before.field != after.field:
        was = before.field if before else "none"
        now = after.field if after else "none"
        diff.add(DiffCheck.ENVELOPE_FIELD_CHANGED, Area.PAYLOADS, f"event {name} envelope",
                 f"{name}: envelope field changed from {was} to {now}", old=path, new=path,
                 before=was, after=now, event=name)
        if before is None or after is None:
            return
    variants = (*path, "variants")
    for key, schema in after.variants.items():
        if key not in before.variants:
            diff.add(DiffCheck.VARIANT_ADDED, Area.PAYLOADS, f"{name} ${after.field}={key}",
                     f"{name}: new envelope variant {after.field}={key} (variants were "
                     f"{', '.join(before.variants)})", old=variants, new=(*variants, key),
                     after=key, event=name)
            continue
        PayloadWalker(diff, name, SchemaSide(before.variants[key], (*variants, key)),
                      SchemaSide(schema, (*variants, key)), needed).run(f"$({after.field}={key})")
    for key in before.variants:
        if key not in after.variants:
            diff.add(DiffCheck.VARIANT_REMOVED, Area.PAYLOADS, f"{name} ${before.field}={key}",
                     f"{name}: envelope variant {before.field}={key} was removed (variants now "
                     f"{', '.join(after.variants) or 'none'})", old=(*variants, key),
                     new=variants, before=key, event=name)


def _event_aliases(diff: Comparison) -> None:
    """Compare event aliases: removed (judged by sunset and status), added, retargeted."""
    old, new = diff.old, diff.new
    for name, alias in old.event_aliases.items():
        now = new.event_aliases.get(name)
        path: KeyPath = ("event_aliases", name)
        if now is None:
            if name not in new.events:
                alias_removed(diff, Area.EVENTS, f"event alias {name}",
                              f"event alias {name} (for {', '.join(alias.replaced_by)})",
                              alias.status, alias.sunset, path)
            continue
        if now.replaced_by != alias.replaced_by:
            diff.add(DiffCheck.ALIAS_RETARGETED, Area.EVENTS, f"event alias {name}",
                     f"event alias {name} now points to {', '.join(now.replaced_by)} (was "
                     f"{', '.join(alias.replaced_by)})", old=(*path, "replaced_by"),
                     new=(*path, "replaced_by"), before=list(alias.replaced_by),
                     after=list(now.replaced_by))
        sunset_moved(diff, Area.EVENTS, f"event alias {name}", alias.sunset, now.sunset, path)
    for name in new.event_aliases:
        if name not in old.event_aliases and name not in old.events:
            targets = ", ".join(new.event_aliases[name].replaced_by)
            diff.add(DiffCheck.ALIAS_ADDED, Area.EVENTS, f"event alias {name}",
                     f"event alias {name} was added (for {targets})",
                     new=("event_aliases", name), after=name)


def alias_removed(diff: Comparison, area: Area, subject: str, label: str, status: AliasStatus,
                  sunset: datetime.date | None, old_path: KeyPath) -> None:
    """Judge a removed alias by its status and sunset date, as of the diff's day."""
    if status is AliasStatus.WRONG:
        check, why = DiffCheck.WRONG_ALIAS_REMOVED, "it was a wrong name, never a valid one"
    elif sunset is None:
        check, why = DiffCheck.ALIAS_REMOVED_UNDATED, "it was deprecated with no sunset date"
    elif sunset > diff.today:
        check, why = (DiffCheck.ALIAS_REMOVED_BEFORE_SUNSET,
                      f"its sunset date {sunset} is still ahead (today is {diff.today})")
    else:
        check, why = (DiffCheck.ALIAS_REMOVED_AFTER_SUNSET,
                      f"its sunset date {sunset} has passed (today is {diff.today})")
    diff.add(check, area, subject, f"{label} was removed; {why}", old=old_path,
             before=str(sunset) if sunset else status.value)


def sunset_moved(diff: Comparison, area: Area, subject: str, before: datetime.date | None,
                 after: datetime.date | None, path: KeyPath) -> None:
    """Record an alias's sunset date moved earlier (or set where there was none)."""
    if after is not None and (before is None or after < before):
        diff.add(DiffCheck.ALIAS_SUNSET_EARLIER, area, subject,
                 f"{subject} sunset moved to {after} (was {before or 'none'})",
                 old=(*path, "sunset"), new=(*path, "sunset"), before=str(before or ""),
                 after=str(after))


def _sensitive(diff: Comparison) -> None:
    """Record sensitive fields that can now travel on a public channel (and could not before)."""
    before = _exposures(diff.old)
    for key, (channels, path) in _exposures(diff.new).items():
        if key in before:
            continue
        event, at = key
        diff.add(DiffCheck.SENSITIVE_ON_PUBLIC, Area.PAYLOADS, f"{event} {at}",
                 f"{event}: sensitive field `{at}` can now travel on public channel "
                 f"{', '.join(channels)} (was not exposed): anyone with the app key reads it",
                 old=("events", event) if event in diff.old.events else None,
                 new=("events", event, *path), after=list(channels), event=event)


def _exposures(contract: Contract) -> dict[tuple[str, str], tuple[list[str], KeyPath]]:
    """Map (event, field path) to the public channels that carry a sensitive field."""
    out: dict[tuple[str, str], tuple[list[str], KeyPath]] = {}
    for event in contract.events.values():
        public = [c for c in event.channels
                  if c in contract.channels and contract.channels[c].public_readable]
        if not public:
            continue
        names = contract.sensitive_for(event)
        roots: list[tuple[object, KeyPath]] = [(event.schema, ("schema",))]
        if event.envelope is not None:
            roots += [(v, ("envelope", "variants", k)) for k, v in event.envelope.variants.items()]
        for root, base in roots:
            if not isinstance(root, dict):
                continue
            for at, field_name, path in iter_fields(root):
                if field_name in names:
                    out.setdefault((event.name, at), (public, (*base, *path)))
    return out
