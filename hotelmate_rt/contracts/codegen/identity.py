"""The contract's identity: a hash that ignores key order, comments and the file's location."""

from __future__ import annotations

import hashlib
from typing import Any

from hotelmate_rt.contracts.diff.schemas import canonical
from hotelmate_rt.contracts.export import describe
from hotelmate_rt.contracts.model import Contract

_NAMED = {"channels": "id", "events": "name", "event_aliases": "name", "state_machines": "name",
          "actions": "name"}


def contract_hash(contract: Contract) -> str:
    """Return `sha256:<hex>` of the contract's content (stable across reordering and comments)."""
    data: dict[str, Any] = describe(contract)
    data.pop("path", None)
    for section, key in _NAMED.items():
        data[section] = {item[key]: item for item in data.get(section, [])}
    for channel in data["channels"].values():
        channel["events"] = sorted(channel["events"])  # follows the order of `events:`
    for machine in data["state_machines"].values():
        machine["transitions"] = sorted(machine["transitions"],
                                        key=lambda t: (t["from"], t["to"]))
        machine["aliases"] = sorted(machine["aliases"], key=lambda a: a["name"])
    return "sha256:" + hashlib.sha256(canonical(data).encode("utf-8")).hexdigest()
