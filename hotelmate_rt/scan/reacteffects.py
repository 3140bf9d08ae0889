"""React in a parsed JS/TS module: components and hooks, effects, their dependencies and cleanups.

`lifecycle.py` reads a module through a `ReactView` built on the tree the JS pass already has (no
second parse). A component is a function whose name starts with a capital (also through `memo` /
`forwardRef` / `observer`), a hook a function named `useX`, a class component one class (its
methods are its code). An effect is `useEffect` / `useLayoutEffect` (also
`React.useEffect`): its callback, its dependency array (None when absent: it runs after every
render) and the functions its callback returns (the cleanup); a returned call result (the
unsubscribe function a registry hands back) is a cleanup the scan cannot see into. A class's
`componentDidMount` is an effect with `[]` dependencies whose cleanup is `componentWillUnmount`,
its `componentDidUpdate` an effect without dependencies (it runs after every update).
"""

from __future__ import annotations

import enum
import functools
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .jsresolve import FUNCTIONS, Items
from .reactdeps import CLASSES, HOOK, DependencyReader, Node, callee

if TYPE_CHECKING:
    from .jsscan import JsModule

EFFECTS = frozenset({"useEffect", "useLayoutEffect", "useInsertionEffect"})
_COMPONENT_WRAPPERS = frozenset({"memo", "forwardRef", "observer"})
_SETTER = re.compile(r"set[A-Z]")
# Components that own app-wide things: mounted once, so a client made there is the app's client.
_APP_LEVEL = re.compile(r"^(?:App|Root|Main)$|Provider$|Layout$")
_ITERATIONS = frozenset({"forEach", "map", "filter", "some", "every", "flatMap"})
# Calls a cleanup may make that the lifecycle rules either read themselves (Pusher's) or know to
# be unrelated to handlers (timers, iteration, collections); any other call may unbind for it.
_SEEN_CALLS = frozenset({
    "unbind", "unbind_all", "unbind_global", "unsubscribe", "disconnect", "bind", "subscribe",
    "forEach", "map", "filter", "some", "every", "keys", "values", "entries", "get", "has",
    "delete", "clear", "set", "push", "splice", "clearTimeout", "clearInterval",
    "cancelAnimationFrame", "removeEventListener", "abort", "log", "debug", "info", "warn",
    "error"})
_CLASS_METHODS = (b"componentDidMount", b"componentDidUpdate", b"componentWillUnmount")


class Kind(enum.StrEnum):
    """What a piece of code is to React."""

    COMPONENT = "component"
    HOOK = "hook"
    CLASS = "class"
    FUNCTION = "function"
    MODULE = "module"


@dataclass(frozen=True, slots=True)
class Owner:
    """The component, hook or function a call is written in (module level: `<module>`)."""

    name: str
    kind: Kind
    file: str
    line: int
    end_line: int
    provider: bool = False
    label: str = field(default="", compare=False)
    """How messages name it: `GuestChat`, `useChannel()`, `src/x.js (module level)`."""

    def __post_init__(self) -> None:
        """Compute the label once (messages ask for it many times)."""
        label = f"{self.name}()" if self.kind is Kind.HOOK else \
            f"{self.file} (module level)" if self.kind is Kind.MODULE else self.name
        object.__setattr__(self, "label", label)

    @property
    def react(self) -> bool:
        """Tell whether the owner is a component (function or class) or a hook (what the rules
        judge)."""
        return self.kind in (Kind.COMPONENT, Kind.HOOK, Kind.CLASS)


class Effect:
    """One `useEffect(callback, deps)`: its dependencies and cleanup functions; where it is, its
    owner and whether its cleanup calls code the scan cannot see are worked out on first use
    (most effects of a module never meet a Pusher call)."""

    def __init__(self, view: ReactView, call: Node, callback: Node, deps: tuple[str, ...] | None,
                 deps_known: bool, cleanups: tuple[Node, ...], returns_call: bool) -> None:
        self.view = view
        self.call = call
        self.callback = callback
        self.deps = deps
        self.deps_known = deps_known
        self.cleanups = cleanups
        self.returns_call = returns_call

    @functools.cached_property
    def owner(self) -> Owner:
        """The component or hook the effect is written in."""
        return self.view.owner_of(self.call)

    @functools.cached_property
    def key(self) -> str:
        """`file:line:col` of the effect call."""
        line, column = self.view.module.where(self.call)
        return f"{self.view.module.rel}:{line}:{column}"

    @functools.cached_property
    def opaque(self) -> bool:
        """Whether the cleanup is a function the scan cannot see into (a registry's unsubscribe,
        a call it cannot follow): what such a cleanup undoes is not judged."""
        return self.returns_call or any(self.view._calls_unknown(c) for c in self.cleanups)


def _norm(text: str) -> str:
    """Write an expression the way dependency lists are compared (`a?.b` is `a.b`)."""
    return "".join(text.replace("?.", ".").replace("!", "").split())


