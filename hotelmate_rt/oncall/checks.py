"""Declared checks and the one runner that doctor and triage share.

A check is declared once, where its logic is, with what it needs:

    @DOCTOR.check("round-trip", Section.ROUND_TRIP, "Round trip (emitter -> server -> probe)",
                  needs=("credentials", "http-api.credentials", "websocket.connect"))
    def round_trip(ctx: DoctorContext) -> Outcome: ...

A need is another check's id (met when that check passed or warned) or a fact (a function of the
context declared with `@DOCTOR.fact`, returning None when it holds, else the reason it does not).
`only_if` facts decide whether a check applies at all (an option the user did not give): when one
does not hold, the check is left out, not skipped.

`Checklist.run(ctx)` orders the checks by their needs (then by section and declaration order),
skips a check whose need is unmet (saying which), skips what is left when the budget runs out,
turns a crash into a skipped check (never a traceback), builds each `Check` once with every text
redacted, and yields it as soon as it is done, so a terminal can show progress as it goes.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace
from typing import Any, Generic, TypeVar

from hotelmate_rt.redact import Redactor

from .model import Check, Outcome, Section, Status

__all__ = ["Budget", "CheckSpec", "Checklist", "Outcome", "RunContext", "failed", "passed",
           "skipped", "warned"]


class Budget:
    """The run's deadline: each step gets min(step timeout, what is left)."""

    def __init__(self, total: float, step: float) -> None:
        """Start the clock."""
        self.start = time.monotonic()
        self.total = total
        self.step = step

    @property
    def left(self) -> float:
        """Seconds left in the run."""
        return self.total - (time.monotonic() - self.start)

    def timeout(self, cap: float | None = None) -> float:
        """Return the timeout for the next network wait (at least 0.05 s)."""
        return max(0.05, min(self.step if cap is None else cap, self.left))

    @property
    def exhausted(self) -> bool:
        """Tell whether too little is left to run another step."""
        return self.left < 0.1


def passed(summary: str, **more: Any) -> Outcome:
    """A check that passed."""
    return Outcome(status=Status.PASS, summary=summary, **more)


def warned(summary: str, **more: Any) -> Outcome:
    """A check worth a look (does not change the exit code)."""
    return Outcome(status=Status.WARN, summary=summary, **more)


def failed(summary: str, **more: Any) -> Outcome:
    """A check that failed (exit 1)."""
    return Outcome(status=Status.FAIL, summary=summary, **more)


def skipped(summary: str, **more: Any) -> Outcome:
    """A check that could not run, and why."""
    return Outcome(status=Status.SKIP, summary=summary, **more)


class RunContext:
    """What every run shares: the redactor, the budget and the results so far."""

    def __init__(self, redactor: Redactor, budget: Budget) -> None:
        """Start with no result."""
        self.redactor = redactor
        self.budget = budget
        self.results: dict[str, Check] = {}
        self.crashes: list[str] = []

    def timeout(self, cap: float | None = None) -> float:
        """Return the timeout for the next network wait."""
        return self.budget.timeout(cap)


C = TypeVar("C", bound=RunContext)
CheckFunction = Callable[[C], Outcome | Iterable[Outcome] | None]
FactFunction = Callable[[C], str | None]


@dataclass(frozen=True, slots=True)
class CheckSpec(Generic[C]):
    """One declared check: id, section, title, needs, the facts it applies under, its function."""

    id: str
    section: Section
    title: str
    needs: tuple[str, ...]
    only_if: tuple[str, ...]
    run: CheckFunction[C]
    order: int


@dataclass(frozen=True, slots=True)
class Fact(Generic[C]):
    """A named condition on the context; `reason` returns None when it holds."""

    name: str
    reason: FactFunction[C]
    action: str = ""


