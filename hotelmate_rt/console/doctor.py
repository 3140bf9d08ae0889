"""The doctor tab: run `hotelmate_rt.oncall` doctor for the page, streaming each step.

The doctor's runner streams (`run_doctor(options, on_check=..., on_start=...)`): the page gets a
`running` message as each step starts (the console's progress line, as `cli/oncall.py` shows on
a terminal) and a `check` message as soon as it is done, so a 15-second run is never silent.
Checks arrive redacted once, by the runner; they are passed on as they are.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from hotelmate_rt.errors import HotelmateRtError
from hotelmate_rt.oncall import Check, DoctorOptions, run_doctor
from hotelmate_rt.oncall.checks import CheckSpec
from hotelmate_rt.probes import ProbeSettings
from hotelmate_rt.redact import Redactor

__all__ = ["DoctorRunner", "doctor_options"]


def _text(form: Mapping[str, Any], key: str) -> str | None:
    """Read one optional text field of the page's form."""
    value = form.get(key)
    if value is None:
        return None
    return str(value).strip() or None


def doctor_options(form: Mapping[str, Any], settings: ProbeSettings,
                   contract_path: str | None) -> DoctorOptions:
    """Build doctor options from the page's form, on the very settings the console listens with."""
    audience = _text(form, "audience")
    token = _text(form, "token") or settings.token
    budget = form.get("budget")
    return DoctorOptions(
        contract=Path(contract_path) if contract_path else None,
        settings=settings.pusher,
        auth_endpoint=_text(form, "auth_endpoint") or settings.auth_endpoint,
        guest_token=token if audience == "guest" else None,
        staff_token=token if audience == "staff" else None,
        booking_id=_text(form, "booking_id"), hotel_slug=_text(form, "hotel_slug"),
        room_number=_text(form, "room_number"), origin=_text(form, "origin"),
        budget=min(120.0, max(5.0, float(budget))) if isinstance(budget, int | float) else 30.0)


class DoctorRunner:
    """Run one doctor at a time on a thread; `post(kind, data)` carries each step out as it goes."""

    def __init__(self, post: Callable[[str, dict[str, Any]], None], redactor: Redactor) -> None:
        """Report through `post`; `redactor` hides the tokens in a could-not-run message."""
        self.post = post
        self.redactor = redactor
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    @property
    def running(self) -> bool:
        """Tell whether a doctor run is in progress."""
        thread = self._thread
        return thread is not None and thread.is_alive()

    def start(self, options: DoctorOptions) -> bool:
        """Start a run; False when one is already running."""
        with self._lock:
            if self.running:
                return False
            for secret in (options.guest_token, options.staff_token):
                self.redactor.add(secret)
            self._thread = threading.Thread(target=self._run, args=(options,),
                                            name="console-doctor", daemon=True)
            self._thread.start()
            return True

    def join(self, timeout: float) -> None:
        """Wait (bounded) for the run to end."""
        thread = self._thread
        if thread is not None:
            thread.join(timeout)

    def _started(self, spec: CheckSpec[Any]) -> None:
        """Tell the page which step runs now (its declared id and title)."""
        self.post("doctor", {"type": "running", "id": spec.id, "title": spec.title})

    def _checked(self, check: Check) -> None:
        """Hand one finished check to the page (the runner redacted it when it built it)."""
        self.post("doctor", {"type": "check", "check": check.to_dict()})

    def _run(self, options: DoctorOptions) -> None:
        """Run the doctor, posting `started`, `running`/`check` per step, then `done` or `failed`."""
        started = time.monotonic()
        self.post("doctor", {"type": "started", "budget_s": options.budget})
        try:
            report = run_doctor(options, on_check=self._checked, on_start=self._started)
        except HotelmateRtError as exc:
            self.post("doctor", {"type": "failed", "message": self.redactor.text(str(exc))})
            return
        except Exception as exc:  # a doctor bug must reach the page as a message
            self.post("doctor", {"type": "failed",
                                 "message": f"the doctor failed: {type(exc).__name__}"})
            return
        self.post("doctor", {"type": "done", "headline": report.headline,
                             "exit_code": report.exit_code, "counts": report.counts,
                             "duration_s": round(time.monotonic() - started, 3)})
