"""Subscription lifecycle facts of one JS/TS module, read from the tree the JS pass already built.

`module_facts(module, pending)` runs right after `JsModule.sites()` (in the worker that parsed
the file) and returns plain, picklable records: which Pusher client each call goes through
(`ClientRef`), which effect and phase (body or cleanup) it runs in, what it subscribes, binds,
unbinds, unsubscribes or disconnects, the props/state a channel name uses that the effect's
dependencies leave out, connection handlers and whether they catch up, and the hooks each
component calls. `lifecyclecheck.py` judges them across the tree together with the final sites.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .jsresolve import FUNCTIONS, Items, JsScope
from .jsscan import JsModule
from .lifecycleclients import ClientKind, ClientRef, client_kind, pusherish, trace
from .reactdeps import HOOK
from .reacteffects import Effect, Kind, Owner, ReactView
from .symbols import Sym, literal

if TYPE_CHECKING:
    from .common import PendingSite

Node = Any
_MAX_DEPTH = 8
_METHODS = frozenset({"subscribe", "unsubscribe", "bind", "unbind", "unbind_all", "bind_global",
                      "unbind_global", "disconnect", "connect", "addEventListener"})
_METHOD_BYTES = frozenset(m.encode() for m in _METHODS)
_CATCH_UP_STATES = frozenset({"connected", "state_change"})
_ERROR_STATES = frozenset({"error", "failed", "unavailable", "state_change"})
# Calls that only tell (log, toast, show a status) and so do not bring missed events back.
_TELL_ONLY = re.compile(r"(?:console|logger|log|debug|info|warn|error|trace|toast|alert|notify|"
                        r"captureException|captureMessage|set\w*(?:Status|State|Connected|"
                        r"Connection|Online|Offline|Error|Live|Ready)\w*)$", re.IGNORECASE)
# Handlers that only notify (a toast, a log line) show no state that a reconnect leaves stale.
_NOTIFY_ONLY = re.compile(r"(?:console|logger|log|debug|info|warn|error|trace|toast|alert|notify|"
                          r"captureException|captureMessage|enqueueSnackbar|showNotification)$",
                          re.IGNORECASE)
# Calls that load a page's data (what a reconnect must do again).
_LOADS = re.compile(r"(?:fetch|load|reload|refresh|refetch|get|query|request)(?:[A-Z_]\w*)?$")
_REACT_HOOKS = frozenset({"useState", "useEffect", "useLayoutEffect", "useMemo", "useCallback",
                          "useRef", "useContext", "useReducer", "useId", "useTransition",
                          "useDeferredValue", "useImperativeHandle", "useSyncExternalStore",
                          "useInsertionEffect", "useDebugValue"})


_HOOK_NAME = re.compile(rb"use[A-Z][A-Za-z0-9_]*")
_TEARDOWN = frozenset({"unsubscribe", "unbind_all", "disconnect"})
_STATE_WORD = re.compile(rb"""["'`](connected|connecting|disconnected|unavailable|failed|"""
                         rb"""initialized)["'`]""")


def hook_names(data: bytes) -> set[str]:
    """Name the custom hooks a file's bytes mention (cheap: no parse), React's own left out."""
    return {n.decode() for n in set(_HOOK_NAME.findall(data))} - _REACT_HOOKS


def teardown_hooks(modules: Iterable[ModuleFacts]) -> set[str]:
    """Name the hooks whose effect cleanups tear a channel or client down, and the hooks that
    call them (their callers matter: two components calling one may break each other)."""
    facts = [f for m in modules for f in m.facts]
    names = {f.owner.name for f in facts if f.cleanup and f.owner.kind is Kind.HOOK and
             (f.act.value in _TEARDOWN or (f.act is Act.UNBIND and f.handler is None))}
    names |= {f.source.split(".")[0] for f in facts if f.act is Act.UNSUBSCRIBE and f.source}
    calls = [(f.target, f.owner.name) for f in facts
             if f.act is Act.HOOK_CALL and f.owner.kind is Kind.HOOK]
    for _ in range(4):
        more = {caller for callee, caller in calls if callee in names} - names
        if not more:
            break
        names |= more
    return names


class Act(enum.StrEnum):
    """What a recorded call does."""

    CLIENT = "client"
    SUBSCRIBE = "subscribe"
    UNSUBSCRIBE = "unsubscribe"
    BIND = "bind"
    UNBIND = "unbind"
    UNBIND_ALL = "unbind_all"
    DISCONNECT = "disconnect"
    CONNECT = "connect"
    CONNECTION = "connection"
    LOOKUP_BIND = "lookup_bind"
    HOOK_CALL = "hook_call"
    CLEANUP_CALL = "cleanup_call"
    LOAD = "load"
    ONLINE = "online"


