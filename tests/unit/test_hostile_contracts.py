"""Hostile contracts (issue 15, points 5-7): located load errors, linear-time patterns, no fetches."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tracemalloc
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hotelmate_rt.auth import Principal, authorize
from hotelmate_rt.contracts import (
    ContractProblem,
    ProblemKind,
    Template,
    lint,
    load_contract,
    load_contract_text,
)
from hotelmate_rt.contracts.payloads import PayloadValidator, schema_problem
from hotelmate_rt.errors import ContractLoadError, Forbidden

ROOT = Path(__file__).resolve().parents[2]
FUZZ = settings(max_examples=int(os.environ.get("HOTELMATE_RT_FUZZ_EXAMPLES", "150")), deadline=5000,
                suppress_health_check=[HealthCheck.too_slow])
"""Bounded for CI; set HOTELMATE_RT_FUZZ_EXAMPLES=5000 for a longer local run."""
SHIPPED = (ROOT / "channels.yaml").read_text()
BASE = ("version: 1\nchannels:\n  c: {template: 'c', kind: public, audiences: [public]}\n"
        "audiences:\n  public: {authenticates: false}\n")
LAUGHS = "".join(
    f"{name}: &{name} [{', '.join([f'*{prev}'] * 9 if prev else ['lol'] * 9)}]\n"
    for prev, name in zip(["", *"abcdefgh"], "abcdefghi", strict=True))


def problems_of(text: str) -> list[ContractProblem]:
    """Load contract text expecting failure and return the located problems."""
    with pytest.raises(ContractLoadError) as info:
        load_contract_text(text, "hostile.yaml")
    problems = info.value.problems
    assert all(isinstance(p, ContractProblem) for p in problems)
    return problems  # type: ignore[return-value]


def only(problems: list[ContractProblem], kind: ProblemKind) -> ContractProblem:
    """Return the one problem of a kind, failing if there is none or several."""
    found = [p for p in problems if p.kind is kind]
    assert len(found) == 1, problems
    return found[0]


def with_parameter(pattern: str, example: str = "a") -> str:
    """A small contract whose one parameter has `pattern`, used by a private channel."""
    return (f"version: 1\nparameters:\n  slug: {{pattern: '{pattern}', example: '{example}'}}\n"
            "audiences:\n  guest: {authenticates: true, scope: [slug]}\n"
            "channels:\n  c: {template: 'private-c-{slug}', kind: private, audiences: [guest]}\n"
            "events:\n  e: {channels: [c], schema: {type: object}}\n")


@pytest.mark.timeout(60)
def test_billion_laughs_stops_early_with_bounded_memory() -> None:
    """A 300-byte alias bomb is refused as too large, located, without expanding it."""
    assert len(LAUGHS) < 400
    tracemalloc.start()
    try:
        problem = only(problems_of(LAUGHS + "version: 1\n"), ProblemKind.TOO_LARGE)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 200 * 1024 * 1024
    assert "expands to more than 100,000 values" in problem.message
    assert problem.where.file == "hostile.yaml" and problem.where.line >= 1


def test_alias_cycle_is_a_located_error() -> None:
    """An alias to the mapping that contains it is reported, not followed forever."""
    problem = only(problems_of("version: 1\nevents: {}\nchannels: &loop {c: *loop}\n"),
                   ProblemKind.UNSUPPORTED_YAML)
    assert "cycle" in problem.message
    assert (problem.where.line, problem.where.column) == (3, 11)


@pytest.mark.parametrize("text", [
    "version: 1\nevents: {}\nchannels: " + "[" * 3000 + "]" * 3000 + "\n",
    "version: 1\nevents: {}\nchannels:\n" + "".join(" " * (i + 2) + f"k{i}:\n" for i in range(3000)),
], ids=["flow", "block"])
def test_deep_nesting_is_a_located_error(text: str) -> None:
    """3,000 levels of nesting stop at the depth limit instead of overflowing Python's stack."""
    problem = only(problems_of(text), ProblemKind.TOO_LARGE)
    assert "deeper than 64 levels" in problem.message
    assert problem.where.line >= 3


def test_alias_chains_cannot_nest_past_the_depth_limit() -> None:
    """Aliases that each wrap the previous one are held to the same depth limit once expanded."""
    chain = "a0: &a0 [x]\n" + "".join(f"a{i}: &a{i} [[[[*a{i - 1}]]]]\n" for i in range(1, 30))
    problem = only(problems_of(chain + "version: 1\n"), ProblemKind.TOO_LARGE)
    assert "aliases nest deeper than 64 levels" in problem.message


