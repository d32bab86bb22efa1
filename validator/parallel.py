"""Run a function over items on a few daemon threads, and stop promptly on Ctrl-C.

Unlike a :class:`~concurrent.futures.ThreadPoolExecutor`, nothing waits for a stuck call: a
``KeyboardInterrupt`` in the calling thread sets the cancel event, gives the running calls ``grace`` seconds
to wrap up (they watch the event), and returns what is done. Worker threads are daemons, so one blocked in
a connect never holds the process at exit.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")

GRACE_SECONDS = 1.0
_POLL = 0.1


def run_parallel(
    items: Sequence[T],
    fn: Callable[[T], R],
    workers: int,
    cancel: threading.Event,
    grace: float = GRACE_SECONDS,
) -> list[R | None]:
    """``fn(item)`` for every item, at most ``workers`` at once; results in item order, ``None`` for an
    item not done (cancelled). An exception in ``fn`` is raised here once the others have finished."""
    results: list[R | None] = [None] * len(items)
    errors: list[BaseException] = []
    lock = threading.Lock()
    next_index = iter(range(len(items)))
    finished = threading.Event()
    running = [max(1, min(workers, len(items)))]

    def worker() -> None:
        try:
            while not cancel.is_set():
                with lock:
                    index = next(next_index, None)
                if index is None:
                    return
                try:
                    results[index] = fn(items[index])
                except BaseException as exc:  # handed to the calling thread
                    errors.append(exc)
                    cancel.set()
        finally:
            with lock:
                running[0] -= 1
                if running[0] == 0:
                    finished.set()

    if not items:
        return results
    for _ in range(running[0]):
        threading.Thread(target=worker, daemon=True).start()
    try:
        while not finished.wait(_POLL):
            pass
    except KeyboardInterrupt:
        cancel.set()
        deadline = time.monotonic() + grace
        while not finished.is_set() and time.monotonic() < deadline:
            finished.wait(_POLL)
    if errors:
        raise errors[0]
    return results
