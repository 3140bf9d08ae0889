"""`contract codegen typescript`: the module compiles under `tsc --strict`, drift fails to compile.

The consumers live in tests/integration/typescript/: a good one (guest, staff and public pages)
must compile cleanly; the bad one marks each line that must fail with `expect TSnnnn`, and tsc
must report exactly those lines with exactly those codes. A runtime check compiles the module to
JavaScript and runs it with the real pusher-js on Node.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from hotelmate_rt.contracts import load_contract

ROOT = Path(__file__).resolve().parents[2]
CONSUMERS = Path(__file__).with_name("typescript")
TSC = ROOT / "node_modules" / "typescript" / "bin" / "tsc"
STRICT = ["--strict", "--noEmit", "--pretty", "false", "--target", "es2020", "--module", "esnext",
          "--moduleResolution", "bundler", "--skipLibCheck"]
ERROR = re.compile(r"^(?P<file>[^(]+)\((?P<line>\d+),(?P<col>\d+)\): error (?P<code>TS\d+): ")
EXPECT = re.compile(r"// expect (TS\d+)")


def _node() -> str:
    """Return the node executable, failing with a hint when Node or typescript is missing."""
    found = shutil.which("node")
    if found is None:
        pytest.fail("node is not on PATH (Node 20 runs tsc).", pytrace=False)
    if not TSC.is_file():
        pytest.fail("typescript is not installed; run `make install` (npm install).", pytrace=False)
    return found


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A frontend-like directory: the generated module under realtime/, the consumers beside it."""
    root = tmp_path_factory.mktemp("frontend")
    (root / "node_modules").symlink_to(ROOT / "node_modules", target_is_directory=True)
    generated = subprocess.run(
        [sys.executable, "-m", "hotelmate_rt", "contract", "codegen", "typescript",
         str(ROOT / "channels.yaml"), "--out", str(root / "realtime" / "contract.ts")],
        capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert generated.returncode == 0, generated.stderr
    for consumer in CONSUMERS.glob("*.ts"):
        shutil.copy(consumer, root / consumer.name)
    return root


def tsc(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run the TypeScript compiler in the project directory (bounded in time)."""
    return subprocess.run([_node(), str(TSC), *args], cwd=project, capture_output=True,
                          text=True, timeout=300)


def test_writes_one_module_and_an_entry_point_per_audience(project: Path) -> None:
    """The core module and guest/staff/public entry points exist; stdout gets the core module."""
    files = sorted(p.name for p in (project / "realtime").iterdir())
    assert files == ["contract.guest.ts", "contract.public.ts", "contract.staff.ts", "contract.ts"]
    printed = subprocess.run([sys.executable, "-m", "hotelmate_rt", "contract", "codegen",
                              "typescript", str(ROOT / "channels.yaml")],
                             capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert printed.stdout == (project / "realtime" / "contract.ts").read_text()
    guest = (project / "realtime" / "contract.guest.ts").read_text()
    assert "hotelStaffChannel" not in guest and "guestBookingChannel" in guest


def test_module_and_good_consumer_compile_under_strict(project: Path) -> None:
    """The generated module and a consumer using every helper compile with no diagnostic."""
    result = tsc(project, *STRICT, "good_consumer.ts")
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout == ""


def test_bad_consumer_fails_exactly_on_the_marked_lines(project: Path) -> None:
    """A staff import, `message-received`, a missing field and `booking.${id}` fail, nothing else."""
    source = (project / "bad_consumer.ts").read_text().splitlines()
    expected = {(number, match.group(1)) for number, line in enumerate(source, 1)
                for match in [EXPECT.search(line)] if match}
    assert len(expected) == 4
    result = tsc(project, *STRICT, "bad_consumer.ts")
    found = {(m["file"], int(m["line"]), m["code"])
             for m in map(ERROR.match, result.stdout.splitlines()) if m}
    assert result.returncode != 0
    assert found == {("bad_consumer.ts", line, code) for line, code in expected}, result.stdout
    assert "'\"message-received\"' is not assignable to parameter of type '\"new-staff-message\"'" \
        in result.stdout
    assert "Property 'sender_name' does not exist on type 'NewStaffMessagePayload'" in result.stdout
    assert "'`booking.${string}`' is not assignable to parameter of type 'GuestChannelName'" \
        in result.stdout


def test_generated_code_runs_with_pusher_js(project: Path) -> None:
    """Builders render the contract's names, bad parameters throw, deprecated names are routed."""
    compiled = tsc(project, "--strict", "--pretty", "false", "--target", "es2020", "--module",
                   "commonjs", "--moduleResolution", "node", "--esModuleInterop",
                   "--skipLibCheck", "--outDir", "out", "runtime_check.ts")
    assert compiled.returncode == 0, compiled.stdout
    ran = subprocess.run([_node(), "out/runtime_check.js"], cwd=project, capture_output=True,
                         text=True, timeout=60)
    assert ran.returncode == 0, ran.stderr
    report = json.loads(ran.stdout)
    contract = load_contract(ROOT / "channels.yaml")
    params = {"booking_id": "BK-2025-0002", "hotel_slug": "hotel-paradise", "room_number": "101",
              "conversation_id": "45"}
    assert report["names"] == {cid: contract.render(cid, **params) for cid in contract.channels}
    assert "booking_id=\"booking.42\" does not match the contract pattern" in report["refused"]
    assert report["received"] == [{"offer_id": 7, "offer_title": "Spa", "action": "deleted"}]
    assert report["staff"] == ["Ana"]
