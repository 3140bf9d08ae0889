"""Doctor checks of a cluster: each node answers for this app, and events cross every pair.

Given the nodes (`--node HOST:PORT` repeated, or HOTELMATE_RT_PUSHER_NODES), the doctor asks each
node's HTTP API with the app's credentials (`cluster.node.HOST:PORT`), then listens on the
diagnostic channel through every node at once and sends one event through each node
(`cluster.round-trip`): on a sound cluster every event reaches the listener on every other node,
and each node's channel information counts the listeners of all nodes. It names the classic
mistakes from what it sees:

- a node with different app credentials: its HTTP API refuses the app's signature (401), or the
  key or app id is not its own;
- a node on the local adapter: it answers, but nothing it is sent reaches the other nodes,
  nothing sent to them reaches it, and it counts only its own subscribers;
- a node that cannot reach Redis: soketi (1.6) answers `GET /` and then exits at the first
  client or cross-node request (an unhandled `MaxRetriesPerRequestError`): the node answered
  `GET /` before it was asked for channel information (or used by the round trip) and is gone
  after.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import TYPE_CHECKING

from hotelmate_rt.oncall.checks import Outcome, failed, passed, with_id
from hotelmate_rt.oncall.listening import Listening, make_probe
from hotelmate_rt.oncall.model import Section, Status

from .advice import http_api_action
from .context import DIAGNOSTIC_BOOKING, DOCTOR, DoctorContext, send_diagnostic

if TYPE_CHECKING:
    from hotelmate_rt.settings import PusherSettings

ADAPTER_ACTION = ("start {node} with SOKETI_ADAPTER_DRIVER=redis and the SOKETI_DB_REDIS_HOST/"
                  "PORT (and SOKETI_ADAPTER_REDIS_PREFIX) of the other nodes")
REDIS_ACTION = ("check that {node} can reach Redis (SOKETI_DB_REDIS_HOST/PORT from that "
                "machine: firewall, password, DNS); soketi exits when its Redis adapter "
                "cannot reach Redis")


def _name(node: PusherSettings) -> str:
    """HOST:PORT of a node."""
    return f"{node.host}:{node.port}"


@DOCTOR.fact("cluster", action="pass --node HOST:PORT once per node (or set "
                                "HOTELMATE_RT_PUSHER_NODES)")
def cluster(ctx: DoctorContext) -> str | None:
    """The settings name two or more nodes."""
    return None if len(ctx.settings.nodes) >= 2 else "fewer than two --node given"


def _alive(node: PusherSettings, timeout: float) -> bool:
    """Tell whether the node's HTTP server answers `GET /` (soketi says OK)."""
    import httpx

    try:
        with httpx.Client(timeout=httpx.Timeout(timeout), trust_env=False,
                          verify=True) as client:
            return client.get(f"{node.api_url}/").status_code < 500
    except httpx.HTTPError:
        return False


def _answers(node: PusherSettings, timeout: float) -> str | None:
    """Ask a node's HTTP API about the diagnostic channel; return the failure kind or None."""
    from hotelmate_rt.oncall.httpapi import HttpApiError, channel_info

    try:
        channel_info(node, f"private-booking-{DIAGNOSTIC_BOOKING}", timeout)
    except HttpApiError as exc:
        return exc.kind.value
    return None


@DOCTOR.check("cluster.node", Section.CLUSTER, "Node answers with this app",
              only_if=("cluster",), needs=("credentials",))
def nodes(ctx: DoctorContext) -> Iterator[Outcome]:
    """Ask each node's HTTP API with the app's credentials; name a node of another app."""
    from hotelmate_rt.oncall.httpapi import HttpApiError, channel_info

    for node in ctx.settings.node_settings():
        where = _name(node)
        title = f"Node {where} answers with app {node.app_id}"
        alive = _alive(node, min(ctx.timeout(), 2.0))
        try:
            info = channel_info(node, f"private-booking-{DIAGNOSTIC_BOOKING}", ctx.timeout())
        except HttpApiError as exc:
            evidence = [f"GET {node.api_url}/: {'answered' if alive else 'no answer'}",
                        f"GET {node.api_url}/apps/{node.app_id}/channels/... : {exc}"]
            if alive and not _alive(node, min(ctx.timeout(), 2.0)):
                yield with_id(failed(
                    f"{where} answered, then went down when asked for channel information: "
                    "its Redis is most likely unreachable", evidence=evidence,
                    code="redis-unreachable", next_action=REDIS_ACTION.format(node=where)),
                    f"cluster.node.{where}", title)
            elif exc.kind.value in {"wrong-secret", "wrong-key", "wrong-app-id"}:
                yield with_id(failed(
                    f"{where} has different app credentials: {exc}", evidence=evidence,
                    code="different-credentials",
                    next_action=f"give {where} the same app id, key and secret as the other "
                                "nodes (SOKETI_DEFAULT_APP_ID/KEY/SECRET or the app manager)"),
                    f"cluster.node.{where}", title)
            else:
                yield with_id(failed(f"{where} does not answer: {exc}", evidence=evidence,
                                     code=exc.kind.value,
                                     next_action=http_api_action(exc.kind.value, where)),
                              f"cluster.node.{where}", title)
            continue
        yield with_id(passed(f"{where} accepted the app's signed request",
                             evidence=[f"channel info: occupied {info.occupied}"]),
                      f"cluster.node.{where}", title)


@DOCTOR.check("cluster.round-trip", Section.CLUSTER,
              "Round trip through each node to a listener on every other node",
              only_if=("cluster",), needs=("credentials", "round-trip-event"))
