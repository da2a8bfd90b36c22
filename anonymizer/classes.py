"""Equivalence classes: from a grouping of rows to representatives, classes and the result object.

Both anonymizers (accuracy-guided and Mondrian) only decide *which rows go together*; everything
after that is shared here, so the comparison between them isolates the partitioning.
All of it is vectorized over rows: groups are integer arrays, never Python loops over records.
"""

from __future__ import annotations

import datetime
import json
import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from .data import DATE, NUMERIC, as_numbers, column_kind

# The class table names the generalization of a QI `q` as "q:min"/"q:max" (numeric, date) or
# "q:values" (categorical); the representative keeps the QI's own name.
MIN, MAX, VALUES = ":min", ":max", ":values"
NODE, LEVEL = ":node", ":level"  # a QI with a hierarchy: its class's node and the node's level


@dataclass(frozen=True)
class OrderedCodes:
    """A column as integer codes in the column's order, missing values last (code == len(values))."""

    kind: str
    codes: np.ndarray  # int64, 0..len(values); len(values) means missing
    values: np.ndarray  # the distinct non-missing values, sorted (dates: a pandas Index of the column's type)

    @property
    def missing_code(self) -> int:
        return len(self.values)

    @property
    def n_codes(self) -> int:
        return len(self.values) + 1


def ordered_codes(series: pd.Series, kind: str | None = None) -> OrderedCodes:
    """Encode a column once so that grouping, modes and orders are integer work (`kind`: the
    column's kind, if the caller knows it)."""
    kind = kind or column_kind(series)
    if isinstance(series.dtype, pd.CategoricalDtype):
        codes = series.cat.codes.to_numpy().astype(np.int64)
        values = np.asarray(series.cat.categories, dtype=object)
    elif isinstance(series.dtype, pd.StringDtype) and series.dtype.storage == "pyarrow":
        return _arrow_text_codes(series, kind)
    else:
        try:
            codes, uniques = pd.factorize(series, sort=True, use_na_sentinel=True)
        except TypeError:  # mixed types that do not sort: keep first-seen order
            codes, uniques = pd.factorize(series, sort=False, use_na_sentinel=True)
        values = uniques if kind == DATE else np.asarray(uniques, dtype=float if kind == NUMERIC else object)
        codes = codes.astype(np.int64)
    codes = np.where(codes < 0, len(values), codes)
    return OrderedCodes(kind, codes, values)


def _arrow_text_codes(series: pd.Series, kind: str) -> OrderedCodes:
    """`ordered_codes` of a text column held by Arrow (pandas' default `str`): Arrow's hash encoding
    and a sort of the distinct values only, a third faster than `pd.factorize(sort=True)` on
    Adult's text columns, with the same codes (UTF-8 byte order is code point order)."""
    arrow = pa.array(series.array)
    if isinstance(arrow, pa.ChunkedArray):  # concatenated columns: one dictionary over all chunks
        arrow = arrow.combine_chunks()
    encoded = pc.dictionary_encode(arrow)
    distinct = encoded.dictionary.to_numpy(zero_copy_only=False)
    order = np.argsort(distinct, kind="stable")
    rank = np.empty(len(distinct) + 1, dtype=np.int64)
    rank[order] = np.arange(len(distinct))
    rank[-1] = len(distinct)  # missing
    codes = rank[pc.fill_null(encoded.indices, len(distinct)).to_numpy()]
    return OrderedCodes(kind, codes, np.asarray(distinct[order], dtype=object))


def stable_order(ids: np.ndarray, n_ids: int) -> np.ndarray:
    """Row numbers sorted by id, rows of one id in their order. Ids under 2**16 are sorted as
    uint16, which numpy sorts by radix: about 10x faster than its merge sort of int64 (30k rows)."""
    return np.argsort(ids.astype(np.uint16) if n_ids <= 1 << 16 else ids, kind="stable")


def value_numbers(enc: OrderedCodes) -> np.ndarray:
    """The sorted distinct values of a numeric or date column as floats (dates: day numbers)."""
    if enc.kind == DATE:
        return as_numbers(pd.Series(enc.values))
    return np.asarray(enc.values, dtype=float)


def _codes_or_nan(enc: OrderedCodes) -> np.ndarray:
    """Codes as floats with missing as NaN, so the numeric median and min/max rules apply to them."""
    return np.where(enc.codes == enc.missing_code, np.nan, enc.codes.astype(float))


