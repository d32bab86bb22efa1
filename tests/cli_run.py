"""Run the command line in-process, as the tests do: exit code, stdout and stderr."""

from __future__ import annotations

import sys

import pytest

from validator.cli import main


def run_cli(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


_INTERRUPTIBLE_MAIN = (
    "import signal, sys; signal.signal(signal.SIGINT, signal.default_int_handler); "
    "from validator.cli import main; sys.exit(main(sys.argv[1:]))"
)


def interruptible_cli(*args: str) -> list[str]:
    """The command line of ``vmotion-validator ARGS`` in a child that a test will interrupt.

    A shell that starts a job in the background (a CI runner may) makes it ignore SIGINT, and children keep
    that: Python then installs no KeyboardInterrupt handler and the test's Ctrl-C would do nothing. The child
    installs it, as it has at a terminal.
    """
    return [sys.executable, "-c", _INTERRUPTIBLE_MAIN, *args]
