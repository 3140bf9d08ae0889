"""Scan configuration from `pyproject.toml` `[tool.hotelmate-rt]` (read with tomllib)."""

from __future__ import annotations

import difflib
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from hotelmate_rt.errors import ConfigError
from hotelmate_rt.rules import UnknownRule

from .rules import Level, ScanRule

DEFAULT_MAX_FILE_BYTES = 1_000_000
KEYS = ("include", "exclude", "max-file-bytes", "contract", "severity")
"""Every key `[tool.hotelmate-rt]` may hold; any other key is a typo and a load error."""
LEVELS = (Level.ERROR, Level.WARNING, Level.OFF)


@dataclass(slots=True)
class ScanConfig:
    """Paths to scan or skip, rule levels and limits; defaults when no pyproject says more."""

    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    severity: dict[ScanRule, Level] = field(default_factory=dict)
    max_file_bytes: int = DEFAULT_MAX_FILE_BYTES
    contract: str | None = None
    source: str | None = None

    def level(self, rule: ScanRule | str) -> Level:
        """Return the configured level of a rule (its default unless overridden)."""
        rule = ScanRule(rule)
        return self.severity.get(rule, rule.level)


def find_pyproject(start: Path) -> Path | None:
    """Return the nearest pyproject.toml at or above `start`, or None."""
    current = start.resolve()
    if current.is_file():
        current = current.parent
    for directory in (current, *current.parents):
        candidate = directory / "pyproject.toml"
        if candidate.is_file():
            return candidate
    return None


def load_config(path: Path | None) -> ScanConfig:
    """Read `[tool.hotelmate-rt]` from a pyproject.toml; defaults when absent or path is None."""
    if path is None:
        return ScanConfig()
    return parse_config(load_tool_table(path), str(path))


def load_tool_table(path: Path, *subtable: str) -> dict[str, object]:
    """Read `[tool.hotelmate-rt]` (or a sub-table such as `diff`) of a pyproject.toml; {} if absent."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror or exc}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}") from None
    table = data.get("tool", {}).get("hotelmate-rt", {})
    name = "tool.hotelmate-rt"
    for key in subtable:
        if not isinstance(table, dict):
            break
        table, name = table.get(key, {}), f"{name}.{key}"
    if not isinstance(table, dict):
        raise ConfigError(f"{path}: [{name}] must be a table")
    return table


def parse_config(table: dict[str, object], source: str = "<config>") -> ScanConfig:
    """Validate a `[tool.hotelmate-rt]` table: unknown keys and rule ids are errors."""
    for key in table:
        if key not in KEYS:
            close = difflib.get_close_matches(key, KEYS, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else f"; known: {', '.join(KEYS)}"
            raise ConfigError(f"{source}: unknown key {key!r} in [tool.hotelmate-rt]{hint}")
    config = ScanConfig(source=source)
    config.include = _strings(table, "include", source)
    config.exclude = _strings(table, "exclude", source)
    limit = table.get("max-file-bytes", DEFAULT_MAX_FILE_BYTES)
    if not isinstance(limit, int) or isinstance(limit, bool) or limit <= 0:
        raise ConfigError(f"{source}: max-file-bytes must be a positive integer")
    config.max_file_bytes = limit
    contract = table.get("contract")
    if contract is not None and not isinstance(contract, str):
        raise ConfigError(f"{source}: contract must be a path string")
    config.contract = contract
    severity = table.get("severity", {})
    if not isinstance(severity, dict):
        raise ConfigError(f"{source}: [tool.hotelmate-rt.severity] must be a table")
    for key, level in severity.items():
        try:
            rule = ScanRule.lookup(key, "scan rule")
        except UnknownRule as exc:
            raise UnknownRule(f"{source}: [tool.hotelmate-rt.severity]: {exc}") from None
        if level not in LEVELS:
            raise ConfigError(f"{source}: severity of {key!r} must be error, warning or off, "
                              f"not {level!r}")
        config.severity[rule] = Level(level)
    return config


def _strings(table: dict[str, object], key: str, source: str) -> tuple[str, ...]:
    """Read a list of strings (or one string) from the table."""
    value = table.get(key, ())
    if isinstance(value, str):
        return (value,)
    if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{source}: {key} must be a list of path patterns")
    return tuple(value)
