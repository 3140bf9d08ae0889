"""How the scan turns channel and event expressions into templates, in Python and JS/TS."""

from __future__ import annotations

from pathlib import Path

from hotelmate_rt.contracts import Contract, load_contract_text
from hotelmate_rt.scan import ScanResult, scan
from hotelmate_rt.scan.match import ChannelMatcher
from hotelmate_rt.scan.rules import LIFECYCLE_RULES, Level
from hotelmate_rt.scan.symbols import Hole
from tests.helpers import CONTRACT_PATH, site_rules_only, write_tree

ENVELOPE = """
  hotel_event:
    channels: [conversation-chat]
    description: one event name for every conversation change; `type` selects the variant
    schema: {type: object, required: [type], properties: {type: {type: string}}}
    envelope:
      field: type
      variants:
        message_created:
          type: object
          required: [type, message_id]
          additionalProperties: false
          properties: {type: {const: message_created}, message_id: {type: integer}}
        message_deleted:
          type: object
          required: [type, message_id]
          additionalProperties: false
          properties: {type: {const: message_deleted}, message_id: {type: integer}}
"""


def run(contract: Contract, root: Path) -> ScanResult:
    """Scan a tree with coverage and lifecycle rules off (these tests are about names)."""
    config = site_rules_only()
    config.severity.update(dict.fromkeys(LIFECYCLE_RULES, Level.OFF))
    return scan([root], contract, config, root=root)


def channels(result: ScanResult) -> list[list[str]]:
    """Return the displayed channel templates of every site, in order of file and line."""
    sites = sorted(result.sites, key=lambda s: (s.file, s.line))
    return [s.to_dict()["channels"] for s in sites if "channels" in s.to_dict()]


def test_python_string_building_forms(contract: Contract, tmp_path: Path) -> None:
    """Literals, f-strings, .format, %, concatenation, constants and helpers all resolve."""
    write_tree(tmp_path, {"views.py": '''
        from pusher import Pusher
        client = Pusher()
        PREFIX = "private-booking-"
        TEMPLATE = "private-hotel-{}-staff"

        def name_for(hotel):
            return "hotel-%s" % hotel.slug

        def views(hotel, booking, room):
            client.trigger("hotel-paradise", "offer-deleted", {})
            client.trigger(f"hotel-{hotel.slug}", "offer-deleted", {})
            client.trigger(TEMPLATE.format(hotel.slug), "booking_created", {})
            client.trigger(PREFIX + booking.booking_id, "booking_updated", {})
            client.trigger("private-%s-room-%s-chat" % (hotel.slug, room), "new-staff-message", {})
            client.trigger(name_for(hotel), "offer-deleted", {})
            channel = f"private-room-{hotel.slug}-{room.number}"
            channel_again = channel
            client.trigger(channel_again, "booking_checked_in", {})
            client.trigger("private-room-{0}-{n}".format(hotel.slug, n=room.number),
                           "booking_checked_out", {})
    '''})
    result = run(contract, tmp_path)
    assert channels(result) == [
        ["hotel-paradise"], ["hotel-{*}"], ["private-hotel-{*}-staff"], ["private-booking-{*}"],
        ["private-{*}-room-{*}-chat"], ["hotel-{*}"], ["private-room-{*}-{*}"],
        ["private-room-{*}-{*}"]]
    assert {f.rule for f in result.findings} == {"payload-missing-field"}
    assert result.unresolved == []


def test_python_branches_give_alternatives(contract: Contract, tmp_path: Path) -> None:
    """A name assigned in two branches is checked in both forms."""
    write_tree(tmp_path, {"views.py": '''
        def send(pusher_client, hotel, staff_only):
            if staff_only:
                channel = f"private-hotel-{hotel.slug}-staff"
            else:
                channel = f"hotel-{hotel.slug}-staf"
            pusher_client.trigger(channel, "booking_created",
                                  {"booking_id": "x", "status": "CONFIRMED", "created_at": "t"})
    '''})
    result = run(contract, tmp_path)
    assert channels(result) == [["private-hotel-{*}-staff", "hotel-{*}-staf"]]
    assert [(f.rule, f.line) for f in result.findings] == [("unknown-channel", 7)]


