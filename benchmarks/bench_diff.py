"""Time `contract diff` of two generated 200-channel, 1,000-event contracts (target: under 1 s).

The baseline, measured in the same run, is loading the two contracts (YAML compose, model build
and 2,000 compiled payload validators), which every contract command pays; the figure that the
target is about is the whole command (load both sides, diff, render) run in-process.
"""

from __future__ import annotations

import io
import statistics
import sys
import time
from contextlib import redirect_stdout, suppress
from pathlib import Path
from tempfile import TemporaryDirectory

from hotelmate_rt.contracts import load_contract
from hotelmate_rt.contracts.diff import diff_contracts

CHANNELS = 200
EVENTS = 1000
RUNS = 7
TARGET_S = 1.0


def generate(channels: int = CHANNELS, events: int = EVENTS, edited: bool = False) -> str:
    """Return contract YAML; `edited` renames, retypes, removes and adds a few things."""
    out = ["version: 1", "default_target: pusher", "targets:", "  pusher:",
           f"    max_payload_bytes: {8000 if edited else 10240}",
           "sensitive_fields: [guest_token, email]", "parameters:",
           "  hotel_slug: {pattern: '[a-z0-9]+(?:-[a-z0-9]+)*', example: hotel-paradise}",
           "  item_id: {pattern: '[0-9]{1,12}', example: '45'}",
           "audiences:", "  public: {authenticates: false}",
           "  staff: {authenticates: true, scope: [hotel_slug]}", "channels:"]
    for c in range(channels):
        kind = "public" if c % 10 == 0 else "private"
        prefix = "" if kind == "public" else "private-"
        if edited and c == 7:
            kind, prefix = "public", ""
        audiences = "[public, staff]" if kind == "public" else "[staff]"
        if edited and c == 9:
            audiences = "[]"
        out += [f"  ch-{c}:", f"    template: '{prefix}hotel-{{hotel_slug}}-area-{c}-{{item_id}}'",
                f"    kind: {kind}", f"    audiences: {audiences}",
                "    aliases:", f"      - {{template: 'old-{c}-{{hotel_slug}}', status: deprecated}}"]
    out.append("events:")
    for e in range(events):
        if edited and e % 100 == 3:
            continue  # removed
        name = f"thing_{e}_happened" if not (edited and e % 100 == 5) else f"thing_{e}_occurred"
        chans = ", ".join(f"ch-{(e + k * 37) % channels}" for k in range(1 + e % 3))
        kind = "integer" if not (edited and e % 100 == 11) else "string"
        status = "[new, open, closed]" if not (edited and e % 100 == 13) else "[new, open, closed, held]"
        extra = "        note: {type: string}\n" if edited and e % 100 == 17 else ""
        required = "[id, status, at]" if not (edited and e % 100 == 19) else "[id, status, at, by]"
        out.append(
            f"  {name}:\n"
            f"    channels: [{chans}]\n"
            f"    description: generated event {e}\n"
            f"    schema:\n"
            f"      type: object\n"
            f"      required: {required}\n"
            f"      additionalProperties: false\n"
            f"      properties:\n"
            f"        id: {{type: {kind}}}\n"
            f"        status: {{enum: {status}}}\n"
            f"        at: {{type: string, format: date-time}}\n"
            f"        by: {{type: string, maxLength: 64}}\n"
            f"        tags: {{type: array, maxItems: 5, items: {{type: string, maxLength: 20}}}}\n"
            f"        meta:\n"
            f"          type: object\n"
            f"          properties:\n"
            f"            source: {{type: string}}\n"
            f"            count: {{type: integer, minimum: 0}}\n" + extra)
    out += ["event_aliases:"]
    out += [f"  old_thing_{e}: {{replaced_by: [thing_{e}_happened], status: deprecated}}"
            for e in range(0, events, 50) if not (edited and e == 50)]
    out += ["state_machines:", "  booking:", "    parameter: item_id",
            "    states: [new, open, closed]", "    initial: [new]", "    transitions:",
            "      - {from: new, to: open, emits: [thing_0_happened]}",
            "      - {from: open, to: closed, emits: [thing_1_happened"
            + ("" if edited else ", thing_2_happened") + "]}",
            "actions:", "  fan_out:", "    steps:",
            "      - {event: thing_0_happened}", "      - {event: thing_1_happened}"]
    return "\n".join(out) + "\n"


def main() -> None:
    """Print the median load-only baseline and the median full diff command, vs the target."""
    from hotelmate_rt.cli.app import app

    with TemporaryDirectory() as tmp:
        old, new = Path(tmp, "old.yaml"), Path(tmp, "new.yaml")
        old.write_text(generate(), encoding="utf-8")
        new.write_text(generate(edited=True), encoding="utf-8")
        loads, diffs, commands = [], [], []
        changes = 0
        for _ in range(RUNS):
            start = time.perf_counter()
            a, b = load_contract(old), load_contract(new)
            loads.append(time.perf_counter() - start)
            start = time.perf_counter()
            changes = len(diff_contracts(a, b).changes)
            diffs.append(time.perf_counter() - start)
            start = time.perf_counter()
            with redirect_stdout(io.StringIO()), suppress(SystemExit):
                app(["contract", "diff", str(old), str(new), "--format", "json"],
                    standalone_mode=False)
            commands.append(time.perf_counter() - start)
    print(f"contracts: {CHANNELS} channels, {EVENTS} events each side; {changes} changes found")
    print(f"{'':32}{'median':>10}{'best':>10}")
    for label, samples in (("load both sides (baseline)", loads), ("diff only", diffs),
                           ("contract diff command (all)", commands)):
        print(f"{label:32}{statistics.median(samples) * 1000:7.1f} ms{min(samples) * 1000:7.1f} ms")
    command_s = statistics.median(commands)
    print(f"target: command under {TARGET_S * 1000:.0f} ms (median): "
          f"{'met' if command_s < TARGET_S else 'MISSED'}")
    sys.exit(0)


if __name__ == "__main__":
    main()
