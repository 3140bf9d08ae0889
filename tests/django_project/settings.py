"""Settings of the test project: SQLite in a temp file, the hotel app, the auth endpoint."""

from __future__ import annotations

import os
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
DATABASES = {"default": {
    "ENGINE": "django.db.backends.sqlite3",
    "NAME": os.path.join(tempfile.gettempdir(), f"hotelmate-rt-django-{os.getpid()}.sqlite3"),
}}
USE_TZ = True
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"
HOTELMATE_RT = {
    "CONTRACT": str(BASE_DIR.parents[1] / "channels.yaml"),
    "TOKEN_RESOLVER": "tests.django_project.hotel.auth.principal_for",
    "ALLOWED_ORIGINS": ["http://localhost:3000"],
}
