"""On-call diagnostics: `doctor` walks a whole setup, `triage` answers for one booking.

    from hotelmate_rt.oncall import DoctorOptions, run_doctor, TriageOptions, run_triage

    report = run_doctor(DoctorOptions(auth_endpoint=url, guest_token=token, booking_id="BK-..."),
                        on_check=print)   # each Check as soon as it is done
    report.exit_code          # 0 all pass, 1 any fail, 2 could not run
    report.to_dict()          # JSON-ready; every text was redacted when its check was built

Both are declared checks (`doctor/`, `triage/`: one module per part of the path) walked by one
runner (`checks.py`); they listen through the probe's event stream (`listening.py`) and read the
Pusher settings from `hotelmate_rt.settings`, like every other command.
"""

from .checks import Checklist, Outcome
from .doctor import DoctorOptions, run_doctor
from .model import ChannelState, Check, DoctorReport, Redactor, Section, Status, TriageReport
from .triage import TriageOptions, run_triage

__all__ = [
    "ChannelState",
    "Check",
    "Checklist",
    "DoctorOptions",
    "DoctorReport",
    "Outcome",
    "Redactor",
    "Section",
    "Status",
    "TriageOptions",
    "TriageReport",
    "run_doctor",
    "run_triage",
]
