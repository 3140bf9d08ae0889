"""`contract infer`: draft a channels.yaml from what the scan reads in a backend and a frontend.

Channels come from the names the backend sends on (the frontend's other spellings become `wrong`
aliases), parameters are named from the interpolated expressions (`hotel.slug` -> `hotel_slug`),
events carry a payload schema from the dict literals / serializer fields the code sends, envelope
events (one name, a `type`/`kind`/`category` field with several literal values) get their
variants, sensitive fields are proposed from their names, and every item says where it was
inferred from. `render`/`merge` in `inferyaml` turn the draft into commented YAML.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .config import ScanConfig
from .drift import DISCRIMINATORS, fits, nearest_channel, nearest_event
from .engine import collect
from .model import Side, Site, SiteKind
from .privacy import is_personal
from .symbols import Hole, Sym, display, literal, literal_chars

_SENDS = (SiteKind.TRIGGER, SiteKind.TRIGGER_BATCH, SiteKind.EMIT)
_PREFIXES = ("private-encrypted-", "presence-", "private-")
_GUEST_WORDS = ("guest", "booking", "stay", "reservation", "room")
_SITES_SHOWN = 3
_PATTERNS = (
    (("id", "pk", "number", "no", "num"), r"[0-9]+", "42"),
    (("slug",), r"[a-z0-9]+(?:-[a-z0-9]+)*", "hotel-paradise"),
    (("uuid",), r"[0-9a-f-]{36}", "123e4567-e89b-12d3-a456-426614174000"),
    (("reference", "ref", "code"), r"[A-Za-z0-9-]+", "BK-2025-0001"),
)
_ANY = (r"[A-Za-z0-9_\-=@,.;]+", "x1")


@dataclass(slots=True)
class Draft:
    """One drafted item (channel, event, parameter, alias) and where it was inferred from."""

    body: dict[str, Any]
    sites: list[str] = field(default_factory=list)
    guesses: dict[str, str] = field(default_factory=dict)


@dataclass(slots=True)
class Exposure:
    """Personal data proposed as sensitive that travels on a public channel (a finding)."""

    event: str
    channel: str
    fields: list[str]
    where: str

    def __str__(self) -> str:
        return (f"{self.where}: event `{self.event}` carries {', '.join(self.fields)} on public "
                f"channel `{self.channel}`, which anyone with the app key can read")


@dataclass(slots=True)
class Inferred:
    """The drafted contract: its sections, findings, and the YAML text."""

    parameters: dict[str, Draft] = field(default_factory=dict)
    channels: dict[str, Draft] = field(default_factory=dict)
    events: dict[str, Draft] = field(default_factory=dict)
    aliases: dict[str, Draft] = field(default_factory=dict)
    exposures: list[Exposure] = field(default_factory=list)
    backend_events: set[str] = field(default_factory=set)
    sites: int = 0
    text: str = ""


def param_name(hole: Hole | str) -> str:
    """Name a parameter from an interpolated expression (`hotel.slug` -> `hotel_slug`)."""
    text = hole.text if isinstance(hole, Hole) else hole
    text = re.sub(r"^(self|this|props|instance|obj|cls)\.", "", text.strip())
    text = re.sub(r"\(.*\)$", "", text) if "(" in text and not text.endswith(")") else \
        re.sub(r"^\w+\((.*)\)$", r"\1", text)
    parts = [p for p in re.split(r"[^A-Za-z0-9]+", text) if p]
    words: list[str] = []
    for part in parts[-2:]:
        words.extend(w.lower() for w in re.findall(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])|\d+", part))
    if len(words) >= 2 and words[-1].startswith(words[-2]):
        words = [*words[:-2], words[-1]]
    name = "_".join(words) or "value"
    return name if name[0].isalpha() else f"p_{name}"


def _pattern(name: str) -> tuple[str, str]:
    """Pick a pattern and an example for a parameter from its name."""
    last = name.rsplit("_", 1)[-1]
    for words, pattern, example in _PATTERNS:
        if last in words:
            return pattern, example
    return _ANY


def _template(sym: Sym, taken: dict[str, str]) -> tuple[str, list[str]]:
    """Turn a scanned value into a contract template with named parameters."""
    out: list[str] = []
    names: list[str] = []
    for part in sym:
        if isinstance(part, str):
            out.append(part.replace("{", "").replace("}", ""))
            continue
        name = param_name(part) if isinstance(part, Hole) else part.name
        base, index = name, 2
        while name in names:
            name, index = f"{base}_{index}", index + 1
        names.append(name)
        taken.setdefault(name, part.text if isinstance(part, Hole) else name)
        out.append("{" + name + "}")
    return "".join(out), names


def _channel_id(template: str, used: set[str]) -> str:
    """Name a channel from its template's fixed words (`private-{h}-front-desk` -> front-desk)."""
    text = template
    for prefix in _PREFIXES:
        text = text.removeprefix(prefix)
    words = [w for w in re.split(r"[^a-z0-9]+", re.sub(r"\{[^}]*\}", "-", text.lower())) if w]
    base = "-".join(words) or "channel"
    if template.startswith(("private-", "presence-")) and base in used:
        base = f"{base}-private"
    name, index = base, 2
    while name in used:
        name, index = f"{base}-{index}", index + 1
    used.add(name)
    return name


