"""Every command in the README runs exactly as written, through bash, against a real soketi, the
real auth endpoint and a real Django backend, with only the variables the README tells the reader
to `export` before that command (an export holds from where it is written on).

Commands come from the README's ```sh blocks (a trailing `\\` continues a line) and from the
`run:` steps of its GitHub Actions ```yaml block that call hotelmate-rt (GitHub's `${{ ... }}`
expressions are filled in as GitHub would). A command that cannot run here carries
`# not run by the tests: REASON` in the README; every other one runs, in README order, in a
workspace laid out as the README assumes: a backend repo (git, `main` and a feature branch,
`channels.yaml`, Django code under `backend/`, `checkin.json`, a dead-letter file, `frontend/`
linking to the frontend as in a monorepo, and a Django project: `manage.py`, `hotelmate/`
settings with the outbox on, SQLite, served by `runserver` for soketi's webhooks) next to a
frontend repo (`src/`, `.env`), built by `tests/readme_workspace.py`; a command reading
`../backend` runs in the frontend repo. Each command starts from the workspace's contract
(`contract infer --output channels.yaml` rewrites it for itself only). The commands after
`export HOTELMATE_RT_PUSHER_NODES` run against a real two-node cluster (`soketi_cluster`: Redis
and two soketi nodes), PUSHER_URL pointing at its first node as it would at the load balancer.

A new README command needs nothing here when it exits 0 on its own; one that runs until Ctrl-C,
waits for an event, needs outbox rows or exits 1 on purpose gets an entry in SPECS (else it
fails or times out); a new `export` needs a value in the `world` fixture.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from hotelmate_rt.auth import ChannelAuthorizer, Principal
from hotelmate_rt.contracts import Contract
from hotelmate_rt.contracts.examples import event_example
from hotelmate_rt.emitters import Emitter, PusherTransport
from hotelmate_rt.testing.auth_server import AuthServer
from hotelmate_rt.testing.cluster import SoketiCluster
from hotelmate_rt.testing.soketi import SoketiError, SoketiServer, free_port
from hotelmate_rt.testing.ws_subscriber import Subscriber
from tests.conftest import TEST_APP_ID, TEST_KEY, TEST_SECRET
from tests.readme_commands import README, ReadmeCommand, fenced_blocks, readme_commands
from tests.readme_workspace import (
    BOOKING,
    HOTEL,
    ROOM,
    backend_server,
    dead_row,
    django_project,
    manage,
    outbox_row,
    workspace,
    write_outbox,
)

ORIGIN = "http://localhost:3000"
TOKENS = {"GUEST_TOKEN": "readme-guest-token-0002", "STAFF_TOKEN": "readme-staff-token-7"}
CLUSTER_EXPORT = "HOTELMATE_RT_PUSHER_NODES"
"""Once the README exports it, its commands run against the `soketi_cluster` fixture."""


COMMANDS, EXPORTS = readme_commands(README.read_text(encoding="utf-8"))


# -- running one command ------------------------------------------------------------------------


class Running:
    """A README command running through bash, its output collected as it comes."""

    def __init__(self, command: ReadmeCommand, cwd: Path, env: dict[str, str]) -> None:
        """Start `bash -c TEXT` (`bash -e` for a GitHub step) in its own process group."""
        flags = ["-e", "-c"] if command.kind == "yaml" else ["-c"]
        self.command = command
        self.process = subprocess.Popen(
            ["bash", *flags, command.text], cwd=cwd, env=env, stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
        self.out: list[str] = []
        self.err: list[str] = []
        self._readers = [threading.Thread(target=self._read, args=(stream, into), daemon=True)
                         for stream, into in ((self.process.stdout, self.out),
                                              (self.process.stderr, self.err))]
        for reader in self._readers:
            reader.start()

    @staticmethod
    def _read(stream: object, into: list[str]) -> None:
        """Collect a stream line by line until it closes."""
        for line in stream:  # type: ignore[attr-defined]
            into.append(line)

    @property
    def output(self) -> str:
        """Everything printed so far, stdout then stderr."""
        return "".join(self.out) + "".join(self.err)

    def wait_for(self, pattern: str, timeout: float = 30.0) -> re.Match[str]:
        """Wait until the output matches `pattern` (a regex); fail with the output if it never does."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = re.search(pattern, self.output)
            if found:
                return found
            if self.process.poll() is not None:
                break
            time.sleep(0.05)
        pytest.fail(f"never printed {pattern!r}:\n{self.output[-3000:]}", pytrace=False)

    def exited(self, timeout: float) -> bool:
        """Wait up to `timeout` seconds for the command to end by itself."""
        try:
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return False
        return True

    def kill(self) -> None:
        """Stop the command at once (the test already failed)."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()

    def interrupt(self) -> None:
        """Press Ctrl-C: SIGINT to the command's process group."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGINT)

    def terminate(self) -> None:
        """Stop it as a process manager does: SIGTERM to the command's process group."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)

    def finish(self, timeout: float) -> int:
        """Wait for the end (killing it after `timeout`) and return the exit code."""
        try:
            code = self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
            pytest.fail(f"still running after {timeout:g} s:\n{self.output[-3000:]}",
                        pytrace=False)
        for reader in self._readers:
            reader.join(timeout=5)
        return code


# -- the world the README assumes ---------------------------------------------------------------


@dataclass
class World:
    """The servers, workspace and environment the README's commands run against."""

    soketi: SoketiServer
    auth: AuthServer
    contract: Contract
    backend: Path
    frontend: Path
    env: dict[str, str]
    values: dict[str, str]
    opened: Path
    emitter: Emitter = field(init=False)
    page: Subscriber | None = None
    """The guest's booking page while a spec's `around` keeps it open."""
    cluster: SoketiCluster | None = None
    """The two-node cluster while a command after `export HOTELMATE_RT_PUSHER_NODES` runs."""

    def __post_init__(self) -> None:
        """An emitter to the same server, standing in for the backend's staff actions."""
        self.emitter = _emitter_on(self.soketi, self.contract)

    def env_for(self, command: ReadmeCommand) -> dict[str, str]:
        """The environment of one command: the variables the README exported before it."""
        values = dict(self.values)
        if self.cluster is not None:  # the cluster stands where the README's server stood
            first = self.cluster.nodes[0]
            values["PUSHER_URL"] = (f"http://{first.key}:{first.secret}@{first.host}:"
                                    f"{first.port}/apps/{first.app_id}")
            values[CLUSTER_EXPORT] = self.cluster.addresses
        return {**self.env, **{name: values[name] for name in command.exports}}

    def send(self, event: str) -> None:
        """Send the contract's example of `event` to its channels for the README's booking."""
        known = {"booking_id": BOOKING, "hotel_slug": HOTEL, "room_number": ROOM}
        needed = {name for channel in self.contract.events[event].channels
                  for name in self.contract.channels[channel].template.parameters}
        self.emitter.emit(event, event_example(self.contract, event),
                          **{k: v for k, v in known.items() if k in needed})

    def check_in(self) -> None:
        """The staff action: check the README's booking in (CONFIRMED -> IN_HOUSE)."""
        self.emitter.transition(BOOKING, "CONFIRMED", "IN_HOUSE", {"room_number": ROOM},
                                hotel_slug=HOTEL)

    def guest_page(self) -> AbstractContextManager[Subscriber]:
        """A guest's booking page, subscribed to its booking channel for a while."""
        return _guest_page(self)

    def outbox(self, *rows: dict[str, Any], page: bool = False) -> AbstractContextManager[None]:
        """Write outbox rows in the backend's database (and open the guest's page) first."""
        return _outbox(self, rows, page)


