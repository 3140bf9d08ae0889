"""`triage booking ID`: why doesn't this guest see the update? A plain verdict, then evidence.

Steps: the channels the booking's guest page should be on (from the contract) and whether anyone
is subscribed now (HTTP API channel info); with a guest token, whether it authorizes those
channels and only those; what failed to send for this booking (dead-letter file, structured log);
with `watch`, what arrived as guest and staff while someone performs the staff action.
"""

from __future__ import annotations

import json
import os
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hotelmate_rt.errors import HotelmateRtError, ParameterError

from .config import PusherSettings, read_env_file
from .model import ChannelState, Check, Redactor, Section, SetupOptions, Status, TriageReport

if TYPE_CHECKING:
    from hotelmate_rt.contracts import Contract

    from .wire import Listener

_EMIT_LINE = re.compile(r"emit (\w+) (\{.*\})\s*$")


@dataclass(slots=True, kw_only=True)
class TriageOptions(SetupOptions):
    """Everything a triage needs; the CLI fills it from flags and the environment."""

    booking_id: str
    dead_letter: Path | None = None
    log_file: Path | None = None
    watch: float | None = None
    expect: list[str] = field(default_factory=list)
    recent: int = 20


def _when(ts: float) -> str:
    """Format a wall-clock time for people (UTC, seconds)."""
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


