"""Token -> principal for the test project (a real backend would look up its token table)."""

from __future__ import annotations

from hotelmate_rt.auth import Principal

TOKENS: dict[str, Principal] = {}


def principal_for(token: str) -> Principal | None:
    """Return the principal holding `token`, or None."""
    return TOKENS.get(token)
