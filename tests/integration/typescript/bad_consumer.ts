// A guest page with the seeds' mistakes: each line marked `expect TSnnnn` must fail to compile
// with that error, and no other line may fail.
import type Pusher from "pusher-js";
import { subscribe, subscribeGuestRoomChat } from "./realtime/contract.guest";
import { subscribeHotelStaff } from "./realtime/contract.guest"; // expect TS2305

declare const pusher: Pusher;
declare const id: string;

const chat = subscribeGuestRoomChat(pusher, { hotel_slug: "hotel-paradise", room_number: "101" });
chat.bind("message-received", () => undefined); // expect TS2345
chat.bind("new-staff-message", (m) => console.log(m.sender_name)); // expect TS2339
subscribe(pusher, `booking.${id}`); // expect TS2345
export const staff = subscribeHotelStaff;
