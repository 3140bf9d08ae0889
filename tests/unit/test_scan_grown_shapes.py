"""Shapes of grown code the third blind holdout (holdout_c) showed the scan missing, one test each."""

from __future__ import annotations

from pathlib import Path

import pytest

from hotelmate_rt.scan import ScanResult, ScanRule, scan
from hotelmate_rt.scan.drift import likely_rename
from hotelmate_rt.scan.model import SiteKind
from hotelmate_rt.scan.privacy import is_personal
from tests.helpers import SCAN_FIXTURES, site_rules_only, write_tree

_PUBLISHER = {
    "backend/realtime/__init__.py": "from .publisher import publisher  # noqa: F401\n",
    "backend/realtime/client.py": """
        import pusher

        def get_client():
            return pusher.Pusher(app_id="1", key="k", secret="s")
        """,
    "backend/realtime/publisher.py": """
        from .client import get_client

        class RealtimePublisher:
            def __init__(self, client=None):
                self._client = client

            @property
            def client(self):
                if self._client is None:
                    self._client = get_client()
                return self._client

            def publish(self, channel, event, payload):
                self.client.trigger(channel, event, payload)

        publisher = RealtimePublisher()
        """,
}


def _scan(root: Path) -> ScanResult:
    """Scan a small tree without a contract."""
    return scan([root], None, site_rules_only(), root=root, parallel=False)


def _sends(result: ScanResult) -> dict[tuple[str, int], tuple[list[str], list[str]]]:
    """Backend sends by place: (channels, events)."""
    return {(s.file, s.line): (s.to_dict().get("channels", []), s.to_dict().get("events", []))
            for s in result.sites if s.side.value == "backend" and not s.unresolved}


def test_a_publisher_holding_its_client_behind_a_property_is_a_wrapper(tmp_path: Path) -> None:
    """`self.client.trigger` with `client` a @property over a lazily built client: callers of the
    re-exported module-level publisher instance are send sites."""
    root = write_tree(tmp_path, {**_PUBLISHER, "backend/offers.py": """
        from realtime import publisher

        def expire(hotel):
            publisher.publish(f"hotel-{hotel.slug}", "offer-expired", {"id": 1})
        """})
    assert _sends(_scan(root))[("backend/offers.py", 5)] == (["hotel-{*}"], ["offer-expired"])


def test_an_injected_publisher_default_and_a_channel_kept_on_self_resolve(tmp_path: Path) -> None:
    """`def __init__(self, pub=publisher)` with `self.publisher = pub`, and `self.channel` built in
    `__init__`, resolve where a method sends."""
    root = write_tree(tmp_path, {**_PUBLISHER, "backend/checkin.py": """
        from realtime import publisher

        def guest_channel(booking):
            return f"private-guest-{booking.booking_id}"

        class CheckIn:
            def __init__(self, booking, pub=publisher):
                self.publisher = pub
                self.channel = guest_channel(booking)

            def run(self):
                self.publisher.publish(self.channel, "booking-checked-in", {"ok": True})
        """})
    assert _sends(_scan(root))[("backend/checkin.py", 13)] == \
        (["private-guest-{*}"], ["booking-checked-in"])


def test_a_dispatch_table_read_with_a_run_time_key_gives_every_event(tmp_path: Path) -> None:
    """`EVENTS.get(status)` with `status` known only at run time: the event is one of the values."""
    root = write_tree(tmp_path, {"backend/orders.py": """
        EVENTS = {"accepted": "order_accepted", "delivered": "order_delivered"}

        def set_status(pusher_client, order, status):
            event = EVENTS.get(status)
            pusher_client.trigger(f"private-{order.hotel.slug}-orders", event, {"id": order.pk})
        """})
    assert _sends(_scan(root))[("backend/orders.py", 6)] == \
        (["private-{*}-orders"], ["order_accepted", "order_delivered"])


@pytest.mark.parametrize("channel,flagged", [
    ('f"{hotel.slug}-housekeeping"', True), ('"{}.maintenance".format(hotel.slug)', True),
    ('f"{staff.id}.inbox"', True), ('f"{prefix}-housekeeping"', False),
    ('f"private-{hotel.slug}-housekeeping"', False)])
