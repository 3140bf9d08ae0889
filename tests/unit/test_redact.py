"""The one redaction policy: every secret-named key, token header, signature and short secret."""

from __future__ import annotations

import pytest

from hotelmate_rt.redact import MASK, Redactor, redact, redact_text

SECRET_KEY_NAMES = ["secret", "pusher_secret", "app_secret", "password", "token", "access_token",
                    "guest_token", "staff_token", "authorization", "auth_signature", "api_key",
                    "encryption_master_key", "encryption_master_key_base64"]
"""Written out here (not imported) so that deleting a key from the policy fails a test."""
OPAQUE = "opaque-value-1"
"""A value no text pattern recognises: only the key's name can hide it."""


@pytest.mark.parametrize("key", SECRET_KEY_NAMES)
def test_every_secret_named_key_is_masked_in_any_case(key: str) -> None:
    """Each secret key's value is masked at any depth and letter case; other keys are kept."""
    data = {key: OPAQUE, "nested": [{key.upper(): OPAQUE}, ({key.title(): OPAQUE},)],
            "note": OPAQUE}
    assert redact(data) == {key: MASK, "nested": [{key.upper(): MASK}, [{key.title(): MASK}]],
                            "note": OPAQUE}


def test_empty_secret_values_stay_empty() -> None:
    """A secret key with no value shows that it is unset instead of a mask."""
    assert redact({"token": None, "secret": "", "password": 0}) == {
        "token": None, "secret": "", "password": MASK}
    assert redact([1, 2.5, True, None]) == [1, 2.5, True, None]


@pytest.mark.parametrize(("text", "expected"), [
    ("Authorization: Bearer abcdefgh12345678", "Authorization: Bearer ***"),
    ("authorization: bearer abc.def-ghi_jk~l+m/n=", "authorization: bearer ***"),
    ("Authorization: Token 0123456789abcdef0123", "Authorization: Token ***"),
    ("sent token 9f8e7d6c5b4a", "sent token ***"),
    ("Bearer short", "Bearer short"),
    ("Authorization: Token abc", "Authorization: Token ***"),
    ('{"authorization": "Basic dXNlcjpwYXNz"}', '{"authorization": "Basic ***"}'),
])
def test_bearer_and_drf_token_headers_are_masked(text: str, expected: str) -> None:
    """`Bearer <token>` and DRF's `Token <token>` lose the token, whatever the letter case."""
    assert redact_text(text) == expected


def test_auth_signature_query_value_is_masked_entirely() -> None:
    """Every hex character of an `auth_signature=` value is hidden, not just the first."""
    text = "GET /apps/1/events?auth_key=k&auth_signature=0a1b2c3d4e5f6789&body_md5=x"
    assert redact_text(text) == "GET /apps/1/events?auth_key=k&auth_signature=***&body_md5=x"
    assert redact_text("AUTH_SIGNATURE=ABCDEF") == "AUTH_SIGNATURE=***"


def test_signed_auth_strings_and_url_passwords_are_masked() -> None:
    """A `key:<64 hex>` auth value and the password of a `scheme://user:password@` URL are hidden."""
    signature = "ab" * 32
    assert redact_text(f"auth app-key:{signature} ok") == "auth app-key:*** ok"
    assert redact_text(f"auth k:{signature}") == f"auth k:{signature}"
    assert redact_text("http://key:s3cr3t@127.0.0.1:6001/apps/1") == (
        "http://key:***@127.0.0.1:6001/apps/1")


@pytest.mark.parametrize(("text", "expected"), [
    ("secret=abc123 next", "secret=*** next"),
    ('{"password": "hunter22"}', '{"password": "***"}'),
    ("TOKEN: 'xyz'", "TOKEN: '***'"),
    ("pusher_secret = v4lue,", "pusher_secret = ***,"),
    ("PUSHER_SECRET: hunter", "PUSHER_SECRET: ***"),
    ("guest_token: own", "guest_token: ***"),
    ("token=own", "token=***"),
    ("password: hunter2", "password: ***"),
    ("app secret: kQxLmNoPqRsTuVwXyZ", "app secret: ***"),
    ("token: " + "a" * 24, "token: ***"),
    ("SECRET: hunter", "SECRET: ***"),
    ("mysecret: own", "mysecret: ***"),
    ('{"token": own}', '{"token": ***}'),
    ("token: 'own'", "token: '***'"),
])
def test_secret_assignments_are_masked(text: str, expected: str) -> None:
    """`secret=...`, `"password": "..."` and `token: ...` assignments lose their value."""
    assert redact_text(text) == expected


def test_literal_secrets_from_four_characters_are_masked_longest_first() -> None:
    """Known values of 4+ characters are hidden (longest first); shorter ones would eat words."""
    redactor = Redactor(["abcd", None, "", "xyz", "abcdefgh"])
    assert redactor.secrets == ["abcdefgh", "abcd"]
    assert redactor("x abcd y abcdefgh z xyz") == "x *** y *** z xyz"
    redactor.add("abcd")
    assert redactor.secrets == ["abcdefgh", "abcd"]
    assert redactor.value({"note": ["say abcd"]}) == {"note": ["say ***"]}
    assert redact_text("k abcd", ["abcd"]) == "k ***"
    assert redact({"n": "abcd"}, ["abcd"]) == {"n": MASK}


def test_a_secret_inside_another_is_hidden_after_the_longer_one() -> None:
    """Longest first, not alphabetical: `zzzz` inside `azzzz` must not leave the `a` behind."""
    redactor = Redactor(["zzzz", "azzzz"])
    assert redactor.secrets == ["azzzz", "zzzz"]
    assert redactor("key azzzz and zzzz") == "key *** and ***"


@pytest.mark.parametrize("text", [
    "Guest token: own channel private-booking-BK-2025-0002",
    "Staff token: another hotel's staff channel is refused",
    "wrong app secret: refused (status 403)",
    "Secret: refused",
    "secret: refused",
    "token: own",
    "the token rejected the request",
    "token expired, token: missing",
    "token: abc12",
    "secret: NotFound here",
    "missing bearer token (Authorization: Bearer <token>)",
])
def test_ordinary_words_after_token_or_secret_are_kept(text: str) -> None:
    """A sentence about a token or secret keeps its words: only credential-looking values go."""
    assert redact_text(text) == text


@pytest.mark.parametrize(("value", "credential"), [
    ("abc123", True), ("abc12", False), ("refused", False), ("a" * 23, False), ("a" * 24, True),
    ("kQxLmNoPqRsTuVwX", True), ("kQxLmNoPqRsTuVw", False), ("ABCDEFGHIJKLMNOPQ", False),
    ("abcdefghijklmnopq", False),
])
def test_what_looks_like_a_credential(value: str, credential: bool) -> None:
    """Six characters with a digit, 16 with mixed case, or any 24 look like a credential."""
    assert (redact_text(f"token {value}") == "token ***") is credential
    assert (redact_text(f"secret: {value}") == "secret: ***") is credential


@pytest.mark.timeout(30)
@pytest.mark.parametrize("unit", ["a", "Ab0+", "a-", "a://", "a://b:", "x_", "token ", "secret: ",
                                  "authorization: ", "ab:"])
def test_redaction_is_linear_on_long_hostile_text(unit: str) -> None:
    """200 KB of one repeated unit (a hostile response body) is redacted at once, not in minutes."""
    text = unit * (200_000 // len(unit))
    assert redact_text(text) == text