@pytest.mark.parametrize(("text", "fragment", "line"), [
    ("base: &base {kind: public}\nchannels:\n  c:\n    <<: *base\n", "merge keys (<<)", 4),
    ("channels: !foo {}\n", "tag '!foo'", 1),
    ("channels: {}\nnote: !!timestamp 2025-01-01\n", "tag '!!timestamp'", 2),
    ("channels: {}\nnote: !!binary aGVsbG8=\n", "tag '!!binary'", 2),
    ("channels: {}\n? [a, b]\n: 1\n", "mapping key must be plain text", 2),
])
def test_merge_keys_tags_and_complex_keys_are_located_errors(text: str, fragment: str,
                                                           line: int) -> None:
    """YAML features a contract does not need are refused at their line, never a traceback."""
    problem = only(problems_of("version: 1\nevents: {}\n" + text), ProblemKind.UNSUPPORTED_YAML)
    assert fragment in problem.message
    assert problem.where.line == line + 2


def test_an_unreadable_number_is_a_located_error() -> None:
    """A 5,000-digit number (past Python's int conversion limit) is a bad value, not a crash."""
    problem = only(problems_of(BASE + "events: {}\nversion_note: " + "9" * 5000 + "\n"),
                   ProblemKind.BAD_VALUE)
    assert problem.where.line == 7 and "Quote it" in problem.fix


def test_dates_stay_text_and_shipped_anchors_still_work() -> None:
    """Unquoted dates read as text, and the shipped contract's aliases expand as before."""
    text = with_parameter("[0-9-]+", "2025-01-01").replace("'2025-01-01'", "2025-01-01")
    assert "example: 2025-01-01}" in text
    contract = load_contract_text(text, "dates.yaml")
    assert contract.parameters["slug"].example == "2025-01-01"
    shipped = load_contract(ROOT / "channels.yaml")
    created, updated = shipped.events["offer-created"], shipped.events["offer-updated"]
    assert updated.schema["$defs"] == created.schema["$defs"]
    assert "offer" in updated.schema["$defs"]
    assert updated.validator is not None
    assert not updated.validator.is_valid({"offer": {"id": "x", "title": "t"}, "action": "updated"})
    message = shipped.events["new-message"].schema
    assert message["$defs"]["message"] == shipped.events["new-staff-message"].schema["$defs"][
        "message"]


@pytest.mark.parametrize(("pattern", "fragment"), [
    ("(?P<slug>[a-z]+)", "named groups are not allowed"),
    ("(?P<x>[a-z]+)", "named groups are not allowed"),
    ("([a-z])\\1", "without backreferences"),
    ("(?=[a-z])[a-z]+", "without backreferences or lookaround"),
    ("[a-z]+\\Z", "invalid escape sequence"),
    ("[a-z]{5000}", "invalid repetition size"),
])
def test_parameter_patterns_that_break_the_template_are_located_errors(pattern: str,
                                                                       fragment: str) -> None:
    """Patterns that compile alone but not inside the template regex fail at their line."""
    problem = only(problems_of(with_parameter(pattern)), ProblemKind.BAD_PATTERN)
    assert fragment in problem.message
    assert problem.where.line == 3 and problem.where.path == "parameters.slug.pattern"


def test_inline_flags_stay_inside_their_parameter() -> None:
    """`(?i)` in a parameter pattern applies to that parameter only, not to the literal parts."""
    contract = load_contract_text(with_parameter("(?i)[a-z]+", "Abc"), "flags.yaml")
    assert contract.match_channel("private-c-ABC") is not None
    assert contract.match_channel("PRIVATE-c-abc") is None
    assert lint(contract) == []


@pytest.mark.timeout(20)
def test_catastrophic_slug_pattern_cannot_pin_an_auth_worker() -> None:
    """`([a-z0-9]+-?)+` plus a crafted 32-character name is refused at once (was 35 s)."""
    contract = load_contract_text(with_parameter("([a-z0-9]+-?)+", "hotel-paradise"), "slow.yaml")
    guest = Principal("guest", {"slug": "hotel-paradise"})
    crafted = "private-c-" + "a" * 31 + "!"
    with pytest.raises(Forbidden):
        authorize(contract, guest, crafted, "1.2", key="k", secret="s")
    template = contract.channels["c"].template
    assert template.match("private-c-" + "a1-" * 60 + "!") is None
    assert template.match("private-c-hotel-paradise") == {"slug": "hotel-paradise"}


