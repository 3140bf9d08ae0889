"""The contract layer: model, loader, templates, payload schemas, resolution, lint, verdicts."""

from .export import describe
from .limits import Target, channel_name_problem, event_name_problem, payload_bytes
from .lint import LintFinding, LintRule, lint
from .loader import (
    ContractProblem,
    ProblemKind,
    default_contract_path,
    load_contract,
    load_contract_text,
)
from .model import (
    Action,
    ActionStep,
    AliasStatus,
    Audience,
    Channel,
    ChannelAlias,
    ChannelKind,
    ChannelMatch,
    Contract,
    Event,
    EventAlias,
    Location,
    Parameter,
    StateMachine,
    Transition,
)
from .payloads import PayloadValidator, Violation, sensitive_paths
from .resolve import (
    ChannelName,
    EventName,
    Finding,
    NameStatus,
    PayloadCheck,
    PayloadRules,
    VerdictKind,
    payload_rules,
    resolve_channel,
    resolve_event,
)
from .templates import Template, compile_pattern, pattern_matches
from .verdicts import Verdict, judge

__all__ = [
    "Action", "ActionStep", "AliasStatus", "Audience", "Channel", "ChannelAlias", "ChannelKind",
    "ChannelMatch", "ChannelName", "Contract", "ContractProblem", "Event", "EventAlias",
    "EventName", "Finding", "LintFinding", "LintRule", "Location", "NameStatus", "Parameter",
    "PayloadCheck", "PayloadRules", "PayloadValidator", "ProblemKind", "StateMachine", "Target",
    "Template", "Transition", "Verdict", "VerdictKind", "Violation", "channel_name_problem",
    "compile_pattern", "default_contract_path", "describe", "event_name_problem", "judge", "lint",
    "load_contract", "load_contract_text", "pattern_matches", "payload_bytes", "payload_rules",
    "resolve_channel", "resolve_event", "sensitive_paths",
]
