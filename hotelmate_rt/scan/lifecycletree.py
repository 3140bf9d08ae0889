"""The tree as the lifecycle rules see it: users of each channel, clients, indexes (`Tree`).

Inputs are the final sites (hooks and wrappers already instantiated at their call sites, so a
channel is known per component) and each module's `lifecycle.ModuleFacts`. A *user* of a channel
is the component (or module code) a subscription is written in or, for a hook, the components
that call the hook. A client the scan could not trace (a prop, a context, a global) is its app's
one module-level client when the app has exactly one (else the one its provider makes); an app
is a path up to `src/`, so a monorepo's apps never share. Every lookup the rules repeat is an
index or a cache here, so judging stays linear in the number of sites.
"""

from __future__ import annotations

import heapq
import itertools
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import replace

from .jsparse import resolve_import
from .lifecycle import Act, ClientKind, ClientRef, EffectFact, Fact, ModuleFacts
from .match import pattern_text
from .model import Related, Site, SiteKind
from .reacteffects import Kind, Owner
from .symbols import literal

TESTS = re.compile(r"(?:^|/)(?:__tests__|__mocks__|tests?|spec|stories|e2e|cypress)/|"
                   r"\.(?:test|spec|stories|cy)\.[cm]?[jt]sx?$")
"""Test, mock and story files: their clients and subscriptions are not the app's."""
PROTOCOL = ("pusher:", "pusher_internal:")
MAX_RELATED = 4
_AMBIENT = frozenset({ClientKind.CONTEXT, ClientKind.PROP, ClientKind.UNKNOWN})
_TEARDOWN = (Act.UNBIND, Act.UNBIND_ALL, Act.UNSUBSCRIBE, Act.DISCONNECT)


def names(items: Iterable[str], limit: int = 3, conj: str = "and") -> str:
    """Join names as `a`, `b` and `c` (at most `limit`, then "and more")."""
    shown = [f"`{n}`" for n in dict.fromkeys(items)]
    if len(shown) > limit:
        return ", ".join(shown[:limit]) + f" {conj} more"
    return ", ".join(shown[:-1]) + f" {conj} " + shown[-1] if len(shown) > 1 else \
        (shown[0] if shown else "")


def labels(owners: Iterable[Owner], limit: int = 3) -> str:
    """Join owner labels for a message (`A`, `B and C`, `A, B, C and 4 more`)."""
    every = {o.label for o in owners}
    shown = heapq.nsmallest(limit, every)
    if len(every) > limit:
        return ", ".join(shown) + f" and {len(every) - limit} more"
    return ", ".join(shown[:-1]) + " and " + shown[-1] if len(shown) > 1 else \
        (shown[0] if shown else "")


def plural(who: str) -> bool:
    """Tell whether a joined label names several (for the verb that follows)."""
    return " and " in who or who == "the others"


_PAGE = re.compile(r"(?:^|/)(?:pages|routes)/(?!_app\.|_document\.|_layout\.)|"
                   r"(?:^|/)app/(?:.*/)?page\.[cm]?[jt]sx?$")


def is_page(owner: Owner) -> bool:
    """Tell whether an owner is a route of a file-based router (`pages/`, `routes/`, Next's
    `app/**/page.tsx`): two routes are never mounted together, so one's cleanup cannot break
    the other (the next page's effects run after the previous page's cleanups)."""
    return _PAGE.search(owner.file) is not None


def app_of(file: str) -> str:
    """Name the app a file belongs to: its path up to `src/` (a monorepo has several)."""
    return file[:file.index("src/") + 3] if "src/" in file else ""


def key_of(origin: str) -> str:
    """Return the written subscribe of an origin (`file:line:col`, without `@call`)."""
    return origin.split("@", 1)[0]


