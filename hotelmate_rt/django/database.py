"""Can this process read the app's hotelmate-rt tables? One answer for triage, replay and relay.

Used from outside Django (`hotelmate-rt triage`, `hotelmate-rt replay --database`): Django is set
up from DJANGO_SETTINGS_MODULE when it is not yet, importable from the current directory as under
`python manage.py` (the directory is added at the end of sys.path: installed packages win).
Importing this module imports no Django.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from .transactions import django_ready

APP = "hotelmate_rt.django"
TABLE = "hotelmate_rt_outbox"


def app_database_problem(using: str | None = None) -> str | None:
    """Say why the app's outbox and webhook tables cannot be read here, or None when they can."""
    try:
        import django
    except ImportError:
        return "Django is not installed here (pip install 'hotelmate-rt[django]')"
    if not django_ready() and not os.environ.get("DJANGO_SETTINGS_MODULE"):
        return "set DJANGO_SETTINGS_MODULE to the backend's settings to read its database"
    from django.apps import apps

    if not apps.ready:
        if os.getcwd() not in sys.path and "" not in sys.path:
            sys.path.append(os.getcwd())  # the backend's own package, as manage.py finds it
        try:
            django.setup()
        except Exception as exc:  # the backend's settings module: anything may go wrong there
            return f"Django settings do not load ({type(exc).__name__}: {exc})"
    if not apps.is_installed(APP):
        return f'the backend does not install "{APP}" (INSTALLED_APPS)'
    from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections

    alias = using or DEFAULT_DB_ALIAS
    if alias not in connections:
        return f"the backend has no database {alias!r}"
    connection = connections[alias]
    name = str(connection.settings_dict.get("NAME") or "")
    if connection.vendor == "sqlite" and name != ":memory:" and not name.startswith("file:") \
            and not Path(name).exists():
        return f"the backend's SQLite database {name} does not exist here"
    try:
        tables = connection.introspection.table_names()
    except DatabaseError as exc:
        return f"cannot reach database {alias!r}: {exc}"
    if TABLE not in tables:
        return (f"the outbox table is missing in database {alias!r}: run "
                "`python manage.py migrate hotelmate_rt`")
    return None
