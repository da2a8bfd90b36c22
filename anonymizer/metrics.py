"""Privacy and utility metrics of an anonymized table (definitions: docs/design.md, "Privacy metrics").

Classes are always recomputed from the anonymized table's QI tuples, never taken from the
algorithm's bookkeeping: a metric that trusted the algorithm could not catch its bugs.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields

import numpy as np
import pandas as pd

from .classes import ordered_codes, stable_order
from .data import ORDERED_KINDS, DataError, as_numbers, column_kind
from .scenario import DEFAULT_RISK_THRESHOLD  # noqa: E402,F401  (the defaults are defined there)

# a numeric sensitive attribute is disclosed by a class whose values span less than this share of the column's
# range (a class of incomes within 2,000 of each other tells each member's income about as well as one value)
NARROW_SHARE = 0.05
MAX_NAMED = 10  # disclosed values named in the JSON and on the page
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


def entropy_l(p: np.ndarray) -> np.ndarray:
    """exp(entropy) of every row of distributions `p` (classes x values): entropy l-diversity of each class."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.exp(-np.where(p > 0, p * np.log(p), 0.0).sum(axis=1))


def closeness(p: np.ndarray, overall: np.ndarray, ordered: bool) -> np.ndarray:
    """t-closeness distance of every row of `p` from the table's distribution `overall`: the ordered EMD of
    Li et al. (2007) over the sorted values (numbers, dates, ordered categories), else half the L1 distance
    (the EMD with equal ground distances)."""
    if ordered:
        return np.abs(np.cumsum(p - overall, axis=1)[:, :-1]).sum(axis=1) / max(p.shape[1] - 1, 1)
    return 0.5 * np.abs(p - overall).sum(axis=1)


def sensitive_codes(sensitive: pd.Series) -> tuple[np.ndarray, int, bool]:
    """The sensitive attribute as codes 0..m-1 of the values that occur (missing a value of its own, sorted
    last), m, and whether its values are ordered (numbers, dates, ordered categories: EMD over the order)."""
    enc = ordered_codes(sensitive)
    ordered_category = isinstance(sensitive.dtype, pd.CategoricalDtype) and sensitive.dtype.ordered
    ordered = enc.kind in ORDERED_KINDS or ordered_category
    present = np.flatnonzero(np.bincount(enc.codes, minlength=enc.n_codes))
    return np.searchsorted(present, enc.codes), len(present), ordered


def sensitive_metrics(class_ids: np.ndarray, sensitive: pd.Series,
                      narrow_share: float = NARROW_SHARE) -> dict:
    """Distinct l, entropy l and t-closeness of a sensitive attribute over the classes, and the classes that
    disclose it (attribute disclosure: k-anonymous, yet every member's sensitive value is known).

    t-closeness: categorical -> half the L1 distance between a class's distribution and the
    table's; numeric or ordered categorical -> the ordered EMD of Li et al. (2007) over the sorted
    distinct values. Missing is a value of its own (sorted last for numeric attributes).
    A class discloses the attribute when all its records hold one value (missing counted as a value) or,
    for numbers and dates, when its values span less than `narrow_share` of the column's range.
    `homogeneous` is that mask, one entry per class.
    """
    kind = column_kind(sensitive)
    codes, m, ordered = sensitive_codes(sensitive)
    n_classes = int(class_ids.max()) + 1
    overall = np.bincount(codes, minlength=m) / len(codes)
    l_entropy, t = np.inf, 0.0
    distinct = []
    for block in _count_blocks(class_ids, codes, n_classes, m):
        sizes = block.sum(axis=1, keepdims=True)
        p = block / sizes
        distinct.append((block > 0).sum(axis=1))
        l_entropy = min(l_entropy, float(entropy_l(p).min()))
        t = max(t, float(closeness(p, overall, ordered).max()))
    distinct = np.concatenate(distinct)
    homogeneous = distinct == 1
    if kind in ORDERED_KINDS:
        values = pd.Series(as_numbers(sensitive))
        span = values.max() - values.min()
        if span > 0:
            g = values.groupby(class_ids)
            width = (g.max() - g.min()).reindex(range(n_classes)).to_numpy()
            # missing is a value of its own: a class holding values and missing ones is not a sliver
            has_missing = values.isna().groupby(class_ids).any().reindex(range(n_classes)).to_numpy()
            homogeneous |= (np.nan_to_num(width, nan=np.inf) < narrow_share * span) & ~has_missing
    return {"l_distinct": int(distinct.min()), "l_entropy": l_entropy, "t_closeness": t,
            "homogeneous": homogeneous}


