"""Decide channel subscriptions from the contract's audiences and sign the Pusher auth response."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from hotelmate_rt.contracts import ChannelKind, ChannelMatch, Contract, channel_name_problem
from hotelmate_rt.errors import Forbidden

_SOCKET_ID = re.compile(r"[0-9]+\.[0-9]+")
"""A Pusher socket id: ASCII digits, a dot, ASCII digits (`\\d` would also take Arabic-Indic ones)."""


@dataclass(frozen=True, slots=True)
class Principal:
    """Who asks to subscribe: an audience name, the scope it is bound to, and a presence user id."""

    audience: str
    scope: Mapping[str, str] = field(default_factory=dict)
    user_id: str | None = None
    user_info: Mapping[str, Any] | None = None

    @classmethod
    def guest(cls, booking_id: str, hotel_slug: str, room_number: str | None = None,
              user_id: str | None = None) -> Principal:
        """Build a guest bound to one booking, its hotel and (once assigned) its room."""
        scope = {"booking_id": booking_id, "hotel_slug": hotel_slug}
        if room_number is not None:
            scope["room_number"] = str(room_number)
        return cls("guest", scope, user_id or f"guest-{booking_id}")

    @classmethod
    def staff(cls, hotel_slug: str, user_id: str | int | None = None,
              user_info: Mapping[str, Any] | None = None) -> Principal:
        """Build a staff member bound to one hotel."""
        return cls("staff", {"hotel_slug": hotel_slug},
                   None if user_id is None else str(user_id), user_info)

    def describe(self) -> str:
        """Describe the principal for logs and reasons (ids only, never a token)."""
        scope = ", ".join(f"{k}={v}" for k, v in sorted(self.scope.items()))
        return f"{self.audience}({scope})" if scope else self.audience


def valid_socket_id(socket_id: str) -> bool:
    """Tell whether a string looks like a Pusher socket id (`123.456`)."""
    return isinstance(socket_id, str) and _SOCKET_ID.fullmatch(socket_id) is not None


def sign_channel(secret: str, socket_id: str, channel_name: str,
                 channel_data: str | None = None) -> str:
    """Return the hex HMAC-SHA256 Pusher expects for `socket_id:channel[:channel_data]`."""
    message = f"{socket_id}:{channel_name}"
    if channel_data is not None:
        message += f":{channel_data}"
    return hmac.new(secret.encode("utf-8"), message.encode("utf-8"), hashlib.sha256).hexdigest()


def presence_channel_data(principal: Principal) -> str:
    """Encode the presence member (user_id and optional user_info) as Pusher's channel_data."""
    if not principal.user_id:
        raise Forbidden(f"{principal.audience} has no user id; presence channels need one")
    member: dict[str, Any] = {"user_id": principal.user_id}
    if principal.user_info:
        member["user_info"] = dict(principal.user_info)
    return json.dumps(member, separators=(",", ":"))


def check_access(contract: Contract, principal: Principal, channel_name: str) -> ChannelMatch:
    """Return the contract channel `principal` may subscribe to, or raise Forbidden with why.

    A name that fits several channel templates is allowed only if every reading allows it, so
    no crafted name can borrow another channel's rules.
    """
    problem = channel_name_problem(channel_name)
    if problem:
        raise Forbidden(problem)
    matches = contract.match_channel_all(channel_name)
    readings = [m for m in matches if m.alias is None]
    if not readings and matches:
        alias = matches[0]
        assert alias.alias is not None
        raise Forbidden(
            f"channel {channel_name!r} is a {alias.alias.status.value} name for "
            f"{alias.channel.id}; subscribe to {alias.canonical_name!r}")
    if ChannelKind.of_name(channel_name) is ChannelKind.PUBLIC:
        raise Forbidden("public channel: no auth needed")
    if not readings:
        raise Forbidden(f"channel {channel_name!r} is not in the contract")
    audience = contract.audiences.get(principal.audience)
    if audience is None or not audience.authenticates:
        raise Forbidden(f"{principal.audience!r} is not an authenticated audience of the contract")
    for match in readings:
        _check_scope(contract, principal, channel_name, match)
    return readings[0]


def _check_scope(contract: Contract, principal: Principal, channel_name: str,
                 match: ChannelMatch) -> None:
    """Raise Forbidden unless the principal's audience and scope fit this reading of the name."""
    channel = match.channel
    if principal.audience not in channel.audiences:
        readers = ", ".join(channel.audiences) or "nobody"
        raise Forbidden(f"{channel.id} is for {readers}, not {principal.audience}")
    for name in contract.audiences[principal.audience].scope:
        if name not in match.params:
            continue
        own = principal.scope.get(name)
        if own is None:
            raise Forbidden(f"this {principal.audience} is not bound to a {name}")
        if str(own) != match.params[name]:
            raise Forbidden(f"{channel_name!r} belongs to another {_noun(name)}: "
                            f"this {principal.audience} is bound to {name}={own}")


def _noun(parameter: str) -> str:
    """Turn a parameter name into the thing it identifies (`booking_id` -> `booking`)."""
    for suffix in ("_id", "_slug", "_number"):
        parameter = parameter.removesuffix(suffix)
    return parameter.replace("_", " ")


def authorize(contract: Contract, principal: Principal, channel_name: str, socket_id: str, *,
              key: str, secret: str) -> dict[str, str]:
    """Return the Pusher auth response for a subscription, or raise Forbidden with the reason."""
    if not valid_socket_id(socket_id):
        raise Forbidden(f"socket_id {socket_id[:40]!r} is not a Pusher socket id")
    check_access(contract, principal, channel_name)
    kind = ChannelKind.of_name(channel_name)
    if kind is ChannelKind.ENCRYPTED:
        raise Forbidden("encrypted channels are not supported by this auth endpoint")
    if kind is ChannelKind.PRESENCE:
        channel_data = presence_channel_data(principal)
        signature = sign_channel(secret, socket_id, channel_name, channel_data)
        return {"auth": f"{key}:{signature}", "channel_data": channel_data}
    return {"auth": f"{key}:{sign_channel(secret, socket_id, channel_name)}"}


class ChannelAuthorizer:
    """The contract plus app credentials, so callers say `authorize(principal, channel, socket)`."""

    __slots__ = ("_secret", "contract", "key")

    def __init__(self, contract: Contract, key: str, secret: str) -> None:
        """Bind a contract to the Pusher app key and secret used for signatures."""
        self.contract = contract
        self.key = key
        self._secret = secret

    def authorize(self, principal: Principal, channel_name: str, socket_id: str) -> dict[str, str]:
        """Return the Pusher auth response, or raise Forbidden with the reason."""
        return authorize(self.contract, principal, channel_name, socket_id,
                         key=self.key, secret=self._secret)

    def check(self, principal: Principal, channel_name: str) -> ChannelMatch:
        """Decide without signing: the matched channel, or Forbidden."""
        return check_access(self.contract, principal, channel_name)

    def __repr__(self) -> str:
        """Show the key and contract path, never the secret."""
        return f"ChannelAuthorizer(key={self.key!r}, contract={self.contract.path!r})"
