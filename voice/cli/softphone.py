"""``voice softphone``: an agent's SIP softphone with screen pops, in the terminal.

``voice softphone --server URL --user NAME [--password PW]`` logs in to the service's agent API
(HTTP Basic; the password falls back to ``VOICE_AGENT_PASSWORD``, then a hidden prompt),
listens for SIP on ``--host``/``--sip-port`` (0: any free port), reports that contact so the
service rings it, prints a screen pop when a call is offered and lets the agent answer, hold,
mute, send digits and change state with single keys. ``--null-audio`` runs without a sound
device; ``--auto-answer``, ``--answer-after`` and ``--hangup-after`` script a session (tests,
demos). Status lines on stdout (``READY``, ``STATE``, ``OFFERED``, ``RINGING``, ``CONNECTED``,
``ENDED``...) are described in :mod:`voice.softphone.console`. Nothing here needs the
service's settings or database: the softphone is a client. pjsua2 is imported only when the
command runs, so ``voice --help`` stays quick.
"""

from __future__ import annotations

import click

PASSWORD_ENV = "VOICE_AGENT_PASSWORD"


@click.command()
@click.option("--server", default="http://127.0.0.1:8000", show_default=True,
              help="Address of the voice service (its web process).")
@click.option("--user", required=True, help="The agent's username.")
@click.option("--password", envvar=PASSWORD_ENV, show_envvar=True, prompt=True,
              hide_input=True, help="The agent's password (asked for when not given).")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to take SIP calls on; it goes in the contact the service rings.")
@click.option("--sip-port", type=click.IntRange(0, 65535), default=0, show_default=True,
              help="UDP port for SIP; 0 picks a free one.")
@click.option("--null-audio", is_flag=True,
              help="No sound device: calls connect without audio (tests, demos).")
@click.option("--auto-answer", is_flag=True, help="Answer every call without a key.")
@click.option("--answer-after", type=click.FloatRange(min=0), default=0.0, show_default=True,
              help="With --auto-answer: ring this many seconds first.")
@click.option("--hangup-after", type=click.FloatRange(min=0),
              help="Hang up this many seconds after a call connects.")
@click.option("--available", "go_available", is_flag=True,
              help="Go available (take calls) as soon as the phone is ready.")
@click.option("--no-keys", is_flag=True, help="Do not read keys from the terminal.")
def softphone(server: str, user: str, password: str, host: str, sip_port: int,
              null_audio: bool, auto_answer: bool, answer_after: float,
              hangup_after: float | None, go_available: bool, no_keys: bool) -> None:
    """Take calls as agent USER: ring, screen pop, answer, hold, mute, digits, states.

    Keys: a answer, h hang up (or reject while ringing), o hold/resume, m mute/unmute,
    d digits then Enter, v available, w away (asks for a reason), q quit.
    """
    from voice.softphone.errors import SoftphoneError
    from voice.softphone.phone import PhoneOptions
    from voice.softphone.runner import SoftphoneOptions, run_softphone

    if answer_after and not auto_answer:
        raise click.UsageError("--answer-after needs --auto-answer")
    options = SoftphoneOptions(
        server=server, password=password, go_available=go_available, keys=not no_keys,
        phone=PhoneOptions(user=user, host=host, port=sip_port, null_audio=null_audio,
                           auto_answer=auto_answer, answer_after=answer_after,
                           hangup_after=hangup_after))
    try:
        run_softphone(options)
    except SoftphoneError as exc:
        click.echo(f"error: {exc}", err=True)
        raise click.exceptions.Exit(1) from None
