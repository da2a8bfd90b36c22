"""Tables and column roles: reading files, telling numeric from categorical, the demo data.

Everything the user hands us passes through here first, so every failure is turned into a
`DataError` whose message says what is wrong and what to do about it.
"""

from __future__ import annotations

import csv
import gzip
import io
import re
import warnings
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd
from pandas.api import types as ptypes

NUMERIC = "numeric"
CATEGORICAL = "categorical"
DATE = "date"
ORDERED_KINDS = (NUMERIC, DATE)  # kinds generalized as ranges [min, max]

TABLE_SUFFIXES = (".csv", ".parquet")

ADULT_COLUMNS = [
    "age", "workclass", "fnlwgt", "education", "education-num", "marital-status",
    "occupation", "relationship", "race", "sex", "capital-gain", "capital-loss",
    "hours-per-week", "native-country", "income",
]
ADULT_TARGET = "income"
ADULT_QIS = [
    "age", "workclass", "education-num", "marital-status", "occupation",
    "relationship", "race", "sex", "native-country",
]


class DataError(ValueError):
    """Bad input from the user; the message is meant to be shown as it is."""


def table_format(path: str | Path) -> str:
    """'csv' or 'parquet' from the file name, or a DataError naming what is accepted."""
    suffix = Path(path).suffix.lower()
    if suffix not in TABLE_SUFFIXES:
        raise DataError(
            f"{Path(path).name}: unsupported file type '{suffix or '(none)'}'; "
            "use a .csv or .parquet file"
        )
    return suffix[1:]


def read_table(path: str | Path, encoding: str | None = None) -> pd.DataFrame:
    """Read a CSV or Parquet file (chosen by extension) and check it is a usable table."""
    path = Path(path)
    fmt = table_format(path)
    if not path.is_file():
        raise DataError(f"{path}: no such file")
    with open(path, "rb") as fh:
        return read_table_bytes(fh.read(), fmt, name=path.name, encoding=encoding)


def read_table_bytes(content: bytes, fmt: str, name: str = "upload", encoding: str | None = None) -> pd.DataFrame:
    """Read a table from bytes (an upload); `fmt` is 'csv' or 'parquet'.

    CSV: UTF-8 unless `encoding` says otherwise; the delimiter (, ; tab |) and a decimal comma are
    detected; codes written with leading zeros stay text and ISO dates become dates (`csv_column`).
    What reading changed (e.g. unparsable dates read as missing) is listed in `df.attrs["reading_notes"]`.
    """
    if not content:
        raise DataError(f"{name}: the file is empty")
    notes: list[str] = []
    content = _unpacked(content, name, fmt, notes)
    if fmt == "csv":
        _check_csv_size(content, name)
    try:
        if fmt == "csv":
            df, header = _read_csv(content, name, encoding, notes)
        elif fmt == "parquet":
            header = None
            df = _read_parquet(content, name)
        else:
            raise DataError(f"{name}: unsupported format '{fmt}'; use csv or parquet")
    except DataError:
        raise
    except Exception as exc:  # pandas/pyarrow raise many types for malformed files
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise DataError(f"{name}: could not be read as {fmt.upper()} ({first})") from None
    if fmt == "parquet" and not (isinstance(df.index, pd.RangeIndex) and df.index.name is None):
        df = df.reset_index()  # an index stored in the file is data: keep it as a column
    check_table(df, name, header)
    df.attrs["reading_notes"] = notes
    return df


# --- what a file is, and how big ----------------------------------------------------------------

def _unpacked(content: bytes, name: str, fmt: str, notes: list[str]) -> bytes:
    """A gzipped CSV unpacked (up to MAX_DECOMPRESSED_BYTES); other containers refused by what they are."""
    from . import limits

    if content[:2] == b"\x1f\x8b":
        if fmt != "csv":
            raise DataError(f"{name}: is gzip-compressed; a Parquet file carries its own compression, unpack it first")
        import gzip

        with gzip.GzipFile(fileobj=io.BytesIO(content)) as fh:
            try:
                unpacked = fh.read(int(limits.MAX_DECOMPRESSED_BYTES) + 1)
            except (OSError, EOFError) as exc:
                raise DataError(f"{name}: is gzip-compressed but could not be unpacked ({exc})") from None
        if len(unpacked) > limits.MAX_DECOMPRESSED_BYTES:
            raise DataError(f"{name}: unpacks to more than {limits.MAX_DECOMPRESSED_BYTES / 2**30:g} GiB "
                            f"{limits.how_to_change('MAX_DECOMPRESSED_BYTES')}")
        notes.append("the file was gzip-compressed: read unpacked")
        return unpacked
    if content[:4] == b"PK\x03\x04":
        raise DataError(f"{name}: is a zip archive (an Excel workbook is one); export the sheet as CSV, or unzip it")
    if fmt == "csv" and content[:4] == b"PAR1":
        raise DataError(f"{name}: is a Parquet file; name it .parquet")
    return content


