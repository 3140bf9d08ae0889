"""The probe at scale and under hostile frames, without a server: frames, plans, `check`, nodes."""

from __future__ import annotations

import json
import queue
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hotelmate_rt.contracts import Contract
from hotelmate_rt.errors import UnknownName
from hotelmate_rt.probes import (
    FrameProblem,
    Judged,
    PlannedChannel,
    Probe,
    ProbeSettings,
    ProbeSetupError,
    ServerAddress,
    build_probe,
    check_recording,
    plan_subscriptions,
)
from hotelmate_rt.probes.connection import RawEvent
from hotelmate_rt.probes.recording import MAX_PROBLEMS, CheckResult, Unreadable, check_lines
from hotelmate_rt.settings import load_settings
from tests.helpers import BOOKING, CHECKED_IN

OFFER = {"offer": {"id": 1, "title": "Spa", "price": "1.00", "is_active": True},
         "action": "created"}
DEEP = "[" * 50_000 + "]" * 50_000


def _probe(contract: Contract, channels: tuple[str, ...] = ("hotel-hotel-paradise",)) -> Probe:
    """A probe that is never started: its connection's frame handler is called directly."""
    return Probe(contract, ServerAddress("k", "127.0.0.1", 1),
                 [PlannedChannel(name, None) for name in channels])


def _feed(probe: Probe, *frames: str | bytes) -> list[Any]:
    """Hand frames to the connection's handler; return what it queued, events judged."""
    for frame in frames:
        probe.connection._on_message(None, frame)
    out: list[Any] = []
    seq = 0
    while True:
        try:
            item = probe.connection.queue.get_nowait()
        except queue.Empty:
            return out
        if isinstance(item, RawEvent):
            seq += 1
            out.append(probe.judge(seq, item))
        else:
            out.append(item)


def _frame(event: Any, channel: Any, data: Any) -> str:
    """One Pusher frame."""
    return json.dumps({"event": event, "channel": channel, "data": data})


@pytest.mark.parametrize(("frame", "kind"), [
    (_frame("offer-created", 7, "{}"), "bad-channel"),
    (_frame("offer-created", {"name": "hotel-hotel-paradise"}, "{}"), "bad-channel"),
    (_frame(["offer-created"], "hotel-hotel-paradise", "{}"), "bad-event"),
    ('{"event": "offer-created", "channel": "hotel-hotel-paradise", "data": ' + DEEP + "}",
     "too-deep"),
    ("{not json", "not-json"),
    ("[1, 2]", "not-object"),
    (_frame("offer-created", "hotel-elsewhere", json.dumps(OFFER)), "unsubscribed-channel"),
    (_frame("pusher:brand_new", None, {}), "unknown-protocol-event"),
    (_frame("pusher_internal:brand_new", "hotel-hotel-paradise", {}), "unknown-protocol-event"),
])
def test_a_frame_the_probe_cannot_take_is_reported_and_the_probe_goes_on(
        contract: Contract, frame: str, kind: str) -> None:
    """Numbers or objects as channel, 50,000-deep data, strangers: reported, never a crash."""
    probe = _probe(contract)
    seen = _feed(probe, frame, _frame("offer-created", "hotel-hotel-paradise", json.dumps(OFFER)))
    assert [type(e).__name__ for e in seen] == ["FrameProblem", "Judged"], seen
    assert seen[0].kind == kind and seen[1].ok
    assert probe.connection._fatal is None
    assert seen[0].finding is (kind != "unknown-protocol-event")


def test_data_nested_50000_deep_is_a_not_json_finding(contract: Contract) -> None:
    """A data string too deep to decode is judged not-json, not a RecursionError."""
    probe = _probe(contract)
    (judged,) = _feed(probe, _frame("offer-created", "hotel-hotel-paradise", DEEP))
    assert isinstance(judged, Judged) and [k.value for k in judged.kinds] == ["not-json"]


def test_a_probe_summary_counts_frame_problems_and_is_not_ok(contract: Contract) -> None:
    """Unexpected frames make the session not ok; an unknown protocol event is only a note."""
    probe = _probe(contract)
    probe.summary.subscribed.append("hotel-hotel-paradise")
    probe.summary.frame_problems["unknown-protocol-event"] += 1
    assert probe.summary.ok
    probe.summary.frame_problems["unsubscribed-channel"] += 1
    assert not probe.summary.ok
    assert "1 malformed or unexpected frame(s)" in probe.summary.problems


JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False)
                    | st.text(max_size=20),
                    lambda inner: st.lists(inner, max_size=4)
                    | st.dictionaries(st.text(max_size=8), inner, max_size=4), max_leaves=12)
EVENTS = st.sampled_from(["offer-created", "booking_checked_in", "pusher:error", "pusher:ping",
                          "pusher_internal:subscription_succeeded", "pusher:subscription_error",
                          "pusher:connection_established", "client-x", "pusher:x"]) | JSON
CHANNELS = st.sampled_from(["hotel-hotel-paradise", f"private-booking-{BOOKING}", "other"]) | JSON
DATA = JSON | JSON.map(json.dumps) | st.sampled_from(["{", DEEP, json.dumps(CHECKED_IN)])
FRAMES = st.builds(lambda e, c, d: json.dumps({"event": e, "channel": c, "data": d}),
                   EVENTS, CHANNELS, DATA) | st.text(max_size=60) | JSON.map(json.dumps) \
    | st.binary(max_size=40)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(frames=st.lists(FRAMES, min_size=1, max_size=5))
def test_fuzz_random_frames_never_crash_the_probe_judge(contract: Contract,
                                                        frames: list[Any]) -> None:
    """Random frames: each is judged, reported or handled; none raises or hangs the probe."""
    probe = _probe(contract, ("hotel-hotel-paradise", f"private-booking-{BOOKING}"))
    seen = _feed(probe, *frames)
    for item in seen:
        assert json.dumps(item.to_dict(), default=str)
    assert sum(isinstance(i, Judged | FrameProblem) for i in seen) <= len(frames)


def test_a_list_of_bookings_plans_every_channel_once(contract: Contract) -> None:
    """`--booking` repeated: one guest-booking channel per booking, shared channels once."""
    bookings = [f"BK-2025-{n:04d}" for n in range(1, 1001)]
    plan = plan_subscriptions(contract, "guest", {"booking_id": bookings,
                                                  "hotel_slug": "hotel-paradise"})
    names = [c.name for c in plan.channels]
    assert len(names) == len(set(names))
    assert sum(c.channel_id == "guest-booking" for c in plan.channels) == 1000
    assert names.count("hotel-hotel-paradise") == 1


@pytest.mark.parametrize(("audience", "until", "expected"), [
    ("gust", None, "did you mean 'guest'"),
    ("guest", "offer-creatd", "did you mean 'offer-created'"),
])
def test_mistyped_audience_or_until_says_did_you_mean(contract: Contract, audience: str,
                                                      until: str | None, expected: str) -> None:
    """`--as gust` and `--until offer-creatd` are refused before connecting, with a suggestion."""
    settings_ = ProbeSettings(pusher=load_settings({"PUSHER_KEY": "k", "PUSHER_PORT": "6001"}),
                              audience=audience, params={"booking_id": BOOKING,
                                                         "hotel_slug": "hotel-paradise"},
                              sign_locally=True, until=until)
    with pytest.raises(ProbeSetupError, match=expected):
        build_probe(settings_, contract)
    with pytest.raises(UnknownName, match="did you mean 'guest'"):
        plan_subscriptions(contract, "gust", {})


def test_nodes_come_from_one_setting_and_become_failover_servers() -> None:
    """HOTELMATE_RT_PUSHER_NODES (or --node) lists the nodes; a bad entry is an error."""
    pusher = load_settings({"PUSHER_KEY": "k",
                            "HOTELMATE_RT_PUSHER_NODES": "127.0.0.1:7001, 127.0.0.1:7002"})
    assert pusher.nodes == [("127.0.0.1", 7001), ("127.0.0.1", 7002)] and not pusher.ssl
    servers = ProbeSettings(pusher=pusher).servers()
    assert [(s.host, s.port) for s in servers] == pusher.nodes
    flagged = load_settings({"HOTELMATE_RT_PUSHER_NODES": "a:1"},
                            overrides={"HOTELMATE_RT_PUSHER_NODES": "b:2,c"})
    assert flagged.nodes == [("b", 2)] and flagged.errors == ["--node entry 'c' is not HOST:PORT"]


