"""Frontend envelope routing: the names a bind's handler dispatches on.

A grown frontend binds one envelope event per channel and routes inside the handler: a `switch`
or `if` chain on `data.type` / `data.category` (or on the event name of a `bind_global`
handler), a lookup object or Map indexed by it, a call that forwards the data to a router, a
store method (zustand `useX.getState().apply(data)`, Redux Toolkit `dispatch(sliceAction(data))`)
or an event bus (`bus.emit(data.category, data)`, with `bus.on('rooms', ...)` registrations in
other files). `Router` follows those hops (bounded) and returns every handled name with where it
is handled; bus registrations are resolved across the tree by `resolve_buses` after the scan.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from .jskeys import handler_keys
from .jsresolve import FUNCTIONS, Items, JsResolver, JsScope
from .model import Route, Site, SiteKind

_MAX_HOPS = 5
_BUS_EMIT = frozenset({"emit", "publish", "dispatchEvent", "next", "fire", "trigger", "broadcast"})
_BUS_ON = frozenset({"on", "addListener", "subscribe", "listen", "addEventListener", "once"})
_PAYLOAD_KEYS = frozenset({"payload", "data", "detail", "body"})
_EQUALS = frozenset({"===", "==", "!==", "!="})
_ACTION = "action:"  # role of an action object: `action:type=kind` (its `type` carries `kind`)
NAME = ""  # the route field of an event name (a bind_global handler keyed by the event name)

Node = Any


@dataclass(frozen=True, slots=True)
class PendingBus:
    """`bus.emit(data.F, data)`: the routes are the topics other files register on that bus."""

    bus: tuple[str, str]
    field: str


@dataclass(frozen=True, slots=True)
class HandlerParam:
    """A bind handler that is a wrapper parameter: analyzed at each call of the wrapper."""

    name: str


@dataclass(slots=True)
class Found:
    """What a handler dispatches on: routes (field, value, where) and buses to resolve later."""

    routes: list[Route] = field(default_factory=list)
    buses: list[PendingBus] = field(default_factory=list)


@dataclass(slots=True)
class _Frame:
    """The names that stand for the event name and the payload (and its fields) in one function."""

    names: set[str] = field(default_factory=set)
    data: set[str] = field(default_factory=set)
    fields: dict[str, str] = field(default_factory=dict)


class Router:
    """Follows a handler function through switch/if/lookups/forwarding calls, boundedly."""

    def __init__(self) -> None:
        self.found = Found()
        self._seen: set[tuple[str, int, str]] = set()

    def handler(self, module: JsResolver, node: Node | None, scope: JsScope,
                roles: dict[int, str], hops: int = 0) -> None:
        """Analyze the function a handler expression names, with param roles ("name"/"data")."""
        node = module.unwrap(node)
        if node is None or hops > _MAX_HOPS:
            return
        if node.type not in FUNCTIONS:
            target = _callee(module, node, scope)
            if target is None:
                return
            module, node, roles = target[0], target[1], _shift(roles, target[2])
        key = (module.rel, node.start_byte, repr(sorted(roles.items())))
        if key in self._seen:
            return
        self._seen.add(key)
        fn_scope = module.scope_of.get((node.start_byte, node.end_byte), scope)
        frame = _Frame()
        params = _param_nodes(node)
        for index, role in roles.items():
            if index >= len(params):
                continue
            pattern = params[index]
            if role.startswith("data"):
                prefix = role[4:]
                if pattern.type == "identifier":
                    frame.data.add(module.text(pattern) + prefix)
                elif pattern.type == "object_pattern" and not prefix:
                    _destructure(module, pattern, frame)
            elif role == "name" and pattern.type == "identifier":
                frame.names.add(module.text(pattern))
            elif role.startswith(_ACTION):
                _action_param(module, pattern, dict(
                    pair.split("=", 1) for pair in role[len(_ACTION):].split(",")), frame)
        body = node.child_by_field_name("body")
        if body is None:
            return
        nodes = list(_walk(body))
        for _ in range(2):
            for item in nodes:
                if item.type == "variable_declarator":
                    self._alias(module, item, frame)
        for item in nodes:
            self._visit(module, item, frame, fn_scope, hops)

    def _alias(self, module: JsResolver, node: Node, frame: _Frame) -> None:
        """Learn `const evt = action.payload`, `const kind = evt.kind`, `const {type} = evt`."""
        name, value = node.child_by_field_name("name"), module.unwrap(node.child_by_field_name("value"))
        if name is None or value is None:
            return
        if name.type == "identifier":
            local = module.text(name)
            if _is_data(module, value, frame):
                frame.data.add(local)
                return
            got = _discriminant(module, value, frame)
            if got is not None and got != NAME:
                frame.fields[local] = got
        elif name.type == "object_pattern" and _is_data(module, value, frame):
            _destructure(module, name, frame)

    def _visit(self, module: JsResolver, node: Node, frame: _Frame, scope: JsScope,
               hops: int) -> None:
        """Record what one node of a handler body shows (a switch, a test, a lookup, a call)."""
        kind = node.type
        if kind == "switch_statement":
            value = node.child_by_field_name("value")
            got = _discriminant(module, module.unwrap(value), frame)
            if got is None:
                return
            body = node.child_by_field_name("body")
            for case in body.named_children if body is not None else []:
                label = case.child_by_field_name("value") if case.type == "switch_case" else None
                self._literal(module, label, got, scope)
        elif kind == "binary_expression":
            operator = node.child_by_field_name("operator")
            if operator is None or module.text(operator) not in _EQUALS:
                return
            left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
            for a, b in ((left, right), (right, left)):
                got = _discriminant(module, module.unwrap(a), frame)
                if got is not None:
                    self._literal(module, b, got, scope)
        elif kind == "subscript_expression":
            index = node.child_by_field_name("index")
            got = _discriminant(module, module.unwrap(index), frame)
            if got is not None:
                self._keys(module, node.child_by_field_name("object"), got, scope)
        elif kind == "call_expression":
            self._call(module, node, frame, scope, hops)

    def _literal(self, module: JsResolver, node: Node | None, field_name: str,
                 scope: JsScope) -> None:
        """Add a case label / compared value as a route when it resolves to one string."""
        node = module.unwrap(node)
        if node is None:
            return
        syms = module.resolve(node, scope)
        line, column = module.where(node)
        for sym in syms:
            if len(sym) == 1 and isinstance(sym[0], str):
                self.found.routes.append(Route(field_name, sym[0], module.rel, line, column))

    def _keys(self, module: JsResolver, table: Node | None, field_name: str,
              scope: JsScope) -> None:
        """Add the keys of a lookup object or Map indexed by the discriminant."""
        got = handler_keys(module, table, scope)
        if isinstance(got, list):
            for value in got:
                if len(value.sym) == 1 and isinstance(value.sym[0], str):
                    self.found.routes.append(Route(field_name, value.sym[0], _file_of(module, table, scope),
                                                   value.line, value.column))

    def _call(self, module: JsResolver, node: Node, frame: _Frame, scope: JsScope,
              hops: int) -> None:
        """Follow a call that receives the payload or the name: a bus, a Map lookup, a router."""
        func = module.unwrap(node.child_by_field_name("function"))
        args = module.arguments(node)
        if func is None:
            return
        if func.type == "member_expression":
            prop = func.child_by_field_name("property")
            method = module.text(prop) if prop is not None else ""
            obj = func.child_by_field_name("object")
            if method == "get" and args:
                got = _discriminant(module, module.unwrap(args[0]), frame)
                if got is not None:
                    self._keys(module, obj, got, scope)
                    return
            if method in _BUS_EMIT and len(args) >= 2 and obj is not None:
                got = _discriminant(module, module.unwrap(args[0]), frame)
                if got is not None:
                    self.found.buses.append(PendingBus(bus_identity(module, obj, scope), got))
                    return
        roles: dict[int, str] = {}
        for index, arg in enumerate(args):
            arg = module.unwrap(arg)
            if arg is None:
                continue
            if _is_data(module, arg, frame):
                roles[index] = "data"
            elif arg.type == "identifier" and module.text(arg) in frame.names:
                roles[index] = "name"
            elif arg.type == "object":
                action = _action_role(module, arg, frame)
                if action is not None:
                    roles[index] = action
        if not roles:
            return
        reducer = _reducer_of(module, func, scope)
        if reducer is not None:  # a `useReducer` dispatch: the reducer gets (state, action)
            func, roles = reducer, {index + 1: role for index, role in roles.items()}
        self.handler(module, func, scope, roles, hops + 1)


def _shift(roles: dict[int, str], how: str) -> dict[int, str]:
    """Map roles onto a reducer: Redux Toolkit passes the action creator's argument as payload."""
    if how == "payload":
        return {1: roles[0] + ".payload"} if 0 in roles else {}
    return roles