def _where(site: Site) -> str:
    """Say where a site is."""
    return f"{site.file}:{site.line}"


def infer(paths: Iterable[Path], config: ScanConfig | None = None, root: Path | None = None,
          merge: Path | None = None) -> Inferred:
    """Scan the trees and draft a contract (merged into an existing one when given)."""
    from .inferyaml import merge_into, render

    found = collect(paths, config, root, parallel=True, lifecycle=False)
    drafted = draft(found.sites)
    drafted.text = merge_into(merge, drafted) if merge is not None else render(drafted)
    return drafted


def draft(sites: list[Site]) -> Inferred:
    """Draft the contract's sections from resolved sites."""
    out = Inferred(sites=len(sites))
    sends = [s for s in sites if s.side is Side.BACKEND and s.kind in _SENDS and not s.unresolved]
    subscribes = [s for s in sites if s.kind is SiteKind.SUBSCRIBE]
    binds = [s for s in sites if s.kind is SiteKind.BIND]
    holes: dict[str, str] = {}
    used: set[str] = set()
    by_key: dict[str, tuple[str, Sym]] = {}
    for site in sends:
        for value in site.channels:
            if literal_chars(value.sym) == 0:
                continue
            key = display(value.sym)
            if key not in by_key:
                template, _ = _template(value.sym, holes)
                cid = _channel_id(template, used)
                by_key[key] = (cid, value.sym)
                out.channels[cid] = _channel_draft(template)
            out.channels[by_key[key][0]].sites.append(_where(site))
    origin_keys = _frontend_channels(out, subscribes, by_key, holes, used)
    for site in sends:
        _event_from_send(out, site, by_key)
    _frontend_events(out, binds, origin_keys, by_key)
    for name, example in sorted(holes.items()):
        pattern, sample = _pattern(name)
        out.parameters[name] = Draft({"pattern": pattern, "example": sample,
                                      "description": f"from `{example}` in the code"})
    for item in out.channels.values():
        for name in re.findall(r"\{([^}]*)\}", item.body["template"]):
            if name not in out.parameters:
                pattern, sample = _pattern(name)
                out.parameters[name] = Draft({"pattern": pattern, "example": sample})
        item.sites = list(dict.fromkeys(item.sites))
    _envelopes(out, sends)
    _sensitive(out, sends, by_key)
    return out


def _channel_draft(template: str) -> Draft:
    """Start a channel: kind from the prefix, audiences guessed from its words."""
    kind = "presence" if template.startswith("presence-") else \
        "private" if template.startswith("private-") else "public"
    if kind == "public":
        audiences, why = ["public"], "public: anyone with the app key can read it"
    elif any(w in template.lower() for w in _GUEST_WORDS):
        audiences, why = ["guest", "staff"], "the name says guest/booking"
    else:
        audiences, why = ["staff"], "private channel, no guest word in its name"
    return Draft({"template": template, "kind": kind, "audiences": audiences},
                 guesses={"audiences": f"guess: {why}"})


