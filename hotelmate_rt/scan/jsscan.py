"""JS/TS/JSX/TSX analyzer (tree-sitter): subscribe/bind sites and Pusher client options.

Resolution of names lives in `jsresolve`, envelope routing in `jsroutes`; this module finds the
sites: `new Pusher(...)` clients, `subscribe` on a client (also reached through an aliased
import), `bind`/`unbind`/`bind_global` on a subscribed channel (also through registries), event
names from handler maps, Maps and arrays, and the calls of wrappers and hooks.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

from .common import PendingSite, Wrapper, harden, instantiate, site_params
from .jskeys import handler_keys
from .jsresolve import FUNCTIONS, Items, JsResolver, JsScope
from .jsroutes import NAME, HandlerParam, Router
from .model import ClientConfig, Payload, Side, Site, SiteKind
from .symbols import ParamKeys, Value

_PUSHER = re.compile(r"pusher", re.IGNORECASE)
_CHANNELISH = re.compile(r"channel|chan\b|ch\b", re.IGNORECASE)
_WRAPPED = frozenset({"parenthesized_expression", "as_expression", "non_null_expression",
                      "satisfies_expression", "await_expression", "type_assertion"})
_AUTH_KEYS = frozenset({"auth", "authEndpoint", "authorizer", "channelAuthorization"})
_BIND_METHODS = frozenset({"bind", "unbind", "bind_global", "unbind_global", "unbind_all"})
_MAX_DEPTH = 8

Node = Any


class JsModule(JsResolver):
    """One parsed JS/TS file: its Pusher clients, subscribe/bind sites and wrapper calls."""

    def __init__(self, rel: str, source: bytes, root: Node, loader: Any = None,
                 lang: str = "javascript") -> None:
        super().__init__(rel, source, root, loader, lang)
        self.root = root
        self.clients: dict[str, ClientConfig] = {}
        self._clients_read = False

    # -- clients ----------------------------------------------------------------------------
    def client_named(self, name: str) -> ClientConfig | None:
        """The `new Pusher` this module declares under `name`, read now if this module's own scan
        has not reached it yet (files are scanned in any order, and in several processes)."""
        if name not in self.clients and not self._clients_read:
            self._clients_read = True
            for node, scope in self.news:
                self._client(node, scope)
        return self.clients.get(name)

    def is_pusher(self, node: Node | None, scope: JsScope, depth: int = 0) -> bool:
        """Tell whether an expression is a Pusher client (by name, `new Pusher`, or import)."""
        node = self.unwrap(node)
        if node is None or depth > _MAX_DEPTH:
            return False
        text = self.text(node)
        if _PUSHER.search(text):
            return True
        if node.type == "call_expression":
            target = self.function_for(node.child_by_field_name("function"), scope)
            return target is not None and isinstance(target[0], JsModule) and any(
                target[0].is_pusher(value, target[1], depth + 1) for value in target[1].returns)
        if node.type == "member_expression":
            member = self.member_value(node, scope)
            return member is not None and member[0].is_pusher(member[1], member[0].top, depth + 1)
        if node.type != "identifier":
            return False
        found = self.lookup(text, scope)
        if isinstance(found, tuple):
            for value in found[1]:
                value = self.unwrap(value.node if isinstance(value, Items) else value)
                if value is not None and _PUSHER.search(self.text(value)[:80]):
                    return True
            return False
        if found is None:
            other, exported = self.imported(text)
            if _PUSHER.search(exported):
                return True
            if isinstance(other, JsModule) and exported not in ("*", "default"):
                return other.is_pusher_name(exported, depth + 1)
            if isinstance(other, JsModule) and exported == "default":
                return bool(other.clients) or _PUSHER.search(other.rel) is not None
        return False

    def member_value(self, node: Node, scope: JsScope) -> tuple[JsModule, Node] | None:
        """Return the value of `obj.prop` when `obj` is an object literal (also imported), with
        the module it is written in (`export const realtime = { client, ... }`)."""
        obj, prop = node.child_by_field_name("object"), node.child_by_field_name("property")
        holder = self.object_of(obj, scope) if obj is not None and prop is not None else None
        if holder is None or not isinstance(holder[0], JsModule) or holder[1].type != "object":
            return None
        module, literal = holder
        key = self.text(prop)
        value = module.property(literal, key)
        if value is None and any(c.type == "shorthand_property_identifier" and
                                 module.text(c) == key for c in literal.named_children):
            values = [v for v in module.top.assigns.get(key, ()) if not isinstance(v, Items)]
            value = values[0] if len(values) == 1 else None
        return (module, value) if value is not None and isinstance(module, JsModule) else None

    def is_pusher_name(self, name: str, depth: int) -> bool:
        """Tell whether a module-level name of this module is a Pusher client."""
        return name in self.clients or self.is_pusher_text(name, depth)

    def is_pusher_text(self, name: str, depth: int) -> bool:
        """Check a top-level name's assignments for a Pusher client."""
        for value in self.top.assigns.get(name, ()):
            if isinstance(value, Items):
                continue
            value = self.unwrap(value)
            if value is not None and (_PUSHER.search(self.text(value)[:80]) or
                                      self.is_pusher(value, self.top, depth + 1)):
                return True
        return False

    def sites(self) -> Iterator[PendingSite]:
        """Yield every subscribe/bind site and every `new Pusher(...)` of the module."""
        for node, scope in self.news:
            site = self._client(node, scope)
            if site is not None:
                yield PendingSite(site)
        for node, scope in self.calls:
            found = self._direct(node, scope)
            if found is not None:
                yield self._pending(*found)

    def _client(self, node: Node, scope: JsScope) -> Site | None:
        """Read `new Pusher(key, options)`: is an auth endpoint or authorizer configured?"""
        ctor = node.child_by_field_name("constructor")
        if ctor is None or not self.text(ctor).endswith("Pusher"):
            return None
        args = self.arguments(node)
        parent = node.parent
        while parent is not None and parent.type in _WRAPPED:
            parent = parent.parent
        name = "<anonymous>"
        if parent is not None and parent.type == "variable_declarator":
            declared = parent.child_by_field_name("name")
            name = self.text(declared) if declared is not None else name
        elif parent is not None and parent.type == "assignment_expression":
            left = parent.child_by_field_name("left")
            name = self.text(left) if left is not None else name
        elif parent is not None and parent.type == "export_statement":
            name = "default"
        line, column = self.where(node)
        site = Site(SiteKind.CLIENT, Side.FRONTEND, self.rel, line, column)
        found = self.object_of(args[1], scope) if len(args) > 1 else None
        if len(args) > 1 and found is None:
            return site
        auth = headers = False
        if found is not None:
            module, options = found
            for child in options.named_children:
                if child.type == "spread_element":
                    return site
                if child.type != "pair":
                    continue
                key_node = child.child_by_field_name("key")
                key = module.key_name(key_node) if key_node is not None else None
                if key in _AUTH_KEYS:
                    auth = True
                    value = self.unwrap(child.child_by_field_name("value"))
                    if value is not None and value.type == "object" and (
                            module.property(value, "headers") is not None or
                            module.property(value, "headersProvider") is not None):
                        headers = True
        site.client = ClientConfig(name, auth, headers, self.rel, line)
        self.clients[name] = site.client
        return site

    # -- subscribe and bind -----------------------------------------------------------------
    def _direct(self, node: Node, scope: JsScope) -> tuple[Site, JsScope] | None:
        """Build the site of a subscribe/bind/unbind call, or None for other calls."""
        func = self.unwrap(node.child_by_field_name("function"))
        if func is None or func.type != "member_expression":
            return None
        prop = func.child_by_field_name("property")
        receiver = self.unwrap(func.child_by_field_name("object"))
        method = self.text(prop) if prop is not None else ""
        args = self.arguments(node)
        line, column = self.where(node)
        if method == "subscribe":
            if not self.is_pusher(receiver, scope):
                return None
            site = Site(SiteKind.SUBSCRIBE, Side.FRONTEND, self.rel, line, column,
                        origin=self.origin(node))
            site.channels = tuple(self.values(args[0] if args else None, scope))
            if not site.channels:
                site.unresolved = f"could not resolve channel `{self.short(args[0])}`" if args \
                    else "could not resolve channel (no argument)"
            site.client = self._client_of(receiver)
            site.client_ref = None if site.client is not None else "*"
            return site, scope
        if method not in _BIND_METHODS or receiver is None:
            return None
        receiver_text = self.text(receiver)
        if receiver_text.endswith(".connection") or receiver_text.endswith(".user"):
            return None
        origins = self._origins(receiver, scope)
        if origins is None:
            if not (_CHANNELISH.search(receiver_text) or self.is_pusher(receiver, scope)):
                return None
            origins = []
        kind = {"bind": SiteKind.BIND, "bind_global": SiteKind.BIND_GLOBAL}.get(method,
                                                                               SiteKind.UNBIND)
        site = Site(kind, Side.FRONTEND, self.rel, line, column, receivers=tuple(origins))
        if method == "bind_global" and args:
            return self._global(site, args[0], scope), scope
        if method not in ("bind", "unbind") or not args:
            return (None if method == "bind" else (site, scope))
        event = self.unwrap(args[0])
        if event is not None and event.type in ("arrow_function", "function_expression",
                                                "function", "this"):
            return None
        source = self._event_source(event, node)
        owner = scope
        if source is not None:
            got = handler_keys(self, source[0], source[1])
            owner = source[1]
            if isinstance(got, str):
                site.events = (Value((ParamKeys(got),), line, column),)
            elif got is None:
                site.unresolved = f"could not resolve the handler map of `{self.short(event)}`"
            else:
                site.events = tuple(got)
        else:
            site.events = tuple(self.values(event, scope))
            if not site.events:
                site.unresolved = f"could not resolve event `{self.short(event)}`"
        if method == "bind" and len(args) > 1:
            handler = self.unwrap(args[1])
            if handler is not None and handler.type == "identifier" and \
                    isinstance(self.lookup(self.text(handler), scope), JsScope):
                site.pending = (*site.pending, HandlerParam(self.text(handler)))
            else:
                self._route(site, handler, scope, {0: "data"})
        return site, owner

    def _global(self, site: Site, handler: Node, scope: JsScope) -> Site:
        """A `bind_global((eventName, data) => ...)` that dispatches on the name binds those names."""
        router = self._route(site, handler, scope, {0: "name", 1: "data"})
        names = [r for r in router.found.routes if r.field == NAME]
        if names:
            site.kind = SiteKind.BIND
            site.events = tuple(Value((r.value,), r.line, r.column) for r in names)
            site.routes = tuple(r for r in site.routes if r.field != NAME)
        return site

    def _route(self, site: Site, handler: Node, scope: JsScope, roles: dict[int, str]) -> Router:
        """Record the envelope routes a handler dispatches on (and buses to resolve later)."""
        router = Router()
        router.handler(self, handler, scope, roles)
        site.routes = tuple(dict.fromkeys((*site.routes, *router.found.routes)))
        site.pending = (*site.pending, *router.found.buses)
        return router

    def _client_of(self, receiver: Node | None) -> ClientConfig | None:
        """Find the `new Pusher` a subscribe goes through (same file, or the imported one)."""
        if receiver is None:
            return None
        text = self.text(receiver)
        if text in self.clients:
            return self.clients[text]
        if receiver.type == "identifier":
            other, exported = self.imported(text)
            if isinstance(other, JsModule):
                return other.client_named(exported)
        return None

    def _origins(self, node: Node | None, scope: JsScope, depth: int = 0) -> list[str] | None:
        """Trace a bind receiver back to the subscribe calls that produced it; None if unknown."""
        node = self.unwrap(node)
        if node is None or depth > _MAX_DEPTH:
            return None
        if node.type == "call_expression":
            func = self.unwrap(node.child_by_field_name("function"))
            if func is not None and func.type == "member_expression":
                prop = func.child_by_field_name("property")
                if prop is not None and self.text(prop) == "subscribe":
                    return [self.origin(node)]
            return None
        if node.type == "identifier":
            found = self.lookup(self.text(node), scope)
            if not isinstance(found, tuple):
                return None
            collected: list[str] = []
            for value in found[1]:
                got = None if isinstance(value, Items) else self._origins(value, found[0], depth + 1)
                if got is None:
                    return None
                collected.extend(got)
            return collected
        if node.type in ("subscript_expression", "member_expression"):
            values = self.top.assigns.get(self.registry_key(node))
            if values is None:
                return None
            collected = []
            for value in values:
                got = self._origins(value, scope, depth + 1)
                if got is not None:
                    collected.extend(got)
            return collected or None
        return None

    def _event_source(self, event: Node | None, call: Node) -> tuple[Node, JsScope] | None:
        """Find H when the bound name iterates a handler map: entries/keys loops, Map.forEach."""
        if event is None or event.type != "identifier":
            return None
        name = self.text(event)
        node = call.parent
        while node is not None:
            if node.type in FUNCTIONS:
                params = node.child_by_field_name("parameters") or \
                    node.child_by_field_name("parameter")
                args = node.parent
                outer = args.parent if args is not None else None
                if outer is None or outer.type != "call_expression":
                    return None
                func = outer.child_by_field_name("function")
                if func is None or func.type != "member_expression":
                    return None
                target = func.child_by_field_name("object")
                method = func.child_by_field_name("property")
                if self._declares(params, name, index=0):
                    source = self._entries_source(target)
                    if source is None and method is not None and \
                            self.text(method) in ("forEach", "map") and params is not None and \
                            params.type != "array_pattern" and target is not None and \
                            not self._is_map(target, self.scope_at(outer)):
                        source = target
                    return (source, self.scope_at(outer)) if source is not None else None
                if self._declares(params, name, index=1) and method is not None and \
                        self.text(method) == "forEach" and target is not None:
                    return target, self.scope_at(outer)
                return None
            if node.type == "for_in_statement":
                left = node.child_by_field_name("left")
                right = node.child_by_field_name("right")
                if left is not None and right is not None and self._declares(left, name, index=0):
                    operator = node.child_by_field_name("operator")
                    if operator is not None and self.text(operator) == "in":
                        return right, self.scope_at(node)
                    source = self._entries_source(right) or right
                    return (source, self.scope_at(node)) if source is not None else None
            node = node.parent
        return None

    def _declares(self, pattern: Node | None, name: str, index: int) -> bool:
        """Tell whether a parameter list/pattern declares `name` at position `index`."""
        if pattern is None:
            return False
        if pattern.type == "identifier":
            return index == 0 and self.text(pattern) == name
        children = [c for c in pattern.named_children if c.type != "comment"]
        if pattern.type in ("formal_parameters", "array_pattern") and len(children) > index:
            head = children[index]
            if head.type in ("required_parameter", "optional_parameter"):
                head = head.child_by_field_name("pattern") or head
            if head.type == "array_pattern" and index == 0:
                return self._declares(head, name, 0)
            return head.type == "identifier" and self.text(head) == name
        return False

    def _entries_source(self, node: Node | None) -> Node | None:
        """Return H from `Object.entries(H)` / `Object.keys(H)` / `H.entries()` / `H.keys()`."""
        node = self.unwrap(node)
        if node is None or node.type != "call_expression":
            return None
        func = node.child_by_field_name("function")
        if func is None:
            return None
        if self.text(func) in ("Object.entries", "Object.keys"):
            named = self.arguments(node)
            return named[0] if named else None
        if func.type == "member_expression":
            prop = func.child_by_field_name("property")
            if prop is not None and self.text(prop) in ("entries", "keys"):
                return func.child_by_field_name("object")
        return None

    def _pending(self, site: Site, scope: JsScope) -> PendingSite:
        """Attach the function whose parameters the site uses (it becomes a wrapper)."""
        names = site_params(site)
        if not names:
            return PendingSite(site)
        owner: JsScope | None = scope
        while owner is not None and not names & set(owner.params):
            owner = owner.parent
        if owner is None or owner.parent is None:
            return PendingSite(harden(site))
        return PendingSite(site, owner.name, owner.params, owner.line)

    # -- wrappers ---------------------------------------------------------------------------
    def called_names(self) -> set[str]:
        """Return the names this module calls (to find wrapper call sites quickly)."""
        out: set[str] = set()
        for node, _scope in self.calls:
            func = self.unwrap(node.child_by_field_name("function"))
            if func is None:
                continue
            if func.type == "identifier":
                out.add(self.text(func))
            elif func.type == "member_expression":
                prop = func.child_by_field_name("property")
                if prop is not None:
                    out.add(self.text(prop))
        return out

    def wrapper_calls(self, wrappers: dict[str, list[Wrapper]]) -> Iterator[PendingSite]:
        """Yield the sites produced by calls to known wrapper functions (hooks included)."""
        for node, scope in self.calls:
            func = self.unwrap(node.child_by_field_name("function"))
            if func is None:
                continue
            if func.type == "identifier":
                name = self.text(func)
                if name not in self.functions and name not in self.imports:
                    continue
            elif func.type == "member_expression":
                prop = func.child_by_field_name("property")
                obj = func.child_by_field_name("object")
                if prop is None or obj is None or obj.type != "identifier" or \
                        self.imports.get(self.text(obj), ("", ""))[1] != "*":
                    continue
                name = self.text(prop)
            else:
                continue
            for wrapper in wrappers.get(name, ()):
                if func.type == "identifier" and name in self.functions and \
                        wrapper.file != self.rel:
                    continue
                if func.type == "identifier" and name not in self.functions:
                    other, _ = self.imported(name)
                    if other is not None and other.rel != wrapper.file:
                        continue
                wrapper.called = True
                yield from self._instantiate(wrapper, node, scope)

    def _instantiate(self, wrapper: Wrapper, call: Node, scope: JsScope) -> Iterator[PendingSite]:
        """Substitute a wrapper call's arguments into each of the wrapper's site templates."""
        bound = dict(zip(wrapper.params, self.arguments(call), strict=False))
        line, column = self.where(call)

        def resolve(name: str) -> list[Value]:
            """Resolve the argument bound to a wrapper parameter."""
            return self.values(bound.get(name), scope)

        def keys(name: str) -> list[Value] | None:
            """Read the handler map passed as a wrapper parameter."""
            got = handler_keys(self, bound.get(name), scope)
            if isinstance(got, str):
                return [Value((ParamKeys(got),), line, column)]
            return got

        def payload(_template: Site) -> tuple[Payload | None, str | None]:
            """Frontend sites carry no payloads."""
            return None, None

        for template in wrapper.templates:
            site = instantiate(template, wrapper, self.rel, line, column, resolve, keys, payload)
            site = replace(site, routes=template.routes)
            for item in template.pending:
                if isinstance(item, HandlerParam) and item.name in bound:
                    site.pending = tuple(p for p in site.pending if p != item)
                    self._route(site, bound[item.name], scope, {0: "data"})
            yield self._pending(site, scope)
