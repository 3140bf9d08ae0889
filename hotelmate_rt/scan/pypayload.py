"""What a Python payload carries: dict literals, earlier assignments, helpers, DRF serializers.

`payload_of(module, node, scope)` follows the expression a send passes as its data: a dict
literal (nested dicts and `**spreads` too), a variable assigned earlier (plus `d["k"] = v` and
`d.update({...})`), a helper function that returns a dict, and Django REST Framework serializers
(`SomeSerializer(obj).data`, `serializer.data`, `self.get_serializer(obj).data`), whose fields
come from `Meta.fields` / `Meta.exclude` / declared fields, across modules and base classes.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field

from hotelmate_rt.contracts.payloads import json_type

from .model import Payload, PayloadField
from .pyresolve import PyClass, PyResolver, Scope, source_text
from .symbols import Sym, has_params, literal

_MAX_DEPTH = 6
_MODEL_FIELD_SUFFIXES = ("Field", "ForeignKey", "OneToOneField", "ManyToManyField")
_DISCRIMINATOR_SAFE = (ast.Constant, ast.Name, ast.Attribute, ast.JoinedStr, ast.Subscript)


@dataclass(slots=True)
class _Acc:
    """Collects what one payload expression shows."""

    line: int
    column: int
    fields: list[PayloadField] = field(default_factory=list)
    constants: list[tuple[str, str]] = field(default_factory=list)
    symbolic: list[tuple[str, Sym]] = field(default_factory=list)
    spread: bool = False
    spread_params: list[str] = field(default_factory=list)

    def merge(self, payload: Payload, prefix: str = "") -> None:
        """Add another payload's fields (under a prefix when it is nested)."""
        for item in payload.fields:
            self.fields.append(PayloadField(prefix + item.path, item.line, item.column,
                                            item.type, item.source))
        if not prefix:
            self.constants.extend(payload.constants)
            self.symbolic.extend(payload.symbolic)
            self.spread = self.spread or payload.spread
            self.spread_params.extend(payload.spread_params)

    def spread_from(self, got: Payload | str | None) -> None:
        """Take in what a spread (`**x`, `dict(x)`) resolved to: a payload, a parameter, or unknown."""
        if isinstance(got, Payload):
            self.merge(got)
        elif isinstance(got, str):
            self.spread_params.append(got)
        else:
            self.spread = True

    def build(self) -> Payload:
        """Freeze into a Payload (first occurrence of each path wins)."""
        seen: set[str] = set()
        fields = []
        for item in self.fields:
            if item.path not in seen:
                seen.add(item.path)
                fields.append(item)
        return Payload(tuple(fields), tuple(dict.fromkeys(self.constants)), self.spread,
                       tuple(dict.fromkeys(self.symbolic)), tuple(dict.fromkeys(self.spread_params)))


def value_type(node: ast.expr) -> str | None:
    """Guess a JSON type from a literal value expression (None when unknown)."""
    if isinstance(node, ast.Constant):
        value = node.value
        return json_type(value) if value is None or isinstance(value, bool | int | float | str) \
            else None
    if isinstance(node, ast.JoinedStr):
        return "string"
    if isinstance(node, ast.Dict):
        return "object"
    if isinstance(node, ast.List | ast.ListComp | ast.Tuple):
        return "array"
    if isinstance(node, ast.Call):
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        return {"isoformat": "string", "str": "string", "int": "integer", "float": "number",
                "bool": "boolean", "len": "integer", "strftime": "string"}.get(name)
    return None


def payload_of(module: PyResolver, node: ast.expr | None, scope: Scope,
               depth: int = 0) -> Payload | str | None:
    """Read what a payload expression carries; a str names the parameter it wholly comes from."""
    if node is None or depth > _MAX_DEPTH:
        return None
    if isinstance(node, ast.Name):
        return _name(module, node, scope, depth)
    if isinstance(node, ast.Dict):
        acc = _Acc(node.lineno, module.col(node))
        _dict(module, node, scope, "", acc, depth)
        return acc.build()
    if isinstance(node, ast.BoolOp | ast.IfExp):
        parts = node.values if isinstance(node, ast.BoolOp) else [node.body, node.orelse]
        return _union(module, parts, scope, depth, node)
    if isinstance(node, ast.Attribute) and node.attr == "data":
        fields = serializer_data(module, node.value, scope, depth)
        if fields is None:
            return None
        acc = _Acc(node.lineno, module.col(node))
        acc.fields.extend(_located(fields, node.lineno, module.col(node)))
        return acc.build()
    if isinstance(node, ast.Call):
        return _call(module, node, scope, depth)
    return None


