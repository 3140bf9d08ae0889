"""The probe's stream (listen / record): a line per event for people, or NDJSON for machines.

For people, a session on many channels stays readable: above `MANY_CHANNELS` channels the
channels, subscriptions and refusals are told per channel template (contract channel id) with
counts, once a second, instead of a line per channel; events above `MAX_LINES_PER_SECOND` fold
into one line per second per template. Also the verdict lines that `check` and the demo print,
and the fatal-error record that ends a machine-readable stream.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from hotelmate_rt.cli.output import Format, Reporter, Sink, StreamReporter, escape
from hotelmate_rt.contracts import Verdict, VerdictKind
from hotelmate_rt.rules import Level

if TYPE_CHECKING:
    from hotelmate_rt.probes import ProbeEvent, ProbeSummary

MAX_LINES_PER_SECOND = 25
MANY_CHANNELS = 12
DATA_CHARS = 2000
NOT_IN_CONTRACT = "(not in contract)"
SOURCES = {"auth-endpoint": "auth endpoint", "server": "server"}
"""How a subscription failure's source reads in a sentence."""
_LEVEL_STYLE = {Level.NOTE: "green", Level.WARNING: "yellow", Level.ERROR: "red"}


def style(kind: VerdictKind) -> str:
    """The colour of a verdict kind: by its level, with exposed secrets in magenta."""
    if kind is VerdictKind.SENSITIVE_EXPOSED:
        return "magenta"
    return _LEVEL_STYLE.get(kind.level, "red")


def clock(at: float) -> str:
    """Show a wall-clock time to the millisecond (local time)."""
    return f"{time.strftime('%H:%M:%S', time.localtime(at))}{f'{at % 1:.3f}'[1:]}"


def verdict_line(verdict: Verdict, at: float | None = None) -> str:
    """One rich line for an event: time, mark, channel, event name and verdict kinds."""
    styled = " ".join(f"[{style(k)}]{k.value}[/]" for k in verdict.kinds)
    mark = "[green]✓[/]" if verdict.ok else "[red]✗[/]"
    stamp = f"[dim]{clock(at)}[/] " if at is not None else ""
    return f"{stamp}{mark} {escape(verdict.channel)}  [bold]{escape(verdict.event)}[/]  {styled}"


def finding_lines(verdict: Verdict) -> list[str]:
    """One indented rich line per finding (with its JSON path when the message lacks it)."""
    lines = []
    for finding in verdict.findings:
        path = f" {finding.path}" if finding.path and finding.path not in finding.message else ""
        lines.append(f"    [{style(finding.kind)}]{finding.kind.value}[/]{escape(path)}: "
                     f"{escape(finding.message)}")
    return lines


def data_line(data: Any) -> str:
    """The payload of an event as one dim indented line (shortened past DATA_CHARS)."""
    text = data if isinstance(data, str) else json.dumps(data, ensure_ascii=False, default=str)
    if len(text) > DATA_CHARS:
        text = f"{text[:DATA_CHARS]}… ({len(text)} characters)"
    return f"    [dim]data:[/] {escape(text)}"


def by_template(names: Sequence[tuple[str, str | None]]) -> str:
    """Count channels per contract channel id: 'guest-booking 1000, hotel-public 1'."""
    counts = Counter(cid or NOT_IN_CONTRACT for _, cid in names)
    return ", ".join(f"{escape(cid)} {n}" for cid, n in counts.most_common())


class NdjsonRenderer:
    """One JSON line per probe event, then the summary line (payloads are always in it)."""

    show_data = True

    def __init__(self, sink: Sink) -> None:
        """Write to `sink`."""
        self.sink = sink

    def begin(self, who: str, channels: Sequence[tuple[str, str | None]],
              summary: ProbeSummary) -> None:
        """Nothing precedes the first event."""

    def show(self, event: ProbeEvent) -> None:
        """Write the event as one JSON line."""
        self.sink.ndjson(event.to_dict())

    def end(self, summary: ProbeSummary, recording: str | None) -> None:
        """Write the summary as the last JSON line."""
        data = summary.to_dict()
        if recording:
            data["recording"] = recording
        self.sink.ndjson(data)


