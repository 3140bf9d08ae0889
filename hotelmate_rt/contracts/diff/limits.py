"""Compare payload limits: targets, the default target, and schemas whose largest payload no longer fits."""

from __future__ import annotations

from hotelmate_rt.contracts.model import Contract, Event

from .context import Comparison
from .model import Area, DiffCheck
from .schemas import max_bytes

_AREA = Area.LIMITS


def compare_limits(diff: Comparison) -> None:
    """Record target changes and every event whose largest possible payload now exceeds a limit."""
    old, new = diff.old, diff.new
    for name, target in old.targets.items():
        now = new.targets.get(name)
        path = ("targets", name)
        if now is None:
            diff.add(DiffCheck.TARGET_REMOVED, _AREA, f"target {name}",
                     f"target {name} ({target.max_payload_bytes} bytes) was removed", old=path,
                     before=target.max_payload_bytes)
        elif now.max_payload_bytes < target.max_payload_bytes:
            diff.add(DiffCheck.TARGET_LIMIT_LOWERED, _AREA, f"target {name}",
                     f"target {name} payload limit lowered from {target.max_payload_bytes:,} to "
                     f"{now.max_payload_bytes:,} bytes", old=(*path, "max_payload_bytes"),
                     new=(*path, "max_payload_bytes"), before=target.max_payload_bytes,
                     after=now.max_payload_bytes)
        elif now.max_payload_bytes > target.max_payload_bytes:
            diff.add(DiffCheck.TARGET_LIMIT_RAISED, _AREA, f"target {name}",
                     f"target {name} payload limit raised from {target.max_payload_bytes:,} to "
                     f"{now.max_payload_bytes:,} bytes", old=(*path, "max_payload_bytes"),
                     new=(*path, "max_payload_bytes"), before=target.max_payload_bytes,
                     after=now.max_payload_bytes)
    for name, target in new.targets.items():
        if name not in old.targets:
            diff.add(DiffCheck.TARGET_ADDED, _AREA, f"target {name}",
                     f"target {name} ({target.max_payload_bytes:,} bytes) was added",
                     new=("targets", name), after=target.max_payload_bytes)
    if old.default_target != new.default_target:
        diff.add(DiffCheck.DEFAULT_TARGET_CHANGED, _AREA, "default target",
                 f"default target changed from {old.default_target} to {new.default_target}",
                 old=("default_target",), new=("default_target",), before=old.default_target,
                 after=new.default_target)
    _oversized(diff)


def _oversized(diff: Comparison) -> None:
    """Record events whose largest possible payload exceeds a target it provably fitted before."""
    old_sizes: dict[str, int | None] = {}
    for name, event in diff.new.events.items():
        size = largest_payload(event)
        if size is None:
            continue
        for target in diff.new.targets.values():
            if size <= target.max_payload_bytes:
                continue
            before = diff.old.events.get(name)
            if before is not None:
                if name not in old_sizes:
                    old_sizes[name] = largest_payload(before)
                was = old_sizes[name]
                limit = _limit(diff.old, target.name)
                if was is None or (limit is not None and was > limit):
                    continue  # it could already exceed the limit: not a change
            diff.add(DiffCheck.PAYLOAD_EXCEEDS_LIMIT, _AREA, f"{name} on {target.name}",
                     f"{name}: the largest payload the schema allows is {size:,} bytes, over the "
                     f"{target.name} limit of {target.max_payload_bytes:,} bytes (was "
                     f"{_size(old_sizes.get(name)) if before is not None else 'absent'})",
                     old=("events", name, "schema") if before is not None else None,
                     new=("events", name, "schema"), after=size, event=name)


def largest_payload(event: Event) -> int | None:
    """Bound an event's payload size in bytes (the largest variant for envelope events)."""
    if not isinstance(event.schema, dict):
        return None
    base = max_bytes(event.schema)
    if event.envelope is None:
        return base
    sizes = []
    for variant in event.envelope.variants.values():
        size = max_bytes(variant) if isinstance(variant, dict) else None
        known = [s for s in (base, size) if s is not None]
        sizes.append(min(known) if known else None)
    if not sizes or any(s is None for s in sizes):
        return None
    return max(s for s in sizes if s is not None)


def _limit(contract: Contract, name: str) -> int | None:
    """Return a target's limit in a contract, or None when it has no such target."""
    target = contract.targets.get(name)
    return None if target is None else target.max_payload_bytes


def _size(size: int | None) -> str:
    """Say a size bound in words."""
    return "unbounded" if size is None else f"at most {size:,} bytes"
