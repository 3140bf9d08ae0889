"""Subscription lifecycle rules on React code: the seeds' WRONG/CORRECT variants, hooks, a
ref-counted registry, providers, TypeScript; output formats, suppressions and severities."""

from __future__ import annotations

import io
import json
import textwrap
from pathlib import Path

import jsonschema
import pytest

from hotelmate_rt.cli.output import Sink
from hotelmate_rt.cli.reporters.scan import ScanReport, github, junit, sarif_log, text
from hotelmate_rt.contracts import Contract
from hotelmate_rt.scan import Level, ScanResult, ScanRule, parse_config, scan
from hotelmate_rt.scan.engine import collect
from hotelmate_rt.scan.rules import LIFECYCLE_RULES
from tests.helpers import COVERAGE_OFF, FIXTURES, SCAN_FIXTURES, site_rules_only, write_tree
from tests.unit.test_scan_fixtures import expected, found

LIFECYCLE = SCAN_FIXTURES / "lifecycle"
WRONG = ["guest-chat-wrong", "offers-wrong", "booking-wrong", "hooks-wrong", "clients-wrong"]
CORRECT = ["guest-chat-correct", "guest-chat-keep-alive", "offers-correct", "booking-correct",
           "hooks-correct", "registry-correct", "clients-correct", "singleton-correct"]


def run(contract: Contract, tree: str, parallel: bool = False) -> ScanResult:
    """Scan one lifecycle fixture tree with the contract (coverage rules off)."""
    root = LIFECYCLE / tree
    return scan([root], contract, site_rules_only(), root=root, parallel=parallel)


def by_rule(result: ScanResult, rule: str) -> list:
    """Return the findings of one rule, in file/line order."""
    return [f for f in result.findings if f.rule == rule]


def test_every_tree_is_listed() -> None:
    """No lifecycle fixture tree is left out of the parametrised tests."""
    assert sorted(p.name for p in LIFECYCLE.iterdir()) == sorted(WRONG + CORRECT)


@pytest.mark.parametrize("tree", WRONG + CORRECT)
def test_tree_gives_exactly_the_marked_findings(contract: Contract, tree: str) -> None:
    """Every `expect[rule]` marker is found on its line and nothing else is (CORRECT: nothing)."""
    assert found(run(contract, tree)) == expected(f"lifecycle/{tree}")


@pytest.mark.parametrize("tree", CORRECT)
def test_correct_variants_are_clean(contract: Contract, tree: str) -> None:
    """The seeds' CORRECT variants, a ref-counted registry, a hook that unbinds its own handler,
    a handler kept in a ref, a provider and TypeScript generics give no finding at all."""
    result = run(contract, tree)
    assert result.findings == [] and result.sites


def test_every_mistake_has_a_wrong_fixture() -> None:
    """Each lifecycle rule is marked at least once in the WRONG trees."""
    marked = {rule for tree in WRONG for rule, _, _ in expected(f"lifecycle/{tree}")}
    assert marked == {r.value for r in LIFECYCLE_RULES}


def test_shared_cleanup_names_the_victim_and_points_at_it(contract: Contract) -> None:
    """Seed 001's cleanup: what the header badge stops receiving, and where it subscribes."""
    result = run(contract, "guest-chat-wrong")
    unsubscribe, = by_rule(result, "lifecycle-shared-unsubscribe")
    assert unsubscribe.message.startswith("after GuestChat unmounts, UnreadBadge stops receiving "
                                          "`new-staff-message` on `private-{*}-room-{*}-chat`")
    assert unsubscribe.fix is not None and "ref-counted registry" in unsubscribe.fix
    assert [(r.file, r.line) for r in unsubscribe.related] == [
        ("frontend/src/chat/UnreadBadge.jsx", 9)]
    teardown, = by_rule(result, "lifecycle-shared-teardown")
    assert "`channel.unbind()` removes every component's handlers" in teardown.message
    assert [(r.file, r.line) for r in teardown.related] == [("frontend/src/chat/UnreadBadge.jsx", 11)]
    stale, = by_rule(result, "lifecycle-stale-subscription")
    assert "`channelName`" in stale.message and "`[]`" in stale.message
    assert stale.fix == "add `channelName` to the dependency array (and unsubscribe the old " \
                        "channel in the cleanup)"
    lookup, = by_rule(result, "lifecycle-bind-unsubscribed")
    assert "DeliveryTicks never receives `message-delivered`" in lookup.message


