"""The anonymizers: accuracy-guided (Goldsteen et al. 2021), Mondrian (LeFevre et al. 2006), QIs dropped.

Both anonymizers are scikit-learn style estimators: parameters in `__init__`, `fit(X, y)` learns
the grouping and leaves the anonymization of X in `result_`, `fit_transform` returns its frame.
"""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor
from sklearn.utils.multiclass import type_of_target

from .classes import (
    AnonymizationResult,
    OrderedCodes,
    apply_classes,
    class_table,
    group_into_classes,
    ordered_codes,
    value_numbers,
)
from .data import ORDERED_KINDS, DataError, as_numbers, check_finite, check_k, check_seed, column_kind

TREE_FEATURES = ("all", "qi")


def _check_input(X, quasi_identifiers, k) -> list[str]:
    if not isinstance(X, pd.DataFrame):
        raise DataError("X must be a pandas DataFrame with named columns")
    if not quasi_identifiers:
        raise DataError("no quasi-identifiers given; name at least one column")
    qis = list(quasi_identifiers)
    missing = [q for q in qis if q not in X.columns]
    if missing:
        raise DataError(f"quasi-identifier column(s) not in the data: {missing}")
    if len(set(qis)) != len(qis):
        raise DataError("a quasi-identifier is listed twice")
    check_k(k, len(X))
    check_finite(X, qis)
    return qis


class TreeEncoder(BaseEstimator, TransformerMixin):
    """Features as floats a decision tree can split: numbers as they are and dates as day numbers
    (NaN kept, the tree handles it), categories as ordinal codes ordered by the guiding labels.

    Ordering categories by the mean of the label (binary: share of the majority prediction;
    regression: mean prediction) lets one threshold split any category set an optimal binary
    split would (Breiman et al. 1984), so the tree needs far fewer nodes than with arbitrary codes.
    Missing is a category of its own; categories unseen in fit become NaN.
    """

    def fit(self, X: pd.DataFrame, y):
        self.fit_transform(X, y)
        return self

    def fit_transform(self, X: pd.DataFrame, y=None, **fit_params) -> np.ndarray:
        """Learn the orders and encode X in one pass (each column is factorized once)."""
        y = np.asarray(y)
        if type_of_target(y) == "continuous":
            score = y.astype(float)
        else:
            labels, _ = pd.factorize(y)
            score = (labels == np.bincount(labels).argmax()).astype(float)
        self.columns_ = list(X.columns)
        # per categorical column: (its sorted values, the rank of every code; missing is the last code)
        self.ranks_: dict[str, tuple[pd.Index, np.ndarray] | None] = {}
        self.encodings_: dict[str, OrderedCodes] = {}
        out = np.empty((len(X), len(self.columns_)), dtype=np.float32)
        for j, col in enumerate(self.columns_):
            if column_kind(X[col]) in ORDERED_KINDS:
                self.ranks_[col] = None
                out[:, j] = as_numbers(X[col])
                continue
            enc = self.encodings_[col] = ordered_codes(X[col])
            sums = np.bincount(enc.codes, weights=score, minlength=enc.n_codes)
            counts = np.bincount(enc.codes, minlength=enc.n_codes)
            seen = np.flatnonzero(counts)
            rank = np.full(enc.n_codes, np.nan)
            rank[seen[np.lexsort((seen, sums[seen] / counts[seen]))]] = np.arange(len(seen))
            self.ranks_[col] = (pd.Index(enc.values), rank)
            out[:, j] = rank[enc.codes]
        return out

    def transform(self, X: pd.DataFrame) -> np.ndarray:
        out = np.empty((len(X), len(self.columns_)), dtype=np.float32)
        for j, col in enumerate(self.columns_):
            if self.ranks_[col] is None:
                out[:, j] = as_numbers(X[col])
                continue
            values, rank = self.ranks_[col]
            codes = values.get_indexer(X[col])  # -1 for missing and for unseen values
            missing = X[col].isna().to_numpy()
            codes[missing] = len(values)
            out[:, j] = np.where(codes >= 0, rank[codes], np.nan)
        return out


