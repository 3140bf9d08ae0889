"""A tiny real Django project (SQLite) for the emitter's transaction and auth-view tests."""