@dataclass(frozen=True, slots=True)
class EffectFact:
    """An effect as the rules need it: key (file:line:col), owner, dependencies."""

    key: str
    owner: Owner
    line: int
    column: int
    deps: tuple[str, ...] | None
    deps_known: bool
    opaque: bool
    stable: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Fact:
    """One lifecycle-relevant call, with where it runs (owner, effect, phase) and what it does."""

    act: Act
    file: str
    line: int
    column: int
    owner: Owner
    effect: str | None = None
    cleanup: bool = False
    client: ClientRef | None = None
    channels: tuple[Sym, ...] = ()
    target: str = ""
    origins: tuple[str, ...] = ()
    event: str | None = None
    event_text: str = ""
    handler: str | None = None
    flags: frozenset[str] = frozenset()
    missing: tuple[str, ...] = ()
    inputs: tuple[str, ...] = ()
    source: str = ""

    @property
    def key(self) -> str:
        """Identify the call as subscribe origins do (`file:line:col`)."""
        return f"{self.file}:{self.line}:{self.column}"


@dataclass(frozen=True, slots=True)
class ModuleFacts:
    """Everything the lifecycle rules need from one module."""

    file: str
    owners: tuple[Owner, ...]
    effects: tuple[EffectFact, ...]
    facts: tuple[Fact, ...]
    imports: tuple[tuple[str, str], ...] = ()


def module_facts(module: JsModule, pending: Iterable[PendingSite] = ()) -> ModuleFacts:
    """Read the lifecycle facts of one parsed module (its sites tell which calls are Pusher's)."""
    return _Reader(module, pending).read()


