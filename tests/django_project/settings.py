"""Settings of the test project: SQLite in a temp file, the hotel app, the auth endpoint."""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent
SECRET_KEY = "django-test-only-not-a-secret"
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "testserver"]
ROOT_URLCONF = "tests.django_project.urls"
INSTALLED_APPS = ["tests.django_project.hotel"]
MIDDLEWARE = ["django.middleware.common.CommonMiddleware",
              "django.middleware.csrf.CsrfViewMiddleware"]
# The SQLite file lives in a directory of this process's own, removed at exit: whichever test
# opens the database first (a module fixture, a TestCase, the auth view), nothing stays behind.
_DB_DIR = tempfile.mkdtemp(prefix="hotelmate-rt-django-")
atexit.register(shutil.rmtree, _DB_DIR, ignore_errors=True)
DATABASES = {"default": {
    "ENGINE": "django.db.backends.sqlite3",
    "NAME": os.path.join(_DB_DIR, "db.sqlite3"),
}}
USE_TZ = True
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"
HOTELMATE_RT = {
    "CONTRACT": str(BASE_DIR.parents[1] / "channels.yaml"),
    "TOKEN_RESOLVER": "tests.django_project.hotel.auth.principal_for",
    "ALLOWED_ORIGINS": ["http://localhost:3000"],
}
