"""Run a scan: find files, prefilter, parse, resolve wrappers across files, then check."""

from __future__ import annotations

import os
import re
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path

from hotelmate_rt.contracts import Contract, load_contract_text

from .checks import check
from .common import PendingSite, Wrapper, bare_params, harden
from .config import ScanConfig
from .files import SourceFile, discover, read, relative
from .jsparse import resolve_import
from .jsroutes import resolve_buses
from .jsscan import JsModule
from .lifecycle import ModuleFacts, hook_names, module_facts, teardown_hooks
from .model import ScanResult, Site, SkippedFile
from .parsing import Note, parse_js, parse_python
from .pyscan import PyModule
from .rules import CONTRACT_RULES, Level

# Cheap byte-level prefilters (substring search runs at memory speed; a regex alternation does
# not): a file that mentions none of these is never parsed. A JS `.bind(` only counts in a file
# that also says "channel", so React's `this.handler.bind(this)` does not cost a parse.
_PY_HINTS = (b"trigger", b"usher", b"mitter", b".emit", b".transition")
_JS_HINTS = (b"subscribe", b"usher", b"bind_global", b"connection.bind")


def _worth_parsing(lang: str, data: bytes) -> bool:
    """Tell whether a file may contain a Pusher site (a fast byte-level check)."""
    if lang == "python":
        return any(hint in data for hint in _PY_HINTS)
    if any(hint in data for hint in _JS_HINTS):
        return True
    return b".bind(" in data and b"hannel" in data
_MAX_ROUNDS = 4

Progress = Callable[[int, int], None]
Module = PyModule | JsModule


class Project:
    """The scanned tree: parsed modules (lazily, for imports) and their source bytes."""

    def __init__(self, files: list[SourceFile], limit: int, skipped: list[SkippedFile]) -> None:
        self.files = {f.rel: f for f in files}
        self.known = set(self.files)
        self.limit = limit
        self.skipped = skipped
        self.modules: dict[str, Module | None] = {}
        self.sources: dict[str, bytes] = {}
        self.notes: list[Note] = []
        self._py_index: dict[str, list[str]] | None = None
        self._src_roots: tuple[str, ...] | None = None

    def py_index(self) -> dict[str, list[str]]:
        """Map every dotted-name suffix of each Python file to its path (built on first use)."""
        if self._py_index is None:
            self._py_index = {}
            for rel, source in self.files.items():
                if source.lang == "python":
                    parts = rel[:-3].split("/")
                    if parts[-1] == "__init__":
                        parts = parts[:-1]
                    for start in range(len(parts)):
                        self._py_index.setdefault(".".join(parts[start:]), []).append(rel)
        return self._py_index

    def parse(self, source: SourceFile, data: bytes | None = None) -> Module | None:
        """Parse a file once (None, with a skip reason recorded, when it cannot be parsed)."""
        if source.rel in self.modules:
            return self.modules[source.rel]
        self.modules[source.rel] = None
        if data is None:
            got = read(source, self.limit)
            if isinstance(got, SkippedFile):
                return None
            data = got
        module: Module | None
        if source.lang == "python":
            tree, problem = parse_python(source.rel, data, self.notes)
            if tree is None:
                self.skipped.append(SkippedFile(source.rel, problem))
                return None
            module = PyModule(source.rel, tree, self.load_py, data)
        else:
            root = parse_js(source.rel, source.lang, data, self.notes)
            module = JsModule(source.rel, data, root, self.load_js, source.lang)
        self.modules[source.rel] = module
        self.sources[source.rel] = data
        return module

    def load_py(self, module: str, level: int, from_rel: str) -> PyModule | None:
        """Find and parse the scanned Python module an import names."""
        if level:
            package = from_rel.split("/")[:-1]
            if level > 1:
                package = package[:-(level - 1)] if level - 1 <= len(package) else []
            rel_base = "/".join(package + (module.split(".") if module else []))
            candidates = [f"{rel_base}.py", f"{rel_base}/__init__.py"]
            rel = next((c for c in candidates if c in self.files), None)
        else:
            found = self.py_index().get(module, [])
            rel = found[0] if len(found) == 1 else None
        if rel is None:
            return None
        got = self.parse(self.files[rel])
        return got if isinstance(got, PyModule) else None

    def load_js(self, spec: str, from_rel: str) -> JsModule | None:
        """Find and parse the scanned JS/TS module an import names."""
        if self._src_roots is None:
            self._src_roots = tuple(sorted({r[:r.index("src/") + 3] for r in self.known
                                            if "src/" in r and (r.startswith("src/") or
                                                                "/src/" in r)}))
        rel = resolve_import(spec, from_rel, self.known, self._src_roots or ("src",))
        if rel is None or self.files[rel].lang == "python":
            return None
        got = self.parse(self.files[rel])
        return got if isinstance(got, JsModule) else None

    def js_mentioning(self, needle: bytes) -> list[JsModule]:
        """Parse and return the JS/TS modules whose source mentions `needle` (bus registrations)."""
        out: list[JsModule] = []
        for rel, source in self.files.items():
            if source.lang == "python":
                continue
            data = self.sources.get(rel)
            if data is None:
                got = read(source, self.limit)
                if isinstance(got, SkippedFile) or needle not in got:
                    continue
                data = got
            elif needle not in data:
                continue
            module = self.parse(source, data)
            if isinstance(module, JsModule):
                out.append(module)
        return out


