"""Numbers with their context: intervals, tests against chance, and the baselines a figure is read against.

A 600-row hold-out moves accuracy by a few points from one split to the next, and an attack AUC of
0.52 may be luck: every figure the tool shows gets its 95% interval or its p-value here, and a
reading calls a difference real only when it is larger than that noise (docs/design.md, "Utility").
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd

from .data import DataError

Z95 = 1.96
DEFAULT_RESAMPLES = 1000
_CHUNK_CELLS = 4_000_000  # resamples x rows held in memory at once


def _check_level(level: float) -> None:
    if not 0 < level < 1:
        raise DataError(f"the confidence level must be between 0 and 1, got {level}")


def wilson_interval(p: float, n: int, z: float = Z95) -> tuple[float, float]:
    """Wilson score interval of a proportion p observed on n rows (95% for z = 1.96).

    Unlike p ± z·sqrt(p(1-p)/n) it stays inside [0, 1] and is not zero-width at p = 0 or 1.
    """
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise DataError(f"an interval needs at least one row, got n = {n!r}")
    if not 0 <= p <= 1:
        raise DataError(f"a proportion lies between 0 and 1, got {p}")
    z2n = z * z / n
    centre = (p + z2n / 2) / (1 + z2n)
    half = z / (1 + z2n) * math.sqrt(p * (1 - p) / n + z2n / (4 * n))
    return max(0.0, centre - half), min(1.0, centre + half)


def balanced_accuracy_interval(truth_idx, pred_idx, z: float = Z95) -> tuple[float, float]:
    """95% interval of balanced accuracy, the mean of the K per-class recalls, that stays honest on a few rows.

    Balanced accuracy is a linear combination of K independent binomial proportions (each recall on its
    class's rows), so this is the Bonett-Price interval for such a combination (Price & Bonett 2004): every
    recall gets 2/K pseudo-successes in 4/K pseudo-trials before the normal approximation. With 20 rows
    whose recalls are all 0 or 1 the plain normal approximation gives a zero-width interval; this one does
    not. The interval always holds the observed balanced accuracy (it is widened to it where needed).
    """
    truth_idx, pred_idx = np.asarray(truth_idx), np.asarray(pred_idx)
    classes = np.unique(truth_idx)
    if len(classes) == 0:
        raise DataError("an interval needs at least one row")
    K = len(classes)
    observed, centre, variance = 0.0, 0.0, 0.0
    for c in classes:
        rows = truth_idx == c
        n_c, hits = int(rows.sum()), int(np.sum(pred_idx[rows] == c))
        observed += hits / n_c / K
        p = (hits + 2 / K) / (n_c + 4 / K)
        centre += p / K
        variance += p * (1 - p) / (n_c + 4 / K) / K ** 2
    half = z * math.sqrt(variance)
    return max(0.0, min(observed, centre - half)), min(1.0, max(observed, centre + half))


def accuracy_interval(y_true, y_pred, z: float = Z95) -> tuple[float, float]:
    """Wilson interval of the accuracy of `y_pred` on the rows of `y_true`."""
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    if y_true.shape != y_pred.shape:
        raise DataError(f"{len(y_true)} true labels but {len(y_pred)} predictions")
    return wilson_interval(float(np.mean(y_true == y_pred)), len(y_true), z)


def majority_rate(y) -> float:
    """Share of the most frequent class: the accuracy of always guessing it (missing labels ignored)."""
    values = pd.Series(np.asarray(y)).dropna()
    if len(values) == 0:
        raise DataError("no labels to count: the majority-class rate needs at least one")
    return float(values.value_counts().iloc[0] / len(values))


def mean_prediction_r2(y_true, mean: float) -> float:
    """R² of always predicting `mean` (the training mean): the regression counterpart of the majority rate."""
    y = np.asarray(y_true, dtype=float)
    total = float(np.sum((y - y.mean()) ** 2))
    if total == 0:
        raise DataError("R² is undefined: every held-out target value is the same")
    return 1.0 - float(np.sum((y - mean) ** 2)) / total


def _multiplicities(rng: np.random.Generator, n: int, size: int) -> np.ndarray:
    """(size, n) counts of how often each of n rows is drawn when n rows are drawn with replacement."""
    draws = rng.integers(0, n, size=(size, n)) + (np.arange(size) * n)[:, None]
    return np.bincount(draws.ravel(), minlength=size * n).reshape(size, n).astype(float)


def _bootstrap_weights(n: int, n_resamples: int, seed: int):
    """Row multiplicities of each bootstrap resample, a chunk of resamples at a time."""
    rng = np.random.default_rng(seed)
    step = max(1, _CHUNK_CELLS // max(n, 1))
    for start in range(0, n_resamples, step):
        yield _multiplicities(rng, n, min(step, n_resamples - start))


def _percentiles(values: np.ndarray, level: float) -> tuple[float, float]:
    lo, hi = np.nanquantile(values, [(1 - level) / 2, (1 + level) / 2])
    return float(lo), float(hi)


def r2_interval(y_true, y_pred, n_resamples: int = DEFAULT_RESAMPLES, seed: int = 0,
                level: float = 0.95) -> tuple[float, float]:
    """Percentile bootstrap interval of R² over the hold-out rows (seeded; resamples of one value are skipped)."""
    _check_level(level)
    y, f = np.asarray(y_true, dtype=float), np.asarray(y_pred, dtype=float)
    if y.shape != f.shape or y.ndim != 1 or len(y) < 2:
        raise DataError("R² needs at least two held-out rows, with one prediction each")
    stats = []
    for w in _bootstrap_weights(len(y), n_resamples, seed):
        residual = w @ (y - f) ** 2
        total = w @ y ** 2 - (w @ y) ** 2 / len(y)
        with np.errstate(divide="ignore", invalid="ignore"):
            stats.append(np.where(total > 1e-12 * max(1.0, float(y @ y)), 1 - residual / total, np.nan))
    return _percentiles(np.concatenate(stats), level)


def _weighted_metric(key: str, rows: dict, W: np.ndarray) -> np.ndarray:
    """One headline metric on every bootstrap resample (rows of multiplicities W) of one model's hold-out rows.

    rows: {"truth": class codes, "pred": predicted codes} for classification, {"y": ..., "pred": ...} for
    regression (`utility` keeps them on each `Utility`)."""
    if key == "r2":
        y, f = rows["y"], rows["pred"]
        residual = W @ (y - f) ** 2
        total = W @ y ** 2 - (W @ y) ** 2 / len(y)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(total > 1e-12 * max(1.0, float(y @ y)), 1 - residual / total, np.nan)
    correct = (rows["pred"] == rows["truth"]).astype(float)
    if key == "accuracy":
        return (W @ correct) / W.sum(axis=1)
    recalls = []
    for c in np.unique(rows["truth"]):
        mask = (rows["truth"] == c).astype(float)
        n_c = W @ mask
        with np.errstate(divide="ignore", invalid="ignore"):
            recalls.append(np.where(n_c > 0, (W @ (mask * correct)) / n_c, np.nan))
    return np.nanmean(np.vstack(recalls), axis=0)


def paired_differences(key: str, reference: dict, others: list[dict], n_resamples: int = DEFAULT_RESAMPLES,
                       seed: int = 0, level: float = 0.95) -> list[tuple[float, float] | None]:
    """95% intervals of (other − reference) for a headline metric, every model scored on the same hold-out rows:
    a paired percentile bootstrap (the same resamples for every model, seeded). Two models scored on the same rows
    err on many of the same ones, so their difference is far less noisy than either figure, and an interval on
    each figure alone would call most real differences noise. None where the rows are not the same."""
    _check_level(level)
    n = len(reference["truth"] if "truth" in reference else reference["y"])
    diffs = [[] for _ in others]
    truth = "truth" if "truth" in reference else "y"
    same = [rows is not None and len(rows[truth]) == n and np.array_equal(rows[truth], reference[truth])
            for rows in others]  # scored on the same rows: the same truth, row by row
    for W in _bootstrap_weights(n, n_resamples, seed):
        base = _weighted_metric(key, reference, W)
        for i, rows in enumerate(others):
            if same[i]:
                diffs[i].append(_weighted_metric(key, rows, W) - base)
    return [_percentiles(np.concatenate(d), level) if d else None for d in diffs]


def bootstrap_interval(metric, y_true, y_pred, n_resamples: int = DEFAULT_RESAMPLES, seed: int = 0,
                       level: float = 0.95) -> tuple[float, float]:
    """Percentile bootstrap interval of any `metric(y_true, y_pred)` over the rows (seeded; slower than the above)."""
    _check_level(level)
    y, f = np.asarray(y_true), np.asarray(y_pred)
    if len(y) != len(f) or len(y) == 0:
        raise DataError("a bootstrap needs rows, with one prediction each")
    rng = np.random.default_rng(seed)
    values = [metric(y[idx], f[idx]) for idx in rng.integers(0, len(y), size=(n_resamples, len(y)))]
    return _percentiles(np.asarray(values, dtype=float), level)


# --- attack AUC against chance -------------------------------------------------------------------

@dataclass(frozen=True)
class AucTest:
    """ROC AUC of member vs non-member scores, tested against 0.5 with the Mann-Whitney U test."""

    auc: float
    u: float  # Mann-Whitney U of the members: pairs (member, non-member) the member wins, ties counting half
    z: float
    p_value: float
    n_members: int
    n_nonmembers: int
    alternative: str

    def to_dict(self) -> dict:
        return asdict(self)


def _scores(values, name: str) -> np.ndarray:
    out = np.asarray(values, dtype=float).ravel()
    if len(out) == 0:
        raise DataError(f"no {name} scores: the test needs at least one of each")
    if np.isnan(out).any():
        raise DataError(f"the {name} scores hold missing values")
    return out


def auc_against_chance(member_scores, nonmember_scores, alternative: str = "two-sided") -> AucTest:
    """AUC = U / (n1 n0) and the p-value of U under 'the attack is guessing' (normal approximation).

    Ties get average ranks and the variance its tie correction; no continuity correction, so the
    p-value equals scipy.stats.mannwhitneyu(..., method="asymptotic", use_continuity=False).
    `alternative`: "two-sided", or "greater" (the attack beats guessing).
    """
    if alternative not in ("two-sided", "greater"):
        raise DataError(f"unknown alternative '{alternative}'; use 'two-sided' or 'greater'")
    m, o = _scores(member_scores, "member"), _scores(nonmember_scores, "non-member")
    n1, n0 = len(m), len(o)
    n = n1 + n0
    _, inverse, counts = np.unique(np.r_[m, o], return_inverse=True, return_counts=True)
    average_rank = np.cumsum(counts) - (counts - 1) / 2.0
    u = float(average_rank[inverse[:n1]].sum() - n1 * (n1 + 1) / 2.0)
    ties = float(np.sum(counts.astype(float) ** 3 - counts))
    variance = n1 * n0 / 12.0 * ((n + 1) - ties / (n * (n - 1))) if n > 1 else 0.0
    z = (u - n1 * n0 / 2.0) / math.sqrt(variance) if variance > 0 else 0.0
    p = math.erfc(abs(z) / math.sqrt(2)) if alternative == "two-sided" else 0.5 * math.erfc(z / math.sqrt(2))
    return AucTest(auc=u / (n1 * n0), u=u, z=z, p_value=min(1.0, p), n_members=n1, n_nonmembers=n0,
                   alternative=alternative)


def auc_interval(member_scores, nonmember_scores, n_resamples: int = DEFAULT_RESAMPLES, seed: int = 0,
                 level: float = 0.95) -> tuple[float, float]:
    """Percentile bootstrap interval of the AUC, members and non-members resampled separately (seeded).

    Every resample's AUC is computed from counts over the sorted non-member scores, so a thousand
    resamples of ten thousand scores take a fraction of a second.
    """
    _check_level(level)
    m, o = _scores(member_scores, "member"), _scores(nonmember_scores, "non-member")
    order = np.argsort(o, kind="stable")
    sorted_o = o[order]
    below = np.searchsorted(sorted_o, m, side="left")  # non-members scoring below each member
    up_to = np.searchsorted(sorted_o, m, side="right")  # ... below or equal
    n1, n0 = len(m), len(o)
    rng = np.random.default_rng(seed)
    out = []
    step = max(1, _CHUNK_CELLS // max(n1, n0))
    for start in range(0, n_resamples, step):
        size = min(step, n_resamples - start)
        wm = _multiplicities(rng, n1, size)
        wo = _multiplicities(rng, n0, size)[:, order]
        cum = np.concatenate([np.zeros((size, 1)), np.cumsum(wo, axis=1)], axis=1)
        wins = cum[:, below] + 0.5 * (cum[:, up_to] - cum[:, below])  # per member: non-members beaten
        out.append(np.einsum("ij,ij->i", wm, wins) / (n1 * n0))
    return _percentiles(np.concatenate(out), level)


# --- reading differences -------------------------------------------------------------------------

def within_noise(a: float, b: float, interval_a: tuple[float, float],
                 interval_b: tuple[float, float] | None = None) -> bool:
    """True when b - a is smaller than the noise of the two figures.

    Each figure's noise is the half-width of its 95% interval on the side facing the other figure;
    for independent figures the difference's own half-width is about sqrt(ha² + hb²), and the
    difference is within noise when it does not exceed that. Leave out `interval_b` when b is exact
    (a fixed baseline). For two figures on the same rows this errs towards "within noise".
    """
    lo_a, hi_a = interval_a
    if not lo_a <= a <= hi_a:
        raise DataError(f"{a} lies outside its own interval [{lo_a}, {hi_a}]")
    half_a = (hi_a - a) if b >= a else (a - lo_a)
    half_b = 0.0
    if interval_b is not None:
        lo_b, hi_b = interval_b
        if not lo_b <= b <= hi_b:
            raise DataError(f"{b} lies outside its own interval [{lo_b}, {hi_b}]")
        half_b = (b - lo_b) if b >= a else (hi_b - b)
    return abs(b - a) <= math.hypot(half_a, half_b) + 1e-12
