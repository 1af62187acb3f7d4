"""``voice web`` (Flask development server) and ``voice up`` (everything on one machine).

Owns starting the web process. ``voice up`` is the embedded default: it migrates the
database, publishes the flows in ``VOICE_FLOWS_DIR``, then runs gunicorn with
``config/gunicorn.conf.py`` in the foreground and forwards SIGINT/SIGTERM to it so Ctrl-C or
``docker stop`` stops it cleanly. The SIP and task workers join ``voice up`` in later issues.
"""

from __future__ import annotations

import signal
import subprocess
import sys
from types import FrameType

import click

from voice.cli.common import fail, load_settings_or_exit, reports_errors
from voice.compose import Services, build_services
from voice.flows.catalog import publish_flows
from voice.flows.errors import FlowValidationError
from voice.settings import PROJECT_ROOT, Settings
from voice.store import migrate

GUNICORN_CONFIG = PROJECT_ROOT / "config" / "gunicorn.conf.py"


@click.command()
@click.option("--host", help="Address to listen on [default: VOICE_WEB_HOST].")
@click.option("--port", type=click.IntRange(1, 65535), help="Port [default: VOICE_WEB_PORT].")
@click.option("--debug", is_flag=True, help="Reload on code changes and show tracebacks.")
@reports_errors
def web(host: str | None, port: int | None, debug: bool) -> None:
    """Run the web process with Flask's development server (use 'voice up' in production)."""
    from voice.app import create_app

    settings = load_settings_or_exit()
    app = create_app(settings)
    try:
        app.run(host=host or settings.web_host, port=port or settings.web_port, debug=debug)
    finally:
        app.extensions["voice"].close()


@click.command()
@reports_errors
def up() -> None:
    """Migrate the database, publish the flows and serve the web process (gunicorn)."""
    settings = load_settings_or_exit()
    revision = migrate.upgrade(settings.database_url)
    click.echo(f"Database: {settings.database_url_redacted} (schema {revision})")
    with build_services(settings) as services:
        _publish_flows(services)
    click.echo(
        f"Web: http://{_browsable_host(settings)}:{settings.web_port}/  "
        "health: /healthz  flows: /api/flows"
    )
    click.echo(f"Twilio: Voice URL {settings.public_url}/twilio/voice, status callback "
               f"{settings.public_url}/twilio/status"
               + ("" if settings.twilio_auth_token else
                  " (set TWILIO_AUTH_TOKEN: until then every webhook gets 403)"))
    click.echo("SIP and task workers come in later releases; this runs the web process only.")
    sys.stdout.flush()
    code = run_in_foreground([sys.executable, "-m", "gunicorn", "-c", str(GUNICORN_CONFIG)])
    raise click.exceptions.Exit(code)


def _publish_flows(services: Services) -> None:
    """Publish the flows directory; invalid flows stop startup unless older versions exist."""
    flows_dir = services.settings.flows_dir
    try:
        result = publish_flows(services, paths=None, published_by="voice up")
    except FlowValidationError as exc:
        problems = "\n".join(f"  {problem}" for problem in exc.problems)
        click.echo(
            f"Flows in {flows_dir} are invalid and were not published:\n{problems}", err=True
        )
        if not services.flow_repository.list_current():
            fail(
                "error: no flow was ever published, so there is nothing to serve; "
                "fix the problems above and run 'voice up' again"
            )
        # A bad edit on disk must not take the phone line down: keep serving what was
        # published before, loudly.
        click.echo("Continuing with the previously published versions.", err=True)
        return
    for info in result.published:
        click.echo(f"Published flow {info.flow_id} v{info.version} ({info.sha256[:12]})")
    if result.unchanged:
        click.echo(f"Unchanged flows: {', '.join(result.unchanged)}")


def _browsable_host(settings: Settings) -> str:
    if settings.web_host in ("0.0.0.0", "::", ""):
        return "127.0.0.1"
    return f"[{settings.web_host}]" if ":" in settings.web_host else settings.web_host


def run_in_foreground(argv: list[str]) -> int:
    """Run ``argv`` as a child, forward SIGINT/SIGTERM to it, return its exit status.

    A child killed by a signal gives 128 + the signal number, as a shell would report.
    """
    child = subprocess.Popen(argv)

    def forward(signum: int, _frame: FrameType | None) -> None:
        if child.poll() is None:
            child.send_signal(signum)

    previous = {sig: signal.signal(sig, forward) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        code = child.wait()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return 128 - code if code < 0 else code
