"""The softphone's keys: single keypresses on a terminal, lines otherwise.

On a TTY the terminal is put in cbreak mode (no Enter needed; Ctrl-C still interrupts) and
restored on :meth:`KeyReader.stop`. ``d`` asks for digits and ``w`` for a reason, each ended
by Enter. Without a TTY (a pipe, a script) each line is one command: ``a``, ``h``, ``o``,
``m``, ``v``, ``q``, ``d 123#`` (or ``d`` and the digits on the next line), ``w lunch``.
The reader runs on a daemon thread and hands :class:`Command` values to ``submit``; it never
touches pjsua2 or the network.
"""

from __future__ import annotations

import contextlib
import os
import select
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TextIO

from voice.softphone.console import Console

#: key -> command kind
KEYS = {"a": "answer", "h": "hangup", "o": "hold", "m": "mute", "d": "dtmf",
        "v": "available", "w": "away", "q": "quit", "?": "help"}
DTMF_DIGITS = set("0123456789*#ABCDabcd")


@dataclass(frozen=True)
class Command:
    """One thing the agent asked for: ``kind`` from :data:`KEYS`, ``arg`` digits or reason."""

    kind: str
    arg: str = ""


class KeyReader:
    """Reads the agent's commands from ``stream`` (see module docstring)."""

    def __init__(self, submit: Callable[[Command], None], console: Console,
                 stream: TextIO | None = None) -> None:
        self.submit = submit
        self.console = console
        self.stream = stream or sys.stdin
        self._stop = threading.Event()
        self._saved: Any = None
        self._thread = threading.Thread(target=self._run, name="keys", daemon=True)
        self.tty = self.stream.isatty()

    def start(self) -> None:
        """Enter cbreak mode (on a TTY) and start reading."""
        if self.tty:
            import termios
            import tty

            fd = self.stream.fileno()
            self._saved = termios.tcgetattr(fd)
            tty.setcbreak(fd)
        self._thread.start()

    def stop(self) -> None:
        """Stop reading and give the terminal back as it was."""
        self._stop.set()
        if self._saved is not None:
            import termios

            with contextlib.suppress(OSError, termios.error):
                termios.tcsetattr(self.stream.fileno(), termios.TCSADRAIN, self._saved)
            self._saved = None

    def _run(self) -> None:
        try:
            if self.tty:
                self._keys()
            else:
                self._lines()
        except (OSError, ValueError):  # stdin closed under us
            return

    # -- line mode -----------------------------------------------------------------------
    def _lines(self) -> None:
        waiting_for: str | None = None
        for raw in self.stream:
            if self._stop.is_set():
                return
            line = raw.strip()
            if waiting_for is not None:
                self._command(waiting_for, line)
                waiting_for = None
                continue
            if not line:
                continue
            kind = KEYS.get(line[0].lower())
            if kind is None:
                self.console.info(f"unknown command {line!r}; {HELP_TEXT}")
                continue
            rest = line[1:].strip()
            if kind in ("dtmf", "away") and not rest:
                waiting_for = kind
                continue
            self._command(kind, rest)
        if not self._stop.is_set():
            self.console.info("input closed: keys are off (stop with SIGTERM or Ctrl-C)")

    # -- key mode ------------------------------------------------------------------------
    def _keys(self) -> None:
        while not self._stop.is_set():
            key = self._read_key()
            if key is None:
                continue
            kind = KEYS.get(key.lower())
            if kind is None:
                if key.strip():
                    self.console.info(HELP_TEXT)
                continue
            arg = ""
            if kind == "dtmf":
                arg = self._read_text("digits (Enter sends): ")
            elif kind == "away":
                arg = self._read_text("away reason (Enter): ")
            self._command(kind, arg)

    def _read_key(self) -> str | None:
        fd = self.stream.fileno()
        ready, _, _ = select.select([fd], [], [], 0.2)
        if not ready:
            return None
        data = os.read(fd, 1)
        if not data:
            self._stop.set()
            return None
        return data.decode(errors="replace")

    def _read_text(self, prompt: str) -> str:
        """Read characters until Enter, echoing them (cbreak mode does not echo)."""
        self.console.prompt(prompt)
        typed: list[str] = []
        while not self._stop.is_set():
            key = self._read_key()
            if key is None:
                continue
            if key in ("\r", "\n"):
                break
            if key in ("\x7f", "\b"):
                if typed:
                    typed.pop()
                    self._echo("\b \b")
                continue
            if key == "\x1b":  # Escape: give up
                typed = []
                break
            typed.append(key)
            self._echo(key)
        self._echo("\n")
        return "".join(typed).strip()

    def _echo(self, text: str) -> None:
        out = self.console.out
        out.write(text)
        out.flush()

    def _command(self, kind: str, arg: str) -> None:
        if kind == "dtmf":
            arg = arg.replace(" ", "")
            bad = sorted(set(arg) - DTMF_DIGITS)
            if not arg or bad:
                self.console.info("DTMF digits are 0-9, *, # and A-D; nothing sent")
                return
        if kind == "help":
            self.console.info(HELP_TEXT)
            return
        self.submit(Command(kind, arg))


HELP_TEXT = ("keys: a answer, h hang up (or reject), o hold/resume, m mute/unmute, "
             "d digits+Enter, v available, w away, q quit")