class ReactView(DependencyReader):
    """Where each node of a module sits in React terms (built once per module, on demand)."""

    def __init__(self, module: JsModule) -> None:
        self.module = module
        self.effects: dict[tuple[int, int], Effect] = {}
        self.cleanup_of: dict[tuple[int, int], Effect] = {}
        self._owners: dict[int, Owner] = {}
        self._declared: dict[int, dict[str, tuple[str, Node | None]]] = {}
        self._found: dict[tuple[str, int], tuple[Node, tuple[str, Node | None]] | None] = {}
        src = module.src
        for node, scope in module.calls:
            func = node.child_by_field_name("function")
            if func is not None and src.endswith(b"Effect", 0, func.end_byte) and \
                    callee(module, node) in EFFECTS:
                self._effect(node, scope)
        if any(m in src for m in _CLASS_METHODS):
            self._class_effects()

    # -- owners -----------------------------------------------------------------------------
    def owner_of(self, node: Node) -> Owner:
        """Return the innermost component/hook around a node, else its outermost function."""
        outer: Node | None = None
        current = node.parent
        while current is not None:
            if current.type in FUNCTIONS:
                owner = self._owner(current)
                if owner.kind is not Kind.FUNCTION:
                    return owner
                outer = current
            current = current.parent
        if outer is not None:
            return self._owner(outer)
        return Owner("<module>", Kind.MODULE, self.module.rel, 1, 1)

    def owners(self) -> list[Owner]:
        """Return every component, hook and class method of the module (functions declared at
        module level: the ones nested in them belong to them)."""
        top = self.module.top
        return [o for o in (self._owner(s.node) for s in self.module.scope_of.values()
                            if s.node is not None and s.parent is top)
                if o.react]

    def _owner(self, func: Node) -> Owner:
        """Name and classify one function node (cached)."""
        got = self._owners.get(func.start_byte)
        if got is not None:
            return got
        name, kind = self._name(func)
        span = func.parent.parent if kind is Kind.CLASS else func  # a method is its class's code
        if kind is Kind.FUNCTION and name:
            if HOOK.match(name):
                kind = Kind.HOOK
            elif name[0].isupper() and func.type != "method_definition":
                kind = Kind.COMPONENT
        provider = kind is Kind.COMPONENT and (
            _APP_LEVEL.search(name) is not None or
            b".Provider" in self.module.src[func.start_byte:func.end_byte])
        owner = Owner(name or "<anonymous>", kind, self.module.rel, span.start_point[0] + 1,
                      span.end_point[0] + 1, provider)
        self._owners[func.start_byte] = owner
        return owner

    def _name(self, func: Node) -> tuple[str, Kind]:
        """Find the name a function is known by, and whether it is a class method."""
        module = self.module
        if func.type == "method_definition":
            body = func.parent
            cls = body.parent if body is not None else None
            if cls is not None and cls.type in CLASSES:
                name = cls.child_by_field_name("name")
                return (module.text(name) if name is not None else "<class>"), Kind.CLASS
        named = func.child_by_field_name("name")
        if named is not None and func.type != "method_definition":
            return module.text(named), Kind.FUNCTION
        parent = func.parent
        if parent is not None and parent.type == "arguments":
            call = parent.parent
            if call is not None and call.type == "call_expression" and \
                    callee(module, call).rsplit(".", 1)[-1] in _COMPONENT_WRAPPERS:
                parent = call.parent
        if parent is None:
            return "", Kind.FUNCTION
        if parent.type == "variable_declarator":
            declared = parent.child_by_field_name("name")
            return (module.text(declared) if declared is not None else ""), Kind.FUNCTION
        if parent.type == "export_statement":
            stem = module.rel.rsplit("/", 1)[-1].split(".", 1)[0]
            return stem, Kind.FUNCTION
        if parent.type in ("pair", "assignment_expression"):
            key = parent.child_by_field_name("key") or parent.child_by_field_name("left")
            return (module.text(key) if key is not None else ""), Kind.FUNCTION
        return "", Kind.FUNCTION

    def in_body(self, node: Node) -> bool:
        """Tell whether a call runs on every render: directly in a component's or hook's body (a
        class's `render()`)."""
        current = node.parent
        while current is not None and current.type not in FUNCTIONS:
            current = current.parent
        owner = self._owner(current) if current is not None else None
        return owner is not None and owner.react and (
            owner.kind is not Kind.CLASS or self.method_name(current) == "render")

    def method_name(self, func: Node) -> str:
        """Return the name of a method (`componentDidMount`), else ''."""
        name = func.child_by_field_name("name") if func.type == "method_definition" else None
        return self.module.text(name) if name is not None else ""

    # -- effects ----------------------------------------------------------------------------
    def _effect(self, call: Node, scope: Any) -> None:
        """Record one effect call: callback, dependency array, cleanup functions."""
        module = self.module
        args = module.arguments(call)
        callback = self._function(args[0], scope) if args else None
        if callback is None:
            return
        deps: tuple[str, ...] | None = None
        known = True
        if len(args) > 1:
            array = module.unwrap(args[1])
            if array is not None and array.type == "array":
                deps = tuple(_norm(module.text(e)) for e in array.named_children
                             if e.type != "comment")
                known = not any(e.type == "spread_element" for e in array.named_children)
            else:
                deps, known = (), False
        inner = module.scope_of.get((callback.start_byte, callback.end_byte))
        cleanups: list[Node] = []
        opaque = False
        for value in inner.returns if inner is not None else ():
            value = module.unwrap(value)
            if value is None or module.text(value) in ("undefined", "null", "false"):
                continue
            found = self._function(value, inner)
            if found is not None:
                cleanups.append(found)
            else:
                opaque = True
        effect = Effect(self, call, callback, deps, known, tuple(cleanups), opaque)
        self.effects[(callback.start_byte, callback.end_byte)] = effect
        for cleanup in cleanups:
            self.cleanup_of.setdefault((cleanup.start_byte, cleanup.end_byte), effect)

    def _class_effects(self) -> None:
        """Record each class component's lifecycle methods as the effects they amount to."""
        stack = [self.module.root]
        while stack:
            node = stack.pop()
            if node.type not in CLASSES:
                stack.extend(node.named_children)
                continue
            body = node.child_by_field_name("body")
            methods = {self.method_name(m): m for m in (body.named_children if body else ())
                       if m.type == "method_definition"}
            unmount = methods.get("componentWillUnmount")
            for method, deps in ((methods.get("componentDidMount"), ()),
                                 (methods.get("componentDidUpdate"), None)):
                code = method.child_by_field_name("body") if method is not None else None
                if method is None or code is None:
                    continue
                cleanups = (unmount,) if unmount is not None and deps is not None else ()
                effect = Effect(self, code, method, deps, True, cleanups, False)
                self.effects[(method.start_byte, method.end_byte)] = effect
                for cleanup in cleanups:
                    self.cleanup_of[(cleanup.start_byte, cleanup.end_byte)] = effect

    def _calls_unknown(self, cleanup: Node) -> bool:
        """Tell whether a cleanup calls something the scan cannot see into (it may unbind there).

        Function literals inside it only run when an iteration calls them (`forEach`...); a
        handler written inline in an `unbind` call never runs at cleanup."""
        stack = [cleanup.child_by_field_name("body")]
        while stack:
            node = stack.pop()
            if node is None:
                continue
            if node.type == "call_expression":
                name = callee(self.module, node)
                head, tail = name.split(".", 1)[0], name.rsplit(".", 1)[-1]
                if not (tail in _SEEN_CALLS or head == "console" or _SETTER.match(tail)):
                    return True
                if tail in _ITERATIONS:
                    stack.extend(self.module.arguments(node))
                    stack.append(node.child_by_field_name("function"))
                    continue
            if node.type in FUNCTIONS and node is not cleanup:
                if self._iterated(node):
                    stack.append(node.child_by_field_name("body"))
                continue
            stack.extend(node.named_children)
        return False

    def _iterated(self, func: Node) -> bool:
        """Tell whether a function literal is the callback of an iteration (`xs.forEach(f)`)."""
        args = func.parent
        call = args.parent if args is not None else None
        return call is not None and call.type == "call_expression" and \
            callee(self.module, call).rsplit(".", 1)[-1] in _ITERATIONS

    def _function(self, node: Node | None, scope: Any) -> Node | None:
        """Return the function node an expression is (inline, or a name bound to one)."""
        node = self.module.unwrap(node)
        if node is None:
            return None
        if node.type in FUNCTIONS:
            return node
        if node.type != "identifier" or scope is None:
            return None
        found = self.module.lookup(self.module.text(node), scope)
        if isinstance(found, tuple):
            values = [self.module.unwrap(v) for v in found[1] if not isinstance(v, Items)]
            if len(values) == 1 and values[0] is not None and values[0].type in FUNCTIONS:
                return values[0]
            return None
        named = self.module.functions.get(self.module.text(node))
        return named.node if named is not None and found is None else None

    def effect_of(self, node: Node) -> tuple[Effect, bool] | None:
        """Return the effect a node runs in, and whether it runs in the effect's cleanup."""
        current = node.parent
        while current is not None:
            if current.type in FUNCTIONS:
                span = (current.start_byte, current.end_byte)
                if span in self.cleanup_of:
                    return self.cleanup_of[span], True
                if span in self.effects:
                    return self.effects[span], False
            current = current.parent
        return None

    def conditional(self, node: Node, stop: Node) -> bool:
        """Tell whether a node runs only under a condition (if, ternary, &&) inside `stop`."""
        current = node.parent
        while current is not None and current != stop:
            if current.type in ("if_statement", "ternary_expression", "switch_case") or (
                    current.type == "binary_expression" and
                    current.child_by_field_name("operator") is not None and
                    self.module.text(current.child_by_field_name("operator")) in ("&&", "||", "??")):
                return True
            current = current.parent
        return False
