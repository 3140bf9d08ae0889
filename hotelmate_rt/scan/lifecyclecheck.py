"""Judge subscription lifecycles across the tree: the `lifecycle-*` scan rules.

Inputs are the final sites (hooks and wrappers already instantiated at their call sites, so a
channel is known per component) and each module's `lifecycle.ModuleFacts` (effects, cleanups,
clients). A *user* of a channel is the component (or module code) a subscription is written in
or, for a hook, the components that call the hook. A client is shared when it is made at module
level or handed out by a context; a client whose origin the scan cannot see (a prop, a global)
counts as the tree's one module-level client when there is exactly one. Each issue says what
the person using the page will see and how to fix it; `checks.py` reports them through
`ctx.report`, so suppressions and severity configuration apply.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace

from hotelmate_rt.contracts import ChannelKind

from .jsparse import resolve_import
from .lifecycle import Act, ClientKind, ClientRef, EffectFact, Fact, ModuleFacts
from .match import name_kind, pattern_text
from .model import Related, Site, SiteKind
from .reacteffects import Kind, Owner
from .rules import ScanRule
from .symbols import display, literal, literal_chars

_TESTS = re.compile(r"(?:^|/)(?:__tests__|__mocks__|tests?|spec|stories|e2e|cypress)/|"
                    r"\.(?:test|spec|stories|cy)\.[cm]?[jt]sx?$")
_AMBIENT = frozenset({ClientKind.CONTEXT, ClientKind.PROP, ClientKind.UNKNOWN})
_PROTOCOL = ("pusher:", "pusher_internal:")
_MAX_RELATED = 4


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
    tree = _Tree(list(sites), [m for m in modules if not _TESTS.search(m.file)])
    found: dict[tuple[str, str, int, int], Issue] = {}
    for judge in (_clients, _catch_up, _error_handlers, _stale, _leaks, _unsubscribes,
                  _teardowns, _unbinds, _lookups):
        for issue in judge(tree):
            found.setdefault((issue.rule, issue.file, issue.line, issue.column), issue)
    return list(found.values())


def _names(items: Iterable[str], limit: int = 3, conj: str = "and") -> str:
    """Join names as `a`, `b` and `c` (at most `limit`, then "and more")."""
    shown = [f"`{n}`" for n in dict.fromkeys(items)]
    if len(shown) > limit:
        return ", ".join(shown[:limit]) + f" {conj} more"
    return ", ".join(shown[:-1]) + f" {conj} " + shown[-1] if len(shown) > 1 else \
        (shown[0] if shown else "")


def _labels(owners: Iterable[Owner]) -> str:
    """Join owner labels for a message."""
    labels = sorted({o.label for o in owners})
    return ", ".join(labels[:-1]) + " and " + labels[-1] if len(labels) > 1 else \
        (labels[0] if labels else "")


def _app(file: str) -> str:
    """Name the app a file belongs to: its path up to `src/` (a monorepo has several)."""
    return file[:file.index("src/") + 3] if "src/" in file else ""


class _Tree:
    """Indexes over the tree's sites and facts that every rule shares."""

    def __init__(self, sites: list[Site], modules: list[ModuleFacts]) -> None:
        self.modules = modules
        self.files = {m.file for m in modules}
        self.owners: dict[str, list[Owner]] = {m.file: sorted(m.owners, key=lambda o: o.line)
                                               for m in modules}
        self.effects: dict[str, EffectFact] = {e.key: e for m in modules for e in m.effects}
        everything = [f for m in modules for f in m.facts]
        singles: dict[str, set[ClientRef]] = defaultdict(set)
        for fact in everything:
            if fact.act is Act.CLIENT and fact.client is not None and \
                    fact.client.kind is ClientKind.MODULE:
                singles[_app(fact.file)].add(fact.client)
        for fact in everything:
            if fact.act is Act.CLIENT and fact.client is not None and fact.owner.provider and \
                    not singles.get(_app(fact.file)):
                singles["provider:" + _app(fact.file)].add(fact.client)
        self.single = {app: refs.pop() for app, refs in singles.items() if len(refs) == 1}
        self.facts: dict[Act, list[Fact]] = defaultdict(list)
        for fact in everything:
            self.facts[fact.act].append(replace(fact, client=self._resolve(fact.client, fact.file)))
        self.subscribed = {f.key: f for f in self.facts[Act.SUBSCRIBE]}
        self.subs = [s for s in sites if s.kind is SiteKind.SUBSCRIBE and s.origin and
                     s.file in self.files]
        self.binds_on: dict[str, list[Site]] = defaultdict(list)
        for site in sites:
            if site.kind is SiteKind.BIND and site.file in self.files:
                for origin in site.receivers:
                    self.binds_on[origin].append(site)
        self.roots = tuple(sorted({f[:f.index("src/") + 3] for f in self.files
                                   if f.startswith("src/") or "/src/" in f})) or ("src",)

    def _resolve(self, ref: ClientRef | None, file: str) -> ClientRef | None:
        """See a client the scan could not trace (a prop, a context, a global) as its app's one
        module-level client (else its provider's), or as the app's unknown client."""
        if ref is None or ref.kind not in _AMBIENT:
            return ref
        app = _app(file)
        single = self.single.get(app) or self.single.get("provider:" + app)
        return single or ClientRef(ref.kind, f"{app}*")

    # -- clients ----------------------------------------------------------------------------
    def importers(self, file: str) -> int:
        """Count the scanned modules that import a file (the app's main client is imported most)."""
        return sum(1 for m in self.modules if any(
            resolve_import(spec, m.file, self.files, self.roots) == file for _, spec in m.imports))

    @staticmethod
    def same_client(a: ClientRef | None, b: ClientRef | None) -> bool:
        """Tell whether two (resolved) references are, as far as the scan can tell, one client."""
        return a is not None and b is not None and bool(a.where) and a.where == b.where

    def client_of_origins(self, origins: Iterable[str]) -> ClientRef | None:
        """Return the client of the first traced subscribe among some origins."""
        for origin in origins:
            fact = self.subscribed.get(origin.split("@", 1)[0])
            if fact is not None:
                return fact.client
        return None

    def client_of(self, site: Site) -> ClientRef | None:
        """Return the client a subscribe site goes through (from its written subscribe)."""
        fact = self.subscribed.get((site.origin or "").split("@", 1)[0])
        return fact.client if fact is not None else None

    # -- users ------------------------------------------------------------------------------
    def owner_at(self, file: str, line: int) -> Owner:
        """Return the innermost component/hook containing a line (else the module)."""
        best: Owner | None = None
        for owner in self.owners.get(file, ()):
            if owner.line <= line <= owner.end_line:
                best = owner
        return best or Owner("<module>", Kind.MODULE, file, 1, 1)

    def users(self, site: Site) -> set[Owner]:
        """Return who uses a subscription: its component, or the components calling its hook."""
        fact = self.subscribed.get(site.origin or "")
        owner = fact.owner if fact is not None and not site.via else \
            self.owner_at(site.file, site.line)
        return self.expand(owner)

    def expand(self, owner: Owner, depth: int = 0) -> set[Owner]:
        """Replace a hook by the components that call it (through other hooks, a few levels)."""
        if owner.kind is not Kind.HOOK or depth > 3:
            return {owner}
        out: set[Owner] = set()
        for call in self.facts[Act.HOOK_CALL]:
            if call.target != owner.name:
                continue
            target = call.file if not call.source else \
                resolve_import(call.source, call.file, self.files, self.roots)
            if target == owner.file and call.owner != owner:
                out |= self.expand(call.owner, depth + 1)
        return out or {owner}

    def events_on(self, origins: Iterable[str]) -> list[str]:
        """Name the (non-protocol) events bound on the channels some subscribes produced."""
        out: list[str] = []
        for origin in origins:
            for site in self.binds_on.get(origin, ()):
                for value in site.events:
                    name = literal(value.sym)
                    if name is not None and not name.startswith(_PROTOCOL):
                        out.append(name)
        return list(dict.fromkeys(out))

    def sharing(self, keys: set[str], client: ClientRef | None) -> list[Site]:
        """Return the subscribe sites of channels with these keys through the same client."""
        return [s for s in self.subs if self.same_client(self.client_of(s), client) and
                any(pattern_text(v.sym) in keys for v in s.channels)]

    def cleanup_facts(self, effect: str) -> list[Fact]:
        """Return the teardown calls recorded in one effect (cleanup or not)."""
        return [f for act in (Act.UNBIND, Act.UNBIND_ALL, Act.UNSUBSCRIBE, Act.DISCONNECT)
                for f in self.facts[act] if f.effect == effect]

    def own_subscribes(self, fact: Fact) -> list[Fact]:
        """Return the subscribes a teardown undoes: traced origins, or the same name in its effect."""
        if fact.origins:
            return [self.subscribed[o] for o in fact.origins if o in self.subscribed]
        return [s for s in self.facts[Act.SUBSCRIBE] if s.effect == fact.effect and
                s.effect is not None and (s.target == fact.target or
                                          (fact.channels and s.channels == fact.channels))]

    def channel_keys(self, subscribes: list[Fact], fact: Fact) -> tuple[set[str], list[Site]]:
        """Return the channel keys (and final subscribe sites) a teardown acts on."""
        origins = {s.key for s in subscribes}
        mine = [s for s in self.subs if (s.origin or "").split("@", 1)[0] in origins]
        keys = {pattern_text(v.sym) for s in mine for v in s.channels}
        if not keys:
            keys = {pattern_text(sym) for s in subscribes for sym in s.channels} or \
                {pattern_text(sym) for sym in fact.channels}
        return keys, mine


