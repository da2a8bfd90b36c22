"""What a released table reveals, the forms it can be released in, and what the recoding did to it.

k-anonymity is a promise about the quasi-identifiers only; the columns kept unchanged beside them can
undo it (a kept `education` restores a generalized `education-num`) or single people out on their own.
Definitions: docs/design.md, "Leak check". Everything is vectorized over rows (integer codes, hashing), never a
Python loop over records: a 500,000-row table is checked in under two seconds (bench/release.py).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .classes import MAX, MIN, VALUES, AnonymizationResult
from .data import DATE, NUMERIC, DataError, as_numbers, column_kind
from .results import DROP, MAKE_QI, Leak, LeakReport  # noqa: F401  (the leak check's result types)

LEAK_THRESHOLD = 0.95  # a kept column "reveals" a QI when it determines the QI's value for this share of rows
NEAR_UNIQUE = 0.9  # distinct values / rows (missing ignored) from which a kept column singles people out
RECODING_BINS = 10  # equal-width bins of a numeric QI in the recoding summary...
RECODING_LISTED = 20  # ...when it has more distinct values than this (else each value is listed)


# --- codes ---------------------------------------------------------------------------------------

def _codes(series: pd.Series) -> np.ndarray:
    """Integer code of every row's value; missing is a value of its own (equal to missing)."""
    return pd.factorize(series, use_na_sentinel=False)[0].astype(np.int64)


