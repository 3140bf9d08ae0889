"""The one settings reader: each precedence rule, and one answer in every consumer."""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

from hotelmate_rt.cli.listen import SessionArgs, build_probe, probe_settings
from hotelmate_rt.console.doctor import doctor_options
from hotelmate_rt.console.harness import ConsoleProcess
from hotelmate_rt.contracts import load_contract
from hotelmate_rt.emitters import DeadLetterFile, Emitter, PusherTransport, pusher_settings
from hotelmate_rt.errors import ConfigError
from hotelmate_rt.oncall.doctor import DoctorContext, DoctorOptions
from hotelmate_rt.oncall.httpapi import make_client
from hotelmate_rt.oncall.triage import TriageContext, TriageOptions
from hotelmate_rt.probes import ServerAddress
from hotelmate_rt.settings import flag_overrides, load_settings, tool_variable
from tests.conftest import TEST_APP_ID, TEST_KEY, TEST_SECRET

ROOT = Path(__file__).resolve().parents[2]
CONTRACT = load_contract(ROOT / "channels.yaml")
CREDENTIALS = {"PUSHER_APP_ID": TEST_APP_ID, "PUSHER_KEY": TEST_KEY, "PUSHER_SECRET": TEST_SECRET}
URL = f"http://{TEST_KEY}:{TEST_SECRET}@a.example:6001/apps/{TEST_APP_ID}"


# -- each precedence rule ----------------------------------------------------------------------

def test_a_flag_wins_over_every_variable() -> None:
    """Rule 1: a command-line flag beats HOTELMATE_RT_PUSHER_*, PUSHER_* and the URL."""
    env = {"PUSHER_URL": URL, "PUSHER_HOST": "b.example", "HOTELMATE_RT_PUSHER_HOST": "c.example"}
    settings = load_settings(env, overrides=flag_overrides(host="d.example", port=7000))
    assert (settings.host, settings.port) == ("d.example", 7000)
    assert settings.source["host"] == "--host"


def test_tool_variables_win_over_pusher_variables() -> None:
    """Rule 2: HOTELMATE_RT_PUSHER_<FIELD> beats PUSHER_<FIELD>, without a conflict warning."""
    settings = load_settings({**CREDENTIALS, "PUSHER_KEY": "backend-key",
                              "HOTELMATE_RT_PUSHER_KEY": "probe-key"})
    assert settings.key == "probe-key" and settings.source["key"] == "HOTELMATE_RT_PUSHER_KEY"
    assert settings.problems == []


def test_tls_spellings_first_set_wins_and_disagreement_is_reported() -> None:
    """Rule 3: PUSHER_USE_TLS, then PUSHER_TLS, PUSHER_SSL, ...; a disagreement is a problem."""
    settings = load_settings({"PUSHER_HOST": "h", "PUSHER_USE_TLS": "true", "PUSHER_TLS": "0"})
    assert settings.ssl is True and settings.source["ssl"] == "PUSHER_USE_TLS"
    assert settings.problems == ["PUSHER_USE_TLS and PUSHER_TLS disagree; PUSHER_USE_TLS wins"]
    assert load_settings({"PUSHER_HOST": "h", "PUSHER_SSL": "yes"}).ssl is True
    assert load_settings({"PUSHER_HOST": "h", "PUSHER_SCHEME": "https"}).ssl is True
    agree = load_settings({"PUSHER_HOST": "h", "PUSHER_USE_TLS": "true", "PUSHER_TLS": "1"})
    assert agree.problems == []


def test_variables_win_over_the_url_field_by_field() -> None:
    """Rule 4: each PUSHER_* variable replaces only its own field of PUSHER_URL, and says so."""
    settings = load_settings({"PUSHER_URL": URL, "PUSHER_KEY": "other"})
    assert (settings.app_id, settings.key, settings.host, settings.port, settings.ssl) == \
        (TEST_APP_ID, "other", "a.example", 6001, False)
    assert settings.problems[0].startswith("PUSHER_URL and PUSHER_KEY disagree on key")


def test_a_host_replaces_the_urls_host_and_its_port_as_in_the_sdk() -> None:
    """Rule 4: as in `Pusher.from_url(url, host=...)`, the URL's port goes with its host."""
    import pusher

    sdk = pusher.Pusher.from_url(URL, host="b.example")._pusher_client
    settings = load_settings({"PUSHER_URL": URL, "PUSHER_HOST": "b.example"})
    assert (settings.api_host, settings.api_port) == (sdk.host, sdk.port) == ("b.example", 80)
    assert any("port 6001 goes with its host" in p for p in settings.problems)
    kept = load_settings({"PUSHER_URL": URL, "PUSHER_HOST": "b.example", "PUSHER_PORT": "7000"})
    assert kept.api_port == 7000 and not any("goes with" in p for p in kept.problems)


