"""Load `channels.yaml` into a typed Contract; every problem names file:line:column and a fix."""

from __future__ import annotations

import datetime
import enum
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

from hotelmate_rt.errors import ContractLoadError

from .limits import DEFAULT_MAX_PAYLOAD_BYTES, Target
from .model import (
    Action,
    ActionStep,
    AliasStatus,
    Audience,
    Channel,
    ChannelAlias,
    ChannelKind,
    Contract,
    Envelope,
    Event,
    EventAlias,
    Location,
    Parameter,
    StateAlias,
    StateMachine,
    Transition,
    suggest,
)
from .payloads import PayloadValidator, compiled_or_problem, foreign_refs
from .templates import DEFAULT_PATTERN, Template, compile_pattern
from .yamltree import EMPTY, MAX_DEPTH, Abandon, ContractProblem, Path_, ProblemKind, Tree

CONTRACT_ENV = "HOTELMATE_RT_CONTRACT"
DEFAULT_CONTRACT = "channels.yaml"

__all__ = ["CONTRACT_ENV", "ContractProblem", "ProblemKind", "default_contract_path",
           "load_contract", "load_contract_text"]


def default_contract_path() -> Path:
    """Return the contract path: $HOTELMATE_RT_CONTRACT, else ./channels.yaml."""
    return Path(os.environ.get(CONTRACT_ENV) or DEFAULT_CONTRACT)


def load_contract(path: str | os.PathLike[str] | None = None) -> Contract:
    """Read and check a contract file; raise ContractLoadError listing every problem."""
    file = Path(path) if path is not None else default_contract_path()
    try:
        text = file.read_text(encoding="utf-8")
    except FileNotFoundError:
        where = Location(str(file), 0, 0)
        raise ContractLoadError([ContractProblem(
            ProblemKind.NOT_FOUND, "contract file not found", where,
            f"Pass a path, or set {CONTRACT_ENV}.")]) from None
    except (OSError, UnicodeDecodeError) as exc:
        where = Location(str(file), 0, 0)
        raise ContractLoadError([ContractProblem(
            ProblemKind.NOT_FOUND, f"cannot read the contract ({exc.__class__.__name__}: {exc})",
            where)]) from None
    return load_contract_text(text, str(file))


def load_contract_text(text: str, file: str = "<string>") -> Contract:
    """Parse contract YAML text; raise ContractLoadError listing every problem."""
    tree = Tree(file)
    try:
        data = tree.read(text)
    except Abandon as exc:
        raise ContractLoadError([*tree.problems, exc.problem]) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = Location(file, mark.line + 1 if mark else 0, mark.column + 1 if mark else 0)
        problem = " ".join((exc.problem or exc.context or "invalid YAML").split())
        if "maximum nesting depth" in problem:  # libyaml's own limit, met while scanning ahead
            raise ContractLoadError([*tree.problems, ContractProblem(
                ProblemKind.TOO_LARGE, f"nesting is deeper than {MAX_DEPTH} levels", where,
                "A contract needs a few levels; flatten this part.")]) from None
        raise ContractLoadError([ContractProblem(
            ProblemKind.YAML_SYNTAX, f"invalid YAML: {problem}", where,
            "Check indentation, quotes and colons on this line.")]) from None
    except yaml.reader.ReaderError as exc:
        raise ContractLoadError([ContractProblem(
            ProblemKind.YAML_SYNTAX, f"invalid YAML: character {chr(exc.character)!r} is not "
            "allowed", _offset(text, exc.position, file), "Remove the control character.")]) from None
    except yaml.YAMLError as exc:
        raise ContractLoadError([ContractProblem(
            ProblemKind.YAML_SYNTAX, f"invalid YAML: {' '.join(str(exc).split())}",
            Location(file, 0, 0))]) from None
    except UnicodeEncodeError as exc:  # a lone surrogate in text that did not come from a file
        raise ContractLoadError([ContractProblem(
            ProblemKind.YAML_SYNTAX, "invalid YAML: the text is not valid Unicode",
            _offset(text, len(text[:exc.start].encode("utf-8", "replace")), file),
            "Save the contract as UTF-8.")]) from None
    if data is EMPTY:
        raise ContractLoadError([ContractProblem(
            ProblemKind.MISSING_KEY, "the contract is empty", Location(file, 1, 1),
            "Start with 'version: 1' and a 'channels:' section.")])
    contract = _Builder(tree).contract(data)
    if tree.problems:
        raise ContractLoadError(list(tree.problems))
    contract._locator = tree.where
    return contract