def round_trip(ctx: DoctorContext) -> Outcome:
    """Listen through every answering node, send through each, and see what arrived where."""
    from hotelmate_rt.probes import LocalSigner, ServerAddress

    s = ctx.settings
    healthy = [n for n in s.node_settings()
               if (r := ctx.results.get(f"cluster.node.{_name(n)}")) is not None
               and r.status is Status.PASS]
    if len(healthy) < 2:
        return failed(f"only {len(healthy)} node(s) answered with this app: nothing to compare",
                      next_action="fix the nodes named above", code="too-few-nodes")
    channel = ctx.render("guest-booking", {"booking_id": DIAGNOSTIC_BOOKING}) or \
        f"private-booking-{DIAGNOSTIC_BOOKING}"
    names = [_name(n) for n in healthy]
    timeout = ctx.timeout()
    probes = [(name, make_probe(ctx.contract, ServerAddress(ctx.page_key, n.host, n.port or 0,
                                                             n.ssl),
                                [(channel, "guest-booking")], LocalSigner(s.key, s.secret),
                                timeout, ctx.redactor, timeout * (len(healthy) + 3)))
              for name, n in zip(names, healthy, strict=True)]
    evidence = [f"listening on {channel} through {', '.join(names)} (signed locally)"]
    with Listening(probes) as listening:
        listening.wait_ready(time.monotonic() + timeout)
        listeners = {h.label for h in listening.heard if h.ready}
        deaf = [h.label for h in listening.heard if not h.ready]
        evidence.extend(f"{h.label}: could not listen ({h.failure()})" for h in listening.heard
                        if not h.ready)
        counts = _counts(healthy, channel, timeout)
        evidence.extend(f"channel info via {n}: {c if c is not None else 'no answer'} "
                        "subscriber(s)" for n, c in counts.items())
        nonces = _send_through_each(ctx, healthy, evidence)
        reached: dict[str, set[str]] = {sender: set() for sender in names}

        def all_arrived() -> bool:
            for heard in listening.heard:
                for sender, nonce in nonces.items():
                    if nonce and any(nonce in str(j.data) for j in heard.judged):
                        reached[sender].add(heard.label)
            return all(reached[s_] >= listeners for s_, n_ in nonces.items() if n_)

        listening.wait(all_arrived, time.monotonic() + timeout)
        all_arrived()
    for sender in names:
        others = sorted(listeners - {sender})
        got = sorted(reached[sender] - {sender})
        evidence.append(f"sent through {sender}: reached {', '.join(got) or 'no other node'}"
                        f" (of {', '.join(others) or 'none'})")
    gone = [n for n in healthy if _answers(n, min(timeout, 2.0)) is not None]
    if gone:
        where = ", ".join(_name(n) for n in gone)
        return failed(f"{where} answered at first and stopped answering once clients used it: "
                      "its Redis is most likely unreachable", evidence=evidence,
                      code="redis-unreachable", next_action=REDIS_ACTION.format(node=where))
    isolated = [n for n in names if n in listeners and not (reached[n] - {n}) and
                not any(n in reached[o] for o in names if o != n)]
    if isolated and len(isolated) < len(names):
        where = ", ".join(isolated)
        return failed(f"{where} is not on the shared adapter: events sent to it never reach the "
                      "other nodes and theirs never reach it (a local-adapter node splits the "
                      "audience)", evidence=evidence, code="local-adapter",
                      next_action=ADAPTER_ACTION.format(node=where))
    missing = [f"{s_} -> {r}" for s_ in names for r in sorted(listeners - {s_} - reached[s_])
               if nonces.get(s_)]
    if deaf or missing or not all(nonces.values()):
        unsent = [n for n, nonce in nonces.items() if not nonce]
        problem = "; ".join(filter(None, [
            f"lost: {', '.join(missing)}" if missing else "",
            f"could not listen through {', '.join(deaf)}" if deaf else "",
            f"could not send through {', '.join(unsent)}" if unsent else ""]))
        return failed(f"not every node reaches every other: {problem}", evidence=evidence,
                      code="partial", next_action="check each node's adapter settings and its "
                                                  "link to Redis")
    low = [n for n, c in counts.items() if c is not None and c < len(listeners)]
    if low:
        return failed(f"channel information via {', '.join(low)} misses subscribers of other "
                      f"nodes ({len(listeners)} listening)", evidence=evidence,
                      code="partial-counts", next_action="raise SOKETI_ADAPTER_REDIS_REQUESTS_"
                                                         "TIMEOUT or check the slow node")
    return passed(f"events sent through each of {len(names)} nodes reached every other node",
                  evidence=evidence)


def _counts(nodes_: list[PusherSettings], channel: str, timeout: float) -> dict[str, int | None]:
    """Ask each node how many subscribers the channel has across the cluster."""
    from hotelmate_rt.oncall.httpapi import HttpApiError, channel_info

    counts: dict[str, int | None] = {}
    for node in nodes_:
        try:
            counts[_name(node)] = channel_info(node, channel, timeout).subscription_count
        except HttpApiError:
            counts[_name(node)] = None
    return counts


def _send_through_each(ctx: DoctorContext, nodes_: list[PusherSettings],
                       evidence: list[str]) -> dict[str, str]:
    """Send one diagnostic booking_updated through each node; return node -> nonce ('' failed)."""
    from hotelmate_rt.errors import HotelmateRtError

    nonces: dict[str, str] = {}
    for node in nodes_:
        try:
            with ctx.emitter(node) as emitter:
                nonce, error = send_diagnostic(emitter)
        except HotelmateRtError as exc:
            nonce, error = "", str(exc)
        if error:
            evidence.append(f"could not send through {_name(node)}: {error}")
            nonce = ""
        nonces[_name(node)] = nonce
    return nonces
