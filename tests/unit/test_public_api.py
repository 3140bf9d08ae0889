"""Each package's `__all__` is its public API: every name exists and none is forgotten."""

from __future__ import annotations

import importlib

import pytest

PACKAGES = ["contracts", "emitters", "probes", "scan", "oncall", "auth", "testing", "console"]


@pytest.mark.parametrize("name", PACKAGES)
def test_all_lists_exactly_the_public_names(name: str) -> None:
    """Every `__all__` entry resolves, and every public non-module attribute is listed."""
    package = importlib.import_module(f"hotelmate_rt.{name}")
    exported = set(package.__all__)
    missing = [n for n in exported if not hasattr(package, n)]
    assert missing == []
    public = {n for n, v in vars(package).items()
              if not n.startswith("_") and type(v).__name__ != "module" and n != "annotations"}
    assert public - exported == set()
