"""Compare status machines (statuses, transitions, the events each emits) and fan-out actions."""

from __future__ import annotations

import re

from hotelmate_rt.contracts.model import Action, StateMachine, Transition

from .context import Comparison
from .events import alias_removed
from .model import Area, DiffCheck

_AREA = Area.MACHINES


def compare_machines(diff: Comparison) -> None:
    """Record every status machine and action change."""
    for name, old in diff.old.state_machines.items():
        new = diff.new.state_machines.get(name)
        if new is None:
            diff.add(DiffCheck.MACHINE_REMOVED, _AREA, f"machine {name}",
                     f"status machine {name} was removed", old=("state_machines", name),
                     before=name)
        else:
            _machine(diff, old, new)
    for name in diff.new.state_machines:
        if name not in diff.old.state_machines:
            diff.add(DiffCheck.MACHINE_ADDED, _AREA, f"machine {name}",
                     f"status machine {name} was added (was absent)",
                     new=("state_machines", name), after=name)
    for name, action in diff.old.actions.items():
        now = diff.new.actions.get(name)
        if now is None:
            diff.add(DiffCheck.ACTION_REMOVED, _AREA, f"action {name}",
                     f"action {name} was removed (it emitted "
                     f"{', '.join(s.event for s in action.steps)})", old=("actions", name),
                     before=name)
        else:
            _action(diff, action, now)
    for name in diff.new.actions:
        if name not in diff.old.actions:
            diff.add(DiffCheck.ACTION_ADDED, _AREA, f"action {name}",
                     f"action {name} was added (was absent)", new=("actions", name), after=name)


def _machine(diff: Comparison, old: StateMachine, new: StateMachine) -> None:
    """Compare one status machine: statuses, initial statuses, transitions and aliases."""
    path = ("state_machines", new.name)
    for state in old.states:
        if state not in new.states:
            diff.add(DiffCheck.STATE_REMOVED, _AREA, f"{new.name} status {state}",
                     f"{new.name} status {state} was removed (statuses now "
                     f"{', '.join(new.states)})", old=(*path, "states"), new=(*path, "states"),
                     before=list(old.states), after=list(new.states))
    for state in new.states:
        if state not in old.states:
            diff.add(DiffCheck.STATE_ADDED, _AREA, f"{new.name} status {state}",
                     f"{new.name} status {state} was added (statuses were "
                     f"{', '.join(old.states)})", old=(*path, "states"), new=(*path, "states"),
                     before=list(old.states), after=list(new.states))
    if set(old.initial) != set(new.initial):
        diff.add(DiffCheck.INITIAL_CHANGED, _AREA, f"{new.name} initial",
                 f"{new.name} initial statuses changed from {', '.join(old.initial) or 'none'} "
                 f"to {', '.join(new.initial) or 'none'}", old=(*path, "initial"),
                 new=(*path, "initial"), before=list(old.initial), after=list(new.initial))
    before = {(t.source, t.target): t for t in old.transitions}
    after = {(t.source, t.target): t for t in new.transitions}
    for key, transition in before.items():
        label = f"{new.name} {key[0]} -> {key[1]}"
        opath = (*path, "transitions", _index(transition))
        if key not in after:
            diff.add(DiffCheck.TRANSITION_REMOVED, _AREA, label,
                     f"transition {label} was removed (it emitted {', '.join(transition.emits)})",
                     old=opath, new=(*path, "transitions"), before=list(transition.emits))
            continue
        now = after[key]
        npath = (*path, "transitions", _index(now))
        for event in transition.emits:
            if event not in now.emits:
                diff.add(DiffCheck.TRANSITION_EMITS_REMOVED, _AREA, f"{label} {event}",
                         f"transition {label} no longer emits {event} (emits "
                         f"{', '.join(now.emits) or 'nothing'}, was {', '.join(transition.emits)})",
                         old=(*opath, "emits"), new=(*npath, "emits"),
                         before=list(transition.emits), after=list(now.emits), event=event)
        for event in now.emits:
            if event not in transition.emits:
                diff.add(DiffCheck.TRANSITION_EMITS_ADDED, _AREA, f"{label} {event}",
                         f"transition {label} now also emits {event} (was "
                         f"{', '.join(transition.emits) or 'nothing'})", old=(*opath, "emits"),
                         new=(*npath, "emits"), before=list(transition.emits),
                         after=list(now.emits), event=event)
    for key, transition in after.items():
        if key not in before:
            label = f"{new.name} {key[0]} -> {key[1]}"
            diff.add(DiffCheck.TRANSITION_ADDED, _AREA, label,
                     f"transition {label} was added (emits {', '.join(transition.emits)})",
                     new=(*path, "transitions", _index(transition)),
                     after=list(transition.emits))
    aliases = {a.name for a in new.aliases}
    for alias in old.aliases:
        if alias.name not in aliases and alias.name not in new.states:
            alias_removed(diff, _AREA, f"{new.name} status alias {alias.name}",
                          f"{new.name} status alias {alias.name} (for {alias.replaced_by})",
                          alias.status, None, (*path, "aliases", alias.name))


def _index(transition: Transition) -> int:
    """Return the YAML list index of a transition (a `from: [A, B]` entry expands to several)."""
    found = re.search(r"\[(\d+)\]$", transition.where.path)
    return int(found.group(1)) if found else 0


def _action(diff: Comparison, old: Action, new: Action) -> None:
    """Compare one fan-out action: events dropped, added, reordered, or sent elsewhere."""
    path = ("actions", new.name)
    before = [s.event for s in old.steps]
    after = [s.event for s in new.steps]
    for i, step in enumerate(old.steps):
        if step.event not in after:
            diff.add(DiffCheck.ACTION_EVENT_REMOVED, _AREA, f"action {new.name} {step.event}",
                     f"action {new.name} no longer emits {step.event} (steps now "
                     f"{', '.join(after) or 'none'})", old=(*path, "steps", i),
                     new=(*path, "steps"), before=before, after=after, event=step.event)
    for j, step in enumerate(new.steps):
        if step.event not in before:
            diff.add(DiffCheck.ACTION_EVENT_ADDED, _AREA, f"action {new.name} {step.event}",
                     f"action {new.name} now also emits {step.event} (steps were "
                     f"{', '.join(before)})", old=(*path, "steps"), new=(*path, "steps", j),
                     before=before, after=after, event=step.event)
    kept_before = [e for e in before if e in after]
    kept_after = [e for e in after if e in before]
    if kept_before != kept_after:
        diff.add(DiffCheck.ACTION_REORDERED, _AREA, f"action {new.name} order",
                 f"action {new.name} steps reordered from {', '.join(before)} to "
                 f"{', '.join(after)}", old=(*path, "steps"), new=(*path, "steps"),
                 before=before, after=after)
    old_channels = {s.event: s.channels for s in old.steps}
    for j, step in enumerate(new.steps):
        was = old_channels.get(step.event)
        if was is not None and set(was) != set(step.channels):
            i = before.index(step.event)
            diff.add(DiffCheck.ACTION_CHANNELS_CHANGED, _AREA, f"action {new.name} {step.event}",
                     f"action {new.name} step {step.event} now goes to "
                     f"{', '.join(step.channels) or 'every channel of the event'} (was "
                     f"{', '.join(was) or 'every channel of the event'})",
                     old=(*path, "steps", i, "channels"), new=(*path, "steps", j, "channels"),
                     before=list(was), after=list(step.channels), event=step.event)