def test_offers_disconnect_on_the_shared_client(contract: Contract) -> None:
    """Seed 004's `pusher.disconnect()` names the other component that goes quiet."""
    result = run(contract, "offers-wrong")
    disconnect = next(f for f in by_rule(result, "lifecycle-shared-teardown") if f.line == 27)
    assert disconnect.message.startswith("after OffersSection unmounts, SectionOffers stops "
                                         "receiving `offer-created` and `offer-deleted`")
    assert "closes the one connection the whole app shares" in disconnect.message
    assert disconnect.related[0].file.endswith("SectionOffers.jsx")


def test_hook_findings_speak_of_the_components_that_call_it(contract: Contract) -> None:
    """A hook's cleanup breaks the other components calling it; the leak names its dependency."""
    result = run(contract, "hooks-wrong")
    shared, = by_rule(result, "lifecycle-shared-unsubscribe")
    assert "a component using useChannel() (HousekeepingBoard and StaffHeader)" in shared.message
    leak = next(f for f in by_rule(result, "lifecycle-handler-leak") if "useChannelEvent" in f.file)
    assert leak.message.startswith("every time `event` or `handler` changes, useChannelEvent()")
    body = next(f for f in by_rule(result, "lifecycle-handler-leak") if "Housekeeping" in f.file)
    assert "runs in the component body" in body.message
    unbind, = by_rule(result, "lifecycle-unbind-without-handler")
    assert unbind.message.startswith("after StaffHeader unmounts, FrontDesk stops receiving "
                                     "`booking_created`")
    assert unbind.fix == "pass the handler: `channel.unbind('booking_created', handler)`"


def test_clients_per_mount_and_in_two_modules(contract: Contract) -> None:
    """Body, effect, useMemo and hook clients are per mount; the less imported module client is
    the duplicate, pointing at the main one."""
    result = run(contract, "clients-wrong")
    messages = {f.file.rsplit("/", 1)[-1]: f.message
                for f in by_rule(result, "lifecycle-client-per-mount")}
    assert messages["OfferTicker.jsx"].startswith("every render of OfferTicker")
    assert "never disconnects it" in messages["RoomStatus.jsx"]
    assert "per component instance" in messages["StaffChat.jsx"]
    assert messages["usePusherClient.js"].startswith("every mount of usePusherClient()")
    duplicate, = by_rule(result, "lifecycle-duplicate-client")
    assert duplicate.file == "frontend/src/notifications/pusherClient.js"
    assert [r.file for r in duplicate.related] == ["frontend/src/realtime/pusher.js"]


def test_booking_page_says_what_goes_missing(contract: Contract) -> None:
    """Seed 000: the refused authorization and the missed events are named."""
    result = run(contract, "booking-wrong")
    silent, = by_rule(result, "lifecycle-no-error-handler")
    assert "if authorization of `private-booking-{*}` fails" in silent.message
    assert "BookingStatusPage silently never receives `booking_checked_in`" in silent.message
    stale, = by_rule(result, "lifecycle-no-catch-up")
    assert "nothing refetches when this client reconnects" in stale.message
    assert stale.fix is not None and "connection.bind('connected'" in stale.fix


@pytest.mark.parametrize("tree", ["hooks-wrong", "offers-wrong", "clients-wrong",
                                  "../lifecycle_holdout", "../lifecycle_holdout_c"])
