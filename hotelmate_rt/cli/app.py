"""The `hotelmate-rt` command: the only place (with its siblings) that imports typer or rich."""

from __future__ import annotations

import sys

import typer

from . import contract, infer

app = typer.Typer(
    name="hotelmate-rt",
    help="Contract-driven checks for HotelMate's realtime (Pusher) layer.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
    add_completion=False,
    rich_markup_mode=None,  # plain click help: keeps rich (~200 ms of imports) off the --help path
)
app.add_typer(contract.app, name="contract")
infer.register(contract.app)  # issue 10: `contract infer`


def _show_version(value: bool) -> None:
    """Print `hotelmate-rt VERSION` and exit (the version comes from the package metadata)."""
    if value:
        from hotelmate_rt import __version__

        sys.stdout.write(f"hotelmate-rt {__version__}\n")
        raise typer.Exit()


@app.callback()
def _root(version: bool = typer.Option(False, "--version", callback=_show_version,
                                       is_eager=True, help="Show the version and exit.")) -> None:
    """Contract-driven checks for HotelMate's realtime (Pusher) layer."""


def _register_optional() -> None:
    """Attach the command modules that exist (each one registers itself on `app`)."""
    import importlib

    for name in ("emit", "listen", "scan", "oncall", "evolve", "console"):
        try:
            module = importlib.import_module(f"hotelmate_rt.cli.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"hotelmate_rt.cli.{name}":
                raise
            continue
        module.register(app)


_register_optional()


def main() -> None:
    """Run the CLI; expected failures exit 2 with one line, never a traceback."""
    from hotelmate_rt.errors import HotelmateRtError

    try:
        app()
    except HotelmateRtError as exc:
        sys.stderr.write(f"error: {exc}\n")
        sys.exit(2)
    except KeyboardInterrupt:
        sys.exit(130)


if __name__ == "__main__":
    main()
