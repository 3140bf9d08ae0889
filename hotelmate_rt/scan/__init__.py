"""Static scan of backend (Python) and frontend (JS/TS) code for the Pusher names they use."""

from hotelmate_rt.errors import ConfigError

from .config import ScanConfig, find_pyproject, load_config, load_tool_table, parse_config
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
from .rules import Level, ScanRule

__all__ = [
    "ClientConfig",
    "ConfigError",
    "Coverage",
    "Finding",
    "Level",
    "Payload",
    "PayloadField",
    "ScanConfig",
    "ScanResult",
    "ScanRule",
    "Side",
    "Site",
    "SiteKind",
    "SkippedFile",
    "find_pyproject",
    "load_config",
    "load_tool_table",
    "parse_config",
    "scan",
]