class Triage:
    """One triage run over one booking."""

    def __init__(self, options: TriageOptions) -> None:
        """Prepare the run (nothing touches the network until `run()`)."""
        self.options = options
        self.report = TriageReport(options.booking_id)
        self.redactor: Redactor = self.report.redactor
        for secret in (options.guest_token, options.staff_token):
            self.redactor.add(secret)
        self.settings = PusherSettings()
        self.contract: Contract | None = None
        self.guest_channels: list[tuple[str, str]] = []
        self.auth_refused: list[str] = []
        self.verdicts: list[tuple[int, str]] = []

    def add(self, check: Check) -> Check:
        """Append a redacted check."""
        check.summary = self.redactor.text(check.summary)
        check.next_action = self.redactor.text(check.next_action)
        check.evidence = [self.redactor.text(e) for e in check.evidence]
        self.report.checks.append(check)
        return check

    def say(self, priority: int, sentence: str) -> None:
        """Offer a verdict sentence; the lowest priority number wins."""
        self.verdicts.append((priority, self.redactor.text(sentence)))

    def run(self) -> TriageReport:
        """Run every step and choose the verdict."""
        from hotelmate_rt.contracts import load_contract

        started = time.monotonic()
        o = self.options
        env: dict[str, str] = dict(os.environ if o.env is None else o.env)
        if o.backend_env_file is not None:
            env.update(read_env_file(o.backend_env_file))
        env.update({k: v for k, v in o.overrides.items() if v})
        self.settings = PusherSettings.from_env(env)
        self.redactor.add(self.settings.secret)
        self.contract = load_contract(o.contract)
        booking_parameter = self.contract.parameters.get("booking_id")
        if booking_parameter is not None and not re.fullmatch(booking_parameter.pattern,
                                                              o.booking_id):
            raise ParameterError(f"{o.booking_id!r} does not look like a booking id "
                                 f"(e.g. {booking_parameter.example})")
        try:
            from .delivery import triage_checks  # issue 13: webhook history, outbox rows

            for check, priority, sentence in triage_checks(self.contract, self._params(),
                                                           self.redactor):
                self.add(check)
                if priority is not None and sentence:
                    self.say(priority, sentence)
            self._channels()
            self._guest_token()
            self._sent()
            if o.watch:
                self._watch()
        finally:
            self.report.duration_s = time.monotonic() - started
        self.report.verdict = self._verdict()
        return self.report

    # -- channels --------------------------------------------------------------------------

    def _params(self) -> dict[str, str]:
        """Return the booking's known scope."""
        o = self.options
        return {k: v for k, v in (("booking_id", o.booking_id), ("hotel_slug", o.hotel_slug),
                                  ("room_number", o.room_number)) if v}

    def _channels(self) -> None:
        """List the guest page's channels and ask the HTTP API who is on them now."""
        from .httpapi import HttpApiError, channel_info

        assert self.contract is not None
        params = self._params()
        missing: list[str] = []
        for channel in self.contract.readable_channels("guest"):
            need = [p for p in channel.template.parameters if p not in params]
            if need:
                missing.append(f"{channel.id} needs {', '.join(need)}")
                continue
            name = self.contract.render(channel.id, **params)
            self.guest_channels.append((name, channel.id))
            self.report.channels.append(ChannelState(channel.id, name, "guest",
                                                     channel.kind.value))
        if missing:
            self.add(Check("booking.channels", Section.BOOKING, "Channels of the guest page",
                           Status.SKIP, "some channels could not be named: " + "; ".join(missing),
                           next_action="pass --hotel and --room to check them too",
                           code="missing-parameter"))
        if not self.settings.has_credentials:
            self.add(Check("booking.occupied", Section.BOOKING, "Is the guest page connected?",
                           Status.SKIP, "skipped: no PUSHER_APP_ID/KEY/SECRET to ask the HTTP API",
                           next_action="run with the backend's PUSHER_* settings"))
            return
        timeout = self.options.step_timeout
        for state in self.report.channels:
            try:
                info = channel_info(self.settings, state.name, timeout)
            except HttpApiError as exc:
                state.error = str(exc)
                continue
            state.occupied = info.occupied
            state.subscription_count = info.subscription_count
        booking_state = next((s for s in self.report.channels if s.channel_id == "guest-booking"),
                             None)
        evidence = [f"{s.name}: " + (s.error or f"occupied {s.occupied}, subscription_count "
                                     f"{s.subscription_count}") for s in self.report.channels]
        now = _when(time.time())
        if booking_state is None:
            return
        if booking_state.error:
            self.add(Check("booking.occupied", Section.BOOKING, "Is the guest page connected?",
                           Status.FAIL, f"the HTTP API did not answer: {booking_state.error}",
                           evidence, "run `hotelmate-rt doctor` for the credentials",
                           code="http-api"))
            self.say(1, f"Cannot tell: the Pusher HTTP API refused the question "
                        f"({booking_state.error}).")
        elif not booking_state.occupied:
            self.add(Check("booking.occupied", Section.BOOKING, "Is the guest page connected?",
                           Status.FAIL, f"no subscriber on {booking_state.name} (checked {now})",
                           evidence, "ask the guest to reload the booking page; if it stays "
                           "empty, check the page subscribes to this exact channel "
                           "(`hotelmate-rt doctor --frontend-src`)", code="no-subscriber",
                           data={"checked_at": now}))
            self.say(3, f"The guest page is not connected: no subscriber on "
                        f"{booking_state.name} right now ({now}).")
        else:
            count = booking_state.subscription_count
            shown = f"{count} subscriber(s)" if count is not None else "occupied"
            self.add(Check("booking.occupied", Section.BOOKING, "Is the guest page connected?",
                           Status.PASS, f"{shown} on {booking_state.name} (checked {now})",
                           evidence))
            self.say(9, f"The guest page is connected ({shown} on {booking_state.name}); "
                        "no problem found in what was checked.")

    # -- guest token -----------------------------------------------------------------------

    def _guest_token(self) -> None:
        """With a guest token: it must authorize the booking's channels and refuse others."""
        from .authcheck import post_auth

        o = self.options
        title = "Guest token authorizes this booking's channels (and only those)"
        if not o.guest_token or not o.auth_endpoint:
            if o.guest_token and not o.auth_endpoint:
                self.add(Check("booking.token", Section.BOOKING, title, Status.SKIP,
                               "skipped: --guest-token needs --auth-endpoint"))
            return
        assert self.contract is not None
        evidence: list[str] = []
        refused: list[str] = []
        for name, _ in self.guest_channels:
            if not name.startswith(("private-", "presence-")):
                continue
            answer = post_auth(o.auth_endpoint, name, token=o.guest_token,
                               timeout=o.step_timeout, origin=o.origin)
            evidence.append(f"{name}: {answer.describe()}")
            if not answer.signed:
                refused.append(f"{name} ({answer.describe()})")
        leaks: list[str] = []
        other = "BK-0000-0001" if o.booking_id != "BK-0000-0001" else "BK-0000-0002"
        foreign = [self.contract.render("guest-booking", booking_id=other)]
        if o.hotel_slug and "hotel-staff" in self.contract.channels:
            foreign.append(self.contract.render("hotel-staff", hotel_slug=o.hotel_slug))
        for name in foreign:
            answer = post_auth(o.auth_endpoint, name, token=o.guest_token,
                               timeout=o.step_timeout, origin=o.origin)
            evidence.append(f"{name} (must be refused): {answer.describe()}")
            if answer.signed:
                leaks.append(name)
        if leaks:
            self.add(Check("booking.token", Section.BOOKING, title, Status.FAIL,
                           f"SECURITY: the guest token is authorized for {', '.join(leaks)}",
                           evidence, "bind guest tokens to their own booking in the auth view",
                           code="authorizes-foreign", security=True))
            self.say(0, f"Security problem: this guest's token can read {leaks[0]}.")
        if refused:
            self.add(Check("booking.token", Section.BOOKING, title, Status.FAIL,
                           f"the auth endpoint refuses the guest's own channel(s): "
                           f"{'; '.join(refused)}", evidence,
                           "check the token is this booking's and not expired",
                           code="own-refused"))
            self.auth_refused = refused
            self.say(2, f"The guest page cannot subscribe: the auth endpoint refuses "
                        f"{refused[0]}.")
        elif not leaks:
            self.add(Check("booking.token", Section.BOOKING, title, Status.PASS,
                           "signs the booking's private channels and refuses the others",
                           evidence))

    # -- what was sent ---------------------------------------------------------------------

    def _mentions(self, text: str) -> bool:
        """Tell whether a text mentions this booking (id in a channel or a payload)."""
        return self.options.booking_id in text

    def _sent(self) -> None:
        """Read the dead-letter file and the structured log for this booking."""
        from hotelmate_rt.emitters import DeadLetterFile

        o = self.options
        dead_path = o.dead_letter
        if dead_path is None:
            from hotelmate_rt.emitters import default_dead_letter_path

            candidate = default_dead_letter_path()
            dead_path = candidate if DeadLetterFile(candidate).exists() else None
        title = "Events for this booking that failed to send (dead letter)"
        if dead_path is None:
            self.add(Check("sent.dead-letter", Section.SENT, title, Status.SKIP,
                           "skipped: no dead-letter file (--dead-letter or "
                           "HOTELMATE_RT_DEAD_LETTER)"))
        elif not DeadLetterFile(dead_path).exists():  # a stranded FILE.replaying-PID counts
            self.add(Check("sent.dead-letter", Section.SENT, title, Status.PASS,
                           f"{dead_path} does not exist: nothing has failed to send"))
        else:
            self._dead_letter(dead_path, title)
        if o.log_file is not None:
            self._log(o.log_file)

    def _dead_letter(self, path: Path, title: str) -> None:
        """Report this booking's dead-lettered events, newest first."""
        from hotelmate_rt.emitters import DeadLetterFile

        try:
            entries = DeadLetterFile(path).scan().entries  # with stranded replay claims
        except (ValueError, OSError) as exc:
            self.add(Check("sent.dead-letter", Section.SENT, title, Status.FAIL,
                           f"the dead-letter file cannot be read: {exc}", code="unreadable"))
            return
        mine = [e for e in entries if any(self._mentions(c) for c in e.channels)
                or self._mentions(e.data) or o_in(e.ids, self.options.booking_id)]
        mine.sort(key=lambda e: e.failed_at, reverse=True)
        for entry in mine[: self.options.recent]:
            self.report.sent.append({
                "source": "dead-letter", "event": entry.event, "channels": entry.channels,
                "outcome": "failed", "error": self.redactor.text(entry.error),
                "status": entry.status, "attempts": entry.attempts,
                "at": _when(entry.failed_at), "replays": entry.replays})
        if not mine:
            self.add(Check("sent.dead-letter", Section.SENT, title, Status.PASS,
                           f"nothing for {self.options.booking_id} in {path} "
                           f"({len(entries)} entries for other bookings)"))
            return
        last = mine[0]
        evidence = [f"{_when(e.failed_at)} {e.event} -> {', '.join(e.channels)}: {e.error}"
                    + (f" (HTTP {e.status})" if e.status else "") for e in mine[:10]]
        self.add(Check("sent.dead-letter", Section.SENT, title, Status.FAIL,
                       f"{len(mine)} event(s) for this booking were never delivered; the last: "
                       f"{last.event} at {_when(last.failed_at)} ({last.error})", evidence,
                       "fix the cause, then `hotelmate-rt emit replay` the dead letter",
                       code="dead-lettered"))
        self.say(4, f"{len(mine)} event(s) for this booking never reached Pusher: the last was "
                    f"{last.event} at {_when(last.failed_at)} ({last.error}).")

    def _log(self, path: Path) -> None:
        """Report this booking's emit lines from the backend's structured log."""
        title = "Emitter log for this booking"
        try:
            lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
        except OSError as exc:
            self.add(Check("sent.log", Section.SENT, title, Status.SKIP,
                           f"cannot read {path}: {exc.strerror or exc}"))
            return
        seen: list[dict[str, Any]] = []
        for line in lines:
            match = _EMIT_LINE.search(line)
            if match is None or not self._mentions(line):
                continue
            try:
                fields = json.loads(match.group(2))
            except ValueError:
                continue
            if isinstance(fields, dict):
                fields.setdefault("outcome", match.group(1))
                seen.append(fields)
        recent = seen[-self.options.recent:]
        for fields in recent:
            self.report.sent.append({"source": "log", **self.redactor.value(fields)})
        failed = [f for f in recent if f.get("outcome") in {"failed", "refused"}]
        evidence = [f"{f.get('outcome')} {f.get('event')} -> {', '.join(f.get('channels') or [])}"
                    + (f": {f.get('error')}" if f.get("error") else "") for f in recent[-10:]]
        if not recent:
            self.add(Check("sent.log", Section.SENT, title, Status.WARN,
                           f"the log has no emit line for {self.options.booking_id}: the backend "
                           "may not emit for this booking at all", evidence,
                           "check the staff action calls the emitter (`hotelmate-rt scan`)",
                           code="nothing-emitted"))
            self.say(5, f"The backend log shows no event sent for {self.options.booking_id}.")
        elif failed:
            self.add(Check("sent.log", Section.SENT, title, Status.FAIL,
                           f"{len(failed)} of the last {len(recent)} emit(s) failed or were "
                           "refused", evidence, "read the errors above", code="emit-failed"))
            self.say(4, f"The backend's last emits for this booking failed: "
                        f"{failed[-1].get('event')} ({failed[-1].get('error')}).")
        else:
            self.add(Check("sent.log", Section.SENT, title, Status.PASS,
                           f"{len(recent)} emit(s) for this booking, none failed", evidence))

    # -- watch -----------------------------------------------------------------------------

    def _expected(self) -> list[tuple[str, str]]:
        """Resolve --expect into (event, concrete channel) pairs on the watched channels."""
        assert self.contract is not None
        names: list[str] = []
        for item in self.options.expect:
            if "->" in item:
                source, target = (s.strip() for s in item.split("->", 1))
                machine = self.contract.state_machine("booking")
                source = machine.canonical_state(source)[0]
                target = machine.canonical_state(target)[0]
                transition = machine.find(source, target)
                if transition is None:
                    raise ParameterError(f"--expect {item!r}: the booking status machine has no "
                                         f"transition {source} -> {target}")
                names.extend(transition.emits)
            elif item in self.contract.actions:
                names.extend(step.event for step in self.contract.actions[item].steps)
            else:
                self.contract.event(item)  # UnknownName with "did you mean"
                names.append(item)
        watched = {name for name, _ in self._watch_channels()}
        pairs: list[tuple[str, str]] = []
        params = self._params()
        for event in dict.fromkeys(names):
            for channel in self.contract.events[event].channels:
                try:
                    name = self.contract.render(channel, **params)
                except HotelmateRtError:
                    continue
                if name in watched:
                    pairs.append((event, name))
        return pairs

    def _watch_channels(self) -> list[tuple[str, str]]:
        """Return the guest's channels plus, with a staff token, the staff channels."""
        assert self.contract is not None
        channels = list(self.guest_channels)
        if self.options.staff_token and self.options.hotel_slug:
            for channel in self.contract.readable_channels("staff"):
                try:
                    name = self.contract.render(channel.id, **self._params())
                except HotelmateRtError:
                    continue
                if (name, channel.id) not in channels:
                    channels.append((name, channel.id))
        return channels

    def _authorizer(self, token: str | None) -> Any:
        """Return an endpoint authorizer for a token, a local signer, or None."""
        from hotelmate_rt.probes.auth import EndpointAuthorizer, LocalSigner

        o = self.options
        if token and o.auth_endpoint:
            return EndpointAuthorizer(o.auth_endpoint, token, self.settings.key,
                                      o.step_timeout, redactor=self.redactor, origin=o.origin)
        if self.settings.secret:
            return LocalSigner(self.settings.key, self.settings.secret)
        return None

    def _watch(self) -> None:
        """Listen as guest and staff for `watch` seconds; compare with what was expected."""
        from hotelmate_rt.probes.connection import ServerAddress

        from .wire import Listener

        o = self.options
        assert self.contract is not None and o.watch
        title = f"Watch for {o.watch:g} s"
        expected = self._expected()
        server = ServerAddress(self.settings.key, self.settings.ws_host, self.settings.ws_port,
                               self.settings.ssl)
        listeners: list[Listener] = []
        guest_auth = self._authorizer(o.guest_token)
        guest_names = [(n, cid) for n, cid in self.guest_channels
                       if guest_auth is not None or not n.startswith(("private-", "presence-"))]
        if guest_names:
            listeners.append(Listener(server, guest_names, guest_auth, o.step_timeout,
                                      self.redactor, self.contract,
                                      "guest" if o.guest_token else "guest (signed locally)"))
        staff_names = [c for c in self._watch_channels() if c not in self.guest_channels]
        staff_auth = self._authorizer(o.staff_token) if staff_names else None
        if staff_names and staff_auth is not None:
            listeners.append(Listener(server, staff_names, staff_auth, o.step_timeout,
                                      self.redactor, self.contract,
                                      "staff"))
        if not listeners:
            self.add(Check("watch", Section.WATCH, title, Status.SKIP,
                           "skipped: nothing to listen to (pass --guest-token/--staff-token "
                           "with --auth-endpoint, or the app secret)"))
            return
        for listener in listeners:
            listener.start()
        try:
            ready_by = time.monotonic() + o.step_timeout
            for listener in listeners:
                listener.wait_ready(ready_by)
            not_ready = [lst for lst in listeners if not lst.ready]
            if not_ready:
                evidence = [f"{lst.label}: {lst.fatal or 'not subscribed in time'}"
                            for lst in not_ready]
                self.add(Check("watch", Section.WATCH, title, Status.FAIL,
                               f"could not listen as {', '.join(lst.label for lst in not_ready)}",
                               evidence, "run `hotelmate-rt doctor` with the same options",
                               code="cannot-listen"))
                self.say(2, f"Could not listen as {not_ready[0].label}: "
                            f"{not_ready[0].fatal or 'not subscribed in time'}.")
                return
            end = time.monotonic() + o.watch
            remaining = set(expected)

            def all_seen() -> bool:
                """Tell whether every expected (event, channel) arrived."""
                for listener in listeners:
                    for got in listener.received:
                        remaining.discard((got.event, got.channel))
                return bool(expected) and not remaining

            while time.monotonic() < end and not all_seen():
                for listener in listeners:
                    listener.pump(min(end, time.monotonic() + 0.05))
        finally:
            for listener in listeners:
                listener.close()
        self._watch_report(title, expected, listeners)

    def _watch_report(self, title: str, expected: list[tuple[str, str]],
                      listeners: list[Listener]) -> None:
        """Report which expected events arrived, which did not, and what came instead."""
        received = [(lst.label, got) for lst in listeners for got in lst.received]
        arrived = {(got.event, got.channel) for _, got in received}
        missing = [pair for pair in expected if pair not in arrived]
        expected_set = set(expected)
        instead = [(label, got) for label, got in received
                   if (got.event, got.channel) not in expected_set]
        bad = [(label, got) for label, got in received
               if got.verdict is not None and not got.verdict.ok]
        self.report.watch = {
            "seconds": self.options.watch,
            "listening_as": [lst.label for lst in listeners],
            "channels": sorted({n for lst in listeners for n, _ in lst.channels}),
            "expected": [{"event": e, "channel": c, "arrived": (e, c) in arrived}
                         for e, c in expected],
            "received": [{"as": label, **got.to_dict()} for label, got in received],
            "unexpected": [{"as": label, **got.to_dict()} for label, got in instead],
        }
        evidence = [f"{'arrived' if (e, c) in arrived else 'MISSING'}: {e} on {c}"
                    for e, c in expected]
        for label, got in received:
            verdict = "conforms" if got.verdict is None or got.verdict.ok else \
                "; ".join(f.message for f in got.verdict.findings)
            evidence.append(f"as {label}: {got.event} on {got.channel} ({verdict})")
        if missing:
            event, channel = missing[0]
            instead_text = ", ".join(sorted({got.event for _, got in instead})) or "nothing"
            self.add(Check("watch", Section.WATCH, title, Status.FAIL,
                           f"{len(missing)} expected event(s) never arrived (first: {event} on "
                           f"{channel}); arrived instead: {instead_text}", evidence,
                           "check the staff action emits these events (dead letter, log, "
                           "`hotelmate-rt scan`)", code="missing-events"))
            self.say(2, f"{event} never reached {channel} during the "
                        f"{self.options.watch:g} s watch (arrived instead: {instead_text}).")
        elif bad:
            label, got = bad[0]
            self.add(Check("watch", Section.WATCH, title, Status.FAIL,
                           f"{len(bad)} event(s) arrived but break the contract (first: "
                           f"{got.event} on {got.channel})", evidence,
                           "fix the payload or names the backend sends", code="violations"))
            self.say(3, f"{got.event} arrived on {got.channel} but the page may ignore it: "
                        f"{got.verdict.findings[0].message if got.verdict else ''}.")
        elif expected:
            self.add(Check("watch", Section.WATCH, title, Status.PASS,
                           f"every expected event arrived ({len(expected)})", evidence))
            self.say(8, f"Every expected event reached the guest's channels during the watch "
                        f"({', '.join(sorted({e for e, _ in expected}))}).")
        elif received:
            self.add(Check("watch", Section.WATCH, title, Status.PASS,
                           f"{len(received)} event(s) arrived", evidence))
        else:
            self.add(Check("watch", Section.WATCH, title, Status.WARN,
                           f"nothing arrived in {self.options.watch:g} s", evidence,
                           "perform the staff action during --watch, or pass --expect",
                           code="nothing"))
            self.say(6, f"Nothing arrived on the booking's channels during the "
                        f"{self.options.watch:g} s watch.")

    # -- verdict ---------------------------------------------------------------------------

    def _verdict(self) -> str:
        """Pick the most important sentence (the lowest priority number)."""
        if not self.verdicts:
            return (f"No problem found for {self.options.booking_id} with what was checked; "
                    "pass --guest-token/--auth-endpoint, --dead-letter or --watch for more.")
        self.verdicts.sort(key=lambda v: v[0])
        top = self.verdicts[0]
        delivered = next((text for priority, text in self.verdicts if priority == 8), None)
        if delivered is not None and top[0] < 8:
            return f"{top[1]} The backend side works: {delivered[0].lower()}{delivered[1:]}"
        return top[1]


def o_in(ids: Mapping[str, str], booking_id: str) -> bool:
    """Tell whether an id mapping names this booking."""
    return ids.get("booking_id") == booking_id


def run_triage(options: TriageOptions) -> TriageReport:
    """Run one triage and return its report (raises only when it cannot run)."""
    return Triage(options).run()
