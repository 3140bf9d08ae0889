"""Channel templates render from parameters and concrete names match back, aliases included."""

from __future__ import annotations

import pytest

from hotelmate_rt.contracts import AliasStatus, ChannelKind, Template
from hotelmate_rt.errors import ParameterError, UnknownName
from tests.helpers import shipped_contract

CONTRACT = shipped_contract()


def test_render_and_match_round_trip_for_every_channel() -> None:
    """Rendering each channel with example values and matching it back gives the same params."""
    for channel in CONTRACT.channels.values():
        params = {p: CONTRACT.parameters[p].example for p in channel.template.parameters}
        name = CONTRACT.render(channel.id, **params)
        match = CONTRACT.match_channel(name)
        assert match is not None and match.channel.id == channel.id, name
        assert match.alias is None
        assert match.params == params
        assert ChannelKind.of_name(name) is channel.kind


@pytest.mark.parametrize(("name", "channel_id", "status", "canonical"), [
    ("booking.BK-2025-0002", "guest-booking", AliasStatus.WRONG, "private-booking-BK-2025-0002"),
    ("booking-BK-2025-0002", "guest-booking", AliasStatus.DEPRECATED,
     "private-booking-BK-2025-0002"),
    ("hotel-paradise-room-101-chat", "guest-room-chat", AliasStatus.DEPRECATED,
     "private-hotel-paradise-room-101-chat"),
    ("staff-killarney", "hotel-staff", AliasStatus.DEPRECATED, "private-hotel-killarney-staff"),
    ("hotel-killarney-public", "hotel-public", AliasStatus.DEPRECATED, "hotel-killarney"),
])
def test_aliases_resolve_to_canonical_names(name: str, channel_id: str, status: AliasStatus,
                                            canonical: str) -> None:
    """A seed's old or wrong channel name resolves to its canonical channel and name."""
    match = CONTRACT.match_channel(name)
    assert match is not None
    assert match.channel.id == channel_id
    assert match.alias is not None and match.alias.status is status
    assert match.canonical_name == canonical


def test_most_specific_match_wins() -> None:
    """`hotel-{slug}` also fits a room chat name, but the room chat alias is more specific."""
    matches = CONTRACT.match_channel_all("hotel-paradise-room-101-chat")
    assert [m.channel.id for m in matches] == ["guest-room-chat", "hotel-public"]


def test_unknown_channel_matches_nothing() -> None:
    """A name that fits no template and no alias resolves to None."""
    assert CONTRACT.match_channel("presence-lobby") is None


def test_render_checks_parameter_patterns() -> None:
    """A parameter that does not fit its pattern is refused with the pattern shown."""
    with pytest.raises(ParameterError, match="booking_id='42'"):
        CONTRACT.render("guest-booking", booking_id="42")
    with pytest.raises(ParameterError, match="needs booking_id"):
        CONTRACT.render("guest-booking")


def test_render_refuses_illegal_or_long_names() -> None:
    """Rendered names are held to Pusher's 164 characters and character set."""
    template = Template.parse("x-{a}").compile({"a": ".*"})
    with pytest.raises(ParameterError, match="contains"):
        template.render({"a": "bad name"}, {"a": ".*"})
    with pytest.raises(ParameterError, match="at most 164"):
        template.render({"a": "y" * 170}, {"a": ".*"})


def test_channels_for_event_and_unknown_names() -> None:
    """An event renders on every channel that carries it; unknown names suggest the right one."""
    names = [name for _, name in CONTRACT.channels_for(
        "booking_checked_in", {"booking_id": "BK-2025-0002", "hotel_slug": "hotel-paradise",
                               "room_number": "101"})]
    assert names == ["private-booking-BK-2025-0002", "private-hotel-hotel-paradise-staff",
                     "private-room-hotel-paradise-101"]
    with pytest.raises(UnknownName, match="did you mean 'booking_checked_in'"):
        CONTRACT.event("booking_checkedin")
    with pytest.raises(UnknownName, match="use new-staff-message"):
        CONTRACT.event("message-received")


def test_wildcard_shape() -> None:
    """The scan compares templates by their wildcard shape."""
    assert Template.parse("private-{hotel_slug}-room-{room_number}-chat").wildcard() == \
        "private-{*}-room-{*}-chat"
