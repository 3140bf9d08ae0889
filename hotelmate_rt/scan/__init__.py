"""Static scan of backend (Python) and frontend (JS/TS) code for the Pusher names they use."""

from .config import ScanConfig, ScanConfigError, find_pyproject, load_config, parse_config
from .engine import scan
from .model import (
    ClientConfig,
    Coverage,
    Finding,
    Payload,
    PayloadField,
    ScanResult,
    Side,
    Site,
    SiteKind,
    SkippedFile,
)
from .rules import RULES, Level, Rule

__all__ = [
    "RULES", "ClientConfig", "Coverage", "Finding", "Level", "Payload", "PayloadField", "Rule",
    "ScanConfig", "ScanConfigError", "ScanResult", "Side", "Site", "SiteKind", "SkippedFile",
    "find_pyproject", "load_config", "parse_config", "scan",
]
