"""The workspace the README's commands assume (tests/integration/test_readme.py): a backend repo
with git history, the contract, Django code, a dead-letter file and a Django project (`manage.py`,
`hotelmate/` settings with the outbox on, SQLite, served by `runserver`), next to a frontend repo.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

from hotelmate_rt.contracts import Contract
from hotelmate_rt.contracts.examples import event_example
from hotelmate_rt.emitters import DeadEvent, DeadLetterFile
from hotelmate_rt.testing.soketi import SoketiServer, free_port
from tests.helpers import CONTRACT_PATH, SCAN_FIXTURES

BOOKING, HOTEL, ROOM = "BK-2025-0002", "hotel-paradise", "101"
"""The README's guest: booking BK-2025-0002 at hotel-paradise, room 101."""


def git(cwd: Path, *args: str) -> None:
    """Run git quietly in `cwd` (a fixed identity, no user configuration)."""
    subprocess.run(["git", "-c", "user.name=README test", "-c", "user.email=readme@example.com",
                    "-c", "init.defaultBranch=main", *args], cwd=cwd, check=True,
                   capture_output=True, timeout=30)


def workspace(root: Path, contract: Contract, soketi: SoketiServer) -> tuple[Path, Path]:
    """Lay out the backend and frontend repos the README's commands assume."""
    seed = SCAN_FIXTURES / "seed000" / "correct"
    backend, frontend = root / "backend", root / "frontend"
    shutil.copytree(seed / "backend", backend / "backend")
    shutil.copytree(seed / "frontend" / "src", frontend / "src")
    shipped = CONTRACT_PATH.read_text(encoding="utf-8")
    (backend / "channels.yaml").write_text(shipped, encoding="utf-8")
    git(backend, "init", "-q")
    git(backend, "add", "-A")
    git(backend, "commit", "-qm", "the contract")
    git(backend, "switch", "-qc", "feature")
    # the feature branch documents one more optional field: an INFO change, nothing breaks
    optional = shipped.replace("        staff_user: {type: string}\n",
                               "        staff_user: {type: string}\n"
                               "        checked_in_by: {type: string}\n", 1)
    assert optional != shipped
    (backend / "channels.yaml").write_text(optional, encoding="utf-8")
    git(backend, "commit", "-qam", "an optional field")
    git(backend, "update-ref", "refs/remotes/origin/main", "main")
    (backend / "old.yaml").write_text(shipped, encoding="utf-8")
    required = shipped.replace("required: [booking_id, status, room_number, checked_in_at]",
                               "required: [booking_id, status, room_number, checked_in_at, "
                               "checked_in_by]", 1)
    assert required != shipped
    (backend / "new.yaml").write_text(required.replace(
        "        staff_user: {type: string}\n",
        "        staff_user: {type: string}\n        checked_in_by: {type: string}\n", 1))
    (backend / "checkin.json").write_text(json.dumps(event_example(contract,
                                                                   "booking_checked_in")))
    DeadLetterFile(backend / "hotelmate-rt-dead-letter.jsonl").append(DeadEvent(
        event="booking_updated", channels=[f"private-booking-{BOOKING}"],
        data=json.dumps(event_example(contract, "booking_updated")),
        error="timed out after 3.0 s", attempts=3, ids={"booking_id": BOOKING}))
    (backend / "frontend").symlink_to("../frontend", target_is_directory=True)
    (frontend / ".env").write_text(
        f"REACT_APP_PUSHER_KEY={soketi.key}\nREACT_APP_PUSHER_HOST={soketi.host}\n"
        f"REACT_APP_PUSHER_PORT={soketi.port}\nREACT_APP_PUSHER_FORCE_TLS=false\n")
    return backend, frontend


# -- the backend's Django project: settings as the README shows, served for soketi's webhooks ---