def test_envelope_event_type_is_checked(tmp_path: Path) -> None:
    """An envelope event's `type` must be a known variant and its fields that variant's fields."""
    text = CONTRACT_PATH.read_text(encoding="utf-8").replace("\nevent_aliases:",
                                                         ENVELOPE + "\nevent_aliases:")
    contract = load_contract_text(text, str(CONTRACT_PATH))
    write_tree(tmp_path, {"chat.py": '''
        def created(pusher_client, hotel, conversation, message):
            conversation_channel = f"private-{hotel.slug}-conversation-{conversation.id}-chat"
            pusher_client.trigger(conversation_channel, "hotel_event",
                                  {"type": "message_created", "message_id": message.id})
            pusher_client.trigger(conversation_channel, "hotel_event",
                                  {"type": "message_edited", "message_id": message.id})
            pusher_client.trigger(conversation_channel, "hotel_event",
                                  {"type": "message_deleted", "message_id": 1, "text": "x"})
    '''})
    result = scan([tmp_path], contract, site_rules_only(), root=tmp_path)
    assert [(f.rule, f.line) for f in result.findings] == [
        ("unknown-variant", 7), ("payload-unknown-field", 9)]
    assert "did you mean `message_deleted`?" in (result.findings[0].fix or "")


def test_js_comments_strings_regex_and_nested_templates(contract: Contract,
                                                        tmp_path: Path) -> None:
    """Comments, strings, regex literals and nested template literals never confuse the scan."""
    write_tree(tmp_path, {"app.js": '''
        // pusher.subscribe('commented-out');
        /* channel.bind('also-commented', f); */
        const text = "pusher.subscribe('in-a-string')";
        const re = /subscribe\\(`x`\\)/g;
        const room = (n) => `${n}`;
        const ch = pusher.subscribe(`private-${ `${hotel.slug}` }-room-${room(5)}-chat`);
        ch.bind('new-staff-message', () => {});
        const other = pusher.subscribe('private-' + hotelSlug + '-conversation-' + id + '-chat');
        other.bind("message-delivered", () => {});
    '''})
    result = run(contract, tmp_path)
    assert channels(result) == [["private-{*}-room-5-chat"],
                                ["private-{*}-conversation-{*}-chat"]]
    assert result.findings == []


def test_js_registry_and_names_built_in_another_function(contract: Contract,
                                                         tmp_path: Path) -> None:
    """`channels[key] = pusher.subscribe(name)` links later binds on `channels[key]`."""
    write_tree(tmp_path, {
        "names.js": '''
            export function hotelChannel(slug) {
              const name = `hotel-${slug}`;
              return name;
            }
        ''',
        "registry.js": '''
            import { hotelChannel } from './names';
            const channels = {};
            export function open(pusher, slug) {
              channels.hotel = pusher.subscribe(hotelChannel(slug));
              channels.hotel.bind('clock-status-updated', () => {});
            }
        '''})
    result = run(contract, tmp_path)
    assert channels(result) == [["hotel-{*}"]]
    assert [(f.rule, f.file, f.line) for f in result.findings] == [
        ("event-not-on-channel", "registry.js", 6)]


def test_private_channel_without_auth(contract: Contract, tmp_path: Path) -> None:
    """A private channel through a client with no auth endpoint is reported at the subscribe."""
    write_tree(tmp_path, {"Chat.tsx": '''
        import Pusher from 'pusher-js';
        const pusher = new Pusher('key', { cluster: 'eu' });
        export const Chat = ({ slug, room }: { slug: string; room: string }) => {
          const channel = pusher.subscribe(`private-${slug}-room-${room}-chat`);
          channel.bind('new-staff-message', (d: unknown) => d);
          return null;
        };
    '''})
    result = run(contract, tmp_path)
    assert [(f.rule, f.line, f.column) for f in result.findings] == [
        ("private-without-auth", 5, 36)]


def test_template_matcher_holes_fill_whole_parameter_slots(contract: Contract) -> None:
    """A hole stands for one parameter; literal text must still match around it."""
    matcher = ChannelMatcher(contract)
    hole = Hole("x")
    best = matcher.match(("private-", hole, "-room-", hole, "-chat"))
    assert best is not None and best.channel.id == "guest-room-chat" and best.alias is None
    alias = matcher.match((hole, "-room-", hole, "-chat"))
    assert alias is not None and alias.alias is not None
    assert alias.alias.template.text == "{hotel_slug}-room-{room_number}-chat"
    concrete = matcher.match(("hotel-paradise-room-101-chat",))
    assert concrete is not None and concrete.channel.id == "guest-room-chat"
    assert matcher.match(("hotel-", hole, "-staff-", hole, "-notifications")) is None
    assert matcher.match(("private-booking-not-a-ref",)) is None
    assert matcher.match(("private-booking-", hole)) is not None
