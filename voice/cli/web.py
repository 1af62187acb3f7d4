"""``voice web`` (Flask development server) and ``voice up`` (everything on one machine).

Owns starting the web process. ``voice up`` is the embedded default: it migrates the
database, publishes the flows in ``VOICE_FLOWS_DIR``, then runs gunicorn with
``config/gunicorn.conf.py`` and the SIP side (``voice sip``) in the foreground and forwards
SIGINT/SIGTERM to both so Ctrl-C or ``docker stop`` stops them cleanly. The task worker joins
``voice up`` in a later issue.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from types import FrameType

import click

from voice.cli.common import fail, load_settings_or_exit, reports_errors
from voice.compose import Services, build_services
from voice.errors import VoiceError
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
    """Migrate, publish the flows, and run the web process (gunicorn), the SIP side and the
    task worker."""
    settings = load_settings_or_exit()
    revision = migrate.upgrade(settings.database_url)
    click.echo(f"Database: {settings.database_url_redacted} (schema {revision})")
    with build_services(settings) as services:
        _publish_flows(services)
        _import_queues(services)
    web = f"http://{_browsable_host(settings)}:{settings.web_port}"
    click.echo(f"Web: {web}/  health: /healthz  flows: /api/flows")
    click.echo(f"Staff: {web}/login -> /admin/flows (admin), /qa/recordings (QA), /supervisor "
               "(supervisor); add a login with 'voice users add NAME --role admin|qa|supervisor'"
               "; demo calls to look at: 'voice demo seed --calls 2000'")
    click.echo(f"Agents: http://{_browsable_host(settings)}:{settings.web_port}/agent (add one "
               "with 'voice agents add NAME --queues billing,support,general'; headset "
               f"softphone: 'voice softphone --user NAME --server "
               f"http://{_browsable_host(settings)}:{settings.web_port}')")
    click.echo(f"Twilio: Voice URL {settings.public_url}/twilio/voice, status callback "
               f"{settings.public_url}/twilio/status"
               + ("" if settings.twilio_auth_token else
                  " (set TWILIO_AUTH_TOKEN: until then every webhook gets 403)"))
    sip = [sys.executable, "-c", "from voice.cli import main; main()", "sip"]
    if settings.sip_workers > 1:
        sip.append("--kamailio")
    click.echo(f"SIP: udp:{settings.sip_host}:{settings.sip_port} ({settings.sip_workers} media "
               f"worker(s){', behind Kamailio' if settings.sip_workers > 1 else ''}); e.g. "
               f"sip:1000@{settings.sip_host}:{settings.sip_port}")
    worker = [sys.executable, "-c", "from voice.cli import main; main()", "worker"]
    click.echo("Worker: " + (f"transcribes recordings with {settings.vosk_model}"
                             if settings.vosk_model else
                             "no VOICE_VOSK_MODEL, so recordings wait untranscribed "
                             "('voice models fetch NAME')")
               + f"; queue on {'Redis' if settings.redis_url else 'SQLite'}")
    sys.stdout.flush()
    code = run_in_foreground([sys.executable, "-m", "gunicorn", "-c", str(GUNICORN_CONFIG)],
                             sip, worker)
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


def _import_queues(services: Services) -> None:
    """Configure the queues of ``VOICE_QUEUES_FILE`` not configured yet (a bad file is
    reported and skipped: the queues keep their current settings)."""
    path = services.settings.queues_file
    if path is None or services.acd is None:
        return
    try:
        names = services.acd.queues.import_file(path, only_new=True)
    except VoiceError as exc:
        click.echo(f"Queues in {path} were not imported: {exc}", err=True)
        return
    if names:
        click.echo(f"Configured queues from {path.name}: {', '.join(names)}")


def _browsable_host(settings: Settings) -> str:
    if settings.web_host in ("0.0.0.0", "::", ""):
        return "127.0.0.1"
    return f"[{settings.web_host}]" if ":" in settings.web_host else settings.web_host


def run_in_foreground(*argvs: list[str]) -> int:
    """Run each ``argv`` as a child, forward SIGINT/SIGTERM to all; return the first status.

    When one child ends, the others are told to stop too (a web process without its SIP
    side, or the reverse, is not a working service). A child killed by a signal gives
    128 + the signal number, as a shell would report.
    """
    children = [subprocess.Popen(argv) for argv in argvs]
    stopping = {"signal": 0}

    def forward(signum: int, _frame: FrameType | None) -> None:
        stopping["signal"] = signum
        for child in children:
            if child.poll() is None:
                child.send_signal(signum)

    previous = {sig: signal.signal(sig, forward) for sig in (signal.SIGINT, signal.SIGTERM)}
    first: int | None = None
    try:
        while any(child.poll() is None for child in children):
            for child in children:
                code = child.poll()
                if code is not None and first is None:
                    first = code
                    if not stopping["signal"]:
                        forward(signal.SIGTERM, None)
                        stopping["signal"] = 0
            time.sleep(0.1)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    if first is None or stopping["signal"]:
        first = next((c.returncode for c in children if c.returncode), 0)
    return 128 - first if first < 0 else first
