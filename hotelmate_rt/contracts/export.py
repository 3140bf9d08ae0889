"""Describe a contract as plain data (for `contract show --json` and docs)."""

from __future__ import annotations

from typing import Any

from .model import Contract


def describe(contract: Contract) -> dict[str, Any]:
    """Return every channel, event, alias, machine and action as JSON-ready data."""
    carried: dict[str, list[str]] = {cid: [] for cid in contract.channels}
    for event in contract.events.values():
        for cid in event.channels:
            carried.setdefault(cid, []).append(event.name)
    return {
        "path": contract.path,
        "version": contract.version,
        "default_target": contract.default_target,
        "targets": {t.name: {"max_payload_bytes": t.max_payload_bytes}
                    for t in contract.targets.values()},
        "sensitive_fields": list(contract.sensitive_fields),
        "parameters": {p.name: {"pattern": p.pattern, "example": p.example,
                                "description": p.description}
                       for p in contract.parameters.values()},
        "audiences": {a.name: {"authenticates": a.authenticates, "scope": list(a.scope),
                               "description": a.description}
                      for a in contract.audiences.values()},
        "channels": [{"id": c.id, "template": c.template.text, "kind": c.kind.value,
                      "audiences": list(c.audiences), "public_readable": c.public_readable,
                      "events": carried.get(c.id, []), "description": c.description,
                      "aliases": [{"template": a.template.text, "status": a.status.value,
                                   "note": a.note} for a in c.aliases]}
                     for c in contract.channels.values()],
        "events": [{"name": e.name, "channels": list(e.channels), "sensitive": list(e.sensitive),
                    "description": e.description, "schema": e.schema,
                    "envelope": ({"field": e.envelope.field, "variants": list(e.envelope.variants)}
                                 if e.envelope else None)}
                   for e in contract.events.values()],
        "event_aliases": [{"name": a.name, "replaced_by": list(a.replaced_by),
                           "status": a.status.value, "note": a.note}
                          for a in contract.event_aliases.values()],
        "state_machines": [{"name": m.name, "parameter": m.parameter, "states": list(m.states),
                            "initial": list(m.initial),
                            "transitions": [{"from": t.source, "to": t.target,
                                             "emits": list(t.emits)} for t in m.transitions],
                            "aliases": [{"name": a.name, "replaced_by": a.replaced_by,
                                         "status": a.status.value} for a in m.aliases]}
                           for m in contract.state_machines.values()],
        "actions": [{"name": a.name, "description": a.description,
                     "steps": [{"event": s.event, "channels": list(s.channels)}
                               for s in a.steps]}
                    for a in contract.actions.values()],
    }
