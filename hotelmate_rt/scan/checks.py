"""Judge resolved sites against the contract: findings, coverage, suppressions, levels."""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from hotelmate_rt.contracts import ChannelKind, ChannelName, Contract, Event, NameStatus, resolve_event
from hotelmate_rt.rules import UnknownRule

from .config import ScanConfig
from .drift import drift
from .files import relative
from .lifecycle import ModuleFacts
from .lifecyclecheck import lifecycle_issues
from .match import ChannelMatcher, name_kind
from .model import ClientConfig, Coverage, Finding, Related, ScanResult, Side, Site, SiteKind
from .privacy import privacy_findings
from .rules import NAME_RULES, Level, ScanRule
from .symbols import Value, display, literal, literal_chars

_SUPPRESS = re.compile(r"(?:#|//)\s*hotelmate-rt:\s*ignore(?:\[([^\]]*)\])?")
_PROTOCOL_PREFIXES = ("pusher:", "pusher_internal:")


@dataclass(slots=True)
class _Context:
    """What the checks share: the contract, matcher, config and collected output."""

    contract: Contract
    matcher: ChannelMatcher
    config: ScanConfig
    sources: Mapping[str, bytes]
    findings: list[Finding] = field(default_factory=list)
    suppressed: int = 0
    lines: dict[str, list[str]] = field(default_factory=dict)
    silenced: set[tuple[str, int]] = field(default_factory=set)

    def report(self, rule: ScanRule, message: str, file: str, line: int, column: int,
               fix: str | None = None, site: Site | None = None,
               related: tuple[Related, ...] = ()) -> None:
        """Add a finding unless its rule is off or a comment suppresses it."""
        level = self.config.level(rule)
        if level is Level.OFF:
            return
        anchors = {line} if site is None else {line, site.line}
        if self._suppressed(file, rule, anchors):
            self.suppressed += 1
            self.silenced.add((file, line))
            return
        self.findings.append(Finding(rule, level, message, file, line, column, fix, related))

    def _suppressed(self, file: str, rule: ScanRule, lines: set[int]) -> bool:
        """Tell whether `hotelmate-rt: ignore[rule]` is on a line or on a comment line above it."""
        text = self.lines.get(file)
        if text is None:
            data = self.sources.get(file)
            text = data.decode("utf-8", "replace").split("\n") if data is not None else []
            self.lines[file] = text
        candidates = set(lines)
        for number in lines:
            if 2 <= number <= len(text) + 1 and \
                    text[number - 2].lstrip().startswith(("#", "//")):
                candidates.add(number - 1)
        for number in candidates:
            if 1 <= number <= len(text) and "hotelmate-rt" in text[number - 1]:
                for match in _SUPPRESS.finditer(text[number - 1]):
                    rules = match.group(1)
                    if rules is None or rule in {r.strip() for r in rules.split(",")}:
                        return True
        return False


