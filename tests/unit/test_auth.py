"""Channel authorization decided from the contract's audiences and the principal's scope."""

from __future__ import annotations

import hashlib
import hmac
import json

import pusher
import pytest

from hotelmate_rt.auth import (
    ChannelAuthorizer,
    Principal,
    authorize,
    check_access,
    presence_channel_data,
    sign_channel,
)
from hotelmate_rt.contracts import Contract, load_contract_text
from hotelmate_rt.errors import Forbidden

KEY, SECRET, SOCKET = "app-key", "app-secret", "1234.5678"
GUEST = Principal.guest("BK-2025-0002", "hotel-paradise", "101")
STAFF = Principal.staff("hotel-paradise", user_id=7)


def reason(contract: Contract, principal: Principal, channel: str) -> str:
    """Return the Forbidden reason for a subscription that must be refused."""
    with pytest.raises(Forbidden) as info:
        authorize(contract, principal, channel, SOCKET, key=KEY, secret=SECRET)
    return info.value.reason


def test_guest_gets_own_booking_channel_with_the_sdk_signature(contract: Contract) -> None:
    """A guest's own booking channel is signed exactly as the pusher SDK signs it."""
    body = authorize(contract, GUEST, "private-booking-BK-2025-0002", SOCKET, key=KEY, secret=SECRET)
    sdk = pusher.Pusher(app_id="1", key=KEY, secret=SECRET)
    assert body == sdk.authenticate(channel="private-booking-BK-2025-0002", socket_id=SOCKET)


def test_guest_gets_own_room_chat(contract: Contract) -> None:
    """A guest may read their own room's chat channel."""
    body = authorize(contract, GUEST, "private-hotel-paradise-room-101-chat", SOCKET,
                     key=KEY, secret=SECRET)
    assert body["auth"].startswith(f"{KEY}:")


@pytest.mark.parametrize(("channel", "expected"), [
    ("private-booking-BK-2025-0003", "belongs to another booking"),
    ("private-hotel-paradise-room-102-chat", "belongs to another room"),
    ("private-other-hotel-room-101-chat", "belongs to another hotel"),
    ("private-hotel-hotel-paradise-staff", "hotel-staff is for staff, not guest"),
    ("private-hotel-paradise-conversation-45-chat", "is for staff, not guest"),
    ("private-nothing-like-this", "is not in the contract"),
])
def test_guest_is_refused_other_channels(contract: Contract, channel: str, expected: str) -> None:
    """A guest is refused every channel that is not their own, with a reason saying why."""
    assert expected in reason(contract, GUEST, channel)


def test_staff_scope_is_their_hotel(contract: Contract) -> None:
    """Staff read their hotel's staff, room and conversation channels, not another hotel's."""
    for channel in ("private-hotel-hotel-paradise-staff", "private-room-hotel-paradise-101",
                    "private-hotel-paradise-conversation-45-chat"):
        assert check_access(contract, STAFF, channel).channel.id
    assert "another hotel" in reason(contract, STAFF, "private-hotel-grand-budapest-staff")
    assert "guest-booking is for guest, not staff" in reason(
        contract, STAFF, "private-booking-BK-2025-0002")


def test_alias_names_are_refused_naming_the_canonical_one(contract: Contract) -> None:
    """A deprecated or wrong name is refused and the reason names the canonical channel."""
    why = reason(contract, GUEST, "private-booking.BK-2025-0002")
    assert "wrong name" in why and "'private-booking-BK-2025-0002'" in why
    why = reason(contract, GUEST, "booking-BK-2025-0002")
    assert "deprecated name" in why and "private-booking-BK-2025-0002" in why


def test_public_channels_need_no_auth(contract: Contract) -> None:
    """Subscribing to a public channel needs no signature, so the endpoint refuses to sign."""
    assert reason(contract, GUEST, "hotel-hotel-paradise") == "public channel: no auth needed"


def test_bad_socket_id_and_channel_name(contract: Contract) -> None:
    """A malformed socket id or channel name is refused before any decision."""
    with pytest.raises(Forbidden, match="socket id"):
        authorize(contract, GUEST, "private-booking-BK-2025-0002", "abc", key=KEY, secret=SECRET)
    assert "Pusher allows only" in reason(contract, GUEST, "private-booking-BK 2025")


def test_unknown_audience_is_refused(contract: Contract) -> None:
    """A principal whose audience the contract does not know gets nothing."""
    stranger = Principal("admin", {"hotel_slug": "hotel-paradise"})
    assert "not an authenticated audience" in reason(
        contract, stranger, "private-hotel-hotel-paradise-staff")
    public = Principal("public")
    assert "not an authenticated audience" in reason(
        contract, public, "private-hotel-hotel-paradise-staff")


