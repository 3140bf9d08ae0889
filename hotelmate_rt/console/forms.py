"""What the page's forms are built from: the contract described, and an example payload per event.

`page_contract(contract)` is `contracts.describe` plus, for every event, the channel parameters
its channels need and an example payload (`contracts.examples.event_example`, the one builder).
"""

from __future__ import annotations

from typing import Any

from hotelmate_rt.contracts import Contract, describe
from hotelmate_rt.contracts.examples import event_example

__all__ = ["page_contract"]


def page_contract(contract: Contract) -> dict[str, Any]:
    """Describe the contract for the page: `describe()` plus each event's params and example."""
    data = describe(contract)
    for event in data["events"]:
        model = contract.events[event["name"]]
        params: list[str] = []
        for channel_id in model.channels:
            for parameter in contract.channels[channel_id].template.parameters:
                if parameter not in params:
                    params.append(parameter)
        event["params"] = params
        event["example"] = event_example(contract, model)
        event.pop("schema", None)
    return data