_PARALLEL_MIN_FILES = 2000
_WORK: tuple[list[SourceFile], int, bool] | None = None
_WORKER_PROJECT: Project | None = None


@dataclass(slots=True)
class _Chunk:
    """What one worker found in its share of the files."""

    pending: list[PendingSite] = field(default_factory=list)
    skipped: list[SkippedFile] = field(default_factory=list)
    untouched: list[int] = field(default_factory=list)
    sources: dict[str, bytes] = field(default_factory=dict)
    calls: dict[str, set[str]] = field(default_factory=dict)
    notes: list[Note] = field(default_factory=list)
    lifecycle: list[ModuleFacts] = field(default_factory=list)
    hooks: dict[str, list[str]] = field(default_factory=dict)


def _scan_files(project: Project, files: list[SourceFile], indexes: Iterable[int],
                progress: Callable[[], None] | None = None, lifecycle: bool = True) -> _Chunk:
    """Read, prefilter, parse and extract the sites of some files."""
    chunk = _Chunk(skipped=project.skipped)
    for index in indexes:
        source = files[index]
        data = read(source, project.limit)
        if isinstance(data, SkippedFile):
            chunk.skipped.append(data)
        elif _worth_parsing(source.lang, data):
            module = project.parse(source, data)
            if module is not None:
                pending = list(module.sites())
                chunk.pending.extend(pending)
                if lifecycle and isinstance(module, JsModule):
                    chunk.lifecycle.append(module_facts(module, pending))
        else:
            chunk.untouched.append(index)
            if lifecycle and source.lang != "python" and b"use" in data:
                for name in hook_names(data):
                    chunk.hooks.setdefault(name, []).append(source.rel)
        if progress is not None:
            progress()
    chunk.sources = project.sources
    chunk.notes = project.notes
    chunk.calls = {rel: m.called_names() for rel, m in project.modules.items() if m is not None}
    return chunk


def _worker(indexes: list[int]) -> _Chunk:
    """Scan a share of the files in a worker process (the file list came with the fork)."""
    global _WORKER_PROJECT
    assert _WORK is not None
    files, limit, lifecycle = _WORK
    if _WORKER_PROJECT is None:
        _WORKER_PROJECT = Project(files, limit, [])
    project = _WORKER_PROJECT
    before = set(project.modules)
    project.skipped = []
    project.notes = []
    chunk = _scan_files(project, files, indexes, lifecycle=lifecycle)
    chunk.sources = {rel: data for rel, data in project.sources.items() if rel not in before}
    chunk.calls = {rel: names for rel, names in chunk.calls.items() if rel not in before}
    return chunk


