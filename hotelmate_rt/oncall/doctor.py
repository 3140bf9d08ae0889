"""`doctor`: walk the whole realtime path and report each step as a check with one next action.

The walk, in order: configuration (backend PUSHER_*, frontend env, contract), HTTP API
credentials, websocket connect, auth endpoint, subscriptions, round trip, frontend mistakes.
Every step has a timeout and the whole run a budget; a step that cannot run says why it skipped.
"""

from __future__ import annotations

import os
import statistics
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .config import FrontendSettings, PusherSettings, read_env_file
from .model import Check, DoctorReport, Redactor, Section, SetupOptions, Status

if TYPE_CHECKING:
    from hotelmate_rt.contracts import Contract
    from hotelmate_rt.probes.connection import ServerAddress

    from .wire import Listener

DIAGNOSTIC_BOOKING = "BK-0000-0000"
"""The booking id of the doctor's round-trip channel: a booking no guest can have."""

FOREIGN_BOOKING = "BK-0000-0001"
FOREIGN_HOTEL = "hotelmate-rt-doctor-elsewhere"


@dataclass(slots=True, kw_only=True)
class DoctorOptions(SetupOptions):
    """Everything a doctor run needs; the CLI fills it from flags and the environment."""

    frontend_env: Path | None = None
    frontend_src: Path | None = None
    booking_id: str | None = None
    budget: float = 30.0
    round_trips: int = 3
    webhook_url: str | None = None


class _Budget:
    """The run's deadline: each step gets min(step timeout, what is left)."""

    def __init__(self, total: float, step: float) -> None:
        """Start the clock."""
        self.start = time.monotonic()
        self.total = total
        self.step = step

    @property
    def left(self) -> float:
        """Seconds left in the run."""
        return self.total - (time.monotonic() - self.start)

    def timeout(self, cap: float | None = None) -> float:
        """Return the timeout for the next step (at least 0.05 s)."""
        return max(0.05, min(self.step if cap is None else cap, self.left))

    @property
    def exhausted(self) -> bool:
        """Tell whether too little is left to run another step."""
        return self.left < 0.1