def _nan_to_missing(codes: np.ndarray, enc: OrderedCodes) -> np.ndarray:
    return np.where(np.isnan(codes), enc.missing_code, codes).astype(np.int64)


def numeric_representatives(values: np.ndarray, groups: np.ndarray, n_groups: int) -> np.ndarray:
    """Per group, the actual value closest to the group's median, ties to the smaller one.

    That value is always the lower median of the non-missing values: for an odd count it is the
    median itself, for an even count the two middle values are equally close and the smaller wins.
    A group with no value gets NaN.
    """
    valid = ~np.isnan(values)
    g, v = groups[valid], values[valid]
    lo, hi = (v.min(), v.max()) if len(v) else (0.0, 0.0)
    # whole numbers from 0 up (ages, counts): codes by subtraction (not from -0.0: lo + 0 would lose its sign)
    if hi - lo < 4096 and not np.signbit(lo) and np.array_equal(v, np.floor(v)):
        codes, uniques = (v - lo).astype(np.int64), lo + np.arange(int(hi - lo) + 1, dtype=float)
    else:
        codes, uniques = pd.factorize(v, sort=True)  # one integer sort below instead of a 2-key lexsort
    n_values = max(len(uniques), 1)
    counts = np.bincount(g, minlength=n_groups)
    rep = np.full(n_groups, np.nan)
    has = counts > 0
    middle = (counts[has] - 1) // 2  # the lower median's position among the group's sorted values
    if n_groups * n_values <= 4_000_000:  # rows a (group, value), summed along the values: no sort
        cells = np.bincount(g.astype(np.int64) * n_values + codes, minlength=n_groups * n_values)
        below = np.cumsum(cells.reshape(n_groups, n_values)[has], axis=1)
        rep[has] = np.asarray(uniques, dtype=float)[(below <= middle[:, None]).sum(axis=1)]
        return rep
    keys = np.sort(g.astype(np.int64) * n_values + codes)
    starts = np.concatenate(([0], np.cumsum(counts)[:-1]))
    rep[has] = np.asarray(uniques, dtype=float)[keys[starts[has] + middle] % n_values]
    return rep


def categorical_representatives(codes: np.ndarray, n_codes: int, groups: np.ndarray,
                                n_groups: int) -> np.ndarray:
    """Per group, the most frequent code; ties go to the smaller code (missing is the last code)."""
    if n_groups * n_codes <= 20_000_000:
        counts = np.bincount(groups * n_codes + codes, minlength=n_groups * n_codes)
        return counts.reshape(n_groups, n_codes).argmax(axis=1)
    keys, counts = np.unique(groups.astype(np.int64) * n_codes + codes, return_counts=True)
    kg, kc = keys // n_codes, keys % n_codes
    order = np.lexsort((kc, -counts, kg))
    kg, kc = kg[order], kc[order]
    first = np.concatenate(([True], kg[1:] != kg[:-1]))
    rep = np.empty(n_groups, dtype=np.int64)
    rep[kg[first]] = kc[first]
    return rep


def _rep_as_codes(rep: np.ndarray, enc: OrderedCodes) -> np.ndarray:
    """Representatives as integer codes so tuples of them can be compared row-wise."""
    if enc.kind != NUMERIC:
        return rep
    _, inverse = np.unique(rep, return_inverse=True, equal_nan=True)
    return inverse.ravel()


def column_from_codes(codes: np.ndarray, enc: OrderedCodes, like: pd.Series) -> pd.Series:
    """Rebuild a categorical or date column from codes with the dtype and index of `like`."""
    codes = np.where(codes == enc.missing_code, -1, codes)
    if isinstance(like.dtype, pd.CategoricalDtype):
        out = pd.Categorical.from_codes(codes, dtype=like.dtype)
    else:  # a take on the distinct values keeps str/object/bool dtypes and is fast
        out = pd.array(enc.values, dtype=like.dtype).take(codes, allow_fill=True)
    return pd.Series(out, index=like.index, name=like.name)


