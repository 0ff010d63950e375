"""A small per-process cache for what is fixed once the rollup is: the figures of a refresh
and the charts drawn from them never change, so they are kept under a key that includes the
refresh's time, and a refresh simply makes new keys (the old ones age out)."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

T = TypeVar("T")


class Memo(Generic[T]):
    """The ``size`` values used last, thread-safe (gunicorn's threads share a worker's)."""

    def __init__(self, size: int):
        self.size = size
        self._values: OrderedDict[Hashable, T] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable, make: Callable[[], T]) -> T:
        with self._lock:
            if key in self._values:
                self._values.move_to_end(key)
                return self._values[key]
        # Made outside the lock: two first requests may both make it, harmlessly (the same
        # value), rather than every other key waiting on one slow make.
        value = make()
        with self._lock:
            self._values[key] = value
            self._values.move_to_end(key)
            while len(self._values) > self.size:
                self._values.popitem(last=False)
        return value

    def clear(self) -> None:
        with self._lock:
            self._values.clear()
