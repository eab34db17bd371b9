"""Service calls from several threads at once, as the bench's seeding steps make them."""

import queue
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable


def outcomes_of(items: Iterable, *, threads: int, attempt: Callable) -> tuple[Counter, float]:
    """Call attempt(item) for every item, from `threads` threads taking the items
    in order from one queue; attempt returns the outcomes it reached (names to
    count), and an exception is counted as "error: <its type>". Each thread
    closes its database connections when it is done. (outcomes, seconds)."""
    from django.db import connections

    work: queue.Queue = queue.Queue()
    for item in items:
        work.put(item)
    outcomes: Counter = Counter()
    lock = threading.Lock()

    def worker() -> None:
        try:
            while True:
                try:
                    item = work.get_nowait()
                except queue.Empty:
                    return
                try:
                    reached = list(attempt(item))
                except Exception as exc:  # counted and reported
                    reached = [f"error: {type(exc).__name__}"]
                with lock:
                    outcomes.update(reached)
        finally:
            connections.close_all()

    running = [threading.Thread(target=worker) for _ in range(threads)]
    started = time.perf_counter()
    for thread in running:
        thread.start()
    for thread in running:
        thread.join()
    return outcomes, time.perf_counter() - started