def disclosed_values(class_ids: np.ndarray, sensitive: pd.Series, homogeneous: np.ndarray) -> dict[str, int]:
    """For the classes whose records all hold one sensitive value: that value -> the records it is disclosed
    for, the most disclosed first (at most MAX_NAMED values)."""
    rows = homogeneous[class_ids]
    values = sensitive[rows].astype(object).where(sensitive[rows].notna(), "(missing)").astype(str)
    single = pd.Series(values.to_numpy()).groupby(class_ids[rows]).nunique() == 1
    kept = np.isin(class_ids[rows], single.index[single.to_numpy()])
    counts = pd.Series(values.to_numpy()[kept]).value_counts()
    return {str(v): int(n) for v, n in counts.head(MAX_NAMED).items()}


def ncp_per_qi(original: pd.DataFrame, class_ids: np.ndarray, quasi_identifiers: list[str],
               fixed: dict[str, np.ndarray] | None = None) -> dict[str, float]:
    """Record-weighted mean NCP of each QI, from the original values in every class.

    Numeric: (class max - class min) / (column max - column min), missing values ignored; dates
    the same on their day numbers (a class spanning 30 days of a 300-day column: 0.1).
    Categorical: 0 for a single value, else (distinct values in the class) / (distinct values in
    the column), missing counted as a value.
    `fixed[q]` (per row, NaN where not fixed) overrides a row's NCP: a hierarchy node's own NCP, and 1 for a
    suppressed record (fully generalized on every QI, whether its cells are missing or its row removed), as
    ARX and sdcMicro count suppressed records.
    """
    out = {}
    n = len(class_ids)
    for q in quasi_identifiers:
        col = original[q]
        if column_kind(col) in ORDERED_KINDS:
            values = pd.Series(as_numbers(col))
            span = values.max() - values.min()
            if not span > 0:
                per_row = np.zeros(n)
            else:
                g = values.groupby(class_ids)
                per_class = ((g.max() - g.min()) / span).fillna(0.0)
                per_row = per_class.reindex(range(int(class_ids.max()) + 1)).to_numpy()[class_ids]
        else:
            enc = ordered_codes(col)
            distinct = len(np.unique(enc.codes))
            per_class = pd.Series(enc.codes).groupby(class_ids).nunique()
            per_class = (per_class.where(per_class > 1, 0) / distinct).astype(float)
            per_row = per_class.reindex(range(int(class_ids.max()) + 1)).to_numpy()[class_ids]
        if fixed is not None and q in fixed:
            per_row = np.where(np.isnan(fixed[q]), per_row, fixed[q])
        out[q] = float(per_row.mean())
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
    share_at_risk: float  # re-identification risk above the threshold, or in a class that discloses the sensitive
    share_reidentification_risk: float | None = None  # re-identification risk above the threshold alone
    gcp: float | None = None
    ncp: dict[str, float] = field(default_factory=dict)
    sensitive: str | None = None
    l_distinct: int | None = None
    l_entropy: float | None = None
    t_closeness: float | None = None
    homogeneous_classes: int | None = None  # classes that disclose the sensitive attribute (see sensitive_metrics)
    homogeneous_rows: int | None = None
    homogeneous_values: dict[str, int] | None = None  # one-valued classes: value -> records it is disclosed for
    homogeneous_rule: str | None = None
    homogeneous_ordered: bool | None = None  # numbers and dates: a sliver of the range also discloses
    homogeneous_class_ids: np.ndarray | None = field(default=None, repr=False)
    # the release rules (docs/design.md, "Publishable releases"); k alone leaves the defaults
    suppressed_rows: int = 0  # records suppressed by local suppression (QI cells missing, or rows removed)
    suppressed_share: float = 0.0  # of all the table's records
    suppressed_per_column: dict[str, int] = field(default_factory=dict)  # QI -> cells suppressed
    suppression: str | None = None  # 'missing' or 'remove' when suppression was allowed
    hierarchy_levels: dict = field(default_factory=dict)  # QI -> its hierarchy and records per level reached
    l_required: int | None = None
    l_kind: str | None = None
    t_required: float | None = None
    rule_notes: list[str] = field(default_factory=list)  # what the rules could not do

    SENSITIVE_KEYS = ("sensitive", "l_distinct", "l_entropy", "t_closeness", "homogeneous_classes",
                      "homogeneous_rows", "homogeneous_values", "homogeneous_rule", "homogeneous_ordered")

    @property
    def homogeneous_share(self) -> float | None:
        return None if self.homogeneous_rows is None else self.homogeneous_rows / self.n_rows

    def disclosure_reading(self) -> str:
        """The attribute-disclosure finding in one sentence ('' when no class discloses the sensitive attribute);
        every face shows this sentence, none words it again."""
        if not self.homogeneous_classes:
            return ""
        values = ", ".join(f"'{v}' for {n:,}" for v, n in list((self.homogeneous_values or {}).items())[:4])
        named = f" ({values} records)" if values else ""
        how = disclosure_rule(self.homogeneous_ordered, "all their records hold one value of it")
        return (f"{self.homogeneous_classes:,} of {self.n_classes:,} classes ({self.homogeneous_rows:,} records, "
                f"{self.homogeneous_share:.1%}) disclose '{self.sensitive}': {how}{named}. Anyone who finds a "
                f"person's class learns it, whatever k is (distinct l-diversity {self.l_distinct}).")

    def add_rules(self, result) -> None:
        """The figures of the release rules an `AnonymizationResult` applied (suppression, hierarchy levels,
        the l and t required); k, l and t achieved are measured on the release like any other table."""
        rules = result.release_rules
        if rules is None:
            return
        self.suppressed_rows = result.n_suppressed
        self.suppressed_share = result.n_suppressed / len(result.class_ids)
        # a record is suppressed in every QI at once (record-level suppression), so the counts per column agree
        self.suppressed_per_column = {str(q): result.n_suppressed for q in result.quasi_identifiers}
        self.suppression = rules.suppression if rules.max_suppression > 0 else None
        self.hierarchy_levels = result.hierarchy_levels()
        self.l_required = rules.l
        self.l_kind = rules.l_kind if rules.l is not None else None
        self.t_required = rules.t
        self.rule_notes = list(result.notes)

    def to_dict(self) -> dict:
        from .results import json_ready

        d = {f.name: getattr(self, f.name) for f in fields(self) if f.name != "homogeneous_class_ids"}
        if self.sensitive is None:
            for key in self.SENSITIVE_KEYS:
                d.pop(key)
        else:
            d["disclosure_reading"] = self.disclosure_reading()
        return json_ready(d)


