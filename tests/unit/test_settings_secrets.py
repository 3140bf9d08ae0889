"""An unusable PUSHER_URL (or a value in the wrong variable) is named, never quoted with its secret."""

from __future__ import annotations

from pathlib import Path

import pytest

from hotelmate_rt.contracts import load_contract
from hotelmate_rt.emitters import Emitter, PusherTransport
from hotelmate_rt.errors import ConfigError
from hotelmate_rt.settings import load_settings
from tests.helpers import CONTRACT_PATH, run_cli

CONTRACT = load_contract(CONTRACT_PATH)
HALVES = ("Zq9sW", "EcReTx7")
"""The two halves of the secret in every URL below: neither may ever be shown."""

BAD_URLS = {
    "no scheme": "key:Zq9sWEcReTx7@127.0.0.1:6001/apps/1",
    "no scheme, '/' in the secret": "key:Zq9sW/EcReTx7@127.0.0.1:6001/apps/1",
    "unencoded '/' in the secret": "http://key:Zq9sW/EcReTx7@127.0.0.1:6001/apps/1",
    "unencoded '#' in the secret": "http://key:Zq9sW#EcReTx7@127.0.0.1:6001/apps/1",
    "unencoded '?' in the secret": "https://key:Zq9sW?EcReTx7@api.example/apps/1",
    "'[' in the secret": "http://key:Zq9sW[EcReTx7@127.0.0.1:6001/apps/1",
    "port not a number": "http://key:Zq9sWEcReTx7@127.0.0.1:60o1/apps/1",
    "port out of range": "http://key:Zq9sWEcReTx7@127.0.0.1:600100/apps/1",
    "app id not a number": "https://key:Zq9sWEcReTx7@api.example/apps/my-app",
    "another scheme": "wss://key:Zq9sWEcReTx7@127.0.0.1:6001/apps/1",
    "no key": "http://:Zq9sWEcReTx7@127.0.0.1:6001/apps/1",
}


def assert_hidden(text: str) -> None:
    """Neither half of the secret appears in `text`."""
    assert not any(half in text for half in HALVES), text


@pytest.mark.parametrize("url", BAD_URLS.values(), ids=BAD_URLS.keys())
def test_an_unusable_pusher_url_is_named_without_quoting_it(url: str) -> None:
    """The error says what the URL lacks; the settings, require() and the emitter never quote it."""
    settings = load_settings({"PUSHER_URL": url})
    (error,) = settings.errors
    assert error.startswith("PUSHER_URL must look like http(s)://KEY:SECRET@HOST[:PORT]/apps/")
    assert_hidden(error)
    with pytest.raises(ConfigError) as raised:
        settings.require()
    assert_hidden(str(raised.value))
    with pytest.raises(ConfigError) as raised:
        Emitter.from_env(CONTRACT, env={"PUSHER_URL": url})
    assert_hidden(str(raised.value))
    with pytest.raises(ConfigError) as raised:
        PusherTransport.from_env({"PUSHER_URL": url})
    assert_hidden(str(raised.value))


@pytest.mark.parametrize(("url", "words"), [
    (BAD_URLS["no scheme"], "does not start with http:// or https://"),
    (BAD_URLS["unencoded '/' in the secret"], "must be percent-encoded (%2F, %3F, %23)"),
    (BAD_URLS["app id not a number"], "path is not /apps/ and a numeric app id"),
    (BAD_URLS["port out of range"], "a port is a number up to 65535"),
])
def test_the_error_says_what_to_fix(url: str, words: str) -> None:
    """Each shape of mistake gets its own plain reason."""
    assert words in load_settings({"PUSHER_URL": url}).errors[0]


def test_a_percent_encoded_secret_and_an_at_sign_in_it_are_read() -> None:
    """The URL form the error asks for works, including '@' and an encoded '/' in the secret."""
    settings = load_settings({"PUSHER_URL": "http://key:Zq9sW%2FEc@ReTx7@127.0.0.1:6001/apps/1"})
    assert not settings.errors
    assert (settings.key, settings.secret, settings.host, settings.port) == \
        ("key", "Zq9sW/Ec@ReTx7", "127.0.0.1", 6001)


@pytest.mark.parametrize("env", [
    {"PUSHER_HOST": "key:Zq9sWEcReTx7@127.0.0.1"},
    {"PUSHER_HOST": "http://key:Zq9sWEcReTx7@127.0.0.1"},
    {"PUSHER_PORT": "Zq9sWEcReTx7-pasted"},
    {"PUSHER_USE_TLS": "Zq9sWEcReTx7-pasted"},
])
def test_a_secret_pasted_into_another_variable_is_not_echoed(env: dict[str, str]) -> None:
    """A host holding credentials, or a long value where a port or boolean belongs: named only."""
    settings = load_settings(env)
    assert settings.errors
    assert_hidden(" ".join(settings.errors) + str(settings.describe()))


def test_a_port_out_of_range_is_a_settings_error() -> None:
    """PUSHER_PORT=600100 is refused by the settings, not by the HTTP library mid-request."""
    assert load_settings({"PUSHER_PORT": "600100"}).errors == \
        ["PUSHER_PORT='600100' is not a port number (1-65535)"]


@pytest.mark.parametrize("args", [
    ["emit", "booking_updated", "--example", "-p", "hotel_slug=hotel-paradise"],
    ["replay", str(CONTRACT_PATH)],
    ["listen", "--as", "public", "--hotel", "hotel-paradise", "--timeout", "1"],
    ["record", "--as", "public", "--hotel", "hotel-paradise", "--timeout", "1", "--out", "x.jsonl"],
    ["doctor", "--budget", "5"],
    ["doctor", "--json", "--budget", "5"],
    ["triage", "booking", "BK-2025-0002"],
    ["triage", "booking", "BK-2025-0002", "--json"],
    ["console", "--port", "0"],
])
def test_no_command_quotes_an_unusable_pusher_url(args: list[str], tmp_path: Path) -> None:
    """Every consumer of the settings reports the URL in one plain sentence, secret hidden."""
    result = run_cli(*args, "--contract", str(CONTRACT_PATH), cwd=tmp_path,
                     env={"PUSHER_URL": BAD_URLS["no scheme, '/' in the secret"]}, timeout=60)
    output = result.stdout + result.stderr
    assert "does not start with http:// or https://" in output
    assert result.returncode in (1, 2) and "Traceback" not in output
    assert_hidden(output)
    assert not list(tmp_path.iterdir())  # nothing recorded or dead-lettered with it either
