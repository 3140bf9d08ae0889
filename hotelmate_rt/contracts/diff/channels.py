"""Compare channels: names (template, prefix, kind, parameters), audiences, aliases, patterns."""

from __future__ import annotations

from hotelmate_rt.contracts.model import Channel, ChannelKind
from hotelmate_rt.contracts.templates import compile_pattern

from .context import Comparison
from .events import alias_removed, sunset_moved
from .model import Area, DiffCheck
from .samples import regex_samples


def compare_channels(diff: Comparison) -> None:
    """Record every channel, parameter and audience change (run before the events comparer)."""
    old, new = diff.old, diff.new
    removed = [cid for cid in old.channels if cid not in new.channels]
    added = [cid for cid in new.channels if cid not in old.channels]
    by_name = {(new.channels[cid].template.text, new.channels[cid].kind): cid for cid in added}
    for cid in removed:
        channel = old.channels[cid]
        target = by_name.pop((channel.template.text, channel.kind), None)
        if target is not None:
            diff.channel_ids[cid] = target
            diff.add(DiffCheck.CHANNEL_ID_RENAMED, Area.CHANNELS, f"channel {cid}",
                     f"channel id {cid} was renamed to {target} (name {channel.template.text} "
                     "unchanged)", old=("channels", cid), new=("channels", target), before=cid,
                     after=target)
            _compare_channel(diff, channel, new.channels[target])
            continue
        diff.add(DiffCheck.CHANNEL_REMOVED, Area.CHANNELS, f"channel {cid}",
                 f"channel {cid} ({channel.template.text}) was removed", old=("channels", cid),
                 before=channel.template.text)
    renamed = set(diff.channel_ids.values())
    for cid in added:
        if cid not in renamed:
            channel = new.channels[cid]
            diff.add(DiffCheck.CHANNEL_ADDED, Area.CHANNELS, f"channel {cid}",
                     f"channel {cid} ({channel.template.text}, {channel.kind.value}) was added "
                     "(was absent)", new=("channels", cid), after=channel.template.text)
    for cid, channel in old.channels.items():
        if cid in new.channels:
            _compare_channel(diff, channel, new.channels[cid])
    _parameters(diff)
    _audiences(diff)


def _compare_channel(diff: Comparison, old: Channel, new: Channel) -> None:
    """Compare one channel present on both sides."""
    path = ("channels", new.id)
    opath = ("channels", old.id)
    subject = f"channel {new.id}"
    if old.kind is not new.kind:
        if new.kind is ChannelKind.PUBLIC:
            check = DiffCheck.CHANNEL_MADE_PUBLIC
            why = "anyone with the app key can now read it, and private subscribers are on the old name"
        elif old.kind is ChannelKind.PUBLIC:
            check = DiffCheck.CHANNEL_KIND_CHANGED
            why = ("a security fix: it was readable by anyone; existing subscribers, which "
                   "subscribe without auth, must move to the new name and authenticate")
        else:
            check = DiffCheck.CHANNEL_KIND_CHANGED
            why = "existing subscribers use the old prefix and auth response"
        diff.add(check, Area.CHANNELS, subject,
                 f"channel {new.id} changed kind from {old.kind.value} to {new.kind.value} "
                 f"({old.template.text} -> {new.template.text}): {why}",
                 old=(*opath, "kind"), new=(*path, "kind"), before=old.kind.value,
                 after=new.kind.value)
    before, after = _unprefixed(old), _unprefixed(new)
    if before != after:
        same_shape = before[0] == after[0] and len(before[1]) == len(after[1])
        check = DiffCheck.CHANNEL_PARAMETER_RENAMED if same_shape else DiffCheck.CHANNEL_TEMPLATE_CHANGED
        what = "parameters renamed" if same_shape else "name template changed"
        diff.add(check, Area.CHANNELS, subject,
                 f"channel {new.id} {what} from {old.template.text} to {new.template.text}: "
                 "existing builds subscribe and trigger on the old name",
                 old=(*opath, "template"), new=(*path, "template"), before=old.template.text,
                 after=new.template.text)
    for audience in old.audiences:
        if audience not in new.audiences:
            diff.add(DiffCheck.CHANNEL_AUDIENCE_REMOVED, Area.CHANNELS, f"{subject} {audience}",
                     f"audience {audience} can no longer read channel {new.id} (audiences were "
                     f"{', '.join(old.audiences)}, now {', '.join(new.audiences) or 'none'})",
                     old=(*opath, "audiences"), new=(*path, "audiences"),
                     before=list(old.audiences), after=list(new.audiences))
    for audience in new.audiences:
        if audience not in old.audiences:
            diff.add(DiffCheck.CHANNEL_AUDIENCE_ADDED, Area.CHANNELS, f"{subject} {audience}",
                     f"audience {audience} can now read channel {new.id} (audiences were "
                     f"{', '.join(old.audiences) or 'none'})", old=(*opath, "audiences"),
                     new=(*path, "audiences"), before=list(old.audiences),
                     after=list(new.audiences))
    _channel_aliases(diff, old, new)


