"""Lifecycle rules on the shapes real apps write beyond the seeds: class components, connection
handlers per app, context clients, store actions, helpers that unsubscribe, await in TypeScript."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from hotelmate_rt.scan import parse_config, scan
from hotelmate_rt.scan.rules import LIFECYCLE_RULES
from tests.helpers import write_tree
from tests.unit.test_scan_lifecycle import by_rule

_CLIENT = "import Pusher from 'pusher-js';\nexport const pusher = new Pusher('key', { cluster: 'eu' });\n"
_CLASS = """
    import React from 'react';
    import {{ pusher }} from '../pusher';
    export default class {name} extends React.Component {{
      componentDidMount() {{
        this.channel = pusher.subscribe(`hotel-${{this.props.slug}}-lobby`);
        this.channel.bind('{event}', this.onEvent);
      }}
      componentWillUnmount() {{
        this.channel.unbind('{event}', this.onEvent);{extra}
      }}
      onEvent = (data) => this.setState({{ data }});
      render() {{ return null; }}
    }}
"""


def _lobby(extra: str = "", more: str = "") -> dict[str, str]:
    """A lobby screen mounting two class components on one channel (`extra`: the second one's
    unmount code, `more`: other files)."""
    files = {"src/pusher.js": _CLIENT + "pusher.connection.bind('error', console.error);\n"
             "pusher.connection.bind('connected', () => window.location.reload());\n",
             "src/components/Board.jsx": _CLASS.format(name="Board", event="lobby-updated",
                                                       extra=""),
             "src/components/Banner.jsx": _CLASS.format(name="Banner", event="banner-updated",
                                                        extra=extra),
             "src/Lobby.jsx": "import Board from './components/Board';\n"
                              "import Banner from './components/Banner';\n"
                              "export const Lobby = () => <><Board slug='a' /><Banner slug='a' /></>;\n"}
    return {**files, **dict(item.split("\n", 1) for item in more.split("\n@@ ") if item)}


@pytest.mark.parametrize(("files", "expected"), [
    # class components unbinding their own handlers on unmount: nothing to report
    (_lobby(), set()),
    # componentWillUnmount unsubscribes the channel the other class component still uses
    (_lobby("\n    pusher.unsubscribe(`hotel-${this.props.slug}-lobby`);"),
     {("lifecycle-shared-unsubscribe", "src/components/Banner.jsx", 11)}),
    # componentDidUpdate binds again after every update; a constructor's client is per mount
    (_lobby(more="src/components/Queue.jsx\n"
                 "import Pusher from 'pusher-js';\nimport { pusher } from '../pusher';\n"
                 "export default class Queue extends React.Component {\n"
                 "  constructor(props) { super(props); this.client = new Pusher('key', {}); }\n"
                 "  componentDidMount() { this.channel = pusher.subscribe('desk-1'); }\n"
                 "  componentDidUpdate() { this.channel.bind('queue-advanced', (d) => this.setState(d)); }\n"
                 "  componentWillUnmount() { this.client.disconnect(); }\n"
                 "  render() { return null; }\n}\n"),
     {("lifecycle-client-per-mount", "src/components/Queue.jsx", 4),
      ("lifecycle-handler-leak", "src/components/Queue.jsx", 6)}),
])
def test_class_components_are_judged(tmp_path: Path, files: dict[str, str],
                                     expected: set[tuple[str, str, int]]) -> None:
    """componentDidMount/componentWillUnmount are a mount effect and its cleanup,
    componentDidUpdate an effect after every update, a constructor runs once per mount."""
    result = scan([write_tree(tmp_path, files)], None, parse_config({}), root=tmp_path)
    assert {(f.rule.value, f.file, f.line) for f in result.findings
            if f.rule in LIFECYCLE_RULES} == expected


_PRIVATE = """
    import {{ useEffect, useState }} from 'react';
    import {{ pusher }} from '../pusher';
    export function Alerts({{ slug }}) {{
      const [alerts, setAlerts] = useState([]);
      useEffect(() => {{
        fetch(`/api/${{slug}}/alerts`).then((r) => r.json()).then(setAlerts);
        const channel = pusher.subscribe(`private-hotel-${{slug}}-alerts`);
        const onAlert = (a) => {handler};
        channel.bind('alert-raised', onAlert);
        return () => channel.unbind('alert-raised', onAlert);
      }}, [slug]);
      return alerts.length;
    }}
