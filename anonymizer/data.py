"""Tables and column roles: reading files, telling numeric from categorical, the demo data.

Everything the user hands us passes through here first, so every failure is turned into a
`DataError` whose message says what is wrong and what to do about it.
"""

from __future__ import annotations

import csv
import gzip
import io
import warnings
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd
from pandas.api import types as ptypes

NUMERIC = "numeric"
CATEGORICAL = "categorical"

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


def read_table(path: str | Path) -> pd.DataFrame:
    """Read a CSV or Parquet file (chosen by extension) and check it is a usable table."""
    path = Path(path)
    fmt = table_format(path)
    if not path.is_file():
        raise DataError(f"{path}: no such file")
    with open(path, "rb") as fh:
        return read_table_bytes(fh.read(), fmt, name=path.name)


def read_table_bytes(content: bytes, fmt: str, name: str = "upload") -> pd.DataFrame:
    """Read a table from bytes (an upload); `fmt` is 'csv' or 'parquet'."""
    if not content:
        raise DataError(f"{name}: the file is empty")
    try:
        if fmt == "csv":
            header = _csv_header(content)
            with warnings.catch_warnings():
                # a row longer than the header would silently lose cells: make it an error
                warnings.simplefilter("error", pd.errors.ParserWarning)
                df = pd.read_csv(io.BytesIO(content), skipinitialspace=True, index_col=False)
        elif fmt == "parquet":
            header = None
            df = pd.read_parquet(io.BytesIO(content))
        else:
            raise DataError(f"{name}: unsupported format '{fmt}'; use csv or parquet")
    except DataError:
        raise
    except UnicodeDecodeError:
        raise DataError(f"{name}: not a text CSV file (it is not UTF-8); save it as UTF-8 CSV") from None
    except Exception as exc:  # pandas/pyarrow raise many types for malformed files
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise DataError(f"{name}: could not be read as {fmt.upper()} ({first})") from None
    if fmt == "parquet" and not (isinstance(df.index, pd.RangeIndex) and df.index.name is None):
        df = df.reset_index()  # an index stored in the file is data: keep it as a column
    check_table(df, name, header)
    return df


def _csv_header(content: bytes) -> list[str]:
    """The header row as written (pandas renames duplicates to 'a.1' and blanks to 'Unnamed: 1')."""
    first_line = content[:1 << 20].decode("utf-8-sig", errors="strict").splitlines()[0] if content.strip() else ""
    return next(csv.reader([first_line]), [])


def check_table(df: pd.DataFrame, name: str = "table", header: list[str] | None = None) -> None:
    """Reject tables nothing sensible can be done with: no rows, no columns, clashing or blank names."""
    if df.shape[1] == 0:
        raise DataError(f"{name}: no columns found")
    if len(df) == 0:
        raise DataError(f"{name}: the table has a header but no rows")
    names = [str(c).strip() for c in (header if header is not None else df.columns)]
    dupes = sorted({c for c in names if names.count(c) > 1 and c})
    if dupes:
        raise DataError(f"{name}: duplicate column names {dupes}; rename them")
    blank = sum(1 for c in names if not c)
    if blank:
        raise DataError(f"{name}: {blank} column(s) have no header name; give every column a name")


def column_kind(series: pd.Series) -> str:
    """'numeric' for numbers (not booleans), else 'categorical' (str, object, category, bool...)."""
    if ptypes.is_bool_dtype(series.dtype):
        return CATEGORICAL
    if ptypes.is_numeric_dtype(series.dtype):
        return NUMERIC
    return CATEGORICAL


def column_kinds(df: pd.DataFrame) -> dict[str, str]:
    return {col: column_kind(df[col]) for col in df.columns}


def validate_roles(
    df: pd.DataFrame,
    quasi_identifiers: list[str],
    target: str | None = None,
    sensitive: str | None = None,
    require_target: bool = False,
) -> None:
    """Check the roles exist in `df`, do not clash, and the QIs hold values."""
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
        if df[target].isna().all():
            raise DataError(f"target column '{target}' has no values")
    if sensitive is not None and sensitive not in cols:
        raise DataError(f"sensitive column '{sensitive}' not in the table; columns are: {available}")
    empty = [q for q in qis if df[q].isna().all()]
    if empty:
        raise DataError(f"quasi-identifier column(s) with no values at all: {empty}; drop them from the QIs")


def check_k(k: int, n_rows: int) -> None:
    """k must be a whole number between 1 and the number of rows."""
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)):
        raise DataError(f"k must be a whole number, got {k!r}")
    if k < 1:
        raise DataError(f"k must be at least 1, got {k}")
    if k > n_rows:
        raise DataError(f"k={k} is larger than the table ({n_rows} rows); choose k of at most {n_rows}")


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
