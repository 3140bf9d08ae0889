"""Time `hotelmate-rt --help` against a bare Python start (the baseline), in the same run."""

from __future__ import annotations

import statistics
import subprocess
import sys
import time

RUNS = 15


def timed(args: list[str]) -> float:
    """Return the median wall time of running a command RUNS times."""
    samples = []
    for _ in range(RUNS):
        start = time.perf_counter()
        subprocess.run(args, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                       timeout=60)
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def main() -> None:
    """Print the medians and what --help costs over a bare interpreter."""
    python = [sys.executable, "-c", "pass"]
    typer_only = [sys.executable, "-c", "import typer"]
    cli = [sys.executable, "-m", "hotelmate_rt", "--help"]
    sub = [sys.executable, "-m", "hotelmate_rt", "contract", "--help"]
    base = timed(python)
    print(f"python -c pass (baseline)       {base * 1000:7.1f} ms")
    print(f"python -c 'import typer'        {timed(typer_only) * 1000:7.1f} ms")
    cli_time = timed(cli)
    print(f"hotelmate-rt --help             {cli_time * 1000:7.1f} ms "
          f"(+{(cli_time - base) * 1000:.1f} ms over the baseline)")
    print(f"hotelmate-rt contract --help    {timed(sub) * 1000:7.1f} ms")
    loaded = subprocess.run(
        [sys.executable, "-c", "import sys, hotelmate_rt.cli.app; "
         "print(sorted({m.split('.')[0] for m in sys.modules} & "
         "{'rich', 'pysher', 'pusher', 'httpx', 'jsonschema_rs', 'yaml', 'django'}))"],
        capture_output=True, text=True, check=True, timeout=60).stdout.strip()
    print(f"heavy modules loaded by the CLI entry point: {loaded}")


if __name__ == "__main__":
    main()