def _check_csv_size(content: bytes, name: str) -> None:
    """Columns and cells within the limits, counted on the bytes before any parsing (a header of 5.5 million
    fields would take the parser gigabytes before it could be refused)."""
    from . import limits

    end = content.find(b"\n")
    first = content if end < 0 else content[:end]
    columns = max(first.count(d.encode()) for d in DELIMITERS) + 1
    if columns > limits.MAX_COLUMNS:
        raise DataError(f"{name}: has {columns:,} columns; at most {limits.MAX_COLUMNS:,} can be read "
                        f"{limits.how_to_change('MAX_COLUMNS')}")
    rows = content.count(b"\n") + 1
    if rows * columns > limits.MAX_CELLS:
        raise DataError(f"{name}: has about {rows * columns:,} cells ({rows:,} rows x {columns:,} columns); at most "
                        f"{limits.MAX_CELLS:,} can be read {limits.how_to_change('MAX_CELLS')}")


def _check_parquet_size(schema, metadata, name: str) -> None:
    from . import limits

    columns, rows = len(schema.names), metadata.num_rows
    if columns > limits.MAX_COLUMNS:
        raise DataError(f"{name}: has {columns:,} columns; at most {limits.MAX_COLUMNS:,} can be read "
                        f"{limits.how_to_change('MAX_COLUMNS')}")
    if rows * columns > limits.MAX_CELLS:
        raise DataError(f"{name}: has {rows * columns:,} cells; at most {limits.MAX_CELLS:,} can be read "
                        f"{limits.how_to_change('MAX_CELLS')}")


# --- CSV: encoding, delimiter, column types ---------------------------------------------------

DELIMITERS = (",", ";", "\t", "|")
_SNIFF_CHARS = 1 << 16  # the delimiter is decided on the first 64 KiB
_DATE_SAMPLE = 200  # values looked at to decide whether a column holds dates
_DECIMAL_COMMA = re.compile(r"^[-+]?(\d{1,3}(\.\d{3})+|\d+)(,\d+)?$")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?(Z|[+-]\d{2}(:?\d{2})?)?$")
_CODE_WORDS = {"zip", "zipcode", "postcode", "postal", "plz", "fips", "code", "id", "ids", "nr", "no",
               "number", "ssn", "phone", "tel", "account", "iban", "isbn", "ean", "sku"}


def _read_csv(content: bytes, name: str, encoding: str | None, notes: list[str]):
    """pandas' own typing (fast), then three fixes: codes that became numbers are read again as text,
    decimal-comma numbers become numbers, ISO date text becomes dates."""
    text = decode_text(content, name, encoding)
    head = _head(text)
    delimiter = sniff_delimiter(head, truncated=len(head) < len(text))
    # the header as written (pandas renames duplicates to 'a.1' and blanks to 'Unnamed: 1')
    header = next(csv.reader([head.splitlines()[0]], delimiter=delimiter), []) if head.strip() else []
    options = {"sep": delimiter, "skipinitialspace": True, "index_col": False, "encoding": encoding or "utf-8-sig"}
    with warnings.catch_warnings():
        # a row longer than the header would silently lose cells: make it an error
        warnings.simplefilter("error", pd.errors.ParserWarning)
        df = pd.read_csv(io.BytesIO(content), **options)
        zeros = _has_leading_zero_field(content if encoding is None else text.encode(), delimiter)
        suspects = [j for j, col in enumerate(df.columns) if _may_be_code(df[col], col, zeros)]
        if suspects:  # only these columns are read a second time, as the text they were written as
            raw = pd.read_csv(io.BytesIO(content), usecols=suspects, dtype=str, **options)
            for j in suspects:
                col = df.columns[j]
                if is_code_column(raw[col].dropna(), col):
                    df[col] = raw[col]
    if len(df.columns) > 1 and df.iloc[:, -1].isna().any():  # rows shorter than the header read as missing
        short = _short_rows(text, delimiter, len(header))
        if short:
            notes.append(f"{short:,} row(s) have fewer fields than the header: their last cells read as missing")
    for col in df.columns:  # whole numbers beyond 64 bits (pandas keeps them as Python ints): text, as written
        if ptypes.is_object_dtype(df[col].dtype) and ptypes.infer_dtype(df[col], skipna=True) != "string":
            df[col] = pd.read_csv(io.BytesIO(content), usecols=[df.columns.get_loc(col)], dtype=str,
                                  **options)[col]
            notes.append(f"column '{col}': numbers too large for 64 bits kept as text, exactly as written")
    text_columns = [c for c in df.columns if ptypes.is_string_dtype(df[c].dtype)]
    decimal_comma = delimiter != "," and any(_is_decimal_comma(df[c].dropna()) for c in text_columns)
    for col in text_columns:
        df[col] = typed_text_column(df[col], decimal_comma, notes)
    return df, header