def _emitter_on(server: SoketiServer, contract: Contract) -> Emitter:
    """A strict, immediate emitter sending through one soketi server (or node)."""
    transport = PusherTransport.create(server.app_id, server.key, server.secret,
                                       host=server.host, port=server.port, ssl=False)
    return Emitter(contract, transport, strict=True, dead_letter=False, defer=False)


@contextmanager
def _guest_page(world: World) -> Iterator[Subscriber]:
    """Connect and subscribe as the guest's page (the channel signed by the auth view's rules)."""
    authorizer = ChannelAuthorizer(world.contract, world.soketi.key, world.soketi.secret)
    channel = f"private-booking-{BOOKING}"
    with Subscriber(world.soketi.ws_url) as client:
        client.subscribe(channel, authorizer.authorize(
            Principal.guest(BOOKING, HOTEL, ROOM), channel, client.socket_id))
        world.page = client
        try:
            yield client
        finally:
            world.page = None


@contextmanager
def _outbox(world: World, rows: tuple[dict[str, Any], ...], page: bool) -> Iterator[None]:
    """Write `rows` through the backend's ORM, then (optionally) keep the guest page open."""
    if rows:
        write_outbox(world.env, world.backend, list(rows))
    with world.guest_page() if page else nullcontext():
        yield



