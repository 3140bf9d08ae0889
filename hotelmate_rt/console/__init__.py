"""The debug console: a local web page that shows what a guest, staff or public page receives.

    from hotelmate_rt.console import ConsoleConfig, bind, create_app, serve

    settings = ProbeSettings(pusher=load_settings(overrides=...))   # hotelmate_rt.settings
    config = ConsoleConfig(contract, settings, port=8765)
    sock = bind(config.host, config.port)      # the URL is final once bound
    print(config.url)                          # http://127.0.0.1:8765/s/<session token>/
    serve(create_app(config), sock)

The page connects as an audience through the backend auth endpoint (the probe runs in this
process, exactly as `listen` runs it), shows every judged event live, exports the session as a
recording `check` accepts, sends test events through the Emitter (with `--allow-send`) and runs
the doctor, each check shown as it finishes. Needs the `console` extra (starlette, uvicorn). See
`app.py` for the routes and `guard.py` for who may connect.
"""

from .app import ConsoleConfig, create_app
from .forms import page_contract
from .sender import EventSender
from .server import bind, serve

__all__ = ["ConsoleConfig", "EventSender", "bind", "create_app", "page_contract", "serve"]