def _related(sites: Iterable[Site], tree: _Tree, what: str) -> tuple[Related, ...]:
    """Point at other users' subscribe (or bind) sites, labelled with who they are."""
    out: list[Related] = []
    for site in sites:
        who = _labels(tree.users(site)) if site.kind is SiteKind.SUBSCRIBE else \
            tree.owner_at(site.file, site.line).label
        out.append(Related(site.file, site.line, site.column, f"{who} {what}"))
    return tuple(dict.fromkeys(out))[:_MAX_RELATED]


# -- clients: per mount, duplicated -------------------------------------------------------------
def _clients(tree: _Tree) -> Iterator[Issue]:
    """`new Pusher` in a component or hook; module-level clients made in two modules of an app."""
    fix = ("create one client at module level (or in a context provider) and import it; "
           "subscribe and unbind in the effect")
    by_app: dict[str, list[Fact]] = defaultdict(list)
    for fact in tree.facts[Act.CLIENT]:
        assert fact.client is not None
        if fact.client.kind is ClientKind.MODULE:
            by_app[_app(fact.file)].append(fact)
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
        files = sorted({f.file for f in facts}, key=lambda f: (-tree.importers(f), f))
        if len(files) < 2:
            continue
        first = min((f for f in facts if f.file == files[0]), key=lambda f: f.line)
        for fact in facts:
            if fact.file == first.file:
                continue
            yield Issue(ScanRule.LIFECYCLE_DUPLICATE_CLIENT,
                        f"a second Pusher client: {fact.file} and {first.file} each create one, so "
                        "the app opens two websockets, and code using one never sees the other's "
                        "subscriptions, handlers or disconnects", fact.file, fact.line,
                        fact.column, "export one client from one module and import it everywhere",
                        (Related(first.file, first.line, first.column,
                                 "the other client is created here"),))


