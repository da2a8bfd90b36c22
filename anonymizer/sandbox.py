"""Read an uploaded table in a short-lived child process with a time and a memory limit.

A dashboard server is shared: an upload whose parsing takes minutes or gigabytes (a one-line CSV of millions
of fields, a pathological quoting pattern) must cost its sender one line, not every session the server. So the
server parses uploads here: the bytes go to a child process that runs `data.read_table_bytes` under an address
space limit (`limits.READ_MEMORY_BYTES` plus 20 times the file) and is killed after `limits.READ_SECONDS`; the
table comes back as Arrow IPC (a format that is safe to read, unlike a pickle from a process that parsed
untrusted bytes), dtypes and reading notes included. Whatever the child uses is gone with it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pandas as pd

from . import limits
from .data import DataError

ROOT = Path(__file__).resolve().parents[1]
_EXIT_REFUSED, _EXIT_MEMORY = 3, 4
_CHILD = ("import sys; sys.path.insert(0, sys.argv[1]); from anonymizer.sandbox import _child; _child(sys.argv[2:])")


def read_table_isolated(content: bytes, fmt: str, name: str = "upload", encoding: str | None = None,
                        seconds: float | None = None, memory_bytes: int | None = None) -> pd.DataFrame:
    """`data.read_table_bytes(content, fmt, name, encoding)`, parsed in a child process within the limits."""
    seconds = limits.READ_SECONDS if seconds is None else seconds
    memory = (limits.READ_MEMORY_BYTES if memory_bytes is None else memory_bytes) + 20 * len(content)
    with tempfile.TemporaryDirectory(prefix="anonymizer-read-") as tmp:
        source, table = Path(tmp) / "in", Path(tmp) / "out.arrow"
        source.write_bytes(content)
        cmd = [sys.executable, "-I", "-c", _CHILD, str(ROOT), str(source), str(table), fmt, name, encoding or "",
               str(int(memory))]
        env = {**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}
        try:
            proc = subprocess.run(cmd, capture_output=True, timeout=seconds, env=env)
        except subprocess.TimeoutExpired:
            raise DataError(f"{name}: reading it took longer than {seconds:g} s "
                            f"{limits.how_to_change('READ_SECONDS')}") from None
        if proc.returncode == _EXIT_REFUSED:
            raise DataError(proc.stdout.decode("utf-8", "replace").strip().splitlines()[-1])
        if proc.returncode == _EXIT_MEMORY or proc.returncode < 0:
            raise DataError(f"{name}: reading it needed more than {memory / 2**30:.1f} GiB "
                            f"{limits.how_to_change('READ_MEMORY_BYTES')}")
        if proc.returncode != 0:
            last = (proc.stderr.decode("utf-8", "replace").strip().splitlines() or ["no message"])[-1]
            raise DataError(f"{name}: could not be read ({last[:200]})")
        return _from_arrow(table)


def _to_arrow(df: pd.DataFrame, path: Path) -> None:
    import pyarrow as pa

    table = pa.Table.from_pandas(df, preserve_index=False)
    notes = json.dumps(df.attrs.get("reading_notes", []))
    table = table.replace_schema_metadata({**(table.schema.metadata or {}), b"anonymizer_notes": notes.encode()})
    with pa.OSFile(str(path), "wb") as sink, pa.ipc.new_file(sink, table.schema) as writer:
        writer.write_table(table)


def _from_arrow(path: Path) -> pd.DataFrame:
    import pyarrow as pa

    with pa.memory_map(str(path), "r") as source:
        table = pa.ipc.open_file(source).read_all()
    df = table.to_pandas()
    df.attrs["reading_notes"] = json.loads((table.schema.metadata or {}).get(b"anonymizer_notes", b"[]"))
    return df


def _child(argv: list[str]) -> None:
    """The child: read the table within the memory limit, write it as Arrow IPC, exit 0 / 3 (refused) / 4."""
    import resource

    source, target, fmt, name, encoding, memory = argv
    resource.setrlimit(resource.RLIMIT_AS, (int(memory), int(memory)))
    try:
        from .data import read_table_bytes

        df = read_table_bytes(Path(source).read_bytes(), fmt, name=name, encoding=encoding or None)
        _to_arrow(df, Path(target))
    except DataError as exc:
        print(str(exc))
        sys.exit(_EXIT_REFUSED)
    except MemoryError:
        sys.exit(_EXIT_MEMORY)