def _combine(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Codes of the pairs (a, b), renumbered 0..m-1 so repeated combining never overflows."""
    keys = a * (int(b.max(initial=0)) + 1) + b
    if keys.max(initial=0) < 4 * len(keys) + 1024:  # small key range: a count is cheaper than a hash
        present = np.bincount(keys) > 0
        return (np.cumsum(present) - 1)[keys]
    return pd.factorize(keys)[0].astype(np.int64)


def tuple_codes(frame: pd.DataFrame, columns: list[str]) -> np.ndarray:
    """One code per row for the tuple of its values in `columns` (missing equal to missing)."""
    codes = np.zeros(len(frame), dtype=np.int64)
    for col in columns:
        codes = _combine(codes, _codes(frame[col]))
    return codes


def _determined_share_codes(c: np.ndarray, q: np.ndarray) -> float:
    """Share of rows whose group of equal codes `c` holds a single code `q`: count distinct pairs per group."""
    pair_of_row = _combine(c, q)
    n_pairs = int(pair_of_row.max(initial=-1)) + 1
    c_of_pair = np.empty(n_pairs, dtype=np.int64)
    c_of_pair[pair_of_row] = c
    distinct = np.bincount(c_of_pair, minlength=int(c.max(initial=0)) + 1)
    return float(np.mean(distinct[c] == 1))


def determined_share(by: pd.Series, target: pd.Series) -> float:
    """Share of rows whose group (rows with the same `by` value) holds a single `target` value."""
    return _determined_share_codes(_codes(by), _codes(target))


def distinct_ratio(series: pd.Series) -> float:
    """Distinct values / rows, missing ignored (0 for a column with no values)."""
    values = series.dropna()
    return values.nunique() / len(values) if len(values) else 0.0


def values_changed(original: pd.Series, released: pd.Series) -> bool:
    """True if any cell differs (missing equal to missing)."""
    o_na, r_na = original.isna().to_numpy(), released.isna().to_numpy()
    if (o_na != r_na).any():
        return True
    present = ~o_na
    if original.dtype == released.dtype:  # typed comparison: far faster than Python objects for text
        try:
            return bool(np.asarray(original.array[present] != released.array[present], dtype=bool).any())
        except (TypeError, ValueError):
            pass
    o, r = original.to_numpy(dtype=object)[present], released.to_numpy(dtype=object)[present]
    return bool((o != r).any())


# --- leak check ----------------------------------------------------------------------------------

def _check_release(original: pd.DataFrame, released: pd.DataFrame, qis: list[str],
                   kept: list[str]) -> None:
    if len(original) != len(released):
        raise DataError(f"the released table has {len(released):,} rows and the original {len(original):,}; "
                        "they must hold the same rows in the same order")
    if len(released) == 0:
        raise DataError("the released table has no rows")
    for col in [*qis, *kept]:
        if col not in released.columns:
            raise DataError(f"column '{col}' is not in the released table")
        if col not in original.columns:
            raise DataError(f"column '{col}' is not in the original table")
    both = sorted(set(qis) & set(kept), key=str)
    if both:
        raise DataError(f"column(s) {both} are listed both as quasi-identifiers and as kept columns")


def leak_check(original: pd.DataFrame, released: pd.DataFrame, quasi_identifiers, kept_columns=None,
               threshold: float = LEAK_THRESHOLD, near_unique: float = NEAR_UNIQUE) -> LeakReport:
    """Check what `released` reveals through the columns kept beside its generalized QIs.

    `original` and `released` hold the same rows in the same order (the released QIs in any form);
    `kept_columns` defaults to every released column that is not a QI. A leak is a kept column c and
    a QI q whose values were changed, where grouping the original table by c leaves a single value
    of q for at least `threshold` of the rows. Near-unique: distinct / rows >= `near_unique`.
    """
    qis = list(quasi_identifiers)
    if not qis:
        raise DataError("no quasi-identifiers given; name at least one column")
    kept = [c for c in released.columns if c not in qis] if kept_columns is None else list(kept_columns)
    _check_release(original, released, qis, kept)
    for name, value in (("threshold", threshold), ("near_unique", near_unique)):
        if not 0 < value <= 1:
            raise DataError(f"{name} must be above 0 and at most 1, got {value}")
    changed = [q for q in qis if values_changed(original[q], released[q])]
    before = {col: _codes(original[col]) for col in [*kept, *changed]}  # each column encoded once
    leaks = []
    for c in kept:
        for q in changed:
            share = _determined_share_codes(before[c], before[q])
            if share >= threshold:
                leaks.append(Leak(str(c), str(q), share))
    ratios = {str(c): distinct_ratio(released[c]) for c in kept}
    after = {col: _codes(released[col]) for col in kept}
    qi_codes = tuple_codes(released, qis)
    k_qis = int(np.bincount(qi_codes).min())
    k_with = {str(c): int(np.bincount(_combine(qi_codes, after[c])).min()) for c in kept}
    all_codes = qi_codes
    for c in kept:
        all_codes = _combine(all_codes, after[c])
    unique_share = float(np.mean(np.bincount(all_codes)[all_codes] == 1))
    return LeakReport(
        n_rows=len(released), quasi_identifiers=tuple(map(str, qis)), kept_columns=tuple(map(str, kept)),
        changed_quasi_identifiers=tuple(map(str, changed)),
        leaks=tuple(sorted(leaks, key=lambda leak: (-leak.share, leak.column, leak.reveals))),
        near_unique_columns=tuple(c for c, r in ratios.items() if r >= near_unique), distinct_ratios=ratios,
        unique_share_all_columns=unique_share, k_quasi_identifiers=k_qis, k_with_column=k_with,
        threshold=threshold, near_unique_threshold=near_unique)


# --- output forms --------------------------------------------------------------------------------

REPRESENTATIVE, GENERALIZED = "representative", "generalized"
OUTPUT_FORMS = (REPRESENTATIVE, GENERALIZED)


def _number_text(v) -> str:
    """A number as short text that reads back to the same value (3.0 -> '3', 0.1 -> '0.1')."""
    if isinstance(v, (bool, np.bool_)):
        return str(v)
    if isinstance(v, (int, np.integer)):
        return str(int(v))
    v = float(v)
    return str(int(v)) if v.is_integer() and abs(v) < 1e15 else repr(v)


def _date_formatter(column: pd.Series):
    """ISO text for the dates of a column: the day alone when every value is at midnight, else day and time."""
    present = pd.Series(pd.to_datetime(column.dropna()))
    if (present == present.dt.normalize()).all():
        return lambda v: pd.Timestamp(v).date().isoformat()
    return lambda v: pd.Timestamp(v).isoformat()


def _range_text(lo, hi, as_text) -> str | None:
    if pd.isna(lo) or pd.isna(hi):
        return None
    return as_text(lo) if lo == hi else f"[{as_text(lo)}, {as_text(hi)}]"


def _set_text(values) -> str | None:
    names = sorted({str(v) for v in values if v is not None and not pd.isna(v)})
    if not names:
        return None
    return names[0] if len(names) == 1 else "{" + ", ".join(names) + "}"


def _class_bounds(result: AnonymizationResult, q: str) -> tuple[pd.Series, pd.Series]:
    """Per class the lowest and highest value of an ordered QI (numbers from the class table, dates from sets)."""
    classes = result.classes
    if f"{q}{MIN}" in classes.columns:
        return classes[f"{q}{MIN}"], classes[f"{q}{MAX}"]
    lo, hi = [], []
    for values in classes[f"{q}{VALUES}"]:
        present = [pd.Timestamp(v) for v in values if v is not None and not pd.isna(v)]
        lo.append(min(present) if present else pd.NaT)
        hi.append(max(present) if present else pd.NaT)
    return pd.Series(lo, index=classes.index), pd.Series(hi, index=classes.index)


def generalized_cells(result: AnonymizationResult, original: pd.DataFrame, q: str) -> pd.Series:
    """One QI as released text: '[lo, hi]' (or the value) for numbers and dates, '{a, b}' for categories.

    Every row of a class reads the same text, so the released table keeps the anonymization's k;
    the text covers the class's values that are present, and a class with no value reads missing.
    (Leaving missing only the rows whose own value is missing would single them out: on Adult at
    k = 10 that gives classes of one.)
    """
    col = original[q]
    if q in result.nodes:  # a hierarchy: the class's node (`021**`, `2024-05`, `30-39`, a named parent)
        return pd.Series(pd.array(result.node_labels(q), dtype="str"), index=original.index, name=q)
    if column_kind(col) == DATE:  # datetime64, and Parquet date columns (Python dates in an object column)
        lo, hi = _class_bounds(result, q)
        as_text = _date_formatter(col)
        per_class = [_range_text(a, b, as_text) for a, b in zip(lo, hi)]
    elif column_kind(col) == NUMERIC and f"{q}{MIN}" in result.classes.columns:
        lo, hi = _class_bounds(result, q)
        per_class = [_range_text(a, b, _number_text) for a, b in zip(lo, hi)]
    else:
        per_class = [_set_text(values) for values in result.classes[f"{q}{VALUES}"]]
    position = result.classes.index.get_indexer(result.class_ids)
    if (position < 0).any():
        raise DataError("the anonymization's class ids do not match its class table")
    texts = pd.array(per_class, dtype="str").take(position)
    return pd.Series(texts, index=original.index, name=q)


def generalized_table(result: AnonymizationResult, original: pd.DataFrame) -> pd.DataFrame:
    """The release form of an anonymization: QIs as ranges or sets of their class, all else unchanged.

    `original` holds the rows the result was computed on, in the same order; columns that are not QIs
    are taken from `result.data` (identical to the original's there).
    """
    if len(original) != len(result.class_ids):
        raise DataError(f"the original table has {len(original):,} rows and the anonymization "
                        f"{len(result.class_ids):,}; pass the table that was anonymized")
    missing = [q for q in result.quasi_identifiers if q not in original.columns]
    if missing:
        raise DataError(f"quasi-identifier column(s) {missing} are not in the original table")
    out = result.data.copy()
    for q in result.quasi_identifiers:
        out[q] = generalized_cells(result, original, q).array
    return out


def covered_cells(result: AnonymizationResult, original: pd.DataFrame, q: str) -> pd.Series:
    """A hierarchy QI as an adversary who knows the hierarchy reads it: each row's node (`981**`, `2018`,
    `30-34`, a named parent) as the column's values under it, '[lo, hi]' for numbers and dates, '{a, b}' for
    text; a suppressed cell stays missing. A node label alone matches no one's value, so the release attacks
    would find no match and report an all-clear the release does not give."""
    from .classes import ordered_codes

    nodes, enc = result.nodes[q], ordered_codes(original[q])
    if len(enc.values) != nodes.node_of.shape[0] - 1:
        raise DataError(f"'{q}' of the original table is not the column the hierarchy was fitted to")
    row_nodes = result.class_nodes[q][result.class_ids]
    col = original[q]
    ordered = column_kind(col) in (NUMERIC, DATE)
    as_text = (_date_formatter(col) if column_kind(col) == DATE else _number_text) if ordered else None
    used, position = np.unique(row_nodes, return_inverse=True)
    texts = []
    for node in used:
        under = np.flatnonzero(nodes.node_of[:-1, nodes.depth[node]] == node) if node >= 0 else []
        values = enc.values[under]  # the codes of the values under the node, sorted as the values are
        if not len(values):
            texts.append(None)
        elif ordered:
            texts.append(_range_text(values[0], values[-1], as_text))
        else:
            texts.append(_set_text(values))
    cells = pd.array(texts, dtype="str").take(position.ravel())
    return pd.Series(cells, index=original.index, name=q)


def adversary_view(result: AnonymizationResult, original: pd.DataFrame) -> pd.DataFrame:
    """The generalized release as the release attacks read it: hierarchy nodes as the values they cover
    (`covered_cells`); the rows a suppression removed left out, as in the release itself."""
    table = generalized_table(result, original)
    for q in result.nodes:
        table[q] = covered_cells(result, original, q).array
    return table[result.released] if result.removes_rows else table


def output_table(result: AnonymizationResult, original: pd.DataFrame, form: str = REPRESENTATIVE) -> pd.DataFrame:
    """The table to export: `representative` (one real value per class, to retrain on) or `generalized`.
    Records suppressed by removal are left out of both."""
    if form == REPRESENTATIVE:
        return result.data[result.released] if result.removes_rows else result.data
    if form == GENERALIZED:
        table = generalized_table(result, original)
        return table[result.released] if result.removes_rows else table
    raise DataError(f"unknown output form '{form}'; use {' or '.join(OUTPUT_FORMS)}")


# --- what the recoding did -----------------------------------------------------------------------

MISSING_LABEL = "missing"


def _numeric_bins(values: np.ndarray, bins: int) -> np.ndarray | None:
    """Equal-width edges over the original values, or None when the column has few enough values to list."""
    present = values[~np.isnan(values)]
    if len(np.unique(present)) <= max(bins, RECODING_LISTED):
        return None
    edges = np.histogram_bin_edges(present, bins=bins)
    if np.all(present == np.round(present)):
        edges = np.unique(np.round(edges))
    return edges


def _day_text(days: float) -> str:
    return (pd.Timestamp(0) + pd.Timedelta(days=float(days))).strftime("%Y-%m-%d")


def _bin_labels(edges: np.ndarray, dates: bool = False) -> list[str]:
    text = _day_text if dates else _number_text
    labels = [f"[{text(a)}, {text(b)})" for a, b in zip(edges[:-2], edges[1:-1])]
    return labels + [f"[{text(edges[-2])}, {text(edges[-1])}]"]


def _counts(series: pd.Series, edges: np.ndarray | None) -> pd.Series:
    """Rows per category (or per bin of `edges`; dates binned on their day numbers), missing as its own."""
    if edges is None:
        counts = series.value_counts(dropna=False)
        return counts.rename(index=lambda v: MISSING_LABEL if pd.isna(v) else v)
    dates = column_kind(series) == DATE
    values = as_numbers(series)
    present = values[~np.isnan(values)]
    idx = np.clip(np.searchsorted(edges, present, side="right") - 1, 0, len(edges) - 2)
    counts = pd.Series(np.bincount(idx, minlength=len(edges) - 1), index=_bin_labels(edges, dates))
    n_missing = int(np.isnan(values).sum())
    return pd.concat([counts, pd.Series({MISSING_LABEL: n_missing})]) if n_missing else counts


def recoding_summary(original: pd.DataFrame, anonymized: pd.DataFrame, quasi_identifiers,
                     bins: int = RECODING_BINS, released: np.ndarray | None = None) -> pd.DataFrame:
    """Per QI, rows per category (or per bin of the original's range) before and after the recoding.

    `released` (a row mask) leaves the rows a release removes out of `after`: a category whose records were all
    removed has vanished from the release.

    One row per (column, category) with `before`, `after`, and `vanished` (rows before, none after)
    and `shrank` (fewer than half as many rows after) flags; `called_out` is either. Categories in
    their natural order (numbers and bins ascending, text by frequency before), missing last.
    Meant for the representative form, whose QI cells are real values of the column.
    """
    if len(original) != len(anonymized):
        raise DataError("the original and anonymized tables must hold the same rows")
    if released is not None:
        anonymized = anonymized[np.asarray(released, dtype=bool)]
    frames = []
    for q in quasi_identifiers:
        for frame, name in ((original, "original"), (anonymized, "anonymized")):
            if q not in frame.columns:
                raise DataError(f"quasi-identifier '{q}' is not in the {name} table")
        kind = column_kind(original[q])
        numeric = kind == NUMERIC and column_kind(anonymized[q]) == NUMERIC
        ordered = numeric or (kind == DATE and column_kind(anonymized[q]) == DATE)
        edges = _numeric_bins(as_numbers(original[q]), bins) if ordered else None
        if kind == DATE and edges is None and ordered:  # few dates: list each, in order
            numeric = True
        before, after = _counts(original[q], edges), _counts(anonymized[q], edges)
        table = pd.concat([before.rename("before"), after.rename("after")], axis=1, sort=False).fillna(0)
        table = table.astype(np.int64)
        if edges is None:
            present = table.drop(index=MISSING_LABEL, errors="ignore")
            order = (present.sort_index() if numeric else present.sort_values("before", ascending=False,
                                                                                kind="stable"))
            table = pd.concat([order, table.loc[table.index == MISSING_LABEL]])
            if kind == DATE:
                labels = [str(v) if v == MISSING_LABEL else pd.Timestamp(v).strftime("%Y-%m-%d") for v in table.index]
            else:
                labels = [_number_text(v) if numeric and v != MISSING_LABEL else str(v) for v in table.index]
        else:
            labels = [str(v) for v in table.index]
        frames.append(pd.DataFrame({"column": str(q), "category": labels, "before": table["before"].to_numpy(),
                                    "after": table["after"].to_numpy()}))
    out = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(
        columns=["column", "category", "before", "after"])
    out["vanished"] = (out["before"] > 0) & (out["after"] == 0)
    out["shrank"] = ~out["vanished"] & (2 * out["after"] < out["before"])
    out["called_out"] = out["vanished"] | out["shrank"]
    return out

