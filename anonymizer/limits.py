"""The bounds on one user's work, in one place: what a table may hold, how long and how much memory reading it
may take, and how much memory a session's results may keep.

A shared dashboard server must not be stopped by one upload: a 48 MB CSV of 5.5 million header fields took
the server to 8.9 GB and held it. Every bound here is checked before the work it bounds, and going over one is
one line naming the bound and how to change it. Each can be set with an environment variable of the same name
prefixed ANONYMIZER_ (e.g. ANONYMIZER_MAX_COLUMNS=20000), read when the process starts.
"""

from __future__ import annotations

import os


def _setting(name: str, default: float) -> float:
    value = os.environ.get(f"ANONYMIZER_{name}", "").strip()
    try:
        return type(default)(value) if value else default
    except ValueError:
        return default


MAX_COLUMNS = _setting("MAX_COLUMNS", 5_000)  # columns of a table
MAX_CELLS = _setting("MAX_CELLS", 200_000_000)  # rows x columns of a table (about 1.6 GB of numbers)
MAX_DECOMPRESSED_BYTES = _setting("MAX_DECOMPRESSED_BYTES", 2 << 30)  # a gzipped CSV, once unpacked
READ_SECONDS = _setting("READ_SECONDS", 300.0)  # reading one upload (the dashboard parses in a child process)
READ_MEMORY_BYTES = _setting("READ_MEMORY_BYTES", 8 << 30)  # the child process's address space, plus 20x the file
SESSION_MEMORY_BYTES = _setting("SESSION_MEMORY_BYTES", 1 << 30)  # results one analysis keeps (memos), at most
DASK_STALL_SECONDS = _setting("DASK_STALL_SECONDS", 120.0)  # a Dask run with no worker able to run, at most


def how_to_change(name: str) -> str:
    """The phrase every over-the-limit message ends with."""
    return f"(the limit is ANONYMIZER_{name}; an operator can raise it)"
