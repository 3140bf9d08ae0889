"""The doctor tab: run `hotelmate_rt.oncall` doctor for the page and hand over each check.

`run_doctor_checks(options, on_check)` is the one place that knows how the doctor delivers its
checks. Today `run_doctor` returns them all when the run ends, so they are handed over then;
when the doctor's streaming runner lands, this function passes `on_check` to it instead and
each check reaches the page as it finishes (nothing else in the console changes).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from hotelmate_rt.errors import HotelmateRtError
from hotelmate_rt.oncall import Check, DoctorOptions, DoctorReport, run_doctor
from hotelmate_rt.probes import ProbeSettings
from hotelmate_rt.redact import MASK, Redactor

__all__ = ["DoctorRunner", "doctor_options", "run_doctor_checks"]


def run_doctor_checks(options: DoctorOptions, on_check: Callable[[Check], None]) -> DoctorReport:
    """Run the doctor once, calling `on_check` with every check (today: when the run ends)."""
    report = run_doctor(options)
    for check in report.checks:
        on_check(check)
    return report


def _text(form: Mapping[str, Any], key: str) -> str | None:
    """Read one optional text field of the page's form."""
    value = form.get(key)
    if value is None:
        return None
    return str(value).strip() or None


def doctor_options(form: Mapping[str, Any], settings: ProbeSettings,
                   contract_path: str | None) -> DoctorOptions:
    """Build doctor options from the page's form, on the server the console listens to."""
    audience = _text(form, "audience")
    token = _text(form, "token") or settings.token
    overrides = {"PUSHER_KEY": settings.key or "", "PUSHER_CLUSTER": settings.cluster or ""}
    if not settings.cluster:
        overrides.update(PUSHER_HOST=settings.host, PUSHER_PORT=str(settings.port),
                         PUSHER_TLS="true" if settings.tls else "false")
    budget = form.get("budget")
    return DoctorOptions(
        contract=Path(contract_path) if contract_path else None,
        overrides={k: v for k, v in overrides.items() if v},
        auth_endpoint=_text(form, "auth_endpoint") or settings.auth_endpoint,
        guest_token=token if audience == "guest" else None,
        staff_token=token if audience == "staff" else None,
        booking_id=_text(form, "booking_id"), hotel_slug=_text(form, "hotel_slug"),
        room_number=_text(form, "room_number"), origin=_text(form, "origin"),
        budget=min(120.0, max(5.0, float(budget))) if isinstance(budget, int | float) else 30.0)


class DoctorRunner:
    """Run one doctor at a time on a thread; `post(kind, data)` carries its results out."""

    def __init__(self, post: Callable[[str, dict[str, Any]], None], redactor: Redactor) -> None:
        """Report through `post`, redacting every text with `redactor`."""
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

    def _check(self, check: Check) -> dict[str, Any]:
        """Describe a check for the page, redacted (its title only of literal secrets).

        Titles are the doctor's own words plus channel names; the pattern rules would read
        "Guest token: own channel" as a token assignment and mask the word "own".
        """
        data = self.redactor.value(check.to_dict())
        title = check.title
        for secret in self.redactor.secrets:
            title = title.replace(secret, MASK)
        data["title"] = title
        return dict(data)

    def _run(self, options: DoctorOptions) -> None:
        """Run the doctor, posting `started`, each `check`, then `done` (or `failed`)."""
        redact = self.redactor.value
        started = time.monotonic()
        self.post("doctor", {"type": "started", "budget_s": options.budget})
        try:
            report = run_doctor_checks(
                options, lambda check: self.post("doctor", {"type": "check",
                                                            "check": self._check(check)}))
        except HotelmateRtError as exc:
            self.post("doctor", {"type": "failed", "message": self.redactor.text(str(exc))})
            return
        except Exception as exc:  # a doctor bug must reach the page as a message
            self.post("doctor", {"type": "failed",
                                 "message": f"the doctor failed: {type(exc).__name__}"})
            return
        self.post("doctor", redact({"type": "done", "headline": report.headline,
                                    "exit_code": report.exit_code, "counts": report.counts,
                                    "duration_s": round(time.monotonic() - started, 3)}))
