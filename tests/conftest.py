"""Shared fixtures: the shipped contract, a real soketi server on a free port, a free port."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from hotelmate_rt.contracts import Contract
from hotelmate_rt.testing.cluster import SoketiCluster
from hotelmate_rt.testing.soketi import SoketiError, SoketiServer, find_node_modules
from hotelmate_rt.testing.soketi import free_port as _free_port

from .helpers import shipped_contract

# The pusher SDK only accepts numeric app ids (pusher.util.app_id_re), as hosted Pusher issues.
TEST_APP_ID = "4242"
TEST_KEY = "test-key"
TEST_SECRET = "test-secret"

_INTEGRATION_DIR = Path(__file__).parent / "integration"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test under tests/integration/ with the `integration` marker."""
    for item in items:
        if _INTEGRATION_DIR in Path(str(item.path)).parents:
            item.add_marker(pytest.mark.integration)


def _start(server: SoketiServer) -> SoketiServer:
    """Start ``server`` or fail the test with a message that says how to install soketi."""
    try:
        find_node_modules()
    except SoketiError as exc:
        pytest.fail(f"{exc}\nRun `make test` (it installs soketi with npm first).", pytrace=False)
    try:
        return server.start()
    except SoketiError as exc:
        pytest.fail(f"soketi failed to start: {exc}", pytrace=False)


@pytest.fixture(scope="session")
def contract() -> Contract:
    """The repository's channels.yaml, loaded once (tests/helpers.py: shipped_contract)."""
    return shipped_contract()


@pytest.fixture
def free_port() -> Callable[[], int]:
    """Return a function that gives a TCP port on 127.0.0.1 that is free right now."""
    return _free_port


def _serve_soketi() -> Iterator[SoketiServer]:
    """Serve the test app on a soketi server of its own (a free port) until the fixture ends."""
    server = SoketiServer(_free_port(), TEST_APP_ID, TEST_KEY, TEST_SECRET)
    try:
        yield _start(server)
    finally:
        server.close()


@pytest.fixture(scope="session")
def soketi() -> Iterator[SoketiServer]:
    """One soketi server shared by the whole session (do not restart it: use fresh_soketi)."""
    yield from _serve_soketi()


@pytest.fixture
def fresh_soketi() -> Iterator[SoketiServer]:
    """A soketi server of this test's own, which the test may stop, kill or restart."""
    yield from _serve_soketi()


# -- the soketi cluster (issue 16): Redis + soketi nodes on the Redis adapter ------------------


@pytest.fixture
def soketi_cluster() -> Iterator[SoketiCluster]:
    """Redis and two soketi nodes sharing the Redis adapter; the test may add or kill nodes."""
    from hotelmate_rt.testing.redis import RedisError

    cluster = SoketiCluster(2, TEST_APP_ID, TEST_KEY, TEST_SECRET)
    try:
        find_node_modules()
        cluster.start()
    except (SoketiError, RedisError) as exc:
        cluster.close()
        pytest.fail(f"the soketi cluster did not start: {exc}\nRun `make install` first.",
                    pytrace=False)
    try:
        yield cluster
    finally:
        cluster.close()
