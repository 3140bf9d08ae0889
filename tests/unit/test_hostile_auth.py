"""Hostile requests to the Django auth view (issue 15, point 8), through Django's test client."""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hotelmate_rt.auth import Principal, authorize, sign_channel, valid_socket_id
from hotelmate_rt.contracts import Contract, load_contract
from hotelmate_rt.errors import Forbidden
from hotelmate_rt.testing.django_setup import ensure_django

# The test project's settings, as the integration tests use (whichever module is collected first).
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.django_project.settings")
ensure_django()

from django.test import Client, override_settings  # noqa: E402
from django.urls import path  # noqa: E402

from hotelmate_rt.django.views import MAX_BODY_BYTES, make_auth_view  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
KEY, SECRET, SOCKET = "app-key", "app-secret-value", "1234.5678"
OWN = "private-booking-BK-2025-0002"
TOKENS = {"guest-token-0002": Principal.guest("BK-2025-0002", "hotel-paradise", "101")}
AUTH = {"HTTP_AUTHORIZATION": "Bearer guest-token-0002"}
ARABIC_DIGITS, FULLWIDTH_DIGITS = "\u0661.\u0662", "\uff11\uff12.\uff13\uff14"
"""Arabic-Indic and fullwidth digits: `\\d` takes them, Pusher socket ids never hold them."""
FUZZ = settings(max_examples=int(os.environ.get("HOTELMATE_RT_FUZZ_EXAMPLES", "150")), deadline=5000,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
"""Bounded for CI; set HOTELMATE_RT_FUZZ_EXAMPLES=5000 for a longer local run."""


class _Records(logging.Handler):
    """Keep every log record, to look for tracebacks the view or Django logged."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        """Remember the record."""
        self.records.append(record)


class _Urls:
    """A URL configuration object (Django accepts any object with `urlpatterns`)."""

    def __init__(self, view: Any) -> None:
        self.urlpatterns = [path("pusher/auth", view)]


@pytest.fixture(scope="module")
def contract() -> Contract:
    """The repository's contract."""
    return load_contract(ROOT / "channels.yaml")


@pytest.fixture(scope="module")
def client(contract: Contract) -> Iterator[Client]:
    """A Django test client routed to the real auth view for the shipped contract."""
    view = make_auth_view(contract, TOKENS, key=KEY, secret=SECRET)
    with override_settings(ROOT_URLCONF=_Urls(view)):
        yield Client()


@pytest.fixture
def logged() -> Iterator[_Records]:
    """Collect every log record written while the test runs."""
    handler = _Records()
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        yield handler
    finally:
        root.removeHandler(handler)


def no_traceback_logged(records: _Records) -> None:
    """Fail if any log record carried an exception (a traceback in the server log)."""
    assert [r.getMessage() for r in records.records if r.exc_info] == []


def test_json_nested_100000_deep_is_a_400_before_the_token(client: Client, logged: _Records) -> None:
    """A 100,000-deep JSON body is refused for its size with a reason, no traceback (was a 500)."""
    body = "[" * 100_000 + "]" * 100_000
    response = client.post("/pusher/auth", body, content_type="application/json")
    assert response.status_code == 400
    assert f"larger than {MAX_BODY_BYTES} bytes" in response.json()["error"]
    no_traceback_logged(logged)


def test_json_nested_deeper_than_python_within_the_size_limit_is_a_400(
        client: Client, logged: _Records) -> None:
    """A small body nested past the interpreter's limit is a 400 naming the nesting."""
    body = "[" * 4000 + "]" * 4000
    assert len(body) <= MAX_BODY_BYTES
    response = client.post("/pusher/auth", body, content_type="application/json", **AUTH)
    assert response.status_code == 400
    assert response.json()["error"] == "the JSON body is nested too deeply"
    no_traceback_logged(logged)


@pytest.mark.parametrize(("body", "content_type", "reason"), [
    ("[1, 2]", "application/json", "must be an object"),
    ("{not json", "application/json", "not a valid form or JSON object"),
    (b"\xff\xfe{", "application/json", "not a valid form or JSON object"),
    ("x" * (MAX_BODY_BYTES + 1), "application/x-www-form-urlencoded", "larger than"),
    ("&".join(["a="] * 1500), "application/x-www-form-urlencoded",
     "not a valid form or JSON object"),
])
def test_malformed_bodies_are_400_with_a_reason(client: Client, logged: _Records, body: Any,
                                                content_type: str, reason: str) -> None:
    """Bodies that are not a small form or flat JSON object get a 400 that says why."""
    response = client.post("/pusher/auth", body, content_type=content_type, **AUTH)
    assert response.status_code == 400
    assert reason in response.json()["error"]
    no_traceback_logged(logged)


def test_json_body_is_read_like_the_form(client: Client, contract: Contract) -> None:
    """A flat JSON body with text fields is signed exactly like pusher-js's form body."""
    body = json.dumps({"socket_id": SOCKET, "channel_name": OWN})
    response = client.post("/pusher/auth", body, content_type="application/json", **AUTH)
    assert response.status_code == 200
    assert response.json() == {"auth": f"{KEY}:{sign_channel(SECRET, SOCKET, OWN)}"}
    numbers = json.dumps({"socket_id": 1234.5678, "channel_name": OWN})
    response = client.post("/pusher/auth", numbers, content_type="application/json", **AUTH)
    assert response.status_code == 400


@pytest.mark.parametrize("socket_id", [ARABIC_DIGITS, FULLWIDTH_DIGITS, "12.34\n", "12.34:private-other",
                                       "x12.34", "12.", ".34", "12.34.56", "1 2.34"])
def test_only_ascii_socket_ids_are_signed(client: Client, contract: Contract,
                                          socket_id: str) -> None:
    """Unicode digits, trailing text or newlines in socket_id are refused, never signed."""
    response = client.post("/pusher/auth", {"socket_id": socket_id, "channel_name": OWN}, **AUTH)
    assert response.status_code == 400
    assert response.json()["error"] == "socket_id is not a Pusher socket id"
    assert not valid_socket_id(socket_id)
    with pytest.raises(Forbidden, match="is not a Pusher socket id"):
        authorize(contract, TOKENS["guest-token-0002"], OWN, socket_id, key=KEY, secret=SECRET)


CHANNELS = st.sampled_from([OWN, "private-booking-BK-2025-0003", "private-booking-BK-2025-0002-x",
                            "presence-booking-BK-2025-0002", "private-encrypted-x", "hotel-x",
                            "private-hotel-hotel-paradise-staff", ""])
TEXT = st.text(max_size=40) | CHANNELS | st.sampled_from([SOCKET, ARABIC_DIGITS, FULLWIDTH_DIGITS, "1.2"])
JSON_VALUES = st.recursive(st.none() | st.booleans() | st.floats() | st.integers() | TEXT,
                           lambda inner: st.lists(inner, max_size=3)
                           | st.dictionaries(TEXT, inner, max_size=3), max_leaves=20)
BODIES = st.one_of(
    st.dictionaries(st.sampled_from(["socket_id", "channel_name", "x"]) | st.text(max_size=8),
                    TEXT, max_size=4).map(lambda form: (form, None)),
    st.dictionaries(st.sampled_from(["socket_id", "channel_name"]) | TEXT, JSON_VALUES,
                    max_size=4).map(lambda data: (json.dumps(data), "application/json")),
    st.tuples(st.binary(max_size=200), st.sampled_from([
        "application/json", "application/x-www-form-urlencoded", "multipart/form-data",
        "multipart/form-data; boundary=x", "text/plain", ""])),
)


@pytest.mark.timeout(240)
@FUZZ
@given(body=BODIES, token=st.sampled_from([None, "guest-token-0002", "forged"]))
def test_fuzz_random_bodies_get_a_json_answer_and_never_a_traceback(
        client: Client, contract: Contract, logged: _Records, body: tuple[Any, str | None],
        token: str | None) -> None:
    """Random form/JSON/binary bodies get 200/400/401/403 JSON; a 200 is the guest's own booking."""
    data, content_type = body
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}
    if content_type is None:  # a dict: the test client encodes it as multipart form data
        response = client.post("/pusher/auth", data, **headers)
    else:
        response = client.post("/pusher/auth", data, content_type=content_type, **headers)
    assert response.status_code in (200, 400, 401, 403), response.content
    answer = response.json()
    if response.status_code == 200:
        fields = _fields(data)
        assert token == "guest-token-0002"
        assert answer == authorize(contract, TOKENS[token], fields["channel_name"],
                                   fields["socket_id"], key=KEY, secret=SECRET)
    else:
        assert isinstance(answer["error"], str) and answer["error"]
    no_traceback_logged(logged)


def _fields(data: Any) -> dict[str, str]:
    """Read back the fields a fuzzed body carried (form dict, JSON text or raw form bytes)."""
    if isinstance(data, bytes):
        return {k: v[0] for k, v in parse_qs(data.decode("utf-8", "replace")).items()}
    return dict(json.loads(data) if isinstance(data, str) else data)