class AccuracyGuidedAnonymizer(BaseEstimator, TransformerMixin):
    """k-anonymity guided by a model's predictions (Goldsteen et al., DPM 2021).

    A decision tree is fit on (X, the model's predictions on X) with at least k records a leaf;
    each leaf's records get, for every QI, one representative value (numeric: the actual value
    closest to the leaf's median; categorical: the most frequent value). Leaves that end with the
    same representative tuple form one class, so every class holds at least k records.

    Parameters
    ----------
    k : int, minimum class size.
    quasi_identifiers : list of column names to generalize.
    tree_features : 'qi' (default: the tree sees only the QIs) or 'all' (every column of X).
        On Adult the QI-only tree keeps more accuracy at every k (bench/engine.py).
    random_state : seed of the tree (it breaks ties between equally good splits).
    """

    def __init__(self, k: int = 10, quasi_identifiers=None, tree_features: str = "qi",
                 random_state: int = 0):
        self.k = k
        self.quasi_identifiers = quasi_identifiers
        self.tree_features = tree_features
        self.random_state = random_state

    def fit(self, X: pd.DataFrame, y):
        """Learn the classes from X and the model's predictions y on X; the result is `result_`."""
        qis = _check_input(X, self.quasi_identifiers, self.k)
        if self.tree_features not in TREE_FEATURES:
            raise DataError(f"tree_features must be one of {TREE_FEATURES}, got {self.tree_features!r}")
        y = np.asarray(y)
        if len(y) != len(X):
            raise DataError(f"got {len(y)} predictions for {len(X)} rows; give one prediction per row")
        if pd.isna(y).any():
            raise DataError("the predictions contain missing values")
        check_seed(self.random_state)
        start = time.perf_counter()
        self.tree_columns_ = list(X.columns) if self.tree_features == "all" else qis
        check_finite(X, self.tree_columns_)
        self.encoder_ = TreeEncoder()
        Z = self.encoder_.fit_transform(X[self.tree_columns_], y)
        if type_of_target(y) == "continuous":
            tree = DecisionTreeRegressor(min_samples_leaf=self.k, random_state=self.random_state)
        else:  # integer labels: the tree need not sort the (often string) predictions again
            tree = DecisionTreeClassifier(min_samples_leaf=self.k, random_state=self.random_state)
            y = pd.factorize(y)[0]
        self.tree_ = tree.fit(Z, y)
        self.leaf_ids_, groups = np.unique(self.tree_.apply(Z), return_inverse=True)
        self.grouping_ = group_into_classes(X, qis, groups, len(self.leaf_ids_), self.encoder_.encodings_)
        class_ids = self.grouping_.class_of_group[groups]
        data = apply_classes(X, qis, self.grouping_, class_ids)
        classes = class_table(X, qis, self.grouping_, class_ids)
        seconds = time.perf_counter() - start
        self.result_ = AnonymizationResult(data, class_ids, classes, qis, self.k,
                                           "accuracy-guided", seconds)
        return self

    def transform(self, X: pd.DataFrame) -> pd.DataFrame:
        """Generalize any records (e.g. new ones) with the classes learned in fit.

        Only on the fitted records is every class guaranteed k rows; new records are mapped to
        the class of the leaf they fall in.
        """
        if not hasattr(self, "result_"):
            raise DataError("fit the anonymizer before calling transform")
        missing = [c for c in self.tree_columns_ if c not in X.columns]
        if missing:
            raise DataError(f"columns the anonymizer was fit on are missing: {missing}")
        leaves = self.tree_.apply(self.encoder_.transform(X[self.tree_columns_]))
        class_ids = self.grouping_.class_of_group[np.searchsorted(self.leaf_ids_, leaves)]
        return apply_classes(X, self.result_.quasi_identifiers, self.grouping_, class_ids)

    def fit_transform(self, X: pd.DataFrame, y=None, **fit_params) -> pd.DataFrame:
        return self.fit(X, y).result_.data