def _callee(module: JsResolver, func: Node, scope: JsScope) -> tuple[JsResolver, Node, str] | None:
    """Resolve what a forwarding call calls: a slice reducer, a store method, a function."""
    if func.type == "identifier":
        owner, found_name = module, module.lookup(module.text(func), scope)
        if found_name is None:
            other, exported = module.imported(module.text(func))
            if other is not None and exported not in ("*", "default"):
                owner, found_name = other, other.lookup(exported, other.top)
        if isinstance(found_name, tuple):
            for value in found_name[1]:
                if isinstance(value, Items) and value.key is not None:
                    reducer = _slice_reducer(owner, value.node, value.key, found_name[0])
                    if reducer is not None:
                        return reducer[0], reducer[1], "payload"
    if func.type == "member_expression":
        obj = module.unwrap(func.child_by_field_name("object"))
        prop = func.child_by_field_name("property")
        if obj is not None and prop is not None and obj.type == "call_expression":
            inner = module.unwrap(obj.child_by_field_name("function"))
            if inner is not None and inner.type == "member_expression" and \
                    module.text(inner).endswith(".getState"):
                store = inner.child_by_field_name("object")
                method = _store_method(module, store, module.text(prop), scope)
                if method is not None:
                    return method[0], method[1], ""
    found = module.function_for(func, scope)
    if found is not None and found[1].node is not None:
        return found[0], found[1].node, ""
    return None


