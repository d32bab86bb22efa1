"""Run the command line in-process, as the tests do: exit code, stdout and stderr."""

from __future__ import annotations

import pytest

from validator.cli import main


def run_cli(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err
