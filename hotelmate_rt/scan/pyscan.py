"""Python analyzer (stdlib `ast`): trigger/emit/transition sites with names resolved."""

from __future__ import annotations

import ast
import re
import string
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from .common import PendingSite, Wrapper, instantiate, site_has_params
from .model import Payload, PayloadField, Side, Site, SiteKind
from .symbols import Hole, Param, Sym, Value, concat_all, dedupe, literal

_PUSHER = re.compile(r"pusher", re.IGNORECASE)
_EMITTER = re.compile(r"emitter", re.IGNORECASE)
_PERCENT = re.compile(r"%(?:\((?P<key>[^)]*)\))?[-#0 +]*(?:\*|\d+)?(?:\.(?:\*|\d+))?"
                      r"[hlL]?(?P<conv>[diouxXeEfFgGcrsa%])")
_FORMATTER = string.Formatter()
_MAX_DEPTH = 8

ModuleLoader = Callable[[str, int, str], "PyModule | None"]


def dotted(node: ast.AST) -> str:
    """Render a receiver expression cheaply (`self.pusher_client`, `get_pusher()`)."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return f"{dotted(node.value)}.{node.attr}"
    if isinstance(node, ast.Call):
        return f"{dotted(node.func)}()"
    if isinstance(node, ast.Subscript):
        return f"{dotted(node.value)}[]"
    return "?"


def _source(node: ast.AST) -> str:
    """Return a short source rendering of an expression for messages."""
    try:
        text = ast.unparse(node)
    except Exception:  # pragma: no cover - unparse handles every expression ast produces
        text = "?"
    return text if len(text) <= 60 else text[:57] + "..."


@dataclass(slots=True, eq=False)
class Scope:
    """A function (or the module): its parameters, assignments and return expressions."""

    name: str
    parent: Scope | None
    line: int = 0
    params: tuple[str, ...] = ()
    defaults: dict[str, ast.expr] = field(default_factory=dict)
    assigns: dict[str, list[ast.expr]] = field(default_factory=dict)
    returns: list[ast.expr] = field(default_factory=list)
    cls: str | None = None
    method: bool = False


class PyModule:
    """One parsed Python file, its scopes and every call in it."""

    def __init__(self, rel: str, tree: ast.Module, loader: ModuleLoader | None = None,
                 source: bytes = b"") -> None:
        self.rel = rel
        self._lines = source.split(b"\n")
        self.loader = loader
        self.top = Scope("<module>", None)
        self.functions: dict[str, list[Scope]] = {}
        self.classes: dict[str, dict[str, ast.expr]] = {}
        self.imports: dict[str, tuple[str, str | None, int]] = {}
        self.calls: list[tuple[ast.Call, Scope]] = []
        self._build(tree.body, self.top, None)

    def _col(self, node: ast.expr | ast.stmt) -> int:
        """Return a node's 1-based column in characters (ast counts UTF-8 bytes)."""
        index = node.lineno - 1
        if 0 <= index < len(self._lines):
            line = self._lines[index]
            if not line.isascii():
                return len(line[:node.col_offset].decode("utf-8", "replace")) + 1
        return node.col_offset + 1

    # -- building -------------------------------------------------------------------------
    def _build(self, body: list[ast.stmt], scope: Scope, cls: str | None) -> None:
        """Record scopes, assignments, returns, imports and calls of a statement list."""
        stack: list[tuple[ast.AST, Scope, str | None]] = [(n, scope, cls) for n in reversed(body)]
        while stack:
            node, sc, klass = stack.pop()
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                fn = self._function(node, sc, klass)
                for deco in node.decorator_list:
                    stack.append((deco, sc, klass))
                stack.extend((n, fn, None) for n in reversed(node.body))
                continue
            if isinstance(node, ast.ClassDef):
                attrs = self.classes.setdefault(node.name, {})
                for stmt in node.body:
                    if isinstance(stmt, ast.Assign):
                        for target in stmt.targets:
                            if isinstance(target, ast.Name):
                                attrs[target.id] = stmt.value
                    elif isinstance(stmt, ast.AnnAssign) and stmt.value is not None \
                            and isinstance(stmt.target, ast.Name):
                        attrs[stmt.target.id] = stmt.value
                for stmt in reversed(node.body):
                    if isinstance(stmt, ast.Assign | ast.AnnAssign):
                        if stmt.value is not None:
                            stack.append((stmt.value, sc, node.name))
                    else:
                        stack.append((stmt, sc, node.name))
                continue
            if isinstance(node, ast.Assign):
                for target in node.targets:
                    self._assign(target, node.value, sc)
            elif isinstance(node, ast.AnnAssign | ast.NamedExpr) and node.value is not None:
                self._assign(node.target, node.value, sc)
            elif isinstance(node, ast.Return) and node.value is not None:
                sc.returns.append(node.value)
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    local = alias.asname or alias.name.split(".")[0]
                    self.imports[local] = ((alias.asname and alias.name) or local, None, 0)
            elif isinstance(node, ast.ImportFrom):
                for alias in node.names:
                    self.imports[alias.asname or alias.name] = (node.module or "", alias.name,
                                                                node.level)
            elif isinstance(node, ast.Call):
                self.calls.append((node, sc))
            elif isinstance(node, ast.Lambda):
                stack.append((node.body, sc, klass))
                continue
            for child in reversed(list(ast.iter_child_nodes(node))):
                if not isinstance(child, ast.expr_context):
                    stack.append((child, sc, klass))

    def _function(self, node: ast.FunctionDef | ast.AsyncFunctionDef, parent: Scope,
                  cls: str | None) -> Scope:
        """Create the scope of a function definition."""
        args = node.args
        positional = [a.arg for a in (*args.posonlyargs, *args.args)]
        method = cls is not None and bool(positional) and positional[0] in ("self", "cls")
        if method:
            positional = positional[1:]
        names = (*positional, *(a.arg for a in args.kwonlyargs))
        defaults: dict[str, ast.expr] = {}
        for name, default in zip(reversed(positional), reversed(args.defaults), strict=False):
            defaults[name] = default
        for arg, kw_default in zip(args.kwonlyargs, args.kw_defaults, strict=True):
            if kw_default is not None:
                defaults[arg.arg] = kw_default
        scope = Scope(node.name, parent, node.lineno, tuple(names), defaults, cls=cls,
                      method=method)
        self.functions.setdefault(node.name, []).append(scope)
        return scope

    @staticmethod
    def _assign(target: ast.expr, value: ast.expr, scope: Scope) -> None:
        """Record `name = value` (and pairwise tuple unpacking) in a scope."""
        if isinstance(target, ast.Name):
            scope.assigns.setdefault(target.id, []).append(value)
        elif isinstance(target, ast.Tuple | ast.List) and isinstance(value, ast.Tuple | ast.List) \
                and len(target.elts) == len(value.elts):
            for t, v in zip(target.elts, value.elts, strict=True):
                PyModule._assign(t, v, scope)

    # -- resolution -----------------------------------------------------------------------
    def resolve(self, node: ast.expr, scope: Scope, depth: int = 0,
                guard: frozenset[tuple[int, str]] = frozenset()) -> list[Sym]:
        """Resolve an expression to string alternatives (holes for unknowns); [] if unknown."""
        if depth > _MAX_DEPTH:
            return []
        if isinstance(node, ast.Constant):
            if isinstance(node.value, str):
                return [(node.value,)]
            if isinstance(node.value, int | float) and not isinstance(node.value, bool):
                return [(str(node.value),)]
            return []
        if isinstance(node, ast.JoinedStr):
            pieces: list[list[Sym]] = []
            for part in node.values:
                if isinstance(part, ast.Constant):
                    pieces.append([(str(part.value),)])
                elif isinstance(part, ast.FormattedValue):
                    inner = self.resolve(part.value, scope, depth + 1, guard)
                    pieces.append(inner or [(Hole(_source(part.value)),)])
            return concat_all(pieces)
        if isinstance(node, ast.BinOp):
            if isinstance(node.op, ast.Add):
                left = self.resolve(node.left, scope, depth + 1, guard)
                right = self.resolve(node.right, scope, depth + 1, guard)
                if not left and not right:
                    return []
                return concat_all([left or [(Hole(_source(node.left)),)],
                                   right or [(Hole(_source(node.right)),)]])
            if isinstance(node.op, ast.Mod):
                return self._percent(node, scope, depth, guard)
            return []
        if isinstance(node, ast.Call):
            return self._call(node, scope, depth, guard)
        if isinstance(node, ast.IfExp):
            return dedupe([*self.resolve(node.body, scope, depth + 1, guard),
                           *self.resolve(node.orelse, scope, depth + 1, guard)])
        if isinstance(node, ast.Name):
            return self._name(node.id, scope, depth, guard)
        if isinstance(node, ast.Attribute):
            return self._attribute(node, scope, depth, guard)
        return []

    def _name(self, name: str, scope: Scope, depth: int,
              guard: frozenset[tuple[int, str]]) -> list[Sym]:
        """Resolve a bare name: local assignments, the function's parameters, then globals."""
        current: Scope | None = scope
        while current is not None:
            key = (id(current), name)
            if name in current.assigns:
                if key in guard:
                    return []
                inner = guard | {key}
                out: list[Sym] = []
                for value in current.assigns[name]:
                    out.extend(self.resolve(value, current, depth + 1, inner))
                return dedupe(out)
            if name in current.params:
                return [(Param(name),)] if current is scope else []
            current = current.parent
        return self._imported(name, depth, guard)

    def _imported(self, name: str, depth: int, guard: frozenset[tuple[int, str]]) -> list[Sym]:
        """Resolve a name imported with `from module import name` from a scanned module."""
        found = self.imports.get(name)
        if found is None or found[1] is None or self.loader is None:
            return []
        other = self.loader(found[0], found[2], self.rel)
        if other is None or other is self:
            return []
        return other._name(found[1], other.top, depth + 1, guard)

    def _attribute(self, node: ast.Attribute, scope: Scope, depth: int,
                   guard: frozenset[tuple[int, str]]) -> list[Sym]:
        """Resolve `Class.CONST`, `self.CONST` and `module.CONST`."""
        base = node.value
        if not isinstance(base, ast.Name):
            return []
        if base.id in ("self", "cls"):
            owner: Scope | None = scope
            while owner is not None and owner.cls is None:
                owner = owner.parent
            cls_name = owner.cls if owner is not None else None
            value = self.classes.get(cls_name or "", {}).get(node.attr)
            return self.resolve(value, self.top, depth + 1, guard) if value is not None else []
        if base.id in self.classes:
            value = self.classes[base.id].get(node.attr)
            return self.resolve(value, self.top, depth + 1, guard) if value is not None else []
        found = self.imports.get(base.id)
        if found is not None and self.loader is not None:
            if found[1] is not None:
                owner_module = self.loader(found[0], found[2], self.rel)
                if owner_module is not None and found[1] in owner_module.classes:
                    value = owner_module.classes[found[1]].get(node.attr)
                    return owner_module.resolve(value, owner_module.top, depth + 1, guard) \
                        if value is not None else []
            module = found[0] if found[1] is None else f"{found[0]}.{found[1]}".lstrip(".")
            other = self.loader(module, found[2], self.rel)
            if other is not None and other is not self:
                return other._name(node.attr, other.top, depth + 1, guard)
        return []

    def _percent(self, node: ast.BinOp, scope: Scope, depth: int,
                 guard: frozenset[tuple[int, str]]) -> list[Sym]:
        """Resolve `"hotel-%s" % slug` style formatting."""
        fmts = [literal(s) for s in self.resolve(node.left, scope, depth + 1, guard)]
        fmt = fmts[0] if len(fmts) == 1 else None
        if fmt is None:
            return []
        right = node.right
        positional = list(right.elts) if isinstance(right, ast.Tuple) else [right]
        keyed: dict[str, ast.expr] = {}
        if isinstance(right, ast.Dict):
            keyed = {k.value: v for k, v in zip(right.keys, right.values, strict=True)
                     if isinstance(k, ast.Constant) and isinstance(k.value, str)}
        pieces: list[list[Sym]] = []
        last = 0
        index = 0
        for match in _PERCENT.finditer(fmt):
            pieces.append([(fmt[last:match.start()],)])
            last = match.end()
            if match.group("conv") == "%":
                pieces.append([("%",)])
                continue
            arg: ast.expr | None
            if match.group("key") is not None:
                arg = keyed.get(match.group("key"))
            else:
                arg = positional[index] if index < len(positional) else None
                index += 1
            got = self.resolve(arg, scope, depth + 1, guard) if arg is not None else []
            pieces.append(got or [(Hole(_source(arg) if arg is not None else ""),)])
        pieces.append([(fmt[last:],)])
        return concat_all(pieces)

    def _call(self, node: ast.Call, scope: Scope, depth: int,
              guard: frozenset[tuple[int, str]]) -> list[Sym]:
        """Resolve `.format(...)`, `str(x)`, `"".join([...])` and calls to name-builder functions."""
        func = node.func
        if isinstance(func, ast.Attribute) and func.attr == "format":
            return self._format(node, scope, depth, guard)
        if isinstance(func, ast.Name) and func.id == "str" and len(node.args) == 1:
            got = self.resolve(node.args[0], scope, depth + 1, guard)
            return got or [(Hole(_source(node.args[0])),)]
        target = self._function_for(func, scope)
        if target is None:
            return []
        module, callee = target
        returns: list[Sym] = []
        for expr in callee.returns:
            returns.extend(module.resolve(expr, callee, depth + 1, guard))
        if not returns:
            return []
        bound = module.bind(callee, node)

        def param(name: str) -> list[Sym]:
            """Resolve a parameter of the callee from the call's arguments or its default."""
            if name in bound:
                return self.resolve(bound[name], scope, depth + 1, guard)
            if name in callee.defaults:
                return module.resolve(callee.defaults[name], module.top, depth + 1, guard)
            return []

        out: list[Sym] = []
        for sym in returns:
            pieces: list[list[Sym]] = [
                (param(p.name) or [(Hole(p.name),)]) if isinstance(p, Param) else [(p,)]
                for p in sym]
            out.extend(concat_all(pieces))
        return dedupe(out)

    def _format(self, node: ast.Call, scope: Scope, depth: int,
                guard: frozenset[tuple[int, str]]) -> list[Sym]:
        """Resolve `"{}-room-{room}".format(slug, room=n)`."""
        assert isinstance(node.func, ast.Attribute)
        fmts = [literal(s) for s in self.resolve(node.func.value, scope, depth + 1, guard)]
        fmt = fmts[0] if len(fmts) == 1 else None
        if fmt is None:
            return []
        keywords = {k.arg: k.value for k in node.keywords if k.arg}
        pieces: list[list[Sym]] = []
        auto = 0
        try:
            parsed = list(_FORMATTER.parse(fmt))
        except ValueError:
            return []
        for text, name, _spec, _conv in parsed:
            pieces.append([(text,)])
            if name is None:
                continue
            head = re.split(r"[.\[]", name, maxsplit=1)[0]
            arg: ast.expr | None
            if head == "":
                arg = node.args[auto] if auto < len(node.args) else None
                auto += 1
            elif head.isdigit():
                arg = node.args[int(head)] if int(head) < len(node.args) else None
            else:
                arg = keywords.get(head)
            got = self.resolve(arg, scope, depth + 1, guard) \
                if arg is not None and name == head else []
            pieces.append(got or [(Hole(name),)])
        return concat_all(pieces)

    def _function_for(self, func: ast.expr, scope: Scope) -> tuple[PyModule, Scope] | None:
        """Find the definition a call refers to: local, imported, or a method of this class."""
        if isinstance(func, ast.Name):
            local = self.functions.get(func.id)
            if local:
                return self, local[-1]
            found = self.imports.get(func.id)
            if found is not None and found[1] is not None and self.loader is not None:
                other = self.loader(found[0], found[2], self.rel)
                if other is not None and other is not self and found[1] in other.functions:
                    return other, other.functions[found[1]][-1]
            return None
        if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
            if func.value.id in ("self", "cls") and func.attr in self.functions:
                return self, self.functions[func.attr][-1]
            found = self.imports.get(func.value.id)
            if found is not None and self.loader is not None:
                module = found[0] if found[1] is None else f"{found[0]}.{found[1]}".lstrip(".")
                other = self.loader(module, found[2], self.rel)
                if other is not None and func.attr in other.functions:
                    return other, other.functions[func.attr][-1]
        return None

    @staticmethod
    def bind(callee: Scope, call: ast.Call) -> dict[str, ast.expr]:
        """Map a call's arguments onto the callee's parameter names."""
        out: dict[str, ast.expr] = {}
        for name, arg in zip(callee.params, call.args, strict=False):
            if isinstance(arg, ast.Starred):
                break
            out[name] = arg
        for keyword in call.keywords:
            if keyword.arg is not None:
                out[keyword.arg] = keyword.value
        return out

    # -- values and payloads ----------------------------------------------------------------
    def values(self, node: ast.expr | None, scope: Scope) -> list[Value]:
        """Resolve an argument to located values ([] when it cannot be resolved)."""
        if node is None:
            return []
        return [Value(sym, node.lineno, self._col(node)) for sym in self.resolve(node, scope)]

    def payload(self, node: ast.expr | None, scope: Scope) -> Payload | str | None:
        """Read a payload dict literal (directly or through one local name); str = parameter."""
        if node is None:
            return None
        if isinstance(node, ast.Name):
            current: Scope | None = scope
            while current is not None:
                if node.id in current.assigns:
                    assigned = current.assigns[node.id]
                    return self.payload(assigned[0], current) if len(assigned) == 1 else None
                if node.id in current.params:
                    return node.id if current is scope else None
                current = current.parent
            return None
        if isinstance(node, ast.Dict):
            fields: list[PayloadField] = []
            constants: list[tuple[str, str]] = []
            spread = self._dict_fields(node, "", fields, constants)
            return Payload(tuple(fields), tuple(constants), spread)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "dict":
            fields = [PayloadField(k.arg, k.value.lineno, self._col(k.value))
                      for k in node.keywords if k.arg]
            constants = [(k.arg, k.value.value) for k in node.keywords
                         if k.arg and isinstance(k.value, ast.Constant)
                         and isinstance(k.value.value, str)]
            spread = bool(node.args) or any(k.arg is None for k in node.keywords)
            return Payload(tuple(fields), tuple(constants), spread)
        return None

    def _dict_fields(self, node: ast.Dict, prefix: str, fields: list[PayloadField],
                     constants: list[tuple[str, str]]) -> bool:
        """Collect the keys of a dict literal and its nested dict literals; True on `**spread`."""
        spread = False
        for key, value in zip(node.keys, node.values, strict=True):
            if key is None:
                spread = spread or not prefix
                continue
            if not (isinstance(key, ast.Constant) and isinstance(key.value, str)):
                spread = spread or not prefix
                continue
            path = f"{prefix}{key.value}"
            fields.append(PayloadField(path, key.lineno, self._col(key)))
            if not prefix and isinstance(value, ast.Constant) and isinstance(value.value, str):
                constants.append((key.value, value.value))
            if isinstance(value, ast.Dict):
                self._dict_fields(value, path + ".", fields, constants)
        return spread

    # -- sites ------------------------------------------------------------------------------
    def _is_client(self, receiver: ast.expr, scope: Scope, pattern: re.Pattern[str]) -> bool:
        """Tell whether a receiver looks like a Pusher client (or emitter) by name or origin."""
        if pattern.search(dotted(receiver)):
            return True
        if isinstance(receiver, ast.Name):
            current: Scope | None = scope
            while current is not None:
                for value in current.assigns.get(receiver.id, ()):
                    if isinstance(value, ast.Call) and pattern.search(dotted(value.func)):
                        return True
                current = current.parent
        return False

    def sites(self) -> Iterator[PendingSite]:
        """Yield every direct trigger/emit/transition site in the module."""
        for call, scope in self.calls:
            yield from self._direct(call, scope)

    def _direct(self, call: ast.Call, scope: Scope) -> Iterator[PendingSite]:
        """Yield the sites of one call when it is a Pusher or emitter call."""
        func = call.func
        args = list(call.args)
        keywords = {k.arg: k.value for k in call.keywords if k.arg}
        if (isinstance(func, ast.Name) and func.id == "partial") or \
                (isinstance(func, ast.Attribute) and func.attr == "partial"):
            if not args or not isinstance(args[0], ast.Attribute):
                return
            func, args = args[0], args[1:]
        if not isinstance(func, ast.Attribute):
            return
        attr = func.attr
        if attr in ("trigger", "trigger_batch"):
            if not self._is_client(func.value, scope, _PUSHER):
                return
            if attr == "trigger":
                yield self._pending(self._trigger(call, args, keywords, scope), scope)
            else:
                for site in self._batch(call, args, keywords, scope):
                    yield self._pending(site, scope)
        elif attr in ("emit", "emit_action", "transition") and \
                self._is_client(func.value, scope, _EMITTER):
            yield self._pending(self._emitter(attr, call, args, keywords, scope), scope)

    def _arg(self, args: list[ast.expr], keywords: dict[str, ast.expr], index: int,
             *names: str) -> ast.expr | None:
        """Return a call argument by position or keyword."""
        if index < len(args) and not isinstance(args[index], ast.Starred):
            return args[index]
        for name in names:
            if name in keywords:
                return keywords[name]
        return None

    def _site(self, kind: SiteKind, call: ast.Call) -> Site:
        """Start a backend site at a call."""
        return Site(kind, Side.BACKEND, self.rel, call.lineno, self._col(call))

    def _trigger(self, call: ast.Call, args: list[ast.expr], keywords: dict[str, ast.expr],
                 scope: Scope) -> Site:
        """Build the site of `pusher_client.trigger(channels, event_name, data)`."""
        site = self._site(SiteKind.TRIGGER, call)
        channel_node = self._arg(args, keywords, 0, "channels", "channel")
        event_node = self._arg(args, keywords, 1, "event_name", "event")
        data_node = self._arg(args, keywords, 2, "data")
        self._fill(site, channel_node, event_node, data_node, scope)
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
                    problems.append(f"channel `{_source(element)}`")
                channels.extend(got)
        else:
            channels = self.values(channel_node, scope)
            if not channels:
                problems.append(f"channel `{_source(channel_node)}`" if channel_node is not None
                                else "channel (no argument)")
        events = self.values(event_node, scope)
        if not events:
            problems.append(f"event `{_source(event_node)}`" if event_node is not None
                            else "event (no argument)")
        site.channels = tuple(channels)
        site.events = tuple(events)
        payload = self.payload(data_node, scope)
        if isinstance(payload, str):
            site.payload_param = payload
        else:
            site.payload = payload
        if problems:
            site.unresolved = "could not resolve " + ", ".join(problems)

    def _batch(self, call: ast.Call, args: list[ast.expr], keywords: dict[str, ast.expr],
               scope: Scope) -> Iterator[Site]:
        """Build one site per event dict of `pusher_client.trigger_batch([...])`."""
        batch = self._arg(args, keywords, 0, "batch")
        if not isinstance(batch, ast.List | ast.Tuple):
            site = self._site(SiteKind.TRIGGER_BATCH, call)
            site.unresolved = f"could not resolve batch `{_source(batch) if batch else ''}`"
            yield site
            return
        for element in batch.elts:
            site = self._site(SiteKind.TRIGGER_BATCH, call)
            if not isinstance(element, ast.Dict):
                site.unresolved = f"could not resolve batch item `{_source(element)}`"
                yield site
                continue
            entries = {k.value: v for k, v in zip(element.keys, element.values, strict=True)
                       if isinstance(k, ast.Constant) and isinstance(k.value, str)}
            site.line, site.column = element.lineno, self._col(element)
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
            payload = self.payload(self._arg(args, keywords, 1, "data"), scope)
            if isinstance(payload, str):
                site.payload_param = payload
            else:
                site.payload = payload
            if not site.events:
                site.unresolved = f"could not resolve event `{_source(event_node)}`" \
                    if event_node is not None else "could not resolve event (no argument)"
        elif attr == "emit_action":
            site = self._site(SiteKind.EMIT_ACTION, call)
            action_node = self._arg(args, keywords, 0, "action")
            site.events = tuple(self.values(action_node, scope))
            if not site.events:
                site.unresolved = f"could not resolve action `{_source(action_node)}`" \
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
                    f"`{_source(source) if source else ''}` -> `{_source(target) if target else ''}`"
        return site

    def _pending(self, site: Site, scope: Scope) -> PendingSite:
        """Attach the enclosing function when the site depends on its parameters."""
        if scope.parent is not None and site_has_params(site):
            return PendingSite(site, scope.name, scope.params, scope.line, scope.method)
        return PendingSite(site)

    # -- wrappers ---------------------------------------------------------------------------
    def called_names(self) -> set[str]:
        """Return the names this module calls (to find wrapper call sites quickly)."""
        out: set[str] = set()
        for call, _scope in self.calls:
            if isinstance(call.func, ast.Name):
                out.add(call.func.id)
            elif isinstance(call.func, ast.Attribute):
                out.add(call.func.attr)
        return out

    def wrapper_calls(self, wrappers: dict[str, list[Wrapper]]) -> Iterator[PendingSite]:
        """Yield the sites produced by calls to known wrapper functions."""
        for call, scope in self.calls:
            func = call.func
            if isinstance(func, ast.Name):
                name = func.id
                if name not in self.functions and name not in self.imports:
                    continue
            elif isinstance(func, ast.Attribute):
                name = func.attr
                base = func.value
                if not (isinstance(base, ast.Name) and (base.id in self.imports
                                                        or base.id in ("self", "cls"))):
                    continue
            else:
                continue
            for wrapper in wrappers.get(name, ()):
                if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and \
                        func.value.id in ("self", "cls") and not wrapper.method:
                    continue
                if isinstance(func, ast.Name) and name in self.functions and \
                        wrapper.file != self.rel:
                    continue
                wrapper.called = True
                yield from self._instantiate(wrapper, call, scope)

    def _instantiate(self, wrapper: Wrapper, call: ast.Call, scope: Scope) -> Iterator[PendingSite]:
        """Substitute a wrapper call's arguments into each of the wrapper's site templates."""
        bound: dict[str, ast.expr] = {}
        for name, arg in zip(wrapper.params, call.args, strict=False):
            if isinstance(arg, ast.Starred):
                break
            bound[name] = arg
        for keyword in call.keywords:
            if keyword.arg is not None:
                bound[keyword.arg] = keyword.value

        def resolve(name: str) -> list[Value]:
            """Resolve the argument bound to a wrapper parameter."""
            return self.values(bound.get(name), scope)

        def payload(name: str) -> Payload | str | None:
            """Read the payload passed as a wrapper parameter."""
            return self.payload(bound.get(name), scope)

        for template in wrapper.templates:
            site = instantiate(template, self.rel, call.lineno, self._col(call),
                               wrapper.label, resolve, lambda _n: None, payload)
            yield self._pending(site, scope)
