"""`hotelmate-rt console`: serve the local debug console and print its URL (with its token)."""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from .common import ContractOption, ExitCode, fail, load, stdout
from .listen import (
    _SETUP_HINTS,
    AUTH_OPTION,
    AUTH_TIMEOUT_OPTION,
    BOOKING_OPTION,
    CLUSTER_OPTION,
    CONVERSATION_OPTION,
    HOTEL_OPTION,
    KEY_OPTION,
    PARAM_OPTION,
    ROOM_OPTION,
    SECRET_OPTION,
    SIGN_OPTION,
    TARGET_OPTION,
    TLS_OPTION,
    TOKEN_OPTION,
    SessionArgs,
    _params,
    probe_settings,
    setup_failed,
)

# The Pusher server is read as `listen` reads it (flags over HOTELMATE_RT_PUSHER_*, PUSHER_* and
# PUSHER_URL, by `hotelmate_rt.settings`); --port is the console's own port here, so the server's
# host and port flags are --pusher-host / --pusher-port.
PUSHER_HOST_OPTION = typer.Option(None, "--pusher-host", show_default=False,
                                  help="Pusher-protocol server host (soketi) [env PUSHER_HOST or "
                                       "PUSHER_URL; a port alone means 127.0.0.1].")
PUSHER_PORT_OPTION = typer.Option(None, "--pusher-port", show_default=False,
                                  help="Pusher server port [env PUSHER_PORT; default 443 with "
                                       "TLS, 80 without].")


def register(app: typer.Typer) -> None:
    """Attach `console` to the root app."""
    app.command("console")(console_command)


def console_command(
    port: int = typer.Option(8765, "--port", min=0, max=65535,
                             help="Port of the console (0: any free port)."),
    bind_host: str = typer.Option("127.0.0.1", "--bind",
                                  help="Address to serve on (loopback unless you must)."),
    open_browser: bool = typer.Option(False, "--open", help="Open the page in a browser."),
    allow_send: bool = typer.Option(False, "--allow-send",
                                    help="Enable the 'send test event' form (needs PUSHER_URL "
                                         "or PUSHER_APP_ID/KEY/SECRET)."),
    audience: str | None = typer.Option(None, "--as",
                                        help="Preselect this audience in the connect form."),
    token: str | None = TOKEN_OPTION, booking: str | None = BOOKING_OPTION,
    hotel: str | None = HOTEL_OPTION, room: str | None = ROOM_OPTION,
    conversation: str | None = CONVERSATION_OPTION, param: list[str] | None = PARAM_OPTION,
    auth_endpoint: str | None = AUTH_OPTION, sign_locally: bool = SIGN_OPTION,
    secret: str | None = SECRET_OPTION, key: str | None = KEY_OPTION,
    pusher_host: str | None = PUSHER_HOST_OPTION, pusher_port: int | None = PUSHER_PORT_OPTION,
    tls: bool | None = TLS_OPTION, cluster: str | None = CLUSTER_OPTION,
    target: str | None = TARGET_OPTION, auth_timeout: float = AUTH_TIMEOUT_OPTION,
    contract_path: Path | None = ContractOption,
) -> None:
    """Serve a local web console: live judged events for a guest, staff or public page.

    Prints the page's URL (with a session token: requests without it are refused). Stop with
    Ctrl-C. Exit 2 when the contract does not load, the port is busy or the extra is missing.
    """
    try:
        from hotelmate_rt.console import ConsoleConfig, EventSender, bind, create_app, serve
    except ModuleNotFoundError as exc:
        fail(f"the console needs {exc.name}", hint="pip install 'hotelmate-rt[console]'")
    from hotelmate_rt.errors import ConfigError
    from hotelmate_rt.probes import ProbeSetupError

    contract = load(contract_path)
    settings = probe_settings(SessionArgs(
        audience, token, _params(booking, hotel, room, conversation, param), [], auth_endpoint,
        sign_locally, secret, key, pusher_host, pusher_port, tls, cluster, target, None, None,
        None, auth_timeout))
    try:
        settings.server()
    except ProbeSetupError as exc:
        setup_failed(exc)
    if sign_locally and not settings.pusher.secret:
        fail("--sign-locally needs the app secret", hint=_SETUP_HINTS["secret"])
    sender = None
    if allow_send:
        try:
            sender = EventSender.from_settings(contract, settings.pusher, target)
        except ConfigError as exc:
            fail(f"--allow-send: {exc}",
                 hint="e.g. PUSHER_URL=http://KEY:SECRET@127.0.0.1:6001/apps/APP_ID")
    try:
        sock = bind(bind_host, port)
    except OSError as exc:
        fail(f"cannot serve on {bind_host}:{port}: {exc.strerror or exc}",
             hint="pass another --port (0 picks a free one)")
    config = ConsoleConfig(contract, settings, host=bind_host, port=sock.getsockname()[1],
                           sender=sender)
    app = create_app(config)
    console = stdout()
    console.print(f"[bold]hotelmate-rt console[/] on {config.url}", markup=True)
    console.print("[dim]the URL carries this session's token: share it with no one; Ctrl-C "
                  "stops[/]", markup=True)
    if bind_host not in ("127.0.0.1", "localhost", "::1"):
        console.print(f"[yellow]serving on {bind_host}, not loopback: anyone who can reach it "
                      "and has the URL can read what the probe receives[/]", markup=True)
    sys.stdout.flush()
    if open_browser:
        import webbrowser

        webbrowser.open(config.url)
    serve(app, sock)
    raise typer.Exit(int(ExitCode.OK))
