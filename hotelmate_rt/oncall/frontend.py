"""The seeds' classic frontend mistakes, recognised from an env file and (optionally) sources.

A *use* is one channel the frontend subscribes to or one event it binds, with where it was seen
and whether the Pusher client it goes through sends auth headers. Uses come from the frontend env
file (variables whose names say CHANNEL or EVENT) and from `--frontend-src DIR` (JS/TS files).
Names may be JS template literals (`booking.${bookingId}`): they are compared to the contract's
templates by shape (`booking.{*}`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from hotelmate_rt.contracts import ChannelKind, Contract
from hotelmate_rt.contracts.model import suggest

from .config import FRONTEND_PREFIXES, FrontendSettings

_PLACEHOLDER = re.compile(r"\$\{[^}]*\}|\{[A-Za-z_][A-Za-z0-9_]*\}")
_JS_SUFFIXES = {".js", ".jsx", ".ts", ".tsx", ".mjs", ".cjs", ".vue", ".svelte"}
_SKIP_DIRS = {"node_modules", "build", "dist", ".git", "coverage", ".next"}
_SUBSCRIBE = re.compile(r"\.subscribe\(\s*(['\"`])((?:(?!\1).)*)\1")
_BIND = re.compile(r"\.bind\(\s*(['\"`])([^'\"`$]+)\1")
_NEW_PUSHER = re.compile(r"new\s+Pusher\s*\(")
_AUTH_HEADERS = re.compile(r"\bauth\s*:\s*\{[^}]*headers|channelAuthorization\s*:\s*\{[^}]*"
                           r"headers", re.S)
_PUSHER_EVENTS = {"pusher:subscription_succeeded", "pusher:subscription_error",
                  "pusher:member_added", "pusher:member_removed", "pusher:error",
                  "connected", "disconnected", "error", "state_change", "connecting",
                  "unavailable", "failed"}


@dataclass(frozen=True, slots=True)
class FrontendUse:
    """One channel subscribed or event bound by the frontend, and where it was seen."""

    kind: str
    name: str
    where: str
    auth_headers: bool = False

    @property
    def shape(self) -> str:
        """The name with every placeholder as `{*}` (the shape contract templates are matched by)."""
        return _PLACEHOLDER.sub("{*}", self.name)

    @property
    def is_template(self) -> bool:
        """Tell whether the name has placeholders."""
        return self.shape != self.name


def uses_from_env(settings: FrontendSettings) -> list[FrontendUse]:
    """Read channel and event names the env file declares (…CHANNEL… / …EVENT… variables)."""
    auth = bool(settings.auth_endpoint) or any(
        "AUTH_HEADER" in name or "AUTH_TOKEN_HEADER" in name for name in settings.values)
    uses: list[FrontendUse] = []
    for name, value in settings.values.items():
        if not name.startswith(FRONTEND_PREFIXES) or not value.strip():
            continue
        bare = name.split("_", 1)[1] if name.startswith("VITE_") else name
        where = f"{settings.path}: {name}"
        if "CHANNEL" in bare:
            uses.append(FrontendUse("subscribe", value.strip(), where, auth))
        elif "EVENT" in bare:
            for event in re.split(r"[,\s]+", value.strip()):
                if event:
                    uses.append(FrontendUse("bind", event, where, auth))
    return uses


def uses_from_sources(root: Path, limit: int = 2000) -> list[FrontendUse]:
    """Find literal subscribe()/bind() names in JS/TS sources under `root` (bounded)."""
    uses: list[FrontendUse] = []
    seen = 0
    for path in sorted(_iter_sources(root)):
        seen += 1
        if seen > limit:
            break
        try:
            text = path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        if ".subscribe(" not in text and ".bind(" not in text:
            continue
        auth = bool(_NEW_PUSHER.search(text) and _AUTH_HEADERS.search(text))
        rel = path.relative_to(root) if path.is_relative_to(root) else path
        for match in _SUBSCRIBE.finditer(text):
            line = text.count("\n", 0, match.start()) + 1
            uses.append(FrontendUse("subscribe", match.group(2), f"{rel}:{line}", auth))
        for match in _BIND.finditer(text):
            if match.group(2) in _PUSHER_EVENTS:
                continue
            line = text.count("\n", 0, match.start()) + 1
            uses.append(FrontendUse("bind", match.group(2), f"{rel}:{line}", auth))
    return uses


def _iter_sources(root: Path) -> Iterable[Path]:
    """Yield JS/TS files under `root`, skipping dependency and build directories."""
    if root.is_file():
        yield root
        return
    for path in root.rglob("*"):
        if path.suffix in _JS_SUFFIXES and not (_SKIP_DIRS & set(path.parts)) and path.is_file():
            yield path


@dataclass(frozen=True, slots=True)
class UseFinding:
    """A classic mistake in one frontend use: what, how bad, and what to write instead."""

    use: FrontendUse
    code: str
    fail: bool
    message: str
    fix: str
    security: bool = False


def _channel_shapes(contract: Contract) -> list[tuple[str, str, str | None, str]]:
    """List (shape, channel id, alias status or None, canonical template) for every name."""
    out: list[tuple[str, str, str | None, str]] = []
    for channel in contract.channels.values():
        out.append((channel.template.wildcard(), channel.id, None, channel.template.text))
        for alias in channel.aliases:
            out.append((alias.template.wildcard(), channel.id, alias.status.value,
                        channel.template.text))
    return out


def judge_channel_use(contract: Contract, use: FrontendUse) -> list[UseFinding]:
    """Name what is wrong with one subscribed channel name (empty when it is right)."""
    findings: list[UseFinding] = []
    kind = ChannelKind.of_name(use.name)
    channel_id: str | None = None
    alias_status: str | None = None
    canonical = ""
    if use.is_template:
        shapes = [s for s in _channel_shapes(contract) if s[0] == use.shape]
        if shapes:
            shapes.sort(key=lambda s: s[2] is not None)
            _, channel_id, alias_status, canonical = shapes[0]
    else:
        match = contract.match_channel(use.name)
        if match is not None:
            channel_id = match.channel.id
            alias_status = match.alias.status.value if match.alias else None
            canonical = match.canonical_name
    if kind is ChannelKind.PUBLIC and use.auth_headers:
        better = f"; the contract's channel is {canonical!r}" if canonical and \
            ChannelKind.of_name(canonical) is not ChannelKind.PUBLIC else ""
        findings.append(UseFinding(
            use, "public-channel-with-auth", True,
            f"{use.name!r} is a public channel but the Pusher client sends auth headers: "
            f"pusher-js never calls the auth endpoint for public channels, so the header "
            f"protects nothing and anyone with the app key can read it{better}",
            f"subscribe to {canonical!r}" if better else
            "use a private- channel for anything that needs auth",
            security=True))
    if channel_id is None:
        findings.append(UseFinding(
            use, "unknown-channel", False,
            f"{use.name!r} matches no channel of the contract",
            "check the name against `hotelmate-rt contract show`"))
    elif alias_status is not None:
        findings.append(UseFinding(
            use, "deprecated-channel", True,
            f"{use.name!r} matches only a {alias_status} name of {channel_id}; the backend "
            f"sends on {canonical!r}, so this subscription receives nothing",
            f"subscribe to {canonical!r}"))
    return findings


def judge_event_use(contract: Contract, use: FrontendUse) -> list[UseFinding]:
    """Name what is wrong with one bound event name (empty when it is in the contract)."""
    if use.name in contract.events:
        return []
    alias = contract.event_aliases.get(use.name)
    if alias is not None:
        replacement = " / ".join(alias.replaced_by)
        return [UseFinding(use, "deprecated-event", True,
                           f"event {use.name!r} is a {alias.status.value} name "
                           f"({alias.note or 'alias'}); the backend sends {replacement}",
                           f"bind {replacement}")]
    guess = suggest(use.name, contract.events)
    hint = f"; did you mean {guess!r}?" if guess else ""
    return [UseFinding(use, "unknown-event", True,
                       f"event {use.name!r} is not in the contract{hint}",
                       f"bind {guess!r}" if guess else "bind an event from the contract")]


def judge_uses(contract: Contract, uses: Iterable[FrontendUse]) -> list[UseFinding]:
    """Judge every use (deduplicated by kind, name and place)."""
    findings: list[UseFinding] = []
    seen: set[tuple[str, str, str]] = set()
    for use in uses:
        key = (use.kind, use.name, use.where)
        if key in seen:
            continue
        seen.add(key)
        judge = judge_channel_use if use.kind == "subscribe" else judge_event_use
        findings.extend(judge(contract, use))
    return findings
