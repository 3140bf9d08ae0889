"""pytest plugin: fixtures that capture what the emitter would send (filled in by the emitter work)."""