def check(result: ScanResult, contract: Contract, config: ScanConfig,
          sources: Mapping[str, bytes], notes: Iterable[tuple[str, int, str]] = (),
          lifecycle: Iterable[ModuleFacts] = ()) -> None:
    """Fill `result.findings` and `result.coverage` from `result.sites`.

    Raises UnknownRule (a ConfigError) naming file:line when a suppression comment names a rule
    id that does not exist: a typo there would otherwise silently suppress nothing.
    """
    check_suppressions(sources)
    ctx = _Context(contract, ChannelMatcher(contract), config, dict(sources))
    coverage = Coverage()
    subscribed: dict[str, list[Value]] = {}
    clients: list[ClientConfig] = []
    for site in result.sites:
        if site.kind is SiteKind.SUBSCRIBE and site.origin:
            subscribed.setdefault(site.origin, []).extend(site.channels)
        if site.kind is SiteKind.CLIENT and site.client is not None:
            clients.append(site.client)
    private_clients = _clients_with_private(result.sites, clients)
    for site in result.sites:
        if site.side is Side.BACKEND:
            coverage.backend_seen = True
        elif site.kind is not SiteKind.CLIENT:
            coverage.frontend_seen = True
        if site.unresolved:
            ctx.report(ScanRule.UNRESOLVED_SITE, f"{_label(site)} could not be resolved: "
                       f"{site.unresolved}", site.file, site.line, site.column,
                       "Use literal names, or names built in the same file or an imported "
                       "helper, so the scan can follow them.", site)
        if site.kind in (SiteKind.TRIGGER, SiteKind.TRIGGER_BATCH):
            _trigger(ctx, site, coverage)
        elif site.kind is SiteKind.EMIT:
            _emit(ctx, site, coverage)
        elif site.kind is SiteKind.EMIT_ACTION:
            _action(ctx, site, coverage)
        elif site.kind is SiteKind.TRANSITION:
            _transition(ctx, site, coverage)
        elif site.kind is SiteKind.SUBSCRIBE:
            _subscribe(ctx, site, clients, private_clients)
        elif site.kind in (SiteKind.BIND, SiteKind.UNBIND, SiteKind.BIND_GLOBAL):
            _bind(ctx, site, subscribed, coverage)
    _adoption(ctx, result, notes)
    for issue in lifecycle_issues(result.sites, lifecycle):
        ctx.report(issue.rule, issue.message, issue.file, issue.line, issue.column, issue.fix,
                   related=issue.related)
    _coverage(ctx, result, coverage)
    result.coverage = coverage
    result.suppressed = ctx.suppressed
    result.findings = sorted(ctx.findings, key=lambda f: (f.file, f.line, f.column, f.rule,
                                                          f.message))


def check_suppressions(sources: Mapping[str, bytes]) -> None:
    """Raise UnknownRule listing every `hotelmate-rt: ignore[...]` comment naming no rule."""
    problems: list[str] = []
    for file, data in sorted(sources.items()):
        if b"hotelmate-rt" not in data:
            continue
        for number, line in enumerate(data.decode("utf-8", "replace").split("\n"), 1):
            if "hotelmate-rt" not in line:
                continue
            for match in _SUPPRESS.finditer(line):
                listed = match.group(1)
                if listed is None:
                    continue
                for text in listed.split(",") if listed.strip() else [""]:
                    try:
                        ScanRule.lookup(text, "scan rule")
                    except UnknownRule as exc:
                        problems.append(f"{file}:{number}: suppression comment: {exc}")
    if problems:
        raise UnknownRule("\n".join(problems))


def _label(site: Site) -> str:
    """Describe a site in messages."""
    via = f" (through {site.via[0]})" if site.via else ""
    return f"{site.kind.value} site{via}"


# -- names --------------------------------------------------------------------------------------
def _event(ctx: _Context, value: Value, site: Site) -> Event | None:
    """Check an event name; return the contract event it means (also for deprecated aliases)."""
    name = literal(value.sym)
    if name is None:
        ctx.report(ScanRule.UNRESOLVED_SITE, f"event name `{display(value.sym)}` is not a fixed "
                   "string", site.file, value.line, value.column, None, site)
        return None
    if name.startswith(_PROTOCOL_PREFIXES):
        return None
    resolved = resolve_event(ctx.contract, name)
    if resolved.status is NameStatus.CANONICAL:
        return resolved.event
    note = f" ({resolved.note})" if resolved.note else ""
    use = " / ".join(f"`{r}`" for r in resolved.replaced_by)
    if resolved.status is NameStatus.DEPRECATED:
        ctx.report(ScanRule.DEPRECATED_EVENT, f"event `{name}` is deprecated{note}", site.file,
                   value.line, value.column, f"use {use}", site)
        return resolved.event
    if resolved.status is NameStatus.WRONG:
        ctx.report(ScanRule.WRONG_EVENT_NAME, f"event `{name}` is a wrong name in the "
                   f"contract{note}", site.file, value.line, value.column, f"did you mean {use}?",
                   site)
        return None
    fix = f"did you mean `{resolved.suggestion}`?" if resolved.suggestion else None
    ctx.report(ScanRule.UNKNOWN_EVENT, f"event `{name}` is not in the contract", site.file,
               value.line, value.column, fix, site)
    return None