def _parallel(files: list[SourceFile], limit: int, progress: Progress | None,
              lifecycle: bool) -> _Chunk | None:
    """Scan the files on every core (fork start method only); None when not worth it."""
    import multiprocessing

    global _WORK
    cores = os.cpu_count() or 1
    if cores < 2 or len(files) < _PARALLEL_MIN_FILES or \
            "fork" not in multiprocessing.get_all_start_methods():
        return None
    from concurrent.futures import ProcessPoolExecutor, as_completed

    shares = [list(range(start, len(files), cores * 8)) for start in range(cores * 8)]
    merged = _Chunk()
    done = 0
    _WORK = (files, limit, lifecycle)
    try:
        with ProcessPoolExecutor(cores, mp_context=multiprocessing.get_context("fork")) as pool:
            for future in as_completed([pool.submit(_worker, share) for share in shares]):
                chunk = future.result()
                merged.pending.extend(chunk.pending)
                merged.skipped.extend(chunk.skipped)
                merged.untouched.extend(chunk.untouched)
                merged.sources.update(chunk.sources)
                merged.notes.extend(chunk.notes)
                merged.lifecycle.extend(chunk.lifecycle)
                for name, rels in chunk.hooks.items():
                    merged.hooks.setdefault(name, []).extend(rels)
                for rel, names in chunk.calls.items():
                    merged.calls.setdefault(rel, set()).update(names)
                done += len(shares[0])
                if progress is not None:
                    progress(min(done, len(files)), len(files))
    finally:
        _WORK = None
    merged.untouched.sort()
    return merged


@dataclass(slots=True)
class Collected:
    """What the scanned code contains before any check: sites, sources, skips and notes."""

    root: str
    files_seen: int
    sites: list[Site]
    sources: dict[str, bytes]
    skipped: list[SkippedFile]
    notes: list[Note]
    lifecycle: list[ModuleFacts] = field(default_factory=list)


def scan(paths: Iterable[Path], contract: Contract | None, config: ScanConfig | None = None,
         root: Path | None = None, progress: Progress | None = None,
         parallel: bool = True) -> ScanResult:
    """Scan source trees for Pusher names and check them (against the contract when given)."""
    started = time.perf_counter()
    config = config or ScanConfig()
    if contract is None:
        contract, config = without_contract(config)
    found = collect(paths, config, root, progress, parallel)
    result = ScanResult(root=found.root, contract=relative(contract.path, found.root)
                        if contract.path else "", files_seen=found.files_seen, sites=found.sites)
    check(result, contract, config, found.sources, found.notes, found.lifecycle)
    result.files_parsed = len(found.sources)
    result.skipped = found.skipped
    result.seconds = time.perf_counter() - started
    return result


def without_contract(config: ScanConfig) -> tuple[Contract, ScanConfig]:
    """Return an empty contract and the config with contract rules off (drift, privacy stay)."""
    severity = {**config.severity, **dict.fromkeys(CONTRACT_RULES, Level.OFF)}
    return load_contract_text(_NO_CONTRACT, ""), replace(config, severity=severity)


_NO_CONTRACT = "version: 1\nchannels: {}\nevents: {}\n"


def collect(paths: Iterable[Path], config: ScanConfig | None = None, root: Path | None = None,
            progress: Progress | None = None, parallel: bool = True,
            lifecycle: bool = True) -> Collected:
    """Find, parse and resolve every site of the scanned trees (no contract needed); with
    `lifecycle`, also each JS/TS module's lifecycle facts (read from the same parse)."""
    config = config or ScanConfig()
    root_text = os.path.abspath(root or Path.cwd())
    skipped: list[SkippedFile] = []
    files = discover(list(paths), root_text, config.exclude, skipped)
    project = Project(files, config.max_file_bytes, skipped)
    total = len(files)
    chunk = _parallel(files, config.max_file_bytes, progress, lifecycle) if parallel else None
    if chunk is None:
        ticks = [0]

        def tick() -> None:
            """Report progress every 256 files."""
            ticks[0] += 1
            if progress is not None and (ticks[0] % 256 == 0 or ticks[0] == total):
                progress(ticks[0], total)

        chunk = _scan_files(project, files, range(total), tick, lifecycle)
    else:
        skipped.extend(chunk.skipped)
        project.sources.update(chunk.sources)
        project.notes.extend(chunk.notes)
    untouched = [files[i] for i in chunk.untouched]
    sites = _resolve_wrappers(project, chunk.pending, untouched, chunk.calls)
    resolve_buses(sites, project.js_mentioning)
    notes = sorted(set(project.notes))
    return Collected(root_text, total, sites, project.sources,
                     sorted(set(skipped), key=lambda s: (s.file, s.reason)), notes,
                     _lifecycle(project, chunk, sites) if lifecycle else [])