def test_guest_without_room_is_refused_room_channels(contract: Contract) -> None:
    """A guest not yet assigned a room cannot read any room chat."""
    unassigned = Principal.guest("BK-2025-0002", "hotel-paradise")
    assert "not bound to a room_number" in reason(
        contract, unassigned, "private-hotel-paradise-room-101-chat")


PRESENCE_CONTRACT = """
version: 1
parameters:
  hotel_slug: {pattern: '[a-z0-9-]+', example: hotel-paradise}
audiences:
  staff: {authenticates: true, scope: [hotel_slug]}
channels:
  staff-online:
    template: 'presence-hotel-{hotel_slug}-staff'
    kind: presence
    audiences: [staff]
events: {}
"""


def test_presence_adds_channel_data_and_signs_it() -> None:
    """Presence auth carries the member as channel_data and signs socket:channel:data."""
    contract = load_contract_text(PRESENCE_CONTRACT)
    staff = Principal.staff("hotel-paradise", user_id=7, user_info={"name": "Ana"})
    body = authorize(contract, staff, "presence-hotel-hotel-paradise-staff", SOCKET,
                     key=KEY, secret=SECRET)
    assert json.loads(body["channel_data"]) == {"user_id": "7", "user_info": {"name": "Ana"}}
    message = f"{SOCKET}:presence-hotel-hotel-paradise-staff:{body['channel_data']}"
    expected = hmac.new(SECRET.encode(), message.encode(), hashlib.sha256).hexdigest()
    assert body["auth"] == f"{KEY}:{expected}"
    anonymous = Principal("staff", {"hotel_slug": "hotel-paradise"})
    with pytest.raises(Forbidden, match="presence channels need one"):
        authorize(contract, anonymous, "presence-hotel-hotel-paradise-staff", SOCKET,
                  key=KEY, secret=SECRET)


def test_authorizer_binds_credentials_and_hides_the_secret(contract: Contract) -> None:
    """ChannelAuthorizer signs like authorize() and never shows the secret in its repr."""
    authorizer = ChannelAuthorizer(contract, KEY, SECRET)
    body = authorizer.authorize(GUEST, "private-booking-BK-2025-0002", SOCKET)
    assert body["auth"] == f"{KEY}:" + sign_channel(SECRET, SOCKET, "private-booking-BK-2025-0002")
    assert SECRET not in repr(authorizer)
    assert "booking_id=BK-2025-0002" in GUEST.describe()


OVERLAP_CONTRACT = """
version: 1
parameters:
  hotel_slug: {pattern: '[a-z0-9-]+', example: hotel-paradise}
audiences:
  guest: {authenticates: true, scope: [hotel_slug]}
  staff: {authenticates: true, scope: [hotel_slug]}
channels:
  guest-lobby:
    template: 'private-{hotel_slug}-lobby'
    kind: private
    audiences: [guest, staff]
  staff-desk:
    template: 'private-{hotel_slug}'
    kind: private
    audiences: [staff]
events: {}
"""


def test_a_name_with_two_readings_must_pass_both() -> None:
    """`private-paradise-lobby` is also staff-desk of hotel `paradise-lobby`: a guest is refused."""
    contract = load_contract_text(OVERLAP_CONTRACT)
    guest = Principal.guest("BK-2025-0002", "paradise")
    with pytest.raises(Forbidden, match="staff-desk is for staff, not guest"):
        authorize(contract, guest, "private-paradise-lobby", SOCKET, key=KEY, secret=SECRET)
    staff = Principal.staff("paradise")
    with pytest.raises(Forbidden, match="belongs to another hotel"):
        authorize(contract, staff, "private-paradise-lobby", SOCKET, key=KEY, secret=SECRET)
    assert authorize(contract, staff, "private-paradise", SOCKET, key=KEY, secret=SECRET)["auth"]


ENCRYPTED_CONTRACT = """
version: 1
parameters:
  booking_id: {pattern: 'BK-[0-9]+', example: BK-1}
audiences:
  guest: {authenticates: true, scope: [booking_id]}
channels:
  secret-booking:
    template: 'private-encrypted-booking-{booking_id}'
    kind: private-encrypted
    audiences: [guest]
events: {}
"""


def test_a_name_with_a_suffix_is_not_the_guests_channel(contract: Contract) -> None:
    """Templates match whole names: `private-booking-BK-2025-0002-x` is not the guest's booking."""
    assert "not in the contract" in reason(contract, GUEST, "private-booking-BK-2025-0002-x")
    assert "not in the contract" in reason(contract, GUEST, "private-xbooking-BK-2025-0002")


