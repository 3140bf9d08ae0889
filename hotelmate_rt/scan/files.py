"""Find source files under the scanned paths and read them, recording every skip with a reason."""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Iterable
from dataclasses import dataclass
from fnmatch import fnmatchcase
from pathlib import Path

from .model import SkippedFile

LANGUAGES = {".py": "python", ".js": "javascript", ".jsx": "javascript", ".mjs": "javascript",
             ".cjs": "javascript", ".ts": "typescript", ".mts": "typescript",
             ".cts": "typescript", ".tsx": "tsx"}
DEFAULT_EXCLUDE_DIRS = frozenset({
    "node_modules", ".git", ".hg", ".svn", ".venv", "venv", "__pycache__", ".tox", ".nox",
    ".mypy_cache", ".ruff_cache", ".pytest_cache", "dist", "build", ".next", "coverage",
    "site-packages", "bower_components"})
DEFAULT_EXCLUDE_FILES = ("*.min.js", "*.d.ts", "*.bundle.js")


@dataclass(frozen=True, slots=True)
class SourceFile:
    """A file to scan: its absolute path, repo-relative posix path and language."""

    path: str
    rel: str
    lang: str
    linked: bool = False


def relative(path: str, root: str) -> str:
    """Return `path` relative to `root` in posix form (absolute when outside the root)."""
    try:
        rel = os.path.relpath(path, root)
    except ValueError:
        return Path(path).as_posix()
    if rel == os.pardir or rel.startswith(os.pardir + os.sep):
        return Path(os.path.abspath(path)).as_posix()
    return Path(rel).as_posix()


class Excluder:
    """Decide which relative paths are excluded (default directories plus configured globs)."""

    def __init__(self, patterns: Iterable[str]) -> None:
        self._patterns: list[str] = []
        for pattern in patterns:
            cleaned = pattern.strip().removeprefix("./").rstrip("/")
            if cleaned.endswith("/**"):
                cleaned = cleaned[:-3]
            if cleaned:
                self._patterns.append(cleaned)

    def directory(self, rel: str, name: str) -> bool:
        """Tell whether a directory is pruned."""
        if name in DEFAULT_EXCLUDE_DIRS:
            return True
        return self._match(rel, name)

    def file(self, rel: str, name: str) -> bool:
        """Tell whether a file is excluded."""
        if any(fnmatchcase(name, p) for p in DEFAULT_EXCLUDE_FILES):
            return True
        return self._match(rel, name)

    def _match(self, rel: str, name: str) -> bool:
        """Match configured globs against the relative path (or the bare name if no slash)."""
        for pattern in self._patterns:
            if fnmatchcase(rel, pattern) or ("/" not in pattern and fnmatchcase(name, pattern)):
                return True
            if pattern.startswith("**/") and fnmatchcase(rel, pattern[3:]):
                return True
        return False


def discover(paths: Iterable[Path], root: str, exclude: Iterable[str],
             skipped: list[SkippedFile]) -> list[SourceFile]:
    """List source files under `paths`; symlink loops and special files go to `skipped`."""
    excluder = Excluder(exclude)
    found: list[SourceFile] = []
    seen_dirs: set[tuple[int, int]] = set()
    seen_files: set[tuple[int, int]] = set()
    for start in paths:
        text = os.path.abspath(os.fspath(start))
        try:
            info = os.stat(text)
        except OSError as exc:
            skipped.append(SkippedFile(relative(text, root), _reason(exc)))
            continue
        if stat.S_ISDIR(info.st_mode):
            _walk(text, root, excluder, found, seen_dirs, seen_files, skipped)
        else:
            _file(text, root, found, seen_files, skipped, explicit=True)
    return _dedupe_links(found)


def _dedupe_links(found: list[SourceFile]) -> list[SourceFile]:
    """Drop files reached through a symlink when the target itself is also being scanned."""
    if not any(f.linked for f in found):
        return found
    direct = {f.path for f in found if not f.linked}
    out: list[SourceFile] = []
    seen: set[str] = set()
    for source in found:
        if source.linked:
            real = os.path.realpath(source.path)
            if real in direct or real in seen:
                continue
            seen.add(real)
        out.append(source)
    return out


