"""The declared-checks runner doctor and triage share: order, needs, budget, crashes, redaction."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from hotelmate_rt.oncall.checks import Budget, Checklist, Outcome, RunContext, failed, passed
from hotelmate_rt.oncall.doctor import DOCTOR
from hotelmate_rt.oncall.model import Section, Status
from hotelmate_rt.oncall.triage import TRIAGE
from hotelmate_rt.redact import Redactor


class CountingRedactor(Redactor):
    """A redactor that counts how often it sees each text."""

    __slots__ = ("seen",)

    def __init__(self, secrets: list[str]) -> None:
        """Remember the secrets and start counting."""
        super().__init__(secrets)
        self.seen: dict[str, int] = {}

    def text(self, value: str) -> str:
        """Count, then redact."""
        self.seen[value] = self.seen.get(value, 0) + 1
        return super().text(value)


class Ctx(RunContext):
    """A context with a few switches for the toy checklist."""

    def __init__(self, budget: float = 10.0, **facts: bool) -> None:
        """Start with the given facts true or false."""
        super().__init__(CountingRedactor(["s3cret-value"]), Budget(budget, 1.0))
        self.facts = facts


def toy() -> Checklist[Ctx]:
    """A small checklist: declared out of order, with a fact, an option and a crash."""
    checks: Checklist[Ctx] = Checklist("doctor")

    @checks.fact("online", action="plug it in")
    def online(ctx: Ctx) -> str | None:
        return None if ctx.facts.get("online", True) else "the cable is out"

    @checks.fact("asked")
    def asked(ctx: Ctx) -> str | None:
        return None if ctx.facts.get("asked", False) else "not asked"

    @checks.check("late", Section.CONFIG, "Late", needs=("second",))
    def late(ctx: Ctx) -> Outcome:
        return passed("after second")

    @checks.check("second", Section.CONFIG, "Second", needs=("first", "online"))
    def second(ctx: Ctx) -> Outcome:
        return failed("broke with s3cret-value", evidence=["s3cret-value here"], code="x")

    @checks.check("first", Section.CONFIG, "First")
    def first(ctx: Ctx) -> Iterator[Outcome]:
        yield passed("one", id="first.a", title="First A")
        yield passed("two", id="first.b", title="First B")

    @checks.check("optional", Section.HTTP_API, "Optional", only_if=("asked",))
    def optional(ctx: Ctx) -> Outcome:
        return passed("asked for")

    @checks.check("crashes", Section.WEBSOCKET, "Crashes")
    def crashes(ctx: Ctx) -> Outcome:
        raise RuntimeError("bug near s3cret-value")

    return checks


def test_checks_run_after_what_they_need_and_skip_naming_the_unmet_need() -> None:
    """Order follows needs; a failed need and an unmet fact are each named in the skip."""
    results = list(toy().run(Ctx()))
    assert [c.id for c in results] == ["first.a", "first.b", "second", "late", "crashes"]
    late = results[3]
    assert late.status is Status.SKIP
    assert late.summary == "skipped: needs second (Second), which failed (see above)"
    offline = {c.id: c for c in toy().run(Ctx(online=False))}
    assert offline["second"].summary == "skipped: the cable is out"
    assert offline["second"].next_action == "plug it in"
    assert "which was skipped" in offline["late"].summary


def test_an_option_not_given_leaves_its_check_out() -> None:
    """`only_if` facts decide whether a check applies at all (not listed, not skipped)."""
    assert "optional" not in {c.id for c in toy().run(Ctx())}
    assert "optional" in {c.id for c in toy().run(Ctx(asked=True))}


def test_a_crash_becomes_a_skipped_check_and_is_redacted() -> None:
    """A bug in one check is a skip with its cause (secret hidden), never a traceback."""
    ctx = Ctx()
    crashed = next(c for c in toy().run(ctx) if c.id == "crashes")
    assert crashed.status is Status.SKIP and crashed.code == "doctor-error"
    assert "RuntimeError: bug near ***" in crashed.summary
    assert ctx.crashes == ["RuntimeError: bug near ***"]


def test_every_text_is_redacted_once_when_the_check_is_built() -> None:
    """The runner redacts each text exactly once; the secret never reaches a Check."""
    ctx = Ctx()
    second = next(c for c in toy().run(ctx) if c.id == "second")
    assert second.summary == "broke with ***" and second.evidence == ["*** here"]
    assert ctx.redactor.seen["broke with s3cret-value"] == 1  # type: ignore[attr-defined]


def test_an_exhausted_budget_skips_what_is_left() -> None:
    """When the budget is gone, what is left is skipped (`budget`), and so is what needs it."""
    ctx = Ctx(budget=0.2)
    ctx.budget.start -= 1.0
    assert {c.id: c.code for c in toy().run(ctx)} == {
        "first": "budget", "second": "skipped", "late": "skipped", "crashes": "budget"}


def test_results_stream_as_each_check_finishes() -> None:
    """Each result is yielded before the next check starts (a terminal can show progress)."""
    events: list[str] = []
    for check in toy().run(Ctx(), on_start=lambda spec: events.append(f"start {spec.id}")):
        events.append(f"done {check.id}")
    assert events[:4] == ["start first", "done first.a", "done first.b", "start second"]


def test_declarations_are_checked() -> None:
    """An unknown need, a cycle or a duplicate id is a bug found when the list is walked."""
    checks: Checklist[Ctx] = Checklist("doctor")
    checks.check("a", Section.CONFIG, "A", needs=("b",))(lambda ctx: None)
    checks.check("b", Section.CONFIG, "B", needs=("a",))(lambda ctx: None)
    with pytest.raises(ValueError, match="cycle"):
        checks.ordered()
    with pytest.raises(ValueError, match="twice"):
        checks.check("a", Section.CONFIG, "A again")(lambda ctx: None)
    checks.check("c", Section.CONFIG, "C", needs=("no-such-fact",))(lambda ctx: None)
    with pytest.raises(ValueError, match="no-such-fact"):
        checks.ordered()


def test_the_doctor_and_triage_declarations_are_consistent() -> None:
    """The shipped checklists name only known checks and facts, in walking order."""
    doctor = [spec.id for spec in DOCTOR.ordered()]
    assert doctor[:3] == ["config.backend", "config.frontend", "config.contract"]
    assert doctor.index("round-trip") > doctor.index("websocket.connect")
    assert [spec.id for spec in TRIAGE.ordered()] == [
        "booking.channels", "booking.history", "booking.occupied", "booking.token",
        "sent.dead-letter", "sent.outbox", "sent.log", "watch"]


def test_budget_timeouts_never_exceed_what_is_left() -> None:
    """A step gets min(step timeout, what is left), at least 50 ms."""
    budget = Budget(1.0, 5.0)
    assert budget.timeout() <= 1.0
    budget.start = time.monotonic() - 2.0
    assert budget.timeout() == 0.05 and budget.exhausted


def test_titles_go_through_the_one_redaction_policy() -> None:
    """A title keeps its words ("Guest token: own channel") but loses secrets and credentials."""
    checks: Checklist[Ctx] = Checklist("doctor")

    @checks.check("titles", Section.AUTH, "Titles")
    def titles(ctx: Ctx) -> Iterator[Outcome]:
        yield passed("ok", id="t.own", title="Guest token: own channel private-booking-BK-1")
        yield passed("ok", id="t.wrong", title="wrong app secret: refused")
        yield passed("ok", id="t.known", title="signed with s3cret-value")
        yield passed("ok", id="t.token", title="Authorization: Bearer abcdefgh12345678")

    found = {c.id: c.title for c in checks.run(Ctx())}
    assert found == {"t.own": "Guest token: own channel private-booking-BK-1",
                     "t.wrong": "wrong app secret: refused", "t.known": "signed with ***",
                     "t.token": "Authorization: Bearer ***"}
