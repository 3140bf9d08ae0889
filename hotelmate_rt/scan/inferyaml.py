"""Write a drafted contract as commented YAML, or merge it into a hand-written one.

ruamel.yaml (round-trip mode) is the writer: it emits comments next to keys and, for `--merge`,
reads an existing contract with its comments, anchors and key order and writes it back as it was,
with only the missing items added. The result must load with `hotelmate_rt.contracts`.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq

from hotelmate_rt.contracts import Template, load_contract_text
from hotelmate_rt.errors import ConfigError

from .infer import Draft, Inferred

_HEADER = """Drafted by `hotelmate-rt contract infer` from the code the scan reads. Review it:
every item says where it was inferred from; `# guess` marks what the code cannot show
(audiences, sensitive fields). Then `hotelmate-rt contract lint` and commit it."""
_AUDIENCES = {
    "public": {"authenticates": False, "description": "anyone with the app key"},
    "guest": {"authenticates": True, "description": "a guest holding a booking token"},
    "staff": {"authenticates": True, "description": "a logged-in staff member"},
}
_SHOWN = 3


def _yaml() -> YAML:
    """A round-trip YAML writer that keeps long lines and the indentation of the contract."""
    yaml = YAML()
    yaml.width = 4096
    yaml.indent(mapping=2, sequence=4, offset=2)
    yaml.preserve_quotes = True
    return yaml


def _commented(data: Any) -> Any:
    """Turn plain dicts and lists into ruamel's commented containers (recursively)."""
    if isinstance(data, dict):
        out = CommentedMap()
        for key, value in data.items():
            out[key] = _commented(value)
        return out
    if isinstance(data, list):
        seq = CommentedSeq(_commented(v) for v in data)
        if all(isinstance(v, str) for v in data):
            seq.fa.set_flow_style()
        return seq
    return data


def _entry(item: Draft) -> CommentedMap:
    """Build one section entry with its `inferred from` and `guess` comments."""
    body = _commented(item.body)
    for key, text in item.guesses.items():
        if key in body:
            body.yaml_add_eol_comment(text, key)
    return body


def _section(target: CommentedMap, name: str, items: dict[str, Draft], indent: int = 2) -> None:
    """Add drafted items to a section, each with a comment saying where it comes from."""
    section = target.setdefault(name, CommentedMap())
    if section is None:
        section = target[name] = CommentedMap()
    for key, item in items.items():
        if key in section:
            continue
        section[key] = _entry(item)
        if item.sites:
            shown = ", ".join(item.sites[:_SHOWN]) + (" ..." if len(item.sites) > _SHOWN else "")
            section.yaml_set_comment_before_after_key(key, before=f"inferred from {shown}",
                                                      indent=indent)


def _dump(data: CommentedMap) -> str:
    """Write YAML text."""
    buffer = io.StringIO()
    _yaml().dump(data, buffer)
    return buffer.getvalue()


def render(drafted: Inferred) -> str:
    """Write a new contract from a draft."""
    data = CommentedMap()
    data["version"] = 1
    data.yaml_set_start_comment(_HEADER)
    data["parameters"] = CommentedMap()
    _section(data, "parameters", drafted.parameters)
    data["audiences"] = _commented(_AUDIENCES)
    _section(data, "channels", drafted.channels)
    _section(data, "events", drafted.events)
    if drafted.aliases:
        _section(data, "event_aliases", drafted.aliases)
    return _checked(_dump(data), "<inferred>")


def merge_into(path: Path, drafted: Inferred) -> str:
    """Add what the draft has and the contract lacks; leave every hand-written item as it is."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror or exc}") from None
    existing = load_contract_text(text, str(path))
    data = _yaml().load(text)
    renamed = _known_channels(existing, drafted)
    for item in drafted.events.values():
        item.body["channels"] = [renamed.get(c, c) for c in item.body["channels"]]
    channels = {cid: item for cid, item in drafted.channels.items() if cid not in renamed}
    for cid in list(channels):
        if cid in existing.channels:
            channels[f"{cid}-inferred"] = channels.pop(cid)
            for item in drafted.events.values():
                item.body["channels"] = [f"{cid}-inferred" if c == cid else c
                                         for c in item.body["channels"]]
    events = {n: i for n, i in drafted.events.items()
              if n not in existing.events and n not in existing.event_aliases}
    aliases = {n: i for n, i in drafted.aliases.items()
               if n not in existing.event_aliases and n not in existing.events and
               all(r in existing.events or r in events for r in i.body["replaced_by"])}
    parameters = {n: i for n, i in drafted.parameters.items() if n not in existing.parameters}
    _section(data, "parameters", parameters)
    audiences = data.setdefault("audiences", CommentedMap())
    for name, body in _AUDIENCES.items():
        if name not in audiences:
            audiences[name] = _commented(body)
    _section(data, "channels", channels)
    _section(data, "events", events)
    if aliases:
        _section(data, "event_aliases", aliases)
    return _checked(_dump(data), str(path))


def _known_channels(existing: Any, drafted: Inferred) -> dict[str, str]:
    """Map drafted channel ids onto the contract's channels with the same shape (or alias)."""
    out: dict[str, str] = {}
    for cid, item in drafted.channels.items():
        shape = Template.parse(item.body["template"]).literals
        for channel in existing.channels.values():
            shapes = [channel.template.literals, *(a.template.literals for a in channel.aliases)]
            if shape in shapes:
                out[cid] = channel.id
                break
    return out


def _checked(text: str, where: str) -> str:
    """Make sure the written contract loads (a bug here must never hand out a broken file)."""
    load_contract_text(text, where)
    return text