@pytest.fixture(scope="module")
def world(contract: Contract, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    """A real soketi posting webhooks to the backend (Django's runserver), the real auth view,
    the workspace, and the README's variables."""
    tokens = {TOKENS["GUEST_TOKEN"]: Principal.guest(BOOKING, HOTEL, ROOM),
              TOKENS["STAFF_TOKEN"]: Principal.staff(HOTEL, user_id=7)}
    root = tmp_path_factory.mktemp("readme")
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("PUSHER_", "HOTELMATE_RT_", "REACT_APP_", "VITE_", "DJANGO_"))}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    opened = root / "browser-opened.txt"
    browser = root / "browser"
    browser.write_text(f'#!/bin/sh\necho "$1" >> {opened}\n')
    browser.chmod(0o755)
    env["BROWSER"] = f"{browser} %s"  # `console --open` goes through Python's webbrowser
    soketi = SoketiServer(free_port(), TEST_APP_ID, TEST_KEY, TEST_SECRET)
    pusher_url = (f"http://{soketi.key}:{soketi.secret}@{soketi.host}:{soketi.port}/apps/"
                  f"{soketi.app_id}")
    try:
        backend, frontend = workspace(root, contract, soketi)
        django_project(backend)
        manage(env, backend, "migrate", "--verbosity", "0")
        with backend_server(backend, {**env, "PUSHER_URL": pusher_url},
                             root / "runserver.log") as backend_url:
            webhooks = f"{backend_url}/pusher/webhooks/"
            soketi.extra_env["SOKETI_DEFAULT_APP_WEBHOOKS"] = json.dumps([{
                "url": webhooks, "event_types": ["channel_occupied", "channel_vacated"]}])
            try:
                soketi.start()
            except SoketiError as exc:
                pytest.fail(f"soketi failed to start: {exc}", pytrace=False)
            with AuthServer(contract, soketi.key, soketi.secret, tokens, origin=ORIGIN) as auth:
                values = {"PUSHER_URL": pusher_url, "HOTELMATE_RT_AUTH_ENDPOINT": auth.url,
                          "DJANGO_SETTINGS_MODULE": "hotelmate.settings",
                          "HOTELMATE_RT_WEBHOOK_URL": webhooks, **TOKENS}
                missing = sorted(set(EXPORTS) - set(values) - {CLUSTER_EXPORT})
                assert not missing, f"the README exports {missing}: give the test a value for each"
                world = World(soketi, auth, contract, backend, frontend, env, values, opened)
                try:
                    yield world
                finally:
                    world.emitter.close()
    finally:
        soketi.close()


# -- what each command needs beyond "exits 0 by itself" -----------------------------------------


@dataclass(frozen=True)
class Spec:
    """How to run one kind of README command and what it must do."""

    codes: tuple[int, ...] = (0,)
    interact: Callable[[Running, World], None] | None = None
    around: Callable[[World], AbstractContextManager[object]] | None = None
    expect: tuple[str, ...] = ()
    creates: tuple[str, ...] = ()
    timeout: float = 120.0


def _listen_guest(run: Running, world: World) -> None:
    """Wait for the guest's three channels, send a check-in, see it judged, press Ctrl-C."""
    for channel in (f"private-booking-{BOOKING}", f"hotel-{HOTEL}",
                    f"private-{HOTEL}-room-{ROOM}-chat"):
        run.wait_for(rf"subscribed {re.escape(channel)}")
    world.send("booking_checked_in")
    run.wait_for(r"booking_checked_in\s+conforms")
    run.interrupt()