def test_a_channel_led_by_an_identifier_value_is_public(tmp_path: Path, channel: str,
                                                        flagged: bool) -> None:
    """A slug or id cannot hold a `private-` prefix: personal data on such a channel is flagged;
    an unknown leading value (`prefix`) or a private prefix is not."""
    root = write_tree(tmp_path, {"backend/rooms.py": f"""
        def changed(pusher_client, hotel, staff, prefix, room):
            pusher_client.trigger({channel}, "room-status-changed",
                                  {{"room": room.number, "housekeeper_name": room.cleaner}})
        """})
    leaks = [f for f in _scan(root).findings if f.rule is ScanRule.PERSONAL_DATA_PUBLIC]
    assert bool(leaks) is flagged


@pytest.mark.parametrize("name,personal", [
    ("housekeeper_name", True), ("receptionistName", True), ("driver_name", True),
    ("room_name", False), ("department_name", False), ("host_name", False)])
def test_people_roles_name_persons(name: str, personal: bool) -> None:
    """`<role>_name` is a person's name for staff roles; other `_name` fields are not."""
    assert is_personal(name) is personal


def test_a_handler_map_from_a_factory_in_another_file_is_read_and_placed_here(
        tmp_path: Path) -> None:
    """`useMemo(() => makeHandlers(dispatch))` from another module: its keys are bound events,
    located at the bind in this file (a site's values share its file)."""
    root = write_tree(tmp_path, {
        "src/handlers.ts": """
            export function makeHandlers(dispatch) {
              return {
                order_created: (o) => dispatch(o),
                "order-cancelled": (o) => dispatch(o),
              };
            }
            """,
        "src/Board.tsx": """
            import { useMemo } from "react";
            import { makeHandlers } from "./handlers";

            export function Board({ pusher, slug, dispatch }) {
              const handlers = useMemo(() => makeHandlers(dispatch), []);
              const channel = pusher.subscribe(`private-${slug}-orders`);
              Object.entries(handlers).forEach(([event, fn]) => channel.bind(event, fn));
            }
            """})
    binds = [s for s in _scan(root).sites if s.kind.value == "bind"]
    assert [s.to_dict()["events"] for s in binds] == [["order_created", "order-cancelled"]]
    assert {(binds[0].file, v.line) for v in binds[0].events} == {("src/Board.tsx", 8)}


@pytest.mark.parametrize("action,field", [("{ type, payload }", "type"),
                                          ("{ type: data.kind, payload: data }", "kind")])
def test_a_use_reducer_dispatch_routes_the_envelope_to_the_reducer_cases(
        tmp_path: Path, action: str, field: str) -> None:
    """One envelope bind dispatching `{type: ...}` to a `useReducer` reducer: each `case` of
    `action.type` is a handled subtype of the field the action carries."""
    root = write_tree(tmp_path, {
        "src/reducer.ts": """
            export function chatReducer(state, action) {
              switch (action.type) {
                case "message_created":
                  return state;
                case "typing":
                  return state;
                default:
                  return state;
              }
            }
            """,
        "src/useChat.ts": f"""
            import {{ useReducer }} from "react";
            import {{ chatReducer }} from "./reducer";

            export function useChat(pusher, id) {{
              const [state, dispatch] = useReducer(chatReducer, {{}});
              const channel = pusher.subscribe(`private-chat-${{id}}`);
              channel.bind("chat-event", (data) => {{
                const {{ type, ...payload }} = data;
                dispatch({action});
              }});
              return state;
            }}
            """})
    bind = next(s for s in _scan(root).sites if s.kind.value == "bind")
    assert [(r.field, r.value, r.file, r.line) for r in bind.routes] == [
        (field, "message_created", "src/reducer.ts", 4), (field, "typing", "src/reducer.ts", 6)]


