"""Doctor checks of the configuration: backend PUSHER_* settings, frontend env, the contract."""

from __future__ import annotations

from hotelmate_rt.oncall.checks import Outcome, failed, passed, warned
from hotelmate_rt.oncall.model import Section

from .context import DOCTOR, DoctorContext


@DOCTOR.check("config.backend", Section.CONFIG, "Backend PUSHER_* settings")
def backend(ctx: DoctorContext) -> Outcome:
    """The backend has app id, key, secret and a host or cluster, and no conflicting values."""
    s = ctx.settings
    evidence = [f"app id {s.app_id or '(not set)'}, key {s.key or '(not set)'}, secret "
                f"{'set' if s.secret else '(not set)'}",
                f"HTTP API {s.api_url}; websocket {s.ws_host}:{s.ws_port} "
                f"({'TLS' if s.ssl else 'plain'})"]
    if s.source:
        evidence.append("from " + ", ".join(sorted(set(s.source.values()))))
    evidence.extend(s.errors + s.problems)
    if s.errors:
        return failed(s.errors[0], evidence=evidence, code="invalid-setting",
                      next_action="fix the variable: the emitter refuses to start with it")
    if not s.key:
        return failed("PUSHER_KEY is not set: nothing can connect", evidence=evidence,
                      next_action="set PUSHER_KEY (or PUSHER_URL=http://KEY:SECRET@HOST:PORT/apps/"
                                  "ID) in the backend environment", code="missing-key")
    if not s.host and not s.cluster and not s.port:
        return failed("neither PUSHER_HOST nor PUSHER_CLUSTER is set: the SDK would talk to the "
                      "default hosted cluster", evidence=evidence, code="missing-host",
                      next_action="set PUSHER_CLUSTER (hosted Pusher) or PUSHER_HOST/PUSHER_PORT "
                                  "(soketi)")
    if not s.has_credentials:
        missing = [n for n in s.missing if n != "PUSHER_KEY"]
        return warned(f"{' and '.join(missing)} not set: the HTTP API check and the round trip "
                      "will be skipped", evidence=evidence, code="no-credentials",
                      next_action=f"set {', '.join(missing)} to let the doctor prove the "
                                  "credentials")
    if s.problems:
        return warned(s.problems[0], evidence=evidence, code="inconsistent",
                      next_action="make PUSHER_URL and PUSHER_* agree")
    return passed(f"app {s.app_id} on {s.api_host}:{s.api_port}", evidence=evidence)


@DOCTOR.check("config.frontend", Section.CONFIG, "Frontend Pusher settings",
              needs=("frontend-env",))
def frontend(ctx: DoctorContext) -> Outcome:
    """The frontend has no secret, one key, and the backend's key and server."""
    f = ctx.frontend
    assert f is not None
    s = ctx.settings
    evidence = [f"{f.path}: key {f.key or '(not set)'} ({f.key_var or 'no variable'}), cluster "
                f"{f.cluster or '(not set)'}, host {f.host or '(not set)'}"]
    secrets = [name for name in f.values if "SECRET" in name.upper() and f.values[name]]
    if secrets or (s.secret and s.secret in f.values.values()):
        names = ", ".join(secrets) or "a variable holding the backend's PUSHER_SECRET"
        return failed(f"the frontend env file contains {names}: every REACT_APP_/VITE_ value "
                      "ships in the JavaScript bundle, so the app secret is public",
                      evidence=evidence, code="secret-in-frontend", security=True,
                      next_action="remove the secret from the frontend env and rotate it in the "
                                  "Pusher dashboard / soketi config")
    if not f.key:
        return failed("no REACT_APP_PUSHER_KEY or VITE_PUSHER_KEY: pusher-js gets no key",
                      evidence=evidence, code="missing-key",
                      next_action="set REACT_APP_PUSHER_KEY (CRA) or VITE_PUSHER_KEY (Vite)")
    for suffix in ("PUSHER_KEY", "PUSHER_CLUSTER"):
        variants = f.variants(suffix)
        if len(set(variants.values())) > 1:
            shown = ", ".join(f"{k}={v}" for k, v in variants.items())
            return failed(f"the frontend env defines {suffix} twice with different values "
                          f"({shown})", evidence=evidence, code="conflicting-variables",
                          next_action="keep one prefix (REACT_APP_ for CRA, VITE_ for Vite)")
    if s.key and f.key != s.key:
        return failed(f"key mismatch: the frontend connects with key {f.key!r} but the backend "
                      f"sends with key {s.key!r}, so the page never sees backend events",
                      evidence=evidence, code="key-mismatch",
                      next_action=f"set {f.key_var} to the backend's PUSHER_KEY")
    if s.host:
        if not f.host:
            return failed(f"the backend sends to {s.host}:{s.api_port} but the frontend has no "
                          f"host, so pusher-js connects to hosted Pusher (cluster "
                          f"{f.cluster or 'mt1'})", evidence=evidence, code="host-mismatch",
                          next_action=f"set REACT_APP_PUSHER_HOST / VITE_PUSHER_HOST (pusher-js "
                                      f"wsHost) to {s.host} and the port to {s.api_port}")
        if f.host != s.host or (f.port and s.port and f.port != s.port):
            return warned(f"the frontend connects to {f.host}:{f.port or '?'} and the backend "
                          f"sends to {s.host}:{s.port or '?'}: fine behind a proxy, wrong "
                          "otherwise", evidence=evidence, code="host-differs",
                          next_action="check both point at the same server")
    elif s.cluster and f.cluster != s.cluster:
        return failed(f"cluster mismatch: the frontend uses cluster {f.cluster or '(none)'!r} and "
                      f"the backend {s.cluster!r}, so they talk to different servers",
                      evidence=evidence, code="cluster-mismatch",
                      next_action=f"set the frontend cluster to {s.cluster!r}")
    return passed("same key and server as the backend", evidence=evidence)


@DOCTOR.check("config.contract", Section.CONFIG, "Contract loads and lints clean")
def contract(ctx: DoctorContext) -> Outcome:
    """The contract loads, and lint finds nothing."""
    from hotelmate_rt.contracts import lint

    c = ctx.contract
    if c is None:
        problems = ctx.contract_problems
        return failed(f"the contract does not load ({len(problems)} problem(s))",
                      evidence=problems[:10], code="contract-load",
                      next_action="fix the contract: `hotelmate-rt contract lint`")
    findings = lint(c)
    summary = f"{c.path}: {len(c.channels)} channels, {len(c.events)} events"
    if findings:
        errors = [f for f in findings if f.severity == "error"]
        return (failed if errors else warned)(
            f"{summary}, {len(findings)} lint finding(s)", code="contract-lint",
            evidence=[str(f) for f in findings[:10]],
            next_action="run `hotelmate-rt contract lint`")
    return passed(f"{summary}, no lint findings")
