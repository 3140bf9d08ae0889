"""JS/TS name resolution (tree-sitter): scopes, imports, and expressions -> string templates."""

from __future__ import annotations

import codecs
from collections.abc import Callable
from typing import Any

from .jskeys import handler_keys
from .jsparse import MAX_DEPTH, Items, JsScope, Node, node_query
from .symbols import Guard, Hole, Param, ParamKeys, Sym, Value, assigned, concat_all, dedupe, fill_params

FUNCTIONS = frozenset({"function_declaration", "function_expression", "function", "arrow_function",
                       "method_definition", "generator_function_declaration",
                       "generator_function"})
_WRAPPED = frozenset({"parenthesized_expression", "as_expression", "non_null_expression",
                      "satisfies_expression", "await_expression", "type_assertion"})
_ITERATORS = frozenset({"forEach", "map", "flatMap", "filter", "some", "every", "find"})
_MEMO = frozenset({"useMemo", "useCallback", "useRef", "computed", "memo"})
__all__ = ["FUNCTIONS", "Items", "JsResolver", "JsScope"]

ModuleLoader = Callable[[str, str], "JsResolver | None"]


class JsResolver:
    """One parsed JS/TS file: scopes, imports, calls, and expression resolution."""

    def __init__(self, rel: str, source: bytes, root: Node,
                 loader: ModuleLoader | None = None, lang: str = "javascript") -> None:
        self.rel = rel
        self.src = source
        self.loader = loader
        self.top = JsScope("<module>", None)
        self.functions: dict[str, JsScope] = {}
        self.imports: dict[str, tuple[str, str]] = {}
        self.calls: list[tuple[Node, JsScope]] = []
        self.news: list[tuple[Node, JsScope]] = []
        self.enums: dict[str, Node] = {}
        self.scope_of: dict[tuple[int, int], JsScope] = {}
        self._build(root, lang)

    # -- helpers --------------------------------------------------------------------------
    def text(self, node: Node) -> str:
        """Return a node's source text."""
        return self.src[node.start_byte:node.end_byte].decode("utf-8", "replace")

    def where(self, node: Node) -> tuple[int, int]:
        """Return a node's 1-based line and character column."""
        start = node.start_byte
        line_start = self.src.rfind(b"\n", 0, start) + 1
        column = len(self.src[line_start:start].decode("utf-8", "replace")) + 1
        return node.start_point[0] + 1, column

    def origin(self, node: Node) -> str:
        """Identify a subscribe call so binds can find the channels it subscribed."""
        line, column = self.where(node)
        return f"{self.rel}:{line}:{column}"

    def short(self, node: Node | None) -> str:
        """Return a short rendering of an expression for messages."""
        if node is None:
            return ""
        text = " ".join(self.text(node).split())
        return text if len(text) <= 60 else text[:57] + "..."

    @staticmethod
    def unwrap(node: Node | None) -> Node | None:
        """Strip parentheses, `as`, `!` and `await` around an expression."""
        while node is not None and node.type in _WRAPPED:
            inner = [c for c in node.named_children if c.type not in ("type_annotation",)]
            node = inner[0] if inner else None
        return node

    @staticmethod
    def arguments(call: Node) -> list[Node]:
        """Return a call's arguments (comments dropped)."""
        args = call.child_by_field_name("arguments")
        return [a for a in args.named_children if a.type != "comment"] if args is not None else []

    # -- building -------------------------------------------------------------------------
    def _build(self, root: Node, lang: str) -> None:
        """Record scopes, assignments, imports and calls (nodes picked by a tree-sitter query)."""
        import tree_sitter

        captured = tree_sitter.QueryCursor(node_query(lang)).captures(root).get("node", [])
        captured.sort(key=lambda n: (n.start_byte, -n.end_byte))
        open_scopes: list[tuple[int, JsScope]] = [(len(self.src) + 1, self.top)]
        for node in captured:
            start = node.start_byte
            while open_scopes[-1][0] <= start and len(open_scopes) > 1:
                open_scopes.pop()
            scope = open_scopes[-1][1]
            kind = node.type
            if kind in FUNCTIONS:
                scope = self._function(node, scope)
                open_scopes.append((node.end_byte, scope))
                body = node.child_by_field_name("body")
                if body is not None and kind == "arrow_function" and body.type != "statement_block":
                    scope.returns.append(body)
            elif kind == "variable_declarator":
                self._declarator(node, scope)
            elif kind == "assignment_expression":
                self._assignment(node, scope)
            elif kind == "return_statement":
                values = node.named_children
                if values:
                    scope.returns.append(values[0])
            elif kind == "call_expression":
                self.calls.append((node, scope))
            elif kind == "new_expression":
                self.news.append((node, scope))
            elif kind == "import_statement":
                self._import(node)
            elif kind == "for_in_statement":
                left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
                if left is not None and right is not None and left.type == "identifier":
                    scope.assigns.setdefault(self.text(left), []).append(Items(right))
            elif kind == "enum_declaration":
                name = node.child_by_field_name("name")
                if name is not None:
                    self.enums[self.text(name)] = node.child_by_field_name("body")

    def _declarator(self, node: Node, scope: JsScope) -> None:
        """Record `const x = v` and `const { a, b: c } = v` (each name bound to a member)."""
        name, value = node.child_by_field_name("name"), node.child_by_field_name("value")
        if name is None or value is None:
            return
        if name.type == "identifier":
            scope.assigns.setdefault(self.text(name), []).append(value)
        elif name.type == "array_pattern":  # `const [state, dispatch] = useReducer(...)`
            index = 0
            for item in name.children:
                if item.type == ",":
                    index += 1
                elif item.type == "identifier":
                    scope.assigns.setdefault(self.text(item), []).append(Items(value, str(index)))
        elif name.type == "object_pattern":
            for item in name.named_children:
                if item.type == "shorthand_property_identifier_pattern":
                    scope.assigns.setdefault(self.text(item), []).append(
                        Items(value, self.text(item)))
                elif item.type == "pair_pattern":
                    key, local = item.child_by_field_name("key"), item.child_by_field_name("value")
                    if key is not None and local is not None and local.type == "identifier":
                        scope.assigns.setdefault(self.text(local), []).append(
                            Items(value, self.key_name(key)))

    def _function(self, node: Node, parent: JsScope) -> JsScope:
        """Create the scope of a function-like node and register it by name."""
        name_node = node.child_by_field_name("name")
        name = self.text(name_node) if name_node is not None else ""
        if not name and node.parent is not None and node.parent.type == "variable_declarator":
            declared = node.parent.child_by_field_name("name")
            name = self.text(declared) if declared is not None else ""
        params: list[str] = []
        defaults: dict[str, Node] = {}
        plist = node.child_by_field_name("parameters")
        single = node.child_by_field_name("parameter")
        items = plist.named_children if plist is not None else ([single] if single else [])
        for item in items:
            if item.type == "comment":
                continue
            pattern, default = item, None
            if item.type in ("required_parameter", "optional_parameter"):
                pattern = item.child_by_field_name("pattern") or item
                default = item.child_by_field_name("value")
            elif item.type == "assignment_pattern":
                pattern = item.child_by_field_name("left") or item
                default = item.child_by_field_name("right")
            label = self.text(pattern) if pattern.type == "identifier" else f"#{len(params)}"
            params.append(label)
            if default is not None:
                defaults[label] = default
        line = node.start_point[0] + 1
        scope = JsScope(name or "<anonymous>", parent, line, tuple(params), defaults, node=node)
        self.scope_of[(node.start_byte, node.end_byte)] = scope
        if name and name not in self.functions:
            self.functions[name] = scope
        return scope

    def _assignment(self, node: Node, scope: JsScope) -> None:
        """Record `x = v`, registries `channels[key] = pusher.subscribe(name)`, `this.ch = ...`."""
        left = node.child_by_field_name("left")
        right = node.child_by_field_name("right")
        if left is None or right is None:
            return
        if left.type == "identifier":
            name = self.text(left)
            target: JsScope | None = scope
            while target is not None and name not in target.assigns and \
                    name not in target.params and target.parent is not None:
                target = target.parent
            (target or scope).assigns.setdefault(name, []).append(right)
        elif left.type in ("subscript_expression", "member_expression"):
            self.top.assigns.setdefault(self.registry_key(left), []).append(right)

    def registry_key(self, node: Node) -> str:
        """Name a registry slot: `channels[key]` -> `channels[]`, `this.channel` as written."""
        if node.type == "subscript_expression":
            obj = node.child_by_field_name("object")
            return f"{self.text(obj) if obj is not None else '?'}[]"
        return self.text(node)

    def _import(self, node: Node) -> None:
        """Record `import x, {a as b} from './mod'` and `import * as ns from './mod'`."""
        source = node.child_by_field_name("source")
        if source is None:
            return
        spec = self.string(source)
        for clause in node.named_children:
            if clause.type != "import_clause":
                continue
            for item in clause.named_children:
                if item.type == "identifier":
                    self.imports[self.text(item)] = (spec, "default")
                elif item.type == "namespace_import":
                    for ident in item.named_children:
                        self.imports[self.text(ident)] = (spec, "*")
                elif item.type == "named_imports":
                    for specifier in item.named_children:
                        name = specifier.child_by_field_name("name")
                        alias = specifier.child_by_field_name("alias") or name
                        if name is not None and alias is not None:
                            self.imports[self.text(alias)] = (spec, self.text(name))

    def string(self, node: Node) -> str:
        """Decode a string literal node."""
        out: list[str] = []
        for child in node.named_children:
            if child.type == "escape_sequence":
                out.append(self._escape(child))
            else:
                out.append(self.text(child))
        return "".join(out)

    def _escape(self, node: Node) -> str:
        """Decode one escape sequence."""
        try:
            return codecs.decode(self.text(node), "unicode_escape")
        except UnicodeDecodeError:
            return self.text(node)

    # -- lookups ----------------------------------------------------------------------------
    def lookup(self, name: str, scope: JsScope) -> tuple[JsScope, list[Any]] | JsScope | None:
        """Find a name from a scope: (scope, assignments), the scope it is a parameter of, None."""
        current: JsScope | None = scope
        while current is not None:
            if name in current.assigns:
                return current, current.assigns[name]
            if name in current.params:
                return current
            current = current.parent
        return None

    def imported(self, name: str) -> tuple[JsResolver | None, str]:
        """Load the scanned module a name is imported from."""
        found = self.imports.get(name)
        if found is None or self.loader is None:
            return None, ""
        other = self.loader(found[0], self.rel)
        if other is None or other is self:
            return None, ""
        return other, found[1]

    def iteration_source(self, scope: JsScope, name: str) -> tuple[str, Node, JsScope] | None:
        """For a callback parameter of `xs.forEach(x => ...)`: ("items"|"keys", xs, its scope)."""
        node = scope.node
        args = node.parent if node is not None else None
        call = args.parent if args is not None else None
        if args is None or call is None or call.type != "call_expression" or \
                args.type != "arguments":
            return None
        func = self.unwrap(call.child_by_field_name("function"))
        if func is None or func.type != "member_expression":
            return None
        method = func.child_by_field_name("property")
        target = self.unwrap(func.child_by_field_name("object"))
        if method is None or target is None or self.text(method) not in _ITERATORS:
            return None
        index = scope.params.index(name)
        outer = self.scope_at(call)
        if self._is_map(target, outer):
            return ("keys", target, outer) if index == 1 and self.text(method) == "forEach" else None
        return ("items", target, outer) if index == 0 else None

    def scope_at(self, node: Node) -> JsScope:
        """Return the scope enclosing a node."""
        target = node.parent
        while target is not None and target.type not in FUNCTIONS:
            target = target.parent
        if target is None:
            return self.top
        return self.scope_of.get((target.start_byte, target.end_byte), self.top)

    def _is_map(self, node: Node, scope: JsScope, depth: int = 0) -> bool:
        """Tell whether an expression is a `new Map(...)` (directly or through a name)."""
        node = self.memo(self.unwrap(node))
        if node is None or depth > MAX_DEPTH:
            return False
        if node.type == "new_expression":
            ctor = node.child_by_field_name("constructor")
            return ctor is not None and self.text(ctor) == "Map"
        if node.type == "identifier":
            found = self.lookup(self.text(node), scope)
            if isinstance(found, tuple):
                return any(not isinstance(v, Items) and self._is_map(v, found[0], depth + 1)
                           for v in found[1])
        return False

    def memo(self, node: Node | None) -> Node | None:
        """See through `useMemo(() => x, deps)` and friends to `x`."""
        if node is None or node.type != "call_expression":
            return node
        func = self.unwrap(node.child_by_field_name("function"))
        if func is None or self.text(func).rsplit(".", 1)[-1] not in _MEMO:
            return node
        args = self.arguments(node)
        if not args:
            return node
        inner = self.unwrap(args[0])
        if inner is not None and inner.type == "arrow_function":
            body = inner.child_by_field_name("body")
            if body is not None and body.type != "statement_block":
                return self.unwrap(body)
            scope = self.scope_of.get((inner.start_byte, inner.end_byte))
            if scope is not None and len(scope.returns) == 1:
                return self.unwrap(scope.returns[0])
        return inner

    # -- resolution -----------------------------------------------------------------------
    def resolve(self, node: Node | None, scope: JsScope, depth: int = 0,
                guard: Guard = frozenset()) -> list[Sym]:
        """Resolve an expression to string alternatives (holes for unknowns); [] if unknown."""
        node = self.unwrap(node)
        if node is None or depth > MAX_DEPTH:
            return []
        kind = node.type
        if kind == "string":
            return [(self.string(node),)]
        if kind == "number":
            return [(self.text(node),)]
        if kind == "template_string":
            pieces: list[list[Sym]] = []
            for child in node.named_children:
                if child.type == "template_substitution":
                    inner = child.named_children[0] if child.named_children else None
                    got = self.resolve(inner, scope, depth + 1, guard)
                    pieces.append(got or [(Hole(self.short(inner)),)])
                elif child.type == "escape_sequence":
                    pieces.append([(self._escape(child),)])
                else:
                    pieces.append([(self.text(child),)])
            return concat_all(pieces)
        if kind == "binary_expression":
            operator = node.child_by_field_name("operator")
            left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
            if operator is not None and self.text(operator) in ("??", "||"):
                return dedupe([*self.resolve(left, scope, depth + 1, guard),
                               *self.resolve(right, scope, depth + 1, guard)])
            if operator is None or self.text(operator) != "+":
                return []
            got_left = self.resolve(left, scope, depth + 1, guard)
            got_right = self.resolve(right, scope, depth + 1, guard)
            if not got_left and not got_right:
                return []
            return concat_all([got_left or [(Hole(self.short(left)),)],
                               got_right or [(Hole(self.short(right)),)]])
        if kind == "ternary_expression":
            return dedupe([*self.resolve(node.child_by_field_name("consequence"), scope,
                                         depth + 1, guard),
                           *self.resolve(node.child_by_field_name("alternative"), scope,
                                         depth + 1, guard)])
        if kind == "array":
            return dedupe([s for e in node.named_children
                           for s in self.resolve(e, scope, depth + 1, guard)])
        if kind == "identifier":
            return self._name(self.text(node), scope, depth, guard)
        if kind == "member_expression":
            return self._member(node, scope, depth, guard)
        if kind == "call_expression":
            return self._call(node, scope, depth, guard)
        return []

    def _name(self, name: str, scope: JsScope, depth: int, guard: Guard) -> list[Sym]:
        """Resolve an identifier: declarations, parameters (closures, iteration), imports."""
        found = self.lookup(name, scope)
        if isinstance(found, JsScope):
            source = self.iteration_source(found, name)
            if source is None:
                return [(Param(name),)]
            kind, target, outer = source
            if kind == "keys":
                got = handler_keys(self, target, outer)
                return [v.sym for v in got] if isinstance(got, list) else \
                    ([(ParamKeys(got),)] if isinstance(got, str) else [])
            return self.resolve(target, outer, depth + 1, guard)
        if isinstance(found, tuple):
            owner, values = found

            def one(value: Any, inner: Guard) -> list[Sym]:
                """Resolve one assignment (an item of an iterated collection, or an expression)."""
                if not isinstance(value, Items):
                    return self.resolve(value, owner, depth + 1, inner)
                if value.key is None:
                    return self.resolve(value.node, owner, depth + 1, inner)
                return self._property_of(value.node, value.key, owner, depth + 1, inner)

            return assigned(owner, name, values, guard, one)
        other, exported = self.imported(name)
        if other is not None and exported not in ("*", "default"):
            return other._name(exported, other.top, depth + 1, guard)
        return []

    def object_of(self, node: Node | None, scope: JsScope,
                  depth: int = 0) -> tuple[JsResolver, Node] | None:
        """Find the object literal (or Map constructor) an expression refers to."""
        node = self.memo(self.unwrap(node))
        if node is None or depth > MAX_DEPTH:
            return None
        if node.type in ("object", "new_expression"):
            return self, node
        if node.type == "identifier":
            name = self.text(node)
            if name in self.enums and self.lookup(name, scope) is None:
                return self, self.enums[name]
            found = self.lookup(name, scope)
            if isinstance(found, tuple):
                values = [v for v in found[1] if not isinstance(v, Items)]
                return self.object_of(values[0], found[0], depth + 1) if len(values) == 1 \
                    else None
            if found is None:
                other, exported = self.imported(name)
                if other is not None and exported not in ("*", "default"):
                    if exported in other.enums:
                        return other, other.enums[exported]
                    values = [v for v in other.top.assigns.get(exported, [])
                              if not isinstance(v, Items)]
                    return other.object_of(values[0], other.top, depth + 1) \
                        if len(values) == 1 else None
        if node.type == "call_expression":  # a factory: `makeHandlers(dispatch)` returns the map
            target = self.function_for(node.child_by_field_name("function"), scope, depth + 1)
            if target is not None and len(target[1].returns) == 1:
                return target[0].object_of(target[1].returns[0], target[1], depth + 1)
            return None
        if node.type == "member_expression":
            obj, prop = node.child_by_field_name("object"), node.child_by_field_name("property")
            holder = self.object_of(obj, scope, depth + 1)
            if holder is not None and prop is not None:
                value = holder[0].property(holder[1], self.text(prop))
                if value is not None:
                    return holder[0].object_of(value, holder[0].top, depth + 1)
        return None

    def property(self, obj: Node, key: str) -> Node | None:
        """Return the value of `key` in an object literal (a method counts as its function)."""
        for pair in obj.named_children:
            if pair.type in ("pair", "enum_assignment"):
                key_node = pair.child_by_field_name("key") or pair.child_by_field_name("name")
                if key_node is not None and self.key_name(key_node) == key:
                    return pair.child_by_field_name("value")
            elif pair.type == "method_definition":
                name = pair.child_by_field_name("name")
                if name is not None and self.key_name(name) == key:
                    return pair
        return None

    def key_name(self, node: Node) -> str | None:
        """Return the name of an object key (identifier or string), or None if computed."""
        if node.type in ("property_identifier", "identifier", "shorthand_property_identifier"):
            return self.text(node)
        if node.type == "string":
            return self.string(node)
        if node.type == "number":
            return self.text(node)
        return None

    def _property_of(self, node: Node, key: str, scope: JsScope, depth: int,
                     guard: Guard) -> list[Sym]:
        """Resolve `node[key]` for a destructured name."""
        holder = self.object_of(node, scope, depth)
        if holder is None:
            return []
        value = holder[0].property(holder[1], key)
        return holder[0].resolve(value, holder[0].top, depth + 1, guard) if value is not None else []

    def _member(self, node: Node, scope: JsScope, depth: int, guard: Guard) -> list[Sym]:
        """Resolve `CHANNELS.guestChat` (object literal, enum, or a namespace import)."""
        obj, prop = node.child_by_field_name("object"), node.child_by_field_name("property")
        if obj is None or prop is None:
            return []
        if obj.type == "identifier" and self.imports.get(self.text(obj), ("", ""))[1] == "*":
            other, _ = self.imported(self.text(obj))
            if other is not None:
                return other._name(self.text(prop), other.top, depth + 1, guard)
        return self._property_of(obj, self.text(prop), scope, depth, guard)

    def _call(self, node: Node, scope: JsScope, depth: int, guard: Guard) -> list[Sym]:
        """Resolve name-building functions, `String(x)`, `[a, b].join('-')`, `Object.keys(o)`."""
        func = self.unwrap(node.child_by_field_name("function"))
        args = self.arguments(node)
        if func is None:
            return []
        text = self.text(func)
        if text == "String" and len(args) == 1:
            return self.resolve(args[0], scope, depth + 1, guard) or [(Hole(self.short(args[0])),)]
        if text in ("Object.keys", "Object.values") and len(args) == 1:
            keyed = handler_keys(self, args[0], scope, values=text == "Object.values")
            return [v.sym for v in keyed] if isinstance(keyed, list) else []
        if func.type == "member_expression":
            prop = func.child_by_field_name("property")
            obj = self.unwrap(func.child_by_field_name("object"))
            name = self.text(prop) if prop is not None else ""
            if name == "toString" and obj is not None:
                return self.resolve(obj, scope, depth + 1, guard)
            if name == "join" and obj is not None and obj.type == "array":
                separator: list[Sym] = self.resolve(args[0], scope, depth + 1, guard) \
                    if args else [(",",)]
                if len(separator) != 1:
                    return []
                pieces: list[list[Sym]] = []
                for index, element in enumerate(obj.named_children):
                    if index:
                        pieces.append(separator)
                    got_element: list[Sym] = self.resolve(element, scope, depth + 1, guard)
                    pieces.append(got_element or [(Hole(self.short(element)),)])
                return concat_all(pieces)
        target = self.function_for(func, scope)
        if target is None:
            return []
        module, callee = target
        returns: list[Sym] = []
        for expr in callee.returns:
            returns.extend(module.resolve(expr, callee, depth + 1, guard))

        def argument(name: str) -> list[Sym]:
            """Resolve a parameter of the callee from the call's arguments or its default."""
            index = callee.params.index(name)
            if index < len(args):
                return self.resolve(args[index], scope, depth + 1, guard)
            if name in callee.defaults:
                return module.resolve(callee.defaults[name], module.top, depth + 1, guard)
            return []

        return fill_params(returns, callee.params, argument)

    def function_for(self, func: Node, scope: JsScope | None = None,
                     depth: int = 0) -> tuple[JsResolver, JsScope] | None:
        """Find the function a call refers to: local, imported, `ns.fn`, `obj.method`."""
        func = self.unwrap(func)
        if func is None or depth > MAX_DEPTH:
            return None
        if func.type == "identifier":
            name = self.text(func)
            found = self.lookup(name, scope) if scope is not None else None
            if isinstance(found, tuple):
                values = [v for v in found[1] if not isinstance(v, Items)]
                if len(values) == 1 and values[0].type in FUNCTIONS:
                    got = self.scope_of.get((values[0].start_byte, values[0].end_byte))
                    return (self, got) if got is not None else None
            if name in self.functions:
                return self, self.functions[name]
            other, exported = self.imported(name)
            if other is not None and exported != "default" and exported in other.functions:
                return other, other.functions[exported]
            return None
        if func.type == "member_expression":
            obj, prop = func.child_by_field_name("object"), func.child_by_field_name("property")
            if obj is None or prop is None:
                return None
            if obj.type == "identifier":
                other, exported = self.imported(self.text(obj))
                if other is not None and exported == "*" and self.text(prop) in other.functions:
                    return other, other.functions[self.text(prop)]
            holder = self.object_of(obj, scope or self.top, depth + 1)
            if holder is not None:
                value = holder[0].unwrap(holder[0].property(holder[1], self.text(prop)))
                if value is not None and value.type in FUNCTIONS:
                    got = holder[0].scope_of.get((value.start_byte, value.end_byte))
                    return (holder[0], got) if got is not None else None
        return None

    def values(self, node: Node | None, scope: JsScope) -> list[Value]:
        """Resolve an argument to located values ([] when it cannot be resolved)."""
        if node is None:
            return []
        line, column = self.where(node)
        return [Value(sym, line, column) for sym in self.resolve(node, scope)]