class Doctor:
    """One doctor run: holds the settings, the report and the step helpers."""

    def __init__(self, options: DoctorOptions) -> None:
        """Prepare a run (nothing touches the network until `run()`)."""
        self.options = options
        self.report = DoctorReport(budget_s=options.budget)
        self.budget = _Budget(options.budget, options.step_timeout)
        self.redactor: Redactor = self.report.redactor
        self.contract: Contract | None = None
        self.settings = PusherSettings()
        self.frontend: FrontendSettings | None = None
        self.ws_ok = False
        self.api_ok = False
        self.auth_ok = False
        for secret in (options.guest_token, options.staff_token):
            self.redactor.add(secret)

    # -- plumbing --------------------------------------------------------------------------

    def add(self, check: Check) -> Check:
        """Append a check to the report, redacting its texts."""
        check.summary = self.redactor.text(check.summary)
        check.next_action = self.redactor.text(check.next_action)
        check.evidence = [self.redactor.text(e) for e in check.evidence]
        self.report.checks.append(check)
        return check

    def step(self, check_id: str, section: Section, title: str,
             body: Callable[[], Check | None]) -> None:
        """Run one step within the budget; a crash becomes a skipped check, never a traceback."""
        if self.budget.exhausted:
            self.add(Check(check_id, section, title, Status.SKIP,
                           f"not run: the {self.options.budget:g} s budget ran out",
                           next_action="rerun with a larger --budget or fix the slow step above",
                           code="budget"))
            return
        started = time.perf_counter()
        try:
            check = body()
        except Exception as exc:  # a doctor bug must not hide the other steps
            message = self.redactor.text(f"{type(exc).__name__}: {exc}")
            check = Check(check_id, section, title, Status.SKIP,
                          f"the doctor could not run this step ({message})",
                          next_action="report this as a hotelmate-rt bug", code="doctor-error")
            self.report.could_not_run = self.report.could_not_run or message
        if check is None:
            return
        check.duration_ms = (time.perf_counter() - started) * 1000
        self.add(check)

    def skip(self, check_id: str, section: Section, title: str, why: str,
             action: str = "") -> None:
        """Record a step that was not run and why."""
        self.add(Check(check_id, section, title, Status.SKIP, why, next_action=action,
                       code="skipped"))

    # -- the walk --------------------------------------------------------------------------

    def run(self) -> DoctorReport:
        """Walk every step in order and return the report."""
        started = time.monotonic()
        try:
            self._configuration()
            self._http_api()
            self._websocket()
            self._auth_endpoint()
            if self.options.webhook_url:  # issue 13: the webhook endpoint, when configured
                from .webhookcheck import webhook_check

                url, s = self.options.webhook_url, self.settings
                self.step("webhook.endpoint", Section.WEBHOOK, "Webhook endpoint",
                          lambda: webhook_check(url, s.key, s.secret, self.budget.timeout()))
            self._subscriptions()
            self._round_trip()
            self._frontend_mistakes()
        finally:
            self.report.duration_s = time.monotonic() - started
            self.report.target = self.redactor.value(self._target())
        return self.report

    def _target(self) -> dict[str, Any]:
        """Describe what the run looked at (no secret, no token)."""
        o = self.options
        return {"pusher": self.settings.describe(),
                "frontend_env": o.frontend_env and str(o.frontend_env),
                "frontend_src": o.frontend_src and str(o.frontend_src),
                "auth_endpoint": o.auth_endpoint, "origin": o.origin,
                "guest_token": "set" if o.guest_token else None,
                "staff_token": "set" if o.staff_token else None,
                "booking_id": o.booking_id, "hotel_slug": o.hotel_slug,
                "room_number": o.room_number,
                "contract": self.contract.path if self.contract else (o.contract and str(o.contract))}

    # -- configuration ---------------------------------------------------------------------

    def _configuration(self) -> None:
        """Check the backend variables, the frontend env file and the contract."""
        o = self.options
        env: dict[str, str] = dict(os.environ if o.env is None else o.env)
        if o.backend_env_file is not None:
            env.update(read_env_file(o.backend_env_file))
        env.update({k: v for k, v in o.overrides.items() if v not in (None, "")})
        self.settings = PusherSettings.from_env(env)
        self.redactor.add(self.settings.secret)
        if o.frontend_env is not None:
            self.frontend = FrontendSettings.from_file(o.frontend_env)
        self.step("config.backend", Section.CONFIG, "Backend PUSHER_* settings", self._backend)
        self.step("config.frontend", Section.CONFIG, "Frontend Pusher settings", self._frontend)
        self.step("config.contract", Section.CONFIG, "Contract loads and lints clean",
                  self._contract)

    def _backend(self) -> Check:
        """Check that the backend has app id, key, secret and a host or cluster."""
        s = self.settings
        title = "Backend PUSHER_* settings"
        evidence = [f"app id {s.app_id or '(not set)'}, key {s.key or '(not set)'}, secret "
                    f"{'set' if s.secret else '(not set)'}",
                    f"HTTP API {s.api_url}; websocket {s.ws_host}:{s.ws_port} "
                    f"({'TLS' if s.ssl else 'plain'})"]
        if s.source:
            evidence.append("from " + ", ".join(sorted(set(s.source.values()))))
        evidence.extend(s.problems)
        if not s.key:
            return Check("config.backend", Section.CONFIG, title, Status.FAIL,
                         "PUSHER_KEY is not set: nothing can connect", evidence,
                         "set PUSHER_KEY (or PUSHER_URL=http://KEY:SECRET@HOST:PORT/apps/ID) in "
                         "the backend environment", code="missing-key")
        if not s.host and not s.cluster:
            return Check("config.backend", Section.CONFIG, title, Status.FAIL,
                         "neither PUSHER_HOST nor PUSHER_CLUSTER is set: the SDK would talk to "
                         "the default hosted cluster", evidence,
                         "set PUSHER_CLUSTER (hosted Pusher) or PUSHER_HOST/PUSHER_PORT (soketi)",
                         code="missing-host")
        if not s.has_credentials:
            missing = [n for n, v in (("PUSHER_APP_ID", s.app_id), ("PUSHER_SECRET", s.secret))
                       if not v]
            return Check("config.backend", Section.CONFIG, title, Status.WARN,
                         f"{' and '.join(missing)} not set: the HTTP API check and the round "
                         "trip will be skipped", evidence,
                         f"set {', '.join(missing)} to let the doctor prove the credentials",
                         code="no-credentials")
        if s.problems:
            return Check("config.backend", Section.CONFIG, title, Status.WARN,
                         s.problems[0], evidence, "make PUSHER_URL and PUSHER_* agree",
                         code="inconsistent")
        return Check("config.backend", Section.CONFIG, title, Status.PASS,
                     f"app {s.app_id} on {s.api_host}:{s.api_port}", evidence)

    def _frontend(self) -> Check | None:
        """Check the frontend key and cluster/host against the backend's."""
        title = "Frontend Pusher settings"
        f = self.frontend
        if f is None:
            self.skip("config.frontend", Section.CONFIG, title,
                      "no --frontend-env given: the frontend's key and cluster were not compared",
                      "pass --frontend-env path/to/frontend/.env")
            return None
        s = self.settings
        evidence = [f"{f.path}: key {f.key or '(not set)'} ({f.key_var or 'no variable'}), "
                    f"cluster {f.cluster or '(not set)'}, host {f.host or '(not set)'}"]
        secrets = [name for name in f.values if "SECRET" in name.upper() and f.values[name]]
        if secrets or (s.secret and s.secret in f.values.values()):
            names = ", ".join(secrets) or "a variable holding the backend's PUSHER_SECRET"
            return Check("config.frontend", Section.CONFIG, title, Status.FAIL,
                         f"the frontend env file contains {names}: every REACT_APP_/VITE_ value "
                         "ships in the JavaScript bundle, so the app secret is public", evidence,
                         "remove the secret from the frontend env and rotate it in the Pusher "
                         "dashboard / soketi config", code="secret-in-frontend", security=True)
        if not f.key:
            return Check("config.frontend", Section.CONFIG, title, Status.FAIL,
                         "no REACT_APP_PUSHER_KEY or VITE_PUSHER_KEY: pusher-js gets no key",
                         evidence, "set REACT_APP_PUSHER_KEY (CRA) or VITE_PUSHER_KEY (Vite)",
                         code="missing-key")
        for suffix in ("PUSHER_KEY", "PUSHER_CLUSTER"):
            variants = f.variants(suffix)
            if len(set(variants.values())) > 1:
                shown = ", ".join(f"{k}={v}" for k, v in variants.items())
                return Check("config.frontend", Section.CONFIG, title, Status.FAIL,
                             f"the frontend env defines {suffix} twice with different values "
                             f"({shown})", evidence,
                             "keep one prefix (REACT_APP_ for CRA, VITE_ for Vite)",
                             code="conflicting-variables")
        if s.key and f.key != s.key:
            return Check("config.frontend", Section.CONFIG, title, Status.FAIL,
                         f"key mismatch: the frontend connects with key {f.key!r} but the "
                         f"backend sends with key {s.key!r}, so the page never sees backend "
                         "events", evidence, f"set {f.key_var} to the backend's PUSHER_KEY",
                         code="key-mismatch")
        if s.host:
            if not f.host:
                return Check("config.frontend", Section.CONFIG, title, Status.FAIL,
                             f"the backend sends to {s.host}:{s.api_port} but the frontend has "
                             f"no host, so pusher-js connects to hosted Pusher "
                             f"(cluster {f.cluster or 'mt1'})", evidence,
                             "set REACT_APP_PUSHER_HOST / VITE_PUSHER_HOST (pusher-js wsHost) "
                             f"to {s.host} and the port to {s.api_port}", code="host-mismatch")
            if f.host != s.host or (f.port and s.port and f.port != s.port):
                return Check("config.frontend", Section.CONFIG, title, Status.WARN,
                             f"the frontend connects to {f.host}:{f.port or '?'} and the backend "
                             f"sends to {s.host}:{s.port or '?'}: fine behind a proxy, wrong "
                             "otherwise", evidence, "check both point at the same server",
                             code="host-differs")
        elif s.cluster and f.cluster != s.cluster:
            return Check("config.frontend", Section.CONFIG, title, Status.FAIL,
                         f"cluster mismatch: the frontend uses cluster {f.cluster or '(none)'!r} "
                         f"and the backend {s.cluster!r}, so they talk to different servers",
                         evidence, f"set the frontend cluster to {s.cluster!r}",
                         code="cluster-mismatch")
        return Check("config.frontend", Section.CONFIG, title, Status.PASS,
                     "same key and server as the backend", evidence)

    def _contract(self) -> Check:
        """Load and lint the contract."""
        from hotelmate_rt.contracts import lint, load_contract
        from hotelmate_rt.errors import ContractLoadError

        title = "Contract loads and lints clean"
        try:
            self.contract = load_contract(self.options.contract)
        except ContractLoadError as exc:
            problems = [str(p) for p in exc.problems]
            return Check("config.contract", Section.CONFIG, title, Status.FAIL,
                         f"the contract does not load ({len(problems)} problem(s))",
                         problems[:10], "fix the contract: `hotelmate-rt contract lint`",
                         code="contract-load")
        findings = lint(self.contract)
        c = self.contract
        summary = f"{c.path}: {len(c.channels)} channels, {len(c.events)} events"
        if findings:
            errors = [f for f in findings if f.severity == "error"]
            return Check("config.contract", Section.CONFIG, title,
                         Status.FAIL if errors else Status.WARN,
                         f"{summary}, {len(findings)} lint finding(s)",
                         [str(f) for f in findings[:10]], "run `hotelmate-rt contract lint`",
                         code="contract-lint")
        return Check("config.contract", Section.CONFIG, title, Status.PASS,
                     f"{summary}, no lint findings")

    # -- HTTP API --------------------------------------------------------------------------

    def _http_api(self) -> None:
        """Prove app id, key and secret with a harmless channel-info call."""
        title = "HTTP API credentials (channel info)"
        if not self.settings.has_credentials:
            self.skip("http-api.credentials", Section.HTTP_API, title,
                      "skipped: app id, key and secret are not all set",
                      "set PUSHER_APP_ID, PUSHER_KEY and PUSHER_SECRET")
            return
        self.step("http-api.credentials", Section.HTTP_API, title, self._http_api_check)

    def _http_api_check(self) -> Check:
        """Call channel info and name the failure if any."""
        from .httpapi import HttpApiError, channel_info

        title = "HTTP API credentials (channel info)"
        channel = f"private-booking-{DIAGNOSTIC_BOOKING}"
        timeout = self.budget.timeout()
        try:
            info = channel_info(self.settings, channel, timeout)
        except HttpApiError as exc:
            actions = {
                "wrong-secret": "copy PUSHER_SECRET from the Pusher dashboard / soketi app config "
                                "(App Keys); the app id and key look right",
                "wrong-app-id": "set PUSHER_APP_ID to the app id of this key and secret",
                "wrong-key": "set PUSHER_KEY to the app's key",
                "bad-app-id": "PUSHER_APP_ID must be the numeric app id",
                "connection-refused": f"check PUSHER_HOST/PUSHER_PORT: nothing listens on "
                                      f"{self.settings.api_host}:{self.settings.api_port}",
                "unknown-host": "fix PUSHER_HOST or PUSHER_CLUSTER",
                "tls-mismatch": "set PUSHER_SSL/PUSHER_USE_TLS to match the server "
                                "(soketi on a plain port: false)",
                "timeout": "check the host and firewall; the server did not answer",
                "not-pusher": "point PUSHER_HOST/PUSHER_PORT at the Pusher-protocol server",
                "app-disabled": "enable the app (soketi: SOKETI_DEFAULT_APP_ENABLED) or check "
                                "its quota",
            }
            evidence = [f"GET {self.settings.api_url}/apps/{self.settings.app_id}/channels/"
                        f"{channel} (timeout {timeout:.1f} s)"]
            if exc.detail:
                evidence.append(f"server said: {exc.detail}")
            return Check("http-api.credentials", Section.HTTP_API, title, Status.FAIL, str(exc),
                         evidence, actions.get(exc.kind.value, "check the PUSHER_* settings"),
                         code=exc.kind.value)
        self.api_ok = True
        count = "" if info.subscription_count is None else \
            f", subscription_count {info.subscription_count}"
        return Check("http-api.credentials", Section.HTTP_API, title, Status.PASS,
                     f"app {self.settings.app_id} accepted the signed request",
                     [f"channel info {channel}: occupied {info.occupied}{count}"],
                     data=info.to_dict())

    # -- websocket -------------------------------------------------------------------------

    def _server(self) -> ServerAddress:
        """Return the websocket address the browser would use (frontend key when known)."""
        from hotelmate_rt.probes.connection import ServerAddress

        s = self.settings
        key = self.frontend.key if self.frontend is not None and self.frontend.key else s.key
        return ServerAddress(key, s.ws_host, s.ws_port, s.ssl)

    def _websocket(self) -> None:
        """Connect to the websocket as the page would and name any refusal."""
        title = "Websocket connect"
        if not (self.settings.key or (self.frontend and self.frontend.key)):
            self.skip("websocket.connect", Section.WEBSOCKET, title, "skipped: no app key")
            return
        try:
            import hotelmate_rt.probes.connection  # noqa: F401
        except ImportError:
            self.skip("websocket.connect", Section.WEBSOCKET, title,
                      "skipped: the probe connection layer is not installed")
            return
        self.step("websocket.connect", Section.WEBSOCKET, title, self._websocket_check)

    def _listener(self, channels: list[tuple[str, str | None]], authorizer: Any = None,
                  label: str = "") -> Listener:
        """Build a listener bounded by the step timeout."""

        from .wire import Listener

        return Listener(self._server(), channels, authorizer, self.budget.timeout(),
                        self.redactor, self.contract, label)

    def _websocket_check(self) -> Check:
        """Open one connection with no channel and classify the outcome."""
        from hotelmate_rt.probes.events import PusherError

        title = "Websocket connect"
        server = self._server()
        listener = self._listener([]).start()
        started = time.monotonic()
        try:
            # a little past the connection's own timeout, so its verdict (Fatal) arrives
            listener.wait_ready(time.monotonic() + listener.timeout + 0.5)
            elapsed_ready = (time.monotonic() - started) * 1000
        finally:
            listener.close()
        url = server.url.split("?")[0]
        evidence = [f"connect {url}"]
        errors = listener.of_type(PusherError)
        evidence.extend(f"pusher:error code {e.code}: {e.message}" for e in errors)
        if listener.socket_id is not None:
            self.ws_ok = True
            elapsed = elapsed_ready
            evidence.append(f"socket id {listener.socket_id}")
            return Check("websocket.connect", Section.WEBSOCKET, title, Status.PASS,
                         f"connected to {server.host}:{server.port} with key {server.key!r}",
                         evidence, data={"connect_ms": round(max(elapsed, 0.0), 1)})
        reason = str(listener.fatal) if listener.fatal else "no connection_established in time"
        evidence.append(reason)
        code, summary, action = _classify_ws(reason, [e.code for e in errors], server,
                                             self.settings)
        if server.tls and code in {"timeout", "not-pusher", "connect-failed"}:
            from .httpapi import plain_http_answers

            if plain_http_answers(server.host, server.port, min(self.budget.timeout(), 1.0)):
                code = "tls-on-plain-port"
                summary = (f"TLS spoken to a plain port: {server.host}:{server.port} answers "
                           "plain HTTP but not the TLS handshake")
                action = ("set PUSHER_TLS=false / forceTLS: false for this server, or use its "
                          "TLS port")
        return Check("websocket.connect", Section.WEBSOCKET, title, Status.FAIL, summary,
                     evidence, action, code=code)

    # -- auth endpoint ---------------------------------------------------------------------

    def _guest_params(self) -> dict[str, str]:
        """Return the guest's known scope (booking, hotel, room)."""
        o = self.options
        return {k: v for k, v in (("booking_id", o.booking_id), ("hotel_slug", o.hotel_slug),
                                  ("room_number", o.room_number)) if v}

    def _render(self, channel_id: str, params: Mapping[str, str]) -> str | None:
        """Render a contract channel, or None when a parameter is missing or malformed."""
        from hotelmate_rt.errors import ContractUsageError

        if self.contract is None or channel_id not in self.contract.channels:
            return None
        try:
            return self.contract.render(channel_id, **params)
        except ContractUsageError:
            return None

    def _auth_endpoint(self) -> None:
        """Probe the auth endpoint: reachable, CORS, allowed and forbidden channels."""
        o = self.options
        if not o.auth_endpoint:
            self.skip("auth.reachable", Section.AUTH, "Auth endpoint",
                      "skipped: no --auth-endpoint given",
                      "pass --auth-endpoint URL (with --guest-token/--staff-token)")
            return
        self.step("auth.reachable", Section.AUTH, "Auth endpoint reachable", self._auth_reachable)
        if o.origin:
            self.step("auth.cors", Section.AUTH, f"CORS for {o.origin}", self._auth_cors)
        if not self.auth_ok:
            for check_id in ("auth.guest.own", "auth.guest.foreign", "auth.staff.own"):
                self.skip(check_id, Section.AUTH, check_id,
                          "skipped: the auth endpoint is not usable (see above)")
            return
        if self.contract is None:
            self.skip("auth.guest.own", Section.AUTH, "Guest token",
                      "skipped: the contract did not load")
            return
        guest = self._guest_params()
        booking = guest.get("booking_id")
        if o.guest_token:
            own = self._render("guest-booking", {"booking_id": booking}) if booking else None
            if own:
                guest_own: str = own
                self.step("auth.guest.own", Section.AUTH, "Guest token: own booking channel",
                          lambda: self._auth_allowed("auth.guest.own", o.guest_token or "",
                                                     guest_own, "guest"))
            else:
                self.skip("auth.guest.own", Section.AUTH, "Guest token: own booking channel",
                          "skipped: pass --booking with the guest token's booking id",
                          "pass --booking BK-....")
            foreign_id = FOREIGN_BOOKING if booking != FOREIGN_BOOKING else DIAGNOSTIC_BOOKING
            foreign = self._render("guest-booking", {"booking_id": foreign_id})
            if foreign:
                guest_foreign: str = foreign
                self.step("auth.guest.foreign", Section.AUTH,
                          "Guest token: another booking's channel is refused",
                          lambda: self._auth_forbidden("auth.guest.foreign",
                                                       o.guest_token or "", guest_foreign, "guest",
                                                       "another booking's channel"))
            hotel = guest.get("hotel_slug")
            staff_channel = self._render("hotel-staff", {"hotel_slug": hotel}) if hotel else None
            if staff_channel:
                guest_staff: str = staff_channel
                self.step("auth.guest.staff", Section.AUTH,
                          "Guest token: the staff channel is refused",
                          lambda: self._auth_forbidden("auth.guest.staff", o.guest_token or "",
                                                       guest_staff, "guest",
                                                       "the hotel's staff channel"))
        else:
            self.skip("auth.guest.own", Section.AUTH, "Guest token",
                      "skipped: no --guest-token given", "pass --guest-token TOKEN --booking ID")
        if o.staff_token:
            hotel = o.hotel_slug
            own = self._render("hotel-staff", {"hotel_slug": hotel}) if hotel else None
            if own:
                staff_own: str = own
                self.step("auth.staff.own", Section.AUTH, "Staff token: own hotel's staff channel",
                          lambda: self._auth_allowed("auth.staff.own", o.staff_token or "",
                                                     staff_own, "staff"))
            else:
                self.skip("auth.staff.own", Section.AUTH, "Staff token: own staff channel",
                          "skipped: pass --hotel with the staff member's hotel slug")
            other = FOREIGN_HOTEL if hotel != FOREIGN_HOTEL else FOREIGN_HOTEL + "-2"
            foreign = self._render("hotel-staff", {"hotel_slug": other})
            if foreign:
                staff_foreign: str = foreign
                self.step("auth.staff.foreign", Section.AUTH,
                          "Staff token: another hotel's staff channel is refused",
                          lambda: self._auth_forbidden("auth.staff.foreign", o.staff_token or "",
                                                       staff_foreign, "staff",
                                                       "another hotel's staff channel"))

    def _probe_channel(self) -> str:
        """Return a private channel to ask about when no principal matters."""
        booking = self.options.booking_id or DIAGNOSTIC_BOOKING
        return self._render("guest-booking", {"booking_id": booking}) or \
            f"private-booking-{booking}"

    def _auth_reachable(self) -> Check:
        """POST without a token: a working endpoint answers 401 (or 403) in JSON."""
        from .authcheck import post_auth

        url = self.options.auth_endpoint or ""
        title = "Auth endpoint reachable"
        timeout = self.budget.timeout()
        answer = post_auth(url, self._probe_channel(), token=None, timeout=timeout,
                           origin=self.options.origin)
        evidence = [f"POST {url} channel_name={answer.channel} without a token: "
                    f"{answer.describe()} in {answer.elapsed_ms:.0f} ms"]
        if answer.refused:
            self.auth_ok = True
            return Check("auth.reachable", Section.AUTH, title, Status.PASS,
                         f"answers and refuses an anonymous request ({answer.describe()})",
                         evidence)
        if answer.signed:
            self.auth_ok = True
            return Check("auth.reachable", Section.AUTH, title, Status.FAIL,
                         "the auth endpoint signs a private channel for a request with no token",
                         evidence, "require a valid bearer token before signing anything",
                         code="signs-anonymous", security=True)
        return self._auth_failure("auth.reachable", title, answer, evidence, timeout)

    def _auth_failure(self, check_id: str, title: str, answer: Any, evidence: list[str],
                      timeout: float) -> Check:
        """Name an auth endpoint failure (404, 5xx, HTML, non-JSON, timeout, unreachable)."""
        from .authcheck import AuthOutcome

        url = self.options.auth_endpoint
        outcome = answer.outcome
        table: dict[AuthOutcome, tuple[str, str]] = {
            AuthOutcome.NOT_FOUND: (f"404: there is no auth endpoint at {url}",
                                    "fix --auth-endpoint / the frontend's authEndpoint to the "
                                    "backend's pusher auth route"),
            AuthOutcome.SERVER_ERROR: (f"the auth endpoint crashed (HTTP {answer.status})",
                                       "read the backend's error log for this request"),
            AuthOutcome.HTML: (f"the auth endpoint answered an HTML page (HTTP {answer.status}) "
                               "instead of JSON: a login page, an error page or the SPA",
                               "point authEndpoint at the API route, not a page; check the "
                               "proxy"),
            AuthOutcome.NOT_JSON: (f"the auth endpoint answered HTTP {answer.status} but not "
                                   "JSON", 'it must return {"auth": "key:signature"}'),
            AuthOutcome.NO_AUTH_FIELD: ("the auth endpoint answered JSON without an \"auth\" "
                                        "signature", 'it must return {"auth": "key:signature"}'),
            AuthOutcome.TIMEOUT: (f"the auth endpoint did not answer within {timeout:.1f} s "
                                  "(timeout)", "check the backend is not hung or overloaded"),
            AuthOutcome.UNREACHABLE: (f"cannot reach the auth endpoint: {answer.reason}",
                                      "start the backend or fix --auth-endpoint"),
            AuthOutcome.UNAUTHENTICATED: ("401: the token was not accepted (missing, expired or "
                                          "wrong)", "get a fresh token for this guest/staff"),
            AuthOutcome.FORBIDDEN: ("403: the endpoint refuses this principal its own channel",
                                    "check the token belongs to this booking/hotel (--booking, "
                                    "--hotel) and the endpoint's audience rules"),
            AuthOutcome.BAD_REQUEST: (f"400: the endpoint did not understand the request "
                                      f"({answer.reason})", "it must accept form-encoded "
                                      "socket_id and channel_name as pusher-js sends them"),
            AuthOutcome.METHOD: ("405: the URL does not accept POST", "fix --auth-endpoint"),
            AuthOutcome.REDIRECT: (f"the auth endpoint redirects ({answer.reason}): usually a "
                                   "login redirect or a missing trailing slash",
                                   "use the final URL; auth must not redirect"),
        }
        summary, action = table.get(outcome, (f"unexpected answer: {answer.describe()}",
                                              "check the auth endpoint"))
        code = f"auth-{outcome.value}"
        return Check(check_id, Section.AUTH, title, Status.FAIL, summary, evidence, action,
                     code=code)

    def _auth_cors(self) -> Check:
        """Send the browser's preflight and check the POST's Access-Control-Allow-Origin."""
        from .authcheck import post_auth, preflight

        origin = self.options.origin or ""
        url = self.options.auth_endpoint or ""
        title = f"CORS for {origin}"
        timeout = self.budget.timeout()
        pre = preflight(url, origin, timeout)
        evidence = [f"OPTIONS {url} Origin: {origin}: "
                    + (pre.error or f"HTTP {pre.status}, Access-Control-Allow-Origin "
                       f"{pre.allow_origin or '(none)'}, -Allow-Headers "
                       f"{pre.allow_headers or '(none)'}")]
        if pre.error:
            return Check("auth.cors", Section.AUTH, title, Status.FAIL,
                         f"the CORS preflight failed: {pre.error}", evidence,
                         "make the endpoint answer OPTIONS", code="cors-preflight")
        post = post_auth(url, self._probe_channel(), token=None, timeout=self.budget.timeout(),
                         origin=origin)
        post_origin = post.headers.get("access-control-allow-origin", "")
        evidence.append(f"POST Origin: {origin}: Access-Control-Allow-Origin "
                        f"{post_origin or '(none)'}")
        problems = []
        if pre.status is None or pre.status >= 400:
            problems.append(f"the preflight answered HTTP {pre.status}")
        if not pre.origin_allowed:
            problems.append(f"the preflight does not allow origin {origin}")
        elif not pre.authorization_allowed:
            problems.append("the preflight does not allow the Authorization header")
        if not pre.post_allowed:
            problems.append("the preflight does not allow POST")
        if post_origin not in {origin, "*"}:
            problems.append("the POST answer has no Access-Control-Allow-Origin for it")
        if problems:
            return Check("auth.cors", Section.AUTH, title, Status.FAIL,
                         "CORS blocks the browser: " + "; ".join(problems), evidence,
                         f"allow origin {origin} (with the Authorization header) in the "
                         "backend's CORS settings (django-cors-headers CORS_ALLOWED_ORIGINS)",
                         code="cors")
        return Check("auth.cors", Section.AUTH, title, Status.PASS,
                     f"the browser at {origin} may call the auth endpoint", evidence)

    def _auth_allowed(self, check_id: str, token: str, channel: str, who: str) -> Check:
        """Ask for a channel the principal may read: expect a signature made with the app secret."""
        from .authcheck import DIAGNOSTIC_SOCKET_ID, post_auth, signature_matches

        title = f"{who.capitalize()} token: own channel {channel}"
        timeout = self.budget.timeout()
        answer = post_auth(self.options.auth_endpoint or "", channel, token=token,
                           timeout=timeout, origin=self.options.origin)
        evidence = [f"POST channel_name={channel} as {who}: {answer.describe()} in "
                    f"{answer.elapsed_ms:.0f} ms"]
        if not answer.signed:
            return self._auth_failure(check_id, title, answer, evidence, timeout)
        s = self.settings
        signed_key = answer.auth.split(":", 1)[0]
        expected_key = self.frontend.key if self.frontend and self.frontend.key else s.key
        if expected_key and signed_key != expected_key:
            return Check(check_id, Section.AUTH, title, Status.FAIL,
                         f"the endpoint signs with app key {signed_key!r}, the page connects "
                         f"with {expected_key!r}: soketi will reject the subscription", evidence,
                         "give the auth endpoint the same PUSHER_KEY/SECRET as the app",
                         code="auth-key-mismatch")
        if s.secret:
            if signature_matches(answer.auth, signed_key, s.secret, DIAGNOSTIC_SOCKET_ID,
                                 channel, answer.channel_data):
                evidence.append("the signature is HMAC-SHA256 with this app's secret")
            else:
                return Check(check_id, Section.AUTH, title, Status.FAIL,
                             "the endpoint's signature was not made with this app's secret: "
                             "the server will reject the subscription", evidence,
                             "give the auth endpoint the same PUSHER_SECRET as the app",
                             code="auth-wrong-secret")
        return Check(check_id, Section.AUTH, title, Status.PASS,
                     f"signs {channel} for the {who}", evidence)

    def _auth_forbidden(self, check_id: str, token: str, channel: str, who: str,
                        what: str) -> Check:
        """Ask for a channel the principal must not read: expect a refusal (403 or 401)."""
        from .authcheck import AuthOutcome, post_auth

        title = f"{who.capitalize()} token: {what} is refused"
        timeout = self.budget.timeout()
        answer = post_auth(self.options.auth_endpoint or "", channel, token=token,
                           timeout=timeout, origin=self.options.origin)
        evidence = [f"POST channel_name={channel} as {who}: {answer.describe()}"]
        if answer.signed:
            return Check(check_id, Section.AUTH, title, Status.FAIL,
                         f"SECURITY: the auth endpoint authorizes a {who} on {what} "
                         f"({channel}): anyone holding a {who} token can read it",
                         evidence, "bind the token to its own booking/hotel in the auth view "
                         "(hotelmate_rt.auth.authorize does this from the contract)",
                         code="authorizes-foreign", security=True)
        if answer.outcome is AuthOutcome.FORBIDDEN:
            return Check(check_id, Section.AUTH, title, Status.PASS,
                         f"refused with 403 ({answer.reason or 'no reason'})", evidence)
        if answer.outcome is AuthOutcome.UNAUTHENTICATED:
            return Check(check_id, Section.AUTH, title, Status.WARN,
                         "refused, but with 401: the token itself was not accepted, so this "
                         "does not prove the endpoint checks the booking", evidence,
                         f"pass a valid --{who}-token", code="token-refused")
        return self._auth_failure(check_id, title, answer, evidence, timeout)

    # -- subscriptions ---------------------------------------------------------------------

    def _audience_channels(self, audience: str, params: Mapping[str, str]
                           ) -> tuple[list[tuple[str, str]], list[str]]:
        """Render the channels an audience may read; list the ones missing a parameter."""
        if self.contract is None:
            return [], []
        rendered: list[tuple[str, str]] = []
        missing: list[str] = []
        for channel in self.contract.readable_channels(audience):
            if audience == "public" and not channel.public_readable:
                continue
            name = self._render(channel.id, params)
            if name is None:
                need = [p for p in channel.template.parameters if p not in params]
                missing.append(f"{channel.id} (needs {', '.join(need) or 'valid parameters'})")
            else:
                rendered.append((name, channel.id))
        return rendered, missing

    def _subscriptions(self) -> None:
        """Subscribe as each audience to every channel it may read."""
        o = self.options
        title = "Subscriptions"
        if not self.ws_ok:
            self.skip("subscription", Section.SUBSCRIPTION, title,
                      "skipped: the websocket does not connect (see above)")
            return
        if self.contract is None:
            self.skip("subscription", Section.SUBSCRIPTION, title,
                      "skipped: the contract did not load")
            return
        plans: list[tuple[str, str | None, dict[str, str]]] = []
        if o.hotel_slug:
            plans.append(("public", None, {"hotel_slug": o.hotel_slug}))
        if o.guest_token and o.auth_endpoint and self.auth_ok:
            plans.append(("guest", o.guest_token, self._guest_params()))
        if o.staff_token and o.auth_endpoint and self.auth_ok:
            plans.append(("staff", o.staff_token, {k: v for k, v in (
                ("hotel_slug", o.hotel_slug), ("room_number", o.room_number)) if v}))
        if not plans:
            self.skip("subscription", Section.SUBSCRIPTION, title,
                      "skipped: no audience to subscribe as",
                      "pass --hotel (public), --guest-token/--staff-token with --auth-endpoint")
            return
        self.step("subscription", Section.SUBSCRIPTION, title,
                  lambda: self._subscribe_all(plans))

    def _subscribe_all(self, plans: list[tuple[str, str | None, dict[str, str]]]) -> None:
        """Open one connection per channel (all at once) and record one check per channel."""
        from hotelmate_rt.probes.auth import EndpointAuthorizer
        from hotelmate_rt.probes.events import PusherError, SubscriptionFailed

        from .wire import Listener, open_listeners

        pending: list[tuple[str, str, str, Listener]] = []
        authorizers: list[Any] = []
        server = self._server()
        timeout = self.budget.timeout()
        for audience, token, params in plans:
            rendered, missing = self._audience_channels(audience, params)
            for entry in missing:
                channel_id = entry.split(" ", 1)[0]
                self.skip(f"subscription.{audience}.{channel_id}", Section.SUBSCRIPTION,
                          f"{audience}: {channel_id}", f"skipped: {entry}",
                          "pass --booking / --hotel / --room")
            for name, channel_id in rendered:
                authorizer = None
                if name.startswith(("private-", "presence-")) and token:
                    authorizer = EndpointAuthorizer(
                        self.options.auth_endpoint or "", token, server.key, timeout,
                        redactor=self.redactor, origin=self.options.origin)
                    authorizers.append(authorizer)
                listener = Listener(server, [(name, channel_id)], authorizer, timeout,
                                    self.redactor, self.contract, audience)
                pending.append((audience, channel_id, name, listener))
        try:
            open_listeners([p[3] for p in pending], time.monotonic() + timeout)
        finally:
            for *_, listener in pending:
                listener.close()
            for authorizer in authorizers:
                authorizer.close()
        for audience, channel_id, name, listener in pending:
            check_id = f"subscription.{audience}.{channel_id}"
            title = f"{audience}: {name}"
            how = "via the auth endpoint" if listener.authorizer is not None else "public"
            if name in listener.subscribed:
                self.add(Check(check_id, Section.SUBSCRIPTION, title, Status.PASS,
                               f"subscribed ({how})" + (": the server accepted the endpoint's "
                                                        "signature" if listener.authorizer else ""),
                               [f"pusher_internal:subscription_succeeded on {name}"]))
                continue
            evidence: list[str] = []
            failed = listener.of_type(SubscriptionFailed)
            errors = listener.of_type(PusherError)
            evidence.extend(f"pusher:subscription_error ({f.source}) status {f.status}: "
                            f"{f.reason}" for f in failed if f.source == "server")
            evidence.extend(f"auth endpoint: HTTP {f.status} {f.reason}" for f in failed
                            if f.source == "auth-endpoint")
            evidence.extend(f"pusher:error code {e.code}: {e.message}" for e in errors)
            if listener.fatal is not None:
                evidence.append(str(listener.fatal))
            server_failure = next((f for f in failed if f.source == "server"), None)
            if server_failure is not None:
                summary = (f"pusher:subscription_error {server_failure.status}: "
                           f"{server_failure.reason}; {server_failure.meaning}")
                action = ("sign with the same app key and secret the server has "
                          "(the auth endpoint's PUSHER_SECRET)")
                code = "subscription-error"
            elif failed:
                summary = f"the auth endpoint refused: {failed[0].meaning or failed[0].reason}"
                action = "see the auth endpoint checks above"
                code = "auth-refused"
            elif errors:
                summary = f"pusher:error code {errors[0].code}: {errors[0].message}"
                action = "see the server's error above"
                code = "pusher-error"
            else:
                summary = f"no answer to the subscription within {timeout:.1f} s"
                action = "check the server logs"
                code = "subscription-timeout"
            self.add(Check(check_id, Section.SUBSCRIPTION, title, Status.FAIL, summary,
                           evidence, action, code=code))

    # -- round trip ------------------------------------------------------------------------

    def _round_trip(self) -> None:
        """Send diagnostic events through the emitter and time them to a listening probe."""
        title = "Round trip (emitter -> server -> probe)"
        if not self.settings.has_credentials:
            self.skip("round-trip", Section.ROUND_TRIP, title,
                      "skipped: no app secret, so nothing can be sent or signed",
                      "run with PUSHER_APP_ID/PUSHER_KEY/PUSHER_SECRET set to time a round trip")
            return
        if not (self.ws_ok and self.api_ok):
            self.skip("round-trip", Section.ROUND_TRIP, title,
                      "skipped: the websocket or the HTTP API check failed (see above)")
            return
        if self.contract is None or "booking_updated" not in self.contract.events:
            self.skip("round-trip", Section.ROUND_TRIP, title,
                      "skipped: the contract has no booking_updated event on guest-booking")
            return
        self.step("round-trip", Section.ROUND_TRIP, title, self._round_trip_check)

    def _round_trip_check(self) -> Check:
        """Listen on the diagnostic booking channel and send `round_trips` events."""
        from hotelmate_rt.probes.auth import LocalSigner

        title = "Round trip (emitter -> server -> probe)"
        channel = self._render("guest-booking", {"booking_id": DIAGNOSTIC_BOOKING}) or ""
        s = self.settings
        listener = self._listener([(channel, "guest-booking")],
                                  LocalSigner(s.key, s.secret), "round-trip").start()
        timings: list[float] = []
        evidence = [f"listening on {channel} (a booking no guest has), signed locally"]
        try:
            if not listener.wait_ready(time.monotonic() + self.budget.timeout()):
                reason = str(listener.fatal) if listener.fatal else "not subscribed in time"
                return Check("round-trip", Section.ROUND_TRIP, title, Status.FAIL,
                             f"the probe could not listen: {reason}", evidence,
                             "see the websocket and subscription checks", code="no-listener")
            send = _sender(self.contract, s, self.budget.timeout())
            for index in range(max(1, self.options.round_trips)):
                nonce = uuid.uuid4().hex[:12]
                payload = {"booking_id": DIAGNOSTIC_BOOKING,
                           "updated_at": datetime.now(UTC).isoformat(timespec="milliseconds"),
                           "changed_fields": [f"hotelmate-rt-doctor-{nonce}"]}
                sent_at = time.time()
                error = send(DIAGNOSTIC_BOOKING, payload)
                if error:
                    return Check("round-trip", Section.ROUND_TRIP, title, Status.FAIL,
                                 f"the emitter could not send: {error}", evidence,
                                 "see the HTTP API check", code="send-failed")

                def arrived(nonce: str = nonce) -> bool:
                    return any(nonce in str(r.data) for r in listener.received)

                if not listener.wait(arrived, time.monotonic() + self.budget.timeout()):
                    return Check("round-trip", Section.ROUND_TRIP, title, Status.FAIL,
                                 f"event {index + 1} was accepted by the HTTP API but never "
                                 f"reached the probe on {channel}", evidence,
                                 "check the backend and the page use the same server/app",
                                 code="lost")
                got = next(r for r in listener.received if nonce in str(r.data))
                timings.append((got.at - sent_at) * 1000)
                if got.verdict is not None and not got.verdict.ok:
                    evidence.append("verdict: " + "; ".join(f.message for f in
                                                           got.verdict.findings))
        finally:
            listener.close()
        p50 = statistics.median(timings)
        evidence.append("round trips (ms): " + ", ".join(f"{t:.1f}" for t in timings))
        return Check("round-trip", Section.ROUND_TRIP, title, Status.PASS,
                     f"{len(timings)} diagnostic booking_updated events arrived, p50 {p50:.1f} ms",
                     evidence, data={"p50_ms": round(p50, 2),
                                     "timings_ms": [round(t, 2) for t in timings]})

    # -- frontend mistakes -----------------------------------------------------------------

    def _frontend_mistakes(self) -> None:
        """Recognise the seeds' classic frontend mistakes in the env file and sources."""
        o = self.options
        title = "Frontend channel and event names"
        if self.frontend is None and o.frontend_src is None:
            self.skip("frontend.names", Section.FRONTEND, title,
                      "skipped: no --frontend-env or --frontend-src given")
            return
        if self.contract is None:
            self.skip("frontend.names", Section.FRONTEND, title,
                      "skipped: the contract did not load")
            return
        self.step("frontend.names", Section.FRONTEND, title, self._frontend_names)

    def _frontend_names(self) -> Check | None:
        """Judge every subscribed channel and bound event the frontend declares."""
        from .frontend import judge_uses, uses_from_env, uses_from_sources

        assert self.contract is not None
        uses = uses_from_env(self.frontend) if self.frontend is not None else []
        scanned: list[Check] = []
        seen = 0
        note = ""
        src = self.options.frontend_src
        if src is not None:
            try:
                scanned, seen, note = self._scan_sources(src)
            except ImportError:
                uses.extend(uses_from_sources(src))
        title = "Frontend channel and event names"
        if not uses and not seen:
            return Check("frontend.names", Section.FRONTEND, title, Status.SKIP,
                         "no channel or event name found in the frontend config",
                         next_action="pass --frontend-src DIR to scan the pusher-js code")
        findings = judge_uses(self.contract, uses)
        for index, finding in enumerate(findings):
            self.add(Check(f"frontend.{finding.code}.{index}", Section.FRONTEND,
                           f"{finding.use.kind} {finding.use.name}",
                           Status.FAIL if finding.fail else Status.WARN, finding.message,
                           [finding.use.where], finding.fix, code=finding.code,
                           security=finding.security))
        for check in scanned:
            self.add(check)
        if findings or scanned:
            return None
        names = sorted({u.name for u in uses})
        evidence = names[:20] + ([note] if note else [])
        return Check("frontend.names", Section.FRONTEND, title, Status.PASS,
                     f"{len(uses) + seen} name(s) all match the contract", evidence)

    def _scan_sources(self, src: Path) -> tuple[list[Check], int, str]:
        """Scan frontend sources with `hotelmate_rt.scan`; return checks, sites seen and a note."""
        from hotelmate_rt.scan import scan

        assert self.contract is not None
        result = scan([src], self.contract, root=src if src.is_dir() else src.parent)
        checks: list[Check] = []
        for index, finding in enumerate(result.findings):
            mapped = _SCAN_RULES.get(finding.rule)
            if mapped is None:
                continue
            code, fail, security = mapped
            low = finding.message.lower()
            if finding.rule == "unknown-channel" and ("wrong name" in low or
                                                      "deprecated name" in low):
                code, fail = "deprecated-channel", True
            elif finding.rule == "unknown-event" and ("wrong name" in low or
                                                      "deprecated" in low):
                code = "deprecated-event"
            checks.append(Check(f"frontend.{code}.s{index}", Section.FRONTEND,
                                f"{finding.file}:{finding.line}",
                                Status.FAIL if fail else Status.WARN,
                                finding.message + (f" ({finding.fix})" if finding.fix else ""),
                                [f"{finding.file}:{finding.line}"], finding.fix or "",
                                code=code, security=security))
        unresolved = len(result.unresolved)
        note = f"{unresolved} call site(s) the scan could not resolve" if unresolved else ""
        return checks, len(result.sites), note