_RENAMED = {
    "backend/staff.py": """
        def send(pusher_client, hotel, text):
            pusher_client.trigger(f"private-hotel-{hotel.slug}-staff", "staff-message", {"t": text})
            pusher_client.trigger(f"private-hotel-{hotel.slug}-staff", "role-updated", {})
            pusher_client.trigger(f"hotel-{hotel.slug}", "hotel-update",
                                  {"kind": "event_announced"})
            pusher_client.trigger(f"hotel-{hotel.slug}", "hotel-update", {"kind": "booking_cancelled"})
        """,
    "src/inbox.js": """
        export function watch(pusher, slug, show) {
          const staff = pusher.subscribe(`private-hotel-${slug}-staff`);
          staff.bind("new-staff-message", show);
          const lobby = pusher.subscribe(`hotel-${slug}`);
          lobby.bind("hotel-update", (data) => {
            if (data.kind === "announcement") show(data);
            if (data.kind === "booking_updated") show(data);
          });
        }
        """}


def test_drift_pairs_a_renamed_event_and_subtype_with_both_locations(tmp_path: Path) -> None:
    """A bound event (or routed subtype) nobody sends is paired with the one unbound backend name
    whose words contain it, pointing at that send on its call's first line; a name sharing only
    the domain noun (`booking_updated` / `booking_cancelled`) is not paired."""
    result = _scan(write_tree(tmp_path, _RENAMED))
    found = {(f.file, f.line): f for f in result.findings if f.rule is ScanRule.DRIFT_EVENT}
    staff = found[("src/inbox.js", 4)]
    assert "the backend sends `staff-message` there" in staff.message
    assert [(r.file, r.line) for r in staff.related] == [("backend/staff.py", 3)]
    lobby = found[("src/inbox.js", 7)]
    assert "the backend sends `event_announced`" in lobby.message
    assert [(r.file, r.line) for r in lobby.related] == [("backend/staff.py", 5)]
    assert "renamed" not in found[("src/inbox.js", 8)].message
    unheard = {f.message.split("`")[1] for f in result.findings
               if f.rule is ScanRule.DRIFT_UNHEARD and "is sent on" in f.message}
    assert unheard == {"role-updated"}


@pytest.mark.parametrize("name,candidates,expected", [
    ("new-staff-message", ["staff-message", "role-updated"], "staff-message"),
    ("typing", ["typing_started"], "typing_started"),
    ("booking_updated", ["booking_cancelled"], None),
    ("message", ["staff-message", "guest-message"], None)])
def test_likely_rename(name: str, candidates: list[str], expected: str | None) -> None:
    """One candidate whose words contain the name's (or the reverse); never a guess among two."""
    assert likely_rename(name, candidates) == expected


def test_a_channel_drift_points_at_the_first_line_of_a_multi_line_send(tmp_path: Path) -> None:
    """The backend side of a drift is the send's call line (where every other finding about the
    send is), not the later line its channel argument sits on."""
    root = write_tree(tmp_path, {
        "backend/clock.py": """
            def toggle(pusher_client, staff):
                pusher_client.trigger(
                    f"private-{staff.hotel.slug}-attendance",
                    "clock-status-updated",
                    {"on": True},
                )
            """,
        "src/clock.js": """
            export function watch(pusher, slug, show) {
              pusher.subscribe(`private-hotel-${slug}-attendance`).bind("clock-status-updated", show);
            }
            """})
    drift = [f for f in _scan(root).findings if f.rule is ScanRule.DRIFT_CHANNEL]
    assert [[(r.file, r.line) for r in f.related] for f in drift] == [[("backend/clock.py", 3)]]



@pytest.mark.parametrize("parallel", [False, True])
def test_an_imported_client_is_known_whichever_file_is_read_first(
        parallel: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    """A subscribe through a client another module creates is tied to that client whether that
    module's own scan ran before or after (it depended on the order, and so on the worker)."""
    from hotelmate_rt.scan import engine

    monkeypatch.setattr(engine, "_PARALLEL_MIN_FILES", 1)
    root = SCAN_FIXTURES / "lifecycle_holdout_c"
    result = scan([root], None, site_rules_only(), root=root, parallel=parallel)
    clients = {(s.client.file, s.client.line) if s.client else None for s in result.sites
               if s.kind is SiteKind.SUBSCRIBE and s.file.startswith("apps/ops/src/components/")}
    assert clients == {("apps/ops/src/realtime/client.ts", 6)}