class TextRenderer:
    """Rich lines for people; above MAX_LINES_PER_SECOND, one aggregate line per second."""

    def __init__(self, sink: Sink) -> None:
        """Write to `sink` (a live status line is added on a terminal)."""
        self.console = sink.console()
        self.summary: ProbeSummary | None = None
        self.show_data = False
        self._window = 0.0
        self._lines = 0
        self._held: dict[str, Counter[str]] = {}
        self._held_events = 0
        self._live: Any = None
        self._many = False
        self._template: dict[str, str] = {}
        self._subscribed: list[tuple[str, str | None]] = []
        self._again = False
        self._refused: dict[tuple[str, int | None, str], list[str]] = {}

    def begin(self, who: str, channels: Sequence[tuple[str, str | None]],
              summary: ProbeSummary) -> None:
        """Print who listens where and start the status line (counts from `summary`)."""
        self.summary = summary
        self._template = {name: cid or NOT_IN_CONTRACT for name, cid in channels}
        self._many = len(channels) > MANY_CHANNELS
        if self._many:
            first, last = channels[0][0], channels[-1][0]
            self.console.print(f"[bold]listening as {escape(who)}[/] on {len(channels)} "
                               f"channels: {by_template(channels)} [dim]({escape(first)} … "
                               f"{escape(last)})[/]")
        else:
            names = ", ".join(name for name, _ in channels)
            self.console.print(f"[bold]listening as {escape(who)}[/] on {escape(names)}")
        if self.console.is_terminal:
            from rich.live import Live

            self._live = Live(self._status(), console=self.console, refresh_per_second=4,
                              transient=True, get_renderable=self._status)
            self._live.start()

    def _status(self) -> Any:
        """Render the status line: counts so far."""
        from rich.text import Text

        s = self.summary
        assert s is not None
        return Text(f"… {s.events} event(s), {s.violations} violation(s), {len(s.gaps)} gap(s)",
                    style="dim")

    def _print(self, text: str) -> None:
        """Print one line above the live status."""
        self.console.print(text, highlight=False)

    def _flush_held(self) -> None:
        """Print what was folded: subscriptions and refusals, then events, per template."""
        self._flush_channels()
        if self._held_events:
            parts = []
            for template, kinds in sorted(self._held.items(), key=lambda i: -sum(i[1].values())):
                counts = ", ".join(f"{n} {k}" for k, n in kinds.most_common())
                parts.append(f"{escape(template)} {sum(kinds.values())} ({counts})")
            self._print(f"[dim]… {self._held_events} more event(s) in the last second:[/] "
                        + "; ".join(parts))
            self._held.clear()
            self._held_events = 0

    def _flush_channels(self) -> None:
        """Print the subscriptions and refusals folded so far, per template."""
        from hotelmate_rt.probes.events import unanswered

        if self._subscribed:
            again = " again" if self._again else ""
            self._print(f"[cyan]subscribed{again}[/] {len(self._subscribed)} channel(s): "
                        f"{by_template(self._subscribed)}")
            self._subscribed.clear()
        for (source, status, reason), names in self._refused.items():
            shown = ", ".join(escape(n) for n in names[:3]) + (" …" if len(names) > 3 else "")
            if unanswered(status, reason):
                self._print(f"[bold red]not subscribed[/] {len(names)} channel(s): no answer "
                            f"from the {SOURCES.get(source, source)} ({escape(reason)}) "
                            f"[dim]({shown})[/]")
                continue
            self._print(f"[bold red]subscription refused[/] {len(names)} channel(s) by {source}"
                        f"{f' (status {status})' if status is not None else ''}: "
                        f"{escape(reason)} [dim]({shown})[/]")
        self._refused.clear()

    def show(self, event: ProbeEvent) -> None:
        """Print one event line (or fold it into the per-second aggregate)."""
        from hotelmate_rt.probes import Judged, Subscribed, SubscriptionFailed

        now = time.monotonic()
        if now - self._window >= 1.0:
            self._flush_held()
            self._window = now
            self._lines = 0
        if isinstance(event, Judged):
            if self._lines >= MAX_LINES_PER_SECOND:
                self._held_events += 1
                template = event.verdict.channel_id or self._template.get(event.channel,
                                                                          NOT_IN_CONTRACT)
                held = self._held.setdefault(template, Counter())
                for kind in event.kinds:
                    held[kind.value] += 1
                return
            self._lines += 1
            self._flush_channels()
            self._print(verdict_line(event.verdict, event.at))
            for line in finding_lines(event.verdict):
                self._print(line)
            if self.show_data:
                self._print(data_line(event.data))
            return
        if self._many and isinstance(event, Subscribed):
            self._again = event.resubscribed
            self._subscribed.append((event.channel, event.channel_id))
            if len(self._subscribed) >= len(self._template):
                self._flush_held()
            return
        if self._many and isinstance(event, SubscriptionFailed):
            key = (event.source, event.status, event.reason or event.meaning)
            self._refused.setdefault(key, []).append(event.channel)
            return
        self._flush_channels()
        self._print(describe(event))

    def end(self, summary: ProbeSummary, recording: str | None) -> None:
        """Stop the status line and print the summary."""
        from hotelmate_rt.probes.events import unanswered

        self._flush_held()
        if self._live is not None:
            self._live.stop()
        colour = "green" if summary.ok else "red"
        counts = ", ".join(f"{n} {k}" for k, n in summary.kinds.most_common()) or "no events"
        stopped = f"; stopped: {escape(summary.stopped)}" if summary.error is None else ""
        self.console.print(f"[bold {colour}]{summary.events} event(s), {summary.violations} "
                           f"violation(s)[/] ({counts}){stopped}")
        if self._many and summary.per_channel:
            per = ", ".join(f"{escape(t)} {n}" for t, n in summary.per_channel.most_common(10))
            self.console.print(f"[dim]events per channel template:[/] {per}")
        if not summary.listened:
            why = "no channel was subscribed" if summary.connected else "never connected"
            self.console.print(f"[red]nothing was listened to: {why}[/]")
        if summary.gaps:
            total = sum(g.seconds for g in summary.gaps)
            self.console.print(f"[yellow]{len(summary.gaps)} gap(s), {total:.1f} s in total: "
                               "events sent during a gap may have been missed[/]")
        silent = sorted(n for n, why in summary.refused.items() if unanswered(None, why))
        refused = sorted(n for n in summary.refused if n not in silent)
        for names, what in ((refused, "refused"), (silent, "not subscribed: no answer")):
            if names:
                shown = ", ".join(escape(n) for n in names[:3])
                self.console.print(f"[red]{len(names)} channel(s) {what}[/] ({shown}"
                                   f"{' …' if len(names) > 3 else ''})")
        if summary.frame_findings:
            kinds = ", ".join(f"{n} {k}" for k, n in summary.frame_problems.most_common())
            self.console.print(f"[red]{summary.frame_findings} malformed or unexpected "
                               f"frame(s)[/] ({kinds})")
        if summary.until and not summary.until_seen:
            self.console.print(f"[red]never saw {escape(summary.until)}[/]")
        if recording:
            self.console.print(f"[dim]recorded to {escape(recording)}[/]")


