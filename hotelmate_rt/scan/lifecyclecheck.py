"""Judge subscription lifecycles across the tree: the `lifecycle-*` scan rules.

Each rule reads the `lifecycletree.Tree` (users of channels, clients, effects) and yields
`Issue`s that say what the person using the page will see and how to fix it; `checks.py` reports
them through `ctx.report`, so suppressions and severity configuration apply. A pattern the scan
cannot judge (a cleanup that calls a function it cannot see into, a conditional unsubscribe, a
class component) is not reported.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from hotelmate_rt.contracts import ChannelKind

from .lifecycle import Act, ClientKind, ClientRef, EffectFact, Fact, ModuleFacts
from .lifecycletree import (
    MAX_RELATED,
    PROTOCOL,
    TESTS,
    Tree,
    app_of,
    is_page,
    key_of,
    labels,
    names,
    plural,
)
from .match import name_kind, pattern_text
from .model import Related, Site
from .reacteffects import Kind, Owner
from .rules import ScanRule
from .symbols import display, literal, literal_chars

_MAX_OTHERS = 20


@dataclass(frozen=True, slots=True)
class Issue:
    """One lifecycle finding before `checks.py` applies levels and suppressions."""

    rule: ScanRule
    message: str
    file: str
    line: int
    column: int
    fix: str
    related: tuple[Related, ...] = ()


def lifecycle_issues(sites: Iterable[Site], modules: Iterable[ModuleFacts]) -> list[Issue]:
    """Judge every lifecycle rule on the tree; one issue per rule and place."""
    ordered = sorted(sites, key=lambda s: (s.file, s.line, s.column, s.origin or "", s.via))
    tree = Tree(ordered, sorted((m for m in modules if not TESTS.search(m.file)),
                                key=lambda m: m.file))
    found: dict[tuple[str, str, int, int], Issue] = {}
    for judge in (_clients, _catch_up, _error_handlers, _stale, _leaks, _unsubscribes,
                  _store_unsubscribes, _teardowns, _unbinds, _lookups):
        for issue in judge(tree):
            found.setdefault((issue.rule, issue.file, issue.line, issue.column), issue)
    return list(found.values())


# -- clients: per mount, duplicated -------------------------------------------------------------
def _clients(tree: Tree) -> Iterator[Issue]:
    """`new Pusher` in a component or hook; module-level clients made in two modules of an app."""
    fix = ("create one client at module level (or in a context provider) and import it; "
           "subscribe and unbind in the effect")
    by_app: dict[str, list[Fact]] = defaultdict(list)
    for fact in tree.facts[Act.CLIENT]:
        assert fact.client is not None
        if fact.client.kind is ClientKind.MODULE:
            by_app[app_of(fact.file)].append(fact)
            continue
        owner = fact.owner
        if not owner.react or owner.provider:
            continue
        if "effect" in fact.flags:
            tail = ("; events sent between an unmount and the next mount are lost, and each mount "
                    "connects and authorizes again") if "disconnected" in fact.flags else \
                ", and the cleanup never disconnects it, so each run leaves another websocket " \
                "open (with its handlers still running)"
            message = f"every mount of {owner.label} opens another websocket: `new Pusher(...)` " \
                      f"runs in its effect{tail}"
        elif "memo" in fact.flags:
            message = f"every mount of {owner.label} opens another websocket: the client is " \
                      "created per component instance, not once for the app"
        elif "render" in fact.flags:
            message = f"every render of {owner.label} opens another websocket: `new Pusher(...)` " \
                      "runs in the component body"
        else:
            continue
        yield Issue(ScanRule.LIFECYCLE_CLIENT_PER_MOUNT, message, fact.file, fact.line,
                    fact.column, fix)
    for facts in by_app.values():
        files = sorted({f.file for f in facts})
        if len(files) < 2:
            continue
        files.sort(key=lambda f: -tree.importers(f))
        first = min((f for f in facts if f.file == files[0]), key=lambda f: f.line)
        for fact in facts:
            if fact.file != first.file:
                yield Issue(ScanRule.LIFECYCLE_DUPLICATE_CLIENT,
                            f"a second Pusher client: {fact.file} and {first.file} each create "
                            "one, so the app opens two websockets, and code using one never sees "
                            "the other's subscriptions, handlers or disconnects", fact.file,
                            fact.line, fact.column,
                            "export one client from one module and import it everywhere",
                            (Related(first.file, first.line, first.column,
                                     "the other client is created here"),))


# -- catch-up after a reconnect -----------------------------------------------------------------
def _catch_up(tree: Tree) -> Iterator[Issue]:
    """A client whose channels carry events, with nothing that refetches when it reconnects."""
    if tree.facts[Act.ONLINE]:
        return
    catchers = [(f.client, f.file, f) for f in tree.facts[Act.CONNECTION] if "catch-up" in f.flags]
    catchers += [(tree.client_of_origins(f.origins), f.file, f) for f in tree.facts[Act.BIND]
                 if "catch-up" in f.flags]
    for fact in tree.facts[Act.CLIENT]:
        assert fact.client is not None
        if fact.owner.kind is Kind.CLASS:
            continue
        mine = [c for c in catchers if _covers(tree, [c], fact.client, fact.file)]
        if mine:
            yield from _stale_loaders(tree, fact.client, [c[2] for c in mine])
            continue
        subs = tree.subs_by_client.get(fact.client.where, [])
        events = tree.events_on(s.origin or "" for s in subs)
        if not events or _notify_only(tree, subs):
            continue
        first: dict[Owner, Site] = {}
        for site in subs:
            for bind in tree.binds_on.get(site.origin or "", ()):
                first.setdefault(tree.owner_at(bind.file, bind.line), bind)
            if len(first) >= MAX_RELATED:
                break
        yield Issue(ScanRule.LIFECYCLE_NO_CATCH_UP,
                    f"after a dropped connection (sleep, a network change, a server restart), "
                    f"{names(events)} sent while the page was offline are lost and it shows stale "
                    f"data until reloaded: nothing refetches when this client reconnects (Pusher "
                    f"keeps no history)", fact.file, fact.line, fact.column,
                    "refetch on reconnect: `pusher.connection.bind('connected', refetch)` (or "
                    "`state_change` to `connected`), e.g. `queryClient.invalidateQueries(...)`",
                    tree.related(first.values(), "binds events here"))


def _stale_loaders(tree: Tree, client: ClientRef, catchers: list[Fact]) -> Iterator[Issue]:
    """When only some components catch up (each refetching its own data on reconnect), a
    component that loads its data in the effect that subscribes, and binds handlers that change
    it, but refetches nothing on reconnect shows stale data."""
    if any(not c.owner.react or c.owner.kind is Kind.HOOK or c.owner.provider or c.effect is None
           for c in catchers):
        return  # an app-wide catch-up (module level, a provider, a hook): nothing to say
    catching = {c.owner for c in catchers}
    loads = {f.effect for f in tree.facts[Act.LOAD]}
    for sub in tree.facts[Act.SUBSCRIBE]:
        if sub.effect not in loads or sub.owner in catching or sub.owner.provider or \
                not tree.same_client(sub.client, client):
            continue
        events = [b.event for b in tree.by_effect[sub.effect or ""] if b.act is Act.BIND and
                  b.event and not b.event.startswith(PROTOCOL) and "notify" not in b.flags]
        if not events:
            continue
        yield Issue(ScanRule.LIFECYCLE_NO_CATCH_UP,
                    f"after a dropped connection (sleep, a network change, a server restart), "
                    f"{names(events)} sent while the page was offline are lost and "
                    f"{sub.owner.label} shows stale data until reloaded: it loads its data once "
                    f"and, unlike {labels(catching)}, refetches nothing when the client reconnects",
                    sub.file, sub.line, sub.column,
                    "load again on reconnect: `pusher.connection.bind('connected', load)` in this "
                    "effect (and unbind it in the cleanup)",
                    tuple(Related(c.file, c.line, c.column, f"{c.owner.label} catches up here")
                          for c in catchers[:MAX_RELATED]))


def _notify_only(tree: Tree, subs: list[Site]) -> bool:
    """Tell whether every handler bound on some subscribes only notifies (a toast, a log line):
    such a page shows no state that events missed while offline leave stale."""
    origins = {key_of(s.origin or "") for s in subs}
    binds = [f for f in tree.facts[Act.BIND] if f.event and not f.event.startswith(PROTOCOL) and
             origins.intersection(key_of(o) for o in f.origins)]
    return bool(binds) and all("notify" in f.flags for f in binds)


def _covers(tree: Tree, handlers: list[tuple[ClientRef | None, str, Fact]],
            client: ClientRef | None, file: str) -> bool:
    """Tell whether a connection handler is on a client: the same one, or (when the scan could
    not trace the handler's client) any client of the same app; never one of another app."""
    return any(tree.same_client(c, client) if c is not None else app_of(f) == app_of(file)
               for c, f, _ in handlers)


# -- auth failures nobody sees ------------------------------------------------------------------
def _error_handlers(tree: Tree) -> Iterator[Issue]:
    """A private/presence channel with no `pusher:subscription_error` and no connection error handler."""
    handled = [(f.client, f.file, f) for f in tree.facts[Act.CONNECTION]
               if "error-handler" in f.flags]
    errors = [f for f in tree.facts[Act.BIND]
              if f.event == "pusher:subscription_error" or "global" in f.flags]
    handled_origins = {key_of(o) for f in errors for o in f.origins}
    handled += [(f.client, f.file, f) for f in errors if "client" in f.flags]
    by_origin: dict[str, list[Site]] = defaultdict(list)
    for site in tree.subs:
        if any(name_kind(v.sym) not in (ChannelKind.PUBLIC, None) for v in site.channels):
            by_origin[key_of(site.origin or "")].append(site)
    for origin, sites in by_origin.items():
        fact = tree.subscribed.get(origin)
        if origin in handled_origins or fact is None or \
                _covers(tree, handled, fact.client, fact.file):
            continue
        channels = sorted({pattern_text(v.sym) for s in sites for v in s.channels
                           if name_kind(v.sym) not in (ChannelKind.PUBLIC, None)})
        who = labels(u for s in sites for u in tree.users(s))
        events = tree.events_on(s.origin or "" for s in sites)
        yield Issue(ScanRule.LIFECYCLE_NO_ERROR_HANDLER,
                    f"if authorization of {names(channels, 2, 'or')} fails (a 403 from the auth "
                    f"endpoint, an expired token), {who} silently never "
                    f"{'receive' if plural(who) else 'receives'} {names(events) or 'its events'}: "
                    "nothing handles `pusher:subscription_error` and no connection error handler "
                    "is bound", fact.file, fact.line, fact.column,
                    "bind `pusher:subscription_error` on the channel (show the error, refresh the "
                    "token and subscribe again), or bind `error` on `pusher.connection`")


# -- stale subscriptions ------------------------------------------------------------------------
def _stale(tree: Tree) -> Iterator[Issue]:
    """A subscribe whose channel name uses props/state its effect's dependencies leave out."""
    for fact in tree.facts[Act.SUBSCRIBE]:
        effect = tree.effects.get(fact.effect or "")
        if not fact.missing or effect is None or not fact.owner.react:
            continue
        missing = names(fact.missing)
        deps = "`[" + ", ".join(effect.deps or ()) + "]`"
        channel = f"`{display(fact.channels[0])}`" if fact.channels and \
            literal_chars(fact.channels[0]) else f"channel (`{fact.target}`)"
        events = tree.events_on([fact.key])
        verb = "changes" if len(fact.missing) == 1 else "change"
        yield Issue(ScanRule.LIFECYCLE_STALE_SUBSCRIPTION,
                    f"when {missing} {verb}, {fact.owner.label} keeps listening on the previous "
                    f"{channel} and never receives {names(events) or 'the events'} of the new "
                    f"one: the effect's dependencies {deps} leave {missing} out", fact.file,
                    fact.line, fact.column,
                    f"add {missing} to the dependency array (and unsubscribe the old channel in "
                    "the cleanup)",
                    (Related(fact.file, effect.line, effect.column, "the effect"),)
                    if effect.line != fact.line else ())


# -- handlers that pile up ----------------------------------------------------------------------
def _leaks(tree: Tree) -> Iterator[Issue]:
    """A bind whose handler the cleanup never removes, in an effect that re-runs on the same channel."""
    for fact in tree.facts[Act.BIND]:
        event = fact.event or fact.event_text
        if "channel" not in fact.flags or "global" in fact.flags or not event or \
                event.startswith(PROTOCOL) or not fact.owner.react:
            continue
        client = tree.client_of_origins(fact.origins)
        if client is not None and client.kind is ClientKind.LOCAL:
            continue
        fix = f"unbind that same handler in the cleanup: `{fact.target}.unbind('{event}', " \
              "handler)`" + (" (move the inline handler into a const, or read the latest one " \
                             "from a ref)" if "inline" in fact.flags else "")
        if "render" in fact.flags:
            yield Issue(ScanRule.LIFECYCLE_HANDLER_LEAK,
                        f"every render of {fact.owner.label} binds another `{event}` handler: the "
                        f"bind runs in the component body, so each `{event}` is handled once more "
                        "after every render (duplicate messages)", fact.file, fact.line,
                        fact.column, "bind in a `useEffect` and " + fix)
            continue
        effect = tree.effects.get(fact.effect or "")
        if effect is None or fact.cleanup or effect.opaque:
            continue
        teardown = tree.teardown_in(effect.key)
        if _covered(fact, teardown, tree):
            continue
        reason = _rerun(fact, effect, teardown, tree)
        if reason is not None:
            yield Issue(ScanRule.LIFECYCLE_HANDLER_LEAK,
                        reason.format(owner=fact.owner.label, event=event), fact.file, fact.line,
                        fact.column, fix,
                        (Related(fact.file, effect.line, effect.column, "the effect"),))


def _covered(bind: Fact, teardown: list[Fact], tree: Tree) -> bool:
    """Tell whether an effect's teardown removes a bind's handler (or its channel, or client)."""
    same = [tree.subscribed[o].target for o in bind.origins if o in tree.subscribed]
    for fact in teardown:
        on_channel = fact.target == bind.target or bool(set(fact.origins) & set(bind.origins))
        if fact.act is Act.DISCONNECT:
            return True
        if fact.act is Act.UNBIND_ALL and "channel" in fact.flags and on_channel:
            return True
        if fact.act is Act.UNSUBSCRIBE and (on_channel or fact.target in same):
            return True
        if fact.act is Act.UNBIND and on_channel and \
                (fact.event_text == bind.event_text or (fact.event and fact.event == bind.event)) \
                and (fact.handler is None or (fact.handler == bind.handler and
                                              "inline" not in bind.flags)):
            return True
    return False


def _rerun(bind: Fact, effect: EffectFact, teardown: list[Fact], tree: Tree) -> str | None:
    """Say why an uncovered bind piles up: no deps, a dep that is not the channel, or a cleanup
    that unbinds the others; None when the effect re-runs only for a new channel."""
    tail = "so each `{event}` is handled once more every time (duplicate messages)"
    if effect.deps is None:
        return ("every render of {owner} binds another `{event}` handler: the effect has no "
                "dependency array and its cleanup does not unbind it, " + tail)
    feeding = _channel_inputs(bind, effect, tree) if effect.deps_known else None
    if feeding is not None:
        others = [d for d in effect.deps if d not in effect.stable and not any(
            d == f or d.startswith(f + ".") or f.startswith(d + ".") for f in feeding)]
        if others:
            return (f"every time {names(others, conj='or')} changes, {{owner}} binds another "
                    "`{event}` handler on the same channel and the cleanup does not unbind the "
                    "old one, " + tail)
    if any(f.act is Act.UNBIND and f.handler is not None for f in teardown):
        return ("each time this effect re-runs, {owner} leaves its `{event}` handler bound: the "
                "cleanup unbinds the other handlers but not this one, " + tail)
    return None


def _channel_inputs(bind: Fact, effect: EffectFact, tree: Tree) -> set[str] | None:
    """Name what a bind's channel is built from (its subscribe's inputs, or the receiver when it
    is a dependency itself); None when the scan cannot tell."""
    known = [tree.subscribed[o] for o in bind.origins if o in tree.subscribed]
    root = bind.target.replace("?.", ".").split(".", 1)[0]
    deps = effect.deps or ()
    if not known and root not in deps:
        return None
    feeding = {root} if root in deps else set()
    for fact in known:
        feeding.update(fact.inputs)
    return feeding


# -- cleanups that break other components -------------------------------------------------------
@dataclass(slots=True)
class _Conflict:
    """The channels a cleanup acts on that more than one user subscribes (or looks up)."""

    who: str
    losers: str
    keys: list[str]
    others: list[Site]
    lookups: list[Fact]


def _conflict(tree: Tree, fact: Fact, subscribes: list[Fact],
              client: ClientRef | None) -> _Conflict | None:
    """Find the channels of a cleanup's teardown that other users share through the same client.

    A component's cleanup breaks the other users of the channel; a hook's cleanup breaks the
    other components calling the hook (when two of them use the same channel). A component that
    binds on `pusher.channel(name)` uses the channel too."""
    if client is None or client.kind is ClientKind.LOCAL:
        return None
    keys, mine = tree.channel_keys(subscribes, fact)
    me = fact.owner
    clashing: list[str] = []
    others: list[Site] = []
    lookups: list[Fact] = []
    users: frozenset[Owner] = frozenset()
    own: frozenset[Owner] = frozenset()
    for key in sorted(keys):
        sharing, looking, everyone = tree.sharing(key, client)
        here = frozenset().union(*(tree.users(s) for s in mine if key in tree.keys[id(s)])) or \
            tree.expand(me)
        if all(is_page(o) for o in here):
            everyone = frozenset(o for o in everyone if o in here or not is_page(o))
            sharing = [s for s in sharing if not all(is_page(o) for o in tree.users(s) - here)]
        if len(everyone) + len(here - everyone) < 2:
            continue
        clashing.append(key)
        if not users:
            users, own = (everyone | here if here - everyone else everyone), here
        for site in sharing:
            if len(others) >= _MAX_OTHERS:
                break
            if me.kind is Kind.HOOK or not tree.users(site) <= {me}:
                others.append(site)
        lookups += [f for f in looking if f.owner != me][:MAX_RELATED]
    if not clashing:
        return None
    if me.kind is Kind.HOOK:
        rest = len(users) - len(own & users)
        who = f"a component using {me.label} ({tree.who(own)})" if len(own) > 1 else tree.who(own)
        return _Conflict(who, tree.who(users, own) if rest and len(own) == 1 else "the others",
                         clashing, others, lookups)
    return _Conflict(me.label, tree.who(users, frozenset({me})), clashing, others, lookups)


def _stop(losers: str) -> str:
    """Agree the verb with one or several losers."""
    return "stop" if plural(losers) else "stops"


def _unsubscribes(tree: Tree) -> Iterator[Issue]:
    """A cleanup that unsubscribes a channel another component (or code) still uses."""
    for fact in tree.facts[Act.UNSUBSCRIBE]:
        if not fact.cleanup or "conditional" in fact.flags or not fact.owner.react:
            continue
        subscribes = tree.own_subscribes(fact)
        found = _conflict(tree, fact, subscribes,
                          fact.client or (subscribes[0].client if subscribes else None))
        if found is None:
            continue
        events = tree.events_on(s.origin or "" for s in found.others)
        events += [f.event for f in found.lookups if f.event and f.event not in events]
        related = tree.related(found.others, "also subscribes this channel here") + tuple(
            Related(f.file, f.line, f.column, f"{f.owner.label} binds on it here")
            for f in found.lookups)
        yield Issue(ScanRule.LIFECYCLE_SHARED_UNSUBSCRIBE,
                    f"after {found.who} unmounts, {found.losers} {_stop(found.losers)} receiving "
                    f"{names(events) or 'events'} on {names(found.keys, 2)}: this cleanup "
                    "unsubscribes the channel for the whole client, not only for itself",
                    fact.file, fact.line, fact.column,
                    "unbind only this component's handlers (`channel.unbind(event, handler)`), and "
                    "leave unsubscribing to a ref-counted registry that unsubscribes when its last "
                    "user leaves", related[:MAX_RELATED])


def _store_unsubscribes(tree: Tree) -> Iterator[Issue]:
    """A store action (zustand's `create`) that unsubscribes a channel, called by a component's
    effect cleanup, while another component subscribes that channel through the same client."""
    for fact in tree.facts[Act.UNSUBSCRIBE]:
        client = fact.client
        if not fact.source or "conditional" in fact.flags or client is None or \
                client.kind is ClientKind.LOCAL:
            continue
        store, action = fact.source.split(".", 1)
        store_users = {h.file for h in tree.hook_calls.get(store, ())}
        callers = [c for c in tree.facts[Act.CLEANUP_CALL] if c.target == action and
                   c.owner.react and c.file in store_users]
        keys = sorted({pattern_text(sym) for sym in fact.channels})
        others = [s for key in keys for s in tree.sharing(key, client)[0]
                  if s.file != fact.file and tree.users(s) - {c.owner for c in callers}]
        if not callers or not others:
            continue
        losers = labels(u for s in others for u in tree.users(s))
        events = tree.events_on(s.origin or "" for s in others)
        yield Issue(ScanRule.LIFECYCLE_SHARED_UNSUBSCRIBE,
                    f"after {labels(c.owner for c in callers)} unmounts, {losers} "
                    f"{_stop(losers)} receiving {names(events) or 'events'} on {names(keys, 2)}: "
                    f"its cleanup calls the store's `{action}()`, which unsubscribes the "
                    "channel for the whole client", fact.file, fact.line, fact.column,
                    "unbind only the store's handlers in the action, and leave unsubscribing to a "
                    "ref-counted registry that unsubscribes when its last user leaves",
                    (tuple(Related(c.file, c.line, c.column, f"{c.owner.label} calls it here")
                           for c in callers[:1]) +
                     tree.related(others, "also subscribes this channel here"))[:MAX_RELATED])


def _teardowns(tree: Tree) -> Iterator[Issue]:
    """`disconnect()` / `unbind_all()` in a cleanup on a client or channel others share."""
    for fact in tree.facts[Act.DISCONNECT]:
        client = fact.client
        if not fact.cleanup or "conditional" in fact.flags or not fact.owner.react or \
                client is None or not client.kind.shared:
            continue
        me = tree.expand(fact.owner)
        if fact.owner.kind is Kind.HOOK and len(me) > 1:
            me = frozenset()
        rest = tree.client_users(client) - me
        others = [s for s in tree.subs_by_client.get(client.where, ())
                  if not tree.users(s) <= me][:_MAX_OTHERS] if rest else []
        if others:
            losers = labels(rest)
            message = (f"after {fact.owner.label} unmounts, {losers} {_stop(losers)} receiving "
                       f"{names(tree.events_on(s.origin or '' for s in others)) or 'events'}: "
                       "`disconnect()` closes the one connection the whole app shares")
        elif not any(f.effect == fact.effect for f in tree.facts[Act.CONNECT]):
            message = (f"after {fact.owner.label} unmounts, it never receives events again, even "
                       "when it mounts again: `disconnect()` closes the shared client and nothing "
                       "reconnects it")
        else:
            continue
        yield Issue(ScanRule.LIFECYCLE_SHARED_TEARDOWN, message, fact.file, fact.line,
                    fact.column, "do not disconnect a shared client from a component: unbind this "
                    "component's handlers (and unsubscribe through a ref-counted registry); "
                    "disconnect on logout", tree.related(others, "subscribes through it here"))
    for fact in tree.facts[Act.UNBIND_ALL]:
        if not fact.cleanup or "conditional" in fact.flags or not fact.owner.react:
            continue
        if "client" not in fact.flags:
            yield from _channel_teardown(tree, fact, None)
            continue
        client = fact.client
        if client is None or not client.kind.shared:
            continue
        me = tree.expand(fact.owner)
        others_binds = [f for f in tree.facts[Act.BIND] if "client" in f.flags and
                        tree.same_client(f.client, client) and f.owner not in me]
        if others_binds:
            losers = labels(f.owner for f in others_binds)
            yield Issue(ScanRule.LIFECYCLE_SHARED_TEARDOWN,
                        f"after {fact.owner.label} unmounts, {losers} {_stop(losers)} receiving "
                        f"their global events: `{fact.target}.{fact.event_text}()` removes every "
                        "global handler of the shared client", fact.file, fact.line, fact.column,
                        "unbind only this component's handlers, with the handler",
                        tuple(Related(f.file, f.line, f.column, f"{f.owner.label} binds here")
                              for f in others_binds[:MAX_RELATED]))


def _unbinds(tree: Tree) -> Iterator[Issue]:
    """`unbind(eventName)` without the handler, in a cleanup, where another component binds it."""
    for fact in tree.facts[Act.UNBIND]:
        if fact.handler is None and fact.event and fact.cleanup and fact.owner.react and \
                "conditional" not in fact.flags:
            yield from _channel_teardown(tree, fact, fact.event)


def _channel_teardown(tree: Tree, fact: Fact, event: str | None) -> Iterator[Issue]:
    """Report a channel-level unbind that also removes other users' handlers on that channel."""
    subscribes = [tree.subscribed[o] for o in fact.origins if o in tree.subscribed]
    found = _conflict(tree, fact, subscribes, subscribes[0].client if subscribes else None)
    if found is None:
        return
    own = tree.expand(fact.owner)
    victims = [b for s in found.others for b in tree.binds_on.get(s.origin or "", ())
               if (event is None or event in {literal(v.sym) for v in b.events}) and
               not (len(own) == 1 and tree.expand(tree.owner_at(b.file, b.line)) <= own)]
    if not victims:
        return
    losers = labels(u for b in victims for u in tree.expand(tree.owner_at(b.file, b.line)))
    shown = names(found.keys, 2)
    if event is None:
        lost = names(n for b in victims for v in b.events
                     if (n := literal(v.sym)) and not n.startswith(PROTOCOL)) or "events"
        yield Issue(ScanRule.LIFECYCLE_SHARED_TEARDOWN,
                    f"after {found.who} unmounts, {losers} {_stop(losers)} receiving {lost} on "
                    f"{shown}: `{fact.target}.{fact.event_text}()` removes every component's "
                    "handlers on that channel, not only its own", fact.file, fact.line,
                    fact.column, "unbind only this component's handlers: "
                    "`channel.unbind(event, handler)` for each bind",
                    tree.related(victims, "binds on the same channel here"))
        return
    yield Issue(ScanRule.LIFECYCLE_UNBIND_WITHOUT_HANDLER,
                f"after {found.who} unmounts, {losers} {_stop(losers)} receiving `{event}`: "
                f"`unbind('{event}')` without the handler removes every component's `{event}` "
                f"handlers on {shown}", fact.file, fact.line, fact.column,
                f"pass the handler: `{fact.target}.unbind('{event}', handler)`",
                tree.related(victims, f"binds `{event}` on the same channel here"))


# -- binds on channels nobody subscribed here ---------------------------------------------------
def _lookups(tree: Tree) -> Iterator[Issue]:
    """A bind on `pusher.channel(name)` in a scope that never subscribes that channel."""
    by_owner: dict[Owner, list[Fact]] = defaultdict(list)
    for fact in tree.facts[Act.SUBSCRIBE]:
        by_owner[fact.owner].append(fact)
    for fact in tree.facts[Act.LOOKUP_BIND]:
        keys = {pattern_text(sym) for sym in fact.channels}
        if any(s.target == fact.target or keys & {pattern_text(c) for c in s.channels}
               for s in by_owner.get(fact.owner, ())):
            continue
        event = f"`{fact.event}`" if fact.event else "its events"
        shown = names(keys, 2) or f"`{fact.target}`"
        elsewhere = [s for key in keys for s in tree.subs_by_key.get(key, ())]
        if elsewhere:
            who = labels(u for s in elsewhere for u in tree.users(s))
            message = (f"{fact.owner.label} binds {event} on {shown} without subscribing it: "
                       f"`pusher.channel()` only finds a channel other code subscribed ({who}), so "
                       f"unless that is mounted first and stays mounted, the bind fails and "
                       f"{event} never arrives here")
        else:
            message = (f"nothing in the scanned code subscribes {shown}: `pusher.channel()` "
                       f"returns undefined there, so {fact.owner.label} never receives {event}")
        yield Issue(ScanRule.LIFECYCLE_BIND_UNSUBSCRIBED, message, fact.file, fact.line,
                    fact.column, "subscribe in this scope: `const channel = pusher.subscribe(name)` "
                    "(pusher-js returns the existing channel when it is already subscribed)",
                    tree.related(elsewhere, "subscribes it here"))