# -- catch-up after a reconnect -----------------------------------------------------------------
def _catch_up(tree: _Tree) -> Iterator[Issue]:
    """A client whose channels carry events, with nothing that refetches when it reconnects."""
    if tree.facts[Act.ONLINE]:
        return
    catchers = [f.client for f in tree.facts[Act.CONNECTION] if "catch-up" in f.flags]
    catchers += [tree.client_of_origins(f.origins) for f in tree.facts[Act.BIND]
                 if "catch-up" in f.flags]
    for fact in tree.facts[Act.CLIENT]:
        if fact.owner.kind is Kind.CLASS or \
                any(c is None or tree.same_client(c, fact.client) for c in catchers):
            continue
        subs = [s for s in tree.subs if tree.same_client(tree.client_of(s), fact.client)]
        events = tree.events_on(s.origin or "" for s in subs)
        if not events:
            continue
        first: dict[Owner, Site] = {}
        for site in subs:
            for bind in tree.binds_on.get(site.origin or "", ()):
                first.setdefault(tree.owner_at(bind.file, bind.line), bind)
        yield Issue(ScanRule.LIFECYCLE_NO_CATCH_UP,
                    f"after a dropped connection (sleep, a network change, a server restart), "
                    f"{_names(events)} sent while the page was offline are lost and it shows stale "
                    f"data until reloaded: nothing refetches when this client reconnects (Pusher "
                    f"keeps no history)", fact.file, fact.line, fact.column,
                    "refetch on reconnect: `pusher.connection.bind('connected', refetch)` (or "
                    "`state_change` to `connected`), e.g. `queryClient.invalidateQueries(...)`",
                    _related(first.values(), tree, "binds events here"))