"""
_PROVIDER = """
    import Pusher from 'pusher-js';
    import {{ useEffect, useState }} from 'react';
    export function RealtimeProvider({{ children }}) {{
      const [client] = useState(() => new Pusher('key', {{}}));
      useEffect(() => {{ client.connection.bind('{event}', {handler}); }}, [client]);
      return children;
    }}
"""


@pytest.mark.parametrize(("files", "expected"), [
    # the other app's provider handles its own connection errors, not this app's
    ({"apps/ops/src/pusher.js": _CLIENT + "pusher.connection.bind('connected', reload);\n",
      "apps/ops/src/components/Alerts.jsx": _PRIVATE.format(handler="setAlerts((x) => [a, ...x])"),
      "apps/guest/src/RealtimeProvider.jsx": _PROVIDER.format(event="error",
                                                              handler="console.error")},
     {("lifecycle-no-error-handler", "apps/ops/src/components/Alerts.jsx", 8)}),
    # the same provider in the same app: its error handler covers the private channel
    ({"src/pusher.js": _CLIENT + "pusher.connection.bind('connected', reload);\n",
      "src/components/Alerts.jsx": _PRIVATE.format(handler="setAlerts((x) => [a, ...x])"),
      "src/RealtimeProvider.jsx": _PROVIDER.format(event="error", handler="console.error")},
     set()),
    # a state_change handler waiting for `connected` refetches; it handles no error
    ({"src/pusher.js": _CLIENT + "pusher.connection.bind('state_change', ({ current }) => {\n"
                                 "  if (current === 'connected') reload();\n});\n",
      "src/components/Alerts.jsx": _PRIVATE.format(handler="setAlerts((x) => [a, ...x])")},
     {("lifecycle-no-error-handler", "src/components/Alerts.jsx", 8)}),
    # one that looks at `failed` / `unavailable` does show the error
    ({"src/pusher.js": _CLIENT + "pusher.connection.bind('state_change', ({ current }) => {\n"
                                 "  if (current === 'connected') reload();\n"
                                 "  if (current === 'unavailable') setOffline(true);\n});\n",
      "src/components/Alerts.jsx": _PRIVATE.format(handler="setAlerts((x) => [a, ...x])")},
     set()),
    # handlers that only toast show no state a reconnect leaves stale: no catch-up needed
    ({"src/pusher.js": _CLIENT + "pusher.connection.bind('error', console.error);\n",
      "src/components/Alerts.jsx": _PRIVATE.format(handler="toast(a.text)")},
     set()),
    # the same with state: nothing refetches it after a reconnect
    ({"src/pusher.js": _CLIENT + "pusher.connection.bind('error', console.error);\n",
      "src/components/Alerts.jsx": _PRIVATE.format(handler="setAlerts((x) => [a, ...x])")},
     {("lifecycle-no-catch-up", "src/pusher.js", 2)}),
])
def test_connection_handlers_cover_their_own_app(tmp_path: Path, files: dict[str, str],
                                                 expected: set[tuple[str, str, int]]) -> None:
    """Connection error and catch-up handlers count for their own app's client only, a
    `state_change` handler waiting for `connected` is no error handler, and toast-only handlers
    need no catch-up."""
    result = scan([write_tree(tmp_path, files)], None, parse_config({}), root=tmp_path)
    assert {(f.rule.value, f.file, f.line) for f in result.findings
            if f.rule in LIFECYCLE_RULES} == expected


def test_a_context_client_in_a_file_without_the_word_pusher(tmp_path: Path) -> None:
    """A component that gets its client from a `useRealtime()` context hook (its file never says
    "pusher") is still judged: its stale channel name is found."""
    write_tree(tmp_path, {
        "src/realtime.jsx": _PROVIDER.format(event="error", handler="console.error") +
        "export const useRealtime = () => useContext(RealtimeContext);\n",
        "src/OrderTracker.jsx": """
            import { useEffect, useState } from 'react';
            import { useRealtime } from './realtime';
            export function OrderTracker({ orderId }) {
              const client = useRealtime();
              const [tracking] = useState(orderId);
              useEffect(() => {
                const channel = client.subscribe(`private-order-${tracking}`);
                channel.bind('order-step', show);
                return () => channel.unbind('order-step', show);
              }, [client]);
              return null;
            }
        """})
    result = scan([tmp_path], None, parse_config({}), root=tmp_path)
    assert [(f.rule.value, f.file, f.line) for f in result.findings
            if f.rule in LIFECYCLE_RULES] == [
        ("lifecycle-stale-subscription", "src/OrderTracker.jsx", 8)]


_STORE = """
    import { create } from 'zustand';
    import { pusher } from '../pusher';
    let users = 0;
    export const useFeedStore = create((set) => ({
      items: [],
      connect: (slug) => {
        users += 1;
        pusher.subscribe(`hotel-${slug}`).bind('offer-created', (o) => set({ items: [o] }));
      },
      disconnect: (slug) => {
        %s
      },
    }));