def test_encrypted_channels_are_refused_even_when_the_contract_allows_them() -> None:
    """The endpoint cannot sign private-encrypted channels (no shared key), so it says so."""
    contract = load_contract_text(ENCRYPTED_CONTRACT)
    guest = Principal("guest", {"booking_id": "BK-1"})
    assert check_access(contract, guest, "private-encrypted-booking-BK-1").channel.id == (
        "secret-booking")
    with pytest.raises(Forbidden, match=r"^encrypted channels are not supported by this auth"):
        authorize(contract, guest, "private-encrypted-booking-BK-1", SOCKET, key=KEY, secret=SECRET)


def test_authorizer_check_decides_without_signing(contract: Contract) -> None:
    """ChannelAuthorizer.check returns the matched channel and its parameters, or Forbidden."""
    authorizer = ChannelAuthorizer(contract, KEY, SECRET)
    match = authorizer.check(GUEST, "private-booking-BK-2025-0002")
    assert (match.channel.id, match.params, match.alias) == (
        "guest-booking", {"booking_id": "BK-2025-0002"}, None)
    with pytest.raises(Forbidden, match="belongs to another booking: this guest is bound to "
                                        "booking_id=BK-2025-0002"):
        authorizer.check(GUEST, "private-booking-BK-2025-0003")
    assert repr(authorizer) == f"ChannelAuthorizer(key={KEY!r}, contract={contract.path!r})"
    assert authorizer.key == KEY and authorizer.contract is contract


def test_principals_describe_their_scope_and_build_user_ids() -> None:
    """Guests get a user id from their booking; staff ids become text; describe() lists the scope."""
    assert GUEST.user_id == "guest-BK-2025-0002"
    assert GUEST.describe() == "guest(booking_id=BK-2025-0002, hotel_slug=hotel-paradise, " \
                               "room_number=101)"
    assert Principal.guest("BK-1", "h", 7, user_id="u").scope == {
        "booking_id": "BK-1", "hotel_slug": "h", "room_number": "7"}
    assert Principal.guest("BK-1", "h", user_id="u").user_id == "u"
    assert Principal.staff("h").user_id is None and STAFF.user_id == "7"
    assert Principal("public").describe() == "public"


def test_refusal_reasons_name_the_thing_refused(contract: Contract) -> None:
    """Each refusal explains itself in words a client developer can act on."""
    assert reason(contract, STAFF, "private-hotel-other-hotel-staff") == (
        "'private-hotel-other-hotel-staff' belongs to another hotel: this staff is bound to "
        "hotel_slug=hotel-paradise")
    assert reason(contract, GUEST, "private-hotel-paradise-room-102-chat").startswith(
        "'private-hotel-paradise-room-102-chat' belongs to another room: ")
    assert reason(contract, Principal("nobody"), "private-booking-BK-2025-0002") == (
        "'nobody' is not an authenticated audience of the contract")
    assert reason(contract, GUEST, "x" * 165).startswith("channel name is 165 characters")


NOUN_CONTRACT = """
version: 1
parameters:
  tour_group_id: {pattern: '[0-9]+', example: '1'}
audiences:
  guide: {authenticates: true, scope: [tour_group_id]}
  guest: {authenticates: true}
channels:
  tour: {template: 'private-tour-{tour_group_id}', kind: private, audiences: [guide]}
  closed: {template: 'private-closed', kind: private, audiences: []}
  shared: {template: 'private-shared', kind: private, audiences: [guide, staff]}
events: {}
"""


def test_reasons_name_readers_and_the_scoped_thing_in_words() -> None:
    """Reasons list a channel's readers (or nobody) and name `tour_group_id` as a tour group."""
    contract = load_contract_text(NOUN_CONTRACT)
    guide = Principal("guide", {"tour_group_id": "1"})
    assert reason(contract, guide, "private-tour-2") == (
        "'private-tour-2' belongs to another tour group: this guide is bound to tour_group_id=1")
    guest = Principal("guest")
    assert reason(contract, guest, "private-closed") == "closed is for nobody, not guest"
    assert reason(contract, guest, "private-shared") == "shared is for guide, staff, not guest"


def test_a_long_bad_socket_id_is_cut_to_40_characters_in_the_reason(contract: Contract) -> None:
    """The reason quotes at most 40 characters of a malformed socket id."""
    with pytest.raises(Forbidden) as info:
        authorize(contract, GUEST, "private-booking-BK-2025-0002", "1" * 39 + "xy" + "z" * 20,
                  key=KEY, secret=SECRET)
    assert info.value.reason == f"socket_id {'1' * 39 + 'x'!r} is not a Pusher socket id"


def test_presence_channel_data_is_compact_json() -> None:
    """channel_data is the compact JSON pusher-js passes on; its exact bytes are what is signed."""
    staff = Principal.staff("hotel-paradise", user_id=7, user_info={"name": "Ana"})
    assert presence_channel_data(staff) == '{"user_id":"7","user_info":{"name":"Ana"}}'
    assert presence_channel_data(Principal.staff("h", user_id=8)) == '{"user_id":"8"}'
