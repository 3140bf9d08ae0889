"""An HTTP answer's body in one line (JSON error, an HTML page's title, text), and network errors
shown without the signed request URL."""

from __future__ import annotations

import pytest
import requests

from hotelmate_rt.excerpt import body_excerpt, looks_like_html
from hotelmate_rt.oncall.httpapi import ApiFailure, classify
from hotelmate_rt.settings import load_settings

PAGE = ("<!DOCTYPE html>\n<html><head><title>Page not found at /apps/1/events</title>"
        + "<style>p{}</style>\n" * 80 + "</head><body><h1>Not Found</h1></body></html>")


@pytest.mark.parametrize(("body", "content_type", "shown"), [
    (PAGE, "text/html", "HTML page 'Page not found at /apps/1/events'"),
    ("<html><body><h1>502 Bad &amp; Gateway</h1></body></html>", "", "HTML page '502 Bad & Gateway'"),
    ("<html><body>Server Error (500)</body></html>", "", "HTML page 'Server Error (500)'"),
    ("<html><script>var a = 1;</script><style>p{}</style><body> </body></html>", "",
     "HTML page (no title)"),
    ('{"error": "Invalid signature", "code": 4009}', "application/json", "Invalid signature"),
    ('{"detail": "Authentication credentials were not provided."}', "",
     "Authentication credentials were not provided."),
    ('{"ok": false}', "", '{"ok": false}'),
    ("upstream\n  connect error\n", "text/plain", "upstream connect error"),
    ("x" * 500, "", "x" * 159 + "…"),
    ("", "", ""),
    (b"\xff\xfebroken", "", "\ufffd\ufffdbroken"),
])
def test_a_body_is_one_short_line(body: str | bytes, content_type: str, shown: str) -> None:
    """A page by its title (or first heading), JSON by its error, text cut at 160 characters."""
    assert body_excerpt(body, content_type) == shown


def test_html_is_recognised_by_type_or_by_its_first_bytes() -> None:
    """The content type or a leading doctype/html tag tells a web page."""
    assert looks_like_html("oops", "text/html; charset=utf-8")
    assert looks_like_html("  <!doctype html><p>x")
    assert not looks_like_html('{"error": "<html> in a message"}x' + " " * 400)


def test_a_network_error_never_shows_the_signed_url() -> None:
    """A long requests error without 'Caused by' used to show its tail: the signature query."""
    settings = load_settings({"PUSHER_APP_ID": "4242", "PUSHER_KEY": "test-key",
                              "PUSHER_SECRET": "test-secret", "PUSHER_HOST": "127.0.0.1",
                              "PUSHER_PORT": "6001"})
    url = ("http://127.0.0.1:6001/apps/4242/channels/private-booking-BK-0000-0000?auth_key="
           "test-key&auth_signature=" + "ab" * 32 + "&auth_timestamp=1796204248&auth_version=1.0"
           "&info=subscription_count")
    error = classify(requests.exceptions.InvalidURL(f"Failed to parse: {url}"), settings)
    assert error.kind is ApiFailure.HTTP_ERROR
    for text in (str(error), error.detail):
        assert "auth_" not in text and "96204248" not in text
    assert str(error).startswith("the HTTP API call failed: Failed to parse: http://127.0.0.1:"
                                 "6001/apps/4242/channels/private-booking-BK-0000-0000")
