"""Reading threads: jobs run on a few cursors at once, their items handed over by one queue.

The drivers fetch and convert in C without the GIL, so on two cores the reading threads overlap
each other and the caller's thread, which builds the frame from what they hand over.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence

# How the ADBC reader shares its work (see _read_adbc); the tests make these small.
_READERS = 2  # connections reading at once (the machine has two cores or more; the builder runs on the caller's)
_QUEUE_DEPTH = 64  # items read ahead of the builder


def _other_threads() -> list[str]:
    """Threads of this process besides the caller's and this module's readers."""
    me = threading.current_thread()
    return [t.name for t in threading.enumerate() if t is not me and not t.name.startswith("frames-read-")]


class _Workers:
    """Jobs run by threads — one thread per cursor, each job on whichever thread is free — whose
    items come out of one bounded queue as they are ready. A job is ``job(cursor)`` yielding
    items. The drivers fetch and convert in C without the GIL, so the threads overlap each other
    and the caller's work. An error in a job is raised to the caller; ``close()`` stops the
    threads (idempotent)."""

    _DONE = object()

    def __init__(self, cursors: Sequence, jobs: Iterable[Callable], depth: int = _QUEUE_DEPTH) -> None:
        self._jobs = iter(list(jobs))
        self._lock = threading.Lock()
        self._queue: queue.Queue = queue.Queue(maxsize=depth)
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._run, args=(cur,), name=f"frames-read-{i}", daemon=True)
                         for i, cur in enumerate(cursors)]
        for thread in self._threads:
            thread.start()

    def _put(self, item) -> bool:
        while not self._stop.is_set():
            try:
                self._queue.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def _run(self, cursor) -> None:
        try:
            while not self._stop.is_set():
                with self._lock:
                    job = next(self._jobs, None)
                if job is None:
                    break
                for item in job(cursor):
                    if not self._put(item):
                        return
        except BaseException as exc:  # noqa: BLE001 - handed to the consumer, raised there
            self._put(exc)
            return
        self._put(self._DONE)

    def __iter__(self) -> Iterator:
        running = len(self._threads)
        while running:
            item = self._queue.get()
            if item is self._DONE:
                running -= 1
            elif isinstance(item, BaseException):
                raise item
            else:
                yield item

    def close(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join()
