"""Python analyzer (stdlib `ast`): trigger/emit/transition sites with names resolved.

Resolution of names lives in `pyresolve`, payloads in `pypayload`; this module finds the sites:
calls on a Pusher client (`pusher_client`, `settings.PUSHER`, `get_pusher()`, `self._client`
set from one, an aliased import...) or on the hotelmate-rt emitter, and the calls of wrapper
functions and methods (class-based services included) whose parameters flow into them.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from dataclasses import replace

from .common import PendingSite, Wrapper, harden, instantiate, site_params, substitute_sym
from .model import Payload, PayloadField, Side, Site, SiteKind
from .pypayload import payload_of, value_type
from .pyresolve import PyClass, PyResolver, Scope, dotted, source_text
from .symbols import Value, has_params, literal

_PUSHER = re.compile(r"pusher", re.IGNORECASE)
_EMITTER = re.compile(r"emitter", re.IGNORECASE)
_MAX_DEPTH = 6


class PyModule(PyResolver):
    """One parsed Python file: its Pusher sites and the calls of wrapper functions."""

    # -- clients ----------------------------------------------------------------------------
    def is_client(self, receiver: ast.expr, scope: Scope, pattern: re.Pattern[str],
                  depth: int = 0) -> bool:
        """Tell whether a receiver is a Pusher client (or emitter) by name or by origin."""
        if pattern.search(dotted(receiver)):
            return True
        if depth > _MAX_DEPTH:
            return False
        if isinstance(receiver, ast.Name):
            found = self.lookup(receiver.id, scope)
            if isinstance(found, tuple):
                return any(self._client_value(v, found[0], pattern, depth) for v in found[1])
            if found is None:
                got = self.other(receiver.id)
                if got is not None and got[1] is not None:
                    module = got[0]
                    return bool(pattern.search(got[1])) or (
                        isinstance(module, PyModule) and
                        module.is_client(ast.Name(got[1]), module.top, pattern, depth + 1))
            return False
        if isinstance(receiver, ast.Attribute) and isinstance(receiver.value, ast.Name) and \
                receiver.value.id in ("self", "cls"):
            klass = self.enclosing_class(scope)
            if klass is None:
                return False
            values = [*klass.instance.get(receiver.attr, ()),
                      *([klass.attrs[receiver.attr]] if receiver.attr in klass.attrs else [])]
            if any(self._client_value(v, self.top, pattern, depth) for v in values):
                return True
            getter = self.method_of(klass, receiver.attr)  # a `@property` returning the client
            return getter is not None and getter[1].prop and isinstance(getter[0], PyModule) and \
                any(getter[0]._client_value(r, getter[1], pattern, depth + 1)
                    for r in getter[1].returns)
        if isinstance(receiver, ast.Call):
            return self._client_value(receiver, scope, pattern, depth)
        return False

    def _client_value(self, value: ast.expr, scope: Scope, pattern: re.Pattern[str],
                      depth: int) -> bool:
        """Tell whether an assigned value produces a client (a constructor, factory, or alias)."""
        if isinstance(value, ast.BoolOp):
            return any(self._client_value(v, scope, pattern, depth + 1) for v in value.values)
        if isinstance(value, ast.IfExp):
            return any(self._client_value(v, scope, pattern, depth + 1)
                       for v in (value.body, value.orelse))
        if isinstance(value, ast.Call):
            if pattern.search(dotted(value.func)):
                return True
            target = self.function_for(value.func, scope)
            if target is None or depth >= _MAX_DEPTH:
                return False
            module, callee = target
            return isinstance(module, PyModule) and any(
                module._client_value(r, callee, pattern, depth + 1) for r in callee.returns)
        if isinstance(value, ast.Name | ast.Attribute):
            return self.is_client(value, scope, pattern, depth + 1)
        return False

    # -- sites ------------------------------------------------------------------------------
    def sites(self) -> Iterator[PendingSite]:
        """Yield every direct trigger/emit/transition site in the module."""
        for call, scope in self.calls:
            yield from self._direct(call, scope)

    def _direct(self, call: ast.Call, scope: Scope) -> Iterator[PendingSite]:
        """Yield the sites of one call when it is a Pusher or emitter call."""
        func = call.func
        args = list(call.args)
        keywords = {k.arg: k.value for k in call.keywords if k.arg}
        if _is_partial(func):
            if not args or not isinstance(args[0], ast.Attribute):
                return
            func, args = args[0], args[1:]
        if not isinstance(func, ast.Attribute):
            return
        attr = func.attr
        if attr in ("trigger", "trigger_batch"):
            if not self.is_client(func.value, scope, _PUSHER):
                return
            if attr == "trigger":
                yield self._pending(self._trigger(call, args, keywords, scope), scope)
            else:
                for site in self._batch(call, args, keywords, scope):
                    yield self._pending(site, scope)
        elif attr in ("emit", "emit_action", "transition") and \
                self.is_client(func.value, scope, _EMITTER):
            yield self._pending(self._emitter(attr, call, args, keywords, scope), scope)

    @staticmethod
    def _arg(args: list[ast.expr], keywords: dict[str, ast.expr], index: int,
             *names: str) -> ast.expr | None:
        """Return a call argument by position or keyword."""
        if index < len(args) and not isinstance(args[index], ast.Starred):
            return args[index]
        for name in names:
            if name in keywords:
                return keywords[name]
        return None

    def values(self, node: ast.expr | None, scope: Scope) -> list[Value]:
        """Resolve an argument to located values ([] when it cannot be resolved)."""
        if node is None:
            return []
        return [Value(sym, node.lineno, self.col(node)) for sym in self.resolve(node, scope)]

    def _site(self, kind: SiteKind, call: ast.Call) -> Site:
        """Start a backend site at a call."""
        return Site(kind, Side.BACKEND, self.rel, call.lineno, self.col(call))

    def _trigger(self, call: ast.Call, args: list[ast.expr], keywords: dict[str, ast.expr],
                 scope: Scope) -> Site:
        """Build the site of `pusher_client.trigger(channels, event_name, data)`."""
        site = self._site(SiteKind.TRIGGER, call)
        self._fill(site, self._arg(args, keywords, 0, "channels", "channel"),
                   self._arg(args, keywords, 1, "event_name", "event"),
                   self._arg(args, keywords, 2, "data"), scope)
        return site

    def _fill(self, site: Site, channel_node: ast.expr | None, event_node: ast.expr | None,
              data_node: ast.expr | None, scope: Scope) -> None:
        """Resolve channel(s), event and payload of a trigger-like site."""
        problems: list[str] = []
        if isinstance(channel_node, ast.List | ast.Tuple):
            channels: list[Value] = []
            for element in channel_node.elts:
                got = self.values(element, scope)
                if not got:
                    problems.append(f"channel `{source_text(element)}`")
                channels.extend(got)
        else:
            channels = self.values(channel_node, scope)
            if not channels:
                problems.append(f"channel `{source_text(channel_node)}`" if channel_node is not None
                                else "channel (no argument)")
        events = self.values(event_node, scope)
        if not events:
            problems.append(f"event `{source_text(event_node)}`" if event_node is not None
                            else "event (no argument)")
        site.channels = tuple(channels)
        site.events = tuple(events)
        payload = payload_of(self, data_node, scope)
        if isinstance(payload, str):
            site.payload_param = payload
        else:
            site.payload = payload
        if problems:
            site.unresolved = "could not resolve " + ", ".join(problems)

    def _batch_items(self, batch: ast.expr | None, scope: Scope) -> list[ast.expr] | None:
        """Find the event dicts of a batch: a literal list, a name, appends, a comprehension."""
        if isinstance(batch, ast.List | ast.Tuple):
            return list(batch.elts)
        if isinstance(batch, ast.ListComp):
            return [batch.elt]
        if isinstance(batch, ast.Name):
            found = self.lookup(batch.id, scope)
            if not isinstance(found, tuple):
                return None
            owner, values = found
            items: list[ast.expr] = []
            for value in values:
                got = self._batch_items(value, owner)
                if got is None:
                    return None
                items.extend(got)
            for call, call_scope in self.calls:
                func = call.func
                if call_scope is owner and isinstance(func, ast.Attribute) and \
                        func.attr == "append" and isinstance(func.value, ast.Name) and \
                        func.value.id == batch.id and call.args:
                    items.append(call.args[0])
            return items
        return None

    def _batch(self, call: ast.Call, args: list[ast.expr], keywords: dict[str, ast.expr],
               scope: Scope) -> Iterator[Site]:
        """Build one site per event dict of `pusher_client.trigger_batch([...])`."""
        batch = self._arg(args, keywords, 0, "batch")
        items = self._batch_items(batch, scope)
        if not items:
            site = self._site(SiteKind.TRIGGER_BATCH, call)
            site.unresolved = f"could not resolve batch `{source_text(batch) if batch else ''}`"
            yield site
            return
        for element in items:
            site = self._site(SiteKind.TRIGGER_BATCH, call)
            if not isinstance(element, ast.Dict):
                site.unresolved = f"could not resolve batch item `{source_text(element)}`"
                yield site
                continue
            entries = {k.value: v for k, v in zip(element.keys, element.values, strict=True)
                       if isinstance(k, ast.Constant) and isinstance(k.value, str)}
            site.line, site.column = element.lineno, self.col(element)
            self._fill(site, entries.get("channel"), entries.get("name"), entries.get("data"),
                       scope)
            yield site

    def _emitter(self, attr: str, call: ast.Call, args: list[ast.expr],
                 keywords: dict[str, ast.expr], scope: Scope) -> Site:
        """Build the site of `emitter.emit / emit_action / transition`."""
        if attr == "emit":
            site = self._site(SiteKind.EMIT, call)
            event_node = self._arg(args, keywords, 0, "event")
            site.events = tuple(self.values(event_node, scope))
            payload = payload_of(self, self._arg(args, keywords, 1, "data"), scope)
            if isinstance(payload, str):
                site.payload_param = payload
            else:
                site.payload = payload
            if not site.events:
                site.unresolved = f"could not resolve event `{source_text(event_node)}`" \
                    if event_node is not None else "could not resolve event (no argument)"
        elif attr == "emit_action":
            site = self._site(SiteKind.EMIT_ACTION, call)
            action_node = self._arg(args, keywords, 0, "action")
            site.events = tuple(self.values(action_node, scope))
            if not site.events:
                site.unresolved = f"could not resolve action `{source_text(action_node)}`" \
                    if action_node is not None else "could not resolve action (no argument)"
        else:
            site = self._site(SiteKind.TRANSITION, call)
            source = self._arg(args, keywords, 1, "from_status")
            target = self._arg(args, keywords, 2, "to_status")
            got_from, got_to = self.values(source, scope), self.values(target, scope)
            if len(got_from) == 1 and len(got_to) == 1:
                site.states = (got_from[0], got_to[0])
            else:
                site.unresolved = "could not resolve the statuses " \
                    f"`{source_text(source) if source else ''}` -> " \
                    f"`{source_text(target) if target else ''}`"
        return site

    def _pending(self, site: Site, scope: Scope) -> PendingSite:
        """Attach the function whose parameters the site uses (it becomes a wrapper)."""
        names = site_params(site)
        if not names:
            return PendingSite(site)
        owner: Scope | None = scope
        while owner is not None and not (names & {*owner.params, owner.kwargs}):
            owner = owner.parent
        if owner is None or owner.parent is None:
            return PendingSite(harden(site))
        defaults = {name: self.values(node, owner.parent) for name, node in owner.defaults.items()}
        return PendingSite(site, owner.name, owner.params, owner.line, owner.method, owner.cls,
                           owner.kwargs, defaults)

    # -- wrappers ---------------------------------------------------------------------------
    def called_names(self) -> set[str]:
        """Return the names this module calls (to find wrapper call sites quickly)."""
        out: set[str] = set()
        for call, _scope in self.calls:
            func = call.func
            if _is_partial(func) and call.args:
                func = call.args[0]
            if isinstance(func, ast.Name):
                out.add(func.id)
            elif isinstance(func, ast.Attribute):
                out.add(func.attr)
        return out

    def wrapper_calls(self, wrappers: dict[str, list[Wrapper]]) -> Iterator[PendingSite]:
        """Yield the sites produced by calls to known wrapper functions and methods."""
        for call, scope in self.calls:
            if _is_partial(call.func) and call.args:
                call = ast.Call(call.args[0], call.args[1:], call.keywords,
                                lineno=call.lineno, col_offset=call.col_offset)
            func = call.func
            if isinstance(func, ast.Name):
                name = func.id
            elif isinstance(func, ast.Attribute):
                name = func.attr
            else:
                continue
            for wrapper in wrappers.get(name, ()):
                if self._calls(func, scope, wrapper):
                    wrapper.called = True
                    yield from self._instantiate(wrapper, call, scope)

    def _calls(self, func: ast.Name | ast.Attribute, scope: Scope, wrapper: Wrapper) -> bool:
        """Tell whether a call expression calls this wrapper (by scope, import or class)."""
        if isinstance(func, ast.Name):
            if wrapper.cls is not None:
                return False
            if func.id in self.functions and self.lookup(func.id, scope) is None:
                return wrapper.file == self.rel
            got = self.other(func.id)
            if got is None:
                return func.id in self.imports and wrapper.file != self.rel
            return got[0].rel == wrapper.file
        base = func.value
        if isinstance(base, ast.Name) and base.id in ("self", "cls"):
            klass = self.enclosing_class(scope)
            return wrapper.method and klass is not None and \
                self._defines(self, klass, func.attr, wrapper)
        owner = self.instance_class(base, scope)
        if owner is not None:
            return self._defines(owner[0], owner[1], func.attr, wrapper)
        if isinstance(base, ast.Name) and self.lookup(base.id, scope) is None:
            got = self.other(base.id)
            if got is not None and got[1] is None:
                return wrapper.cls is None and got[0].rel == wrapper.file
        return False

    @staticmethod
    def _defines(module: PyResolver, klass: PyClass, name: str, wrapper: Wrapper) -> bool:
        """Tell whether the method `name` of a class (or its bases) is this wrapper."""
        found = module.method_of(klass, name)
        return found is not None and found[0].rel == wrapper.file and \
            found[1].line == wrapper.line

    def instance_class(self, node: ast.expr, scope: Scope,
                       depth: int = 0) -> tuple[PyResolver, PyClass] | None:
        """Find the class of an object (`Service()`, `svc`, `self.svc`, an imported instance)."""
        if depth > _MAX_DEPTH:
            return None
        if isinstance(node, ast.Call):
            return self.class_named(node.func, scope)
        if isinstance(node, ast.Name):
            found = self.lookup(node.id, scope)
            if isinstance(found, tuple):
                return self.instance_class(found[1][-1], found[0], depth + 1)
            if found is None:
                named = self.class_named(node, scope)
                if named is not None:
                    return named
                got = self.other(node.id)
                if got is not None and got[1] is not None and isinstance(got[0], PyModule):
                    return got[0].instance_class(ast.Name(got[1]), got[0].top, depth + 1)
            return None
        if isinstance(node, ast.Attribute):
            if isinstance(node.value, ast.Name) and node.value.id in ("self", "cls"):
                klass = self.enclosing_class(scope)
                values = klass.instance.get(node.attr, []) if klass is not None else []
                for value in values:
                    got_class = self.instance_class(value, self.top, depth + 1)
                    if got_class is not None:
                        return got_class
                return None
            if isinstance(node.value, ast.Name) and self.lookup(node.value.id, scope) is None:
                module = self.other(node.value.id)
                if module is not None and module[1] is None and isinstance(module[0], PyModule):
                    return module[0].instance_class(ast.Name(node.attr), module[0].top, depth + 1)
        return None

    def _instantiate(self, wrapper: Wrapper, call: ast.Call, scope: Scope) -> Iterator[PendingSite]:
        """Substitute a wrapper call's arguments into each of the wrapper's site templates."""
        bound: dict[str, ast.expr] = {}
        extra: list[ast.keyword] = []
        for name, arg in zip(wrapper.params, call.args, strict=False):
            if isinstance(arg, ast.Starred):
                break
            bound[name] = arg
        for keyword in call.keywords:
            if keyword.arg is not None and keyword.arg in wrapper.params:
                bound[keyword.arg] = keyword.value
            else:
                extra.append(keyword)
        line, column = call.lineno, self.col(call)

        def resolve(name: str) -> list[Value]:
            """Resolve the argument bound to a wrapper parameter (or its default)."""
            if name in bound:
                return self.values(bound[name], scope)
            return [Value(v.sym, line, column) for v in wrapper.defaults.get(name, [])]

        def payload(template: Site) -> tuple[Payload | None, str | None]:
            """Fill the payload from the call: the whole argument, keys, or spread parameters."""
            if template.payload_param is not None:
                if template.payload_param == wrapper.kwargs:
                    return self._keywords_payload(extra, scope, call), None
                got = payload_of(self, bound.get(template.payload_param), scope)
                return (None, got) if isinstance(got, str) else (got, None)
            current = template.payload
            if current is None or not (current.symbolic or current.spread_params):
                return current, None
            return self._fill_payload(current, wrapper, bound, extra, resolve, scope, call), None

        for template in wrapper.templates:
            site = instantiate(template, wrapper, self.rel, line, column, resolve,
                               lambda _n: None, payload)
            yield self._pending(site, scope)

    def _keywords_payload(self, extra: list[ast.keyword], scope: Scope, call: ast.Call) -> Payload:
        """Build the payload a `**fields` parameter receives from a call's extra keywords."""
        fields: list[PayloadField] = []
        constants: list[tuple[str, str]] = []
        spread = False
        for keyword in extra:
            if keyword.arg is None:
                got = payload_of(self, keyword.value, scope)
                if isinstance(got, Payload):
                    fields.extend(got.fields)
                else:
                    spread = True
                continue
            fields.append(PayloadField(keyword.arg, keyword.value.lineno,
                                       self.col(keyword.value), value_type(keyword.value)))
            syms = self.resolve(keyword.value, scope)
            text = literal(syms[0]) if len(syms) == 1 else None
            if text is not None:
                constants.append((keyword.arg, text))
        return Payload(tuple(fields), tuple(constants), spread)

    def _fill_payload(self, current: Payload, wrapper: Wrapper, bound: dict[str, ast.expr],
                      extra: list[ast.keyword], resolve: object, scope: Scope,
                      call: ast.Call) -> Payload:
        """Substitute a payload's parameter-valued keys and spread parameters from a call."""
        assert callable(resolve)
        constants = list(current.constants)
        symbolic = []
        for key, sym in current.symbolic:
            alternatives = substitute_sym(sym, resolve)
            text = literal(alternatives[0]) if len(alternatives) == 1 else None
            if text is not None:
                constants.append((key, text))
            elif alternatives and has_params(alternatives[0]):
                symbolic.append((key, alternatives[0]))
        fields = list(current.fields)
        spread, spread_params = current.spread, []
        for name in current.spread_params:
            got: Payload | str | None
            if name == wrapper.kwargs:
                got = self._keywords_payload(extra, scope, call)
            else:
                got = payload_of(self, bound.get(name), scope)
            if isinstance(got, Payload):
                fields.extend(got.fields)
                constants.extend(got.constants)
                spread = spread or got.spread
            elif isinstance(got, str):
                spread_params.append(got)
            else:
                spread = True
        return replace(current, fields=tuple(fields), constants=tuple(dict.fromkeys(constants)),
                       symbolic=tuple(symbolic), spread=spread, spread_params=tuple(spread_params))


def _is_partial(func: ast.expr) -> bool:
    """Tell whether a call is `partial(...)` / `functools.partial(...)`."""
    return (isinstance(func, ast.Name) and func.id == "partial") or \
        (isinstance(func, ast.Attribute) and func.attr == "partial")
