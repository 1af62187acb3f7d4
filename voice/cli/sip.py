"""``voice sip``: the SIP side (pjsua2 media workers, optionally behind Kamailio).

Runs in the foreground until SIGTERM/SIGINT, then drains: new calls get 503, live calls get
``VOICE_SIP_GRACE`` seconds, then the workers and Kamailio stop. ``voice up`` starts it next
to the web process.
"""

from __future__ import annotations

import logging
import signal
from types import FrameType

import click

from voice.cli.common import load_settings_or_exit, reports_errors
from voice.compose import build_services


@click.command()
@click.option("--host", help="Address to listen on [default: VOICE_SIP_HOST].")
@click.option("--port", type=click.IntRange(1, 65535), help="UDP port [default: VOICE_SIP_PORT].")
@click.option("--workers", type=click.IntRange(1, 500),
              help="Media workers, 2 conversations each [default: VOICE_SIP_WORKERS].")
@click.option("--kamailio", is_flag=True,
              help="Put Kamailio on the port and the workers on the ports after it.")
@click.option("--grace", type=click.FloatRange(0, 3600),
              help="Seconds live calls may go on after SIGTERM [default: VOICE_SIP_GRACE].")
@reports_errors
def sip(host: str | None, port: int | None, workers: int | None, kamailio: bool,
        grace: float | None) -> None:
    """Answer SIP calls: run the media workers (behind Kamailio with --kamailio)."""
    from voice.sip.supervisor import WorkerPool

    settings = load_settings_or_exit()
    logging.basicConfig(level=settings.log_level,
                        format="%(asctime)s sip %(levelname)s %(name)s: %(message)s")
    services = build_services(settings)
    acd = services.acd
    assert acd is not None
    pool = WorkerPool(settings, services.call_repository,
                      host=host or settings.sip_host, port=port or settings.sip_port,
                      workers=workers or settings.sip_workers, kamailio=kamailio,
                      run_dir=settings.data_dir / "run" / f"sip-{port or settings.sip_port}",
                      grace=grace, on_calls_ended=lambda _ids: acd.reconciler.run())
    stop = {"now": False}

    def request_stop(_signum: int, _frame: FrameType | None) -> None:
        stop["now"] = True

    previous = {sig: signal.signal(sig, request_stop) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        pool.start()
        click.echo(f"SIP: calls to udp:{pool.host}:{pool.port} ({len(pool.workers)} worker(s)"
                   f"{', Kamailio in front' if kamailio else ''}); dial a number listed in a "
                   "flow's numbers:, e.g. sip:1000@" f"{pool.host}:{pool.port}")
        pool.supervise(lambda: stop["now"])
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        pool.stop()
        services.close()
