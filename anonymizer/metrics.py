"""Privacy and utility metrics of an anonymized table (definitions: GUIDE section 4).

Classes are always recomputed from the anonymized table's QI tuples, never taken from the
algorithm's bookkeeping: a metric that trusted the algorithm could not catch its bugs.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np
import pandas as pd

from .classes import ordered_codes, stable_order
from .data import ORDERED_KINDS, DataError, as_numbers, column_kind

DEFAULT_RISK_THRESHOLD = 0.1  # a record in a class of fewer than 10 is "at risk" by default
_BLOCK = 20_000_000  # cells of a dense class x value count block


def equivalence_classes(anonymized: pd.DataFrame, quasi_identifiers: list[str]) -> np.ndarray:
    """Class id of every row: rows with equal QI values (missing equal to missing) share one."""
    # sort=False: ids by first appearance, and no ordering needed (mixed-type columns cannot be sorted)
    return anonymized.groupby(list(quasi_identifiers), dropna=False, sort=False).ngroup().to_numpy()


def _count_blocks(class_ids: np.ndarray, codes: np.ndarray, n_classes: int, n_codes: int):
    """Yield dense (classes x values) count blocks, a bounded number of cells at a time."""
    order = stable_order(class_ids, n_classes)
    bounds = np.searchsorted(class_ids[order], np.arange(n_classes + 1))
    step = max(1, _BLOCK // n_codes)
    for start in range(0, n_classes, step):
        stop = min(start + step, n_classes)
        rows = order[bounds[start]:bounds[stop]]
        keys = (class_ids[rows] - start) * n_codes + codes[rows]
        yield np.bincount(keys, minlength=(stop - start) * n_codes).reshape(stop - start, n_codes)


def sensitive_metrics(class_ids: np.ndarray, sensitive: pd.Series) -> dict[str, float]:
    """Distinct l, entropy l and t-closeness of a sensitive attribute over the classes.

    t-closeness: categorical -> half the L1 distance between a class's distribution and the
    table's; numeric or ordered categorical -> the ordered EMD of Li et al. (2007) over the sorted
    distinct values.
    Missing is a value of its own (sorted last for numeric attributes).
    """
    enc = ordered_codes(sensitive)
    ordered_category = isinstance(sensitive.dtype, pd.CategoricalDtype) and sensitive.dtype.ordered
    ordered = enc.kind in ORDERED_KINDS or ordered_category
    present = np.flatnonzero(np.bincount(enc.codes, minlength=enc.n_codes))
    codes = np.searchsorted(present, enc.codes)  # only values that occur
    m = len(present)
    n_classes = int(class_ids.max()) + 1
    overall = np.bincount(codes, minlength=m) / len(codes)
    l_distinct, l_entropy, t = np.inf, np.inf, 0.0
    for block in _count_blocks(class_ids, codes, n_classes, m):
        sizes = block.sum(axis=1, keepdims=True)
        p = block / sizes
        l_distinct = min(l_distinct, int((block > 0).sum(axis=1).min()))
        with np.errstate(divide="ignore", invalid="ignore"):
            h = -np.where(p > 0, p * np.log(p), 0.0).sum(axis=1)
        l_entropy = min(l_entropy, float(np.exp(h).min()))
        if ordered:
            dist = np.abs(np.cumsum(p - overall, axis=1)[:, :-1]).sum(axis=1) / max(m - 1, 1)
        else:
            dist = 0.5 * np.abs(p - overall).sum(axis=1)
        t = max(t, float(dist.max()))
    return {"l_distinct": int(l_distinct), "l_entropy": l_entropy, "t_closeness": t}


def ncp_per_qi(original: pd.DataFrame, class_ids: np.ndarray, quasi_identifiers: list[str]) -> dict[str, float]:
    """Record-weighted mean NCP of each QI, from the original values in every class.

    Numeric: (class max - class min) / (column max - column min), missing values ignored; dates
    the same on their day numbers (a class spanning 30 days of a 300-day column: 0.1).
    Categorical: 0 for a single value, else (distinct values in the class) / (distinct values in
    the column), missing counted as a value.
    """
    out = {}
    for q in quasi_identifiers:
        col = original[q]
        if column_kind(col) in ORDERED_KINDS:
            values = pd.Series(as_numbers(col))
            span = values.max() - values.min()
            if not span > 0:
                out[q] = 0.0
                continue
            g = values.groupby(class_ids)
            per_class = ((g.max() - g.min()) / span).fillna(0.0)
        else:
            enc = ordered_codes(col)
            distinct = len(np.unique(enc.codes))
            per_class = pd.Series(enc.codes).groupby(class_ids).nunique()
            per_class = (per_class.where(per_class > 1, 0) / distinct).astype(float)
        sizes = np.bincount(class_ids, minlength=len(per_class))
        out[q] = float(np.dot(per_class.to_numpy(), sizes[per_class.index]) / len(class_ids))
    return out


@dataclass
class PrivacyMetrics:
    """The privacy and utility figures of one anonymized table."""

    k: int | None
    k_achieved: int
    n_rows: int
    n_classes: int
    class_size_distribution: dict[str, float]
    discernibility: int
    avg_class_size_metric: float | None
    max_risk: float
    avg_risk: float
    risk_threshold: float
    share_at_risk: float
    gcp: float | None = None
    ncp: dict[str, float] = field(default_factory=dict)
    sensitive: str | None = None
    l_distinct: int | None = None
    l_entropy: float | None = None
    t_closeness: float | None = None

    def to_dict(self) -> dict:
        d = asdict(self)
        if self.sensitive is None:
            for key in ("sensitive", "l_distinct", "l_entropy", "t_closeness"):
                d.pop(key)
        return d


def privacy_metrics(anonymized: pd.DataFrame, quasi_identifiers: list[str], k: int | None = None,
                    original: pd.DataFrame | None = None, sensitive: str | None = None,
                    risk_threshold: float = DEFAULT_RISK_THRESHOLD) -> PrivacyMetrics:
    """All metrics of `anonymized`; GCP/NCP need the `original` (same index and rows)."""
    qis = list(quasi_identifiers)
    if len(anonymized) == 0:
        raise DataError("the anonymized table has no rows")
    if not 0 <= risk_threshold <= 1:
        raise DataError(f"the risk threshold must be between 0 and 1, got {risk_threshold}")
    class_ids = equivalence_classes(anonymized, qis)
    sizes = np.bincount(class_ids)
    n, n_classes = len(anonymized), len(sizes)
    row_risk = 1.0 / sizes[class_ids]
    dist = {
        "min": int(sizes.min()), "p25": float(np.percentile(sizes, 25)),
        "median": float(np.median(sizes)), "p75": float(np.percentile(sizes, 75)),
        "max": int(sizes.max()), "mean": float(sizes.mean()),
    }
    metrics = PrivacyMetrics(
        k=k, k_achieved=int(sizes.min()), n_rows=n, n_classes=n_classes,
        class_size_distribution=dist,
        discernibility=int(np.sum(sizes.astype(np.int64) ** 2)),
        avg_class_size_metric=(n / n_classes) / k if k else None,
        max_risk=float(1.0 / sizes.min()), avg_risk=n_classes / n,
        risk_threshold=risk_threshold, share_at_risk=float(np.mean(row_risk > risk_threshold)),
    )
    if original is not None:
        if len(original) != n or not original.index.equals(anonymized.index):
            raise DataError("the original table must have the anonymized table's rows and index")
        metrics.ncp = ncp_per_qi(original, class_ids, qis)
        metrics.gcp = float(np.mean(list(metrics.ncp.values())))
    if sensitive is not None:
        if sensitive not in anonymized.columns:
            raise DataError(f"sensitive column '{sensitive}' not in the table")
        metrics.sensitive = sensitive
        # the true sensitive values: they differ from the anonymized ones only if it is also a QI
        values = (original if original is not None else anonymized)[sensitive]
        for key, value in sensitive_metrics(class_ids, values).items():
            setattr(metrics, key, value)
    return metrics
