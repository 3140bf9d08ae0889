"""Channel authorization: who may subscribe to which private/presence channel, and the signature.

    >>> guest = Principal("guest", {"booking_id": "BK-2025-0002", "hotel_slug": "hotel-paradise",
    ...                             "room_number": "101"})
    >>> authorize(contract, guest, "private-booking-BK-2025-0002", "123.456", key=KEY, secret=SECRET)
    {'auth': 'KEY:...'}

The decision comes from the contract's audiences: the principal's audience must be listed on the
channel, and every channel parameter the audience is scoped to (guest: booking_id, hotel_slug,
room_number; staff: hotel_slug) must equal the principal's own value. Anything else raises
`Forbidden(reason)` with a reason that is safe to show to the client.
"""

from .authorize import (
    ChannelAuthorizer,
    Principal,
    authorize,
    check_access,
    presence_channel_data,
    sign_channel,
    valid_socket_id,
)

__all__ = [
    "ChannelAuthorizer",
    "Principal",
    "authorize",
    "check_access",
    "presence_channel_data",
    "sign_channel",
    "valid_socket_id",
]