def _union(module: PyResolver, parts: list[ast.expr], scope: Scope, depth: int,
           node: ast.expr) -> Payload | str | None:
    """Merge the payloads of alternatives (`payload or {}`, `a if c else b`)."""
    acc = _Acc(node.lineno, module.col(node))
    found = False
    for part in parts:
        got = payload_of(module, part, scope, depth + 1)
        if isinstance(got, str):
            if isinstance(part, ast.Name) and len(parts) == 2 and \
                    isinstance(parts[1], ast.Dict) and not parts[1].keys:
                return got
            acc.spread_params.append(got)
        elif got is not None:
            acc.merge(got)
            found = True
        else:
            acc.spread = True
    return acc.build() if found or acc.spread_params else None


def _name(module: PyResolver, node: ast.Name, scope: Scope, depth: int) -> Payload | str | None:
    """Follow a variable to its assignments, item assignments and `.update()` calls."""
    found = module.lookup(node.id, scope)
    if found == "param":
        return node.id
    if not isinstance(found, tuple):
        return None
    owner, values = found
    acc = _Acc(node.lineno, module.col(node))
    known = False
    for value in values:
        got = payload_of(module, value, owner, depth + 1)
        if isinstance(got, Payload):
            acc.merge(got)
            known = True
        elif isinstance(got, str) and len(values) == 1 and node.id not in owner.items:
            return got
        else:
            acc.spread = True
    for key, value in owner.items.get(node.id, ()):
        acc.fields.append(PayloadField(key, value.lineno, module.col(value), value_type(value)))
        known = True
    for call, call_scope in module.calls:
        func = call.func
        if call_scope is owner and isinstance(func, ast.Attribute) and func.attr == "update" and \
                isinstance(func.value, ast.Name) and func.value.id == node.id:
            for arg in call.args:
                got = payload_of(module, arg, owner, depth + 1)
                if isinstance(got, Payload):
                    acc.merge(got)
                else:
                    acc.spread = True
            for keyword in call.keywords:
                if keyword.arg:
                    acc.fields.append(PayloadField(keyword.arg, keyword.value.lineno,
                                                   module.col(keyword.value),
                                                   value_type(keyword.value)))
            known = True
    return acc.build() if known else None


def _dict(module: PyResolver, node: ast.Dict, scope: Scope, prefix: str, acc: _Acc,
          depth: int) -> None:
    """Collect the keys of a dict literal, its nested dicts and spreads."""
    for key, value in zip(node.keys, node.values, strict=True):
        if key is None:
            got = payload_of(module, value, scope, depth + 1)
            if isinstance(got, Payload):
                acc.merge(got, prefix) if prefix else acc.merge(got)
            elif isinstance(got, str) and not prefix:
                acc.spread_params.append(got)
            elif not prefix:
                acc.spread = True
            continue
        if not (isinstance(key, ast.Constant) and isinstance(key.value, str)):
            acc.spread = acc.spread or not prefix
            continue
        _entry(module, key.value, value, scope, prefix, acc, depth,
               key.lineno, module.col(key))


def _entry(module: PyResolver, key: str, value: ast.expr, scope: Scope, prefix: str, acc: _Acc,
           depth: int, line: int, column: int) -> None:
    """Add one `key: value` of a payload (nested dicts and serializer data go one level down)."""
    path = f"{prefix}{key}"
    acc.fields.append(PayloadField(path, line, column, value_type(value)))
    if isinstance(value, ast.Dict):
        _dict(module, value, scope, path + ".", acc, depth + 1)
        return
    if isinstance(value, ast.Attribute) and value.attr == "data":
        nested = serializer_data(module, value.value, scope, depth + 1)
        if nested is not None:
            acc.fields.extend(_located(nested, line, column, path + "."))
        return
    if isinstance(value, ast.Name):
        got = payload_of(module, value, scope, depth + 1)
        if isinstance(got, Payload) and got.fields:
            acc.merge(got, path + ".")
            return
    if prefix or not isinstance(value, _DISCRIMINATOR_SAFE):
        return
    syms = module.resolve(value, scope)
    text = literal(syms[0]) if len(syms) == 1 else None
    if text is not None:
        acc.constants.append((key, text))
        return
    for sym in syms:
        if has_params(sym):
            acc.symbolic.append((key, sym))
            return


