"""The scripted HotelMate scene behind `make demo`: the probe listens as a guest and as staff.

It starts a local soketi and the real auth endpoint, connects two probes through that endpoint
(a guest of booking BK-2025-0002 in room 101, a staff member of hotel-paradise), plays a short
scene with the Emitter (check-in, a chat message, a clock-in, an offer) plus one deliberately
wrong event sent raw (seed 003's clock-in on the public hotel channel), shows every verdict as it
arrives, prints a summary per audience, and stops by itself.

`--cluster` (`make demo-cluster`) plays the same scene on two soketi nodes sharing a Redis
adapter (`testing.cluster.SoketiCluster`): the guest listens on node A, staff on node B, the
emitter sends through node A, and the closing doctor checks the cluster too.
"""

from __future__ import annotations

import queue
import threading
import time
from datetime import UTC, datetime
from typing import Any

BOOKING = "BK-2025-0002"
HOTEL = "hotel-paradise"
ROOM = "101"
CONVERSATION = "45"
WAIT = 10.0
QUIET = 1.5


def _now() -> str:
    """Return the current UTC time as ISO 8601."""
    return datetime.now(UTC).isoformat()


def main(argv: list[str] | None = None) -> int:
    """Run the scene once and return a process exit code (0 when it ran to the end)."""
    import sys

    from rich.console import Console

    from hotelmate_rt.errors import HotelmateRtError
    from hotelmate_rt.testing.soketi import SoketiError

    console = Console(highlight=False)
    try:
        return _scene(console, cluster="--cluster" in (sys.argv[1:] if argv is None else argv))
    except (SoketiError, HotelmateRtError) as exc:
        from .output import escape

        console.print(f"[bold red]demo failed:[/] {escape(str(exc))}")
        return 2


