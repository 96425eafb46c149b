"""The what-if workbench: ``app`` serves the local web page and its JSON API."""
from __future__ import annotations

from pathlib import Path

import typer

from ..platform.errors import MissingDependencyError, ParameterError
from .common import catches, console

app = typer.Typer()


@app.command("app")
@catches()
def app_cmd(scenario: str | None = typer.Argument(None, help="built-in scenario name or TOML path (default "
                                                 "reference-cathode)"),
            port: int = typer.Option(8050, "--port", help="TCP port (1-65535)"),
            host: str = typer.Option("127.0.0.1", "--host", help="address to bind; the default serves this machine "
                                     "only (the app has no login: bind another address only on a trusted network)"),
            samples: int | None = typer.Option(None, "--samples", help="Monte Carlo samples per what-if update "
                                               "(default 10000, at most 50000)"),
            store: Path | None = typer.Option(None, "--store", help="run store to browse (default "
                                              "$CELLTWIN_HOME/runs.duckdb, else ~/.celltwin/runs.duckdb)")):
    """Serve the what-if workbench: edit settings and spreads, see KPIs, yield and drivers at once.

    Also serves POST /api/whatif (see docs/app.md). Stop it with Ctrl-C."""
    if not 1 <= port <= 65535:
        raise ParameterError(f"port = {port} is outside its valid range [1, 65535]", parameter="port", value=port,
                             valid="[1, 65535]")
    try:
        import dash  # noqa: F401
    except ImportError:
        raise MissingDependencyError("the what-if app needs Dash: pip install 'celltwin[app]'") from None
    from ..app.server import create_app, serve

    web = create_app(scenario, samples=samples, store=store)
    console.print(f"celltwin what-if workbench on http://{host}:{port}/ (API: POST /api/whatif); Ctrl-C stops it")
    serve(web, host=host, port=port)