# -- auth failures nobody sees ------------------------------------------------------------------
def _error_handlers(tree: _Tree) -> Iterator[Issue]:
    """A private/presence channel with no `pusher:subscription_error` and no connection error handler."""
    handled = [f for f in tree.facts[Act.CONNECTION] if "error-handler" in f.flags]
    errors = [f for f in tree.facts[Act.BIND]
              if f.event == "pusher:subscription_error" or "global" in f.flags]
    handled_origins = {o for f in errors for o in f.origins}
    client_level = [f.client for f in errors if "client" in f.flags]
    by_origin: dict[str, list[Site]] = defaultdict(list)
    for site in tree.subs:
        if any(name_kind(v.sym) not in (ChannelKind.PUBLIC, None) for v in site.channels):
            by_origin[(site.origin or "").split("@", 1)[0]].append(site)
    for origin, sites in by_origin.items():
        if origin in handled_origins or any(
                o.split("@", 1)[0] == origin for s in sites for o in (s.origin or "",)
                if o in handled_origins):
            continue
        client = tree.client_of(sites[0])
        if any(tree.same_client(h.client, client) or h.client is None for h in handled) or \
                any(tree.same_client(c, client) for c in client_level):
            continue
        fact = tree.subscribed.get(origin)
        if fact is None or fact.owner.kind is Kind.CLASS:
            continue
        channels = sorted({pattern_text(v.sym) for s in sites for v in s.channels
                           if name_kind(v.sym) not in (ChannelKind.PUBLIC, None)})
        who = _labels(u for s in sites for u in tree.users(s))
        events = tree.events_on(s.origin or "" for s in sites)
        yield Issue(ScanRule.LIFECYCLE_NO_ERROR_HANDLER,
                    f"if authorization of {_names(channels, 2, 'or')} fails (a 403 from the auth "
                    f"endpoint, an expired token), {who} silently never "
                    f"{'receive' if ' and ' in who else 'receives'} "
                    f"{_names(events) or 'its events'}: nothing handles `pusher:subscription_error` "
                    "and no connection error handler is bound", fact.file, fact.line, fact.column,
                    "bind `pusher:subscription_error` on the channel (show the error, refresh the "
                    "token and subscribe again), or bind `error` on `pusher.connection`")


# -- stale subscriptions ------------------------------------------------------------------------
def _stale(tree: _Tree) -> Iterator[Issue]:
    """A subscribe whose channel name uses props/state its effect's dependencies leave out."""
    for fact in tree.facts[Act.SUBSCRIBE]:
        effect = tree.effects.get(fact.effect or "")
        if not fact.missing or effect is None or not fact.owner.react:
            continue
        names = _names(fact.missing)
        deps = "`[" + ", ".join(effect.deps or ()) + "]`"
        channel = f"`{display(fact.channels[0])}`" if fact.channels and \
            literal_chars(fact.channels[0]) else f"channel (`{fact.target}`)"
        events = tree.events_on([fact.key])
        verb = "changes" if len(fact.missing) == 1 else "change"
        yield Issue(ScanRule.LIFECYCLE_STALE_SUBSCRIPTION,
                    f"when {names} {verb}, {fact.owner.label} keeps listening on the previous "
                    f"{channel} and never receives {_names(events) or 'the events'} of the new "
                    f"one: the effect's dependencies {deps} leave {names} out", fact.file,
                    fact.line, fact.column,
                    f"add {names} to the dependency array (and unsubscribe the old channel in "
                    "the cleanup)",
                    (Related(fact.file, effect.line, effect.column, "the effect"),)
                    if effect.line != fact.line else ())


# -- handlers that pile up ----------------------------------------------------------------------
def _leaks(tree: _Tree) -> Iterator[Issue]:
    """A bind whose handler the cleanup never removes, in an effect that re-runs on the same channel."""
    for fact in tree.facts[Act.BIND]:
        event = fact.event or fact.event_text
        if "channel" not in fact.flags or "global" in fact.flags or not event or \
                event.startswith(_PROTOCOL) or not fact.owner.react:
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
        teardown = tree.cleanup_facts(effect.key)
        if _covered(fact, teardown, tree):
            continue
        reason = _rerun(fact, effect, teardown, tree)
        if reason is None:
            continue
        yield Issue(ScanRule.LIFECYCLE_HANDLER_LEAK, reason.format(owner=fact.owner.label,
                                                                   event=event),
                    fact.file, fact.line, fact.column, fix,
                    (Related(fact.file, effect.line, effect.column, "the effect"),))


