"""Tables for people: generalizations as short text, changed cells, tidy numbers.

The dashboard and the HTML report show these; keeping them here keeps pages thin and testable.
"""

from __future__ import annotations

import datetime

import numpy as np
import pandas as pd

from .classes import MAX, MIN, VALUES, AnonymizationResult, iso_date

MAX_LISTED = 4  # values named in a category set before "+N more"


def _number(v) -> str:
    """A number with thousands separators, a date as ISO text, 'missing' for a missing value."""
    if v is None or v is pd.NaT or (isinstance(v, float) and np.isnan(v)):
        return "missing"
    if isinstance(v, (pd.Timestamp, datetime.date)):
        return iso_date(v)
    if float(v).is_integer():
        return f"{int(v):,}"
    return f"{v:,.4g}"


def describe_range(lo, hi) -> str:
    """'17–25' for a numeric generalization, '2024-01-01 – 2024-03-31' for dates, or the single
    value when lo == hi."""
    if lo == hi or (pd.isna(lo) and pd.isna(hi)):
        return _number(lo)
    dash = " – " if isinstance(lo, (pd.Timestamp, datetime.date)) else "–"
    return f"{_number(lo)}{dash}{_number(hi)}"


def describe_set(values: tuple) -> str:
    """'A, B, C +2 more' for a categorical generalization (missing shown as 'missing')."""
    names = ["missing" if v is None else str(v) for v in values]
    shown = ", ".join(names[:MAX_LISTED])
    return shown + (f" +{len(names) - MAX_LISTED} more" if len(names) > MAX_LISTED else "")


def _shown(v) -> str:
    if pd.isna(v):
        return "missing"
    return _number(v) if isinstance(v, (int, float, np.number, pd.Timestamp, datetime.date)) else str(v)


def class_summary(result: AnonymizationResult) -> pd.DataFrame:
    """One row per class: size, then for every QI its generalization and its representative."""
    classes = result.classes
    out = {"class": classes.index.to_numpy(), "size": classes["size"].to_numpy()}
    for q in result.quasi_identifiers:
        if f"{q}{VALUES}" in classes.columns:
            out[f"{q} (values)"] = [describe_set(v) for v in classes[f"{q}{VALUES}"]]
        else:
            out[f"{q} (range)"] = [describe_range(lo, hi) for lo, hi in zip(classes[f"{q}{MIN}"],
                                                                            classes[f"{q}{MAX}"])]
        out[f"{q} → shown as"] = [_shown(v) for v in classes[q]]
    return pd.DataFrame(out)


def changed_cells(original: pd.DataFrame, anonymized: pd.DataFrame) -> pd.DataFrame:
    """True where a cell differs (missing equal to missing)."""
    same = (original == anonymized) | (original.isna() & anonymized.isna())
    return ~same.fillna(False).astype(bool)

