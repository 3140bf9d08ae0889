"""Doctor check of the frontend's names: the scan's findings on `--frontend-src`, and the channel
and event names a frontend env file declares (…CHANNEL… / …EVENT… variables).

Severity comes from each scan finding's own level (error -> fail, warning -> warn) and the doctor
code from its rule id, never from its message. Subscription-lifecycle findings (`lifecycle-*`:
a cleanup that silences other components, a stale or leaking subscription) are reported at error
level only, each under its rule id. Names in an env file are not code: they go through
the contract resolution API (`hotelmate_rt.contracts.resolve`) directly.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from hotelmate_rt.contracts.resolve import WILDCARD, NameStatus, resolve_channel, resolve_event
from hotelmate_rt.oncall.checks import Outcome, failed, passed, skipped, warned, with_id
from hotelmate_rt.oncall.model import Section
from hotelmate_rt.settings import FRONTEND_PREFIXES, FrontendSettings

from .context import DOCTOR, DoctorContext

if TYPE_CHECKING:
    from hotelmate_rt.contracts import Contract
    from hotelmate_rt.scan import Finding, ScanResult

SCAN_CODES: dict[str, tuple[str, bool]] = {
    "public-with-auth": ("public-channel-with-auth", True),
    "private-without-auth": ("private-without-auth", False),
    "deprecated-channel": ("deprecated-channel", False),
    "wrong-channel-name": ("deprecated-channel", False),
    "unknown-channel": ("unknown-channel", False),
    "deprecated-event": ("deprecated-event", False),
    "wrong-event-name": ("deprecated-event", False),
    "unknown-event": ("unknown-event", False),
    "event-not-on-channel": ("event-not-on-channel", False),
}
"""Scan rules the doctor reports: rule id -> (doctor code, is a security issue); the error-level
findings of the lifecycle rules (`scan.rules.LIFECYCLE_RULES`) are reported too, coded by rule id."""

_PLACEHOLDER = re.compile(r"\$\{[^}]*\}|\{[^}]*\}")


@dataclass(frozen=True, slots=True)
class EnvName:
    """One channel or event name a frontend env file declares."""

    kind: str
    name: str
    where: str
    auth_headers: bool


@DOCTOR.check("frontend.names", Section.FRONTEND, "Frontend channel and event names",
              needs=("frontend-input", "contract"))
def names(ctx: DoctorContext) -> Iterator[Outcome]:
    """Report every wrong, old or unknown name the frontend uses; pass when there is none."""
    assert ctx.contract is not None
    declared = env_names(ctx.frontend) if ctx.frontend is not None else []
    found = [with_id(o, f"frontend.{o.code}.{i}", o.title)
             for i, o in enumerate(o for n in declared for o in _judge(ctx.contract, n))]
    seen, note = 0, ""
    src = ctx.options.frontend_src
    if src is not None:
        from hotelmate_rt.scan import scan

        result = scan([src], ctx.contract, root=src if src.is_dir() else src.parent)
        found += _scan_outcomes(ctx.contract, result)
        seen = len(result.sites)
        unresolved = len(result.unresolved)
        note = f"{unresolved} call site(s) the scan could not resolve" if unresolved else ""
    yield from found
    if found:
        return
    if not declared and not seen:
        yield skipped("no channel or event name found in the frontend config",
                      next_action="pass --frontend-src DIR to scan the pusher-js code")
        return
    evidence = sorted({n.name for n in declared})[:20] + ([note] if note else [])
    yield passed(f"{len(declared) + seen} name(s) all match the contract", evidence=evidence)


def _scan_outcomes(contract: Contract, result: ScanResult) -> list[Outcome]:
    """Turn the scan's findings into outcomes: code from the rule id, status from the level."""
    out: list[Outcome] = []
    for index, finding in enumerate(result.findings):
        found = doctor_code(finding)
        if found is None:
            continue
        code, security = found
        where = f"{finding.file}:{finding.line}"
        report = failed if finding.level.value == "error" else warned
        out.append(report(finding.message + (f" ({finding.fix})" if finding.fix else ""),
                          id=f"frontend.{code}.s{index}", title=where, evidence=[where],
                          next_action=finding.fix or "", code=code, security=security))
    return out