def _call(module: PyResolver, node: ast.Call, scope: Scope, depth: int) -> Payload | str | None:
    """`dict(...)`, `x.copy()`, `deepcopy(x)`, and helper functions that return a payload."""
    func = node.func
    name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
    if isinstance(func, ast.Name) and name == "dict":
        acc = _Acc(node.lineno, module.col(node))
        for arg in node.args:
            acc.spread_from(payload_of(module, arg, scope, depth + 1))
        for keyword in node.keywords:
            if keyword.arg is None:
                acc.spread_from(payload_of(module, keyword.value, scope, depth + 1))
            else:
                _entry(module, keyword.arg, keyword.value, scope, "", acc, depth,
                       keyword.value.lineno, module.col(keyword.value))
        return acc.build()
    if name in ("copy", "deepcopy"):
        inner = func.value if isinstance(func, ast.Attribute) and name == "copy" else \
            (node.args[0] if node.args else None)
        return payload_of(module, inner, scope, depth + 1)
    target = module.function_for(func, scope)
    if target is None:
        return None
    other, callee = target
    bound = other.bind(callee, node)
    acc = _Acc(node.lineno, module.col(node))
    known = False
    for expr in callee.returns:
        got = payload_of(other, expr, callee, depth + 1)
        if isinstance(got, str):
            got = payload_of(module, bound[got], scope, depth + 1) if got in bound else None
        if isinstance(got, Payload):
            acc.merge(Payload(tuple(_located(got.fields, node.lineno, module.col(node))),
                              got.constants, got.spread))
            known = True
    return acc.build() if known else None


def _located(fields: tuple[PayloadField, ...] | list[PayloadField], line: int, column: int,
             prefix: str = "") -> list[PayloadField]:
    """Re-anchor fields found in another file at the send site (keeping where they came from)."""
    return [PayloadField(prefix + f.path, line, column, f.type, f.source) for f in fields]


# -- Django REST Framework serializers ------------------------------------------------------------
def serializer_data(module: PyResolver, node: ast.expr, scope: Scope,
                    depth: int = 0) -> tuple[PayloadField, ...] | None:
    """Return the fields of `node.data` when `node` is a serializer instance, else None."""
    if depth > _MAX_DEPTH:
        return None
    if isinstance(node, ast.Name):
        found = module.lookup(node.id, scope)
        if isinstance(found, tuple) and len(found[1]) == 1:
            return serializer_data(module, found[1][0], found[0], depth + 1)
        return None
    if not isinstance(node, ast.Call):
        return None
    func = node.func
    if isinstance(func, ast.Attribute) and func.attr == "get_serializer" and \
            isinstance(func.value, ast.Name) and func.value.id == "self":
        klass = module.enclosing_class(scope)
        attr = module.class_attr(klass, "serializer_class") if klass is not None else None
        if attr is None:
            return None
        named = attr[0].class_named(attr[1], attr[0].top)
    else:
        named = module.class_named(func, scope)
    if named is None:
        return None
    return serializer_fields(named[0], named[1], depth + 1)


def serializer_fields(module: PyResolver, klass: PyClass,
                      depth: int = 0) -> tuple[PayloadField, ...] | None:
    """List the fields a serializer class outputs (nested serializers as dotted paths)."""
    if depth > _MAX_DEPTH or not _is_serializer(module, klass):
        return None
    declared = _declared(module, klass, depth)
    meta = _meta(module, klass)
    names: list[str] | None = None
    if meta is not None:
        meta_module, meta_class = meta
        listed = _strings(meta_module, meta_class.attrs.get("fields"), meta_class)
        if listed == ["__all__"] or (listed is None and "exclude" in meta_class.attrs):
            names = _model_fields(meta_module, meta_class)
            excluded = _strings(meta_module, meta_class.attrs.get("exclude"), meta_class) or []
            names = [n for n in (names or []) if n not in excluded] + \
                [n for n in declared if n not in (names or [])]
        elif listed is not None:
            names = listed
    if names is None:
        names = list(declared)
    where = f"{klass.name} ({module.rel}:{klass.node.lineno})"
    out: list[PayloadField] = []
    for name in names:
        out.append(PayloadField(name, klass.node.lineno, 1, None, where))
        nested = declared.get(name)
        if nested:
            out.extend(PayloadField(f"{name}.{f.path}", f.line, f.column, f.type, f.source)
                       for f in nested)
    return tuple(out)


