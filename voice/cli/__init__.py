"""The ``voice`` command line: one click group, subcommands grouped by area.

Owns the top-level ``voice`` group and which areas are registered on it; each area lives in
its own module (``db``, ``web`` with ``web``/``up``, ``calls``, ``flows``). Commands load
settings and build services themselves through ``voice.cli.common`` so that ``voice --help``
and ``voice --version`` work even when the settings are broken.
"""

from __future__ import annotations

import click

from voice import __version__
from voice.cli.agents import agents, queues
from voice.cli.audit import audit
from voice.cli.calls import calls
from voice.cli.customers import customers
from voice.cli.db import db
from voice.cli.demo import demo
from voice.cli.flows import flows
from voice.cli.recordings import recordings
from voice.cli.sip import sip
from voice.cli.softphone import softphone
from voice.cli.speech import models, transcribe
from voice.cli.transcripts import transcripts
from voice.cli.users import users
from voice.cli.web import up, web
from voice.cli.webhooks import webhooks
from voice.cli.worker import worker


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", prog_name="voice")
def main() -> None:
    """Self-hosted contact-center voice service: YAML IVR flows over SIP and Twilio."""


main.add_command(db)
main.add_command(web)
main.add_command(up)
main.add_command(calls)
main.add_command(flows)
main.add_command(sip)
main.add_command(customers)
main.add_command(recordings)
main.add_command(transcripts)
main.add_command(worker)
main.add_command(users)
main.add_command(transcribe)
main.add_command(models)
main.add_command(webhooks)
main.add_command(agents)
main.add_command(queues)
main.add_command(softphone)
main.add_command(demo)
main.add_command(audit)


@main.command("secret-key")
@click.option("--recordings", is_flag=True,
              help="A master key for VOICE_RECORDINGS_KEY (encrypts recordings at rest).")
def secret_key(recordings: bool) -> None:
    """Print a new key for VOICE_SECRET_KEY (encrypts call secrets kept between webhooks)."""
    if recordings:
        import base64
        import secrets

        click.echo(base64.b64encode(secrets.token_bytes(32)).decode())
        return
    from voice.secretbox import new_key

    click.echo(new_key())