def _creator(module: JsResolver, node: Node | None, scope: JsScope,
             names: Iterable[str]) -> tuple[JsResolver, Node] | None:
    """Find the object a `create(...)` / `createSlice(...)` call is given (curried calls too)."""
    node = module.unwrap(node)
    if node is None:
        return None
    if node.type == "identifier":
        found = module.lookup(module.text(node), scope)
        if found is None:
            other, exported = module.imported(module.text(node))
            if other is not None and exported not in ("*", "default"):
                return _creator(other, other.top.assigns.get(exported, [None])[-1], other.top, names)
            return None
        if isinstance(found, tuple):
            values = [v for v in found[1] if not isinstance(v, Items)]
            return _creator(module, values[-1], found[0], names) if values else None
        return None
    while node is not None and node.type == "call_expression":
        func = module.unwrap(node.child_by_field_name("function"))
        args = module.arguments(node)
        head = func
        while head is not None and head.type == "call_expression":
            head = module.unwrap(head.child_by_field_name("function"))
        if head is not None and module.text(head).rsplit(".", 1)[-1] in names and args:
            return module, args[0]
        node = func
    return None


def _store_method(module: JsResolver, store: Node, method: str,
                  scope: JsScope) -> tuple[JsResolver, Node] | None:
    """`useStore.getState().apply`: the `apply` of the object a zustand `create()` returns."""
    created = _creator(module, store, scope, ("create", "createStore", "defineStore"))
    if created is None:
        return None
    owner, creator = created
    creator = owner.unwrap(creator)
    if creator is None:
        return None
    state = creator
    if creator.type in FUNCTIONS:
        inner = owner.scope_of.get((creator.start_byte, creator.end_byte))
        state = owner.memo(owner.unwrap(inner.returns[0])) if inner is not None and inner.returns \
            else None
    if state is None or state.type != "object":
        return None
    value = owner.unwrap(owner.property(state, method))
    return (owner, value) if value is not None and value.type in FUNCTIONS else None


def _slice_reducer(module: JsResolver, node: Node, key: str,
                   scope: JsScope) -> tuple[JsResolver, Node] | None:
    """`const { act } = slice.actions`: the reducer `act` of `createSlice({reducers: {...}})`."""
    node = module.unwrap(node)
    if node is None or node.type != "member_expression":
        return None
    prop = node.child_by_field_name("property")
    if prop is None or module.text(prop) != "actions":
        return None
    created = _creator(module, node.child_by_field_name("object"), scope, ("createSlice",))
    if created is None:
        return None
    owner, options = created
    options = owner.unwrap(options)
    if options is None or options.type != "object":
        return None
    reducers = owner.unwrap(owner.property(options, "reducers"))
    if reducers is None or reducers.type != "object":
        return None
    value = owner.unwrap(owner.property(reducers, key))
    return (owner, value) if value is not None and value.type in FUNCTIONS else None


