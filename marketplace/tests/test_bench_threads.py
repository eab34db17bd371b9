"""bench/threads.py: the seeding steps' service calls from several threads."""

import threading

from bench.threads import outcomes_of


def test_every_item_is_tried_once_and_each_outcome_counted():
    seen, lock = [], threading.Lock()

    def attempt(item):
        with lock:
            seen.append(item)
        if item == 7:
            raise ValueError("refused")
        yield "even" if item % 2 == 0 else "odd"
        if item < 3:
            yield "early"

    outcomes, seconds = outcomes_of(range(50), threads=4, attempt=attempt)

    assert sorted(seen) == list(range(50))
    assert outcomes == {"even": 25, "odd": 24, "early": 3, "error: ValueError": 1}
    assert seconds >= 0


def test_no_items_no_outcomes():
    outcomes, _ = outcomes_of([], threads=3, attempt=lambda item: ["never"])

    assert not outcomes