def _channel(ctx: _Context, value: Value, site: Site) -> ChannelName | None:
    """Check a channel name or template; return what it resolves to in the contract."""
    if literal_chars(value.sym) == 0:
        ctx.report(ScanRule.UNRESOLVED_SITE, f"channel `{display(value.sym)}` has no fixed text "
                   "to match", site.file, value.line, value.column, None, site)
        return None
    shown = display(value.sym)
    found = ctx.matcher.resolve(value.sym)
    if found.channel is None:
        guess = found.suggestion
        ctx.report(ScanRule.UNKNOWN_CHANNEL, f"channel `{shown}` matches no channel of the "
                   "contract", site.file, value.line, value.column,
                   f"did you mean `{guess}`?" if guess else None, site)
        return None
    canonical = found.channel.template.text
    note = f" ({found.note})" if found.note else ""
    if found.status is NameStatus.DEPRECATED:
        ctx.report(ScanRule.DEPRECATED_CHANNEL, f"channel `{shown}` is a deprecated name of "
                   f"`{found.channel.id}`{note}", site.file, value.line, value.column,
                   f"use `{canonical}`", site)
    elif found.status is NameStatus.WRONG:
        ctx.report(ScanRule.WRONG_CHANNEL_NAME, f"channel `{shown}` is a wrong name for "
                   f"`{found.channel.id}`{note}", site.file, value.line, value.column,
                   f"did you mean `{canonical}`?", site)
    return found


def _on_channel(ctx: _Context, event: Event, match: ChannelName, value: Value,
                site: Site) -> None:
    """Report an event sent or bound on a channel that the contract says never carries it."""
    if match.channel is None or match.channel.id in event.channels:
        return
    carriers = [f"`{ctx.contract.channels[c].template.text}`" for c in event.channels
                if c in ctx.contract.channels]
    where = ", ".join(carriers) or "no channel"
    ctx.report(ScanRule.EVENT_NOT_ON_CHANNEL, f"event `{event.name}` is not carried by channel "
               f"`{match.template}` (`{match.channel.id}`); the contract sends it on {where}",
               site.file, value.line, value.column,
               f"use {carriers[0]}" if len(carriers) == 1 else None, site)


# -- backend ------------------------------------------------------------------------------------
def _trigger(ctx: _Context, site: Site, coverage: Coverage) -> None:
    """Check a pusher trigger: channels, event, event-on-channel and the payload literal."""
    matches = [(value, _channel(ctx, value, site)) for value in site.channels]
    for value in site.events:
        event = _event(ctx, value, site)
        if event is None:
            continue
        coverage.emitted.setdefault(event.name, []).append(f"{site.file}:{site.line}")
        for channel_value, match in matches:
            if match is not None:
                _on_channel(ctx, event, match, channel_value, site)
        public = any(name_kind(v.sym) is ChannelKind.PUBLIC for v in site.channels)
        _payload(ctx, site, event, public)


def _emit(ctx: _Context, site: Site, coverage: Coverage) -> None:
    """Check `emitter.emit(event, data)`: the library derives channels from the contract."""
    for value in site.events:
        event = _event(ctx, value, site)
        if event is None:
            continue
        coverage.emitted.setdefault(event.name, []).append(f"{site.file}:{site.line}")
        public = any(ctx.contract.channels[c].public_readable for c in event.channels
                     if c in ctx.contract.channels)
        _payload(ctx, site, event, public)


def _action(ctx: _Context, site: Site, coverage: Coverage) -> None:
    """Check `emitter.emit_action(action, ...)` and count the events it emits."""
    for value in site.events:
        name = literal(value.sym)
        if name is None:
            continue
        action = ctx.contract.actions.get(name)
        if action is None:
            close = difflib.get_close_matches(name, list(ctx.contract.actions), n=1)
            ctx.report(ScanRule.UNKNOWN_ACTION, f"action `{name}` is not in the contract", site.file,
                       value.line, value.column, f"did you mean `{close[0]}`?" if close else None,
                       site)
            continue
        for step in action.steps:
            coverage.emitted.setdefault(step.event, []).append(f"{site.file}:{site.line}")