class Checklist(Generic[C]):
    """The declared checks and facts of one command, and the runner that walks them."""

    def __init__(self, name: str) -> None:
        """Start empty; modules add checks and facts with the decorators."""
        self.name = name
        self.specs: list[CheckSpec[C]] = []
        self.facts: dict[str, Fact[C]] = {}

    def check(self, check_id: str, section: Section, title: str, *, needs: Iterable[str] = (),
              only_if: Iterable[str] = ()) -> Callable[[CheckFunction[C]], CheckFunction[C]]:
        """Declare a check (decorator)."""

        def declare(function: CheckFunction[C]) -> CheckFunction[C]:
            if any(spec.id == check_id for spec in self.specs):
                raise ValueError(f"{self.name}: check {check_id!r} is declared twice")
            self.specs.append(CheckSpec(check_id, section, title, tuple(needs), tuple(only_if),
                                        function, len(self.specs)))
            return function

        return declare

    def fact(self, name: str, *, action: str = "") -> Callable[[FactFunction[C]], FactFunction[C]]:
        """Declare a fact (decorator): the function returns None when it holds, else why not."""

        def declare(function: FactFunction[C]) -> FactFunction[C]:
            self.facts[name] = Fact(name, function, action)
            return function

        return declare

    def ordered(self) -> list[CheckSpec[C]]:
        """Return the checks in walking order, each after the checks it needs."""
        ids = {spec.id for spec in self.specs}
        for spec in self.specs:
            unknown = [n for n in spec.needs if n not in ids and n not in self.facts]
            unknown += [n for n in spec.only_if if n not in self.facts]
            if unknown:
                raise ValueError(f"{self.name}: check {spec.id!r} needs {unknown}, which name "
                                 "no check or fact")
        sections = list(Section)
        pending = sorted(self.specs, key=lambda s: (sections.index(s.section), s.order))
        done: set[str] = set()
        out: list[CheckSpec[C]] = []
        while pending:
            ready = next((s for s in pending if all(n in done or n not in ids for n in s.needs)),
                         None)
            if ready is None:
                raise ValueError(f"{self.name}: checks need each other in a cycle: "
                                 f"{[s.id for s in pending]}")
            pending.remove(ready)
            done.add(ready.id)
            out.append(ready)
        return out

    def run(self, ctx: C, on_start: Callable[[CheckSpec[C]], None] | None = None
            ) -> Iterator[Check]:
        """Run every applicable check in order and yield each result as soon as it is built."""
        for spec in self.ordered():
            if any(self.facts[name].reason(ctx) is not None for name in spec.only_if):
                continue
            if on_start is not None:
                on_start(spec)
            unmet = self._unmet(spec, ctx)
            if unmet is not None:
                yield self._build(ctx, spec, unmet, 0.0)
                continue
            if ctx.budget.exhausted:
                yield self._build(ctx, spec, skipped(
                    f"not run: the {ctx.budget.total:g} s budget ran out", code="budget",
                    next_action="rerun with a larger --budget or fix the slow step above"), 0.0)
                continue
            started = time.perf_counter()
            try:
                result = spec.run(ctx)
                outcomes = [result] if isinstance(result, Outcome) else result or []
                for outcome in outcomes:
                    now = time.perf_counter()
                    yield self._build(ctx, spec, outcome, (now - started) * 1000)
                    started = now
            except Exception as exc:  # a bug in one check must not hide the others
                message = ctx.redactor.text(f"{type(exc).__name__}: {exc}")
                ctx.crashes.append(message)
                yield self._build(ctx, spec, skipped(
                    f"the {self.name} could not run this step ({message})",
                    next_action="report this as a hotelmate-rt bug", code=f"{self.name}-error"),
                    (time.perf_counter() - started) * 1000)

    def collect(self, ctx: C, into: list[Check], on_check: Callable[[Check], None] | None = None,
                on_start: Callable[[CheckSpec[C]], None] | None = None) -> None:
        """Run every check into `into`, telling `on_check` about each one as soon as it is done."""
        for check in self.run(ctx, on_start):
            into.append(check)
            if on_check is not None:
                on_check(check)

    def _unmet(self, spec: CheckSpec[C], ctx: C) -> Outcome | None:
        """Return the skip for the first unmet need, or None when every need is met."""
        for need in spec.needs:
            fact = self.facts.get(need)
            if fact is not None:
                reason = fact.reason(ctx)
                if reason is not None:
                    return skipped(f"skipped: {reason}", next_action=fact.action,
                                   code="skipped")
                continue
            result = ctx.results.get(need)
            if result is None or result.status not in (Status.PASS, Status.WARN):
                state = "did not run" if result is None else \
                    {"fail": "failed", "skip": "was skipped"}[result.status.value]
                title = result.title if result is not None else need
                return skipped(f"skipped: needs {need} ({title}), which {state} (see above)",
                               code="skipped")
        return None

    @staticmethod
    def _build(ctx: C, spec: CheckSpec[C], outcome: Outcome, duration_ms: float) -> Check:
        """Build the one Check of an outcome, redacting every text once, here."""
        text = ctx.redactor.text
        check = Check(id=outcome.id or spec.id, section=spec.section,
                      title=text(outcome.title or spec.title),
                      status=outcome.status,
                      summary=text(outcome.summary), evidence=[text(e) for e in outcome.evidence],
                      next_action=text(outcome.next_action), code=outcome.code,
                      security=outcome.security, duration_ms=duration_ms,
                      data=ctx.redactor.value(outcome.data))
        ctx.results.setdefault(spec.id, check)
        if check.id != spec.id:
            ctx.results[check.id] = check
        return check


def with_id(outcome: Outcome, check_id: str, title: str) -> Outcome:
    """Return the outcome as a sub-check with its own id and title (one result per channel)."""
    return replace(outcome, id=check_id, title=title)
