"""The built wheel installs into a clean virtualenv and its console script works (issue 15.15)."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import venv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def run(*args: str | Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run a command to completion (bounded), failing the test with its output if it fails."""
    result = subprocess.run([str(a) for a in args], cwd=cwd, capture_output=True, text=True,
                            timeout=540)
    assert result.returncode == 0, f"{args}\n{result.stdout}\n{result.stderr}"
    return result


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_wheel_in_a_clean_venv_runs_contract_lint(tmp_path: Path) -> None:
    """Build the wheel from a copy of the sources, install it in a fresh venv, lint the contract."""
    source = tmp_path / "src"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, source / name)
    shutil.copytree(ROOT / "hotelmate_rt", source / "hotelmate_rt",
                    ignore=shutil.ignore_patterns("__pycache__"))
    dist = tmp_path / "dist"
    run(sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", dist, source, cwd=tmp_path)
    wheel = next(dist.glob("hotelmate_rt-*.whl"))
    env = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True).create(env)
    run(env / "bin" / "python", "-m", "pip", "install", "-q", wheel, cwd=tmp_path)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    shutil.copy2(ROOT / "channels.yaml", elsewhere / "channels.yaml")
    result = subprocess.run([env / "bin" / "hotelmate-rt", "contract", "lint", "channels.yaml"],
                            cwd=elsewhere, capture_output=True, text=True, timeout=120)
    output = result.stdout + result.stderr
    assert result.returncode in (0, 1), output
    assert "Traceback" not in output
    assert re.search(r"\d+ channels, \d+ events", output), output
    located = subprocess.run([env / "bin" / "python", "-c",
                              "import hotelmate_rt, re2; print(hotelmate_rt.__file__)"],
                             cwd=elsewhere, capture_output=True, text=True, timeout=60)
    assert str(env) in located.stdout, located.stderr
    assert (Path(located.stdout.strip()).parent / "py.typed").exists()