def _frontend_channels(out: Inferred, subscribes: list[Site], by_key: dict[str, tuple[str, Sym]],
                       holes: dict[str, str], used: set[str]) -> dict[str, list[str]]:
    """Link frontend spellings to backend channels (wrong aliases) or add frontend-only ones."""
    origin_keys: dict[str, list[str]] = {}
    backend_syms = {key: sym for key, (_, sym) in by_key.items()}
    for site in subscribes:
        for value in site.channels:
            if literal_chars(value.sym) == 0:
                continue
            key = display(value.sym)
            if site.origin:
                origin_keys.setdefault(site.origin, []).append(key)
            if key in by_key:
                continue
            exact = [b for b, sym in backend_syms.items() if fits(value.sym, sym)]
            if exact:
                by_key[key] = by_key[exact[0]]
                continue
            near, why = nearest_channel(value.sym, backend_syms)
            if near is not None:
                template = _renamed(value.sym, out.channels[by_key[near][0]].body["template"])
                cid = by_key[near][0]
                channel = out.channels[cid]
                note = (f"frontend subscribes this at {_where(site)}; the backend sends "
                        f"`{channel.body['template']}` at {channel.sites[0]} ({why})")
                aliases = channel.body.setdefault("aliases", [])
                if all(a["template"] != template for a in aliases):
                    aliases.append({"template": template, "status": "wrong", "note": note})
                by_key[key] = by_key[near]
                continue
            template, _ = _template(value.sym, holes)
            cid = _channel_id(template, used)
            by_key[key] = (cid, value.sym)
            out.channels[cid] = _channel_draft(template)
            out.channels[cid].sites.append(f"{_where(site)} (frontend only)")
    return origin_keys


def _renamed(sym: Sym, canonical: str) -> str:
    """Spell a frontend variant of a channel with the canonical channel's parameter names."""
    names = re.findall(r"\{([^}]*)\}", canonical)
    holes = [p for p in sym if not isinstance(p, str)]
    taken: dict[str, str] = {}
    if len(holes) != len(names):
        return _template(sym, taken)[0]
    out, index = [], 0
    for part in sym:
        if isinstance(part, str):
            out.append(part.replace("{", "").replace("}", ""))
        else:
            out.append("{" + names[index] + "}")
            index += 1
    return "".join(out)


def _schema(sites: list[Site], skip: frozenset[str] = frozenset()) -> dict[str, Any]:
    """Build a JSON Schema from the payload fields the sites send (types where literal)."""
    properties: dict[str, Any] = {}
    types: dict[str, set[str]] = {}
    present: list[set[str]] = []
    complete = True
    for site in sites:
        payload = site.payload
        if payload is None:
            complete = False
            continue
        complete = complete and not payload.spread
        present.append({f.path for f in payload.fields if f.top_level})
        for item in payload.fields:
            head, _, rest = item.path.partition(".")
            if head in skip:
                continue
            properties.setdefault(head, {})
            if rest and "." not in rest:
                nested = properties[head].setdefault("properties", {})
                nested.setdefault(rest, {})
                properties[head]["type"] = "object"
            elif not rest and item.type:
                types.setdefault(head, set()).add(item.type)
    for name, seen in types.items():
        if len(seen) == 1 and "type" not in properties[name]:
            properties[name]["type"] = next(iter(seen))
    schema: dict[str, Any] = {"type": "object", "properties": properties}
    if complete and present:
        required = sorted(set.intersection(*present) - skip)
        if required:
            schema["required"] = required
    return schema


def _event_from_send(out: Inferred, site: Site, by_key: dict[str, tuple[str, Sym]]) -> None:
    """Add (or extend) the events a backend send names."""
    channels = [by_key[display(v.sym)][0] for v in site.channels if display(v.sym) in by_key]
    for value in site.events:
        name = literal(value.sym)
        if name is None or name.startswith("pusher:"):
            continue
        out.backend_events.add(name)
        item = out.events.setdefault(name, Draft({"channels": []}))
        for cid in channels:
            if cid not in item.body["channels"]:
                item.body["channels"].append(cid)
        item.sites.append(_where(site))
        item.body.setdefault("_sends", []).append(site)