def bus_identity(module: JsResolver, node: Node, scope: JsScope) -> tuple[str, str]:
    """Name an event bus by where it is defined (module and exported name), else by its text."""
    node = module.unwrap(node)
    if node is not None and node.type == "identifier":
        name = module.text(node)
        found = module.lookup(name, scope)
        if isinstance(found, tuple) and found[0] is module.top:
            return module.rel, name
        if found is None:
            other, exported = module.imported(name)
            if other is not None:
                return other.rel, exported
            spec = module.imports.get(name, ("", name))
            return spec[0], spec[1]
    return "", module.text(node) if node is not None else ""


def _param_nodes(fn: Node) -> list[Node]:
    """Return a function's parameter patterns in order."""
    plist = fn.child_by_field_name("parameters")
    single = fn.child_by_field_name("parameter")
    items = plist.named_children if plist is not None else ([single] if single else [])
    out = []
    for item in items:
        if item.type == "comment":
            continue
        if item.type in ("required_parameter", "optional_parameter"):
            item = item.child_by_field_name("pattern") or item
        elif item.type == "assignment_pattern":
            item = item.child_by_field_name("left") or item
        out.append(item)
    return out


def _destructure(module: JsResolver, pattern: Node, frame: _Frame) -> None:
    """`({ type, payload }) =>`: `type` tests the `type` field, `payload` is the data."""
    for item in pattern.named_children:
        if item.type == "shorthand_property_identifier_pattern":
            name = module.text(item)
            if name in _PAYLOAD_KEYS:
                frame.data.add(name)
            else:
                frame.fields[name] = name
        elif item.type == "pair_pattern":
            key, local = item.child_by_field_name("key"), item.child_by_field_name("value")
            if key is not None and local is not None and local.type == "identifier":
                frame.fields[module.text(local)] = module.key_name(key) or module.text(local)


def _is_data(module: JsResolver, node: Node, frame: _Frame) -> bool:
    """Tell whether an expression is the payload (`data`, `action.payload`, `evt.detail`)."""
    text = module.text(node)
    if text in frame.data:
        return True
    if node.type == "member_expression":
        obj, prop = node.child_by_field_name("object"), node.child_by_field_name("property")
        return obj is not None and prop is not None and module.text(obj) in frame.data and \
            module.text(prop) in _PAYLOAD_KEYS
    return False


def _discriminant(module: JsResolver, node: Node | None, frame: _Frame) -> str | None:
    """Return the field a tested expression reads (NAME for the event name), or None."""
    if node is None:
        return None
    if node.type == "identifier":
        text = module.text(node)
        if text in frame.names:
            return NAME
        return frame.fields.get(text)
    if node.type == "member_expression":
        mapped = frame.fields.get(module.text(node))  # `action.type` of a dispatched action
        if mapped is not None:
            return mapped
        obj, prop = node.child_by_field_name("object"), node.child_by_field_name("property")
        if obj is not None and prop is not None and _is_data(module, module.unwrap(obj), frame):
            return module.text(prop)
    if node.type == "subscript_expression":
        obj, index = node.child_by_field_name("object"), node.child_by_field_name("index")
        if obj is not None and index is not None and index.type == "string" and \
                _is_data(module, module.unwrap(obj), frame):
            return module.string(index)
    return None


def _action_role(module: JsResolver, obj: Node, frame: _Frame) -> str | None:
    """`dispatch({ type: data.type, payload })`: the role of an action object whose keys carry
    tested fields (`type=type`; `type=` for the event name), or None."""
    pairs = []
    for child in obj.named_children:
        if child.type == "shorthand_property_identifier":
            key: Node | None = child
            text = module.text(child)
            got = NAME if text in frame.names else frame.fields.get(text)
        elif child.type == "pair":
            key = child.child_by_field_name("key")
            got = _discriminant(module, module.unwrap(child.child_by_field_name("value")), frame)
        else:
            continue
        name = module.key_name(key) if key is not None else None
        if got is not None and name:
            pairs.append(f"{name}={got}")
    return _ACTION + ",".join(pairs) if pairs else None


