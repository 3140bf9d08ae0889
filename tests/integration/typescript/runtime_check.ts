// Runs the generated module on Node with the real pusher-js: builders render the contract's names,
// a bad parameter is refused, and binding a deprecated event name receives its replacement,
// dispatched by pusher-js's own Channel.handleEvent (no network: the client never connects).
import Pusher from "pusher-js";
import { guestBookingChannel, guestRoomChatChannel, hotelPublicChannel } from "./realtime/contract.guest";
import { conversationChatChannel, hotelStaffChannel, roomChannel, subscribeHotelStaff } from "./realtime/contract.staff";
import { subscribeHotelPublic } from "./realtime/contract.public";

const pusher = new Pusher("test-key", {
  cluster: "mt1", wsHost: "127.0.0.1", wsPort: 9, forceTLS: false, enabledTransports: ["ws"],
});
pusher.disconnect();

const params = { booking_id: "BK-2025-0002", hotel_slug: "hotel-paradise", room_number: "101",
                 conversation_id: "45" };
const names = {
  "guest-booking": guestBookingChannel(params),
  "guest-room-chat": guestRoomChatChannel(params),
  "hotel-public": hotelPublicChannel(params),
  "hotel-staff": hotelStaffChannel(params),
  "conversation-chat": conversationChatChannel(params),
  "room": roomChannel(params),
};

let refused = "";
try {
  guestBookingChannel({ booking_id: "booking.42" });
} catch (error) {
  refused = String(error);
}

const received: unknown[] = [];
const offers = subscribeHotelPublic(pusher, params);
const unbind = offers.bind("offers-updated", (data) => received.push(data));
offers.channel.handleEvent({ event: "offer-deleted", data: { offer_id: 7, offer_title: "Spa", action: "deleted" } } as never);
unbind();
offers.channel.handleEvent({ event: "offer-deleted", data: { offer_id: 8, offer_title: "Gym", action: "deleted" } } as never);

const staff: string[] = [];
subscribeHotelStaff(pusher, params).bind("clock-status-updated", (e) => staff.push(e.first_name));
pusher.channel(names["hotel-staff"]).handleEvent({ event: "clock-status-updated", data: { first_name: "Ana" } } as never);

process.stdout.write(JSON.stringify({ names, refused, received, staff, channel: offers.name }) + "\n");
process.exit(0);