"""
_VIEW = """
    import { useEffect } from 'react';
    import { useFeedStore } from '../stores/feed';
    export function Feed({ slug }) {
      const connect = useFeedStore((s) => s.connect);
      const disconnect = useFeedStore((s) => s.disconnect);
      useEffect(() => {
        connect(slug);
        return () => disconnect(slug);
      }, [slug, connect, disconnect]);
      return null;
    }
"""
_TICKER = """
    import { useEffect } from 'react';
    import { pusher } from '../pusher';
    export function Ticker({ slug }) {
      useEffect(() => {
        const channel = pusher.subscribe(`hotel-${slug}`);
        channel.bind('offer-updated', show);
        return () => channel.unbind('offer-updated', show);
      }, [slug]);
      return null;
    }
"""


@pytest.mark.parametrize(("action", "expected"), [
    ("pusher.unsubscribe(`hotel-${slug}`);", [("src/stores/feed.js", 12)]),
    # a ref-counted action: only the last user unsubscribes
    ("if (--users === 0) pusher.unsubscribe(`hotel-${slug}`);", []),
    ("users -= 1;\n        if (users > 0) return;\n        pusher.unsubscribe(`hotel-${slug}`);", []),
])
def test_a_store_action_called_from_a_cleanup(tmp_path: Path, action: str,
                                              expected: list[tuple[str, int]]) -> None:
    """A zustand store action that unsubscribes, called from a component's cleanup, breaks the
    other component on that channel (pointing at the caller); a ref-counted action does not."""
    write_tree(tmp_path, {"src/pusher.js": _CLIENT, "src/stores/feed.js": _STORE % action,
                          "src/components/Feed.jsx": _VIEW, "src/components/Ticker.jsx": _TICKER})
    result = scan([tmp_path], None, parse_config({}), root=tmp_path)
    shared = by_rule(result, "lifecycle-shared-unsubscribe")
    assert [(f.file, f.line) for f in shared] == expected
    for finding in shared:
        assert finding.message.startswith("after Feed unmounts, Ticker stops receiving")
        assert [r.file for r in finding.related] == ["src/components/Feed.jsx",
                                                     "src/components/Ticker.jsx"]


_LOADER = """
    import {{ useEffect, useState }} from 'react';
    import {{ pusher }} from '../pusher';
    export function {name}({{ slug }}) {{
      const [rows, setRows] = useState([]);
      useEffect(() => {{
        const load = () => fetch(`/api/${{slug}}/{name}`).then((r) => r.json()).then(setRows);
        load();
        const channel = pusher.subscribe(`hotel-${{slug}}-{name}`);
        const onRow = (row) => setRows((x) => [row, ...x]);
        channel.bind('row-added', onRow);{catch_up}
        return () => channel.unbind('row-added', onRow);
      }}, [slug]);
      return rows.length;
    }}
"""


def test_a_typescript_load_behind_await_in_an_async_iife(tmp_path: Path) -> None:
    """`await getJson<T[]>(...)` (which tree-sitter parses as `(await getJson)<T[]>(...)`) in an
    async IIFE is still the effect's load, so a component that never catches up is reported."""
    loader = re.sub(r"const load = .*\n\s*load\(\);",
                    "(async () => setRows(await getJson<Row[]>(`/api/${slug}`)))();",
                    _LOADER.format(name="Tickets", catch_up=""))
    write_tree(tmp_path, {
        "src/pusher.ts": _CLIENT + "pusher.connection.bind('error', console.error);\n",
        "src/components/Tasks.tsx": _LOADER.format(
            name="Tasks", catch_up="\n    pusher.connection.bind('connected', load);"),
        "src/components/Tickets.tsx": loader})
    result = scan([tmp_path], None, parse_config({}), root=tmp_path)
    assert "getJson<Row[]>" in (tmp_path / "src/components/Tickets.tsx").read_text()
    assert [(f.file, f.line) for f in by_rule(result, "lifecycle-no-catch-up")] == [
        ("src/components/Tickets.tsx", 8)]


