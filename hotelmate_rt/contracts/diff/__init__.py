"""`contract diff`: judge every change between two contracts by what existing builds would do.

    old, new = load_side("main:channels.yaml", "channels.yaml"), load_side("channels.yaml", ...)
    result = diff_contracts(old.contract, new.contract)
    apply_policy(result, policy, today)        # level overrides, accepted changes, --fail-on

Each change carries a stable `DiffCheck` id, a level (ERR breaks an existing build, WARN cannot
tell, INFO harmless), a sentence with both values, and its locations in OLD and NEW.
"""

from .engine import diff_contracts
from .model import SEND_SITE_CHECKS, Area, Change, DiffCheck, DiffResult, Level
from .policy import (
    Acceptance,
    DiffPolicy,
    apply_policy,
    attach_send_sites,
    load_acceptances,
    parse_policy,
)
from .sources import Side, load_side

__all__ = [
    "SEND_SITE_CHECKS", "Acceptance", "Area", "Change", "DiffCheck", "DiffPolicy", "DiffResult",
    "Level", "Side", "apply_policy", "attach_send_sites", "diff_contracts", "load_acceptances",
    "load_side", "parse_policy",
]