def privacy_metrics(anonymized: pd.DataFrame, quasi_identifiers: list[str], k: int | None = None,
                    original: pd.DataFrame | None = None, sensitive: str | None = None,
                    risk_threshold: float = DEFAULT_RISK_THRESHOLD, fixed_ncp: dict | None = None) -> PrivacyMetrics:
    """All metrics of `anonymized`; GCP/NCP need the `original` (same index and rows). `fixed_ncp` holds the
    release rules' per-row NCP overrides (see `ncp_per_qi`)."""
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
        share_reidentification_risk=float(np.mean(row_risk > risk_threshold)),
    )
    if original is not None:
        if len(original) != n or not original.index.equals(anonymized.index):
            raise DataError("the original table must have the anonymized table's rows and index")
        metrics.ncp = ncp_per_qi(original, class_ids, qis, fixed_ncp)
        metrics.gcp = float(np.mean(list(metrics.ncp.values())))
    if sensitive is not None:
        if sensitive not in anonymized.columns:
            raise DataError(f"sensitive column '{sensitive}' not in the table")
        metrics.sensitive = sensitive
        # the true sensitive values: they differ from the anonymized ones only if it is also a QI
        values = (original if original is not None else anonymized)[sensitive]
        disclosure = sensitive_metrics(class_ids, values)
        add_disclosure(metrics, disclosure, column_kind(values) in ORDERED_KINDS, class_ids=class_ids,
                       reidentified=row_risk > risk_threshold, values=values)
    return metrics


def add_disclosure(metrics: PrivacyMetrics, disclosure: dict, ordered: bool, *, reidentified: np.ndarray,
                   class_ids: np.ndarray | None = None, values: pd.Series | None = None,
                   sizes: np.ndarray | None = None, disclosed: dict | None = None) -> None:
    """Put the sensitive attribute's figures on `metrics`: l, t, the disclosing classes, and `share_at_risk`
    as the share of records re-identifiable above the threshold OR in a disclosing class (the one rule).

    In memory: `class_ids` and the per-row `reidentified` mask; the Dask engine gives `sizes` per class and
    `reidentified` per class instead."""
    homogeneous = disclosure.pop("homogeneous")
    for key, value in disclosure.items():
        setattr(metrics, key, value)
    if class_ids is not None:
        at_risk = reidentified | homogeneous[class_ids]
        metrics.homogeneous_rows = int(homogeneous[class_ids].sum())
        metrics.homogeneous_values = disclosed_values(class_ids, values, homogeneous)
    else:
        at_risk_rows = sizes[reidentified | homogeneous].sum()
        at_risk = np.array([at_risk_rows / metrics.n_rows])
        metrics.homogeneous_rows = int(sizes[homogeneous].sum())
        metrics.homogeneous_values = disclosed
    metrics.share_at_risk = float(np.mean(at_risk))
    metrics.homogeneous_classes = int(homogeneous.sum())
    metrics.homogeneous_class_ids = np.flatnonzero(homogeneous)
    metrics.homogeneous_ordered = bool(ordered)
    metrics.homogeneous_rule = disclosure_rule(ordered, f"a class discloses '{metrics.sensitive}' when all its "
                                                        "records hold one value")


def disclosure_rule(ordered: bool, start: str) -> str:
    """The disclosure rule in words, after `start` (the one place it is worded)."""
    return start + (f", or their values span less than {NARROW_SHARE:.0%} of the column's range" if ordered else "")
