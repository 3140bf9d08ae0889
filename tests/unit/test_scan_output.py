"""The `scan` command: SARIF (validated against the 2.1.0 schema), JUnit, JSON, exit codes."""

from __future__ import annotations

import json
from pathlib import Path
from xml.etree import ElementTree

import jsonschema
import pytest
from typer.testing import CliRunner

from hotelmate_rt.cli.app import app
from tests.helpers import CONTRACT_PATH, FIXTURES

SEED000 = FIXTURES / "scan" / "seed000" / "wrong"
CONTRACT = CONTRACT_PATH


@pytest.fixture
def runner() -> CliRunner:
    """Return a CLI runner."""
    return CliRunner()


def invoke(runner: CliRunner, *args: str) -> tuple[int, str, str]:
    """Run `hotelmate-rt scan` on the seed 000 tree and return (exit code, stdout, stderr)."""
    result = runner.invoke(app, ["scan", str(SEED000), "--contract", str(CONTRACT),
                                 "--root", str(SEED000), *args], env={"CI": "true"})
    return result.exit_code, result.stdout, result.stderr


def test_sarif_validates_against_the_sarif_2_1_0_schema(runner: CliRunner) -> None:
    """The SARIF log is schema-valid and carries rules, ruleIds, levels, relative URIs, regions."""
    code, out, _ = invoke(runner, "--format", "sarif")
    assert code == 1
    log = json.loads(out)
    schema = json.loads((FIXTURES / "sarif-schema-2.1.0.json").read_text(encoding="utf-8"))
    jsonschema.Draft4Validator(schema).validate(log)
    run = log["runs"][0]
    rule_ids = [r["id"] for r in run["tool"]["driver"]["rules"]]
    assert "wrong-channel-name" in rule_ids and "public-with-auth" in rule_ids
    first = next(r for r in run["results"] if r["ruleId"] == "wrong-channel-name")
    location = first["locations"][0]["physicalLocation"]
    assert location["artifactLocation"] == {"uri": "backend/bookings/views.py",
                                            "uriBaseId": "%SRCROOT%"}
    assert location["region"] == {"startLine": 15, "startColumn": 9}
    assert first["level"] == "error"
    assert rule_ids[first["ruleIndex"]] == "wrong-channel-name"
    assert run["originalUriBaseIds"]["%SRCROOT%"]["uri"].endswith("/")


def test_junit_has_one_testcase_per_rule(runner: CliRunner) -> None:
    """JUnit XML: failing rules have a <failure>, warnings below --fail-on go to system-out."""
    code, out, _ = invoke(runner, "--format", "junit")
    assert code == 1
    suite = ElementTree.fromstring(out).find("testsuite")
    assert suite is not None
    cases = {c.get("name"): c for c in suite.findall("testcase")}
    assert cases["wrong-channel-name"].find("failure") is not None
    assert cases["unknown-event"].find("failure") is None
    missing = cases["payload-missing-field"]
    assert missing.find("failure") is None and missing.find("system-out") is not None
    assert suite.get("failures") == "4"


def test_json_output_and_fail_on(runner: CliRunner) -> None:
    """--format json lists findings, sites and the summary; --fail-on never exits 0."""
    code, out, _ = invoke(runner, "--format", "json", "--fail-on", "never")
    assert code == 0
    data = json.loads(out)
    assert data["ok"] is True
    assert data["summary"]["errors"] >= 5
    assert {"rule", "level", "file", "line", "column", "message"} <= set(data["findings"][0])


def test_text_report_groups_by_file(runner: CliRunner) -> None:
    """The human report names each file once, then its findings with fixes."""
    code, out, _ = invoke(runner)
    assert code == 1
    assert out.count("backend/bookings/views.py") == 1
    assert "did you mean `private-booking-{booking_id}`?" in out
    assert "FAIL (--fail-on error)" in out


def test_clean_tree_exits_zero(runner: CliRunner) -> None:
    """A contract-correct tree with coverage rules at warning exits 0 under --fail-on error."""
    tree = FIXTURES / "scan" / "seed000" / "correct"
    result = runner.invoke(app, ["scan", str(tree), "-c", str(CONTRACT), "--root", str(tree)],
                           env={"CI": "true"})
    assert result.exit_code == 0, result.stdout
    assert "ok (--fail-on error)" in result.stdout


@pytest.mark.parametrize("args", [
    ["--format", "xml"], ["--fail-on", "sometimes"], ["/no/such/dir"],
])
def test_usage_errors_exit_2_without_traceback(runner: CliRunner, args: list[str]) -> None:
    """Bad options and missing paths exit 2 with one line on stderr."""
    result = runner.invoke(app, ["scan", "-c", str(CONTRACT), *args], env={"CI": "true"})
    assert result.exit_code == 2
    assert "Traceback" not in result.stdout + result.stderr
    assert result.stderr.startswith("error:")


def test_bad_pyproject_exits_2(runner: CliRunner, tmp_path: Path) -> None:
    """An unknown rule in [tool.hotelmate-rt.severity] is a usage error."""
    (tmp_path / "pyproject.toml").write_text('[tool.hotelmate-rt.severity]\nunknwn-event = "off"\n')
    result = runner.invoke(app, ["scan", str(tmp_path), "-c", str(CONTRACT)], env={"CI": "true"})
    assert result.exit_code == 2
    assert "did you mean 'unknown-event'?" in result.stderr


def test_output_file(runner: CliRunner, tmp_path: Path) -> None:
    """--output writes the report to a file and nothing to stdout."""
    target = tmp_path / "scan.sarif"
    code, out, _ = invoke(runner, "--format", "sarif", "--output", str(target))
    assert code == 1 and out == ""
    assert json.loads(target.read_text())["version"] == "2.1.0"


def test_include_from_pyproject_is_the_default_path(runner: CliRunner, tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """With no PATH, `include` from [tool.hotelmate-rt] says what to scan (relative to it)."""
    seed = FIXTURES / "scan" / "seed000" / "wrong"
    (tmp_path / "pyproject.toml").write_text(
        '[tool.hotelmate-rt]\ninclude = ["backend"]\ncontract = "channels.yaml"\n'
        '[tool.hotelmate-rt.severity]\nuncovered-backend-event = "off"\n'
        'transition-never-emitted = "off"\n')
    (tmp_path / "channels.yaml").write_text(CONTRACT.read_text(encoding="utf-8"))
    import shutil

    shutil.copytree(seed / "backend", tmp_path / "backend")
    shutil.copytree(seed / "frontend", tmp_path / "frontend")
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["scan", "--format", "json"], env={"CI": "true"})
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    assert {f["file"] for f in data["findings"]} == {"backend/bookings/views.py"}
    assert data["contract"] == "channels.yaml"