def _scene(console: Any, cluster: bool = False) -> int:
    """Start the servers and probes, play the scene, and show what each audience received."""
    import secrets

    from hotelmate_rt.auth import Principal
    from hotelmate_rt.contracts import load_contract
    from hotelmate_rt.emitters import Emitter, PusherTransport
    from hotelmate_rt.errors import HotelmateRtError
    from hotelmate_rt.probes import (
        ConnectionOptions,
        EndpointAuthorizer,
        Judged,
        Probe,
        ServerAddress,
        Subscribed,
        plan_subscriptions,
    )
    from hotelmate_rt.settings import load_settings
    from hotelmate_rt.testing.auth_server import AuthServer
    from hotelmate_rt.testing.soketi import SoketiServer

    from .output import escape
    from .reporters.probe import finding_lines, verdict_line

    contract = load_contract()
    guest_token, staff_token = secrets.token_urlsafe(16), secrets.token_urlsafe(16)
    tokens = {guest_token: Principal.guest(BOOKING, HOTEL, ROOM),
              staff_token: Principal.staff(HOTEL, user_id=7)}
    group: Any = None
    if cluster:
        from hotelmate_rt.testing.cluster import SoketiCluster

        group = SoketiCluster(2, app_id="4242", key="demo-key", secret=secrets.token_hex(16))
        nodes = group.start().nodes
        soketi = nodes[0]
    else:
        soketi = SoketiServer(app_id="4242", key="demo-key", secret=secrets.token_hex(16)).start()
        nodes = [soketi]
    auth: AuthServer | None = None
    probes: list[tuple[str, Probe]] = []
    try:
        auth = AuthServer(contract, soketi.key, soketi.secret, tokens).start()
        console.print(f"[bold]soketi[/] {soketi.http_url} (app key {soketi.key}), "
                      f"[bold]auth endpoint[/] {auth.url}", soft_wrap=True)
        pusher_env = {"PUSHER_APP_ID": soketi.app_id, "PUSHER_KEY": soketi.key,
                      "PUSHER_SECRET": soketi.secret, "PUSHER_HOST": soketi.host,
                      "PUSHER_PORT": str(soketi.port), "PUSHER_USE_TLS": "false"}
        if group is not None:
            pusher_env["HOTELMATE_RT_PUSHER_NODES"] = group.addresses
            console.print(f"[bold]cluster[/] {group.addresses} on Redis {group.redis.port}: the "
                          "guest listens on the first node, staff on the second, the emitter "
                          "sends through the first", soft_wrap=True)
        settings = load_settings(pusher_env)
        addresses = ServerAddress.nodes_from_settings(settings)
        options = ConnectionOptions(connect_timeout=5, give_up_after=15)
        for who, token, params in (
                ("guest", guest_token, {"booking_id": BOOKING, "hotel_slug": HOTEL,
                                        "room_number": ROOM}),
                ("staff", staff_token, {"hotel_slug": HOTEL, "room_number": ROOM,
                                        "conversation_id": CONVERSATION})):
            plan = plan_subscriptions(contract, who, params)
            authorizer = EndpointAuthorizer(auth.url, token, soketi.key)
            address = addresses[0] if who == "guest" else addresses[-1]
            probes.append((who, Probe(contract, address, plan, authorizer, options=options)))

        inbox: queue.Queue[tuple[str, Any]] = queue.Queue()

        def pump(who: str, probe: Probe) -> None:
            """Forward one probe's stream (and its fatal error) to the shared inbox."""
            try:
                for event in probe.events():
                    inbox.put((who, event))
            except HotelmateRtError as exc:
                inbox.put((who, exc))

        threads = [threading.Thread(target=pump, args=p, daemon=True) for p in probes]
        for thread in threads:
            thread.start()
        expected = {who: len(p.plan.channels) for who, p in probes}
        subscribed: dict[str, int] = {who: 0 for who, _ in probes}

        def show(who: str, item: Any) -> None:
            """Print one probe event, prefixed with the audience that saw it."""
            tag = f"[bold blue]{who:>5}[/]" if who == "guest" else f"[bold cyan]{who:>5}[/]"
            if isinstance(item, HotelmateRtError):
                raise item
            if isinstance(item, Judged):
                console.print(f"{tag} {verdict_line(item.verdict, item.at)}")
                for line in finding_lines(item.verdict):
                    console.print(f"      {line}")
            elif isinstance(item, Subscribed):
                subscribed[who] += 1
                console.print(f"{tag} [dim]subscribed {escape(item.channel)}[/]")

        deadline = time.monotonic() + WAIT
        while any(subscribed[w] < expected[w] for w in expected):
            try:
                show(*inbox.get(timeout=max(0.01, deadline - time.monotonic())))
            except queue.Empty:
                console.print("[red]the probes did not subscribe in time[/]")
                return 2

        console.print("\n[bold]scene[/]: a guest checks in, reception writes, a staff member "
                      "clocks in, an offer is created, and one event goes out wrong\n")
        transport = PusherTransport.from_settings(settings)
        emitter = Emitter(contract, transport, strict=True, defer=False, dead_letter=False)
        with emitter:
            emitter.transition(BOOKING, "CONFIRMED", "IN_HOUSE", {"room_number": ROOM},
                               hotel_slug=HOTEL)
            message = {"id": 901, "conversation_id": int(CONVERSATION), "room_number": ROOM,
                       "message": "Welcome! Breakfast is served until 10.",
                       "sender_type": "staff", "timestamp": _now()}
            emitter.emit_action("staff_message_to_guest", {
                "new-staff-message": message, "new-message": message,
                "message-delivered": {"message_id": 901, "delivered_at": _now(),
                                      "status": "delivered"}},
                hotel_slug=HOTEL, room_number=ROOM, conversation_id=CONVERSATION)
            clock = {"user_id": 7, "staff_id": 3, "is_on_duty": True, "clock_time": _now(),
                     "first_name": "Ana", "last_name": "Silva", "action": "clock_in"}
            emitter.emit("clock-status-updated", clock, hotel_slug=HOTEL)
            emitter.emit("offer-created", {"offer": {"id": 12, "title": "Spa weekend",
                                                     "price": "199.00", "is_active": True},
                                           "action": "created"}, hotel_slug=HOTEL)
        # The deliberately wrong one: seed 003's clock-in on the public hotel page channel,
        # sent raw (the Emitter would refuse it): every guest's browser gets staff names.
        transport.client.trigger(f"hotel-{HOTEL}", "clock-status-updated", clock)

        last = time.monotonic()
        deadline = last + WAIT
        while time.monotonic() - last < QUIET and time.monotonic() < deadline:
            try:
                show(*inbox.get(timeout=QUIET))
                last = time.monotonic()
            except queue.Empty:
                break
        console.print()
        _show_summaries(console, probes)
        for _, probe in probes:
            probe.close()
        console.print()
        from .oncall import demo_doctor

        return demo_doctor(console, pusher_env, auth.url, guest_token, staff_token, BOOKING, HOTEL,
                           ROOM)
    finally:
        for _, probe in probes:
            probe.close()
        if auth is not None:
            auth.stop()
        if group is not None:
            group.close()
        else:
            soketi.close()


def _show_summaries(console: Any, probes: list[tuple[str, Any]]) -> None:
    """Print what each audience received, and why the violations are there."""
    for who, probe in probes:
        s = probe.summary
        colour = "green" if s.ok else "red"
        counts = ", ".join(f"{n} {k}" for k, n in s.kinds.most_common()) or "nothing"
        console.print(f"[bold]{who}[/] received [{colour}]{s.events} event(s), "
                      f"{s.violations} violation(s)[/] ({counts})")
    console.print("[dim]the violations above are the deliberately wrong event: staff names on "
                  "the public hotel channel, which the contract puts on hotel-staff[/]")
