"""Resolve scanned channel values (`hotel-{*}`) through the contract resolution API."""

from __future__ import annotations

from hotelmate_rt.contracts import ChannelKind, ChannelMatch, ChannelName, Contract, resolve_channel
from hotelmate_rt.contracts.resolve import WILDCARD

from .symbols import Sym, leading_literal


def pattern_text(sym: Sym) -> str:
    """Write a scanned value as a channel pattern: each unknown part becomes one `{*}`."""
    return "".join(part if isinstance(part, str) else WILDCARD for part in sym)


class ChannelMatcher:
    """Channel names as the scan sees them: each hole in a value fills one parameter slot."""

    def __init__(self, contract: Contract) -> None:
        """Resolve against this contract."""
        self.contract = contract

    def resolve(self, sym: Sym) -> ChannelName:
        """Resolve a scanned value: canonical, an alias, or unknown with a suggestion."""
        return resolve_channel(self.contract, pattern_text(sym))

    def match(self, sym: Sym) -> ChannelMatch | None:
        """Return the channel (and alias) a scanned value fits, or None when it fits nothing."""
        return self.resolve(sym).match


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
