"""The names a handler map or name table holds: object keys (or values), Map keys, array items.

`handler_keys(owner, node, scope)` follows identifiers (also imported ones) to the object,
`new Map(...)` (with its `.set(k, ...)` calls) or array that holds the event names a handler
map dispatches on; a bare parameter comes back as its name, for the caller to fill in.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .jsparse import MAX_DEPTH, Items, JsScope, Node
from .symbols import Value

if TYPE_CHECKING:
    from .jsresolve import JsResolver


def handler_keys(module: JsResolver, node: Node | None, scope: JsScope, values: bool = False,
                 depth: int = 0) -> list[Value] | str | None:
    """Return the keys of a handler map (object, Map, array of names), or its parameter name."""
    node = module.memo(module.unwrap(node))
    if node is None or depth > MAX_DEPTH:
        return None
    if node.type == "identifier":
        found = module.lookup(module.text(node), scope)
        if isinstance(found, JsScope):
            return module.text(node)
        if isinstance(found, tuple):
            plain = [v for v in found[1] if not isinstance(v, Items)]
            first = module.memo(module.unwrap(plain[0])) if len(plain) == 1 else None
            if first is not None and first.type == "array":
                return handler_keys(module, first, found[0], values, depth + 1)
        elif found is None:
            other, exported = module.imported(module.text(node))
            plain = [v for v in other.top.assigns.get(exported, []) if not isinstance(v, Items)] \
                if other is not None else []
            first = other.memo(other.unwrap(plain[0])) if other is not None and len(plain) == 1 \
                else None
            if other is not None and first is not None and first.type == "array":
                return handler_keys(other, first, other.top, values, depth + 1)
    if node.type == "array":
        return [Value(sym, *module.where(e)) for e in node.named_children
                for sym in module.resolve(e, scope)]
    found_object = module.object_of(node, scope)
    if found_object is None:
        return None
    owner, obj = found_object
    if obj.type == "new_expression":
        return _map_keys(owner, obj, node, scope if owner is module else owner.top, depth)
    # a map written in another file is placed at its use here (a site's values share its file)
    where = owner.where if owner is module else (lambda _n: module.where(node))
    out: list[Value] = []
    for child in obj.named_children:
        key_node = child.child_by_field_name("key") if child.type == "pair" else \
            child.child_by_field_name("name") if child.type in ("method_definition",
                                                                "enum_assignment") else \
            child if child.type in ("shorthand_property_identifier", "property_identifier") \
            else None
        if key_node is None:
            continue
        if values:
            value = child.child_by_field_name("value")
            if value is not None:
                out.extend(Value(s, *where(value)) for s in owner.resolve(value, owner.top))
            continue
        key = owner.key_name(key_node)
        if key is not None:
            out.append(Value((key,), *where(key_node)))
    return out


def _map_keys(module: JsResolver, ctor: Node, name_node: Node, scope: JsScope,
              depth: int) -> list[Value] | str | None:
    """Keys of `new Map([[k, v], ...])`, `new Map(Object.entries(o))` and `m.set(k, v)`."""
    text = module.text(ctor.child_by_field_name("constructor") or ctor)
    if text != "Map":
        return None
    out: list[Value] = []
    args = module.arguments(ctor)
    if args:
        first = module.unwrap(args[0])
        if first is not None and first.type == "array":
            for pair in first.named_children:
                pair = module.unwrap(pair)
                items = pair.named_children if pair is not None and pair.type == "array" else []
                if items:
                    out.extend(Value(s, *module.where(items[0])) for s in module.resolve(items[0], scope))
        elif first is not None and first.type == "call_expression":
            func = first.child_by_field_name("function")
            inner = module.arguments(first)
            if func is not None and module.text(func) == "Object.entries" and inner:
                got = handler_keys(module, inner[0], scope, depth=depth + 1)
                if isinstance(got, list):
                    out.extend(got)
    if name_node.type == "identifier":
        name = module.text(name_node)
        for call, _scope in module.calls:
            func = module.unwrap(call.child_by_field_name("function"))
            if func is not None and func.type == "member_expression" and \
                    module.text(func) == f"{name}.set":
                args = module.arguments(call)
                if args:
                    out.extend(Value(s, *module.where(args[0])) for s in module.resolve(args[0], scope))
    return out
