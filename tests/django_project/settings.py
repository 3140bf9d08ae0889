"""Settings of the test project: SQLite in a temp file, the hotel app, hotelmate-rt's app.

HOTELMATE_RT_TEST_DB_URL (`postgresql://USER@127.0.0.1:PORT/NAME` or `sqlite:///PATH`) points
the default database elsewhere: the outbox tests' child processes (emitters, relays) use it.
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from pathlib import Path
from urllib.parse import urlsplit

from hotelmate_rt.settings import load_tool_settings

BASE_DIR = Path(__file__).resolve().parent
SECRET_KEY = "django-test-only-not-a-secret"
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "testserver"]
ROOT_URLCONF = "tests.django_project.urls"
INSTALLED_APPS = ["tests.django_project.hotel", "hotelmate_rt.django"]
MIDDLEWARE = ["django.middleware.common.CommonMiddleware",
              "django.middleware.csrf.CsrfViewMiddleware"]


# The SQLite file lives in a directory of this process's own, removed at exit: whichever test
# opens the database first (a module fixture, a TestCase, the auth view), nothing stays behind.
_DB_DIR = tempfile.mkdtemp(prefix="hotelmate-rt-django-")
atexit.register(shutil.rmtree, _DB_DIR, ignore_errors=True)


def database(url: str | None) -> dict[str, object]:
    """The default database: from a URL, else SQLite in this process's own temp directory."""
    if not url:
        return {"ENGINE": "django.db.backends.sqlite3", "NAME": os.path.join(_DB_DIR, "db.sqlite3")}
    parts = urlsplit(url)
    if parts.scheme == "sqlite":
        return {"ENGINE": "django.db.backends.sqlite3", "NAME": parts.path}
    return {"ENGINE": "django.db.backends.postgresql", "NAME": parts.path.lstrip("/"),
            "USER": parts.username or "postgres", "PASSWORD": parts.password or "",
            "HOST": parts.hostname or "127.0.0.1", "PORT": str(parts.port or 5432)}


DATABASES = {"default": database(load_tool_settings().test_db_url)}
USE_TZ = True
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"
HOTELMATE_RT = {
    "CONTRACT": str(BASE_DIR.parents[1] / "channels.yaml"),
    "TOKEN_RESOLVER": "tests.django_project.hotel.auth.principal_for",
    "ALLOWED_ORIGINS": ["http://localhost:3000"],
}
