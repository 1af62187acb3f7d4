"""Entry point of one media worker process: ``python -m voice.sip.process --port N --name W``.

The composition root of a worker: loads settings, builds the services once, starts the
pjsua2 endpoint on its port and serves until SIGTERM/SIGINT, then drains (new calls get 503,
live calls get ``VOICE_SIP_GRACE`` seconds) and exits 0. Exit status 3 means the port could
not be opened. ``voice sip`` runs one of these per worker and restarts any that die.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
from types import FrameType

import pjsua2 as pj

from voice.compose import build_services
from voice.errors import SettingsError
from voice.settings import load_settings

EXIT_PORT = 3


def main(argv: list[str] | None = None) -> int:
    """Run one media worker until it is told to stop; return the exit status."""
    parser = argparse.ArgumentParser(prog="voice-sip-worker")
    parser.add_argument("--host", default=None)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--name", required=True)
    parser.add_argument("--trusted-proxy", default=None,
                        help="address of the Kamailio in front (its X-Voice-Source is trusted)")
    parser.add_argument("--grace", type=float, default=None)
    parser.add_argument("--timing", action="store_true",
                        help="log answer->audio and key->audio delays (voice.sip.timing)")
    args = parser.parse_args(argv)
    try:
        settings = load_settings()
    except SettingsError as exc:
        print(exc, file=sys.stderr)
        return 2
    logging.basicConfig(level=settings.log_level,
                        format=f"%(asctime)s {args.name} %(levelname)s %(name)s: %(message)s")
    if args.timing:
        logging.getLogger("voice.sip.timing").setLevel(logging.DEBUG)
        logging.getLogger().setLevel(min(logging.getLogger().level, logging.DEBUG))
        for name in ("sqlalchemy", "httpx", "httpcore", "urllib3"):
            logging.getLogger(name).setLevel(logging.WARNING)
    from voice.sip.worker import MediaWorker

    stop = {"now": False}

    def request_stop(_signum: int, _frame: FrameType | None) -> None:
        stop["now"] = True

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    with build_services(settings) as services:
        worker = MediaWorker(services, host=args.host or settings.sip_host, port=args.port,
                             name=args.name, trusted_proxy=args.trusted_proxy)
        try:
            worker.start()
        except pj.Error as exc:
            logging.getLogger(__name__).error("worker %s cannot listen on udp:%s:%d: %s",
                                              args.name, worker.host, args.port, exc.info())
            return EXIT_PORT
        print(f"ready {args.name} udp:{worker.host}:{args.port}", flush=True)
        worker.run(lambda: stop["now"], grace=args.grace)
    return 0


if __name__ == "__main__":
    status = main()
    # pjsua2 is destroyed by now; skip interpreter teardown so no late destructor of a
    # pjsua2 object can run against the destroyed library.
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(status)