def _recording(tmp_path: Path, *records: dict[str, Any]) -> Path:
    """Write a JSONL recording."""
    path = tmp_path / "recording.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


def test_check_groups_by_problem_with_bounded_memory(contract: Contract, tmp_path: Path) -> None:
    """Many events with one problem make one group (count, first and last line), few samples."""
    bad = {"channel": "hotel-hotel-paradise", "event": "offer-created",
           "data": json.dumps({"offer": {"id": "x"}, "action": "created"})}
    good = {"channel": "hotel-hotel-paradise", "event": "offer-created", "data": json.dumps(OFFER)}
    path = _recording(tmp_path, good, *[bad] * 500, good)
    result = check_recording(contract, path)
    assert (result.events, result.violations) == (502, 500)
    problem = next(p for p in result.problems.values() if p.path == "$.offer.id")
    assert (problem.count, problem.first_line, problem.last_line) == (500, 2, 501)
    assert len(problem.samples) == 1 and not result.ok


def test_check_keeps_at_most_max_problems(contract: Contract, tmp_path: Path) -> None:
    """Unbounded distinct problems (every event name unknown) stop growing at MAX_PROBLEMS."""
    result = CheckResult("x")
    lines = (json.dumps({"channel": "hotel-hotel-paradise", "event": f"unknown-{n}",
                         "data": "{}"}) for n in range(MAX_PROBLEMS + 50))
    for item in check_lines(contract, lines):
        result.add(item)
    assert len(result.problems) == MAX_PROBLEMS and result.other_problems >= 50


@pytest.mark.parametrize(("records", "allow_empty", "ok"), [
    ((), False, False),
    ((), True, True),
    (({"type": "state", "state": "connecting"},
      {"type": "error", "message": "cannot connect to ws://127.0.0.1:1/app/k"}), True, False),
    (({"type": "subscription-failed", "channel": "private-booking-BK-2025-0003",
       "source": "auth-endpoint", "reason": "not your booking"},), True, False),
    (({"type": "gap", "seconds": 8.2, "reason": "connection lost"},), True, False),
    (({"type": "summary", "listened": False, "error": None,
       "problems": ["never connected"]},), True, False),
    (({"type": "frame-problem", "kind": "unknown-protocol-event", "finding": False},), True,
     True),
])
def test_check_fails_an_empty_recording_or_a_session_that_went_wrong(
        contract: Contract, tmp_path: Path, records: tuple[dict[str, Any], ...],
        allow_empty: bool, ok: bool) -> None:
    """No event, a fatal error, a refusal, a gap or a session that never listened: not ok."""
    result = check_recording(contract, _recording(tmp_path, *records), allow_empty=allow_empty)
    assert result.ok is ok, result.findings


def test_check_reports_a_line_nested_50000_deep(contract: Contract) -> None:
    """A line too deep to parse is unreadable (exit 2), not a traceback."""
    line = '{"channel": "hotel-hotel-paradise", "event": "offer-created", "data": ' + DEEP + "}"
    items = list(check_lines(contract, [line, json.dumps({"channel": 7, "event": "x",
                                                          "data": 1})]))
    assert items == [Unreadable(1, "nested too deeply to read"),
                     Unreadable(2, "needs a string 'event' and a 'channel' (or a 'channels' list)")]


def test_parameter_values_come_repeated_or_from_a_file(tmp_path: Path) -> None:
    """`--room 101 --room @rooms.txt` gives every room once; an unreadable file exits 2."""
    import typer

    from hotelmate_rt.cli.listen import _params

    rooms = tmp_path / "rooms.txt"
    rooms.write_text("# floor 1\n101\n102\n\n103\n", encoding="utf-8")
    params = _params(None, "hotel-paradise", ["100", f"@{rooms}"], None, [f"booking_id=@{rooms}"])
    assert params == {"hotel_slug": ["hotel-paradise"], "room_number": ["100", "101", "102", "103"],
                      "booking_id": ["101", "102", "103"]}
    with pytest.raises(typer.Exit) as exited:
        _params(None, None, [f"@{tmp_path / 'missing.txt'}"], None, None)
    assert exited.value.exit_code == 2