def _transition(ctx: _Context, site: Site, coverage: Coverage) -> None:
    """Check `emitter.transition(booking_id, from, to, ...)` against the status machine."""
    if len(site.states) != 2:
        return
    source, target = (literal(v.sym) for v in site.states)
    if source is None or target is None:
        return
    for machine in ctx.contract.state_machines.values():
        canon_source, alias_source = machine.canonical_state(source)
        canon_target, alias_target = machine.canonical_state(target)
        if canon_source not in machine.states and canon_target not in machine.states:
            continue
        transition = machine.find(canon_source, canon_target)
        aliases = [a for a in (alias_source, alias_target) if a is not None]
        hint = "; ".join(f"`{a.name}` is {a.status.value}, use `{a.replaced_by}`"
                         for a in aliases) or None
        if transition is None:
            legal = [t.target for t in machine.transitions if t.source == canon_source]
            fix = hint or (f"from {canon_source} the contract allows: {', '.join(legal)}"
                           if legal else None)
            ctx.report(ScanRule.ILLEGAL_TRANSITION, f"{machine.name} transition `{source}` -> "
                       f"`{target}` is not in the contract", site.file, site.line, site.column,
                       fix, site)
            return
        if aliases:
            ctx.report(ScanRule.ILLEGAL_TRANSITION, f"{machine.name} transition `{source}` -> "
                       f"`{target}` uses a status name the contract does not define",
                       site.file, site.line, site.column, hint, site)
        coverage.transitions_covered.append(f"{canon_source}->{canon_target}")
        for name in transition.emits:
            coverage.emitted.setdefault(name, []).append(f"{site.file}:{site.line}")
        return


def _payload(ctx: _Context, site: Site, event: Event, public: bool) -> None:
    """Check a payload dict literal: unknown fields, missing fields, sensitive on public."""
    payload = site.payload
    if payload is None:
        return
    schemas = [event.schema]
    if event.envelope is not None:
        kind = payload.constant(event.envelope.field)
        variant = event.envelope.variants.get(kind) if kind is not None else None
        if kind is not None and variant is None:
            known = ", ".join(sorted(event.envelope.variants))
            key = next((f for f in payload.fields if f.path == event.envelope.field), None)
            ctx.report(ScanRule.UNKNOWN_VARIANT, f"`{event.name}` has no `{event.envelope.field}` "
                       f"`{kind}` (known: {known})", site.file,
                       key.line if key else site.line, key.column if key else site.column,
                       _close(kind, event.envelope.variants), site)
            return
        if variant is not None:
            schemas.append(variant)
    allowed, closed, required = _shape(schemas)
    for item in payload.fields:
        if not item.top_level:
            continue
        if closed and item.name not in allowed:
            ctx.report(ScanRule.PAYLOAD_UNKNOWN_FIELD, f"field `{item.name}` is not allowed in "
                       f"`{event.name}` payloads", site.file, item.line, item.column,
                       _close(item.name, allowed) or f"allowed: {', '.join(sorted(allowed))}",
                       site)
    if not payload.spread:
        present = {f.name for f in payload.fields if f.top_level}
        missing = sorted(required - present)
        if missing:
            ctx.report(ScanRule.PAYLOAD_MISSING_FIELD, f"`{event.name}` payload lacks required "
                       f"field(s) {', '.join(f'`{m}`' for m in missing)}", site.file, site.line,
                       site.column, None, site)
    if public:
        sensitive = ctx.contract.sensitive_for(event)
        for item in payload.fields:
            if item.name in sensitive:
                ctx.report(ScanRule.PAYLOAD_SENSITIVE_PUBLIC, f"sensitive field `{item.path}` is sent "
                           f"with `{event.name}` on a channel anyone with the app key can read",
                           site.file, item.line, item.column,
                           "drop the field or send the event on a private channel", site)


def _shape(schemas: list[Mapping[str, Any]]) -> tuple[set[str], bool, set[str]]:
    """Return the allowed top-level fields, whether others are refused, and required fields."""
    allowed: set[str] = set()
    required: set[str] = set()
    closed = False
    for schema in schemas:
        resolved = _deref(schema, schema)
        props = resolved.get("properties")
        if isinstance(props, Mapping):
            allowed.update(str(k) for k in props)
        req = resolved.get("required")
        if isinstance(req, list):
            required.update(str(r) for r in req)
        if resolved.get("additionalProperties") is False:
            closed = True
    return allowed, closed, required