def column_from_values(values: np.ndarray, like: pd.Series) -> pd.Series:
    """Rebuild a numeric column from floats with the dtype and index of `like`.

    Values are actual values of the column, so the cast is exact; a missing value in an
    integer column (only possible for a class without values) keeps the float dtype.
    """
    out = pd.Series(values, index=like.index, name=like.name)
    if np.isnan(values).any() and not pd.api.types.is_float_dtype(like.dtype):
        try:
            return out.astype(like.dtype)  # nullable integer dtypes hold missing values
        except (TypeError, ValueError):
            return out
    return out.astype(like.dtype)


@dataclass
class Grouping:
    """What both anonymizers produce: per row a group, per group a representative for every QI."""

    class_of_group: np.ndarray  # group -> class id
    class_reps: dict[str, np.ndarray]  # QI -> per-class representative (float or code)
    encodings: dict[str, OrderedCodes]
    n_classes: int


def group_into_classes(X: pd.DataFrame, quasi_identifiers: list[str], groups: np.ndarray,
                       n_groups: int, encodings: dict[str, OrderedCodes] | None = None,
                       keys: np.ndarray | None = None, key_qis: list[str] | None = None) -> Grouping:
    """Representatives per group, then groups with equal representative tuples merged into classes.

    `encodings` may hold codes already computed for some QIs; the others are computed here. With `keys`
    (per group, integer columns: the hierarchy nodes of `publishable`), groups merge when their keys and
    the representatives of `key_qis` (default all QIs) are equal.
    """
    encodings = {q: (encodings or {}).get(q) or ordered_codes(X[q]) for q in quasi_identifiers}
    reps: dict[str, np.ndarray] = {}
    for q in quasi_identifiers:
        enc = encodings[q]
        if enc.kind == NUMERIC:
            vals = X[q].to_numpy(dtype=float, na_value=np.nan)
            reps[q] = numeric_representatives(vals, groups, n_groups)
        elif enc.kind == DATE:  # codes follow the dates' order, so the median code is the median date
            median_code = numeric_representatives(_codes_or_nan(enc), groups, n_groups)
            reps[q] = _nan_to_missing(median_code, enc)
        else:
            reps[q] = categorical_representatives(enc.codes, enc.n_codes, groups, n_groups)
    compared = quasi_identifiers if key_qis is None else key_qis
    columns = [_rep_as_codes(reps[q], encodings[q]) for q in compared]
    if keys is not None:
        columns += [keys[:, j] for j in range(keys.shape[1])]
    tuples = np.column_stack(columns) if columns else np.zeros((n_groups, 1), dtype=np.int64)
    first_group, class_of_group = np.unique(tuples, axis=0, return_index=True, return_inverse=True)[1:]
    class_of_group = class_of_group.ravel()
    class_reps = {q: reps[q][first_group] for q in quasi_identifiers}
    return Grouping(class_of_group, class_reps, encodings, len(first_group))


def apply_classes(X: pd.DataFrame, quasi_identifiers: list[str], grouping: Grouping,
                  class_ids: np.ndarray) -> pd.DataFrame:
    """A copy of X whose QI cells hold their class's representatives; all else untouched."""
    out = X.copy()
    for q in quasi_identifiers:
        rep = grouping.class_reps[q][class_ids]
        if grouping.encodings[q].kind == NUMERIC:
            out[q] = column_from_values(rep, X[q])
        else:
            out[q] = column_from_codes(rep, grouping.encodings[q], X[q])
    return out


def _value(v):
    """A plain Python value for tables and JSON (NaN and missing become None, dates ISO text)."""
    if v is None or (isinstance(v, float) and math.isnan(v)) or v is pd.NA or v is pd.NaT:
        return None
    if isinstance(v, (pd.Timestamp, datetime.date)):
        return iso_date(v)
    return v.item() if isinstance(v, np.generic) else v


def iso_date(v) -> str:
    """'2024-05-31' for a date or a timestamp at midnight, else the full ISO timestamp."""
    stamp = pd.Timestamp(v)
    if stamp == stamp.normalize() and stamp.tz is None:
        return stamp.strftime("%Y-%m-%d")
    return stamp.isoformat()


