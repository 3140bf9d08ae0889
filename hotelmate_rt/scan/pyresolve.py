"""Python name resolution (stdlib `ast`): scopes, imports, and expressions -> string templates."""

from __future__ import annotations

import ast
import re
import string
from collections.abc import Callable
from dataclasses import dataclass, field

from .symbols import Guard, Hole, Param, Sym, assigned, concat_all, dedupe, fill_params, literal

_PERCENT = re.compile(r"%(?:\((?P<key>[^)]*)\))?[-#0 +]*(?:\*|\d+)?(?:\.(?:\*|\d+))?"
                      r"[hlL]?(?P<conv>[diouxXeEfFgGcrsa%])")
_FORMATTER = string.Formatter()
_MAX_DEPTH = 8
_SELF = ("self", "cls")
_PROPERTY = ("property", "cached_property")

ModuleLoader = Callable[[str, int, str], "PyResolver | None"]


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


def source_text(node: ast.AST) -> str:
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
    items: dict[str, list[tuple[str, ast.expr]]] = field(default_factory=dict)
    returns: list[ast.expr] = field(default_factory=list)
    cls: str | None = None
    method: bool = False
    kwargs: str | None = None
    prop: bool = False


@dataclass(slots=True)
class PyClass:
    """A class: its body assignments, `self.x = ...` assignments, bases and nested classes."""

    name: str
    node: ast.ClassDef
    attrs: dict[str, ast.expr] = field(default_factory=dict)
    instance: dict[str, list[ast.expr]] = field(default_factory=dict)
    nested: dict[str, PyClass] = field(default_factory=dict)


