"""Match scanned channel templates (`hotel-{*}`) against the contract's templates and aliases."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass

from hotelmate_rt.contracts import Channel, ChannelAlias, ChannelKind, Contract

from .symbols import HOLE_MARK, Sym, display, leading_literal, match_text


@dataclass(frozen=True, slots=True)
class TemplateMatch:
    """A scanned template resolved to a contract channel, maybe only through an alias."""

    channel: Channel
    alias: ChannelAlias | None
    template: str

    @property
    def kind(self) -> ChannelKind:
        """Return the Pusher kind of the name actually used (an alias may be public)."""
        return ChannelKind.of_name(self.template)


class ChannelMatcher:
    """Template-vs-template matching: each hole in a scanned name fills one parameter slot."""

    def __init__(self, contract: Contract) -> None:
        self._entries: list[tuple[int, int, re.Pattern[str], Channel, ChannelAlias | None, str]] = []
        patterns = contract.patterns
        for channel in contract.channels.values():
            self._add(channel, None, channel.template.literals, channel.template.parameters,
                      channel.template.text, patterns)
            for alias in channel.aliases:
                self._add(channel, alias, alias.template.literals, alias.template.parameters,
                          alias.template.text, patterns)
        self._entries.sort(key=lambda e: (e[0], e[1]))
        self._wildcards = {self._wildcard(e[5]): e[5] for e in self._entries}

    def _add(self, channel: Channel, alias: ChannelAlias | None, literals: tuple[str, ...],
             parameters: tuple[str, ...], text: str, patterns: dict[str, str]) -> None:
        """Compile one template into a regex where each slot takes its pattern or holes."""
        parts: list[str] = []
        for index, lit in enumerate(literals):
            parts.append(re.escape(lit))
            if index < len(parameters):
                pattern = patterns.get(parameters[index], r"[A-Za-z0-9_\-=@,.;]+")
                parts.append(f"(?:(?:{pattern})|{HOLE_MARK}+)")
        rank = -sum(len(lit) for lit in literals)
        self._entries.append((rank, 0 if alias is None else 1, re.compile("".join(parts)),
                              channel, alias, text))

    @staticmethod
    def _wildcard(text: str) -> str:
        """Show a contract template with `{*}` holes, for suggestions."""
        return re.sub(r"\{[^}]*\}", "{*}", text)

    def match_all(self, sym: Sym) -> list[TemplateMatch]:
        """Return every channel or alias the scanned value fits, most specific, canonical first."""
        text = match_text(sym)
        return [TemplateMatch(channel, alias, tmpl)
                for _, _, regex, channel, alias, tmpl in self._entries
                if regex.fullmatch(text)]

    def match(self, sym: Sym) -> TemplateMatch | None:
        """Return the best match for a scanned value, or None."""
        for _, _, regex, channel, alias, tmpl in self._entries:
            if regex.fullmatch(match_text(sym)):
                return TemplateMatch(channel, alias, tmpl)
        return None

    def suggest(self, sym: Sym) -> str | None:
        """Return the contract template closest to an unknown scanned value, or None."""
        close = difflib.get_close_matches(display(sym), list(self._wildcards), n=1, cutoff=0.6)
        return self._wildcards[close[0]] if close else None


def name_kind(sym: Sym) -> ChannelKind | None:
    """Infer the Pusher kind from a scanned value's leading text; None when it starts unknown."""
    lead = leading_literal(sym)
    if lead is None:
        return None
    for kind in (ChannelKind.ENCRYPTED, ChannelKind.PRESENCE, ChannelKind.PRIVATE):
        if lead.startswith(kind.prefix):
            return kind
    if len(sym) > 1 and any(k.prefix.startswith(lead) for k in
                            (ChannelKind.PRESENCE, ChannelKind.PRIVATE)):
        return None
    return ChannelKind.PUBLIC
