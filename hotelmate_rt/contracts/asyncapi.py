"""Export the contract as an AsyncAPI 3.0 document.

Channels carry `address` templates and parameters (3.0 parameters have no schema, so the pattern
and example travel as `x-pattern` / `x-example`); messages carry payload schemas and an example;
the backend has one `send` operation per channel and each audience one `receive` operation per
channel it may read. Pusher specifics are `x-pusher-*` extensions: the kind and prefix, the
audiences, the aliases, that `data` is sent as a JSON string, and the auth endpoint.

Payload schemas keep their meaning: a `$ref` to the event's own `$defs` becomes a reference to
`components.schemas.<event>.<name>`, and other local references point into the message payload.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

from .codegen.identity import contract_hash
from .codegen.tstypes import pascal
from .examples import event_example
from .model import Channel, ChannelKind, Contract, Event

ASYNCAPI_VERSION = "3.0.0"
JSON_STRING = "json-string"


def to_asyncapi(contract: Contract, auth_endpoint: str = "/pusher/auth/") -> dict[str, Any]:
    """Build the AsyncAPI 3.0 document of a contract as plain data (YAML/JSON ready)."""
    schemas: dict[str, Any] = {}
    messages = {_message_id(e.name): _message(contract, e, schemas)
                for e in contract.events.values()}
    channels = {c.id: _channel(contract, c) for c in contract.channels.values()}
    return {
        "asyncapi": ASYNCAPI_VERSION,
        "info": {
            "title": "HotelMate realtime (Pusher Channels)",
            "version": str(contract.version),
            "description": f"Generated from {Path(contract.path).name} by `hotelmate-rt contract "
                           "export asyncapi`. Every message travels as a Pusher event whose "
                           "`data` is the payload encoded as a JSON string.",
            "x-contract-hash": contract_hash(contract),
        },
        "defaultContentType": "application/json",
        "servers": {
            "pusher": {
                "host": "ws-{cluster}.pusher.com", "protocol": "wss", "pathname": "/app/{key}",
                "description": "Hosted Pusher Channels (soketi speaks the same protocol).",
                "variables": {"cluster": {"default": "mt1", "description": "Pusher cluster"},
                              "key": {"description": "the app key (public)"}},
                "x-pusher-auth-endpoint": auth_endpoint,
            },
        },
        "channels": channels,
        "operations": _operations(contract),
        "components": {
            "messages": messages,
            "schemas": schemas,
            "parameters": {p.name: {"description": p.description or p.name,
                                    "examples": [p.example], "x-pattern": p.pattern,
                                    "x-example": p.example}
                           for p in contract.parameters.values()},
            "securitySchemes": {
                name: {"type": "http", "scheme": "bearer",
                       "description": f"The {name} bearer token that pusher-js sends to the auth "
                                      f"endpoint {auth_endpoint} before subscribing to a private "
                                      f"channel. {a.description}".strip(),
                       "x-pusher-auth-endpoint": auth_endpoint,
                       "x-pusher-scope": list(a.scope)}
                for name, a in contract.audiences.items() if a.authenticates},
        },
    }


def _message_id(event: str) -> str:
    """Return a components key for an event (keys allow letters, digits, `.`, `-`, `_`)."""
    return "".join(ch if ch.isalnum() or ch in "._-" else "_" for ch in event)


def _channel(contract: Contract, channel: Channel) -> dict[str, Any]:
    """Describe one channel: address, parameters, messages and Pusher extensions."""
    carried = [e for e in contract.events.values() if channel.id in e.channels]
    out: dict[str, Any] = {
        "address": channel.template.text,
        "title": channel.id,
        "description": channel.description or channel.id,
        "messages": {_message_id(e.name): {"$ref": f"#/components/messages/{_message_id(e.name)}"}
                     for e in carried},
    }
    parameters = list(dict.fromkeys(channel.template.parameters))
    if parameters:
        out["parameters"] = {p: {"$ref": f"#/components/parameters/{p}"} for p in parameters}
    out["x-pusher-kind"] = channel.kind.value
    out["x-pusher-prefix"] = channel.kind.prefix
    out["x-pusher-audiences"] = _audiences(contract, channel)
    out["x-pusher-requires-auth"] = channel.kind.needs_auth
    if channel.aliases:
        out["x-pusher-aliases"] = [
            {"address": a.template.text, "status": a.status.value, "note": a.note,
             **({"sunset": a.sunset.isoformat()} if a.sunset else {})}
            for a in channel.aliases]
    return out


def _audiences(contract: Contract, channel: Channel) -> list[str]:
    """List who can read a channel (every audience when it is public)."""
    if channel.kind is ChannelKind.PUBLIC:
        return list(dict.fromkeys([*channel.audiences, *contract.audiences]))
    return list(channel.audiences)


def _message(contract: Contract, event: Event, schemas: dict[str, Any]) -> dict[str, Any]:
    """Describe one event as a message: payload schema, example, Pusher encoding."""
    key = _message_id(event.name)
    payload = _payload_schema(event, key, schemas)
    out: dict[str, Any] = {"name": event.name, "title": event.name,
                           "summary": event.description or event.name,
                           "contentType": "application/json", "payload": payload}
    example = event_example(contract, event)
    if event.validator is not None and event.validator.is_valid(example):
        out["examples"] = [{"name": f"{event.name}-example", "payload": example}]
    out["x-pusher-event"] = event.name
    out["x-pusher-data-encoding"] = JSON_STRING
    out["x-pusher-channels"] = list(event.channels)
    if event.sensitive:
        out["x-sensitive-fields"] = list(event.sensitive)
    return out


def _payload_schema(event: Event, key: str, schemas: dict[str, Any]) -> dict[str, Any]:
    """Return the event's payload schema with `$defs` moved to components and refs rewritten."""
    schema = copy.deepcopy(dict(event.schema)) if isinstance(event.schema, dict) else {}
    if event.envelope is not None:
        variants = [{"allOf": [copy.deepcopy(dict(v)),
                               {"properties": {event.envelope.field: {"const": name}},
                                "required": [event.envelope.field]}]}
                    for name, v in event.envelope.variants.items()]
        schema = {"allOf": [schema, {"oneOf": variants}]}
    definitions = schema.pop("$defs", None) or {}
    base = f"#/components/messages/{key}/payload"
    for name, definition in definitions.items():
        schemas[f"{key}.{_message_id(str(name))}"] = _rewrite(definition, key, base)
    return _rewrite(schema, key, base)


