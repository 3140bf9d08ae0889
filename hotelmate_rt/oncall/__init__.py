"""On-call diagnostics: `doctor` walks a whole setup, `triage` answers for one booking.

    from hotelmate_rt.oncall import DoctorOptions, run_doctor, TriageOptions, run_triage

    report = run_doctor(DoctorOptions(auth_endpoint=url, guest_token=token, booking_id="BK-..."))
    report.exit_code          # 0 all pass, 1 any fail, 2 could not run
    report.to_dict()          # JSON-ready, secrets and tokens redacted

Both return result objects (`DoctorReport`, `TriageReport`, made of `Check`s); the CLI renders
them. Both use the probe's connection layer and the contract's verdicts, like `listen`.
"""

from .doctor import DoctorOptions, run_doctor
from .model import ChannelState, Check, DoctorReport, Redactor, Section, Status, TriageReport
from .triage import TriageOptions, run_triage

__all__ = [
    "ChannelState",
    "Check",
    "DoctorOptions",
    "DoctorReport",
    "Redactor",
    "Section",
    "Status",
    "TriageOptions",
    "TriageReport",
    "run_doctor",
    "run_triage",
]
