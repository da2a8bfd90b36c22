"""Suggested column roles: direct identifiers to drop, likely quasi-identifiers, a likely target.

Heuristics only, shown to the analyst as suggestions with their reason: a column's name and its
values (near-unique, e-mail or phone shaped) flag direct identifiers, which must be dropped rather
than generalized; names of demographic and location attributes suggest QIs.
"""

from __future__ import annotations

import re

import pandas as pd

from .data import NUMERIC, column_kind

IDENTIFIER = "direct identifier"
QUASI = "likely quasi-identifier"

_ID_NAMES = re.compile(r"(^|[_\s-])(id|uuid|guid|ssn|passport|iban|account|customer|patient|user|record)"
                       r"([_\s-]|no|num|number|$)|name$|^name|e-?mail|phone|mobile|address|^ip$", re.I)
_QI_NAMES = re.compile(r"age|sex|gender|zip|post(al)?[_\s-]?code|birth|dob|date|race|ethnic|marital|"
                       r"country|city|state|region|occupation|job|education|relationship|religion|"
                       r"nationality|language|height|weight|workclass", re.I)
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[a-z]{2,}$", re.I)
_PHONE = re.compile(r"^\+?[\d\s().-]{7,}$")


def _shape_share(values: pd.Series, pattern: re.Pattern) -> float:
    sample = values.dropna().astype(str).head(200)
    return float(sample.map(lambda v: bool(pattern.match(v.strip()))).mean()) if len(sample) else 0.0


def _identifier_reason(name: str, col: pd.Series) -> str | None:
    n = len(col)
    distinct = col.nunique(dropna=True)
    kind = column_kind(col)
    if kind != NUMERIC and _shape_share(col, _EMAIL) > 0.8:
        return "values look like e-mail addresses"
    if kind != NUMERIC and _shape_share(col, _PHONE) > 0.8 and distinct > 0.5 * n:
        return "values look like phone numbers"
    if _ID_NAMES.search(name) and distinct > 0.5 * n:
        return "name and near-unique values suggest an identifier"
    is_float = pd.api.types.is_float_dtype(col.dtype)
    if n >= 20 and not is_float and distinct >= 0.95 * n:
        return f"{distinct:,} distinct values in {n:,} rows: near-unique"
    return None


def suggest_roles(df: pd.DataFrame) -> pd.DataFrame:
    """One row per column: kind, dtype, missing values, distinct values, suggestion and why."""
    rows = []
    for name in df.columns:
        col = df[name]
        reason = _identifier_reason(str(name), col)
        if reason:
            suggestion = IDENTIFIER
        elif _QI_NAMES.search(str(name)):
            suggestion, reason = QUASI, "the name suggests a demographic or location attribute"
        else:
            suggestion, reason = "", ""
        missing = int(col.isna().sum())
        rows.append({"column": str(name), "kind": column_kind(col), "dtype": str(col.dtype),
                     "missing": missing, "missing %": round(100 * missing / max(len(col), 1), 1),
                     "distinct": int(col.nunique(dropna=True)), "suggestion": suggestion, "why": reason})
    return pd.DataFrame(rows)


def identifier_columns(summary: pd.DataFrame) -> list[str]:
    return summary.loc[summary["suggestion"] == IDENTIFIER, "column"].tolist()


def suggested_qis(summary: pd.DataFrame) -> list[str]:
    return summary.loc[summary["suggestion"] == QUASI, "column"].tolist()


def suggested_target(df: pd.DataFrame, exclude: list[str] = ()) -> str | None:
    """The last column with 2 to 20 values that is not excluded (tables usually end with the label)."""
    for name in reversed(list(df.columns)):
        if name in exclude:
            continue
        if 2 <= df[name].nunique(dropna=True) <= 20:
            return name
    return None
