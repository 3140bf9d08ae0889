"""What every triage check reads and fills: options, settings, the booking's channels, verdicts."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hotelmate_rt.errors import HotelmateRtError, ParameterError
from hotelmate_rt.oncall.checks import Budget, Checklist, RunContext
from hotelmate_rt.oncall.model import ChannelState, SetupOptions, TriageReport
from hotelmate_rt.redact import Redactor

if TYPE_CHECKING:
    from hotelmate_rt.probes import Authorizer

DELIVERED = 8
"""The priority of the sentence saying the expected events arrived (the backend side works)."""


@dataclass(slots=True, kw_only=True)
class TriageOptions(SetupOptions):
    """Everything a triage needs; the CLI fills it from flags and the environment."""

    booking_id: str
    dead_letter: Path | None = None
    log_file: Path | None = None
    watch: float | None = None
    expect: list[str] = field(default_factory=list)
    recent: int = 20
    database: str | None = None
    """--database: the Django database alias to read the outbox and webhook history from."""


def when(ts: float) -> str:
    """Format a wall-clock time for people (UTC, seconds)."""
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


class TriageContext(RunContext):
    """One triage run over one booking; raises before any check when the input is unusable."""

    def __init__(self, options: TriageOptions) -> None:
        """Read the settings and the contract, check the booking id, resolve --expect."""
        from hotelmate_rt.contracts import load_contract, pattern_matches

        super().__init__(Redactor([options.guest_token, options.staff_token]),
                         Budget(float("inf"), options.step_timeout))
        self.options = options
        self.settings = options.read_settings()
        self.redactor.add(self.settings.secret)
        self.contract = load_contract(options.contract)
        parameter = self.contract.parameters.get("booking_id")
        if parameter is not None and not pattern_matches(parameter.pattern, options.booking_id):
            raise ParameterError(f"{options.booking_id!r} does not look like a booking id "
                                 f"(e.g. {parameter.example})")
        self.report = TriageReport(options.booking_id)
        self.verdicts: list[tuple[int, str]] = []
        self.unnamed: list[str] = []
        self.guest_channels: list[tuple[str, str]] = []
        for channel in self.contract.readable_channels("guest"):
            need = [p for p in channel.template.parameters if p not in self.params]
            if need:
                self.unnamed.append(f"{channel.id} needs {', '.join(need)}")
                continue
            name = self.contract.render(channel.id, **self.params)
            self.guest_channels.append((name, channel.id))
            self.report.channels.append(ChannelState(channel.id, name, "guest",
                                                     channel.kind.value))
        self.expected = self._expected() if options.watch else []
        self.database_problem: str | None = None  # "" once the app's tables proved readable

    @property
    def params(self) -> dict[str, str]:
        """Return the booking's known scope."""
        o = self.options
        return {k: v for k, v in (("booking_id", o.booking_id), ("hotel_slug", o.hotel_slug),
                                  ("room_number", o.room_number)) if v}

    def say(self, priority: int, sentence: str) -> None:
        """Offer a verdict sentence (redacted here, once); the lowest priority number wins."""
        self.verdicts.append((priority, self.redactor.text(sentence)))

    def verdict(self) -> str:
        """Pick the most important sentence (the lowest priority number)."""
        if not self.verdicts:
            return (f"No problem found for {self.options.booking_id} with what was checked; "
                    "pass --guest-token/--auth-endpoint, --dead-letter or --watch for more.")
        ranked = sorted(self.verdicts, key=lambda v: v[0])
        top = ranked[0]
        delivered = next((text for priority, text in ranked if priority == DELIVERED), None)
        if delivered is not None and top[0] < DELIVERED:
            return f"{top[1]} The backend side works: {delivered[0].lower()}{delivered[1:]}"
        return top[1]

    def mentions(self, text: str) -> bool:
        """Tell whether a text mentions this booking (id in a channel or a payload)."""
        return self.options.booking_id in text

    def watch_channels(self) -> list[tuple[str, str]]:
        """Return the guest's channels plus, with a staff token, the staff channels."""
        channels = list(self.guest_channels)
        if self.options.staff_token and self.options.hotel_slug:
            for channel in self.contract.readable_channels("staff"):
                try:
                    name = self.contract.render(channel.id, **self.params)
                except HotelmateRtError:
                    continue
                if (name, channel.id) not in channels:
                    channels.append((name, channel.id))
        return channels

    def authorizer(self, token: str | None) -> Authorizer | None:
        """Return an endpoint authorizer for a token, a local signer, or None."""
        from hotelmate_rt.probes import EndpointAuthorizer, LocalSigner

        o = self.options
        if token and o.auth_endpoint:
            return EndpointAuthorizer(o.auth_endpoint, token, self.settings.key, o.step_timeout,
                                      redactor=self.redactor, origin=o.origin)
        if self.settings.secret:
            return LocalSigner(self.settings.key, self.settings.secret)
        return None

    def _expected(self) -> list[tuple[str, str]]:
        """Resolve --expect into (event, concrete channel) pairs on the watched channels."""
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
            elif item.endswith("-") and item[:-1] in self.contract.state_machine("booking").states:
                raise ParameterError(f"--expect {item!r} lost its '>': quote a transition, "
                                     f"--expect '{item}>TO' (unquoted, the shell reads > as a "
                                     "redirection)")
            elif item in self.contract.actions:
                names.extend(step.event for step in self.contract.actions[item].steps)
            else:
                self.contract.event(item)  # UnknownName with "did you mean"
                names.append(item)
        watched = {name for name, _ in self.watch_channels()}
        pairs: list[tuple[str, str]] = []
        for event in dict.fromkeys(names):
            for channel in self.contract.events[event].channels:
                try:
                    name = self.contract.render(channel, **self.params)
                except HotelmateRtError:
                    continue
                if name in watched:
                    pairs.append((event, name))
        return pairs

    def keep(self, data: Any) -> Any:
        """Redact data for the report once, as it is kept."""
        return self.redactor.value(data)


TRIAGE: Checklist[TriageContext] = Checklist("triage")
"""Every triage check and fact; the modules of this package add theirs when imported."""


@TRIAGE.fact("database")
def database(ctx: TriageContext) -> str | None:
    """A Django database was named (--database) to read the outbox and webhook history from."""
    return None if ctx.options.database else "no --database given"


@TRIAGE.fact("app-database", action="run triage where the backend's settings and database are "
                                    "reachable (DJANGO_SETTINGS_MODULE)")
def app_database(ctx: TriageContext) -> str | None:
    """The app's hotelmate-rt tables (outbox, webhook history) can be read from here."""
    if ctx.database_problem is None:
        from hotelmate_rt.django.database import app_database_problem

        ctx.database_problem = app_database_problem(ctx.options.database) or ""
    return ctx.database_problem or None
