"""Which values an effect depends on: the names a React effect reads, where each is declared
(a prop, state, a stable hook result, a plain value) and which of them its dependency list leaves
out. `ReactView` (reacteffects.py) reads effects through this."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from .jsresolve import FUNCTIONS

if TYPE_CHECKING:
    from .jsscan import JsModule
    from .reacteffects import Effect

Node = Any
STATE_HOOKS = frozenset({"useState", "useReducer"})
STABLE_HOOKS = frozenset({"useRef", "useDispatch", "useQueryClient", "useNavigate"})
HOOK = re.compile(r"use[A-Z0-9]")
CLASSES = frozenset({"class_declaration", "class", "abstract_class_declaration"})
MAX_DEPTH = 6


def callee(module: JsModule, call: Node) -> str:
    """Return the name a call calls, without a `React.` prefix (`React.useEffect` -> useEffect)."""
    func = module.unwrap(call.child_by_field_name("function"))
    text = module.text(func) if func is not None else ""
    return text[6:] if text.startswith("React.") else text


class DependencyReader:
    """Read an effect's dependencies in one module (declarations cached per function)."""

    module: JsModule
    _declared: dict[int, dict[str, tuple[str, Node | None]]]
    _found: dict[tuple[str, int], tuple[Node, tuple[str, Node | None]] | None]

    def stable(self, effect: Effect) -> tuple[str, ...]:
        """Name the dependencies that never change between renders: module-level names, state
        setters, refs, `dispatch`, and memoised values with empty dependencies."""
        out: list[str] = []
        for dep in effect.deps or ():
            if not dep.replace(".", "").replace("_", "").replace("$", "").isalnum():
                continue
            found = self._declaration(dep.split(".", 1)[0], effect.call)
            if found is None:
                out.append(dep)
                continue
            kind, value = found[1]
            value = self.module.unwrap(value)
            if kind == "stable" or (kind == "value" and value is not None and (
                    value.type in FUNCTIONS or self._stable_call(value))):
                out.append(dep)
        return tuple(out)

    def _stable_call(self, value: Node) -> bool:
        """Tell whether a value is a stable hook's result (`useRef`, `useCallback(f, [])`)."""
        if value.type != "call_expression":
            return False
        name = callee(self.module, value)
        if name in STABLE_HOOKS:
            return True
        args = self.module.arguments(value)
        last = self.module.unwrap(args[-1]) if len(args) > 1 else None
        return name in ("useCallback", "useMemo") and last is not None and \
            last.type == "array" and not last.named_children

    def dependencies(self, expr: Node, effect: Effect) -> tuple[list[str], list[str]]:
        """Return (inputs, missing) of an expression in an effect: every component-scope value it
        is built from, and the props/state among them that the dependencies leave out."""
        inputs: list[str] = []
        missing: list[str] = []
        judged = effect.deps is not None and effect.deps_known
        for path, at in self._references(expr):
            self._collect(path, at, effect, inputs, 0)
            if judged:
                self._judge(path, at, effect, missing, 0)
        return list(dict.fromkeys(inputs)), list(dict.fromkeys(missing))

    def _collect(self, path: str, at: Node, effect: Effect, out: list[str], depth: int) -> None:
        """Add `path` and what it is derived from (through effect-local and component names)."""
        found = self._declaration(path.split(".", 1)[0], at) if depth <= MAX_DEPTH else None
        if found is None:
            return
        func, (kind, value) = found
        callback = effect.callback
        inside = callback.start_byte <= func.start_byte and func.end_byte <= callback.end_byte
        if not inside:
            out.append(path)
        if kind == "value" and value is not None and value.type not in FUNCTIONS:
            for inner, where in self._references(value):
                self._collect(inner, where, effect, out, depth + 1)

    def _judge(self, path: str, at: Node, effect: Effect, out: list[str], depth: int) -> None:
        """Add `path` (or the component-scope name it comes from) to `out` when it is reactive."""
        if depth > MAX_DEPTH:
            return
        root = path.split(".", 1)[0]
        found = self._declaration(root, at)
        if found is None:
            return
        func, (kind, value) = found
        callback = effect.callback
        if callback.start_byte <= func.start_byte and func.end_byte <= callback.end_byte:
            if kind == "value" and value is not None:
                for inner, where in self._references(value):
                    self._judge(inner, where, effect, out, depth + 1)
            return
        assert effect.deps is not None
        if any(path == d or path.startswith(d + ".") or d.startswith(path + ".")
               for d in effect.deps):
            return
        if kind in ("param", "state") or (
                kind == "value" and value is not None and self._reactive(value, effect, depth)):
            out.append(path)

    def _reactive(self, value: Node, effect: Effect, depth: int) -> bool:
        """Tell whether a component-scope value changes between renders (hooks, props, state)."""
        value = self.module.unwrap(value)
        if value is None:
            return False
        if value.type == "call_expression":
            name = callee(self.module, value)
            if name in STABLE_HOOKS:
                return False
            if HOOK.match(name.rsplit(".", 1)[-1]):
                return True
        if value.type in FUNCTIONS:
            return False
        inner: list[str] = []
        for path, at in self._references(value):
            self._judge(path, at, effect, inner, depth + 1)
        return bool(inner)

    def _references(self, expr: Node) -> list[tuple[str, Node]]:
        """List the names an expression reads (`hotel.slug` as one path), outside nested functions."""
        module = self.module
        out: list[tuple[str, Node]] = []
        stack = [expr]
        while stack:
            node = stack.pop()
            kind = node.type
            if kind in FUNCTIONS:
                continue
            if kind == "member_expression":
                path = self._path(node)
                if path is not None:
                    out.append((path, node))
                    continue
            elif kind in ("identifier", "shorthand_property_identifier"):
                parent = node.parent
                if parent is not None and parent.type == "call_expression" and \
                        parent.child_by_field_name("function") == node:
                    continue
                out.append((module.text(node), node))
                continue
            elif kind == "pair":
                value = node.child_by_field_name("value")
                if value is not None:
                    stack.append(value)
                continue
            stack.extend(reversed(node.named_children))
        return out

    def _path(self, node: Node) -> str | None:
        """Return `a.b.c` for a member chain on a name, None for computed or call-based chains."""
        parts: list[str] = []
        while node.type == "member_expression":
            prop = node.child_by_field_name("property")
            if prop is None or prop.type != "property_identifier":
                return None
            parts.append(self.module.text(prop))
            node = node.child_by_field_name("object")
            if node is None:
                return None
        if node.type != "identifier":
            return None
        parts.append(self.module.text(node))
        return ".".join(reversed(parts))

    def _declaration(self, name: str, at: Node) -> tuple[Node, tuple[str, Node | None]] | None:
        """Find the function that declares `name` as seen from `at`, and how (param/state/value)."""
        current = at.parent
        while current is not None and current.type not in FUNCTIONS:
            current = current.parent
        if current is None:
            return None
        cache = (name, current.start_byte)
        if cache in self._found:
            return self._found[cache]
        found: tuple[Node, tuple[str, Node | None]] | None = None
        while current is not None:
            if current.type in FUNCTIONS:
                declared = self._declared_in(current)
                if name in declared:
                    found = current, declared[name]
                    break
            current = current.parent
        self._found[cache] = found
        return found

    def _declared_in(self, func: Node) -> dict[str, tuple[str, Node | None]]:
        """Map each name a function declares (params, consts, state) to its kind and value."""
        got = self._declared.get(func.start_byte)
        if got is not None:
            return got
        out: dict[str, tuple[str, Node | None]] = {}
        params = func.child_by_field_name("parameters") or func.child_by_field_name("parameter")
        if params is not None:
            for ident in self._bound(params):
                out[ident] = ("param", None)
        body = func.child_by_field_name("body")
        stack = [body] if body is not None and body.type == "statement_block" else []
        while stack:
            node = stack.pop()
            if node.type in FUNCTIONS or node.type in CLASSES:
                if node.type == "function_declaration":
                    named = node.child_by_field_name("name")
                    if named is not None:
                        out.setdefault(self.module.text(named), ("value", node))
                continue
            if node.type == "variable_declarator":
                self._declarator(node, out)
            stack.extend(node.named_children)
        self._declared[func.start_byte] = out
        return out

    def _declarator(self, node: Node, out: dict[str, tuple[str, Node | None]]) -> None:
        """Record the names one `const x = v` / `const [s, setS] = useState()` binds."""
        name = node.child_by_field_name("name")
        value = node.child_by_field_name("value")
        if name is None:
            return
        if name.type == "identifier":
            out[self.module.text(name)] = ("value", value)
            return
        state = value is not None and value.type == "call_expression" and \
            callee(self.module, value) in STATE_HOOKS
        if name.type == "array_pattern" and state:
            index = 0
            for item in name.children:
                if item.type == ",":
                    index += 1
                elif item.is_named and item.type != "comment":
                    for ident in self._bound(item):
                        out[ident] = ("state", None) if index == 0 else ("stable", None)
            return
        for ident in self._bound(name):
            out[ident] = ("value", value)

    def _bound(self, pattern: Node) -> list[str]:
        """List the names a parameter list or destructuring pattern binds."""
        out: list[str] = []
        stack = [pattern]
        while stack:
            node = stack.pop()
            if node.type in ("identifier", "shorthand_property_identifier_pattern"):
                out.append(self.module.text(node))
            elif node.type == "pair_pattern":
                value = node.child_by_field_name("value")
                if value is not None:
                    stack.append(value)
            elif node.type in ("assignment_pattern", "object_assignment_pattern"):
                left = node.child_by_field_name("left")
                if left is not None:
                    stack.append(left)
            elif node.type in ("required_parameter", "optional_parameter"):
                inner = node.child_by_field_name("pattern")
                if inner is not None:
                    stack.append(inner)
            elif node.type not in ("type_annotation", "predefined_type", "type_identifier"):
                stack.extend(node.named_children)
        return out
