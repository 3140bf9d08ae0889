// A guest page, a staff dashboard and the public hotel page written against the generated module.
// It must compile under `tsc --strict` with no error.
import type Pusher from "pusher-js";
import {
  BookingStatus,
  CONTRACT_HASH,
  guestBookingChannel,
  subscribe,
  subscribeGuestBooking,
  subscribeGuestRoomChat,
  type BookingStatusChangedPayload,
} from "./realtime/contract.guest";
import { subscribeHotelStaff } from "./realtime/contract.staff";
import { subscribeHotelPublic } from "./realtime/contract.public";

declare const pusher: Pusher;
const bookingId = "BK-2025-0002";

const booking = subscribeGuestBooking(pusher, { booking_id: bookingId });
const unbind = booking.bind("booking_status_changed", (data: BookingStatusChangedPayload) => {
  const status: BookingStatus = data.status;
  if (status === BookingStatus.IN_HOUSE) console.log(data.changed_at.toUpperCase());
});
unbind();
booking.bind("booking_checked_in", (data) => console.log(data.room_number, data.wifi_ssid ?? ""));
booking.bind("room_assigned", (data) => console.log(data.room_number)); // @deprecated, compiles
export const legacy: BookingStatus = BookingStatus.CHECKED_IN; // @deprecated, compiles

const byName = subscribe(pusher, guestBookingChannel({ booking_id: bookingId }));
byName.bind("payment_success", (data) => console.log(data.status === "CONFIRMED", data.amount));

const chat = subscribeGuestRoomChat(pusher, { hotel_slug: "hotel-paradise", room_number: "101" });
chat.bind("new-staff-message", (m) => console.log(m.message, m.sender_type, m.staff_name?.length));
subscribe(pusher, "private-hotel-paradise-room-101-chat").bind("new-staff-message", (m) => m.id);

subscribeHotelStaff(pusher, { hotel_slug: "hotel-paradise" })
  .bind("clock-status-updated", (e) => console.log(e.first_name, e.is_on_duty, e.action));
subscribeHotelPublic(pusher, { hotel_slug: "hotel-paradise" })
  .bind("offer-created", (e) => console.log(e.offer.title, e.offer.price ?? 0));

export const hash: string = CONTRACT_HASH;