@pytest.mark.parametrize(("catch_up", "app_wide", "expected"), [
    # Tasks refetches on reconnect, Tickets loads once and never again: Tickets goes stale
    ("\n    pusher.connection.bind('connected', load);", "", [("src/components/Tickets.jsx", 9)]),
    # a module-level catch-up for the whole app covers every component
    ("\n    pusher.connection.bind('connected', load);",
     "pusher.connection.bind('connected', () => queryClient.invalidateQueries());\n", []),
])
def test_a_component_that_loads_once_among_ones_that_catch_up(
        tmp_path: Path, catch_up: str, app_wide: str, expected: list[tuple[str, int]]) -> None:
    """When components catch up one by one, the one that loads its data and never refetches on
    reconnect is reported at its subscribe, pointing at one that does."""
    write_tree(tmp_path, {
        "src/pusher.js": _CLIENT + "pusher.connection.bind('error', console.error);\n" + app_wide,
        "src/components/Tasks.jsx": _LOADER.format(name="Tasks", catch_up=catch_up),
        "src/components/Tickets.jsx": _LOADER.format(name="Tickets", catch_up="")})
    result = scan([tmp_path], None, parse_config({}), root=tmp_path)
    stale = by_rule(result, "lifecycle-no-catch-up")
    assert [(f.file, f.line) for f in stale] == expected
    for finding in stale:
        assert "Tickets shows stale data" in finding.message
        assert [r.file for r in finding.related] == ["src/components/Tasks.jsx"]


def test_a_class_component_reading_the_client_from_context(tmp_path: Path) -> None:
    """`static contextType = PusherContext` makes `this.context` the app's shared client: its
    unmount wiping a channel the function components still use is found."""
    write_tree(tmp_path, {
        "src/PusherContext.jsx": _PROVIDER.format(event="error", handler="console.error") +
        "export const PusherContext = createContext(null);\n",
        "src/Desk.jsx": """
            import React from 'react';
            import { PusherContext } from './PusherContext';
            export default class Desk extends React.Component {
              static contextType = PusherContext;
              componentDidMount() {
                this.channel = this.context.subscribe(`hotel-${this.props.slug}`);
                this.channel.bind('guest-request', this.add);
              }
              componentWillUnmount() {
                this.context.unsubscribe(`hotel-${this.props.slug}`);
              }
              render() { return null; }
            }
        """,
        "src/Feed.jsx": """
            import { useContext, useEffect } from 'react';
            import { PusherContext } from './PusherContext';
            export function Feed({ slug }) {
              const pusher = useContext(PusherContext);
              useEffect(() => {
                const channel = pusher.subscribe(`hotel-${slug}`);
                channel.bind('guest-request', show);
                return () => channel.unbind('guest-request', show);
              }, [pusher, slug]);
              return null;
            }
        """})
    result = scan([tmp_path], None, parse_config({}), root=tmp_path)
    assert [(f.file, f.line) for f in by_rule(result, "lifecycle-shared-unsubscribe")] == [
        ("src/Desk.jsx", 11)]


@pytest.mark.parametrize(("helper", "expected"), [
    # a helper that always unsubscribes: the cleanup calling it breaks the other component
    ("export function leave(name) {\n  pusher.unsubscribe(name);\n}\n",
     [("src/components/Feed.jsx", 8)]),
    # a ref-counted helper: only the last user unsubscribes
    ("const users = new Map();\nexport function leave(name) {\n"
     "  const left = (users.get(name) ?? 1) - 1;\n  users.set(name, left);\n"
     "  if (left > 0) return;\n  pusher.unsubscribe(name);\n}\n", []),
])
def test_a_cleanup_calling_a_helper_that_unsubscribes(tmp_path: Path, helper: str,
                                                      expected: list[tuple[str, int]]) -> None:
    """`leave(name)` in a cleanup is the unsubscribe the helper makes, judged at the call."""
    feed = _TICKER.replace("Ticker", "Feed").replace(
        "return () => channel.unbind('offer-updated', show);",
        "return () => { channel.unbind('offer-updated', show); leave(`hotel-${slug}`); };").replace(
        "import { pusher } from '../pusher';", "import { pusher, leave } from '../pusher';")
    write_tree(tmp_path, {"src/pusher.js": _CLIENT + helper, "src/components/Feed.jsx": feed,
                          "src/components/Ticker.jsx": _TICKER})
    result = scan([tmp_path], None, parse_config({}), root=tmp_path)
    assert "leave(`hotel-${slug}`)" in (tmp_path / "src/components/Feed.jsx").read_text()
    assert [(f.file, f.line) for f in by_rule(result, "lifecycle-shared-unsubscribe")] == expected