def _listen_staff(run: Running, world: World) -> None:
    """Wait for the staff channel's subscription (NDJSON), send an event, press Ctrl-C."""
    run.wait_for(rf'"type":"subscribed".*"channel":"private-hotel-{HOTEL}-staff"')
    world.send("booking_updated")
    run.wait_for(r'"event":"booking_updated"')
    run.interrupt()


def _until_offer(run: Running, world: World) -> None:
    """Once subscribed, a staff member creates an offer: listen stops by itself."""
    run.wait_for(rf"subscribed hotel-{HOTEL}\b")
    world.emitter.emit("offer-created", event_example(world.contract, "offer-created"),
                       hotel_slug=HOTEL)


def _record(run: Running, world: World) -> None:
    """Record one check-in, then press Ctrl-C."""
    run.wait_for(rf"subscribed private-booking-{BOOKING}")
    world.send("booking_checked_in")
    run.wait_for(r"booking_checked_in")
    run.interrupt()


def _console(run: Running, world: World) -> None:
    """The printed URL serves the page; then Ctrl-C (and `--open` handed it to the browser)."""
    url = run.wait_for(r"http://127\.0\.0\.1:\d+/s/[^/\s]+/").group(0)
    assert httpx.get(url, timeout=10).status_code == 200
    if "--open" in run.command.text:
        deadline = time.monotonic() + 10
        while not (world.opened.exists() and url in world.opened.read_text()):
            assert time.monotonic() < deadline, "`console --open` opened no browser"
            time.sleep(0.1)
    run.interrupt()


def _watch(run: Running, world: World) -> None:
    """Perform the staff action while triage watches, until triage has seen it and stops."""
    run.wait_for(r"watching BK-2025-0002")
    for _ in range(20):  # the listeners subscribe a moment after the prompt: act until seen
        world.check_in()
        if run.exited(2.0):
            return


def _relay_worker(run: Running, world: World) -> None:
    """The worker sends the pending row to the guest's page; SIGTERM stops it after its pass."""
    run.wait_for(r"hotelmate-rt relay on database 'default'")
    assert world.page is not None
    world.page.wait_for(lambda f: f.event == "booking_updated" and
                        f.data.get("changed_fields") == ["relay-worker"], timeout=30)
    run.wait_for(r"sent 1, retrying 0, dead 0")
    run.terminate()


def _listen_cluster(run: Running, world: World) -> None:
    """On node A; an offer sent through node B arrives (the Redis adapter); node A dies: the
    probe fails over to B, subscribes again and reports the gap; an offer arrives again; Ctrl-C."""
    assert world.cluster is not None
    first, second = world.cluster.nodes
    run.wait_for(rf"subscribed hotel-{HOTEL}\b")
    with _emitter_on(second, world.contract) as through_b:
        offer = event_example(world.contract, "offer-created")
        through_b.emit("offer-created", offer, hotel_slug=HOTEL)
        run.wait_for(r"offer-created\s+conforms")
        first.kill()
        run.wait_for(rf"subscribed again hotel-{HOTEL}\b")
        run.wait_for(r"gap \d+\.\d s")
        through_b.emit("offer-created", offer, hotel_slug=HOTEL)
        run.wait_for(r"offer-created\s+conforms[\s\S]*offer-created\s+conforms")
    run.interrupt()


