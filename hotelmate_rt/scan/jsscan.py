"""JS/TS/JSX/TSX analyzer (tree-sitter): subscribe/bind sites and Pusher client options."""

from __future__ import annotations

import codecs
import posixpath
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from .common import PendingSite, Wrapper, instantiate, site_has_params
from .model import ClientConfig, Payload, Side, Site, SiteKind
from .symbols import Hole, Param, ParamKeys, Sym, Value, concat_all, dedupe

_PUSHER = re.compile(r"pusher", re.IGNORECASE)
_CHANNELISH = re.compile(r"channel|chan\b|ch\b", re.IGNORECASE)
_FUNCTIONS = frozenset({"function_declaration", "function_expression", "function", "arrow_function",
                        "method_definition", "generator_function_declaration",
                        "generator_function"})
_WRAPPED = frozenset({"parenthesized_expression", "as_expression", "non_null_expression",
                      "satisfies_expression", "await_expression", "type_assertion"})
_AUTH_KEYS = frozenset({"auth", "authEndpoint", "authorizer", "channelAuthorization"})
_BIND_METHODS = frozenset({"bind", "unbind", "bind_global", "unbind_global", "unbind_all"})
_MAX_DEPTH = 8
_EXTENSIONS = (".js", ".jsx", ".ts", ".tsx", ".mjs", ".cjs", ".mts", ".cts")

Node = Any
ModuleLoader = Callable[[str, str], "JsModule | None"]


@cache
def parser_for(lang: str) -> Any:
    """Return a tree-sitter parser for javascript (with JSX), typescript or tsx."""
    import tree_sitter

    if lang == "javascript":
        import tree_sitter_javascript

        language = tree_sitter.Language(tree_sitter_javascript.language())
    else:
        import tree_sitter_typescript

        language = tree_sitter.Language(tree_sitter_typescript.language_tsx() if lang == "tsx"
                                        else tree_sitter_typescript.language_typescript())
    return tree_sitter.Parser(language)


_QUERY_TEXT = """[(call_expression) (new_expression) (variable_declarator) (assignment_expression)
 (return_statement) (import_statement) (function_declaration) (function_expression)
 (arrow_function) (method_definition) (generator_function_declaration)] @node"""


@cache
def _query(lang: str) -> Any:
    """Return the compiled query that picks the node kinds the analyzer records."""
    import tree_sitter

    return tree_sitter.Query(parser_for(lang).language, _QUERY_TEXT)


def first_error(root: Node) -> Node | None:
    """Return the first ERROR or MISSING node of a tree, or None."""
    stack = [root]
    while stack:
        node = stack.pop()
        if node.type == "ERROR" or node.is_missing:
            return node
        if node.has_error:
            stack.extend(reversed(node.children))
    return None


@dataclass(slots=True, eq=False)
class JsScope:
    """A function (or the module): parameters, assignments, return expressions."""

    name: str
    parent: JsScope | None
    line: int = 0
    params: tuple[str, ...] = ()
    defaults: dict[str, Node] = field(default_factory=dict)
    assigns: dict[str, list[Node]] = field(default_factory=dict)
    returns: list[Node] = field(default_factory=list)