class PyResolver:
    """One parsed Python file: scopes, classes, imports, calls, and expression resolution."""

    def __init__(self, rel: str, tree: ast.Module, loader: ModuleLoader | None = None,
                 source: bytes = b"") -> None:
        self.rel = rel
        self._lines = source.split(b"\n")
        self.loader = loader
        self.top = Scope("<module>", None)
        self.functions: dict[str, list[Scope]] = {}
        self.classes: dict[str, PyClass] = {}
        self.imports: dict[str, tuple[str, str | None, int]] = {}
        self.calls: list[tuple[ast.Call, Scope]] = []
        self._build(tree.body, self.top, None)

    def col(self, node: ast.expr | ast.stmt | ast.keyword) -> int:
        """Return a node's 1-based column in characters (ast counts UTF-8 bytes)."""
        index = node.lineno - 1
        if 0 <= index < len(self._lines):
            line = self._lines[index]
            if not line.isascii():
                return len(line[:node.col_offset].decode("utf-8", "replace")) + 1
        return node.col_offset + 1

    # -- building -------------------------------------------------------------------------
    def _build(self, body: list[ast.stmt], scope: Scope, cls: PyClass | None) -> None:
        """Record scopes, assignments, returns, imports and calls of a statement list."""
        stack: list[tuple[ast.AST, Scope, PyClass | None]] = [(n, scope, cls) for n in reversed(body)]
        while stack:
            node, sc, klass = stack.pop()
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                fn = self._function(node, sc, klass)
                for deco in node.decorator_list:
                    stack.append((deco, sc, klass))
                stack.extend((n, fn, None) for n in reversed(node.body))
                continue
            if isinstance(node, ast.ClassDef):
                stack.extend(self._class(node, sc, klass))
                continue
            if isinstance(node, ast.Assign):
                for target in node.targets:
                    self._assign(target, node.value, sc)
            elif isinstance(node, ast.AnnAssign | ast.NamedExpr) and node.value is not None:
                self._assign(node.target, node.value, sc)
            elif isinstance(node, ast.Return) and node.value is not None:
                sc.returns.append(node.value)
            elif isinstance(node, ast.For | ast.AsyncFor | ast.comprehension) and \
                    isinstance(node.target, ast.Name):
                sc.assigns.setdefault(node.target.id, []).append(node.iter)
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

    def _class(self, node: ast.ClassDef, scope: Scope,
               outer: PyClass | None) -> list[tuple[ast.AST, Scope, PyClass | None]]:
        """Record a class's attributes (nested classes such as Meta too); return what to visit."""
        klass = PyClass(node.name, node)
        if outer is not None:
            outer.nested[node.name] = klass
        else:
            self.classes.setdefault(node.name, klass)
        todo: list[tuple[ast.AST, Scope, PyClass | None]] = [(b, scope, None) for b in node.bases]
        for stmt in node.body:
            if isinstance(stmt, ast.Assign):
                for target in stmt.targets:
                    if isinstance(target, ast.Name):
                        klass.attrs[target.id] = stmt.value
                todo.append((stmt.value, scope, klass))
            elif isinstance(stmt, ast.AnnAssign):
                if stmt.value is not None and isinstance(stmt.target, ast.Name):
                    klass.attrs[stmt.target.id] = stmt.value
                if stmt.value is not None:
                    todo.append((stmt.value, scope, klass))
            else:
                todo.append((stmt, scope, klass))
        return list(reversed(todo))

    def _function(self, node: ast.FunctionDef | ast.AsyncFunctionDef, parent: Scope,
                  cls: PyClass | None) -> Scope:
        """Create the scope of a function definition."""
        args = node.args
        positional = [a.arg for a in (*args.posonlyargs, *args.args)]
        method = cls is not None and bool(positional) and positional[0] in _SELF
        if method:
            positional = positional[1:]
        names = (*positional, *(a.arg for a in args.kwonlyargs))
        defaults: dict[str, ast.expr] = {}
        for name, default in zip(reversed(positional), reversed(args.defaults), strict=False):
            defaults[name] = default
        for arg, kw_default in zip(args.kwonlyargs, args.kw_defaults, strict=True):
            if kw_default is not None:
                defaults[arg.arg] = kw_default
        scope = Scope(node.name, parent, node.lineno, tuple(names), defaults,
                      cls=cls.name if cls is not None else None, method=method,
                      kwargs=args.kwarg.arg if args.kwarg is not None else None,
                      prop=method and any(dotted(d).rsplit(".", 1)[-1] in _PROPERTY
                                          for d in node.decorator_list))
        self.functions.setdefault(node.name, []).append(scope)
        return scope

    def _assign(self, target: ast.expr, value: ast.expr, scope: Scope) -> None:
        """Record `name = value`, tuple unpacking, `d["k"] = v` and `self.x = v` in a scope."""
        if isinstance(target, ast.Name):
            scope.assigns.setdefault(target.id, []).append(value)
        elif isinstance(target, ast.Tuple | ast.List) and isinstance(value, ast.Tuple | ast.List) \
                and len(target.elts) == len(value.elts):
            for t, v in zip(target.elts, value.elts, strict=True):
                self._assign(t, v, scope)
        elif isinstance(target, ast.Subscript) and isinstance(target.value, ast.Name) and \
                isinstance(target.slice, ast.Constant) and isinstance(target.slice.value, str):
            scope.items.setdefault(target.value.id, []).append((target.slice.value, value))
        elif isinstance(target, ast.Attribute) and isinstance(target.value, ast.Name) and \
                target.value.id in _SELF and scope.cls is not None:
            klass = self.classes.get(scope.cls)
            if klass is not None:
                values = klass.instance.setdefault(target.attr, [])
                values.append(value)
                if isinstance(value, ast.Name) and value.id in scope.defaults:
                    values.append(scope.defaults[value.id])  # `self.x = x` with `x=default`

    # -- lookups ----------------------------------------------------------------------------
    def lookup(self, name: str, scope: Scope) -> tuple[Scope, list[ast.expr]] | str | None:
        """Find what a name means from a scope: its assignments, "param" if a parameter, or None."""
        current: Scope | None = scope
        while current is not None:
            if name in current.assigns:
                return current, current.assigns[name]
            if name in current.params or name == current.kwargs:
                return "param"
            current = current.parent
        return None

    def other(self, name: str) -> tuple[PyResolver, str | None] | None:
        """Load the scanned module an imported name comes from: (module, name in it or None)."""
        found = self.imports.get(name)
        if found is None or self.loader is None:
            return None
        if found[1] is None:
            got = self.loader(found[0], found[2], self.rel)
            return (got, None) if got is not None and got is not self else None
        got = self.loader(found[0], found[2], self.rel)
        if got is not None and got is not self:
            return got, found[1]
        module = f"{found[0]}.{found[1]}".lstrip(".") if found[0] else found[1]
        sub = self.loader(module, found[2], self.rel)
        return (sub, None) if sub is not None and sub is not self else None

    def class_named(self, node: ast.expr, scope: Scope,
                    depth: int = 0) -> tuple[PyResolver, PyClass] | None:
        """Find the class an expression names (`Foo`, `mod.Foo`, `Outer.Meta`, imported)."""
        if depth > _MAX_DEPTH:
            return None
        if isinstance(node, ast.Name):
            if self.lookup(node.id, scope) is None and node.id in self.classes:
                return self, self.classes[node.id]
            got = self.other(node.id)
            if got is not None:
                module, name = got
                if name is not None and name in module.classes:
                    return module, module.classes[name]
                if name is not None:
                    return module.class_named(ast.Name(name), module.top, depth + 1)
            return None
        if isinstance(node, ast.Attribute):
            if isinstance(node.value, ast.Name):
                got = self.other(node.value.id)
                if got is not None and got[1] is None and node.attr in got[0].classes:
                    return got[0], got[0].classes[node.attr]
            owner = self.class_named(node.value, scope, depth + 1)
            if owner is not None and node.attr in owner[1].nested:
                return owner[0], owner[1].nested[node.attr]
        return None

    def class_attr(self, klass: PyClass, attr: str,
                   depth: int = 0) -> tuple[PyResolver, ast.expr] | None:
        """Find a class attribute, following base classes across modules."""
        if attr in klass.attrs:
            return self, klass.attrs[attr]
        if depth > _MAX_DEPTH:
            return None
        for base in klass.node.bases:
            found = self.class_named(base, self.top, depth + 1)
            if found is not None:
                got = found[0].class_attr(found[1], attr, depth + 1)
                if got is not None:
                    return got
        return None

    def enclosing_class(self, scope: Scope) -> PyClass | None:
        """Return the class of the method a scope belongs to."""
        current: Scope | None = scope
        while current is not None and current.cls is None:
            current = current.parent
        return self.classes.get(current.cls or "") if current is not None else None

    # -- resolution -----------------------------------------------------------------------
    def resolve(self, node: ast.expr, scope: Scope, depth: int = 0,
                guard: Guard = frozenset()) -> list[Sym]:
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
                    pieces.append(inner or [(Hole(source_text(part.value)),)])
            return concat_all(pieces)
        if isinstance(node, ast.BinOp):
            if isinstance(node.op, ast.Add):
                left = self.resolve(node.left, scope, depth + 1, guard)
                right = self.resolve(node.right, scope, depth + 1, guard)
                if not left and not right:
                    return []
                return concat_all([left or [(Hole(source_text(node.left)),)],
                                   right or [(Hole(source_text(node.right)),)]])
            if isinstance(node.op, ast.Mod):
                return self._percent(node, scope, depth, guard)
            return []
        if isinstance(node, ast.Call):
            return self._call(node, scope, depth, guard)
        if isinstance(node, ast.IfExp):
            return dedupe([*self.resolve(node.body, scope, depth + 1, guard),
                           *self.resolve(node.orelse, scope, depth + 1, guard)])
        if isinstance(node, ast.BoolOp):
            return dedupe([s for v in node.values for s in self.resolve(v, scope, depth + 1, guard)])
        if isinstance(node, ast.List | ast.Tuple | ast.Set):
            return dedupe([s for e in node.elts if not isinstance(e, ast.Starred)
                           for s in self.resolve(e, scope, depth + 1, guard)])
        if isinstance(node, ast.ListComp | ast.SetComp | ast.GeneratorExp):
            got = self.resolve(node.elt, scope, depth + 1, guard)
            return got or [(Hole(source_text(node.elt)),)]
        if isinstance(node, ast.Name):
            return self._name(node.id, scope, depth, guard)
        if isinstance(node, ast.Attribute):
            return self._attribute(node, scope, depth, guard)
        if isinstance(node, ast.Subscript):
            return self._subscript(node, scope, depth, guard)
        return []

    def _name(self, name: str, scope: Scope, depth: int, guard: Guard) -> list[Sym]:
        """Resolve a bare name: local assignments, parameters (closures too), then globals."""
        found = self.lookup(name, scope)
        if found == "param":
            return [(Param(name),)]
        if isinstance(found, tuple):
            owner, values = found
            return assigned(owner, name, values, guard,
                            lambda value, inner: self.resolve(value, owner, depth + 1, inner))
        return self._imported(name, depth, guard)

    def _imported(self, name: str, depth: int, guard: Guard) -> list[Sym]:
        """Resolve a name imported with `from module import name` from a scanned module."""
        got = self.other(name)
        if got is None:
            return []
        module, inner = got
        return module._name(inner, module.top, depth + 1, guard) if inner is not None else []

    def _attribute(self, node: ast.Attribute, scope: Scope, depth: int,
                   guard: Guard) -> list[Sym]:
        """Resolve `Class.CONST`, `self.CONST`, `module.CONST` and `Enum.MEMBER.value`."""
        base = node.value
        if node.attr == "value" and isinstance(base, ast.Attribute):
            return self._attribute(base, scope, depth + 1, guard)
        if isinstance(base, ast.Name) and base.id in _SELF:
            klass = self.enclosing_class(scope)
            found = self.class_attr(klass, node.attr) if klass is not None else None
            if found is not None:
                return found[0].resolve(found[1], found[0].top, depth + 1, guard)
            values = klass.instance.get(node.attr, []) if klass is not None else []
            return dedupe([s for v in values  # `self.channel = channel_for(booking)` in __init__
                           for s in self.resolve(v, self.top, depth + 1, guard)])
        klass_found = self.class_named(base, scope)
        if klass_found is not None:
            found = klass_found[0].class_attr(klass_found[1], node.attr)
            return found[0].resolve(found[1], found[0].top, depth + 1, guard) if found else []
        if isinstance(base, ast.Name) and self.lookup(base.id, scope) is None:
            got = self.other(base.id)
            if got is not None and got[1] is None:
                return got[0]._name(node.attr, got[0].top, depth + 1, guard)
        return []

    def dict_of(self, node: ast.expr, scope: Scope,
                depth: int = 0) -> tuple[PyResolver, ast.Dict, Scope] | None:
        """Find the dict literal an expression refers to (a constant table, maybe imported)."""
        if depth > _MAX_DEPTH:
            return None
        if isinstance(node, ast.Dict):
            return self, node, scope
        if isinstance(node, ast.Name):
            found = self.lookup(node.id, scope)
            if isinstance(found, tuple):
                values = found[1]
                return self.dict_of(values[-1], found[0], depth + 1) if len(values) == 1 else None
            if found is None:
                got = self.other(node.id)
                if got is not None and got[1] is not None:
                    return got[0].dict_of(ast.Name(got[1]), got[0].top, depth + 1)
            return None
        if isinstance(node, ast.Attribute):
            klass = self.class_named(node.value, scope) if not (
                isinstance(node.value, ast.Name) and node.value.id in _SELF) else None
            if isinstance(node.value, ast.Name) and node.value.id in _SELF:
                owner = self.enclosing_class(scope)
                found_attr = self.class_attr(owner, node.attr) if owner is not None else None
            elif klass is not None:
                found_attr = klass[0].class_attr(klass[1], node.attr)
            else:
                found_attr = None
                if isinstance(node.value, ast.Name):
                    got = self.other(node.value.id)
                    if got is not None and got[1] is None:
                        return got[0].dict_of(ast.Name(node.attr), got[0].top, depth + 1)
            if found_attr is not None:
                return found_attr[0].dict_of(found_attr[1], found_attr[0].top, depth + 1)
        return None

    def _subscript(self, node: ast.Subscript, scope: Scope, depth: int,
                   guard: Guard) -> list[Sym]:
        """Resolve `EVENTS["message_created"]` on a constant dict (module, class, imported)."""
        keys = self.resolve(node.slice, scope, depth + 1, guard)
        names = [literal(k) for k in keys]
        table = self.dict_of(node.value, scope)
        if table is None:
            return []
        module, literal_dict, owner = table
        if len(names) != 1 or names[0] is None:  # a dispatch table read with a run-time key
            return dedupe([s for value in literal_dict.values
                           for s in module.resolve(value, owner, depth + 1, guard)])
        for key, value in zip(literal_dict.keys, literal_dict.values, strict=True):
            if isinstance(key, ast.Constant) and key.value == names[0]:
                return module.resolve(value, owner, depth + 1, guard)
        return []

    def _percent(self, node: ast.BinOp, scope: Scope, depth: int, guard: Guard) -> list[Sym]:
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
            pieces.append(got or [(Hole(source_text(arg) if arg is not None else ""),)])
        pieces.append([(fmt[last:],)])
        return concat_all(pieces)

    def _call(self, node: ast.Call, scope: Scope, depth: int, guard: Guard) -> list[Sym]:
        """Resolve `.format(...)`, `str(x)`, `list(x)` and calls to name-builder functions."""
        func = node.func
        if isinstance(func, ast.Attribute) and func.attr == "format":
            return self._format(node, scope, depth, guard)
        if isinstance(func, ast.Name) and func.id in ("str", "list", "tuple", "set") and \
                len(node.args) == 1:
            got = self.resolve(node.args[0], scope, depth + 1, guard)
            return got or ([(Hole(source_text(node.args[0])),)] if func.id == "str" else [])
        if isinstance(func, ast.Attribute) and func.attr == "get" and node.args:
            return self._subscript(ast.Subscript(func.value, node.args[0]), scope, depth, guard)
        target = self.function_for(func, scope)
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

        return fill_params(returns, callee.params, param)

    def _format(self, node: ast.Call, scope: Scope, depth: int, guard: Guard) -> list[Sym]:
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
            pieces.append(got or [(Hole(name or (source_text(arg) if arg is not None else "")),)])
        return concat_all(pieces)

    def method_of(self, klass: PyClass, name: str, depth: int = 0) -> tuple[PyResolver, Scope] | None:
        """Find a method by name on a class or its bases (across modules)."""
        for scope in self.functions.get(name, ()):
            if scope.cls == klass.name:
                return self, scope
        if depth > _MAX_DEPTH:
            return None
        for base in klass.node.bases:
            found = self.class_named(base, self.top, depth + 1)
            if found is not None:
                got = found[0].method_of(found[1], name, depth + 1)
                if got is not None:
                    return got
        return None

    def function_for(self, func: ast.expr, scope: Scope) -> tuple[PyResolver, Scope] | None:
        """Find the definition a call refers to: local, imported, a method, a static method."""
        if isinstance(func, ast.Name):
            local = [s for s in self.functions.get(func.id, ()) if s.cls is None]
            if local:
                return self, local[-1]
            got = self.other(func.id)
            if got is not None:
                module, name = got
                found = [s for s in module.functions.get(name or "", ()) if s.cls is None]
                if found:
                    return module, found[-1]
            return None
        if isinstance(func, ast.Attribute):
            if isinstance(func.value, ast.Name) and func.value.id in _SELF:
                klass = self.enclosing_class(scope)
                return self.method_of(klass, func.attr) if klass is not None else None
            klass_found = self.class_named(func.value, scope)
            if klass_found is not None:
                return klass_found[0].method_of(klass_found[1], func.attr)
            if isinstance(func.value, ast.Name) and self.lookup(func.value.id, scope) is None:
                got = self.other(func.value.id)
                if got is not None and got[1] is None:
                    found = [s for s in got[0].functions.get(func.attr, ()) if s.cls is None]
                    if found:
                        return got[0], found[-1]
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