def _covered(bind: Fact, teardown: list[Fact], tree: _Tree) -> bool:
    """Tell whether an effect's teardown removes a bind's handler (or its channel, or client)."""
    same = [s.target for s in tree.facts[Act.SUBSCRIBE] if s.key in bind.origins]
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
                and (fact.handler is None or fact.handler == bind.handler):
            return True
    return False


def _rerun(bind: Fact, effect: EffectFact, teardown: list[Fact], tree: _Tree) -> str | None:
    """Say why an uncovered bind piles up: no deps, a dep that is not the channel, or a cleanup
    that unbinds the others; None when the effect re-runs only for a new channel."""
    tail = "so each `{event}` is handled once more every time (duplicate messages)"
    if effect.deps is None:
        return ("every render of {owner} binds another `{event}` handler: the effect has no "
                "dependency array and its cleanup does not unbind it, " + tail)
    feeding = _channel_inputs(bind, effect, tree) if effect.deps_known else None
    if feeding is not None:
        others = [d for d in effect.deps if not any(
            d == f or d.startswith(f + ".") or f.startswith(d + ".") for f in feeding)]
        if others:
            return (f"every time {_names(others, conj='or')} changes, {{owner}} binds another `{{event}}` "
                    "handler on the same channel and the cleanup does not unbind the old one, "
                    + tail)
    if any(f.act is Act.UNBIND and f.handler is not None for f in teardown):
        return ("each time this effect re-runs, {owner} leaves its `{event}` handler bound: the "
                "cleanup unbinds the other handlers but not this one, " + tail)
    return None


def _channel_inputs(bind: Fact, effect: EffectFact, tree: _Tree) -> set[str] | None:
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
    """A channel a cleanup acts on that more than one user subscribes."""

    who: str
    losers: str
    keys: list[str]
    others: list[Site]


def _conflict(tree: _Tree, fact: Fact, subscribes: list[Fact],
              client: ClientRef | None) -> _Conflict | None:
    """Find the channels of a cleanup's teardown that other users share through the same client.

    A component's cleanup breaks the other users of the channel; a hook's cleanup breaks the
    other components calling the hook (when two of them use the same channel)."""
    if client is None or client.kind is ClientKind.LOCAL:
        return None
    keys, mine = tree.channel_keys(subscribes, fact)
    me = fact.owner
    clashing: list[str] = []
    others: list[Site] = []
    users: set[Owner] = set()
    own: set[Owner] = set()
    for key in sorted(keys):
        sharing = tree.sharing({key}, client)
        mine_here = [s for s in mine if any(pattern_text(v.sym) == key for v in s.channels)]
        here = set().union(*(tree.users(s) for s in mine_here)) if mine_here else tree.expand(me)
        everyone = set().union(here, *(tree.users(s) for s in sharing))
        if len(everyone) < 2:
            continue
        clashing.append(key)
        users |= everyone
        own |= here
        others += [s for s in sharing if me.kind is Kind.HOOK or not tree.users(s) <= {me}]
    if not clashing:
        return None
    if me.kind is Kind.HOOK:
        rest = users - own
        who = f"a component using {me.label} ({_labels(own)})" if len(own) > 1 else _labels(own)
        return _Conflict(who, _labels(rest) if rest and len(own) == 1 else "the others",
                         clashing, others)
    return _Conflict(me.label, _labels(users - {me}), clashing, others)


def _unsubscribes(tree: _Tree) -> Iterator[Issue]:
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
        yield Issue(ScanRule.LIFECYCLE_SHARED_UNSUBSCRIBE,
                    f"after {found.who} unmounts, {found.losers} {_stop(found.losers)} receiving "
                    f"{_names(events) or 'events'} on {_names(found.keys, 2)}: this cleanup "
                    "unsubscribes the channel for the whole client, not only for itself",
                    fact.file, fact.line, fact.column,
                    "unbind only this component's handlers (`channel.unbind(event, handler)`), and "
                    "leave unsubscribing to a ref-counted registry that unsubscribes when its last "
                    "user leaves", _related(found.others, tree, "also subscribes this channel here"))


def _stop(losers: str) -> str:
    """Agree the verb with one or several losers."""
    return "stop" if " and " in losers or losers == "the others" else "stops"