def _short_rows(text: str, delimiter: str, width: int) -> int:
    """Rows (after the header) with fewer fields than the header's `width`, blank lines aside."""
    rows = csv.reader(io.StringIO(text), delimiter=delimiter)
    next(rows, None)
    return sum(1 for r in rows if r and len(r) < width)


def _head(text: str, lines: int = 50) -> str:
    """The first 64 KiB, or the first `lines` lines if they are longer (wide tables), for sniffing."""
    end = 0
    for _ in range(lines):
        end = text.find("\n", end) + 1
        if end == 0:
            return text
    return text[:max(end, _SNIFF_CHARS)]


def _has_leading_zero_field(data: bytes, delimiter: str) -> bool:
    """Whether some field may start with 0 and another digit ('02139'), so a column may have lost its zeros.

    A vectorized scan of the bytes (a regular expression takes seconds on large files); it may also
    fire on text that merely holds such a field, which only costs a second read of number columns.
    """
    arr = np.frombuffer(data, dtype=np.uint8)
    zeros = np.flatnonzero(arr[1:-1] == ord("0")) + 1  # every 0 with a byte on both sides
    boundary = np.zeros(256, dtype=bool)
    boundary[list(f'{delimiter}\n\r" '.encode())] = True
    after = arr[zeros + 1]
    return bool(np.any(boundary[arr[zeros - 1]] & (after >= ord("0")) & (after <= ord("9"))))


def _may_be_code(series: pd.Series, name, leading_zeros: bool) -> bool:
    """A column pandas read as whole numbers that may be codes: the file has a leading-zero field, or
    the name says code and every value has the same number of digits, at least 5."""
    if ptypes.is_bool_dtype(series.dtype) or not ptypes.is_numeric_dtype(series.dtype):
        return False
    values = series.dropna().to_numpy(dtype=float)
    if not len(values) or (values < 0).any() or (values != np.floor(values)).any():
        return False
    if leading_zeros:
        return True
    digits = np.floor(np.log10(np.maximum(values, 1))) + 1
    return digits.min() == digits.max() >= 5 and bool(_name_words(name) & _CODE_WORDS)


def decode_text(content: bytes, name: str, encoding: str | None = None) -> str:
    """The file as text: UTF-8 (a BOM is fine), or `encoding`; else a DataError naming the likely encoding.

    We do not guess silently: every byte is valid Windows-1252 or Latin-1, so a wrong guess would
    put altered names into the released file without anyone noticing.
    """
    if encoding is not None:
        try:
            return content.decode(encoding)
        except LookupError:
            raise DataError(f"{name}: unknown encoding '{encoding}'") from None
        except UnicodeDecodeError as err:
            raise DataError(f"{name}: not valid {encoding} (byte 0x{content[err.start]:02x} at position "
                            f"{err.start}); save it as UTF-8 CSV") from None
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        label, codec = guess_encoding(content)
        word = "" if codec.startswith("utf-16") else f", which reads it as '{_word_at(content, err.start, codec)}'"
        raise DataError(f"{name}: not UTF-8 (byte 0x{content[err.start]:02x} at position {err.start}); it looks like "
                        f"{label}{word}: choose the encoding {codec} (command line: --encoding {codec}; dashboard: "
                        "'Text encoding' beside the upload), or save it as UTF-8 CSV") from None


