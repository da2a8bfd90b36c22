"""A thread-safe memo bounded by the bytes it holds, for results a session may ask for again.

The dashboard keeps one analysis per browser session; its anonymizations and runs are memoized here so a
k seen before is instant, while a large table cannot grow memory without bound: the least recently used
entries go first once the byte budget is spent. Each key is computed once even when two threads ask at once.
"""

from __future__ import annotations

import sys
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable

import numpy as np
import pandas as pd


def nbytes(obj, _depth: int = 0) -> int:
    """A cheap estimate of the memory an object holds: frames, arrays and containers of them."""
    if _depth > 4:
        return 0
    if isinstance(obj, pd.DataFrame):
        return int(obj.memory_usage(index=True, deep=False).sum())
    if isinstance(obj, (pd.Series, pd.Index)):
        return int(obj.memory_usage(deep=False))
    if isinstance(obj, np.ndarray):
        return int(obj.nbytes)
    if isinstance(obj, dict):
        return sum(nbytes(v, _depth + 1) for v in obj.values())
    if isinstance(obj, (list, tuple)):
        return sum(nbytes(v, _depth + 1) for v in obj[:1000])
    if hasattr(obj, "memory_bytes"):
        return int(obj.memory_bytes())
    if hasattr(obj, "__dict__") and not isinstance(obj, type):
        return sum(nbytes(v, _depth + 1) for v in vars(obj).values())
    return sys.getsizeof(obj)


class BoundedMemo:
    """`get(key, compute)`: the memoized value of `compute()`, least recently used entries evicted
    once the values hold more than `max_bytes` (the newest entry always stays)."""

    def __init__(self, max_bytes: int = 256 * 2**20, size: Callable[[object], int] = nbytes):
        self.max_bytes = max_bytes
        self._size = size
        self._entries: OrderedDict[Hashable, tuple[object, int]] = OrderedDict()
        self._lock = threading.Lock()
        self._pending: dict[Hashable, threading.Lock] = {}
        self.bytes = 0

    def __contains__(self, key: Hashable) -> bool:
        with self._lock:
            return key in self._entries

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)

    def keys(self) -> list:
        with self._lock:
            return list(self._entries)

    def peek(self, key: Hashable, default=None):
        """The stored value without computing or reordering anything."""
        with self._lock:
            entry = self._entries.get(key)
        return default if entry is None else entry[0]

    def get(self, key: Hashable, compute: Callable[[], object]):
        with self._lock:
            if key in self._entries:
                self._entries.move_to_end(key)
                return self._entries[key][0]
            gate = self._pending.setdefault(key, threading.Lock())
        with gate:  # one computation per key; a second caller waits for it
            with self._lock:
                if key in self._entries:
                    self._entries.move_to_end(key)
                    return self._entries[key][0]
            try:
                value = compute()
                size = self._size(value)
            except BaseException:
                with self._lock:
                    self._pending.pop(key, None)
                raise
            with self._lock:
                self._entries[key] = (value, size)
                self._pending.pop(key, None)
                self.bytes += size
                while self.bytes > self.max_bytes and len(self._entries) > 1:
                    _, (_, dropped) = self._entries.popitem(last=False)
                    self.bytes -= dropped
            return value

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self.bytes = 0


def give_back_memory() -> None:
    """Collect garbage and ask glibc to return freed heap pages to the system.

    Without the trim, memory freed by a closed session stays in the allocator's arenas: the server's
    resident size never shrinks and only part of it is reused. A no-op where glibc is absent.
    """
    import ctypes
    import ctypes.util
    import gc

    gc.collect()
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        libc.malloc_trim(0)
    except (OSError, AttributeError):
        pass
