"""hotelmate-rt: one channels.yaml contract drives HotelMate's Pusher emitter, probe and checks.

`hotelmate_rt.__version__` is the installed distribution's version (pyproject.toml is its one
source); it is read on first use so that importing the package stays cheap.
"""

from __future__ import annotations

__all__ = ["__version__"]


def __getattr__(name: str) -> str:
    """Provide `__version__` lazily from the package metadata."""
    if name != "__version__":
        raise AttributeError(f"module 'hotelmate_rt' has no attribute {name!r}")
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("hotelmate-rt")
    except PackageNotFoundError:  # pragma: no cover - running from a source tree, not installed
        return "0+unknown"