def _word_at(content: bytes, position: int, codec: str) -> str:
    """The word around a byte, decoded with `codec`, so people can tell whether the guess is right."""
    start, stop = max(0, position - 20), position + 20
    text = content[start:stop].decode(codec, errors="replace")
    offset = len(content[start:position].decode(codec, errors="replace"))
    words = [m for m in re.finditer(r"[^\s,;|\"']+", text) if m.start() <= offset < m.end()]
    word = (words[0].group() if words else text[offset:offset + 1])[:30]
    return "".join(c if c.isprintable() else "?" for c in word)


def guess_encoding(content: bytes) -> tuple[str, str]:
    """(what people call it, Python codec) of a text file that is not UTF-8."""
    if content[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return "UTF-16 (it starts with a UTF-16 byte-order mark)", "utf-16"
    head = content[:4096]
    if head.count(0) > len(head) // 4:
        return "UTF-16 (every other byte is zero)", "utf-16-le" if head[1:2] == b"\x00" else "utf-16-be"
    try:
        content.decode("cp1252")
    except UnicodeDecodeError:
        return "Latin-1 (ISO-8859-1)", "latin-1"
    return "Windows-1252 / Latin-1", "cp1252"


def sniff_delimiter(sample: str, truncated: bool = False) -> str:
    """The delimiter among , ; tab | that splits the header into most columns that every row repeats.

    A candidate must give the header at least two fields; the share of rows with the header's field
    count decides, then that count, then the order above. A one-column file is read with ','.
    """
    best, best_score = ",", (-1.0, 0)
    for delimiter in DELIMITERS:
        try:
            rows = [r for r in csv.reader(io.StringIO(sample), delimiter=delimiter) if r]
        except csv.Error:
            continue
        if truncated and len(rows) > 1:
            rows = rows[:-1]  # the last row may be cut short by the sample
        if not rows or len(rows[0]) < 2:
            continue
        width = len(rows[0])
        share = float(np.mean([len(r) == width for r in rows[1:]])) if len(rows) > 1 else 1.0
        if (share, width) > best_score:
            best, best_score = delimiter, (share, width)
    return best


def _is_decimal_comma(values: pd.Series) -> bool:
    """Numbers written as 1.234,5 or 0,25 (every value), with at least one decimal comma."""
    if not len(values) or not values.head(_DATE_SAMPLE).str.strip().str.match(_DECIMAL_COMMA).all():
        return False
    text = values.str.strip()
    return bool(text.str.contains(",", regex=False).any() and text.str.match(_DECIMAL_COMMA).all())


def _name_words(name) -> set[str]:
    spaced = re.sub(r"([a-z])([A-Z])", r"\1 \2", str(name))
    return {w.lower() for w in re.split(r"[_\-.\s]+", spaced) if w}


def is_code_column(values: pd.Series, name) -> bool:
    """Digit strings that are codes, not quantities: some written with a leading zero ('02139'),
    or all of one width of at least 5 digits in a column whose name says code (zip, id, fips, ...)."""
    if not len(values) or not values.head(_DATE_SAMPLE).str.strip().str.isdigit().all():
        return False  # most columns fail on a sample, before the whole column is scanned
    text = values.str.strip()
    lengths = text.str.len()
    if not text.str.isascii().all() or not text.str.isdigit().all():
        return False
    if ((lengths > 1) & text.str.startswith("0")).any():
        return True
    return lengths.min() == lengths.max() >= 5 and bool(_name_words(name) & _CODE_WORDS)


def typed_text_column(values: pd.Series, decimal_comma: bool = False, notes: list[str] | None = None) -> pd.Series:
    """A text column pandas could not type: decimal-comma numbers (if the file uses them), ISO dates, or text."""
    present = values.dropna()
    if decimal_comma and _is_decimal_comma(present):
        plain = values.str.strip().str.replace(".", "", regex=False).str.replace(",", ".", regex=False)
        return pd.to_numeric(plain)
    dates = _iso_dates(present)
    if dates is None:
        return values
    failed = int(dates.isna().sum())
    if failed and notes is not None:
        notes.append(f"column '{values.name}': {failed} value(s) that are not valid dates read as missing")
    return dates.reindex(values.index)


def _iso_dates(values: pd.Series) -> pd.Series | None:
    """The values as dates if a sample looks ISO (2024-05-31, 2024-05-31T10:00) and at most a few
    values (2, or 0.1%) fail to parse; else None. Mixed UTC offsets become UTC."""
    if values.head(_DATE_SAMPLE).str.strip().str.match(_ISO_DATE).mean() < 0.9:
        return None
    values = values.str.strip()
    try:
        dates = pd.to_datetime(values, format="ISO8601", errors="coerce")
    except ValueError:  # mixed UTC offsets
        dates = pd.to_datetime(values, format="ISO8601", errors="coerce", utc=True)
    if dates.isna().sum() > max(2, len(values) // 1000):
        return None
    return dates


def _nested_kind(arrow_type) -> str:
    import pyarrow as pa

    for kind in ("map", "struct", "union"):  # maps are lists too, so they are asked first
        if getattr(pa.types, f"is_{kind}")(arrow_type):
            return kind
    return "list"


def _read_parquet(content: bytes, name: str) -> pd.DataFrame:
    """A Parquet table with flat columns; nested ones (list, struct, map) are refused by name."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    schema = pq.read_schema(io.BytesIO(content))
    _check_parquet_size(schema, pq.read_metadata(io.BytesIO(content)), name)
    nested = [f"'{f.name}' ({_nested_kind(f.type)})" for f in schema if pa.types.is_nested(f.type)]
    if nested:
        shown = ", ".join(nested[:3]) + (f" and {len(nested) - 3} more" if len(nested) > 3 else "")
        raise DataError(f"{name}: column(s) {shown} hold nested values (lists, structs or maps), which cannot "
                        "be generalized; flatten them into plain columns or drop them")
    return pd.read_parquet(io.BytesIO(content))


def check_table(df: pd.DataFrame, name: str = "table", header: list[str] | None = None) -> None:
    """Reject tables nothing sensible can be done with: no rows, no columns, clashing or blank names."""
    if df.shape[1] == 0:
        raise DataError(f"{name}: no columns found")
    if len(df) == 0:
        raise DataError(f"{name}: the table has a header but no rows")
    names = [str(c).strip() for c in (header if header is not None else df.columns)]
    control = [repr(c) for c in names if any(ord(ch) < 32 and ch != "\t" for ch in c)]
    if control:
        raise DataError(f"{name}: column name(s) {', '.join(control[:5])} hold control characters (a NUL byte, a "
                        "line break...); rename them")
    dupes = sorted({c for c in names if names.count(c) > 1 and c})
    if dupes:
        raise DataError(f"{name}: duplicate column names {dupes}; rename them")
    blank = sum(1 for c in names if not c)
    if blank:
        raise DataError(f"{name}: {blank} column(s) have no header name; give every column a name")


def column_kind(series: pd.Series) -> str:
    """'numeric' for numbers (not booleans), 'date' for dates and timestamps (datetime64, or
    Python dates as Parquet date columns are read), else 'categorical' (str, object, category, bool...)."""
    dtype = series.dtype
    if ptypes.is_bool_dtype(dtype):
        return CATEGORICAL
    if ptypes.is_datetime64_any_dtype(dtype):
        return DATE
    if ptypes.is_numeric_dtype(dtype):
        return NUMERIC
    if ptypes.is_object_dtype(dtype) and ptypes.infer_dtype(series, skipna=True) == "date":
        return DATE
    return CATEGORICAL


def column_kinds(df: pd.DataFrame) -> dict[str, str]:
    return {col: column_kind(df[col]) for col in df.columns}


def as_numbers(series: pd.Series) -> np.ndarray:
    """Floats that order and measure a numeric or date column: numbers as they are, dates as days
    since 1970-01-01 (fractions for times; timezone-aware ones by their instant); missing is NaN."""
    kind = column_kind(series)
    if kind == NUMERIC:
        return series.to_numpy(dtype=float, na_value=np.nan)
    if kind != DATE:
        raise DataError(f"column '{series.name}' holds neither numbers nor dates")
    dates = series if ptypes.is_datetime64_any_dtype(series.dtype) else pd.to_datetime(series)
    # the epoch in the column's own unit: dates of year 1 or 9999 (Parquet dates read as seconds) would
    # overflow a nanosecond epoch
    unit = dates.dt.unit
    epoch = pd.Timestamp(0, tz="UTC") if getattr(dates.dtype, "tz", None) is not None else pd.Timestamp(0)
    return ((dates - epoch.as_unit(unit)) / pd.Timedelta(days=1)).to_numpy(dtype=float, na_value=np.nan)


def validate_roles(
    df: pd.DataFrame,
    quasi_identifiers: list[str],
    target: str | None = None,
    sensitive: str | None = None,
    require_target: bool = False,
    values: bool = True,
) -> None:
    """Check the roles exist in `df`, do not clash, and (with `values`) the QIs hold values; `values=False`
    checks the names only (`df` may be an empty frame of the schema)."""
    cols = set(df.columns)
    available = ", ".join(map(str, df.columns[:20])) + (", ..." if df.shape[1] > 20 else "")
    qis = list(quasi_identifiers)
    if not qis:
        raise DataError("no quasi-identifiers given; name at least one column")
    missing = [q for q in qis if q not in cols]
    if missing:
        raise DataError(f"quasi-identifier column(s) not in the table: {missing}; columns are: {available}")
    dupes = sorted({q for q in qis if qis.count(q) > 1})
    if dupes:
        raise DataError(f"quasi-identifier(s) listed twice: {dupes}")
    if target is None and require_target:
        raise DataError("a target column is needed; name the column the model predicts")
    if target is not None:
        if target not in cols:
            raise DataError(f"target column '{target}' not in the table; columns are: {available}")
        if target in qis:
            raise DataError(f"'{target}' is the target and cannot also be a quasi-identifier")
        if values and df[target].isna().all():
            raise DataError(f"target column '{target}' has no values")
    if sensitive is not None and sensitive not in cols:
        raise DataError(f"sensitive column '{sensitive}' not in the table; columns are: {available}")
    if not values:
        return
    if sensitive is not None and df[sensitive].isna().all():
        raise DataError(f"sensitive column '{sensitive}' has no values; choose another, or none")
    empty = [q for q in qis if df[q].isna().all()]
    if empty:
        raise DataError(f"quasi-identifier column(s) with no values at all: {empty}; drop them from the QIs")


def check_k(k: int, n_rows: int, rows: str = "the table") -> None:
    """k must be a whole number between 1 and the number of rows (of `rows`: what the k is for)."""
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)):
        raise DataError(f"k must be a whole number, got {k!r}")
    if k < 1:
        raise DataError(f"k must be at least 1, got {k}")
    if k > n_rows:
        raise DataError(f"k={k} is larger than {rows} ({n_rows} rows); choose k of at most {n_rows}")


def check_seed(seed: int) -> None:
    """Seeds feed numpy and scikit-learn, which take whole numbers from 0 to 2**32 - 1."""
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or not 0 <= seed < 2**32:
        raise DataError(f"the seed must be a whole number from 0 to {2**32 - 1}, got {seed!r}")


def check_finite(df: pd.DataFrame, columns) -> None:
    """Infinite numbers (or numbers beyond float32, which trees use) cannot be ordered or split."""
    bad = []
    for col in columns:
        if column_kind(df[col]) == NUMERIC:
            values = df[col].to_numpy(dtype=float, na_value=np.nan)
            if np.isinf(values).any() or (np.abs(values[~np.isnan(values)]) > 3.4e38).any():
                bad.append(col)
    if bad:
        raise DataError(f"column(s) {bad} hold infinite or astronomically large numbers; replace them "
                        "(or mark them missing) first")


def _read_adult_file(name: str) -> pd.DataFrame:
    ref = resources.files("anonymizer").joinpath("demo_data", name)
    with ref.open("rb") as raw, gzip.open(raw, "rt", encoding="utf-8") as fh:
        df = pd.read_csv(
            fh,
            header=None,
            names=ADULT_COLUMNS,
            skipinitialspace=True,
            na_values=["?"],
            comment="|",
        )
    df = df.dropna(how="all").drop(columns=["fnlwgt"])
    df[ADULT_TARGET] = df[ADULT_TARGET].str.rstrip(".")
    for col in df.columns:
        if column_kind(df[col]) == NUMERIC:
            df[col] = df[col].astype("int64")
    return df.reset_index(drop=True)


def load_adult(split: str = "train") -> pd.DataFrame:
    """UCI Adult (Becker & Kohavi 1996, CC BY 4.0) as shipped with the package.

    split: 'train' (adult.data, 32,561 rows) or 'test' (adult.test, 16,281 rows).
    `fnlwgt` is dropped (a census sampling weight, not a person's attribute), "?" is missing,
    `income` is the target with labels '<=50K' and '>50K' in both splits.
    """
    files = {"train": "adult.data.gz", "test": "adult.test.gz"}
    if split not in files:
        raise DataError(f"unknown split '{split}'; use 'train' or 'test'")
    return _read_adult_file(files[split])
