"""Benchmark channel-name matching on RE2 (shipped) against Python's `re` (the previous engine).

Both engines match the same names against the shipped contract's templates, built the same way;
the `re` baseline is the template regex as it was before issue 15 (`(?P<name>...)` groups and
`(?P=name)` for repeated parameters). Figures, all from one run:

- templates: every template and alias of the contract tried on each name, RE2 (Template.match)
  against the `re` baseline (fullmatch + groupdict), the same loop for both;
- match_channel_all: the auth endpoint's whole lookup on RE2 (templates, ranking, no cache);
- match_channel: the probe's path, where names repeat and the contract's cache answers;
- hostile: one crafted name against a `([a-z0-9]+-?)+` slug (re is given a shorter name so that
  the run ends; RE2 gets the full 32 characters).

Run: `.venv/bin/python benchmarks/bench_match.py [--rounds 2000] [--json]`.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from hotelmate_rt.contracts import Contract, Template, load_contract  # noqa: E402
from hotelmate_rt.contracts.templates import DEFAULT_PATTERN  # noqa: E402

NAMES = ["private-booking-BK-2025-0002", "booking.BK-2025-0002", "hotel-killarney",
         "private-hotel-paradise-room-101-chat", "hotel-paradise-room-101-chat",
         "private-hotel-hotel-paradise-staff", "private-room-hotel-paradise-101",
         "presence-lobby", "private-booking-BK-2025-0002-x", "hotel-paradise-conversation-45-chat"]


def python_re(template: Template, patterns: dict[str, str]) -> re.Pattern[str]:
    """Build the template regex with `re` exactly as before issue 15."""
    parts: list[str] = []
    seen: set[str] = set()
    for index, literal in enumerate(template.literals):
        parts.append(re.escape(literal))
        if index < len(template.parameters):
            name = template.parameters[index]
            if name in seen:
                parts.append(f"(?P={name})")
            else:
                parts.append(f"(?P<{name}>{patterns.get(name, DEFAULT_PATTERN)})")
                seen.add(name)
    return re.compile("".join(parts))


def all_templates(contract: Contract) -> list[Template]:
    """Every channel template and alias template of the contract."""
    return [t for c in contract.channels.values()
            for t in (c.template, *(a.template for a in c.aliases))]


def per_call_us(run: Any, calls: int) -> float:
    """Time `run()` and return microseconds per call (best of three)."""
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - start)
    return best / calls * 1e6


def main() -> None:
    """Measure both engines on the same names and print (or --json) the figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=2000)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    contract = load_contract(ROOT / "channels.yaml")
    templates = all_templates(contract)
    baseline = [python_re(t, contract.patterns) for t in templates]
    names = NAMES * args.rounds
    calls = len(names)

    def re2_templates() -> None:
        for name in names:
            for template in templates:
                template.match(name)

    def re2_all() -> None:
        for name in names:
            contract.match_channel_all(name)

    def re_all() -> None:
        for name in names:
            for regex in baseline:
                found = regex.fullmatch(name)
                if found is not None:
                    found.groupdict()

    def re2_cached() -> None:
        for name in names:
            contract.match_channel(name)

    slug = load_contract(ROOT / "channels.yaml")
    slug.parameters["hotel_slug"] = slug.parameters["hotel_slug"].__class__(
        "hotel_slug", "([a-z0-9]+-?)+", "hotel-paradise")
    hostile_template = Template.parse("private-hotel-{hotel_slug}-staff")
    hostile_re2 = hostile_template.compile(slug.patterns)
    hostile_re = python_re(hostile_template, slug.patterns)
    long_name = "private-hotel-" + "a" * 31 + "!"
    short_name = "private-hotel-" + "a" * 22 + "!"
    start = time.perf_counter()
    hostile_re2.match(long_name)
    re2_hostile = time.perf_counter() - start
    start = time.perf_counter()
    hostile_re.fullmatch(short_name)
    re_hostile = time.perf_counter() - start

    figures = {
        "templates": len(templates),
        "templates_us": {"re2": round(per_call_us(re2_templates, calls), 2),
                         "re_baseline": round(per_call_us(re_all, calls), 2)},
        "match_channel_all_us": round(per_call_us(re2_all, calls), 2),
        "match_channel_cached_us": round(per_call_us(re2_cached, calls), 3),
        "hostile_name_s": {"re2_32_chars": round(re2_hostile, 6),
                           "re_baseline_23_chars": round(re_hostile, 3)},
    }
    if args.json:
        print(json.dumps(figures))
        return
    both = figures["templates_us"]
    print(f"{figures['templates']} templates tried per name: RE2 {both['re2']} us/name vs "
          f"re baseline {both['re_baseline']} us/name ({both['re2'] / both['re_baseline']:.2f}x)")
    print(f"match_channel_all (auth path, uncached, RE2): {figures['match_channel_all_us']} us/name")
    print(f"match_channel (probe path, cached): {figures['match_channel_cached_us']} us/name")
    print(f"hostile slug pattern: RE2 {re2_hostile * 1e3:.3f} ms on 32 characters; "
          f"re baseline {re_hostile:.2f} s on 23 characters (doubles per extra character)")


if __name__ == "__main__":
    main()