@pytest.mark.timeout(20)
def test_lint_of_a_nested_quantifier_with_a_long_example_finishes() -> None:
    """`(a+)+$` with a long non-matching example is a lint finding, not a hang."""
    contract = load_contract_text(with_parameter("(a+)+$", "a" * 40 + "!"), "slow.yaml")
    assert [f.rule for f in lint(contract)] == ["parameter-example"]


def test_names_longer_than_pusher_allows_are_refused_before_matching() -> None:
    """A template never matches a name over 164 characters, even one its pattern would fit."""
    template = Template.parse("{x}").compile({"x": "a+"})
    assert template.match("a" * 164) == {"x": "a" * 164}
    assert template.match("a" * 165) is None


def test_repeated_parameters_must_be_equal() -> None:
    """A parameter used twice matches only when both places hold the same value."""
    template = Template.parse("room-{n}-of-{n}").compile({"n": "[0-9]+"})
    assert template.match("room-12-of-12") == {"n": "12"}
    assert template.match("room-12-of-13") is None


def test_a_listening_server_is_never_contacted_for_a_schema_reference() -> None:
    """`$ref: http://...` is refused at load, and the validator itself never connects."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(1)
        server.settimeout(0.2)
        url = f"http://127.0.0.1:{server.getsockname()[1]}/schema.json"
        problem = only(problems_of(BASE + f"events:\n  e:\n    channels: [c]\n    schema: "
                                          f"{{$ref: '{url}'}}\n"), ProblemKind.BAD_SCHEMA)
        assert "points outside the contract" in problem.message
        assert (problem.where.line, problem.where.path) == (9, "events.e.schema.$ref")
        with pytest.raises(ValueError, match="outside the contract"):
            PayloadValidator({"$id": url, "properties": {"a": {"$ref": "other.json"}}})
        with pytest.raises(TimeoutError):
            server.accept()


def test_file_references_are_never_opened(tmp_path: Path) -> None:
    """`$ref: file:///...` is a located load error, and the validator refuses to read files."""
    target = tmp_path / "string.json"
    target.write_text('{"type": "string"}')
    problem = only(problems_of(BASE + "events:\n  e:\n    channels: [c]\n    schema:\n"
                                      f"      properties: {{a: {{$ref: '{target.as_uri()}'}}}}\n"),
                   ProblemKind.BAD_SCHEMA)
    assert problem.where.path == "events.e.schema.properties.a.$ref"
    assert "outside the contract" in (schema_problem({"$ref": target.as_uri()}) or "")
    assert schema_problem({"$ref": "/etc/passwd"}) is not None
    assert schema_problem({"$defs": {"s": {"type": "string"}}, "$ref": "#/$defs/s"}) is None


def test_a_property_named_ref_is_not_a_reference() -> None:
    """A payload field called `$ref` is described by a schema, not followed."""
    contract = load_contract_text(BASE + "events:\n  e:\n    channels: [c]\n    schema:\n"
                                         "      properties: {$ref: {type: string}}\n", "ok.yaml")
    validator = contract.events["e"].validator
    assert validator is not None and not validator.is_valid({"$ref": 1})


def test_schema_patterns_use_the_linear_engine() -> None:
    """Payload schema patterns with backreferences are refused; nested quantifiers are fast."""
    assert "is not a \"regex\"" in (schema_problem({"pattern": "(a*)*\\1$"}) or "")
    validator = PayloadValidator({"type": "string", "pattern": "^(a+)+$"})
    assert not validator.is_valid("a" * 5000 + "!")


HOSTILE_FILES = {
    "laughs": LAUGHS + "version: 1\n",
    "cycle": "version: 1\nevents: {}\nchannels: &loop {c: *loop}\n",
    "deep": "version: 1\nevents: {}\nchannels: " + "[" * 3000 + "]" * 3000 + "\n",
    "merge": "version: 1\nevents: {}\nbase: &b {kind: public}\nchannels: {c: {<<: *b}}\n",
    "tag": "version: 1\nevents: {}\nchannels: !foo {}\n",
    "named-group": with_parameter("(?P<x>[a-z]+)"),
    "backreference": with_parameter("([a-z])\\1"),
    "http-ref": BASE + "events: {e: {channels: [c], schema: {$ref: 'http://127.0.0.1:9/s'}}}\n",
}


@pytest.mark.parametrize("name", list(HOSTILE_FILES))
def test_cli_lint_exits_2_with_one_located_sentence(tmp_path: Path, name: str) -> None:
    """`contract lint` on each hostile contract exits 2 with file:line:col, never a traceback."""
    path = tmp_path / "channels.yaml"
    path.write_text(HOSTILE_FILES[name])
    result = subprocess.run([sys.executable, "-m", "hotelmate_rt", "contract", "lint", str(path)],
                            capture_output=True, text=True, timeout=60, cwd=ROOT)
    output = result.stdout + result.stderr
    assert result.returncode == 2, output
    assert "Traceback" not in output
    assert f"{path}:" in output.replace("\n", "")


def _splice(line: int, text: str) -> str:
    """The shipped contract with `text` inserted as a line before line `line`."""
    lines = SHIPPED.splitlines()
    return "\n".join([*lines[:line], text, *lines[line:]])


YAML_WORDS = st.sampled_from([
    "version: 1", "channels:", "events:", "parameters:", "audiences:", "template:", "kind:",
    "schema:", "&a", "*a", "&b", "*b", "<<:", "!foo", "!!timestamp", "!!binary", "!!set", "? ",
    "- ", "[", "]", "{", "}", ",", ":", "'", '"', "|", ">", "#", "\n", "\n  ", "\n    ", "~",
    "2025-01-01", "0x1F", "1e400", ".nan", "$ref: 'http://127.0.0.1:9/'", "pattern: '(a+)+$'",
    "example: aaaa!", "private-booking-{booking_id}", "{x}", "%YAML 1.1", "---", "...", "\t",
])


@pytest.mark.timeout(240)
@FUZZ
@given(st.one_of(
    st.lists(YAML_WORDS | st.text(max_size=8), max_size=60).map(" ".join),
    st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=12),
                 lambda inner: st.lists(inner, max_size=4)
                 | st.dictionaries(st.text(max_size=12), inner, max_size=4),
                 max_leaves=40).map(lambda value: yaml.safe_dump(value)),
    st.tuples(st.integers(0, SHIPPED.count("\n")), YAML_WORDS, YAML_WORDS).map(
        lambda cut: _splice(cut[0], f"{cut[1]} {cut[2]}")),
))
def test_fuzz_random_yaml_loads_or_fails_with_located_problems(text: str) -> None:
    """Random YAML either loads (and lints) or raises ContractLoadError with located problems."""
    try:
        contract = load_contract_text(text, "fuzz.yaml")
    except ContractLoadError as exc:
        assert exc.problems
        for problem in exc.problems:
            assert isinstance(problem, ContractProblem)
            assert problem.where.file == "fuzz.yaml" and problem.where.line >= 0
            assert "\n" not in problem.message
        return
    for finding in lint(contract):
        assert finding.where.line >= 0


@pytest.mark.parametrize(("text", "line", "column"), [
    ("version: 1\nnote: caf\u00e9 \x07\n", 2, 12),
    ("version: 1\n\u00e9\u00e9\u00e9: x\x01\n", 2, 7),
])
def test_control_characters_are_located_by_character(text: str, line: int, column: int) -> None:
    """A control character is a located syntax error; libyaml's byte offset becomes line:column."""
    problem = only(problems_of(text), ProblemKind.YAML_SYNTAX)
    assert "is not allowed" in problem.message and problem.fix == "Remove the control character."
    assert (problem.where.line, problem.where.column) == (line, column)