SPECS: list[tuple[str, Spec]] = [
    (r"^hotelmate-rt listen --as guest", Spec(interact=_listen_guest)),
    (r"^hotelmate-rt listen --as staff", Spec(interact=_listen_staff)),
    (r"^hotelmate-rt listen .*--until offer-created", Spec(interact=_until_offer,
                                                           expect=("offer-created",))),
    (r"^hotelmate-rt record ", Spec(interact=_record, creates=("events.jsonl",))),
    (r"^hotelmate-rt check events\.jsonl", Spec(expect=("1 event(s), 0 violation(s)",))),
    (r"^hotelmate-rt console", Spec(interact=_console)),
    (r"^hotelmate-rt triage booking .*--watch", Spec(interact=_watch, around=World.guest_page,
                                                     expect=("every expected event arrived",))),
    # the guest's page is open (soketi's webhooks said so) and one of its events is dead: found
    (r"^hotelmate-rt triage booking .*--database default", Spec(
        codes=(1,), around=lambda w: w.outbox(dead_row("triage"), page=True),
        expect=("private-booking-BK-2025-0002 has had a subscriber since",
                "1 event(s) for BK-2025-0002 are dead in the outbox"))),
    (r"^hotelmate-rt doctor\b", Spec(expect=("All checks pass",))),
    (r"^hotelmate-rt emit ", Spec(expect=("booking_checked_in sent",))),
    (r"^hotelmate-rt replay --database default", Spec(
        around=lambda w: w.outbox(dead_row("cli-replay", "BK-2025-0003")),
        expect=("still failing 0 (outbox rows in database 'default')",))),
    (r"^hotelmate-rt replay ", Spec(expect=("resent 1, still failing 0",))),
    (r"^python manage\.py hotelmate_rt_relay --once", Spec(
        around=lambda w: w.outbox(outbox_row("relay-once"),
                                  outbox_row("old", "sent", sent_days_ago=30)),
        expect=("sent 1, retrying 0, dead 0", "pruned 1 sent rows"))),
    (r"^python manage\.py hotelmate_rt_relay", Spec(
        interact=_relay_worker, around=lambda w: w.outbox(outbox_row("relay-worker"), page=True),
        expect=("sent 1, retrying 0, dead 0",))),
    (r"^python manage\.py hotelmate_rt_replay --booking BK-2025-0002", Spec(
        around=lambda w: w.outbox(dead_row("manage-replay"), dead_row("other", "BK-2025-0004")),
        expect=("resent 1, still failing 0 (database:default)",))),
    (r"^hotelmate-rt contract show booking_checked_in", Spec(expect=("example payload",))),
    (r"^hotelmate-rt contract diff old\.yaml new\.yaml --scan backend",
     Spec(expect=("send sites that must now set `$.checked_in_by`: backend/bookings/views.py",))),
    (r"--output hotelmate-rt\.sarif", Spec(creates=("hotelmate-rt.sarif",),
                                           expect=("sarif report written to",))),
    (r"--output hotelmate-rt\.xml", Spec(creates=("hotelmate-rt.xml",))),
    (r"contract codegen typescript .*--out src/realtime/contract\.ts",
     Spec(creates=("src/realtime/contract.ts",))),
    (r"contract export asyncapi --out asyncapi\.yaml", Spec(creates=("asyncapi.yaml",))),
    (r"-f markdown -o contract-diff\.md", Spec(creates=("contract-diff.md",))),
    (r"^hotelmate-rt contract infer ", Spec(expect=("drafted",))),
    # without a contract the scan compares the sides: the seed's page binds three events its
    # backend never sends (drift-event), so this CI example fails, as it should
    (r"^hotelmate-rt scan --backend \.\./backend --frontend src .*--output rt\.sarif",
     Spec(codes=(1,), creates=("rt.sarif",), expect=("no contract found", "FAIL: "))),
]
"""(regex on the one-line command, Spec); the first match wins, else Spec() (exit 0)."""

CLUSTER_SPECS: list[tuple[str, Spec]] = [
    (r"^hotelmate-rt listen ", Spec(codes=(1,), interact=_listen_cluster,
                                    expect=("1 gap(s)", "2 event(s), 0 violation(s)"))),
    (r"^hotelmate-rt doctor\b", Spec(expect=(
        "All checks pass", "events sent through each of 2 nodes reached every other node"))),
]
"""The same for the commands against the cluster (a gap after a node died is a finding: 1)."""

WHEN_EXPORTED: dict[str, list[tuple[str, str]]] = {
    "HOTELMATE_RT_WEBHOOK_URL": [(r"^hotelmate-rt doctor\b",
                                  "accepts a signed webhook and refuses a forged one")],
}
"""Once the README exports a variable: (regex on the command, words its output must have)."""


def spec_for(command: ReadmeCommand) -> Spec:
    """The spec of a README command."""
    specs = CLUSTER_SPECS if CLUSTER_EXPORT in command.exports else SPECS
    return next((spec for pattern, spec in specs if re.search(pattern, command.flat)), Spec())