def test_defaults_follow_the_sdk_host_over_cluster_and_tls_ports() -> None:
    """Rule 5: host beats cluster; cluster and nothing are hosted TLS on 443; a host is plain."""
    both = load_settings({"PUSHER_HOST": "soketi", "PUSHER_CLUSTER": "eu"})
    assert both.api_host == "soketi" and "cluster 'eu' is ignored" in both.problems[-1]
    hosted = load_settings({"PUSHER_CLUSTER": "eu"})
    assert (hosted.api_url, hosted.ws_host, hosted.ssl) == \
        ("https://api-eu.pusher.com:443", "ws-eu.pusher.com", True)
    assert load_settings({}).api_url == "https://api.pusherapp.com:443"
    assert load_settings({"PUSHER_HOST": "soketi"}).api_url == "http://soketi:80"
    assert load_settings({"PUSHER_PORT": "6001"}).ws_url == "ws://127.0.0.1:6001/app/"


def test_an_env_file_is_laid_over_the_environment(tmp_path: Path) -> None:
    """The --env-file values win over the process environment; flags win over both."""
    env_file = tmp_path / ".env"
    env_file.write_text("PUSHER_HOST=from-file\nPUSHER_PORT=6002\n")
    settings = load_settings({"PUSHER_HOST": "from-env", "PUSHER_PORT": "6001"},
                             env_file=env_file, overrides={"PUSHER_PORT": "6003"})
    assert (settings.host, settings.port) == ("from-file", 6003)


def test_unusable_values_are_errors_and_require_raises_without_the_secret() -> None:
    """A malformed URL, port or TLS value, or missing credentials: ConfigError, secret hidden."""
    bad = load_settings({"PUSHER_URL": "http://k:verysecret@host/nope", "PUSHER_PORT": "x",
                         "PUSHER_USE_TLS": "maybe"})
    assert len(bad.errors) == 3
    with pytest.raises(ConfigError) as info:
        bad.require()
    assert "verysecret" not in str(info.value) and "PUSHER_PORT='x'" in str(info.value)
    with pytest.raises(ConfigError, match="PUSHER_SECRET"):
        load_settings({"PUSHER_APP_ID": "1", "PUSHER_KEY": "k"}).require()


def test_the_secret_never_shows_in_repr_or_description() -> None:
    """repr() and describe() never carry the secret."""
    settings = load_settings({"PUSHER_URL": URL})
    assert TEST_SECRET not in repr(settings) and TEST_SECRET not in str(settings.describe())
    assert settings.describe()["secret"] == "set"


def test_the_emitters_sdk_arguments_come_from_the_settings() -> None:
    """`pusher_settings` is the settings' SDK arguments, so the emitter cannot read differently."""
    env = {**CREDENTIALS, "PUSHER_HOST": "h", "PUSHER_PORT": "6001"}
    assert pusher_settings(env) == load_settings(env).sdk_kwargs()


# -- one answer everywhere ---------------------------------------------------------------------