def test_a_lone_surrogate_is_a_located_error() -> None:
    """Text that cannot be UTF-8 (only possible from Python, not a file) is a load error."""
    problem = only(problems_of("version: 1\nnote: a\ud800\n"), ProblemKind.YAML_SYNTAX)
    assert (problem.where.line, problem.where.column) == (2, 8)


def test_merge_and_value_indicators_as_values_are_text() -> None:
    """`<<` and `=` written as values are plain text, not YAML's merge or value tags."""
    contract = load_contract_text(BASE + "events:\n  e:\n    channels: [c]\n    description: <<\n"
                                         "    schema: {type: object, title: =}\n", "text.yaml")
    assert contract.events["e"].description == "<<"
    assert contract.events["e"].schema["title"] == "="


def test_a_key_that_is_an_alias_of_a_collection_is_refused_before_expanding() -> None:
    """`? *big` would turn a whole collection into a key's text: refused, located at the key."""
    text = "version: 1\nevents: {}\nbig: &big [1, 2]\nchannels:\n  ? *big\n  : 1\n"
    problem = only(problems_of(text), ProblemKind.UNSUPPORTED_YAML)
    assert "mapping key must be plain text" in problem.message and problem.where.line == 5
    bomb = LAUGHS + "version: 1\nevents: {}\nchannels: {? *i : 1}\n"
    assert "expands to" in only(problems_of(bomb), ProblemKind.TOO_LARGE).message