def class_table(X: pd.DataFrame, quasi_identifiers: list[str], grouping: Grouping,
                class_ids: np.ndarray) -> pd.DataFrame:
    """One row per class: size, representative of every QI and its generalization."""
    n = grouping.n_classes
    sizes = np.bincount(class_ids, minlength=n)
    table = {"size": sizes}
    order = stable_order(class_ids, n)  # rows grouped by class, once for every QI
    starts = np.concatenate(([0], np.cumsum(sizes)[:-1]))
    for q in quasi_identifiers:
        enc = grouping.encodings[q]
        rep = grouping.class_reps[q]
        if enc.kind == NUMERIC:
            table[q] = column_from_values(rep, pd.Series(index=range(n), dtype=X[q].dtype))
            vals = X[q].to_numpy(dtype=float, na_value=np.nan)[order]
            with np.errstate(invalid="ignore"):  # fmin/fmax skip NaN; an all-NaN class stays NaN
                lo, hi = np.fmin.reduceat(vals, starts), np.fmax.reduceat(vals, starts)
            table[f"{q}{MIN}"] = column_from_values(lo, table[q])
            table[f"{q}{MAX}"] = column_from_values(hi, table[q])
        elif enc.kind == DATE:
            like = pd.Series(index=range(n), dtype=X[q].dtype)
            table[q] = column_from_codes(rep, enc, like)
            codes = _codes_or_nan(enc)[order]
            with np.errstate(invalid="ignore"):
                lo, hi = np.fmin.reduceat(codes, starts), np.fmax.reduceat(codes, starts)
            table[f"{q}{MIN}"] = column_from_codes(_nan_to_missing(lo, enc), enc, like)
            table[f"{q}{MAX}"] = column_from_codes(_nan_to_missing(hi, enc), enc, like)
        else:
            labels = np.append(enc.values, None).astype(object)
            table[q] = labels[rep]
            keys = class_ids.astype(np.int64) * enc.n_codes + enc.codes
            cells = n * enc.n_codes  # distinct (class, value) pairs: a presence count is O(rows), a sort is not
            keys = np.flatnonzero(np.bincount(keys, minlength=cells)) if cells <= 20_000_000 else np.unique(keys)
            kc, kv = keys // enc.n_codes, keys % enc.n_codes
            bounds = np.searchsorted(kc, np.arange(n + 1)).tolist()
            members = labels[kv].tolist()  # list slices are far cheaper than numpy slices here
            table[f"{q}{VALUES}"] = [tuple(members[bounds[c]:bounds[c + 1]]) for c in range(n)]
    frame = pd.DataFrame(table)
    frame.index.name = "class_id"
    return frame


