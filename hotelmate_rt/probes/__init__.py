"""The live probe: a trustworthy Pusher connection, auth as a real page does, verdicts per event.

Start with `Probe` (session.py) and the `ProbeEvent` stream it yields (events.py documents every
event type); `build_probe(ProbeSettings(pusher=...), contract)` builds one from the settings
`hotelmate_rt.settings` read (listen, record and the console); `plan_subscriptions` picks the
channels an audience may read; `check_recording` judges a JSONL recording offline.
"""

from .auth import Authorization, Authorizer, EndpointAuthorizer, LocalSigner, Redactor
from .connection import Connection, ConnectionOptions, RawEvent, ServerAddress, close_code_policy
from .events import (
    FrameProblem,
    Gap,
    Judged,
    Note,
    ProbeEvent,
    PusherError,
    StateChanged,
    Subscribed,
    SubscriptionFailed,
)
from .plan import PlannedChannel, SubscriptionPlan, plan_subscriptions
from .recording import CheckedRecord, CheckResult, RecordWriter, Unreadable, check_recording
from .session import Probe, ProbeSummary, StopWhen, judge_event
from .setup import ProbeSettings, ProbeSetupError, build_probe

__all__ = [
    "Authorization", "Authorizer", "CheckResult", "CheckedRecord", "Connection",
    "ConnectionOptions", "EndpointAuthorizer", "FrameProblem", "Gap", "Judged", "LocalSigner", "Note",
    "PlannedChannel", "Probe", "ProbeEvent", "ProbeSettings", "ProbeSetupError", "ProbeSummary",
    "PusherError", "RawEvent", "RecordWriter", "Redactor", "ServerAddress", "StateChanged",
    "StopWhen", "Subscribed", "SubscriptionFailed", "SubscriptionPlan", "Unreadable",
    "build_probe", "check_recording", "close_code_policy", "judge_event", "plan_subscriptions",
]
