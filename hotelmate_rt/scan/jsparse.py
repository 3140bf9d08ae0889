"""Parsing JS/TS with tree-sitter, the scope record, and import specifiers -> scanned files."""

from __future__ import annotations

import posixpath
from dataclasses import dataclass, field
from functools import cache
from typing import Any

Node = Any
MAX_DEPTH = 8
"""How deep name resolution follows variables, calls and imports before it gives up."""
_EXTENSIONS = (".js", ".jsx", ".ts", ".tsx", ".mjs", ".cjs", ".mts", ".cts")


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
 (arrow_function) (method_definition) (generator_function_declaration) (for_in_statement)
 (enum_declaration)] @node"""


@cache
def node_query(lang: str) -> Any:
    """Return the compiled query that picks the node kinds the analyzer records."""
    import tree_sitter

    text = _QUERY_TEXT if lang != "javascript" else _QUERY_TEXT.replace(" (enum_declaration)", "")
    return tree_sitter.Query(parser_for(lang).language, text)


def syntax_errors(root: Node, limit: int = 5) -> list[int]:
    """Return the 1-based lines of the first few ERROR or MISSING nodes of a tree."""
    found: list[int] = []
    stack = [root]
    while stack and len(found) < limit:
        node = stack.pop()
        if node.type == "ERROR" or node.is_missing:
            found.append(node.start_point[0] + 1)
            continue
        if node.has_error:
            stack.extend(reversed(node.children))
    return found


@dataclass(frozen=True, slots=True)
class Items:
    """A name bound to each element of an iterable (`for (const x of xs)`, destructuring)."""

    node: Node
    key: str | None = None


@dataclass(slots=True, eq=False)
class JsScope:
    """A function (or the module): parameters, assignments, return expressions."""

    name: str
    parent: JsScope | None
    line: int = 0
    params: tuple[str, ...] = ()
    defaults: dict[str, Node] = field(default_factory=dict)
    assigns: dict[str, list[Any]] = field(default_factory=dict)
    returns: list[Node] = field(default_factory=list)
    node: Node | None = None


def resolve_import(spec: str, from_rel: str, known: set[str],
                   roots: tuple[str, ...] = ("src",)) -> str | None:
    """Map an import specifier to a scanned file's relative path, or None (`@/` = a src root)."""
    if spec.startswith("@/"):
        for root in roots:
            found = resolve_import("./" + spec[2:], root + "/x", known)
            if found is not None:
                return found
        return None
    if not spec.startswith("."):
        return None
    base = posixpath.normpath(posixpath.join(posixpath.dirname(from_rel), spec))
    if base in known:
        return base
    for ext in _EXTENSIONS:
        if base + ext in known:
            return base + ext
    for ext in _EXTENSIONS:
        if f"{base}/index{ext}" in known:
            return f"{base}/index{ext}"
    return None