def _offset(text: str, offset: int, file: str) -> Location:
    """Locate a UTF-8 byte offset (what libyaml reports) in the text."""
    before = text.encode("utf-8", "replace")[:offset].decode("utf-8", "ignore")
    return Location(file, before.count("\n") + 1, len(before) - before.rfind("\n"))


_TOP_KEYS = ("version", "targets", "default_target", "sensitive_fields", "parameters",
             "audiences", "channels", "events", "event_aliases", "state_machines", "actions")


class _Builder:
    """Reads the plain tree section by section into model objects, recording problems."""

    def __init__(self, tree: Tree) -> None:
        self.tree = tree

    # -- generic readers -------------------------------------------------------------------

    def mapping(self, value: Any, path: Path_, allowed: tuple[str, ...],
                required: tuple[str, ...] = ()) -> dict[str, Any]:
        """Check that a value is a mapping with only allowed keys and every required one."""
        if value is None:
            value = {}
        if not isinstance(value, dict):
            self.tree.problem(ProblemKind.WRONG_TYPE,
                              f"expected a mapping, found {_type_name(value)}", path)
            return {}
        for key in value:
            if key not in allowed:
                guess = suggest(key, allowed)
                fix = (f"Did you mean {guess!r}?" if guess
                       else f"Allowed keys: {', '.join(allowed)}.")
                self.tree.problem(ProblemKind.UNKNOWN_KEY, f"unknown key {key!r}",
                                  (*path, key), fix)
        for key in required:
            if key not in value:
                self.tree.problem(ProblemKind.MISSING_KEY, f"missing required key {key!r}", path,
                                  f"Add '{key}:' here.")
        return value

    def named(self, value: Any, path: Path_) -> Iterator[tuple[str, Any, Path_]]:
        """Iterate a mapping of named entries (channels, events...)."""
        if value is None:
            return
        if not isinstance(value, dict):
            self.tree.problem(ProblemKind.WRONG_TYPE,
                              f"expected a mapping of names, found {_type_name(value)}", path)
            return
        for name, entry in value.items():
            yield name, entry, (*path, name)

    def text(self, value: Any, path: Path_, default: str = "") -> str:
        """Read a string (numbers are accepted and turned into text)."""
        if value is None:
            return default
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            self.tree.problem(ProblemKind.WRONG_TYPE, f"expected text, found {_type_name(value)}",
                              path)
            return default
        return str(value)

    def names(self, value: Any, path: Path_) -> tuple[str, ...]:
        """Read a list of names (a single name is accepted as a list of one)."""
        if value is None:
            return ()
        if isinstance(value, str):
            return (value,)
        if not isinstance(value, list):
            self.tree.problem(ProblemKind.WRONG_TYPE,
                              f"expected a list of names, found {_type_name(value)}", path)
            return ()
        return tuple(self.text(item, (*path, i)) for i, item in enumerate(value))

    def choice(self, value: Any, path: Path_, enum_type: type[enum.StrEnum],
               default: enum.StrEnum) -> Any:
        """Read one of an enum's values, suggesting the closest on a typo."""
        if value is None:
            return default
        raw = self.text(value, path)
        try:
            return enum_type(raw)
        except ValueError:
            allowed = [e.value for e in enum_type]
            guess = suggest(raw, allowed)
            fix = f"Did you mean {guess!r}?" if guess else f"Use one of: {', '.join(allowed)}."
            self.tree.problem(ProblemKind.BAD_VALUE, f"{raw!r} is not a valid value", path, fix)
            return default

    def date(self, value: Any, path: Path_) -> datetime.date | None:
        """Read an optional calendar date (`2025-09-30`), recording a problem when it is not one."""
        if value is None or (isinstance(value, datetime.date)
                             and not isinstance(value, datetime.datetime)):
            return value
        try:
            return datetime.date.fromisoformat(str(value))
        except ValueError:
            self.tree.problem(ProblemKind.BAD_VALUE, f"{value!r} is not a date", path,
                              "Write the date as YYYY-MM-DD, e.g. 2025-09-30.")
            return None

    def template(self, value: Any, path: Path_, patterns: dict[str, str]) -> Template | None:
        """Parse and compile a channel template, recording a problem if it cannot be used."""
        raw = self.text(value, path)
        try:
            return Template.parse(raw).compile(patterns)
        except ValueError as exc:
            self.tree.problem(ProblemKind.BAD_TEMPLATE, f"malformed template {raw[:80]!r}: {exc}",
                              path, "Write parameters as {name}, e.g. private-booking-{booking_id}.")
            return None

    # -- sections ---------------------------------------------------------------------------

    def contract(self, data: Any) -> Contract:
        """Build the whole contract."""
        top = self.mapping(data, (), _TOP_KEYS, ("version", "channels", "events"))
        version = top.get("version", 1)
        if not isinstance(version, int) or version != 1:
            self.tree.problem(ProblemKind.BAD_VALUE, f"unsupported version {version!r}",
                              ("version",), "This tool reads 'version: 1'.")
        parameters = self.parameters(top.get("parameters"))
        patterns = {name: p.pattern for name, p in parameters.items()}
        targets = self.targets(top.get("targets"))
        default_target = self.text(top.get("default_target"), ("default_target",), "pusher")
        if default_target not in targets:
            targets.setdefault(default_target, Target(default_target, DEFAULT_MAX_PAYLOAD_BYTES))
        return Contract(
            path=self.tree.file,
            version=1,
            parameters=parameters,
            audiences=self.audiences(top.get("audiences")),
            channels=self.channels(top.get("channels"), patterns),
            events=self.events(top.get("events")),
            event_aliases=self.event_aliases(top.get("event_aliases")),
            state_machines=self.state_machines(top.get("state_machines")),
            actions=self.actions(top.get("actions")),
            sensitive_fields=self.names(top.get("sensitive_fields"), ("sensitive_fields",)),
            targets=targets,
            default_target=default_target,
        )

    def targets(self, value: Any) -> dict[str, Target]:
        """Read per-target limits (hosted Pusher 10 KB, soketi 100 KB...)."""
        out: dict[str, Target] = {}
        for name, entry, path in self.named(value, ("targets",)):
            body = self.mapping(entry, path, ("max_payload_bytes", "description"))
            size = body.get("max_payload_bytes", DEFAULT_MAX_PAYLOAD_BYTES)
            if isinstance(size, bool) or not isinstance(size, int) or size <= 0:
                self.tree.problem(ProblemKind.BAD_VALUE, f"max_payload_bytes must be a positive "
                                  f"whole number, found {size!r}", (*path, "max_payload_bytes"))
                size = DEFAULT_MAX_PAYLOAD_BYTES
            out[name] = Target(name, size)
        return out

    def parameters(self, value: Any) -> dict[str, Parameter]:
        """Read template parameters and compile their patterns."""
        out: dict[str, Parameter] = {}
        for name, entry, path in self.named(value, ("parameters",)):
            body = self.mapping(entry, path, ("pattern", "example", "description"),
                                ("pattern", "example"))
            pattern = self.text(body.get("pattern"), (*path, "pattern"), DEFAULT_PATTERN)
            try:
                compile_pattern(pattern)
            except ValueError as exc:
                self.tree.problem(ProblemKind.BAD_PATTERN,
                                  f"pattern {pattern[:80]!r} is not a valid regular expression for a "
                                  f"parameter ({exc})",
                                  (*path, "pattern"), "Write a plain regular expression of "
                                  "character classes, groups (?:...) and repetitions.")
                pattern = DEFAULT_PATTERN
            out[name] = Parameter(name, pattern, self.text(body.get("example"), (*path, "example")),
                                  self.text(body.get("description"), (*path, "description")),
                                  self.tree.where(path))
        return out

    def audiences(self, value: Any) -> dict[str, Audience]:
        """Read the audiences and the parameters their principals are scoped to."""
        out: dict[str, Audience] = {}
        for name, entry, path in self.named(value, ("audiences",)):
            body = self.mapping(entry, path, ("authenticates", "scope", "description"),
                                ("authenticates",))
            auth = body.get("authenticates", False)
            if not isinstance(auth, bool):
                self.tree.problem(ProblemKind.WRONG_TYPE, "authenticates must be true or false",
                                  (*path, "authenticates"))
                auth = False
            out[name] = Audience(name, auth, self.names(body.get("scope"), (*path, "scope")),
                                 self.text(body.get("description"), (*path, "description")),
                                 self.tree.where(path))
        return out

    def channels(self, value: Any, patterns: dict[str, str]) -> dict[str, Channel]:
        """Read channels with their templates, kinds, audiences and aliases."""
        out: dict[str, Channel] = {}
        for cid, entry, path in self.named(value, ("channels",)):
            body = self.mapping(entry, path,
                                ("template", "kind", "audiences", "description", "aliases"),
                                ("template", "kind", "audiences"))
            template = self.template(body.get("template"), (*path, "template"), patterns)
            if template is None:
                continue
            kind = self.choice(body.get("kind"), (*path, "kind"), ChannelKind, ChannelKind.PUBLIC)
            aliases: list[ChannelAlias] = []
            raw_aliases = body.get("aliases") or []
            if not isinstance(raw_aliases, list):
                self.tree.problem(ProblemKind.WRONG_TYPE, "aliases must be a list",
                                  (*path, "aliases"))
                raw_aliases = []
            for i, raw in enumerate(raw_aliases):
                apath = (*path, "aliases", i)
                abody = self.mapping(raw, apath, ("template", "status", "note", "sunset"),
                                     ("template",))
                atemplate = self.template(abody.get("template"), (*apath, "template"), patterns)
                if atemplate is None:
                    continue
                aliases.append(ChannelAlias(
                    atemplate,
                    self.choice(abody.get("status"), (*apath, "status"), AliasStatus,
                                AliasStatus.DEPRECATED),
                    self.text(abody.get("note"), (*apath, "note")), self.tree.where(apath),
                    self.date(abody.get("sunset"), (*apath, "sunset"))))
            out[cid] = Channel(cid, template, kind,
                               self.names(body.get("audiences"), (*path, "audiences")),
                               self.text(body.get("description"), (*path, "description")),
                               tuple(aliases), self.tree.where(path))
        return out

    def events(self, value: Any) -> dict[str, Event]:
        """Read events, compiling each payload schema once."""
        out: dict[str, Event] = {}
        for name, entry, path in self.named(value, ("events",)):
            body = self.mapping(entry, path,
                                ("channels", "schema", "sensitive", "description", "envelope"),
                                ("channels", "schema"))
            schema = body.get("schema") or {}
            if not isinstance(schema, dict):
                self.tree.problem(ProblemKind.WRONG_TYPE, "schema must be a JSON Schema mapping",
                                  (*path, "schema"))
                schema = {}
            envelope = self.envelope(body.get("envelope"), (*path, "envelope"))
            validator = self.validator(schema, envelope, path)
            out[name] = Event(name, self.names(body.get("channels"), (*path, "channels")), schema,
                              self.names(body.get("sensitive"), (*path, "sensitive")),
                              self.text(body.get("description"), (*path, "description")),
                              envelope, self.tree.where(path), validator)
        return out

    def envelope(self, value: Any, path: Path_) -> Envelope | None:
        """Read an envelope declaration: the discriminating field and one schema per value."""
        if value is None:
            return None
        body = self.mapping(value, path, ("field", "variants"), ("field", "variants"))
        variants = body.get("variants") or {}
        if not isinstance(variants, dict):
            self.tree.problem(ProblemKind.WRONG_TYPE, "variants must map each type to a schema",
                              (*path, "variants"))
            variants = {}
        return Envelope(self.text(body.get("field"), (*path, "field"), "type"), variants)

    def validator(self, schema: dict[str, Any], envelope: Envelope | None,
                  path: Path_) -> PayloadValidator | None:
        """Compile an event's schema (and its variants), recording why one does not compile."""
        schemas: list[tuple[str | None, dict[str, Any] | Any, Path_]] = [
            (None, schema, (*path, "schema"))]
        if envelope is not None:
            schemas += [(k, v, (*path, "envelope", "variants", k))
                        for k, v in envelope.variants.items()]
        ok = True
        compiled: dict[str | None, Any] = {}
        for variant, candidate, spath in schemas:
            refs = list(foreign_refs(candidate))
            for rpath, ref in refs:
                self.tree.problem(ProblemKind.BAD_SCHEMA, f"schema reference {ref[:80]!r} points "
                                  "outside the contract", (*spath, *rpath),
                                  "Define the shared part under $defs and use '#/$defs/NAME'.")
            if refs:
                ok = False
                continue
            compiled[variant], problem = compiled_or_problem(candidate) \
                if isinstance(candidate, dict) else (None, "not a mapping")
            if problem:
                ok = False
                self.tree.problem(ProblemKind.BAD_SCHEMA, f"invalid JSON Schema: {problem}", spath,
                                  "Payload schemas are JSON Schema (draft 2020-12).")
        if not ok:
            return None
        if envelope is None:
            return PayloadValidator.of_compiled(compiled[None])
        return PayloadValidator.of_compiled(compiled[None], envelope.field,
                                            {k: v for k, v in compiled.items() if k is not None})

    def event_aliases(self, value: Any) -> dict[str, EventAlias]:
        """Read old or wrong event names and what replaces them."""
        out: dict[str, EventAlias] = {}
        for name, entry, path in self.named(value, ("event_aliases",)):
            body = self.mapping(entry, path, ("replaced_by", "status", "note", "sunset"),
                                ("replaced_by",))
            out[name] = EventAlias(
                name, self.names(body.get("replaced_by"), (*path, "replaced_by")),
                self.choice(body.get("status"), (*path, "status"), AliasStatus,
                            AliasStatus.DEPRECATED),
                self.text(body.get("note"), (*path, "note")), self.tree.where(path),
                self.date(body.get("sunset"), (*path, "sunset")))
        return out

    def state_machines(self, value: Any) -> dict[str, StateMachine]:
        """Read status machines: states, transitions and the events each must emit."""
        out: dict[str, StateMachine] = {}
        for name, entry, path in self.named(value, ("state_machines",)):
            body = self.mapping(entry, path, ("parameter", "states", "initial", "transitions",
                                              "aliases", "description"), ("states", "transitions"))
            transitions: list[Transition] = []
            raw = body.get("transitions") or []
            if not isinstance(raw, list):
                self.tree.problem(ProblemKind.WRONG_TYPE, "transitions must be a list",
                                  (*path, "transitions"))
                raw = []
            for i, item in enumerate(raw):
                tpath = (*path, "transitions", i)
                tbody = self.mapping(item, tpath, ("from", "to", "emits", "description"),
                                     ("from", "to", "emits"))
                sources = self.names(tbody.get("from"), (*tpath, "from"))
                for source in sources:
                    transitions.append(Transition(
                        source, self.text(tbody.get("to"), (*tpath, "to")),
                        self.names(tbody.get("emits"), (*tpath, "emits")),
                        self.text(tbody.get("description"), (*tpath, "description")),
                        self.tree.where(tpath)))
            aliases = []
            for alias, aentry, apath in self.named(body.get("aliases"), (*path, "aliases")):
                abody = self.mapping(aentry, apath, ("replaced_by", "status", "note"),
                                     ("replaced_by",))
                aliases.append(StateAlias(
                    alias, self.text(abody.get("replaced_by"), (*apath, "replaced_by")),
                    self.choice(abody.get("status"), (*apath, "status"), AliasStatus,
                                AliasStatus.DEPRECATED),
                    self.text(abody.get("note"), (*apath, "note")), self.tree.where(apath)))
            out[name] = StateMachine(
                name, self.text(body.get("parameter"), (*path, "parameter"), f"{name}_id"),
                self.names(body.get("states"), (*path, "states")),
                self.names(body.get("initial"), (*path, "initial")),
                tuple(transitions), tuple(aliases), self.tree.where(path))
        return out

    def actions(self, value: Any) -> dict[str, Action]:
        """Read fan-out actions and their ordered steps."""
        out: dict[str, Action] = {}
        for name, entry, path in self.named(value, ("actions",)):
            body = self.mapping(entry, path, ("steps", "description"), ("steps",))
            steps: list[ActionStep] = []
            raw = body.get("steps") or []
            if not isinstance(raw, list):
                self.tree.problem(ProblemKind.WRONG_TYPE, "steps must be a list", (*path, "steps"))
                raw = []
            for i, item in enumerate(raw):
                spath = (*path, "steps", i)
                sbody = self.mapping(item, spath, ("event", "channels"), ("event",))
                steps.append(ActionStep(self.text(sbody.get("event"), (*spath, "event")),
                                        self.names(sbody.get("channels"), (*spath, "channels")),
                                        self.tree.where(spath)))
            out[name] = Action(name, tuple(steps),
                               self.text(body.get("description"), (*path, "description")),
                               self.tree.where(path))
        return out


def _type_name(value: Any) -> str:
    """Name a YAML value's type in plain words."""
    names: dict[type, str] = {dict: "a mapping", list: "a list", str: "text", bool: "true/false",
                              int: "a number", float: "a number", type(None): "nothing"}
    return names.get(type(value), type(value).__name__)