def _deref(node: Mapping[str, Any], root: Mapping[str, Any], depth: int = 0) -> Mapping[str, Any]:
    """Follow a local `$ref` at the top of a schema."""
    ref = node.get("$ref")
    if not isinstance(ref, str) or not ref.startswith("#/") or depth > 5:
        return node
    target: Any = root
    for part in ref[2:].split("/"):
        if not isinstance(target, Mapping) or part not in target:
            return node
        target = target[part]
    return _deref(target, root, depth + 1) if isinstance(target, Mapping) else node


def _close(name: str, known: Any) -> str | None:
    """Phrase a 'did you mean' when a known name is close."""
    close = difflib.get_close_matches(name, [str(k) for k in known], n=1, cutoff=0.6)
    return f"did you mean `{close[0]}`?" if close else None


# -- frontend -----------------------------------------------------------------------------------
def _clients_with_private(sites: list[Site], clients: list[ClientConfig]) -> set[tuple[str, int]]:
    """Return the clients that subscribe at least one private or presence channel."""
    out: set[tuple[str, int]] = set()
    for site in sites:
        if site.kind is not SiteKind.SUBSCRIBE:
            continue
        client = site.client or _fallback_client(clients)
        if client is None:
            continue
        if any(name_kind(v.sym) not in (ChannelKind.PUBLIC, None) for v in site.channels):
            out.add((client.file, client.line))
    return out


def _fallback_client(clients: list[ClientConfig]) -> ClientConfig | None:
    """Without a traceable client, use the tree's clients when they all agree on auth (the first
    by file and line, so the answer never depends on the order the files were read in)."""
    if not clients:
        return None
    if len({c.auth for c in clients}) == 1:
        return min(clients, key=lambda c: (c.file, c.line))
    return None


def _subscribe(ctx: _Context, site: Site, clients: list[ClientConfig],
               private_clients: set[tuple[str, int]]) -> None:
    """Check a subscription: channel name, and auth for private vs public channels."""
    client = site.client or (_fallback_client(clients) if site.client_ref == "*" else None)
    for value in site.channels:
        _channel(ctx, value, site)
        kind = name_kind(value.sym)
        if client is None or kind is None:
            continue
        where = f"{client.file}:{client.line}"
        if kind is not ChannelKind.PUBLIC and not client.auth:
            ctx.report(ScanRule.PRIVATE_WITHOUT_AUTH, f"{kind.value} channel `{display(value.sym)}` is "
                       f"subscribed through the Pusher client at {where}, which configures no "
                       "auth endpoint or authorizer", site.file, value.line, value.column,
                       "set `channelAuthorization: {endpoint, headers}` (or authEndpoint and "
                       "auth.headers) on the client", site)
        elif kind is ChannelKind.PUBLIC and client.auth and \
                (client.file, client.line) not in private_clients:
            what = "auth headers" if client.auth_headers else "an auth endpoint"
            ctx.report(ScanRule.PUBLIC_WITH_AUTH, f"public channel `{display(value.sym)}` is subscribed "
                       f"through the Pusher client at {where}, which sets {what}: auth never "
                       "runs for public channels, so anyone with the app key can read it",
                       site.file, value.line, value.column,
                       "subscribe the private- channel the contract defines", site)