def _frontend_events(out: Inferred, binds: list[Site], origin_keys: dict[str, list[str]],
                     by_key: dict[str, tuple[str, Sym]]) -> None:
    """Frontend names the backend spells otherwise become wrong aliases; others frontend-only events."""
    for site in binds:
        keys = {k for o in site.receivers for k in origin_keys.get(o.split("@")[0], []) +
                origin_keys.get(o, [])}
        channels = sorted({by_key[k][0] for k in keys if k in by_key})
        for value in site.events:
            name = literal(value.sym)
            if name is None or name.startswith("pusher:") or name in out.events or \
                    name in out.aliases:
                continue
            pool = [e for e in out.backend_events
                    if not channels or set(out.events[e].body["channels"]) & set(channels)]
            near, why = nearest_event(name, pool or out.backend_events)
            if near is not None:
                note = (f"frontend binds `{name}` at {site.file}:{value.line}; the backend sends "
                        f"`{near}` at {out.events[near].sites[0]} ({why})")
                out.aliases[name] = Draft({"replaced_by": [near], "status": "wrong",
                                           "note": note}, [f"{site.file}:{value.line}"])
                continue
            if not channels:
                continue
            item = Draft({"channels": channels, "schema": {"type": "object"}},
                         [f"{site.file}:{value.line} (frontend only: no backend code sends it)"])
            out.events[name] = item


def _envelopes(out: Inferred, sends: list[Site]) -> None:
    """Give events their schemas; an event whose discriminator takes several values is an envelope."""
    for item in out.events.values():
        sites: list[Site] = item.body.pop("_sends", [])
        if not sites:
            continue
        values: dict[str, dict[str, list[Site]]] = {}
        for site in sites:
            for key, constant in site.payload.constants if site.payload is not None else ():
                if key in DISCRIMINATORS:
                    values.setdefault(key, {}).setdefault(constant, []).append(site)
        envelope = max((k for k in values if len(values[k]) >= 2),
                       key=lambda k: (len(values[k]), -DISCRIMINATORS.index(k)), default=None)
        if envelope is None:
            item.body["schema"] = _schema(sites)
            continue
        item.body["schema"] = {"type": "object", "required": [envelope],
                               "properties": {envelope: {"type": "string"}}}
        variants: dict[str, Any] = {}
        for constant, senders in sorted(values[envelope].items()):
            variant = _schema(senders, frozenset({envelope}))
            variant["properties"] = {envelope: {"const": constant}, **variant["properties"]}
            variants[constant] = variant
        item.body["envelope"] = {"field": envelope, "variants": variants}
        item.guesses["envelope"] = "envelope: one event name, `" + envelope + "` selects the " \
            "variant (" + ", ".join(f"{v} at {_where(s[0])}" for v, s in
                                     sorted(values[envelope].items())[:_SITES_SHOWN]) + ")"


def _sensitive(out: Inferred, sends: list[Site], by_key: dict[str, tuple[str, Sym]]) -> None:
    """Propose sensitive fields by name; report those that travel on public channels."""
    for site in sends:
        if site.payload is None:
            continue
        fields = sorted({f.name for f in site.payload.fields if is_personal(f.name)})
        if not fields:
            continue
        for value in site.events:
            name = literal(value.sym)
            if name is None or name not in out.events:
                continue
            item = out.events[name]
            listed = item.body.setdefault("sensitive", [])
            listed.extend(f for f in fields if f not in listed)
            item.guesses["sensitive"] = "guess: proposed from the field names"
            for channel in site.channels:
                cid = by_key.get(display(channel.sym), ("", ()))[0]
                if cid and out.channels[cid].body["kind"] == "public":
                    out.exposures.append(Exposure(name, out.channels[cid].body["template"],
                                                  fields, _where(site)))