def _lifecycle(project: Project, chunk: _Chunk, sites: list[Site]) -> list[ModuleFacts]:
    """Complete the lifecycle facts: the files hooks and wrappers were instantiated in (parsed
    while resolving wrappers), and the files calling a hook whose cleanup tears a channel down
    (found by name among the files the prefilter skipped, a few hook levels up)."""
    facts = chunk.lifecycle
    seen = {f.file for f in facts}
    wanted = {s.file for s in sites} - seen
    asked: set[str] = set()
    for _ in range(_MAX_ROUNDS):
        for rel in sorted(wanted):
            source = project.files.get(rel)
            module = project.parse(source) if source is not None else None
            if isinstance(module, JsModule):
                facts.append(module_facts(module))
        seen |= wanted
        names = teardown_hooks(facts) - asked
        asked |= names
        wanted = {rel for name in names for rel in chunk.hooks.get(name, ())} - seen
        if not wanted:
            break
    return sorted(facts, key=lambda f: f.file)


def _resolve_wrappers(project: Project, pending: list[PendingSite],
                      untouched: list[SourceFile], calls: dict[str, set[str]]) -> list[Site]:
    """Turn wrapper templates into sites at their call sites, round by round, across files."""
    final: list[Site] = []
    wrappers: dict[tuple[str, str, int], Wrapper] = {}
    called: set[tuple[str, str, int]] = set()
    fresh = _collect(pending, wrappers, final)
    rounds = 0
    while fresh and rounds < _MAX_ROUNDS:
        rounds += 1
        by_lang: dict[bool, dict[str, list[Wrapper]]] = {True: {}, False: {}}
        for key, templates in fresh.items():
            wrapper = wrappers[key]
            view = Wrapper(wrapper.file, wrapper.name, wrapper.params, wrapper.line,
                           wrapper.method, templates, cls=wrapper.cls, kwargs=wrapper.kwargs,
                           defaults=wrapper.defaults)
            by_lang[wrapper.file.endswith(".py")].setdefault(wrapper.name, []).append(view)
        pending = []
        for is_python, table in by_lang.items():
            if not table:
                continue
            # JS/TS files without a Pusher hint are searched only for wrappers whose names come
            # wholly from the caller: a hook whose template has a parameter inside
            # (`hotel-${slug}`) is a site by itself, and a React tree has thousands of hooks.
            names = [n.encode() for n, views in table.items()
                     if is_python or any(bare_params(t) for v in views for t in v.templates)]
            pattern = re.compile(rb"\b(?:" + b"|".join(re.escape(n) for n in names) + rb")\b")
            candidates = {rel for rel, called_names in calls.items()
                          if called_names.intersection(table)}
            for source in untouched if names else ():
                if (source.lang == "python") != is_python or source.rel in calls:
                    continue
                data = read(source, project.limit)
                if isinstance(data, SkippedFile) or not any(n in data for n in names):
                    continue
                if pattern.search(data):
                    module = project.parse(source, data)
                    if module is not None:
                        calls[source.rel] = module.called_names()
                        candidates.add(source.rel)
            for rel in sorted(candidates):
                module = project.parse(project.files[rel]) if rel in project.files else None
                if module is None or isinstance(module, PyModule) != is_python:
                    continue
                pending.extend(module.wrapper_calls(table))
            for views in table.values():
                for view in views:
                    if view.called:
                        called.add((view.file, view.name, view.line))
        fresh = _collect(pending, wrappers, final)
    for key, wrapper in wrappers.items():
        if key in called:
            continue
        for template in wrapper.templates:
            params = bare_params(template)
            site = harden(template)
            if params:
                reason = (f"{wrapper.name}() passes its parameters ({', '.join(params)}) on, but "
                          "no call of it was found in the scanned files")
                site = replace(site, unresolved=site.unresolved or reason)
            final.append(site)
    return final


def _collect(pending: list[PendingSite], wrappers: dict[tuple[str, str, int], Wrapper],
             final: list[Site]) -> dict[tuple[str, str, int], list[Site]]:
    """Split pending sites into final ones and (new) wrapper templates."""
    fresh: dict[tuple[str, str, int], list[Site]] = {}
    for item in pending:
        if item.function is None:
            final.append(item.site)
            continue
        key = (item.site.file, item.function, item.line)
        wrapper = wrappers.get(key)
        if wrapper is None:
            wrapper = Wrapper(item.site.file, item.function, item.params, item.line, item.method,
                              cls=item.cls, kwargs=item.kwargs, defaults=item.defaults)
            wrappers[key] = wrapper
        wrapper.templates.append(item.site)
        fresh.setdefault(key, []).append(item.site)
    return fresh