def test_an_anchor_redefined_inside_itself_is_not_a_cycle() -> None:
    """YAML lets an anchor be redefined; an alias after both names the latest, never a loop."""
    contract = load_contract_text(
        BASE + "events:\n  e: &s\n    channels: [c]\n    schema: &s {type: object}\n"
               "  f: {channels: [c], schema: *s}\n", "redefined.yaml")
    assert contract.events["f"].schema == {"type": "object"}


@pytest.mark.parametrize("pattern", ["a)|(b", "[a-z]+\\Q)"])
def test_a_pattern_cannot_escape_its_group_in_the_template(pattern: str) -> None:
    """A pattern that would close its group (or swallow the rest) is refused at its line."""
    problem = only(problems_of(with_parameter(pattern)), ProblemKind.BAD_PATTERN)
    assert problem.where.path == "parameters.slug.pattern"


CRAFTED = "a" * 31 + "!"
"""With `([a-z0-9]+-?)+`, Python's re takes about 35 s to refuse this; RE2 a few microseconds."""


@pytest.mark.timeout(30)
def test_every_use_of_a_parameter_pattern_is_linear(tmp_path: Path) -> None:
    """Emitter, probe plan, scan resolution, triage and diff all refuse the crafted value at once."""
    from hotelmate_rt.contracts import resolve_channel
    from hotelmate_rt.contracts.diff import diff_contracts
    from hotelmate_rt.emitters.validation import EventValidation
    from hotelmate_rt.errors import ParameterError
    from hotelmate_rt.oncall.triage.context import TriageContext, TriageOptions
    from hotelmate_rt.probes.plan import plan_subscriptions

    text = with_parameter("([a-z0-9]+-?)+", CRAFTED).replace("slug", "booking_id")
    contract = load_contract_text(text, "slow.yaml")
    with pytest.raises(ParameterError, match="does not look like"):
        EventValidation(contract).prepare("e", {}, (), None, {"booking_id": CRAFTED})
    with pytest.raises(ParameterError, match="does not look like"):
        plan_subscriptions(contract, None, {"booking_id": CRAFTED})
    assert resolve_channel(contract, f"private-c-{CRAFTED}{{*}}").match is None
    assert resolve_channel(contract, "private-c-{*}").match is not None
    path = tmp_path / "channels.yaml"
    path.write_text(text)
    with pytest.raises(ParameterError, match="does not look like a booking id"):
        TriageContext(TriageOptions(booking_id=CRAFTED, contract=path, env={}))
    narrowed = load_contract_text(text.replace("([a-z0-9]+-?)+", "[a-z]+"), "new.yaml")
    changed = [c.check.value for c in diff_contracts(contract, narrowed).changes]
    assert any(check.startswith("parameter-") for check in changed), changed


@pytest.mark.timeout(30)
def test_schema_examples_and_scan_drift_are_linear_too() -> None:
    """Example strings for a `(a+)+$` schema pattern and drift's hole templates run on RE2."""
    from hotelmate_rt.contracts.examples import schema_example
    from hotelmate_rt.scan.drift import fits
    from hotelmate_rt.scan.symbols import Hole

    node = {"type": "string", "pattern": "^(a+)+$"}
    assert schema_example(node, hints={"x": "a" * 40 + "!"}, name="x") == "a"
    assert schema_example(node, hints={"x": "aaa"}, name="x") == "aaa"
    holes = ("c", *[part for _ in range(12) for part in (Hole(), "-")], "end")
    assert not fits(holes, ("c" + "a-" * 60 + "x",))
    assert fits(holes, ("c" + "a-" * 60 + "end",))