def test_worker_pool_gives_the_same_findings(contract: Contract, tree: str,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """The fork-pool path (facts computed in the workers, hook callers found by name among the
    files the workers skipped) finds what one process finds."""
    from hotelmate_rt.scan import engine

    monkeypatch.setattr(engine, "_PARALLEL_MIN_FILES", 1)
    pooled = run(contract, tree, parallel=True)
    assert [f.to_dict() for f in pooled.findings] == \
        [f.to_dict() for f in run(contract, tree).findings]


def test_facts_come_from_the_parse_the_scan_already_did(monkeypatch: pytest.MonkeyPatch) -> None:
    """`collect` parses each file once and returns one picklable fact set per JS/TS module."""
    import pickle
    from collections import Counter

    from hotelmate_rt.scan import engine

    parsed: Counter[str] = Counter()
    original = engine.parse_js

    def counting(rel: str, *args: object) -> object:
        """Count the parses of each file."""
        parsed[rel] += 1
        return original(rel, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(engine, "parse_js", counting)
    root = LIFECYCLE / "hooks-wrong"
    got = collect([root], root=root, parallel=False)
    assert set(parsed.values()) == {1}
    assert sorted(m.file for m in got.lifecycle) == sorted(got.sources) == sorted(parsed)
    assert pickle.loads(pickle.dumps(got.lifecycle)) == got.lifecycle


def test_suppression_and_severity_apply(contract: Contract, tmp_path: Path) -> None:
    """`// hotelmate-rt: ignore[lifecycle-...]` silences one line; pyproject levels apply."""
    write_tree(tmp_path, {"src/pusher.js": """
        import Pusher from 'pusher-js';
        export const pusher = new Pusher('key', { cluster: 'eu' });
        pusher.connection.bind('connected', () => reload());
    """, "src/A.jsx": """
        import { useEffect } from 'react';
        import { pusher } from './pusher';
        export function A({ slug }) {
          useEffect(() => {
            const channel = pusher.subscribe(`hotel-${slug}`);
            channel.bind('offer-created', show);
            return () => {
              channel.unbind_all();
              pusher.disconnect(); // hotelmate-rt: ignore[lifecycle-shared-teardown]
            };
          }, [slug]);
        }
    """, "src/B.jsx": """
        import { useEffect } from 'react';
        import { pusher } from './pusher';
        export function B({ slug }) {
          useEffect(() => {
            const channel = pusher.subscribe(`hotel-${slug}`);
            channel.bind('offer-deleted', hide);
            return () => channel.unbind('offer-deleted', hide);
          }, [slug]);
        }
    """})
    result = scan([tmp_path], contract, site_rules_only(), root=tmp_path)
    assert [(f.rule, f.file, f.line, f.level) for f in result.findings] == [
        ("lifecycle-shared-teardown", "src/A.jsx", 9, Level.ERROR)]
    assert result.suppressed == 1
    config = parse_config({"severity": {**COVERAGE_OFF, "lifecycle-shared-teardown": "warning"}})
    lowered = scan([tmp_path], contract, config, root=tmp_path)
    assert [f.level for f in lowered.findings] == [Level.WARNING]
    off = parse_config({"severity": {**COVERAGE_OFF, "lifecycle-shared-teardown": "off"}})
    assert scan([tmp_path], contract, off, root=tmp_path).findings == []


def test_without_a_contract_the_rules_stay_on(tmp_path: Path) -> None:
    """Lifecycle rules need no contract (they are not CONTRACT_RULES)."""
    root = LIFECYCLE / "offers-wrong"
    result = scan([root], None, parse_config({}), root=root)
    assert {f.rule for f in result.findings} == {ScanRule.LIFECYCLE_SHARED_TEARDOWN,
                                                ScanRule.LIFECYCLE_SHARED_UNSUBSCRIBE}


def test_sarif_junit_github_and_json_carry_the_related_locations(contract: Contract) -> None:
    """A lifecycle finding's other component appears in SARIF relatedLocations, JUnit, GitHub."""
    result = run(contract, "guest-chat-wrong")
    report = ScanReport(result, site_rules_only(), "error")
    log = sarif_log(report)
    schema = json.loads((FIXTURES / "sarif-schema-2.1.0.json").read_text(encoding="utf-8"))
    jsonschema.Draft4Validator(schema).validate(log)
    rules = {r["id"]: r for r in log["runs"][0]["tool"]["driver"]["rules"]}
    assert rules["lifecycle-shared-unsubscribe"]["defaultConfiguration"]["level"] == "error"
    shared = next(r for r in log["runs"][0]["results"]
                  if r["ruleId"] == "lifecycle-shared-unsubscribe")
    assert shared["relatedLocations"][0]["physicalLocation"]["artifactLocation"]["uri"] == \
        "frontend/src/chat/UnreadBadge.jsx"
    for render in (text, junit, github):
        out = io.StringIO()
        render(report, Sink(out, to_file=True))
        assert "frontend/src/chat/UnreadBadge.jsx:9:" in out.getvalue().replace("%3A", ":")
    data = result.to_dict()
    assert any(f["rule"] == "lifecycle-shared-unsubscribe" and f["related"]
               for f in data["findings"])


@pytest.mark.parametrize(("source", "rules"), [
    # no dependency array: every render binds again
    ("useEffect(() => { const c = pusher.subscribe('hotel-a'); c.bind('offer-created', f); });",
     ["lifecycle-handler-leak"]),
    # the handler is a dependency, the channel is not: a new handler per change
    ("useEffect(() => { const c = pusher.subscribe('hotel-a'); c.bind('offer-created', onOffer); "
     "}, [onOffer]);", ["lifecycle-handler-leak"]),
    # state setters and module-level functions never change: not a reason to re-run
    ("useEffect(() => { const c = pusher.subscribe(`hotel-${slug}`); c.bind('offer-created', "
     "onOffer); }, [slug, setOffers, reload]);", []),
    # the cleanup unbinds one handler by reference but forgets the other
    ("useEffect(() => { const c = pusher.subscribe(`hotel-${slug}`); c.bind('offer-created', a); "
     "c.bind('offer-deleted', b); return () => c.unbind('offer-created', a); }, [slug]);",
     ["lifecycle-handler-leak"]),
    # the same, but the cleanup unsubscribes the channel: nothing piles up
    ("useEffect(() => { const c = pusher.subscribe(`hotel-${slug}`); c.bind('offer-created', a); "
     "return () => pusher.unsubscribe(`hotel-${slug}`); }, [slug, a]);", []),
    # the cleanup calls a function the scan cannot see into: not judged
    ("useEffect(() => { const c = pusher.subscribe('hotel-a'); c.bind('offer-created', f); "
     "return () => stopListening(c); }, [f]);", []),
    # a ref-count in the cleanup: the unsubscribe is conditional, not judged
    ("useEffect(() => { const c = pusher.subscribe('hotel-a'); c.bind('offer-created', f); "
     "return () => { c.unbind('offer-created', f); if (--users === 0) pusher.unsubscribe('hotel-a'); "
     "}; }, [f]);", []),
    # `useRef` values and state setters are stable: no stale-subscription finding
    ("const ref = useRef(slug); const [x, setX] = useState(); useEffect(() => { "
     "const c = pusher.subscribe(`hotel-${ref.current}`); c.bind('offer-created', setX); "
     "return () => c.unbind('offer-created', setX); }, []);", []),
    # a prop read through `props.`: the dependency must name it
    ("useEffect(() => { const c = pusher.subscribe(`hotel-${props.slug}`); "
     "c.bind('offer-created', show); return () => c.unbind('offer-created', show); }, []);",
     ["lifecycle-stale-subscription"]),
    # `props` itself as a dependency covers `props.slug`
    ("useEffect(() => { const c = pusher.subscribe(`hotel-${props.slug}`); "
     "c.bind('offer-created', show); return () => c.unbind('offer-created', show); }, [props]);",
     []),
])
def test_effect_shapes(contract: Contract, tmp_path: Path, source: str, rules: list[str]) -> None:
    """One component, one effect: which shapes are findings and which cannot be judged."""
    write_tree(tmp_path, {"src/pusher.js": """
        import Pusher from 'pusher-js';
        export const pusher = new Pusher('key', { cluster: 'eu' });
        pusher.connection.bind('connected', () => reload());
    """, "src/Offers.jsx": "import { useEffect, useRef, useState } from 'react';\n"
                           "import { pusher } from './pusher';\n"
                           "export function Offers(props) {\n"
                           "  const { slug, onOffer } = props;\n"
                           "  const [, setOffers] = useState([]);\n  "
                           + textwrap.dedent(source) + "\n  return null;\n}\n"})
    result = scan([tmp_path], contract, site_rules_only(), root=tmp_path)
    assert [f.rule for f in result.findings] == rules


@pytest.mark.parametrize(("tree", "precision", "recall"), [
    ("lifecycle_holdout", 1.0, 0.95), ("lifecycle_holdout_b", 1.0, 0.8),
    ("lifecycle_holdout_c", 1.0, 0.85)])
def test_holdouts_meet_their_figures(tree: str, precision: float, recall: float) -> None:
    """On the three holdout trees (other styles: providers, class components, zustand, React
    Query, SWR, Redux, service objects, react-router, a ref-counted manager), every finding is
    right and most marked mistakes are found."""
    import importlib.util
    import sys

    path = Path(__file__).resolve().parents[2] / "benchmarks" / "lifecycle_metrics.py"
    spec = importlib.util.spec_from_file_location("lifecycle_metrics", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    figures = module.measure(SCAN_FIXTURES / tree)
    assert figures["precision"] >= precision, figures["false_positives"]
    assert figures["recall"] >= recall, figures["missed"]


def test_two_routes_never_break_each_other(contract: Contract, tmp_path: Path) -> None:
    """Two pages of a file-based router are never mounted together: their cleanups are fine;
    the same cleanup in a page breaks a header component that stays mounted."""
    page = """
        import {{ useEffect }} from 'react';
        import {{ pusher }} from '../pusher';
        export default function {name}({{ slug }}) {{
          useEffect(() => {{
            const channel = pusher.subscribe(`hotel-${{slug}}`);
            channel.bind('{event}', show);
            return () => pusher.unsubscribe(`hotel-${{slug}}`);
          }}, [slug]);
          return null;
        }}
    """
    client = """
        import Pusher from 'pusher-js';
        export const pusher = new Pusher('key', { cluster: 'eu' });
        pusher.connection.bind('connected', () => reload());
    """
    write_tree(tmp_path, {"src/pusher.js": client,
                          "src/pages/offers.jsx": page.format(name="Offers", event="offer-created"),
                          "src/pages/staff/offers.jsx": page.format(name="StaffOffers",
                                                                    event="offer-deleted")})
    assert scan([tmp_path], contract, site_rules_only(), root=tmp_path).findings == []
    write_tree(tmp_path, {"src/components/Header.jsx": page.format(name="Header",
                                                                   event="offer-updated")})
    result = scan([tmp_path], contract, site_rules_only(), root=tmp_path)
    assert sorted((f.rule, f.file) for f in result.findings) == [
        ("lifecycle-shared-unsubscribe", "src/components/Header.jsx"),
        ("lifecycle-shared-unsubscribe", "src/pages/offers.jsx"),
        ("lifecycle-shared-unsubscribe", "src/pages/staff/offers.jsx")]


_SOURCES = sorted(p for p in LIFECYCLE.rglob("*") if p.suffix in (".js", ".jsx", ".ts", ".tsx"))


def test_cut_and_mangled_components_never_crash(tmp_path: Path) -> None:
    """Slices of the fixture components with bytes knocked out (broken syntax, dangling effects,
    half a cleanup; 60 seeded cases) are scanned without an exception, findings in place."""
    import random

    rng = random.Random(11)
    src = tmp_path / "src"
    src.mkdir()
    (src / "pusher.js").write_text(
        "import Pusher from 'pusher-js';\nexport const pusher = new Pusher('k', {});\n")
    for case in range(60):
        path = rng.choice(_SOURCES)
        data = bytearray(path.read_bytes())
        start = rng.randrange(len(data))
        data = data[start:start + rng.randrange(1, len(data) + 1)]
        for _ in range(rng.randrange(6)):
            if data:
                del data[rng.randrange(len(data))]
        (src / f"case{case % 8}{path.suffix}").write_bytes(bytes(data))
        result = scan([tmp_path], None, parse_config({}), root=tmp_path, parallel=False)
        for finding in result.findings:
            assert finding.line >= 1 and finding.column >= 1 and finding.message