def doctor_code(finding: Finding) -> tuple[str, bool] | None:
    """Return the doctor code of a scan finding and whether it is a security issue, or None.

    Decided by the finding's rule id and level alone: a `SCAN_CODES` rule at any level, a
    lifecycle rule at error level (the configured level: a team can turn a rule down).
    """
    from hotelmate_rt.scan.rules import LIFECYCLE_RULES, Level  # the scan ran: already loaded

    if finding.rule in SCAN_CODES:
        return SCAN_CODES[finding.rule]
    if finding.rule in LIFECYCLE_RULES and finding.level is Level.ERROR:
        return finding.rule.value, False
    return None


def env_names(settings: FrontendSettings) -> list[EnvName]:
    """Read the channel and event names an env file declares (…CHANNEL… / …EVENT… variables)."""
    auth = bool(settings.auth_endpoint) or any(
        "AUTH_HEADER" in name or "AUTH_TOKEN_HEADER" in name for name in settings.values)
    found: list[EnvName] = []
    for name, value in settings.values.items():
        if not name.startswith(FRONTEND_PREFIXES) or not value.strip():
            continue
        bare = name.split("_", 1)[1] if name.startswith("VITE_") else name
        where = f"{settings.path}: {name}"
        if "CHANNEL" in bare:
            found.append(EnvName("subscribe", value.strip(), where, auth))
        elif "EVENT" in bare:
            found.extend(EnvName("bind", event, where, auth)
                         for event in re.split(r"[,\s]+", value.strip()) if event)
    return found


def _judge(contract: Contract, use: EnvName) -> list[Outcome]:
    """Name what is wrong with one declared name (nothing when it is right)."""
    from hotelmate_rt.contracts import ChannelKind

    title = f"{use.kind} {use.name}"
    evidence = [use.where]
    if use.kind == "bind":
        event = resolve_event(contract, use.name)
        if event.status is NameStatus.CANONICAL:
            return []
        if event.status is NameStatus.UNKNOWN:
            guess = event.suggestion
            return [failed(event.problem or "", title=title, evidence=evidence,
                           code="unknown-event",
                           next_action=f"bind {guess!r}" if guess else "bind an event from the "
                                                                       "contract")]
        return [failed(f"event {use.name!r} is a {event.status.value} name "
                       f"({event.note or 'alias'}); the backend sends {event.replacement}",
                       title=title, evidence=evidence, next_action=f"bind {event.replacement}",
                       code="deprecated-event")]
    out: list[Outcome] = []
    resolved = resolve_channel(contract, _PLACEHOLDER.sub(WILDCARD, use.name))
    canonical = resolved.canonical or ""
    if ChannelKind.of_name(use.name) is ChannelKind.PUBLIC and use.auth_headers:
        better = canonical and ChannelKind.of_name(canonical) is not ChannelKind.PUBLIC
        out.append(failed(
            f"{use.name!r} is a public channel but the Pusher client sends auth headers: pusher-js "
            "never calls the auth endpoint for public channels, so the header protects nothing "
            "and anyone with the app key can read it"
            + (f"; the contract's channel is {canonical!r}" if better else ""),
            title=title, evidence=evidence, code="public-channel-with-auth", security=True,
            next_action=f"subscribe to {canonical!r}" if better else
            "use a private- channel for anything that needs auth"))
    if resolved.status is NameStatus.UNKNOWN:
        out.append(warned(f"{use.name!r} matches no channel of the contract", title=title,
                          evidence=evidence, code="unknown-channel",
                          next_action="check the name against `hotelmate-rt contract show`"))
    elif resolved.status is not NameStatus.CANONICAL and resolved.channel is not None:
        out.append(failed(f"{use.name!r} matches only a {resolved.status.value} name of "
                          f"{resolved.channel.id}; "
                          f"the backend sends on {canonical!r}, so this subscription receives "
                          "nothing", title=title, evidence=evidence, code="deprecated-channel",
                          next_action=f"subscribe to {canonical!r}"))
    return out
