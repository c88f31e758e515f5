"""The ``reportgen`` command (``python -m reportgen`` and the installed script): the CLI of
``reportgen.cli``, imported inside a guard, so that Ctrl-C at any moment, even while the
modules load, ends with one line and exit status 130, never a traceback. (Before this module
runs, the interrupt is Python's own: its start-up takes a few tens of milliseconds.)"""

from __future__ import annotations

INTERRUPTED = 130  # 128 + SIGINT, what shells report for a command stopped by Ctrl-C


def _interrupted() -> None:
    import os
    import signal
    import sys

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C must not interrupt the exit
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            pass
    os.write(2, b"reportgen: interrupted\n")
    # Straight out: the interpreter's own exit path may find the interrupt again and end the
    # process by SIGINT (status -2) instead of 130. Results are saved atomically; nothing is pending.
    os._exit(INTERRUPTED)


def main() -> None:
    try:  # nothing before this line but Python's own start-up: the guard covers every import
        from reportgen.cli import main as cli_main

        cli_main()
    except KeyboardInterrupt:
        _interrupted()
    finally:
        # the command has finished (or failed): a Ctrl-C now must not turn its exit into a traceback
        import signal

        signal.signal(signal.SIGINT, signal.SIG_IGN)


if __name__ == "__main__":
    main()
