"""Where a Pusher client comes from: `ClientKind`, `ClientRef` and the trace from an expression
(names, imports, lazy getters, refs, context hooks) to its `new Pusher`.

`lifecycle.py` asks this for the client behind every subscribe, bind and teardown it records.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from typing import Any

from .jsresolve import FUNCTIONS, Items, JsScope
from .jsscan import JsModule
from .reactdeps import HOOK

Node = Any
_MAX_DEPTH = 8
_CONTEXT_TYPE = re.compile(rb"static\s+contextType\s*=\s*([\w.]+)")


class ClientKind(enum.StrEnum):
    """Where a Pusher client comes from, which says who else uses it."""

    MODULE = "module"
    LOCAL = "local"
    CONTEXT = "context"
    PROP = "prop"
    UNKNOWN = "unknown"

    @property
    def shared(self) -> bool:
        """Tell whether components share the client by construction (module level, context)."""
        return self in (ClientKind.MODULE, ClientKind.CONTEXT)


@dataclass(frozen=True, slots=True)
class ClientRef:
    """A Pusher client: its kind and, when the scan found its `new Pusher`, where (file:line)."""

    kind: ClientKind
    where: str = ""


def trace(module: JsModule, node: Node | None, scope: JsScope, depth: int) -> ClientRef | None:
    """Follow names, imports, getters and refs from an expression to a `new Pusher`."""
    node = module.memo(module.unwrap(node))
    if node is None or depth > _MAX_DEPTH:
        return None
    kind = node.type
    if kind == "new_expression":
        ctor = node.child_by_field_name("constructor")
        if ctor is None or not module.text(ctor).endswith("Pusher"):
            return None
        return ClientRef(client_kind(module, node), f"{module.rel}:{module.where(node)[0]}")
    if kind == "identifier":
        name = module.text(node)
        found = module.lookup(name, scope)
        if isinstance(found, JsScope):
            return ClientRef(ClientKind.PROP) if pusherish(name) else None
        if isinstance(found, tuple):
            for value in found[1]:
                if isinstance(value, Items):
                    inner = module.unwrap(value.node)
                    if inner is not None and inner.type == "call_expression" and pusherish(name):
                        return ClientRef(ClientKind.CONTEXT)
                    continue
                got = trace(module, value, found[0], depth + 1)
                if got is not None:
                    return got
            return None
        other, exported = module.imported(name)
        if not isinstance(other, JsModule):
            return None
        values = _default_export(other) if exported == "default" else \
            other.top.assigns.get(exported, []) if exported != "*" else []
        for value in values:
            if not isinstance(value, Items):
                got = trace(other, value, other.top, depth + 1)
                if got is not None:
                    return got
        return None
    if kind == "call_expression":
        name = module.text(module.unwrap(node.child_by_field_name("function")) or node)
        short = name.rsplit(".", 1)[-1]
        if short == "useContext":
            return ClientRef(ClientKind.CONTEXT) if pusherish(module.text(node)) else None
        target = module.function_for(node.child_by_field_name("function"), scope)
        if target is not None and isinstance(target[0], JsModule):
            for expr in target[1].returns:
                got = trace(target[0], expr, target[1], depth + 1)
                if got is not None:
                    return got
        if HOOK.match(short) and pusherish(name):
            return ClientRef(ClientKind.CONTEXT)
        return None
    if kind == "member_expression":
        text = module.text(node)
        if text == "this.context":  # a class component's `static contextType = PusherContext`
            return ClientRef(ClientKind.CONTEXT) if _class_context(module, node) else None
        if text.endswith(".current"):
            base = module.unwrap(node.child_by_field_name("object"))
            for value in module.top.assigns.get(text, ()):
                got = trace(module, value, scope, depth + 1)
                if got is not None:
                    return got
            if base is not None and base.type == "identifier":
                found = module.lookup(module.text(base), scope)
                if isinstance(found, tuple):
                    for value in found[1]:
                        value = module.unwrap(value) if not isinstance(value, Items) else None
                        if value is not None and value.type == "call_expression":
                            args = module.arguments(value)
                            got = trace(module, args[0], found[0], depth + 1) if args else None
                            if got is not None:
                                return got
            return None
        for value in module.top.assigns.get(text, ()):
            got = trace(module, value, scope, depth + 1)
            if got is not None:
                return got
        member = module.member_value(node, scope)
        if member is not None:
            return trace(member[0], member[1], member[0].top, depth + 1)
        if text.startswith(("window.", "globalThis.")) and pusherish(text):
            return ClientRef(ClientKind.MODULE)
    return None


def client_kind(module: JsModule, node: Node) -> ClientKind:
    """A client made at module level, or kept in a module variable (a lazy singleton), is shared."""
    if module.scope_at(node) is module.top:
        return ClientKind.MODULE
    parent = node.parent
    while parent is not None and parent.type in ("parenthesized_expression", "as_expression",
                                                 "binary_expression", "ternary_expression"):
        parent = parent.parent
    if parent is not None and parent.type in ("assignment_expression",
                                              "augmented_assignment_expression"):
        left = parent.child_by_field_name("left")
        text = module.text(left) if left is not None else ""
        if text.startswith(("window.", "globalThis.", "self.")):
            return ClientKind.MODULE
        if left is not None and left.type == "identifier" and text in module.top.assigns:
            declared = re.compile(rb"\b(?:let|var|const)\s+" + re.escape(text.encode()) + rb"\b")
            current = parent.parent
            while current is not None:
                if current.type in FUNCTIONS and \
                        declared.search(module.src, current.start_byte, current.end_byte):
                    return ClientKind.LOCAL
                current = current.parent
            return ClientKind.MODULE
    return ClientKind.LOCAL


def _class_context(module: JsModule, node: Node) -> bool:
    """Tell whether the class around a node reads a Pusher context (`static contextType = X`)."""
    while node is not None and node.type not in ("class_declaration", "class"):
        node = node.parent
    found = _CONTEXT_TYPE.search(module.src, node.start_byte, node.end_byte) if node else None
    return found is not None and pusherish(found.group(1).decode())


def pusherish(text: str) -> bool:
    """Tell whether a name says it is a Pusher client (`pusher`, `usePusher`, `PusherContext`)."""
    lower = text.lower()
    return ("pusher" in lower or "realtime" in lower) and "channel" not in lower


def _default_export(module: JsModule) -> list[Any]:
    """Return what `export default X` of a module is (its values), if it says."""
    for child in module.root.named_children:
        if child.type != "export_statement" or b"default" not in \
                module.src[child.start_byte:child.start_byte + 16]:
            continue
        value = child.child_by_field_name("value") or child.child_by_field_name("declaration")
        if value is None:
            named = [c for c in child.named_children if c.type not in ("comment", "decorator")]
            value = named[-1] if named else None
        value = module.unwrap(value)
        if value is None:
            return []
        if value.type == "identifier":
            return list(module.top.assigns.get(module.text(value), ()))
        return [value]
    return []