def _action_param(module: JsResolver, pattern: Node, keys: dict[str, str], frame: _Frame) -> None:
    """Learn which members of an action parameter (`action.type`, `{ type }`) are tested fields."""
    if pattern.type == "identifier":
        for key, field_name in keys.items():
            frame.fields[f"{module.text(pattern)}.{key}"] = field_name
        return
    if pattern.type != "object_pattern":
        return
    for item in pattern.named_children:
        if item.type == "shorthand_property_identifier_pattern" and module.text(item) in keys:
            frame.fields[module.text(item)] = keys[module.text(item)]
        elif item.type == "pair_pattern":
            key, local = item.child_by_field_name("key"), item.child_by_field_name("value")
            name = module.key_name(key) if key is not None else None
            if name in keys and local is not None and local.type == "identifier":
                frame.fields[module.text(local)] = keys[name]


def _reducer_of(module: JsResolver, func: Node, scope: JsScope) -> Node | None:
    """The reducer behind `dispatch` of `const [state, dispatch] = useReducer(reducer, init)`."""
    if func.type != "identifier":
        return None
    found = module.lookup(module.text(func), scope)
    if not isinstance(found, tuple):
        return None
    for value in found[1]:
        call = module.unwrap(value.node) if isinstance(value, Items) and value.key == "1" else None
        callee = module.unwrap(call.child_by_field_name("function")) if call is not None and \
            call.type == "call_expression" else None
        if callee is not None and module.text(callee).rsplit(".", 1)[-1] == "useReducer":
            args = module.arguments(call)
            return args[0] if args else None
    return None


def _walk(node: Node) -> Iterable[Node]:
    """Yield every node under `node` in document order."""
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        stack.extend(reversed(current.named_children))


def _file_of(module: JsResolver, table: Node | None, scope: JsScope) -> str:
    """Return the file a lookup table is defined in (maybe imported)."""
    found = module.object_of(table, scope) if table is not None else None
    return found[0].rel if found is not None else module.rel


# -- buses, resolved across the tree after the scan -------------------------------------------------
Loader = Callable[[bytes], Iterable[JsResolver]]


def resolve_buses(sites: list[Site], candidates: Loader) -> None:
    """Turn each site's pending bus routes into routes from `bus.on('topic', ...)` registrations."""
    wanted = {p.bus for s in sites for p in s.pending if isinstance(p, PendingBus)}
    if not wanted:
        return
    bound = {v.sym[0] for s in sites if s.kind is SiteKind.BIND for v in s.events
             if len(v.sym) == 1 and isinstance(v.sym[0], str)}
    registered: dict[tuple[str, str], list[tuple[str, JsResolver, Node, JsScope]]] = {}
    for name in sorted({b[1] for b in wanted}):
        for module in candidates(name.encode() + b"."):
            for call, scope in module.calls:
                func = module.unwrap(call.child_by_field_name("function"))
                if func is None or func.type != "member_expression":
                    continue
                prop = func.child_by_field_name("property")
                if prop is None or module.text(prop) not in _BUS_ON:
                    continue
                identity = bus_identity(module, func.child_by_field_name("object"), scope)
                args = module.arguments(call)
                if identity not in wanted or not args or args[0].type != "string":
                    continue
                registered.setdefault(identity, []).append(
                    (module.string(args[0]), module, call, scope))
    for site in sites:
        pending = [p for p in site.pending if isinstance(p, PendingBus)]
        if not pending:
            continue
        routes = list(site.routes)
        for item in pending:
            for topic, module, call, scope in registered.get(item.bus, []):
                if item.field != NAME and topic in bound:
                    continue
                line, column = module.where(module.arguments(call)[0])
                routes.append(Route(item.field, topic, module.rel, line, column))
                router = Router()
                handler = module.arguments(call)[1] if len(module.arguments(call)) > 1 else None
                router.handler(module, handler, scope, {0: "data"})
                routes.extend(router.found.routes)
        site.routes = tuple(dict.fromkeys(routes))
        site.pending = tuple(p for p in site.pending if not isinstance(p, PendingBus))