def describe(event: ProbeEvent) -> str:
    """One rich line for a connection, subscription, error, gap or note event."""
    from hotelmate_rt.probes import (
        FrameProblem,
        Gap,
        Note,
        PusherError,
        StateChanged,
        Subscribed,
        SubscriptionFailed,
    )

    if isinstance(event, StateChanged):
        extra = f" (socket {event.socket_id}, activity timeout {event.activity_timeout:g} s)" \
            if event.state == "connected" and event.activity_timeout else ""
        reason = f": {escape(event.reason)}" if event.reason and event.state != "stopped" else ""
        return f"[cyan]connection {event.state}[/]{extra}{reason}"
    if isinstance(event, Subscribed):
        again = " again" if event.resubscribed else ""
        return f"[cyan]subscribed{again}[/] {escape(event.channel)}" \
               f" [dim]({escape(event.channel_id or 'not in contract')})[/]"
    if isinstance(event, SubscriptionFailed) and event.unanswered:
        return f"[bold red]not subscribed[/] {escape(event.channel)}: no answer from the " \
               f"{SOURCES.get(event.source, event.source)} ({escape(event.reason)}); " \
               f"{escape(event.meaning)}"
    if isinstance(event, SubscriptionFailed):
        return f"[bold red]subscription refused[/] {escape(event.channel)} by " \
               f"{event.source}{'' if event.status is None else f' (status {event.status})'}: " \
               f"{escape(event.reason)}; " \
               f"{escape(event.meaning)}"
    if isinstance(event, PusherError):
        return f"[red]pusher:error[/] code {event.code}: {escape(event.message)}"
    if isinstance(event, Gap):
        back = "back" if event.recovered else "still blind when the session ended at"
        return f"[bold yellow]gap[/] {event.seconds:.1f} s: disconnected " \
               f"{time.strftime('%H:%M:%S', time.localtime(event.disconnected_at))}, " \
               f"{back} {time.strftime('%H:%M:%S', time.localtime(event.reconnected_at))} " \
               f"({escape(event.reason)}); events sent meanwhile may be missing"
    if isinstance(event, FrameProblem):
        colour = "red" if event.finding else "dim"
        return f"[{colour}]frame {event.kind}[/]: {escape(event.message)}"
    if isinstance(event, Note):
        return f"[dim]note: {escape(event.message)}[/]"
    return escape(event.to_dict())


REPORTER: StreamReporter[TextRenderer | NdjsonRenderer] = StreamReporter({
    Format.TEXT: TextRenderer, Format.NDJSON: NdjsonRenderer})


@dataclass(frozen=True, slots=True)
class Fatal:
    """The error that ended a stream or a check (already redacted)."""

    message: str
    status: int | None = None

    def to_dict(self) -> dict[str, Any]:
        """Describe the error as the stream's last record."""
        out: dict[str, Any] = {"type": "error", "message": self.message}
        if self.status is not None:
            out["status"] = self.status
        return out


def _fatal_text(error: Fatal, sink: Sink) -> None:
    """Nothing on stdout: people read the error line the command prints on stderr."""


def _fatal_ndjson(error: Fatal, sink: Sink) -> None:
    """The error as the stream's last JSON line."""
    sink.ndjson(error.to_dict())


FATAL: Reporter[Fatal] = Reporter({Format.TEXT: _fatal_text, Format.NDJSON: _fatal_ndjson})