@dataclass
class AnonymizationResult:
    """One anonymization: the anonymized frame, the class of every row and the class table.

    `data` has the input's columns, dtypes, index and row order; only QI cells differ.
    `class_ids[i]` is the class of the i-th row; `classes` is indexed by class id.
    `seconds` is the wall time of the anonymization step alone.
    """

    data: pd.DataFrame
    class_ids: np.ndarray
    classes: pd.DataFrame
    quasi_identifiers: list[str]
    k: int
    method: str
    seconds: float
    release_rules: object = None  # the constraints.ReleaseRules applied (None: k alone)
    nodes: dict = field(default_factory=dict)  # QI -> publishable.ColumnNodes, for QIs with a hierarchy
    class_nodes: dict = field(default_factory=dict)  # QI -> per class, its node id (-1: the suppressed class)
    suppressed: np.ndarray | None = None  # rows suppressed by local suppression (a mask), None when off
    notes: list = field(default_factory=list)  # what the rules could not do, in words

    @property
    def n_classes(self) -> int:
        return len(self.classes)

    @property
    def n_suppressed(self) -> int:
        return 0 if self.suppressed is None else int(self.suppressed.sum())

    @property
    def removes_rows(self) -> bool:
        return self.n_suppressed > 0 and getattr(self.release_rules, "suppression", "missing") == "remove"

    @property
    def released(self) -> np.ndarray:
        """Mask of the rows in the release: all, except suppressed rows when suppression removes them."""
        if self.removes_rows:
            return ~self.suppressed
        return np.ones(len(self.class_ids), dtype=bool)

    def node_labels(self, q: str) -> np.ndarray:
        """Per row, the hierarchy node its class is released as (None: missing or suppressed)."""
        cn = self.nodes[q]
        ids = self.class_nodes[q][self.class_ids]
        labels = np.append(cn.labels, None).astype(object)  # id -1 (suppressed) reads the appended None
        return labels[ids]

    def _view(self) -> pd.DataFrame:
        view = self.data.copy()
        for q in self.nodes:
            view[q] = pd.Series(self.node_labels(q), index=view.index, dtype=object)
        return view

    def release_view(self) -> pd.DataFrame:
        """The released rows with every QI as the release shows its class: hierarchy QIs as their nodes,
        the others as their representatives; what classes, k, l and t are counted on."""
        view = self._view()
        return view[self.released] if self.removes_rows else view

    def hierarchy_levels(self) -> dict:
        """Per QI with a hierarchy: its spec, its levels (root first) and the released records and classes
        at each level (suppressed records apart)."""
        out = {}
        kept = self.released & (~self.suppressed if self.suppressed is not None else True)
        for q, cn in self.nodes.items():
            ids = self.class_nodes[q]
            row_ids = ids[self.class_ids][kept]
            depth = np.where(row_ids >= 0, cn.depth[np.maximum(row_ids, 0)], -1)
            records = {name: int((depth == d).sum()) for d, name in enumerate(cn.level_names)}
            live = ids[ids >= 0]
            classes = {name: int((cn.depth[live] == d).sum()) for d, name in enumerate(cn.level_names)}
            out[str(q)] = {"hierarchy": cn.hierarchy.spec, "description": cn.hierarchy.describe(),
                           "levels": list(cn.level_names), "records_by_level": records,
                           "classes_by_level": classes}
        return out

    def class_records(self, class_id: int, original: pd.DataFrame | None = None) -> pd.DataFrame:
        """The rows of one class, from `original` if given (same index), else anonymized."""
        frame = self.data if original is None else original
        return frame[self.class_ids == class_id]

    def metrics(self, original: pd.DataFrame | None = None, sensitive: str | None = None,
                risk_threshold: float = 0.1):
        """Privacy metrics computed from the anonymized table itself (see `metrics`)."""
        from .metrics import privacy_metrics

        if not self.nodes and self.suppressed is None:
            metrics = privacy_metrics(self.data, self.quasi_identifiers, k=self.k, original=original,
                                      sensitive=sensitive, risk_threshold=risk_threshold)
            metrics.add_rules(self)
            return metrics
        from .metrics import equivalence_classes, ncp_per_qi

        rows, n = self.released, len(self.class_ids)
        fixed = {}
        for q in self.quasi_identifiers:  # the NCP of a node, and of a suppressed record (1: fully generalized)
            ncp = np.full(n, np.nan)
            if q in self.nodes:
                ids = self.class_nodes[q][self.class_ids]
                ncp = np.where(ids >= 0, self.nodes[q].ncp[np.maximum(ids, 0)], np.nan)
            if self.suppressed is not None:
                ncp[self.suppressed] = 1.0
            fixed[q] = ncp
        view = self._view()
        metrics = privacy_metrics(view[rows], self.quasi_identifiers, k=self.k,
                                  original=None if original is None else original[rows], sensitive=sensitive,
                                  risk_threshold=risk_threshold, fixed_ncp={q: v[rows] for q, v in fixed.items()})
        if original is not None and self.removes_rows:  # removed records still count, fully generalized
            metrics.ncp = ncp_per_qi(original, equivalence_classes(view, self.quasi_identifiers),
                                     self.quasi_identifiers, fixed)
            metrics.gcp = float(np.mean(list(metrics.ncp.values())))
        metrics.add_rules(self)
        return metrics

    def rules(self) -> list[dict]:
        """The generalization as JSON-ready rules: per class its size, ranges/sets and representatives."""
        out = []
        for cid, row in self.classes.iterrows():
            rule = {"class_id": int(cid), "size": int(row["size"]), "quasi_identifiers": {}}
            for q in self.quasi_identifiers:
                entry = {"representative": _value(row[q])}
                if f"{q}{NODE}" in row.index:
                    entry["node"], entry["level"] = _value(row[f"{q}{NODE}"]), _value(row[f"{q}{LEVEL}"])
                if f"{q}{VALUES}" in row.index:
                    entry["values"] = [_value(v) for v in row[f"{q}{VALUES}"]]
                else:
                    entry["min"], entry["max"] = _value(row[f"{q}{MIN}"]), _value(row[f"{q}{MAX}"])
                rule["quasi_identifiers"][str(q)] = entry
            out.append(rule)
        return out

    def rules_json(self) -> str:
        return json.dumps({"method": self.method, "k": self.k,
                           "quasi_identifiers": self.quasi_identifiers, "classes": self.rules()},
                          indent=1, default=str)