def _bind(ctx: _Context, site: Site, subscribed: Mapping[str, list[Value]],
          coverage: Coverage) -> None:
    """Check a bind: the event is known and carried by a channel the code subscribes to."""
    channel_values = [v for origin in site.receivers for v in subscribed.get(origin, [])]
    matches = [ctx.matcher.match(v.sym) for v in channel_values]
    known = [m for m in matches if m is not None]
    complete = bool(channel_values) and len(known) == len(matches)
    if site.kind is SiteKind.BIND_GLOBAL:
        for match in known:
            for event in ctx.contract.events.values():
                if match.channel.id in event.channels:
                    coverage.bound.setdefault(event.name, []).append(f"{site.file}:{site.line}")
        return
    for value in site.events:
        bound = _event(ctx, value, site)
        if bound is None or site.kind is not SiteKind.BIND:
            continue
        event = bound
        coverage.bound.setdefault(event.name, []).append(f"{site.file}:{site.line}")
        if complete and not any(m.channel.id in event.channels for m in known):
            subscribed_names = ", ".join(sorted({f"`{m.template}`" for m in known}))
            carriers = [f"`{ctx.contract.channels[c].template.text}`" for c in event.channels
                        if c in ctx.contract.channels]
            ctx.report(ScanRule.EVENT_NOT_ON_CHANNEL, f"event `{event.name}` is bound on "
                       f"{subscribed_names}, which never carries it; the contract sends it on "
                       f"{', '.join(carriers) or 'no channel'}", site.file, value.line,
                       value.column, f"subscribe {carriers[0]}" if len(carriers) == 1 else None,
                       site)


# -- coverage -----------------------------------------------------------------------------------
def _coverage(ctx: _Context, result: ScanResult, coverage: Coverage) -> None:
    """Report contract events and transitions the scanned code never emits or binds."""
    contract = ctx.contract
    contract_file = relative(contract.path, result.root)
    try:
        with open(contract.path, "rb") as handle:
            ctx.sources = {**ctx.sources, contract_file: handle.read()}
    except OSError:
        pass
    for event in contract.events.values():
        line, column = max(event.where.line, 1), max(event.where.column, 1)
        if coverage.backend_seen and event.name not in coverage.emitted:
            ctx.report(ScanRule.UNCOVERED_BACKEND_EVENT, f"no scanned backend code emits `{event.name}`",
                       contract_file, line, column, None)
        if coverage.frontend_seen and event.name not in coverage.bound:
            ctx.report(ScanRule.UNCOVERED_FRONTEND_EVENT, f"no scanned frontend code binds "
                       f"`{event.name}`", contract_file, line, column, None)
    if not coverage.backend_seen:
        return
    covered = set(coverage.transitions_covered)
    for machine in contract.state_machines.values():
        for transition in machine.transitions:
            key = f"{transition.source}->{transition.target}"
            missing = [e for e in transition.emits if e not in coverage.emitted]
            if key in covered or not missing:
                continue
            coverage.transitions_missing.append(key)
            ctx.report(ScanRule.TRANSITION_NEVER_EMITTED, f"{machine.name} transition "
                       f"{transition.source} -> {transition.target} must emit "
                       f"{', '.join(f'`{m}`' for m in missing)}, which no scanned code emits",
                       contract_file, max(transition.where.line, 1),
                       max(transition.where.column, 1),
                       "emit them where the status changes, or call emitter.transition()")


# -- adoption: drift between the sides, privacy without a contract entry, partial parses --------
def _adoption(ctx: _Context, result: ScanResult, notes: Iterable[tuple[str, int, str]]) -> None:
    """Report cross-side drift, personal data on public channels and partially parsed files."""
    for file, line, message in notes:
        ctx.report(ScanRule.PARTIAL_PARSE, message, file, line, 1)
    for site, event, channels, fields in privacy_findings(result.sites, ctx.contract):
        what = f"`{display(event.sym)}` " if event is not None else ""
        shown = ", ".join(f"`{f}`" for f in fields)
        ctx.report(ScanRule.PERSONAL_DATA_PUBLIC, f"{what}payload sent on public channel "
                   f"{', '.join(f'`{c}`' for c in channels)} carries personal or secret data: "
                   f"{shown}", site.file, site.line, site.column,
                   "send it on a private- channel, or drop the fields", site)
    flagged = {(f.file, f.line) for f in ctx.findings if f.rule in NAME_RULES} | ctx.silenced
    for item in drift(result.sites, ctx.contract):
        if not item.settled(ctx.contract, lambda sym: ctx.matcher.match(sym) is not None, flagged):
            ctx.report(item.rule, item.message, item.file, item.line, item.column, item.fix,
                       item.site, item.related)
