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


def test_templates_match_whole_names_only() -> None:
    """A name with extra characters before or after a template is not that channel."""
    template = CONTRACT.channels["guest-booking"].template
    assert template.match("private-booking-BK-2025-0002") == {"booking_id": "BK-2025-0002"}
    for name in ["private-booking-BK-2025-0002-x", "xprivate-booking-BK-2025-0002",
                 "private-booking-BK-2025-0002\n", "private-booking-"]:
        assert template.match(name) is None, name


def test_parse_splits_literals_and_parameters() -> None:
    """Parsing keeps one more literal than parameters and refuses formatted placeholders."""
    template = Template.parse("{a}-x-{b}")
    assert (template.text, template.literals, template.parameters) == (
        "{a}-x-{b}", ("", "-x-", ""), ("a", "b"))
    with pytest.raises(ValueError, match=r"^placeholder \{a\} must be a plain \{name\}$"):
        Template.parse("x-{a:>3}")
    assert Template.parse("plain").literals == ("plain",)
    assert Template.parse("a{{b}}c-{d}").fill({"d": 1}) == "a{b}c-1"
    assert Template.parse("plain").parameters == ()
    assert Template.parse("a{b}c{d}e").literal_length == 3
    for bad in ["x-{a:>3}", "x-{a!r}", "x-{1a}", "x-{a.b}", "x-{", "x-}"]:
        with pytest.raises(ValueError):
            Template.parse(bad)


def test_an_uncompiled_template_cannot_match() -> None:
    """Matching needs the parameter patterns, so an uncompiled template says so."""
    with pytest.raises(RuntimeError, match=r"^template was not compiled against its parameter "
                                           r"patterns$"):
        Template.parse("x-{a}").match("x-1")


def test_undeclared_parameters_match_pusher_channel_characters() -> None:
    """A parameter without a pattern takes any run of characters Pusher allows in names."""
    template = Template.parse("x-{a}").compile({})
    assert template.match("x-Az09_-=@,.;") == {"a": "Az09_-=@,.;"}
    assert template.match("x-a/b") is None
    assert template.match("x-") is None


@pytest.mark.parametrize("pattern", ["(?P<p0>a)", "(a)\\1", "(?=a)a", "a{1001}"])
def test_unusable_patterns_are_refused_when_compiling(pattern: str) -> None:
    """A pattern RE2 cannot run, or one that names groups, is refused with a reason."""
    with pytest.raises(ValueError, match=r"\w"):
        Template.parse("x-{a}").compile({"a": pattern})


def test_fill_and_render_keep_parameters_in_place() -> None:
    """fill() leaves unknown parameters as {name}; render() checks and substitutes each one."""
    template = Template.parse("room-{hotel}-{room}").compile({"hotel": "[a-z]+", "room": "[0-9]+"})
    assert template.fill({"hotel": "paradise"}) == "room-paradise-{room}"
    assert template.fill({"hotel": "p", "room": 1}) == "room-p-1"
    assert template.render({"hotel": "p", "room": 12}, {"hotel": "[a-z]+"}) == "room-p-12"
    with pytest.raises(ParameterError, match=r"needs hotel, room; pass hotel=\.\.\., room=\.\.\."):
        template.render({"hotel": ""}, {})
    with pytest.raises(ParameterError, match=r"room='1a' does not look like a room \(pattern"):
        template.render({"hotel": "p", "room": "1a"}, {"room": "[0-9]+"})


def test_non_ascii_names_match_by_characters() -> None:
    """A name outside ASCII (never a Pusher name, but a probe may see one) splits at characters."""
    template = Template.parse("{a}-{b}").compile({"a": ".+", "b": ".+"})
    assert template.match("é-x") == {"a": "é", "b": "x"}
    assert template.match("ab-x") == {"a": "ab", "b": "x"}


def test_templates_too_large_for_re2_are_refused_quietly(capfd: pytest.CaptureFixture[str]) -> None:
    """Sixty `.{1000}` parameters exceed RE2's memory budget: a ValueError, nothing on stderr."""
    template = Template.parse("-".join(f"{{p{i}}}" for i in range(60)))
    with pytest.raises(ValueError, match=r"^its parameter patterns together are too large to match$"):
        template.compile({f"p{i}": ".{1000}" for i in range(60)})
    with pytest.raises(ValueError, match="without backreferences"):
        Template.parse("x-{a}").compile({"a": "(a)\\1"})
    assert capfd.readouterr().err == ""


def test_re2_reasons_read_as_text() -> None:
    """RE2 gives its reason as bytes (invalid UTF-8 replaced); text and no reason work too."""
    import re2

    from hotelmate_rt.contracts.templates import _reason

    assert _reason(re2.error(b"missing ): (a")) == "missing ): (a"
    assert _reason(re2.error(b"bad \xff")) == "bad \ufffd"
    assert _reason(re2.error("plain")) == "plain"
    assert _reason(re2.error()) == ""


def test_a_compiled_template_keeps_its_text() -> None:
    """Compiling keeps the template's own text, literals and parameters."""
    parsed = Template.parse("room-{hotel}-{room}")
    compiled = parsed.compile({"room": "[0-9]+"})
    assert (compiled.text, compiled.literals, compiled.parameters) == (
        parsed.text, parsed.literals, parsed.parameters)
