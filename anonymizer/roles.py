"""Column roles: which column is the target, which are quasi-identifiers, which is sensitive or dropped.

`Roles` is the one description of those choices that the CLI, the pages, the report and the pipeline
share. It is frozen and hashable, so it can key caches, and `validate` checks it against a table once.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import pandas as pd

from .data import DataError, validate_roles

TASKS = ("classification", "regression")
ROLE_NAMES = ("target", "quasi_identifiers", "sensitive", "dropped")


@dataclass(frozen=True)
class Roles:
    """The analyst's role choices. Lists are stored as tuples; `task` None means "detect from the target"."""

    target: str | None
    quasi_identifiers: tuple[str, ...]
    sensitive: str | None = None
    dropped: tuple[str, ...] = ()
    task: str | None = None

    def __post_init__(self):
        object.__setattr__(self, "quasi_identifiers", tuple(self.quasi_identifiers or ()))
        object.__setattr__(self, "dropped", tuple(self.dropped or ()))
        if self.task is not None and self.task not in TASKS:
            raise DataError(f"unknown task '{self.task}'; use classification or regression")

    def validate(self, df: pd.DataFrame, require_target: bool = False) -> Roles:
        """Raise DataError when the roles do not fit `df` (the table before dropping); returns self."""
        cols = set(df.columns)
        missing = [c for c in self.dropped if c not in cols]
        if missing:
            raise DataError(f"column(s) to drop not in the table: {missing}")
        used = {self.target, self.sensitive, *self.quasi_identifiers} - {None}
        clash = sorted(set(self.dropped) & used)
        if clash:
            raise DataError(f"dropped column(s) {clash} cannot also be the target, a quasi-identifier or the "
                            "sensitive attribute")
        if self.sensitive is not None and self.sensitive == self.target:
            raise DataError(f"the sensitive attribute '{self.sensitive}' is the target: attribute inference would "
                            "be handed the answer; choose another sensitive column")
        validate_roles(df, list(self.quasi_identifiers), self.target, self.sensitive, require_target)
        return self

    def kept_columns(self, df: pd.DataFrame) -> list[str]:
        """Columns released exactly as they are: neither generalized (QIs) nor dropped."""
        return [c for c in df.columns if c not in self.quasi_identifiers and c not in self.dropped]

    def assign(self, column: str, role: str) -> tuple[Roles, str]:
        """Give `column` the role `role` and take it out of every other role; returns (roles, note).

        The note says what moved (empty when nothing else held the column), so the order of edits never
        decides whether a choice is accepted.
        """
        if role not in ROLE_NAMES:
            raise DataError(f"unknown role '{role}'; use one of {ROLE_NAMES}")
        held = [name for name, holds in (("target", self.target == column),
                                         ("quasi-identifier", column in self.quasi_identifiers),
                                         ("sensitive attribute", self.sensitive == column),
                                         ("dropped", column in self.dropped)) if holds]
        new = replace(self, target=None if self.target == column else self.target,
                      quasi_identifiers=tuple(q for q in self.quasi_identifiers if q != column),
                      sensitive=None if self.sensitive == column else self.sensitive,
                      dropped=tuple(d for d in self.dropped if d != column))
        if role == "target":
            new = replace(new, target=column)
        elif role == "sensitive":
            new = replace(new, sensitive=column)
        elif role == "quasi_identifiers":
            new = replace(new, quasi_identifiers=(*new.quasi_identifiers, column))
        else:
            new = replace(new, dropped=(*new.dropped, column))
        wanted = {"target": "target", "quasi_identifiers": "quasi-identifier", "sensitive": "sensitive attribute",
                  "dropped": "dropped"}[role]
        moved = [h for h in held if h != wanted]
        note = f"'{column}' was the {' and '.join(moved)}; it is now the {wanted} only." if moved else ""
        return new, note


# --- suggestions (replaced by anonymizer.suggest) ----------------------------------------

import re  # noqa: E402

from .data import NUMERIC, column_kind  # noqa: E402

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