def expected_words(command: ReadmeCommand) -> tuple[str, ...]:
    """What the command's output must say: its spec's words and those of its exports."""
    more = [words for name in command.exports for pattern, words in WHEN_EXPORTED.get(name, [])
            if re.search(pattern, command.flat)]
    return (*spec_for(command).expect, *more)


# -- the tests ----------------------------------------------------------------------------------


def test_the_readme_has_commands_and_markers_with_reasons() -> None:
    """The extraction finds the README's commands; every marker gives a reason."""
    flat = [c.flat for c in COMMANDS]
    assert any(c.startswith("hotelmate-rt doctor") for c in flat)
    assert any(c.kind == "yaml" for c in COMMANDS)
    assert set(EXPORTS) >= {"PUSHER_URL", "HOTELMATE_RT_AUTH_ENDPOINT"}
    for command in COMMANDS:
        if "not run by the tests" in command.text:
            assert len(command.skip) > 5, f"README line {command.line}: say why it is not run"


def test_every_variable_a_command_uses_is_one_the_readme_exports() -> None:
    """A `$VAR` in a command is exported earlier in the README (or set by the step itself)."""
    for command in COMMANDS:
        own = set(re.findall(r"^\s*([A-Z_][A-Z0-9_]*)=", command.text, re.M))
        used = set(re.findall(r"\$\{?([A-Z_][A-Z0-9_]*)", command.text)) - own
        assert used <= set(command.exports), f"README line {command.line} uses " \
            f"{sorted(used - set(command.exports))}, not exported before it"
    cluster = [c for c in COMMANDS if CLUSTER_EXPORT in c.exports]
    assert cluster and all(not c.skip for c in cluster), "the cluster's commands all run"


@pytest.mark.parametrize("command", COMMANDS, ids=[f"L{c.line}:{c.flat[:48]}" for c in COMMANDS])
def test_readme_command_runs_as_written(command: ReadmeCommand, world: World,
                                       request: pytest.FixtureRequest) -> None:
    """Run one README command through bash; check its exit code, output and files."""
    if command.skip:
        pytest.skip(f"README: not run by the tests: {command.skip}")
    spec = spec_for(command)
    cwd = world.frontend if re.search(r"\.\./backend\b", command.text) else world.backend
    if CLUSTER_EXPORT in command.exports:
        world.cluster = request.getfixturevalue("soketi_cluster")
        request.addfinalizer(lambda: setattr(world, "cluster", None))
    around = spec.around(world) if spec.around is not None else nullcontext()
    contract = world.backend / "channels.yaml"
    saved = contract.read_bytes()
    try:
        with around:
            run = Running(command, cwd, world.env_for(command))
            try:
                if spec.interact is not None:
                    spec.interact(run, world)
            except BaseException:
                run.kill()
                raise
            code = run.finish(spec.timeout)
    finally:
        contract.write_bytes(saved)
    output = run.output
    assert code in spec.codes, f"exit {code} (expected {spec.codes}):\n{output[-4000:]}"
    assert "Traceback" not in output, output[-4000:]
    for words in expected_words(command):
        assert words in output, f"{words!r} not in the output:\n{output[-4000:]}"
    for name in spec.creates:
        assert (cwd / name).is_file() and (cwd / name).stat().st_size > 0, f"no {name}"
    for secret in (world.soketi.secret, *TOKENS.values()):
        assert secret not in output, "a secret was printed"


def test_the_readme_toml_configuration_loads(tmp_path: Path) -> None:
    """The `[tool.hotelmate-rt]` examples are valid configuration (a typo would be a load error)."""
    import tomllib

    from hotelmate_rt.contracts.diff import parse_policy
    from hotelmate_rt.scan import parse_config

    blocks = [tomllib.loads("\n".join(body)) for language, _, body in
              fenced_blocks(README.read_text(encoding="utf-8")) if language == "toml"]
    assert len(blocks) >= 2
    for block in blocks:
        table = block["tool"]["hotelmate-rt"]
        diff = table.pop("diff", None)
        parse_config(table)
        if diff is not None:  # its accepted-changes file, as the reader would start it
            (tmp_path / str(diff.get("accepted-changes", "none.yaml"))).write_text("accepted: []\n")
            parse_policy(diff, "README.md", tmp_path)