def _answers(env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> set[tuple[str, int, bool]]:
    """Ask every consumer where it would send, listen or check: (host, port, tls) each."""
    for name in [n for n in os.environ if "PUSHER" in n]:
        monkeypatch.delenv(name)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    settings = load_settings()
    transport = PusherTransport.from_env(env)
    emitter = Emitter.from_env(CONTRACT, env)
    client = make_client(settings, 1.0)._pusher_client
    doctor = DoctorContext(DoctorOptions(env=env, contract=ROOT / "channels.yaml"))
    triage = TriageContext(TriageOptions(booking_id="BK-2025-0002", env=env,
                                         contract=ROOT / "channels.yaml"))
    args = SessionArgs(None, None, {}, ["hotel-paradise"], None, False, None, None, None, None,
                       None, None, None, None, None, None, 1.0)
    listen = build_probe(args, CONTRACT).connection.server
    console_doctor = DoctorContext(doctor_options({}, probe_settings(args), None))
    try:
        sent = [urlsplit(t.target_url) for t in (transport, emitter.transport)]  # type: ignore[attr-defined]
        answers = {(u.hostname or "", u.port or 0, u.scheme == "https") for u in sent}
        answers.add((client.host, client.port, client.ssl))
        for server in (doctor.server(), ServerAddress.from_settings(triage.settings), listen,
                       console_doctor.server()):
            answers.add((server.host, server.port, server.tls))
        for checked in (doctor.settings, console_doctor.settings):
            answers.add((checked.api_host, checked.api_port, checked.ssl))
    finally:
        transport.close()
        emitter.close()
    return answers | _console_answers()


def _console_answers() -> set[tuple[str, int, bool]]:
    """Ask a real `hotelmate-rt console --allow-send` where its probe listens and its form sends."""
    with ConsoleProcess(["--allow-send"], env=dict(os.environ), cwd=ROOT) as console:
        config = httpx.get(console.url + "api/config", timeout=10).json()
    server, sent = config["server"], urlsplit(config["send"]["target"])
    return {(server["host"], server["port"], server["tls"]),
            (sent.hostname or "", sent.port or 0, sent.scheme == "https")}


def test_url_and_host_give_one_answer_everywhere(monkeypatch: pytest.MonkeyPatch) -> None:
    """PUSHER_URL on a.example plus PUSHER_HOST=b.example: everyone (console too) uses b.example."""
    answers = _answers({"PUSHER_URL": URL, "PUSHER_HOST": "b.example"}, monkeypatch)
    assert answers == {("b.example", 80, False)}


def test_host_and_use_tls_give_one_answer_everywhere(monkeypatch: pytest.MonkeyPatch) -> None:
    """PUSHER_HOST with PUSHER_USE_TLS=true: the emitter speaks TLS like doctor, probe, console."""
    answers = _answers({**CREDENTIALS, "PUSHER_HOST": "b.example", "PUSHER_USE_TLS": "true"},
                       monkeypatch)
    assert answers == {("b.example", 443, True)}


def test_the_readme_lists_every_variable() -> None:
    """The README's Settings table names every variable the package reads, and every delivery
    key of the Django app's `settings.HOTELMATE_RT`."""
    from hotelmate_rt.settings import VARIABLES

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    table = readme.split("## Settings", 1)[1].split("\n## ", 1)[0]
    assert [name for name in VARIABLES if f"`{name}`" not in table] == []
    from hotelmate_rt.django.conf import DEFAULTS

    assert [key for key in DEFAULTS if f"`{key}`" not in table] == []


def test_tool_settings_read_the_outbox_and_webhook_variables(tmp_path: Path) -> None:
    """HOTELMATE_RT_OUTBOX and _WEBHOOK_URL come from the environment or the env file."""
    from hotelmate_rt.settings import load_tool_settings

    assert load_tool_settings({}).outbox is None
    assert load_tool_settings({"HOTELMATE_RT_OUTBOX": "yes"}).outbox is True
    assert load_tool_settings({"HOTELMATE_RT_OUTBOX": "0"}).outbox is False
    env_file = tmp_path / ".env"
    env_file.write_text("HOTELMATE_RT_WEBHOOK_URL=https://api.example/pusher/webhooks/\n")
    found = load_tool_settings({"HOTELMATE_RT_WEBHOOK_URL": "https://other/"}, env_file=env_file)
    assert found.webhook_url == "https://api.example/pusher/webhooks/"
    with pytest.raises(ConfigError, match="HOTELMATE_RT_OUTBOX='maybe'"):
        load_tool_settings({"HOTELMATE_RT_OUTBOX": "maybe"})


def test_doctor_takes_the_webhook_url_from_the_flag_else_the_settings(tmp_path: Path) -> None:
    """`--webhook-url` wins; without it, HOTELMATE_RT_WEBHOOK_URL (env or --env-file) is used."""
    pusher = {"PUSHER_URL": "http://test-key:test-secret@127.0.0.1:6001/apps/4242"}
    env_file = tmp_path / ".env"
    env_file.write_text("HOTELMATE_RT_WEBHOOK_URL=https://from-file/hooks/\n")
    options = DoctorOptions(env=pusher, backend_env_file=env_file,
                            contract=ROOT / "channels.yaml")
    assert DoctorContext(options).webhook_url == "https://from-file/hooks/"
    options.webhook_url = "https://flag/hooks/"
    assert DoctorContext(options).webhook_url == "https://flag/hooks/"
    environment = DoctorOptions(env={**pusher, "HOTELMATE_RT_WEBHOOK_URL": "https://env/hooks/"},
                                contract=ROOT / "channels.yaml")
    assert DoctorContext(environment).webhook_url == "https://env/hooks/"
    assert DoctorContext(DoctorOptions(env=pusher, contract=ROOT / "channels.yaml")
                         ).webhook_url == ""
    with pytest.raises(ConfigError, match="no Pusher settings found"):  # the CLI's exit 2
        DoctorContext(DoctorOptions(env={}, backend_env_file=env_file,
                                    contract=ROOT / "channels.yaml"))


def test_the_dead_letter_file_follows_hotelmate_rt_dead_letter_read_by_settings(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """HOTELMATE_RT_DEAD_LETTER (read by settings.tool_variable) moves the default dead letter."""
    monkeypatch.delenv("HOTELMATE_RT_DEAD_LETTER", raising=False)
    assert tool_variable("DEAD_LETTER") == ""
    assert DeadLetterFile().path == Path("hotelmate-rt-dead-letter.jsonl")
    monkeypatch.setenv("HOTELMATE_RT_DEAD_LETTER", str(tmp_path / "dead.jsonl"))
    assert tool_variable("DEAD_LETTER", {"HOTELMATE_RT_DEAD_LETTER": "x.jsonl"}) == "x.jsonl"
    assert DeadLetterFile().path == tmp_path / "dead.jsonl"