class _Reader:
    """Walks one module's recorded calls and `new` expressions once."""

    def __init__(self, module: JsModule, pending: Iterable[PendingSite]) -> None:
        self.module = module
        self.view = ReactView(module)
        self.sites = {(p.site.line, p.site.column): p.site for p in pending}
        self.facts: list[Fact] = []

    def read(self) -> ModuleFacts:
        """Return the module's facts."""
        module = self.module
        for node, _scope in module.news:
            ctor = node.child_by_field_name("constructor")
            if ctor is not None and module.text(ctor).endswith("Pusher"):
                self._client(node)
        src = module.src
        for node, scope in module.calls:
            func = node.child_by_field_name("function")
            if func is None:
                continue
            if func.type == "await_expression":  # `await f<T>()` parses as (await f)<T>()
                func = module.unwrap(func) or func
            kind = func.type
            if kind == "identifier":
                if src.startswith(b"use", func.start_byte):
                    name = module.text(func)
                    if HOOK.match(name) and name not in _REACT_HOOKS:
                        self._add(Act.HOOK_CALL, node, target=name,
                                  source=module.imports.get(name, ("", ""))[0])
                elif self.view.effects:
                    found = self.view.effect_of(node)
                    if found is not None and found[1]:
                        self._add(Act.CLEANUP_CALL, node, target=module.text(func))
                        self._helper_unsubscribe(node, scope)
                    elif found is not None and _LOADS.match(module.text(func)):
                        self._add(Act.LOAD, node, target=module.text(func))
                continue
            if kind != "member_expression":
                func = module.unwrap(func)
                if func is None or func.type != "member_expression":
                    continue
            prop = func.child_by_field_name("property")
            if prop is not None and src[prop.start_byte:prop.end_byte] in _METHOD_BYTES:
                self._call(node, scope, module.text(prop),
                           module.unwrap(func.child_by_field_name("object")))
            elif self.view.cleanup_of and (self.view.effect_of(node) or (None, False))[1]:
                self._helper_unsubscribe(node, scope)
        used = {f.effect for f in self.facts}
        effects = tuple(EffectFact(e.key, e.owner, *module.where(e.call), e.deps, e.deps_known,
                                   e.opaque, self.view.stable(e))
                        for e in self.view.effects.values() if e.key in used)
        imports = tuple(sorted({(name, spec) for name, (spec, _) in module.imports.items()}))
        return ModuleFacts(module.rel, tuple(self.view.owners()), effects, tuple(self.facts),
                           imports)

    # -- recording --------------------------------------------------------------------------
    def _add(self, act: Act, node: Node, **fields: Any) -> Fact:
        """Record a fact at a node, with its owner and effect phase."""
        line, column = self.module.where(node)
        found = self.view.effect_of(node)
        effect, cleanup = (found[0].key, found[1]) if found is not None else (None, False)
        flags = set(fields.pop("flags", ()))
        if found is None and self.view.in_body(node):
            flags.add("render")
        if found is not None and cleanup and self._conditional(node, found[0]):
            flags.add("conditional")
        if found is None and act is Act.UNSUBSCRIBE:
            fields["source"] = self._store_of(node)
            if self._guarded(node):
                flags.add("conditional")
        fact = Fact(act, self.module.rel, line, column, self.view.owner_of(node), effect, cleanup,
                    flags=frozenset(flags), **fields)
        self.facts.append(fact)
        return fact

    def _helper_unsubscribe(self, node: Node, scope: JsScope) -> None:
        """Record a cleanup's call to a helper that always unsubscribes its argument (a service
        object's `realtime.leave(name)`) as that unsubscribe, written at the call."""
        module = self.module
        found = module.function_for(node.child_by_field_name("function"), scope)
        helper = found[1].node if found is not None else None
        if found is None or helper is None or not isinstance(found[0], JsModule):
            return
        other = found[0]
        for call, inner in other.calls:
            func = other.unwrap(call.child_by_field_name("function"))
            if not helper.start_byte < call.start_byte < helper.end_byte or func is None or \
                    func.type != "member_expression" or \
                    other.text(func.child_by_field_name("property") or func) != "unsubscribe":
                continue
            args, mine = other.arguments(call), module.arguments(node)
            param = other.text(args[0]) if len(args) == 1 else ""
            client = trace(other, func.child_by_field_name("object"), inner, 0)
            if client is None or param not in found[1].params or _guarded(other, call, helper):
                return
            given = mine[found[1].params.index(param)] \
                if found[1].params.index(param) < len(mine) else None
            if given is not None:
                self._add(Act.UNSUBSCRIBE, node, client=client, target=module.text(given),
                          channels=tuple(v.sym for v in module.values(given, scope)))
            return

    def _store_of(self, node: Node) -> str:
        """Name the store hook and action a call is written in (`useX.disconnect` for `useX =
        create((set) => ({ disconnect: () => ... }))`), else ''."""
        func = node.parent
        while func is not None and func.type not in FUNCTIONS:
            func = func.parent
        action = self.view._name(func)[0] if func is not None else ""
        current = node.parent
        while current is not None and current.type != "variable_declarator":
            current = current.parent
        name = current.child_by_field_name("name") if current is not None else None
        text = self.module.text(name) if name is not None else ""
        return f"{text}.{action}" if action and HOOK.match(text) and current is not None and \
            self.module.scope_at(current) is self.module.top else ""

    def _guarded(self, node: Node) -> bool:
        """Tell whether a call in a plain function runs only under a condition."""
        func = node.parent
        while func is not None and func.type not in FUNCTIONS:
            func = func.parent
        return func is None or _guarded(self.module, node, func)

    def _conditional(self, node: Node, effect: Effect) -> bool:
        """Tell whether a cleanup call runs only under a condition (a ref count, a flag)."""
        for cleanup in effect.cleanups:
            if cleanup.start_byte <= node.start_byte and node.end_byte <= cleanup.end_byte:
                return self.view.conditional(node, cleanup)
        return False

    def _client(self, node: Node) -> None:
        """Record a `new Pusher(...)`: module level (shared) or inside a function (per call)."""
        kind = client_kind(self.module, node)
        found = self.view.effect_of(node)
        flags = {"memo"} if self._memoized(node) else set()
        if found is not None:
            flags.add("effect")
            if self._disconnects_in_cleanup(node, found[0]):
                flags.add("disconnected")
        self._add(Act.CLIENT, node, client=ClientRef(kind, self._where(node)), flags=flags)

    def _where(self, node: Node) -> str:
        """Identify a `new Pusher` as `file:line`."""
        return f"{self.module.rel}:{self.module.where(node)[0]}"

    def _memoized(self, node: Node) -> bool:
        """Tell whether a `new Pusher` is made once per mount (useMemo/useState/useRef initializer,
        a class component's constructor)."""
        current = node.parent
        while current is not None:
            if current.type == "method_definition" and \
                    self.view.method_name(current) == "constructor":
                return self.view._owner(current).kind is Kind.CLASS
            if current.type == "call_expression":
                name = self.module.text(current.child_by_field_name("function") or current)
                if name.rsplit(".", 1)[-1] in ("useMemo", "useState", "useRef", "useCallback"):
                    return True
            elif current.type in FUNCTIONS and self.view._owner(current).react:
                return False
            current = current.parent
        return False

    def _disconnects_in_cleanup(self, node: Node, effect: Effect) -> bool:
        """Tell whether an effect's cleanup disconnects (the client it made, presumably)."""
        src = self.module.src
        return any(b".disconnect(" in src[c.start_byte:c.end_byte] for c in effect.cleanups)

    # -- calls ------------------------------------------------------------------------------
    def _call(self, node: Node, scope: JsScope, method: str, receiver: Node | None) -> None:
        """Record one `x.method(...)` call that matters to a subscription's lifecycle."""
        module = self.module
        if receiver is None:
            return
        args = module.arguments(node)
        text = module.text(receiver)
        if method == "addEventListener":
            if args and module.text(args[0]).strip("'\"`") == "online" and len(args) > 1 and \
                    not self._tells_only(args[1], scope):
                self._add(Act.ONLINE, node)
            return
        if text.endswith(".connection") and method == "bind":
            owner = module.unwrap(receiver.child_by_field_name("object")) \
                if receiver.type == "member_expression" else None
            event = self._literal(args[0], scope) if args else None
            flags = set()
            if event in _CATCH_UP_STATES and len(args) > 1 and not self._tells_only(args[1], scope):
                flags.add("catch-up")
            if event in _ERROR_STATES and not (event == "state_change" and len(args) > 1 and
                                               self._waits_for_connected(args[1], scope)):
                flags.add("error-handler")
            self._add(Act.CONNECTION, node, client=self.client_ref(owner, scope), event=event,
                      flags=flags)
            return
        if method == "subscribe":
            site = self.sites.get(module.where(node))
            client = self.client_ref(receiver, scope)
            if site is None and (client is None or not args):
                return
            found = self.view.effect_of(node)
            effect = found[0] if found is not None and not found[1] and args else None
            inputs, missing = self.view.dependencies(args[0], effect) if effect else ([], [])
            values = site.channels if site is not None else module.values(args[0], scope)
            self._add(Act.SUBSCRIBE, node, client=client, channels=tuple(v.sym for v in values),
                      target=module.text(args[0]) if args else "", missing=tuple(missing),
                      inputs=tuple(inputs))
            return
        origins = module._origins(receiver, scope)
        lookup = self._lookup(receiver, scope) if origins is None else None
        client = None if origins is not None or lookup is not None else \
            self.client_ref(receiver, scope)
        if method in ("disconnect", "connect"):
            if client is not None:
                self._add(Act.DISCONNECT if method == "disconnect" else Act.CONNECT, node,
                          client=client)
            return
        if method == "unsubscribe":
            if client is not None and args:
                self._add(Act.UNSUBSCRIBE, node, client=client, target=module.text(args[0]),
                          channels=tuple(v.sym for v in module.values(args[0], scope)))
            elif origins and not args:
                self._add(Act.UNSUBSCRIBE, node, origins=tuple(origins), target=text)
            return
        if lookup is not None:
            if method == "bind":
                call, name = lookup
                self._add(Act.LOOKUP_BIND, node, target=module.text(name) if name else "",
                          channels=tuple(v.sym for v in module.values(name, scope)) if name else (),
                          event=self._literal(args[0], scope) if args else None,
                          client=self.client_ref(self._object(call), scope))
            return
        self._binding(node, scope, method, receiver, args, origins, client)

    def _binding(self, node: Node, scope: JsScope, method: str, receiver: Node,
                 args: list[Node], origins: list[str] | None, client: ClientRef | None) -> None:
        """Record bind/unbind/unbind_all on a channel (or, client-level, on the client)."""
        module = self.module
        text = module.text(receiver)
        level = "client" if client is not None else "channel"
        if client is None and origins is None and self.sites.get(module.where(node)) is None:
            return
        fields: dict[str, Any] = {"client": client, "origins": tuple(origins or ()),
                                  "target": text, "flags": {level}}
        if method in ("bind", "bind_global"):
            if method == "bind_global" or not args:
                fields["flags"] = {level, "global"}
                self._add(Act.BIND, node, **fields)
                return
            handler = module.unwrap(args[1]) if len(args) > 1 else None
            if handler is not None and handler.type in FUNCTIONS:
                fields["flags"] = {level, "inline"}
            if handler is not None and self._tells_only(handler, scope, _NOTIFY_ONLY):
                fields["flags"] = fields["flags"] | {"notify"}
            self._add(Act.BIND, node, event=self._literal(args[0], scope),
                      event_text=module.text(args[0]),
                      handler=module.text(handler) if handler is not None else None, **fields)
        elif method in ("unbind_all", "unbind_global") or (method == "unbind" and not args):
            self._add(Act.UNBIND_ALL, node, event_text=method, **fields)
        elif method == "unbind":
            handler = module.unwrap(args[1]) if len(args) > 1 else None
            self._add(Act.UNBIND, node, event=self._literal(args[0], scope),
                      event_text=module.text(args[0]),
                      handler=module.text(handler) if handler is not None else None, **fields)

    def _literal(self, node: Node | None, scope: JsScope) -> str | None:
        """Resolve an event argument to its one fixed name, if it has one (the site's own event
        when the JS pass already resolved the call)."""
        if node is None:
            return None
        call = node.parent.parent if node.parent is not None else None
        site = self.sites.get(self.module.where(call)) if call is not None else None
        values = site.events if site is not None and site.events else \
            self.module.values(node, scope)
        names = {literal(v.sym) for v in values}
        return names.pop() if len(names) == 1 else None

    @staticmethod
    def _object(call: Node) -> Node | None:
        """Return `x` of a call `x.method(...)`."""
        func = call.child_by_field_name("function")
        return func.child_by_field_name("object") if func is not None and \
            func.type == "member_expression" else None

    def _lookup(self, node: Node | None, scope: JsScope, depth: int = 0) -> tuple[Node, Node | None] | None:
        """Find `pusher.channel(name)` / `pusher.channels.find(name)` behind a bind receiver."""
        module = self.module
        node = module.unwrap(node)
        if node is None or depth > _MAX_DEPTH:
            return None
        if node.type == "call_expression":
            func = module.unwrap(node.child_by_field_name("function"))
            if func is None or func.type != "member_expression":
                return None
            prop = func.child_by_field_name("property")
            method = module.text(prop) if prop is not None else ""
            holder = module.text(func.child_by_field_name("object") or func)
            args = module.arguments(node)
            if (method == "channel" or (method == "find" and holder.endswith(".channels"))) and \
                    module.is_pusher(module.unwrap(func.child_by_field_name("object")), scope):
                return node, (args[0] if args else None)
            return None
        if node.type == "identifier":
            found = module.lookup(module.text(node), scope)
            if not isinstance(found, tuple) or len(found[1]) != 1 or isinstance(found[1][0], Items):
                return None
            return self._lookup(found[1][0], found[0], depth + 1)
        return None

    def _waits_for_connected(self, handler: Node, scope: JsScope) -> bool:
        """Tell whether a `state_change` handler only looks for `connected` (a catch-up, not an
        error handler: it never looks at `failed` / `unavailable` / `disconnected`)."""
        found = self.view._function(handler, scope)
        if found is None:
            return False
        words = set(_STATE_WORD.findall(self.module.src[found.start_byte:found.end_byte]))
        return b"connected" in words and words <= {b"connected", b"initialized"}

    def _tells_only(self, handler: Node, scope: JsScope, only: re.Pattern[str] = _TELL_ONLY) -> bool:
        """Tell whether a handler only logs or shows a status (so refetches nothing)."""
        module = self.module
        handler = module.unwrap(handler)
        if handler is not None and handler.type == "identifier":
            found = self.view._function(handler, scope)
            if found is None:
                return bool(only.search(module.text(handler)))
            handler = found
        if handler is None or handler.type not in FUNCTIONS:
            return False
        stack = [handler.child_by_field_name("body")]
        while stack:
            node = stack.pop()
            if node is None:
                continue
            if node.type == "call_expression":
                func = module.unwrap(node.child_by_field_name("function"))
                name = module.text(func) if func is not None else ""
                head = name.split(".", 1)[0]
                tail = name.rsplit(".", 1)[-1]
                if not (only.match(head) or only.match(tail)):
                    return False
                stack.extend(module.arguments(node))
                continue
            stack.extend(node.named_children)
        return True

    # -- clients ----------------------------------------------------------------------------
    def client_ref(self, node: Node | None, scope: JsScope) -> ClientRef | None:
        """Trace a receiver to its Pusher client; None when it is not a client."""
        found = trace(self.module, node, scope, 0)
        if found is not None:
            return found
        if node is not None and pusherish(self.module.text(node)) and \
                self.module.is_pusher(node, scope):
            return ClientRef(ClientKind.UNKNOWN)
        return None


def _guarded(module: JsModule, node: Node, func: Node) -> bool:
    """Tell whether a call runs only under a condition inside a function (an `if`, a ternary,
    `&&`, or an early `return` before it: a ref count)."""
    current = node.parent
    while current is not None and current != func:
        if current.type in ("if_statement", "ternary_expression", "switch_case") or (
                current.type == "binary_expression" and module.text(
                    current.child_by_field_name("operator") or current) in ("&&", "||", "??")):
            return True
        current = current.parent
    return b"return" in module.src[func.start_byte:node.start_byte]
