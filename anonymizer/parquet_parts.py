"""The part files of a partitioned Parquet table, checked before any work and read so an error names its file.

A table of many files fails in ways one file cannot: one part cut short or overwritten, one written with a
column as text where the others hold numbers, one missing a column or carrying an extra one, one with no rows.
Dask reads parts lazily, so such a fault surfaces minutes later inside a worker as a traceback, or not at all
(an extra column dropped, a text column turning a class of k into classes of one). `check_parts` reads every
part's footer (its schema and row count, a few kilobytes each) before anything runs and refuses a fault with
one line naming the part; when a worker later fails to read data (a footer can be intact over broken pages),
`unreadable_part` finds the part and says so in the same kind of line.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from .data import DataError, _nested_kind


@dataclass(frozen=True)
class Parts:
    """What the footers say: the parts that hold rows (in order), those that hold none, the row count and the
    shared schema (an empty frame with the columns and dtypes every part is read with)."""

    files: list[str]
    empty: list[str]
    rows: int
    meta: pd.DataFrame = field(repr=False)

    @property
    def columns(self) -> list[str]:
        return list(self.meta.columns)


def _short(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0][:200] if text else type(exc).__name__


def _family(arrow_type) -> str | None:
    """The kind of values a column holds, for comparing parts: integer widths and timestamp units may differ
    between parts (they read into the same pandas kind); integer against floating point, text against
    numbers or a time zone against none may not. None for a column of nothing but nulls (fits any)."""
    import pyarrow as pa

    t = arrow_type
    if pa.types.is_null(t):
        return None
    if pa.types.is_dictionary(t):
        return f"categorical {_family(t.value_type)}"
    if pa.types.is_integer(t):
        return "integer"
    if pa.types.is_floating(t):
        return "floating-point"
    if pa.types.is_decimal(t):
        return "decimal"
    if pa.types.is_string(t) or pa.types.is_large_string(t) or getattr(pa.types, "is_string_view", bool)(t):
        return "text"
    if pa.types.is_boolean(t):
        return "boolean"
    if pa.types.is_timestamp(t):
        return f"timestamp ({t.tz})" if t.tz else "timestamp"
    if pa.types.is_date(t):
        return "date"
    return str(t)


def _footer(path: str):
    import pyarrow.parquet as pq

    if Path(path).stat().st_size == 0:
        raise DataError(f"{path}: the part is empty (0 bytes), not a Parquet file; remove it or write it again")
    try:
        meta = pq.read_metadata(path)
        schema = pq.read_schema(path)
    except Exception as exc:  # pyarrow raises ArrowInvalid, OSError... for what is not a Parquet footer
        raise DataError(f"{path}: not a readable Parquet file ({_short(exc)}); remove it or write it again") \
            from None
    return schema, meta.num_rows


def check_parts(files: list[str]) -> Parts:
    """Every part's footer, compared with the first part that holds rows: one schema, or a DataError naming
    the part and the column."""
    import pyarrow as pa

    footers = [(f, *_footer(f)) for f in files]
    for f, schema, _ in footers:
        nested = [f"'{c.name}' ({_nested_kind(c.type)})" for c in schema if pa.types.is_nested(c.type)]
        if nested:
            raise DataError(f"{f}: column(s) {', '.join(nested[:3])} hold nested values (lists, structs or maps), "
                            "which cannot be generalized; flatten them into plain columns or drop them")
    full = [x for x in footers if x[2] > 0]
    if not full:
        raise DataError(f"none of the {len(files)} part(s) holds a row (the first is {files[0]})")
    ref_file, ref_schema, _ = full[0]
    ref_names = list(ref_schema.names)
    for f, schema, _ in footers:
        names = list(schema.names)
        missing = [c for c in ref_names if c not in names]
        extra = [c for c in names if c not in ref_names]
        if missing:
            raise DataError(f"{f}: the part has no column(s) {_listed(missing)}, which {ref_file} has; every part "
                            "must hold the same columns")
        if extra:
            raise DataError(f"{f}: the part has column(s) {_listed(extra)}, which {ref_file} has not; every part "
                            "must hold the same columns")
        for name in ref_names:
            a, b = _family(ref_schema.field(name).type), _family(schema.field(name).type)
            if a is not None and b is not None and a != b:
                raise DataError(f"{f}: column '{name}' holds {b} values there but {a} values in {ref_file}; write "
                                "every part with the same column types")
    meta = _to_pandas(ref_schema.empty_table()).iloc[:0]
    return Parts([f for f, _, n in footers if n > 0], [f for f, _, n in footers if n == 0],
                 int(sum(n for _, _, n in footers)), meta)


def _listed(names: list[str]) -> str:
    shown = ", ".join(f"'{c}'" for c in names[:5])
    return shown + (f" and {len(names) - 5} more" if len(names) > 5 else "")


def _to_pandas(table) -> pd.DataFrame:
    """As the in-memory reader reads a Parquet file: an index stored in the file is data (a column)."""
    df = table.to_pandas()
    if not (isinstance(df.index, pd.RangeIndex) and df.index.name is None):
        df = df.reset_index()
    return df


def unreadable_part(files: list[str]) -> str | None:
    """The first part whose data cannot be read, as one line naming it, or None: asked after a read failed
    inside a worker (a footer can be intact over broken pages, and the worker's error does not say which
    file), so it reads every part in full, one row group at a time."""
    import pyarrow.parquet as pq

    for path in files:
        try:
            reader = pq.ParquetFile(path)
            for group in range(reader.num_row_groups):
                reader.read_row_group(group)
        except Exception as exc:  # corrupt pages under an intact footer: ArrowInvalid, OSError (snappy)...
            return f"{path}: the part cannot be read ({_short(exc)}); remove it or write it again"
    return None
