"""Rule ids: one registry per kind, typos are load errors with a 'did you mean', one --format."""

from __future__ import annotations

import json
import re
import textwrap
import tomllib
from pathlib import Path

import pytest
from typer.testing import CliRunner

import hotelmate_rt
from hotelmate_rt.cli.app import app
from hotelmate_rt.contracts import Contract, LintRule, VerdictKind
from hotelmate_rt.rules import Level, RuleId, UnknownRule
from hotelmate_rt.scan import ConfigError, ScanRule, parse_config, scan
from tests.helpers import CONTRACT_PATH, ROOT, SCAN_FIXTURES

KINDS: list[type[RuleId]] = [ScanRule, LintRule, VerdictKind]


@pytest.mark.parametrize("kind", KINDS)
def test_every_rule_is_documented_once(kind: type[RuleId]) -> None:
    """Each id is unique and kebab-case, with a level, a one-line summary and a help text."""
    ids = [rule.value for rule in kind]
    assert len(ids) == len(set(ids))
    for rule in kind:
        assert rule.value == rule.value.lower() and " " not in rule.value
        assert isinstance(rule.level, Level) and rule.summary and rule.help.endswith(".")


def test_wrong_names_have_their_own_ids() -> None:
    """A wrong alias is not 'unknown': scan and verdicts each have a wrong-*-name id."""
    assert {"wrong-event-name", "wrong-channel-name", "unknown-event", "unknown-channel"} <= \
        {r.value for r in ScanRule}
    assert {"wrong-event-name", "wrong-channel-name", "unknown-event", "unknown-channel"} <= \
        {k.value for k in VerdictKind}


def test_lookup_suggests_the_closest_id() -> None:
    """A misspelt id raises UnknownRule (a ConfigError) naming the closest one."""
    assert ScanRule.lookup(" wrong-event-name ") is ScanRule.WRONG_EVENT_NAME
    with pytest.raises(UnknownRule, match="unknown scan rule id 'unknown-evnt'; did you mean "
                                          "'unknown-event'"):
        ScanRule.lookup("unknown-evnt", "scan rule")
    with pytest.raises(ConfigError, match="known: "):
        LintRule.lookup("zzz")


def test_unknown_configuration_key_is_an_error_with_a_suggestion() -> None:
    """A typo among `[tool.hotelmate-rt]` keys is a load error, not silently ignored."""
    with pytest.raises(ConfigError, match=re.escape(
            "unknown key 'exlude' in [tool.hotelmate-rt]; did you mean 'exclude'?")):
        parse_config({"exlude": ["x"]})
    with pytest.raises(UnknownRule, match=re.escape(
            "[tool.hotelmate-rt.severity]: unknown scan rule id 'deprecated-chanel'")):
        parse_config({"severity": {"deprecated-chanel": "off"}})


def test_misspelt_suppression_is_a_load_error_naming_file_and_line(contract: Contract,
                                                                   tmp_path: Path) -> None:
    """`ignore[unknwn-event]` would suppress nothing: the scan stops with file:line instead."""
    (tmp_path / "a.py").write_text(textwrap.dedent('''\
        def f(pusher_client):
            pusher_client.trigger("hotel-x", "nope", {})  # hotelmate-rt: ignore[unknown-event]
            pusher_client.trigger("hotel-x", "nope", {})  # hotelmate-rt: ignore[unknwn-event]
            pusher_client.trigger("hotel-x", "nope", {})  # hotelmate-rt: ignore[]
    '''))
    with pytest.raises(UnknownRule) as info:
        scan([tmp_path], contract, parse_config({}), root=tmp_path)
    lines = str(info.value).splitlines()
    assert lines[0] == "a.py:3: suppression comment: unknown scan rule id 'unknwn-event'; " \
                       "did you mean 'unknown-event'?"
    assert lines[1].startswith("a.py:4: suppression comment: unknown scan rule id ''")
    result = CliRunner().invoke(app, ["scan", str(tmp_path), "-c", str(CONTRACT_PATH)],
                                env={"CI": "true"})
    assert result.exit_code == 2 and "a.py:3: suppression comment" in result.stderr


def test_version_comes_from_pyproject() -> None:
    """`hotelmate-rt --version` and `hotelmate_rt.__version__` both say pyproject's version."""
    declared = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    assert hotelmate_rt.__version__ == declared
    result = CliRunner().invoke(app, ["--version"])
    assert result.exit_code == 0 and result.stdout == f"hotelmate-rt {declared}\n"


@pytest.mark.parametrize(("args", "first"), [
    (["contract", "lint", str(CONTRACT_PATH), "--format", "json"], "{"),
    (["contract", "show", str(CONTRACT_PATH), "--json"], "{"),
    (["scan", str(SCAN_FIXTURES / "seed000" / "correct"), "-c", str(CONTRACT_PATH), "-f",
      "github"], ""),
])
def test_every_reporting_command_takes_format_and_json(args: list[str], first: str) -> None:
    """`--format` picks the reporter's format and `--json` is its alias."""
    result = CliRunner().invoke(app, args, env={"CI": "true"})
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith(first)
    if first == "{":
        json.loads(result.stdout)


def test_scan_github_annotations(tmp_path: Path) -> None:
    """`--format github` writes one workflow command per finding, with escaped properties."""
    seed = SCAN_FIXTURES / "seed000" / "wrong"
    result = CliRunner().invoke(app, ["scan", str(seed), "-c", str(CONTRACT_PATH), "--root",
                                      str(seed), "-f", "github"], env={"CI": "true"})
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert "::error file=backend/bookings/views.py,line=15,col=9,title=wrong-channel-name::" \
           "channel `booking.{*}` is a wrong name" in "\n".join(lines)
    assert all(line.startswith(("::error ", "::warning ")) for line in lines)


def test_unknown_format_is_a_usage_error_with_a_hint() -> None:
    """A format the command does not offer exits 2 and lists the ones it does."""
    result = CliRunner().invoke(app, ["check", "x.jsonl", "--format", "jsn"])
    assert result.exit_code == 2
    assert "unknown --format 'jsn'" in result.stderr and "text, ndjson" in result.stderr