def _rewrite(node: Any, key: str, base: str) -> Any:
    """Point local `$ref`s at their new home in the AsyncAPI document."""
    if isinstance(node, dict):
        out = {k: _rewrite(v, key, base) for k, v in node.items() if k != "$defs"}
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/$defs/"):
            name, _, rest = ref[len("#/$defs/"):].partition("/")
            out["$ref"] = f"#/components/schemas/{key}.{_message_id(name)}" + (f"/{rest}" if rest else "")
        elif isinstance(ref, str) and ref.startswith("#"):
            out["$ref"] = base + ref[1:]
        return out
    if isinstance(node, list):
        return [_rewrite(v, key, base) for v in node]
    return node


def _operations(contract: Contract) -> dict[str, Any]:
    """One `send` per channel for the backend, one `receive` per channel for each audience."""
    out: dict[str, Any] = {}
    for channel in contract.channels.values():
        refs = [{"$ref": f"#/channels/{channel.id}/messages/{_message_id(e.name)}"}
                for e in contract.events.values() if channel.id in e.channels]
        base = {"channel": {"$ref": f"#/channels/{channel.id}"}, "messages": refs}
        out[f"backendSend{pascal(channel.id)}"] = {
            "action": "send", **base,
            "summary": f"The backend triggers these events on {channel.template.text}.",
            "x-pusher-trigger": "POST /apps/{app_id}/events (HTTP API, signed with the secret)"}
        for audience in _audiences(contract, channel):
            operation: dict[str, Any] = {
                "action": "receive", **base,
                "summary": f"The {audience} frontend subscribes to {channel.template.text}.",
                "x-pusher-audience": audience}
            known = contract.audiences.get(audience)
            if channel.kind.needs_auth and known is not None and known.authenticates:
                operation["security"] = [{"$ref": f"#/components/securitySchemes/{audience}"}]
            out[f"{audience}Receive{pascal(channel.id)}"] = operation
    return out