def _teardowns(tree: _Tree) -> Iterator[Issue]:
    """`disconnect()` / `unbind_all()` in a cleanup on a client or channel others share."""
    for fact in tree.facts[Act.DISCONNECT]:
        client = fact.client
        if not fact.cleanup or "conditional" in fact.flags or not fact.owner.react or \
                client is None or not client.kind.shared:
            continue
        me = tree.expand(fact.owner)
        if fact.owner.kind is Kind.HOOK and len(me) > 1:
            me = set()
        others = [s for s in tree.subs if tree.same_client(tree.client_of(s), client) and
                  not tree.users(s) <= me]
        if others:
            losers = _labels(u for s in others for u in tree.users(s))
            message = (f"after {fact.owner.label} unmounts, {losers} {_stop(losers)} receiving "
                       f"{_names(tree.events_on(s.origin or '' for s in others)) or 'events'}: "
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
                    "disconnect on logout", _related(others, tree, "subscribes through it here"))
    for fact in tree.facts[Act.UNBIND_ALL]:
        if not fact.cleanup or "conditional" in fact.flags or not fact.owner.react:
            continue
        me = tree.expand(fact.owner)
        if "client" in fact.flags:
            client = fact.client
            if client is None or not client.kind.shared:
                continue
            others_binds = [f for f in tree.facts[Act.BIND] if "client" in f.flags and
                            tree.same_client(f.client, client) and f.owner not in me]
            if not others_binds:
                continue
            yield Issue(ScanRule.LIFECYCLE_SHARED_TEARDOWN,
                        f"after {fact.owner.label} unmounts, {_labels(f.owner for f in others_binds)} "
                        f"stop receiving their global events: `{fact.target}.{fact.event_text}()` removes "
                        "every global handler of the shared client", fact.file, fact.line,
                        fact.column, "unbind only this component's handlers, with the handler",
                        tuple(Related(f.file, f.line, f.column, f"{f.owner.label} binds here")
                              for f in others_binds[:_MAX_RELATED]))
            continue
        yield from _channel_teardown(tree, fact, None)


def _unbinds(tree: _Tree) -> Iterator[Issue]:
    """`unbind(eventName)` without the handler, in a cleanup, where another component binds it."""
    for fact in tree.facts[Act.UNBIND]:
        if fact.handler is None and fact.event and fact.cleanup and fact.owner.react and \
                "conditional" not in fact.flags:
            yield from _channel_teardown(tree, fact, fact.event)


def _channel_teardown(tree: _Tree, fact: Fact, event: str | None) -> Iterator[Issue]:
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
    losers = _labels(u for b in victims for u in tree.expand(tree.owner_at(b.file, b.line)))
    shown = _names(found.keys, 2)
    if event is None:
        lost = _names(n for b in victims for v in b.events
                      if (n := literal(v.sym)) and not n.startswith(_PROTOCOL)) or "events"
        yield Issue(ScanRule.LIFECYCLE_SHARED_TEARDOWN,
                    f"after {found.who} unmounts, {losers} {_stop(losers)} receiving "
                    f"{lost} on {shown}: `{fact.target}.{fact.event_text}()` removes every component's "
                    "handlers on that channel, not only its own", fact.file, fact.line,
                    fact.column, "unbind only this component's handlers: "
                    "`channel.unbind(event, handler)` for each bind",
                    _related(victims, tree, "binds on the same channel here"))
        return
    yield Issue(ScanRule.LIFECYCLE_UNBIND_WITHOUT_HANDLER,
                f"after {found.who} unmounts, {losers} {_stop(losers)} receiving "
                f"`{event}`: `unbind('{event}')` without the handler removes every component's "
                f"`{event}` handlers on {shown}", fact.file, fact.line, fact.column,
                f"pass the handler: `{fact.target}.unbind('{event}', handler)`",
                _related(victims, tree, f"binds `{event}` on the same channel here"))


# -- binds on channels nobody subscribed here ---------------------------------------------------
def _lookups(tree: _Tree) -> Iterator[Issue]:
    """A bind on `pusher.channel(name)` in a scope that never subscribes that channel."""
    for fact in tree.facts[Act.LOOKUP_BIND]:
        keys = {pattern_text(sym) for sym in fact.channels}
        if any(s.owner == fact.owner and (s.target == fact.target or
                                          keys & {pattern_text(c) for c in s.channels})
               for s in tree.facts[Act.SUBSCRIBE]):
            continue
        event = f"`{fact.event}`" if fact.event else "its events"
        shown = _names(keys, 2) or f"`{fact.target}`"
        elsewhere = [s for s in tree.subs if any(pattern_text(v.sym) in keys for v in s.channels)]
        if elsewhere:
            who = _labels(u for s in elsewhere for u in tree.users(s))
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
                    _related(elsewhere, tree, "subscribes it here"))
