"""The README's commands as the reader sees them: its ```sh blocks and the `run:` steps of its
GitHub Actions ```yaml block, each with the variables exported before it and its skip reason."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

import yaml

from tests.helpers import ROOT

README = ROOT / "README.md"
MARKER = re.compile(r"#.*not run by the tests: ([^\n]+)")


@dataclass(frozen=True, slots=True)
class ReadmeCommand:
    """One command of the README: its text as written, where, and the README's reason to skip."""

    text: str
    line: int
    kind: str = "sh"
    exports: tuple[str, ...] = ()
    """The variables the README has exported before this command."""

    @property
    def flat(self) -> str:
        """The command on one line (continuations joined), for matching and ids."""
        return " ".join(self.text.replace("\\\n", " ").split())

    @property
    def skip(self) -> str:
        """The `# not run by the tests: REASON` of this command, or ''."""
        found = MARKER.search(self.text)
        reason = found.group(1).strip() if found else ""
        return reason[:-1] if reason.count(")") > reason.count("(") else reason


def fenced_blocks(text: str) -> Iterator[tuple[str, int, list[str]]]:
    """Yield (language, line of the first body line, body lines) of each fenced block (also one
    indented inside a list item, its body dedented)."""
    lines = text.splitlines()
    index = 0
    while index < len(lines):
        opening = re.match(r"^(\s*)```(\w*)\s*$", lines[index])
        index += 1
        if opening is None:
            continue
        indent, start = opening.group(1), index
        while index < len(lines) and not lines[index].strip().startswith("```"):
            index += 1
        body = [line[len(indent):] if line.startswith(indent) else line
                for line in lines[start:index]]
        yield opening.group(2), start + 1, body
        index += 1


def readme_commands(text: str) -> tuple[list[ReadmeCommand], dict[str, str]]:
    """Return the README's commands in order and the variables it tells the reader to export."""
    commands: list[ReadmeCommand] = []
    exports: dict[str, str] = {}
    for language, first, body in fenced_blocks(text):
        if language == "sh":
            pending: list[str] = []
            for offset, raw in enumerate(body):
                if not pending and (not raw.strip() or raw.lstrip().startswith("#")):
                    continue
                pending.append(raw)
                if raw.rstrip().endswith("\\"):
                    continue
                joined = "\n".join(pending)
                line = first + offset - len(pending) + 1
                pending = []
                exported = re.match(r"^export\s+([A-Z_][A-Z0-9_]*)=(\S+)", joined)
                if exported:
                    exports[exported.group(1)] = exported.group(2).strip('"')
                else:
                    commands.append(ReadmeCommand(joined, line, exports=tuple(exports)))
        elif language == "yaml":
            for name, step in _steps(yaml.safe_load("\n".join(body))):
                script = step.get("run", "")
                if re.search(r"^\s*hotelmate-rt ", script, re.M):
                    line = first + next((i for i, b in enumerate(body) if name in b), 0)
                    commands.append(ReadmeCommand(script.replace("${{ github.base_ref }}", "main"),
                                                  line, "yaml", tuple(exports)))
    return commands, exports


def _steps(document: object) -> Iterator[tuple[str, dict[str, str]]]:
    """Yield (name or first line, step) of every step in a GitHub Actions job document."""
    jobs = document.values() if isinstance(document, dict) else []
    for job in jobs:
        for step in job.get("steps", []) if isinstance(job, dict) else []:
            if isinstance(step, dict) and isinstance(step.get("run"), str):
                yield str(step.get("name") or step["run"].splitlines()[0]), step