_SCAN_RULES: dict[str, tuple[str, bool, bool]] = {
    "public-with-auth": ("public-channel-with-auth", True, True),
    "private-without-auth": ("private-without-auth", True, False),
    "deprecated-channel": ("deprecated-channel", True, False),
    "unknown-channel": ("unknown-channel", False, False),
    "unknown-event": ("unknown-event", True, False),
    "deprecated-event": ("deprecated-event", True, False),
    "event-not-on-channel": ("event-not-on-channel", True, False),
}
"""Scan rules the doctor reports for frontend sources: (code, is a fail, is a security issue)."""


def _classify_ws(reason: str, codes: list[int | None], server: ServerAddress,
                 settings: PusherSettings) -> tuple[str, str, str]:
    """Name a websocket failure: 4001, 4003, wrong host, refused, TLS mismatch, timeout."""
    low = reason.lower()
    where = f"{server.host}:{server.port}"
    if 4001 in codes or "code 4001" in low:
        return ("unknown-app-key", f"unknown app key {server.key!r} (4001): the server has no "
                f"app with this key", "set the frontend/backend PUSHER_KEY to the app's key")
    if 4003 in codes or "code 4003" in low:
        return ("app-disabled", "the app is disabled on the server (4003)",
                "enable the app (soketi: SOKETI_DEFAULT_APP_ENABLED=true; Pusher: dashboard)")
    if 4000 in codes or "code 4000" in low:
        return ("tls-required", "the server requires TLS (4000)", "connect with TLS (forceTLS)")
    if 4004 in codes or "code 4004" in low or 4100 in codes:
        return ("over-quota", "the app is over its connection quota", "raise the quota")
    if "name or service not known" in low or "nodename nor servname" in low or \
            "getaddrinfo" in low or "no address associated" in low or "resolution" in low:
        hint = f" (cluster {settings.cluster!r}?)" if settings.cluster and not settings.host \
            else ""
        return ("wrong-host", f"wrong host: {server.host!r} does not resolve{hint}",
                "fix PUSHER_HOST / PUSHER_CLUSTER (and the frontend's wsHost/cluster)")
    if "refused" in low:
        return ("connection-refused", f"wrong port or server down: connection refused by {where}",
                "check PUSHER_PORT / the frontend's wsPort and that the server runs")
    if server.tls and ("ssl" in low or "wrong version number" in low or "record layer" in low
                       or "tls" in low or "handshake" in low):
        return ("tls-on-plain-port", f"TLS spoken to a plain port: {where} does not speak TLS",
                "set PUSHER_SSL/forceTLS to false for this server, or use its TLS port")
    if not server.tls and ("handshake" in low or "bad request" in low or
                           "connection reset" in low or "remote host closed" in low):
        return ("plain-on-tls-port", f"plain websocket to {where}, which expects TLS "
                "(or is not a websocket server)", "enable TLS (PUSHER_SSL=true / forceTLS)")
    if "timed out" in low or "timeout" in low:
        return ("timeout", f"{where} did not answer in time (firewalled or wrong host?)",
                "check host, port and firewall")
    if "connection_established" in low:
        return ("not-pusher", f"{where} accepted the websocket but is not a Pusher server",
                "point the host/port at soketi or Pusher")
    return ("connect-failed", f"cannot connect: {reason}", "check host, port, key and TLS")


