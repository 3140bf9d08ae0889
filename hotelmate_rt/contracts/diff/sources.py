"""Read one side of a diff: a contract file, or a git revision (`main:channels.yaml`, `HEAD~1`)."""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

from hotelmate_rt.contracts.loader import ContractProblem, ProblemKind, load_contract, load_contract_text
from hotelmate_rt.contracts.model import Contract, Location
from hotelmate_rt.errors import ContractLoadError

GIT_TIMEOUT_S = 20.0


@dataclass(frozen=True, slots=True)
class Side:
    """A loaded side: the contract, what to call it, and its path in the work tree (annotations)."""

    contract: Contract
    label: str
    path: str


def load_side(spec: str, default_path: str | os.PathLike[str], cwd: Path | None = None) -> Side:
    """Load a side given as a file path, `REV:PATH`, or a bare revision (then `REV:<default>`)."""
    cwd = cwd or Path.cwd()
    candidate = Path(spec) if Path(spec).is_absolute() else cwd / spec
    if candidate.is_file():
        here = not Path(spec).is_absolute() and cwd.resolve() == Path.cwd().resolve()
        return Side(load_contract(spec if here else candidate), spec, spec)
    if ":" in spec:
        revision, _, path = spec.partition(":")
        return _from_git(revision, path, spec, cwd)
    if _is_revision(spec, cwd):
        relative = Path(os.path.relpath(Path(cwd, default_path), cwd)).as_posix()
        return _from_git(spec, f"./{relative}", f"{spec}:{relative}", cwd)
    raise _problem(spec, f"{spec!r} is neither a contract file nor a git revision",
                   "Pass a path, REV:PATH (e.g. main:channels.yaml) or a revision such as HEAD~1.")


def _from_git(revision: str, path: str, label: str, cwd: Path) -> Side:
    """Read `git show REV:PATH` and load it, naming it `label` in every location."""
    completed = _git(["show", f"{revision}:{path}"], cwd, label)
    if completed.returncode != 0:
        reason = (completed.stderr.strip().splitlines() or ["git show failed"])[-1]
        raise _problem(label, f"git cannot read {revision}:{path}: {reason}",
                       "Check the revision (git log) and the path at that revision (git ls-tree).")
    return Side(load_contract_text(completed.stdout, label), label, path.removeprefix("./"))


def _is_revision(spec: str, cwd: Path) -> bool:
    """Tell whether git knows `spec` as a commit in the repository around `cwd`."""
    completed = _git(["rev-parse", "--verify", "--quiet", f"{spec}^{{commit}}"], cwd, spec)
    return completed.returncode == 0


def _git(args: list[str], cwd: Path, label: str) -> subprocess.CompletedProcess[str]:
    """Run git with a timeout; a missing git or a hung one is a load error for that side."""
    try:
        return subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True,
                              timeout=GIT_TIMEOUT_S, check=False, encoding="utf-8",
                              errors="replace", stdin=subprocess.DEVNULL)
    except FileNotFoundError:
        raise _problem(label, "git is not installed, so a revision cannot be read",
                       "Install git or pass the contract as a file.") from None
    except subprocess.TimeoutExpired:
        raise _problem(label, f"git did not answer within {GIT_TIMEOUT_S:.0f} s",
                       "Retry, or pass the contract as a file.") from None


def _problem(label: str, message: str, fix: str) -> ContractLoadError:
    """Build the load error of a side that cannot be read."""
    return ContractLoadError([ContractProblem(ProblemKind.NOT_FOUND, message,
                                              Location(label, 0, 0), fix)])