def _unprefixed(channel: Channel) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Return a template's literals without its kind prefix, and its parameters."""
    literals = list(channel.template.literals)
    prefix = channel.kind.prefix
    if literals and prefix and literals[0].startswith(prefix):
        literals[0] = literals[0][len(prefix):]
    return tuple(literals), channel.template.parameters


def _channel_aliases(diff: Comparison, old: Channel, new: Channel) -> None:
    """Compare a channel's aliases, keyed by their name template."""
    before = {a.template.text: (i, a) for i, a in enumerate(old.aliases)}
    after = {a.template.text: (i, a) for i, a in enumerate(new.aliases)}
    for text, (i, alias) in before.items():
        apath = ("channels", old.id, "aliases", i)
        if text not in after:
            if text != new.template.text:
                alias_removed(diff, Area.CHANNELS, f"channel alias {text}",
                              f"channel alias {text} (of {new.id})", alias.status, alias.sunset,
                              apath)
            continue
        j, now = after[text]
        sunset_moved(diff, Area.CHANNELS, f"channel alias {text}", alias.sunset, now.sunset, apath)
    for text, (j, alias) in after.items():
        if text not in before:
            diff.add(DiffCheck.ALIAS_ADDED, Area.CHANNELS, f"channel alias {text}",
                     f"channel alias {text} ({alias.status.value}) was added to {new.id}",
                     new=("channels", new.id, "aliases", j), after=text)


def _parameters(diff: Comparison) -> None:
    """Judge each changed parameter pattern: narrowed, widened, retyped or unknown."""
    for name, old in diff.old.parameters.items():
        new = diff.new.parameters.get(name)
        if new is None or new.pattern == old.pattern:
            continue
        rejected = _rejected(old.pattern, new.pattern, old.example)
        admitted = _rejected(new.pattern, old.pattern, new.example)
        if rejected and admitted:
            check = DiffCheck.PARAMETER_RETYPED
            how = f"{rejected!r} is refused now and {admitted!r} is new"
        elif rejected:
            check, how = DiffCheck.PARAMETER_NARROWED, f"{rejected!r} matched before, not now"
        elif admitted:
            check = DiffCheck.PARAMETER_WIDENED
            how = f"{admitted!r} is accepted now and every sampled old value still is"
        else:
            check = DiffCheck.PARAMETER_CHANGED
            how = "no sampled value tells a narrowing from a widening"
        users = [c.id for c in diff.new.channels.values() if name in c.template.parameters]
        diff.add(check, Area.CHANNELS, f"parameter {name}",
                 f"parameter {name} pattern changed from {old.pattern} to {new.pattern}: {how} "
                 f"(used by {', '.join(users) or 'no channel'})",
                 old=("parameters", name, "pattern"), new=("parameters", name, "pattern"),
                 before=old.pattern, after=new.pattern)


def _rejected(source: str, target: str, example: str) -> str | None:
    """Return a value `source` accepts that `target` refuses (from samples and the example)."""
    try:
        source_re, target_re = compile_pattern(source), compile_pattern(target)
    except ValueError:
        return None
    for value in [example, *regex_samples(source)]:
        if source_re.fullmatch(value) and not target_re.fullmatch(value):
            return value
    return None


def _audiences(diff: Comparison) -> None:
    """Record audiences whose scope or authentication changed."""
    for name, old in diff.old.audiences.items():
        new = diff.new.audiences.get(name)
        if new is None or (old.scope, old.authenticates) == (new.scope, new.authenticates):
            continue
        diff.add(DiffCheck.AUDIENCE_SCOPE_CHANGED, Area.CHANNELS, f"audience {name}",
                 f"audience {name} changed from scope [{', '.join(old.scope)}] "
                 f"(authenticates: {old.authenticates}) to [{', '.join(new.scope)}] "
                 f"(authenticates: {new.authenticates})", old=("audiences", name),
                 new=("audiences", name), before=list(old.scope), after=list(new.scope))