def _is_serializer(module: PyResolver, klass: PyClass, depth: int = 0) -> bool:
    """Tell whether a class is a DRF serializer (by its bases' names, across modules)."""
    if klass.name.endswith("Serializer") or "Meta" in klass.nested:
        return True
    for base in klass.node.bases:
        if source_text(base).endswith("Serializer"):
            return True
        found = module.class_named(base, module.top)
        if found is not None and depth < _MAX_DEPTH and _is_serializer(found[0], found[1], depth + 1):
            return True
    return False


def _declared(module: PyResolver, klass: PyClass,
              depth: int) -> dict[str, tuple[PayloadField, ...] | None]:
    """Declared fields of a serializer and its bases: name -> nested fields (None if plain)."""
    out: dict[str, tuple[PayloadField, ...] | None] = {}
    for base in klass.node.bases:
        found = module.class_named(base, module.top)
        if found is not None and depth < _MAX_DEPTH:
            out.update(_declared(found[0], found[1], depth + 1))
    for name, value in klass.attrs.items():
        if not isinstance(value, ast.Call):
            continue
        nested_class = module.class_named(value.func, module.top)
        if nested_class is not None and _is_serializer(*nested_class):
            out[name] = serializer_fields(nested_class[0], nested_class[1], depth + 1) or ()
        elif source_text(value.func).rsplit(".", 1)[-1].endswith(("Field", "Serializer")):
            out[name] = None
    return out


def _meta(module: PyResolver, klass: PyClass, depth: int = 0) -> tuple[PyResolver, PyClass] | None:
    """Find a serializer's Meta class (its own, or inherited from a base)."""
    if "Meta" in klass.nested:
        return module, klass.nested["Meta"]
    for base in klass.node.bases:
        found = module.class_named(base, module.top)
        if found is not None and depth < _MAX_DEPTH:
            got = _meta(found[0], found[1], depth + 1)
            if got is not None:
                return got
    return None


def _strings(module: PyResolver, node: ast.expr | None, context: PyClass,
             depth: int = 0) -> list[str] | None:
    """Read a list of field names: literals, `Base.Meta.fields + [...]`, inherited Meta."""
    if node is None or depth > _MAX_DEPTH:
        if node is None:
            for base in context.node.bases:
                found = module.class_named(base, module.top)
                if found is not None and "fields" in found[1].attrs:
                    return _strings(found[0], found[1].attrs["fields"], found[1], depth + 1)
        return None
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.List | ast.Tuple):
        out = [e.value for e in node.elts if isinstance(e, ast.Constant) and isinstance(e.value, str)]
        return out if len(out) == len(node.elts) else None
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left = _strings(module, node.left, context, depth + 1)
        right = _strings(module, node.right, context, depth + 1)
        return left + right if left is not None and right is not None else None
    if isinstance(node, ast.Attribute):
        owner = module.class_named(node.value, module.top)
        if owner is not None and node.attr in owner[1].attrs:
            return _strings(owner[0], owner[1].attrs[node.attr], owner[1], depth + 1)
    if isinstance(node, ast.Name):
        assigned = module.lookup(node.id, module.top)
        if isinstance(assigned, tuple) and len(assigned[1]) == 1:
            return _strings(module, assigned[1][0], context, depth + 1)
    return None


def _model_fields(module: PyResolver, meta: PyClass) -> list[str] | None:
    """List a Django model's field names from `Meta.model` (for `fields = "__all__"`)."""
    model = meta.attrs.get("model")
    found = module.class_named(model, module.top) if model is not None else None
    if found is None:
        return None
    names = ["id"]
    for name, value in found[1].attrs.items():
        if isinstance(value, ast.Call) and \
                source_text(value.func).rsplit(".", 1)[-1].endswith(_MODEL_FIELD_SUFFIXES):
            names.append(name)
    return names