class JsModule:
    """One parsed JS/TS file: scopes, imports, calls, registries and Pusher clients."""

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
        self.registries: dict[str, list[str]] = {}
        self.clients: dict[str, ClientConfig] = {}
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

    def _short(self, node: Node | None) -> str:
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

    # -- building -------------------------------------------------------------------------
    def _build(self, root: Node, lang: str) -> None:
        """Record scopes, assignments, imports and calls (nodes picked by a tree-sitter query)."""
        import tree_sitter

        captured = tree_sitter.QueryCursor(_query(lang)).captures(root).get("node", [])
        captured.sort(key=lambda n: (n.start_byte, -n.end_byte))
        open_scopes: list[tuple[int, JsScope]] = [(len(self.src) + 1, self.top)]
        for node in captured:
            start = node.start_byte
            while open_scopes[-1][0] <= start and len(open_scopes) > 1:
                open_scopes.pop()
            scope = open_scopes[-1][1]
            kind = node.type
            if kind in _FUNCTIONS:
                scope = self._function(node, scope)
                open_scopes.append((node.end_byte, scope))
                body = node.child_by_field_name("body")
                if body is not None and kind == "arrow_function" and body.type != "statement_block":
                    scope.returns.append(body)
            elif kind == "variable_declarator":
                name, value = node.child_by_field_name("name"), node.child_by_field_name("value")
                if name is not None and value is not None and name.type == "identifier":
                    scope.assigns.setdefault(self.text(name), []).append(value)
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
        scope = JsScope(name or "<anonymous>", parent, line, tuple(params), defaults)
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
            self.top.assigns.setdefault(self._registry_key(left), []).append(right)

    def _registry_key(self, node: Node) -> str:
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
        spec = self._string(source)
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

    def _string(self, node: Node) -> str:
        """Decode a string literal node."""
        out: list[str] = []
        for child in node.named_children:
            if child.type == "escape_sequence":
                try:
                    out.append(codecs.decode(self.text(child), "unicode_escape"))
                except UnicodeDecodeError:
                    out.append(self.text(child))
            else:
                out.append(self.text(child))
        return "".join(out)

    # -- resolution -----------------------------------------------------------------------
    def resolve(self, node: Node | None, scope: JsScope, depth: int = 0,
                guard: frozenset[tuple[int, str]] = frozenset()) -> list[Sym]:
        """Resolve an expression to string alternatives (holes for unknowns); [] if unknown."""
        node = self.unwrap(node)
        if node is None or depth > _MAX_DEPTH:
            return []
        kind = node.type
        if kind == "string":
            return [(self._string(node),)]
        if kind == "number":
            return [(self.text(node),)]
        if kind == "template_string":
            pieces: list[list[Sym]] = []
            for child in node.named_children:
                if child.type == "template_substitution":
                    inner = child.named_children[0] if child.named_children else None
                    got = self.resolve(inner, scope, depth + 1, guard)
                    pieces.append(got or [(Hole(self._short(inner)),)])
                elif child.type == "escape_sequence":
                    pieces.append([(self._string_piece(child),)])
                else:
                    pieces.append([(self.text(child),)])
            return concat_all(pieces)
        if kind == "binary_expression":
            operator = node.child_by_field_name("operator")
            if operator is None or self.text(operator) != "+":
                return []
            left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
            got_left = self.resolve(left, scope, depth + 1, guard)
            got_right = self.resolve(right, scope, depth + 1, guard)
            if not got_left and not got_right:
                return []
            return concat_all([got_left or [(Hole(self._short(left)),)],
                               got_right or [(Hole(self._short(right)),)]])
        if kind == "ternary_expression":
            return dedupe([*self.resolve(node.child_by_field_name("consequence"), scope,
                                         depth + 1, guard),
                           *self.resolve(node.child_by_field_name("alternative"), scope,
                                         depth + 1, guard)])
        if kind == "identifier":
            return self._name(self.text(node), scope, depth, guard)
        if kind == "member_expression":
            return self._member(node, scope, depth, guard)
        if kind == "call_expression":
            return self._call(node, scope, depth, guard)
        return []

    def _string_piece(self, node: Node) -> str:
        """Decode one escape sequence of a template literal."""
        try:
            return codecs.decode(self.text(node), "unicode_escape")
        except UnicodeDecodeError:
            return self.text(node)

    def _name(self, name: str, scope: JsScope, depth: int,
              guard: frozenset[tuple[int, str]]) -> list[Sym]:
        """Resolve an identifier: declarations in enclosing scopes, parameters, imports."""
        current: JsScope | None = scope
        while current is not None:
            key = (id(current), name)
            if name in current.assigns:
                if key in guard:
                    return []
                out: list[Sym] = []
                for value in current.assigns[name]:
                    out.extend(self.resolve(value, current, depth + 1, guard | {key}))
                return dedupe(out)
            if name in current.params:
                return [(Param(name),)] if current is scope else []
            current = current.parent
        other, exported = self._imported(name)
        if other is not None and exported not in ("*", "default"):
            return other._name(exported, other.top, depth + 1, guard)
        return []

    def _imported(self, name: str) -> tuple[JsModule | None, str]:
        """Load the scanned module a name is imported from."""
        found = self.imports.get(name)
        if found is None or self.loader is None:
            return None, ""
        other = self.loader(found[0], self.rel)
        if other is None or other is self:
            return None, ""
        return other, found[1]

    def _object_of(self, node: Node | None, scope: JsScope, depth: int = 0) -> \
            tuple[JsModule, Node] | None:
        """Find the object literal an expression refers to (directly or through names)."""
        node = self.unwrap(node)
        if node is None or depth > _MAX_DEPTH:
            return None
        if node.type == "object":
            return self, node
        if node.type == "identifier":
            name = self.text(node)
            current: JsScope | None = scope
            while current is not None:
                if name in current.assigns:
                    values = current.assigns[name]
                    return self._object_of(values[0], current, depth + 1) if len(values) == 1 \
                        else None
                if name in current.params:
                    return None
                current = current.parent
            other, exported = self._imported(name)
            if other is not None and exported not in ("*", "default"):
                return other._object_of_name(exported, depth + 1)
        return None

    def _object_of_name(self, name: str, depth: int) -> tuple[JsModule, Node] | None:
        """Find a module-level object literal by name."""
        values = self.top.assigns.get(name, [])
        return self._object_of(values[0], self.top, depth) if len(values) == 1 else None

    def _property(self, obj: Node, key: str) -> Node | None:
        """Return the value of `key` in an object literal."""
        for pair in obj.named_children:
            if pair.type == "pair":
                key_node = pair.child_by_field_name("key")
                if key_node is not None and self._key_name(key_node) == key:
                    return pair.child_by_field_name("value")
        return None

    def _key_name(self, node: Node) -> str | None:
        """Return the name of an object key (identifier or string), or None if computed."""
        if node.type in ("property_identifier", "identifier", "shorthand_property_identifier"):
            return self.text(node)
        if node.type == "string":
            return self._string(node)
        if node.type == "number":
            return self.text(node)
        return None

    def _member(self, node: Node, scope: JsScope, depth: int,
                guard: frozenset[tuple[int, str]]) -> list[Sym]:
        """Resolve `CHANNELS.guestChat` where CHANNELS is an object literal."""
        obj, prop = node.child_by_field_name("object"), node.child_by_field_name("property")
        if obj is None or prop is None:
            return []
        if obj.type == "identifier" and self.imports.get(self.text(obj), ("", ""))[1] == "*":
            other = self.loader(self.imports[self.text(obj)][0], self.rel) if self.loader else None
            if other is not None and other is not self:
                return other._name(self.text(prop), other.top, depth + 1, guard)
        found = self._object_of(obj, scope)
        if found is None:
            return []
        module, literal = found
        value = module._property(literal, self.text(prop))
        return module.resolve(value, module.top, depth + 1, guard) if value is not None else []

    def _call(self, node: Node, scope: JsScope, depth: int,
              guard: frozenset[tuple[int, str]]) -> list[Sym]:
        """Resolve calls to name-building functions, `String(x)` and `[a, b].join('-')`."""
        func = self.unwrap(node.child_by_field_name("function"))
        args_node = node.child_by_field_name("arguments")
        args = [a for a in args_node.named_children if a.type != "comment"] if args_node else []
        if func is None:
            return []
        if func.type == "identifier" and self.text(func) == "String" and len(args) == 1:
            return self.resolve(args[0], scope, depth + 1, guard) or [(Hole(self._short(args[0])),)]
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
                    pieces.append(got_element or [(Hole(self._short(element)),)])
                return concat_all(pieces)
        target = self._function_for(func)
        if target is None:
            return []
        module, callee = target
        returns: list[Sym] = []
        for expr in callee.returns:
            returns.extend(module.resolve(expr, callee, depth + 1, guard))
        out: list[Sym] = []
        for sym in returns:
            pieces = []
            for part in sym:
                if isinstance(part, Param):
                    index = callee.params.index(part.name) if part.name in callee.params else -1
                    got: list[Sym] = []
                    if 0 <= index < len(args):
                        got = self.resolve(args[index], scope, depth + 1, guard)
                    elif part.name in callee.defaults:
                        got = module.resolve(callee.defaults[part.name], module.top, depth + 1,
                                             guard)
                    pieces.append(got or [(Hole(part.name),)])
                else:
                    pieces.append([(part,)])
            out.extend(concat_all(pieces))
        return dedupe(out)

    def _function_for(self, func: Node) -> tuple[JsModule, JsScope] | None:
        """Find the function a call refers to (local, imported, or `ns.fn` of an import)."""
        if func.type == "identifier":
            name = self.text(func)
            if name in self.functions:
                return self, self.functions[name]
            other, exported = self._imported(name)
            if other is not None:
                if exported == "default":
                    return None
                if exported in other.functions:
                    return other, other.functions[exported]
            return None
        if func.type == "member_expression":
            obj, prop = func.child_by_field_name("object"), func.child_by_field_name("property")
            if obj is not None and prop is not None and obj.type == "identifier":
                other, exported = self._imported(self.text(obj))
                if other is not None and exported == "*" and self.text(prop) in other.functions:
                    return other, other.functions[self.text(prop)]
        return None

    def values(self, node: Node | None, scope: JsScope) -> list[Value]:
        """Resolve an argument to located values ([] when it cannot be resolved)."""
        if node is None:
            return []
        line, column = self.where(node)
        return [Value(sym, line, column) for sym in self.resolve(node, scope)]

    def keys(self, node: Node | None, scope: JsScope) -> list[Value] | str | None:
        """Return the keys of a handler map, or the parameter name it comes from, or None."""
        node = self.unwrap(node)
        if node is None:
            return None
        if node.type == "identifier":
            name = self.text(node)
            current: JsScope | None = scope
            while current is not None:
                if name in current.assigns:
                    break
                if name in current.params:
                    return name if current is scope else None
                current = current.parent
        found = self._object_of(node, scope)
        if found is None:
            return None
        module, obj = found
        out: list[Value] = []
        for child in obj.named_children:
            key_node = child.child_by_field_name("key") if child.type == "pair" else \
                child.child_by_field_name("name") if child.type == "method_definition" else \
                child if child.type == "shorthand_property_identifier" else None
            if key_node is None:
                continue
            key = module._key_name(key_node)
            if key is None:
                continue
            line, column = module.where(key_node)
            out.append(Value((key,), line, column))
        return out

    # -- sites ------------------------------------------------------------------------------
    def _is_pusher(self, node: Node | None, scope: JsScope) -> bool:
        """Tell whether an expression is a Pusher client (by name, `new Pusher` or import)."""
        node = self.unwrap(node)
        if node is None:
            return False
        text = self.text(node)
        if _PUSHER.search(text):
            return True
        if node.type == "identifier":
            current: JsScope | None = scope
            while current is not None:
                for value in current.assigns.get(text, ()):
                    value = self.unwrap(value)
                    if value is not None and _PUSHER.search(self.text(value)[:80]):
                        return True
                current = current.parent
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
        args_node = node.child_by_field_name("arguments")
        args = args_node.named_children if args_node is not None else []
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
        found = self._object_of(args[1], scope) if len(args) > 1 else None
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
                key = module._key_name(key_node) if key_node is not None else None
                if key in _AUTH_KEYS:
                    auth = True
                    value = self.unwrap(child.child_by_field_name("value"))
                    if value is not None and value.type == "object" and \
                            module._property(value, "headers") is not None:
                        headers = True
        site.client = ClientConfig(name, auth, headers, self.rel, line)
        self.clients[name] = site.client
        return site

    def _direct(self, node: Node, scope: JsScope) -> tuple[Site, JsScope] | None:
        """Build the site of a subscribe/bind/unbind call, or None for other calls."""
        func = self.unwrap(node.child_by_field_name("function"))
        if func is None or func.type != "member_expression":
            return None
        prop = func.child_by_field_name("property")
        receiver = self.unwrap(func.child_by_field_name("object"))
        method = self.text(prop) if prop is not None else ""
        args_node = node.child_by_field_name("arguments")
        args = [a for a in args_node.named_children if a.type != "comment"] if args_node else []
        line, column = self.where(node)
        if method == "subscribe":
            if not self._is_pusher(receiver, scope):
                return None
            site = Site(SiteKind.SUBSCRIBE, Side.FRONTEND, self.rel, line, column,
                        origin=self.origin(node))
            site.channels = tuple(self.values(args[0] if args else None, scope))
            if not site.channels:
                site.unresolved = f"could not resolve channel `{self._short(args[0])}`" if args \
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
            if not (_CHANNELISH.search(receiver_text) or self._is_pusher(receiver, scope)):
                return None
            origins = []
        kind = {"bind": SiteKind.BIND, "bind_global": SiteKind.BIND_GLOBAL}.get(method,
                                                                               SiteKind.UNBIND)
        site = Site(kind, Side.FRONTEND, self.rel, line, column, receivers=tuple(origins))
        if method in ("bind", "unbind") and args:
            event = self.unwrap(args[0])
            if event is not None and event.type in ("arrow_function", "function_expression",
                                                    "function", "this"):
                return None
            handler_map = self._handler_map(event, node)
            if handler_map is not None:
                got = self.keys(handler_map[0], handler_map[1])
                if isinstance(got, str):
                    site.events = (Value((ParamKeys(got),), line, column),)
                elif got is None:
                    site.unresolved = f"could not resolve the handler map of `{self._short(event)}`"
                else:
                    site.events = tuple(got)
                return site, handler_map[1]
            site.events = tuple(self.values(event, scope))
            if not site.events:
                site.unresolved = f"could not resolve event `{self._short(event)}`"
        elif method == "bind":
            return None
        return site, scope

    def _client_of(self, receiver: Node | None) -> ClientConfig | None:
        """Find the `new Pusher` a subscribe goes through (same file, or the imported one)."""
        if receiver is None:
            return None
        text = self.text(receiver)
        if text in self.clients:
            return self.clients[text]
        if receiver.type == "identifier":
            other, exported = self._imported(text)
            if other is not None:
                return other.clients.get(exported)
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
            name = self.text(node)
            current: JsScope | None = scope
            while current is not None:
                if name in current.assigns:
                    found: list[str] = []
                    for value in current.assigns[name]:
                        got = self._origins(value, current, depth + 1)
                        if got is None:
                            return None
                        found.extend(got)
                    return found
                if name in current.params:
                    return None
                current = current.parent
            return None
        if node.type in ("subscript_expression", "member_expression"):
            key = self._registry_key(node)
            values = self.top.assigns.get(key)
            if values is None:
                return None
            found = []
            for value in values:
                got = self._origins(value, scope, depth + 1)
                if got is not None:
                    found.extend(got)
            return found or None
        return None

    def _handler_map(self, event: Node | None, call: Node) -> tuple[Node, JsScope] | None:
        """Find H in `Object.entries(H).forEach(([event, fn]) => ch.bind(event, fn))` forms."""
        if event is None or event.type != "identifier":
            return None
        name = self.text(event)
        node = call.parent
        while node is not None:
            if node.type in _FUNCTIONS:
                if not self._declares(node.child_by_field_name("parameters")
                                      or node.child_by_field_name("parameter"), name, first=True):
                    return None
                args = node.parent
                outer = args.parent if args is not None else None
                if outer is None or outer.type != "call_expression":
                    return None
                func = outer.child_by_field_name("function")
                if func is None or func.type != "member_expression":
                    return None
                source = self._entries_source(func.child_by_field_name("object"))
                return (source, self._scope_at(outer)) if source is not None else None
            if node.type == "for_in_statement":
                left = node.child_by_field_name("left")
                if left is not None and self._declares(left, name, first=True):
                    right = node.child_by_field_name("right")
                    operator = node.child_by_field_name("operator")
                    if operator is not None and self.text(operator) == "in":
                        return (right, self._scope_at(node)) if right is not None else None
                    source = self._entries_source(right)
                    return (source, self._scope_at(node)) if source is not None else None
            node = node.parent
        return None

    def _declares(self, pattern: Node | None, name: str, first: bool) -> bool:
        """Tell whether a parameter list/pattern declares `name` (as its first element)."""
        if pattern is None:
            return False
        if pattern.type == "identifier":
            return self.text(pattern) == name
        children = [c for c in pattern.named_children if c.type != "comment"]
        if pattern.type in ("formal_parameters", "array_pattern") and children:
            head = children[0]
            if head.type in ("required_parameter", "optional_parameter"):
                head = head.child_by_field_name("pattern") or head
            return self._declares(head, name, first) if first else \
                any(self._declares(c, name, first) for c in children)
        return False

    def _entries_source(self, node: Node | None) -> Node | None:
        """Return H from `Object.entries(H)` / `Object.keys(H)`."""
        node = self.unwrap(node)
        if node is None or node.type != "call_expression":
            return None
        func = node.child_by_field_name("function")
        if func is None or self.text(func) not in ("Object.entries", "Object.keys"):
            return None
        args = node.child_by_field_name("arguments")
        named = args.named_children if args is not None else []
        return named[0] if named else None

    def _scope_at(self, node: Node) -> JsScope:
        """Return the scope enclosing a node (by matching the recorded call's scope)."""
        target = node
        while target is not None and target.type not in _FUNCTIONS:
            target = target.parent
        if target is None:
            return self.top
        return self.scope_of.get((target.start_byte, target.end_byte), self.top)

    def _pending(self, site: Site, scope: JsScope) -> PendingSite:
        """Attach the enclosing function when the site depends on its parameters."""
        if scope.parent is not None and site_has_params(site):
            return PendingSite(site, scope.name, scope.params, scope.line)
        return PendingSite(site)

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
        """Yield the sites produced by calls to known wrapper functions."""
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
                wrapper.called = True
                yield from self._instantiate(wrapper, node, scope)

    def _instantiate(self, wrapper: Wrapper, call: Node, scope: JsScope) -> Iterator[PendingSite]:
        """Substitute a wrapper call's arguments into each of the wrapper's site templates."""
        args_node = call.child_by_field_name("arguments")
        args = [a for a in args_node.named_children if a.type != "comment"] if args_node else []
        bound = dict(zip(wrapper.params, args, strict=False))
        line, column = self.where(call)

        def resolve(name: str) -> list[Value]:
            """Resolve the argument bound to a wrapper parameter."""
            return self.values(bound.get(name), scope)

        def keys(name: str) -> list[Value] | None:
            """Read the handler map passed as a wrapper parameter."""
            got = self.keys(bound.get(name), scope)
            if isinstance(got, str):
                return [Value((ParamKeys(got),), line, column)]
            return got

        def payload(_name: str) -> Payload | str | None:
            """Frontend sites carry no payloads."""
            return None

        for template in wrapper.templates:
            site = instantiate(template, self.rel, line, column, wrapper.label, resolve, keys,
                               payload)
            yield self._pending(site, scope)


def resolve_import(spec: str, from_rel: str, known: set[str]) -> str | None:
    """Map an import specifier to a scanned file's relative path, or None."""
    if spec.startswith("@/"):
        base = "src/" + spec[2:]
    elif spec.startswith("."):
        base = posixpath.normpath(posixpath.join(posixpath.dirname(from_rel), spec))
    else:
        return None
    if base in known:
        return base
    for ext in _EXTENSIONS:
        if base + ext in known:
            return base + ext
    for ext in _EXTENSIONS:
        if f"{base}/index{ext}" in known:
            return f"{base}/index{ext}"
    return None
