"""Say in one short line what an HTTP answer's body was: a JSON error, an HTML page's title, text.

A wrong port or a proxy in front of the server answers with an error page of dozens of lines; the
doctor, triage, the emitter and the probe's auth client show `body_excerpt(body)` instead: the
JSON `error` / `message`, `HTML page 'Not Found'` (its title, first heading or first words), or
the first words of plain text, on one line and bounded in length.
"""

from __future__ import annotations

import html
import json
import re

__all__ = ["ERROR_KEYS", "body_excerpt", "looks_like_html", "one_line"]

ERROR_KEYS = ("error", "detail", "message", "reason")
"""The JSON keys an error body names its reason with (Pusher, soketi, Django REST framework)."""

_TITLE = re.compile(r"<title[^>]*>(.*?)</title>", re.I | re.S)
_HEADING = re.compile(r"<h1[^>]*>(.*?)</h1>", re.I | re.S)
_TAG = re.compile(r"<[^>]+>")
_CODE = re.compile(r"<(script|style)\b[^>]*>.*?</\1\s*>", re.I | re.S)


def looks_like_html(text: str, content_type: str = "") -> bool:
    """Tell whether a body is an HTML page (by its content type or its first bytes)."""
    head = text.lstrip()[:300].lower()
    return "text/html" in content_type.lower() or head.startswith("<!doctype html") or \
        (head.startswith("<") and "<html" in head)


def one_line(text: str, limit: int) -> str:
    """Collapse whitespace and cut at `limit` characters (with an ellipsis)."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[:limit - 1].rstrip() + "…"


def body_excerpt(body: str | bytes, content_type: str = "", limit: int = 160) -> str:
    """Return one short line saying what the body was (empty for an empty body)."""
    text = body.decode("utf-8", errors="replace") if isinstance(body, bytes) else body
    text = text.strip()
    if not text:
        return ""
    if looks_like_html(text, content_type):
        for found in (_TITLE.search(text), _HEADING.search(text), _CODE.sub(" ", text)):
            part = found.group(1) if isinstance(found, re.Match) else found
            words = one_line(html.unescape(_TAG.sub(" ", part or "")), 80)
            if words:
                return f"HTML page {words!r}"
        return "HTML page (no title)"
    try:
        parsed = json.loads(text)
    except ValueError:
        return one_line(text, limit)
    if isinstance(parsed, dict):
        for key in ERROR_KEYS:
            value = parsed.get(key)
            if isinstance(value, str) and value.strip():
                return one_line(value, limit)
    return one_line(json.dumps(parsed, ensure_ascii=False), limit)