def _sender(contract: Any, settings: PusherSettings,
            timeout: float) -> Callable[[str, dict[str, Any]], str | None]:
    """Return a function that emits booking_updated on guest-booking only; None means sent."""
    from hotelmate_rt.emitters import NO_RETRY, Emitter, PusherTransport
    from hotelmate_rt.errors import HotelmateRtError

    transport = PusherTransport.create(settings.app_id, settings.key, settings.secret,
                                       cluster=settings.cluster or None,
                                       host=settings.host or None, port=settings.port,
                                       ssl=settings.ssl, timeout=timeout, pool_size=1)
    emitter = Emitter(contract, transport, strict=True, retry=NO_RETRY, dead_letter=False,
                      defer=False, lanes=1)

    def send(booking: str, payload: dict[str, Any]) -> str | None:
        """Emit one diagnostic event; return the error sentence, or None when sent."""
        try:
            result = emitter.emit("booking_updated", payload, only=("guest-booking",),
                                  booking_id=booking)
        except HotelmateRtError as exc:
            return str(exc)
        return None if result.ok else (result.error or result.outcome.value)

    return send


def run_doctor(options: DoctorOptions) -> DoctorReport:
    """Run the doctor once and return its report (never raises for a failing setup)."""
    return Doctor(options).run()
