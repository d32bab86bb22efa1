"""Every test leaves logging as it found it: a handler left on a logger outlives the stream it writes to (a
captured stderr is closed when its test ends) and a thread's later record then fails to be handled."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

WATCHED = ("", "paramiko", "paramiko.transport")  # the root logger and the SSH library's


def logging_state() -> dict[str, tuple[int, list[logging.Handler]]]:
    """Level and handlers of the watched loggers; pytest's own capture handlers and handlers that write
    nowhere (``NullHandler``, which the SSH transport module adds once) left out."""
    state = {}
    for name in WATCHED:
        logger = logging.getLogger(name)
        handlers = [h for h in logger.handlers if _writes(h)]
        state[name or "root"] = (logger.level, handlers)
    return state


def _writes(handler: logging.Handler) -> bool:
    return not isinstance(handler, logging.NullHandler) and not type(handler).__module__.startswith("_pytest")


@pytest.fixture(autouse=True)
def _no_logging_left_behind() -> Iterator[None]:
    before = logging_state()
    yield
    after = logging_state()
    if after != before:
        for name in WATCHED:  # put it back, so one leak fails one test, not every later one
            logger = logging.getLogger(name)
            level, handlers = before[name or "root"]
            logger.setLevel(level)
            logger.handlers[:] = [h for h in logger.handlers if not _writes(h)] + handlers
        pytest.fail(f"the test changed logging: before {before}, after {after}", pytrace=False)