def _walk(top: str, root: str, excluder: Excluder, found: list[SourceFile],
          seen_dirs: set[tuple[int, int]], seen_files: set[tuple[int, int]],
          skipped: list[SkippedFile]) -> None:
    """Walk a directory tree iteratively, following symlinks but never looping."""
    top_rel = relative(top, root)
    stack = [(top, "" if top_rel == "." else top_rel)]
    while stack:
        directory, dir_rel = stack.pop()
        try:
            info = os.stat(directory)
        except OSError as exc:
            skipped.append(SkippedFile(relative(directory, root), _reason(exc)))
            continue
        identity = (info.st_dev, info.st_ino)
        if identity in seen_dirs:
            skipped.append(SkippedFile(relative(directory, root),
                                       "symlink loop: directory already scanned"))
            continue
        seen_dirs.add(identity)
        try:
            entries = sorted(os.scandir(directory), key=lambda e: e.name)
        except OSError as exc:
            skipped.append(SkippedFile(relative(directory, root), _reason(exc)))
            continue
        subdirs: list[tuple[str, str]] = []
        for entry in entries:
            rel = f"{dir_rel}/{entry.name}" if dir_rel else entry.name
            try:
                is_dir = entry.is_dir()
            except OSError:
                is_dir = False
            if is_dir:
                if not excluder.directory(rel, entry.name):
                    subdirs.append((entry.path, rel))
                continue
            if entry.is_symlink() and not os.path.exists(entry.path):
                if _looping(entry.path):
                    skipped.append(SkippedFile(rel, "symlink loop"))
                elif os.path.splitext(entry.name)[1] in LANGUAGES:
                    skipped.append(SkippedFile(rel, "broken symlink"))
                continue
            lang = LANGUAGES.get(os.path.splitext(entry.name)[1])
            if lang is None or excluder.file(rel, entry.name):
                continue
            if not entry.is_symlink() and entry.is_file(follow_symlinks=False):
                found.append(SourceFile(entry.path, rel, lang))  # d_type says regular: no stat
                continue
            _file(entry.path, root, found, seen_files, skipped, rel=rel)
        stack.extend(reversed(subdirs))


def _looping(path: str) -> bool:
    """Tell whether a symlink fails to resolve because it loops."""
    try:
        os.stat(path)
    except OSError as exc:
        return exc.errno == errno.ELOOP
    return False


def _file(path: str, root: str, found: list[SourceFile], seen: set[tuple[int, int]],
          skipped: list[SkippedFile], explicit: bool = False, rel: str | None = None) -> None:
    """Add one file (special files are skipped with their type)."""
    rel = rel if rel is not None else relative(path, root)
    lang = LANGUAGES.get(os.path.splitext(path)[1])
    if lang is None:
        if explicit:
            skipped.append(SkippedFile(rel, "not a Python or JavaScript/TypeScript file"))
        return
    try:
        info = os.stat(path)
    except OSError as exc:
        skipped.append(SkippedFile(rel, _reason(exc)))
        return
    if not stat.S_ISREG(info.st_mode):
        skipped.append(SkippedFile(rel, f"not a regular file ({_kind(info.st_mode)})"))
        return
    identity = (info.st_dev, info.st_ino)
    if identity in seen:
        return
    seen.add(identity)
    found.append(SourceFile(path, rel, lang, linked=os.path.islink(path)))


def _kind(mode: int) -> str:
    """Name the type of a special file."""
    if stat.S_ISFIFO(mode):
        return "named pipe"
    if stat.S_ISSOCK(mode):
        return "socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "device"
    return "special file"


def _reason(exc: OSError) -> str:
    """Turn an OSError into a short reason."""
    if exc.errno == errno.ELOOP:
        return "symlink loop"
    if exc.errno == errno.ENOENT:
        return "does not exist"
    return f"unreadable: {exc.strerror or exc}"


def read(source: SourceFile, limit: int) -> bytes | SkippedFile:
    """Read a file's bytes, or say why it is skipped (too large, unreadable, binary, not UTF-8)."""
    try:
        with open(source.path, "rb") as handle:
            data = handle.read(limit + 1)
    except OSError as exc:
        return SkippedFile(source.rel, _reason(exc))
    if len(data) > limit:
        return SkippedFile(source.rel, f"too large: over {limit} bytes (max-file-bytes)")
    if b"\x00" in data:
        return SkippedFile(source.rel, "binary file (contains NUL bytes)")
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return SkippedFile(source.rel, f"not valid UTF-8 text (byte {exc.start})")
    return data
