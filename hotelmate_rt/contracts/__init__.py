"""The contract layer: model, loader, templates, payload schemas, lint, verdicts, export."""

from .export import describe
from .limits import Target, channel_name_problem, event_name_problem, payload_bytes
from .lint import LintFinding, Severity, lint
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
from .templates import Template
from .verdicts import Finding, Verdict, VerdictKind, judge

__all__ = [
    "Action", "ActionStep", "AliasStatus", "Audience", "Channel", "ChannelAlias", "ChannelKind",
    "ChannelMatch", "Contract", "ContractProblem", "Event", "EventAlias", "Finding",
    "LintFinding", "Location", "Parameter", "PayloadValidator", "ProblemKind", "Severity",
    "StateMachine", "Target", "Template", "Transition", "Verdict", "VerdictKind", "Violation",
    "channel_name_problem", "default_contract_path", "describe", "event_name_problem", "judge",
    "lint", "load_contract", "load_contract_text", "payload_bytes", "sensitive_paths",
]