class MondrianAnonymizer(BaseEstimator):
    """Classic k-anonymity by Mondrian partitioning (LeFevre et al., ICDE 2006), strict version.

    A partition is split on the QI with the widest normalized range (numeric: value range over
    the column's range; categorical: range of codes in sorted value order over the number of
    codes) at its median, if both halves keep at least k records; otherwise the next-widest QI
    is tried. Missing values sort last. Representatives follow the accuracy-guided rule, so a
    comparison of the two isolates the partitioning.
    """

    def __init__(self, k: int = 10, quasi_identifiers=None):
        self.k = k
        self.quasi_identifiers = quasi_identifiers

    @staticmethod
    def _scales(encs: list[OrderedCodes]) -> list[np.ndarray]:
        """Per QI, a position for every code so that position differences are normalized widths."""
        scales = []
        for enc in encs:
            if enc.kind in ORDERED_KINDS and len(enc.values) > 1:  # numbers, dates by day
                numbers = value_numbers(enc)
                pos = (numbers - numbers[0]) / (numbers[-1] - numbers[0])
                scales.append(np.append(pos, 1.0 + 1e-6))  # missing sorts just above the top of the range
            else:
                scales.append(np.arange(enc.n_codes) / max(enc.n_codes - 1, 1))
        return scales

    def _partition(self, codes: np.ndarray, scales: list[np.ndarray]) -> np.ndarray:
        """Group id per row: the leaves of the recursive median splits."""
        k, n = self.k, len(codes)
        groups = np.empty(n, dtype=np.int64)
        n_groups = 0
        stack = [np.arange(n)]
        while stack:
            idx = stack.pop()
            sub = codes[idx]
            lo, hi = sub.min(axis=0), sub.max(axis=0)
            widths = np.array([s[b] - s[a] for s, a, b in zip(scales, lo, hi)])
            split = None
            if len(idx) >= 2 * k:
                for j in np.argsort(-widths, kind="stable"):
                    if lo[j] == hi[j]:
                        continue
                    col = sub[:, j]
                    median = np.partition(col, (len(col) - 1) // 2)[(len(col) - 1) // 2]
                    for left in (col <= median, col < median):
                        n_left = int(left.sum())
                        if k <= n_left <= len(idx) - k:
                            split = left
                            break
                    if split is not None:
                        break
            if split is None:
                groups[idx] = n_groups
                n_groups += 1
            else:
                stack.append(idx[~split])
                stack.append(idx[split])
        return groups

    def fit(self, X: pd.DataFrame, y=None):
        """Partition X on its QIs; `y` is ignored (Mondrian does not look at a model)."""
        qis = _check_input(X, self.quasi_identifiers, self.k)
        start = time.perf_counter()
        encs = {q: ordered_codes(X[q]) for q in qis}
        codes = np.column_stack([encs[q].codes for q in qis])
        groups = self._partition(codes, self._scales([encs[q] for q in qis]))
        n_groups = int(groups.max()) + 1
        self.grouping_ = group_into_classes(X, qis, groups, n_groups, encs)
        class_ids = self.grouping_.class_of_group[groups]
        data = apply_classes(X, qis, self.grouping_, class_ids)
        classes = class_table(X, qis, self.grouping_, class_ids)
        seconds = time.perf_counter() - start
        self.result_ = AnonymizationResult(data, class_ids, classes, qis, self.k, "mondrian", seconds)
        return self

    def fit_transform(self, X: pd.DataFrame, y=None) -> pd.DataFrame:
        return self.fit(X, y).result_.data


def drop_quasi_identifiers(X: pd.DataFrame, quasi_identifiers) -> pd.DataFrame:
    """The QIs-dropped baseline: the table without its QI columns (the price of not generalizing)."""
    missing = [q for q in quasi_identifiers if q not in X.columns]
    if missing:
        raise DataError(f"quasi-identifier column(s) not in the data: {missing}")
    return X.drop(columns=list(quasi_identifiers))


def anonymizer_for(method: str, k: int, quasi_identifiers, random_state: int = 0,
                   tree_features: str = "qi"):
    """The anonymizer named by `method`: 'ag' (accuracy-guided) or 'mondrian'."""
    if method == "ag":
        return AccuracyGuidedAnonymizer(k, quasi_identifiers, tree_features, random_state)
    if method == "mondrian":
        return MondrianAnonymizer(k, quasi_identifiers)
    raise DataError(f"unknown method '{method}'; use 'ag' or 'mondrian'")


def anonymize_table(table: pd.DataFrame, quasi_identifiers, k: int, method: str = "ag", target: str | None = None,
                    guide=None, random_state: int = 0, tree_features: str = "qi") -> AnonymizationResult:
    """Anonymize a whole table: every column but the QIs (the target included) stays as it is.

    `guide` holds the model's predictions for every row (needed by 'ag'); the target column is
    kept out of what the anonymizer sees, since the model would not see it either.
    """
    import dataclasses

    features = table.drop(columns=[target]) if target is not None else table
    anonymizer = anonymizer_for(method, k, quasi_identifiers, random_state, tree_features)
    if method == "ag" and guide is None:
        raise DataError("the accuracy-guided method needs the model's predictions (a target and a model)")
    result = anonymizer.fit(features, guide).result_
    if target is None:
        return result
    data = table.copy()
    data[result.quasi_identifiers] = result.data[result.quasi_identifiers]
    return dataclasses.replace(result, data=data)