SETTINGS = '''"""The backend's settings, as far as the README's commands need them."""
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
SECRET_KEY = "readme-test-only"
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
ROOT_URLCONF = "hotelmate.urls"
INSTALLED_APPS = ["hotelmate_rt.django"]
MIDDLEWARE = ["django.middleware.common.CommonMiddleware"]
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3",
                         "NAME": BASE_DIR / "db.sqlite3", "OPTIONS": {"timeout": 20}}}
USE_TZ = True
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"
HOTELMATE_RT = {"OUTBOX": True, "CONTRACT": "channels.yaml"}
'''
URLS = '''from django.urls import path

import hotelmate_rt.django.webhooks

urlpatterns = [path("pusher/webhooks/", hotelmate_rt.django.webhooks.pusher_webhook)]
'''
MANAGE = '''import os
import sys

if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hotelmate.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)
'''
WRITE_ROWS = '''
import json, sys, uuid
from datetime import timedelta
from django.utils import timezone
from hotelmate_rt.django.models import OutboxEvent
now = timezone.now()
for row in json.loads(sys.stdin.read()):
    days = row.pop("sent_days_ago", None)
    OutboxEvent.objects.create(
        delivery_id=uuid.uuid4().hex, created_at=now - timedelta(minutes=1),
        next_attempt_at=now - timedelta(minutes=1),
        sent_at=None if days is None else now - timedelta(days=days), **row)
'''
"""Run by `python manage.py shell`: write the rows given on stdin (the backend's own ORM)."""


def django_project(backend: Path) -> None:
    """Give the backend repo its Django project (as the README's snippets set it up)."""
    (backend / "manage.py").write_text(MANAGE)
    (backend / "hotelmate").mkdir()
    (backend / "hotelmate" / "__init__.py").write_text("")
    (backend / "hotelmate" / "settings.py").write_text(SETTINGS)
    (backend / "hotelmate" / "urls.py").write_text(URLS)


def manage(world_env: dict[str, str], backend: Path, *args: str, stdin: str = "") -> None:
    """Run `python manage.py ARGS` in the backend (setup, not a README command)."""
    done = subprocess.run([sys.executable, "manage.py", *args], cwd=backend, env=world_env,
                          input=stdin, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr


def write_outbox(env: dict[str, str], backend: Path, rows: list[dict[str, Any]]) -> None:
    """Write outbox rows in the backend's database through its own ORM (manage.py shell)."""
    manage(env, backend, "shell", "-c", WRITE_ROWS, stdin=json.dumps(rows))


def outbox_row(marker: str, status: str = "pending", booking: str = BOOKING,
               **extra: Any) -> dict[str, Any]:
    """An outbox row of booking_updated for `booking` on its guest channel, tagged `marker`."""
    data = {"booking_id": booking, "updated_at": "2025-03-01T10:00:00Z",
            "changed_fields": [marker]}
    return {"event": "booking_updated", "channels": [f"private-booking-{booking}"],
            "data": json.dumps(data), "ids": {"booking_id": booking}, "booking_id": booking,
            "status": status, **extra}


def dead_row(marker: str, booking: str = BOOKING) -> dict[str, Any]:
    """A row the relay gave up on (Pusher was down for all its attempts)."""
    return outbox_row(marker, "dead", booking, attempts=10, last_error="timed out after 5.0 s")


@contextmanager
def backend_server(backend: Path, env: dict[str, str], log: Path) -> Iterator[str]:
    """Serve the backend with `python manage.py runserver` on a free loopback port; stop it."""
    port = free_port()
    with log.open("w") as output:
        server = subprocess.Popen([sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}",
                                   "--noreload"], cwd=backend, env=env, stdout=output,
                                  stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert server.poll() is None, f"runserver exited:\n{log.read_text()[-3000:]}"
            try:
                httpx.get(f"{url}/pusher/webhooks/", timeout=2)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, f"runserver never answered:\n{log.read_text()}"
                time.sleep(0.2)
        yield url
    finally:
        if server.poll() is None:
            os.killpg(server.pid, signal.SIGTERM)
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(server.pid, signal.SIGKILL)
                server.wait()