class Tree:
    """Indexes over the tree's sites and facts that every lifecycle rule shares."""

    def __init__(self, sites: list[Site], modules: list[ModuleFacts]) -> None:
        self.modules = modules
        self.files = {m.file for m in modules}
        self.owners = {m.file: sorted(m.owners, key=lambda o: o.line) for m in modules}
        self.effects: dict[str, EffectFact] = {e.key: e for m in modules for e in m.effects}
        everything = [f for m in modules for f in m.facts]
        self.single = self._singles(everything)
        self.facts: dict[Act, list[Fact]] = defaultdict(list)
        self.by_effect: dict[str, list[Fact]] = defaultdict(list)
        self.hook_calls: dict[str, list[Fact]] = defaultdict(list)
        for fact in everything:
            fact = replace(fact, client=self._resolve(fact.client, fact.file))
            self.facts[fact.act].append(fact)
            if fact.effect is not None:
                self.by_effect[fact.effect].append(fact)
            if fact.act is Act.HOOK_CALL:
                self.hook_calls[fact.target].append(fact)
        self.subscribed = {f.key: f for f in self.facts[Act.SUBSCRIBE]}
        self.subs = [s for s in sites if s.kind is SiteKind.SUBSCRIBE and s.origin and
                     s.file in self.files]
        self.keys: dict[int, frozenset[str]] = {
            id(s): frozenset(pattern_text(v.sym) for v in s.channels) for s in self.subs}
        self.subs_by_key: dict[str, list[Site]] = defaultdict(list)
        self.subs_by_written: dict[str, list[Site]] = defaultdict(list)
        self.subs_by_client: dict[str, list[Site]] = defaultdict(list)
        for site in self.subs:
            for key in self.keys[id(site)]:
                self.subs_by_key[key].append(site)
            self.subs_by_written[key_of(site.origin or "")].append(site)
            client = self.client_of(site)
            if client is not None:
                self.subs_by_client[client.where].append(site)
        self.binds_on: dict[str, list[Site]] = defaultdict(list)
        for site in sites:
            if site.kind is SiteKind.BIND and site.file in self.files:
                for origin in site.receivers:
                    self.binds_on[origin].append(site)
        self.roots = tuple(sorted({f[:f.index("src/") + 3] for f in self.files
                                   if f.startswith("src/") or "/src/" in f})) or ("src",)
        self.lookups_by_key: dict[str, list[Fact]] = defaultdict(list)
        for fact in self.facts[Act.LOOKUP_BIND]:
            for key in {pattern_text(sym) for sym in fact.channels}:
                self.lookups_by_key[key].append(fact)
        self._sharing: dict[tuple[str, str], tuple[list[Site], list[Fact], frozenset[Owner]]] = {}
        self._users: dict[tuple[str, int, str, bool], frozenset[Owner]] = {}
        self._client_users: dict[str, frozenset[Owner]] = {}
        self._sorted: dict[frozenset[Owner], tuple[str, ...]] = {}
        self._expanded: dict[Owner, frozenset[Owner]] = {}
        self._events: dict[str, tuple[str, ...]] = {}

    # -- clients ----------------------------------------------------------------------------
    @staticmethod
    def _singles(facts: list[Fact]) -> dict[str, ClientRef]:
        """Map each app to its one module-level client (else its one provider's client)."""
        found: dict[str, set[ClientRef]] = defaultdict(set)
        for fact in facts:
            if fact.act is Act.CLIENT and fact.client is not None and \
                    fact.client.kind is ClientKind.MODULE:
                found[app_of(fact.file)].add(fact.client)
        for fact in facts:
            if fact.act is Act.CLIENT and fact.client is not None and fact.owner.provider and \
                    not found.get(app_of(fact.file)):
                found["provider:" + app_of(fact.file)].add(
                    ClientRef(ClientKind.CONTEXT, fact.client.where))
        return {app: refs.pop() for app, refs in found.items() if len(refs) == 1}

    def _resolve(self, ref: ClientRef | None, file: str) -> ClientRef | None:
        """See an untraced client as its app's single client, or as the app's unknown client."""
        if ref is None or ref.kind not in _AMBIENT:
            return ref
        app = app_of(file)
        single = self.single.get(app) or self.single.get("provider:" + app)
        return single or ClientRef(ref.kind, f"{app}*")

    @staticmethod
    def same_client(a: ClientRef | None, b: ClientRef | None) -> bool:
        """Tell whether two (resolved) references are, as far as the scan can tell, one client."""
        return a is not None and b is not None and bool(a.where) and a.where == b.where

    def client_of_origins(self, origins: Iterable[str]) -> ClientRef | None:
        """Return the client of the first traced subscribe among some origins."""
        for origin in origins:
            fact = self.subscribed.get(key_of(origin))
            if fact is not None:
                return fact.client
        return None

    def client_of(self, site: Site) -> ClientRef | None:
        """Return the client a subscribe site goes through (from its written subscribe)."""
        return self.client_of_origins([site.origin or ""])

    def importers(self, file: str) -> int:
        """Count the scanned modules that import a file (the app's main client is imported most)."""
        return sum(1 for m in self.modules if any(
            resolve_import(spec, m.file, self.files, self.roots) == file for _, spec in m.imports))

    # -- users ------------------------------------------------------------------------------
    def owner_at(self, file: str, line: int) -> Owner:
        """Return the innermost component/hook containing a line (else the module)."""
        best: Owner | None = None
        for owner in self.owners.get(file, ()):
            if owner.line > line:
                break
            if line <= owner.end_line:
                best = owner
        return best or Owner("<module>", Kind.MODULE, file, 1, 1)

    def users(self, site: Site) -> frozenset[Owner]:
        """Return who uses a site: its component, or the components calling its hook."""
        cache = (site.file, site.line, site.origin or "", bool(site.via))
        got = self._users.get(cache)
        if got is None:
            fact = self.subscribed.get(site.origin or "") if site.kind is SiteKind.SUBSCRIBE \
                else None
            owner = fact.owner if fact is not None and not site.via else \
                self.owner_at(site.file, site.line)
            got = self._users[cache] = self.expand(owner)
        return got

    def expand(self, owner: Owner, depth: int = 0) -> frozenset[Owner]:
        """Replace a hook by the components that call it (through other hooks, a few levels)."""
        if owner.kind is not Kind.HOOK or depth > 3:
            return frozenset({owner})
        got = self._expanded.get(owner)
        if got is not None:
            return got
        out: set[Owner] = set()
        for call in self.hook_calls.get(owner.name, ()):
            target = call.file if not call.source else \
                resolve_import(call.source, call.file, self.files, self.roots)
            if target == owner.file and call.owner != owner:
                out |= self.expand(call.owner, depth + 1)
        got = self._expanded[owner] = frozenset(out or {owner})
        return got

    def events_on(self, origins: Iterable[str], limit: int = 4) -> list[str]:
        """Name the first few (non-protocol) events bound on the channels of some subscribes."""
        out: dict[str, None] = {}
        for origin in origins:
            got = self._events.get(origin)
            if got is None:
                found = (literal(v.sym) for s in self.binds_on.get(origin, ()) for v in s.events)
                got = self._events[origin] = tuple(dict.fromkeys(
                    n for n in found if n is not None and not n.startswith(PROTOCOL)))
            out.update(dict.fromkeys(got))
            if len(out) > limit:
                break
        return list(out)

    def who(self, owners: frozenset[Owner], leave_out: frozenset[Owner] = frozenset(),
            limit: int = 3) -> str:
        """`labels(owners - leave_out)`, cached per set (busy channels have many users)."""
        got = self._sorted.get(owners)
        if got is None:
            got = self._sorted[owners] = tuple(sorted({o.label for o in owners}))
        skip = {o.label for o in leave_out}
        shown = list(itertools.islice((n for n in got if n not in skip), limit))
        more = len(got) - len(skip.intersection(got)) - len(shown)
        if more:
            return ", ".join(shown) + f" and {more} more"
        return ", ".join(shown[:-1]) + " and " + shown[-1] if len(shown) > 1 else \
            (shown[0] if shown else "")

    # -- channels ---------------------------------------------------------------------------
    def sharing(self, key: str, client: ClientRef) -> tuple[list[Site], list[Fact],
                                                            frozenset[Owner]]:
        """Return the subscribe sites and `pusher.channel()` binds of one channel through one
        client, with all their users (cached: every cleanup on a busy channel asks)."""
        got = self._sharing.get((key, client.where))
        if got is None:
            sites = [s for s in self.subs_by_key.get(key, ())
                     if self.same_client(self.client_of(s), client)]
            looking = [f for f in self.lookups_by_key.get(key, ())
                       if self.same_client(f.client, client)]
            users = frozenset().union(*(self.users(s) for s in sites),
                                      *(self.expand(f.owner) for f in looking))
            got = self._sharing[(key, client.where)] = (sites, looking, users)
        return got

    def client_users(self, client: ClientRef) -> frozenset[Owner]:
        """Return everyone subscribing through one client (cached)."""
        got = self._client_users.get(client.where)
        if got is None:
            got = self._client_users[client.where] = frozenset().union(
                *(self.users(s) for s in self.subs_by_client.get(client.where, ())))
        return got

    def teardown_in(self, effect: str) -> list[Fact]:
        """Return the teardown calls recorded in one effect (cleanup or not)."""
        return [f for f in self.by_effect.get(effect, ()) if f.act in _TEARDOWN]

    def own_subscribes(self, fact: Fact) -> list[Fact]:
        """Return the subscribes a teardown undoes: traced origins, or the same name in its effect."""
        if fact.origins:
            return [self.subscribed[o] for o in fact.origins if o in self.subscribed]
        return [s for s in self.by_effect.get(fact.effect or "", ()) if s.act is Act.SUBSCRIBE and
                (s.target == fact.target or (fact.channels and s.channels == fact.channels))]

    def channel_keys(self, subscribes: list[Fact], fact: Fact) -> tuple[set[str], list[Site]]:
        """Return the channel keys (and final subscribe sites) a teardown acts on."""
        mine = [s for sub in subscribes for s in self.subs_by_written.get(sub.key, ())]
        keys = {k for s in mine for k in self.keys[id(s)]}
        if not keys:
            keys = {pattern_text(sym) for s in subscribes for sym in s.channels} or \
                {pattern_text(sym) for sym in fact.channels}
        return keys, mine

    def related(self, sites: Iterable[Site], what: str) -> tuple[Related, ...]:
        """Point at other users' subscribe (or bind) sites, labelled with who they are."""
        out: dict[Related, None] = {}
        for site in sites:
            who = labels(self.users(site)) if site.kind is SiteKind.SUBSCRIBE else \
                self.owner_at(site.file, site.line).label
            out[Related(site.file, site.line, site.column, f"{who} {what}")] = None
            if len(out) >= MAX_RELATED:
                break
        return tuple(out)
