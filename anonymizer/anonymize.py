"""The anonymizers: accuracy-guided (Goldsteen et al. 2021), Mondrian (LeFevre et al. 2006), QIs dropped.

Both anonymizers are scikit-learn estimators: keyword-only parameters in `__init__`, `fit(X, y)`
learns the grouping, `anonymize(X, y)` fits and returns the anonymization of X (an
`AnonymizationResult`: the frame, every row's class, the class table), `fit_transform` returns its
frame, `transform` generalizes new records (NotFittedError before fit), `get_feature_names_out`
makes `set_output(transform="pandas")` work. A fitted anonymizer keeps only what `transform` needs:
no row of the training table, QI or not, can be read back from it or from its pickle.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from .classes import (
    LEVEL,
    MAX,
    MIN,
    NODE,
    VALUES,
    AnonymizationResult,
    Grouping,
    OrderedCodes,
    apply_classes,
    class_table,
    group_into_classes,
    ordered_codes,
    value_numbers,
)
from .constraints import NO_RULES, Diversity, ReleaseRules
from .data import (
    NUMERIC,
    ORDERED_KINDS,
    DataError,
    as_numbers,
    check_finite,
    check_k,
    check_seed,
    column_kind,
)
from .publishable import BoundaryFeature, boundary_view, fit_nodes, release_classes
from .trees import (
    BinnedTree,
    ExactTree,
    GuideLabels,
    HistogramTree,
    finish_warm_up,
    guide_labels,
    merge_leaves,
    merge_small_leaves,
)

TREE_FEATURES = ("all", "qi")
SPLITTERS = ("auto", "histogram", "lightgbm", "exact")


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


class TreeEncoder(TransformerMixin, BaseEstimator):
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
        return self.fit_encode(X, y)[0]

    def fit_encode(self, X: pd.DataFrame, y) -> tuple[np.ndarray, dict[str, OrderedCodes]]:
        """Learn the orders and encode X in one pass (each column is factorized once).

        Also returns the codes of every categorical column, for the caller to reuse; the encoder
        does not keep them (a fitted encoder holds no row of X).
        """
        labels = y if isinstance(y, GuideLabels) else guide_labels(y)
        score = labels.score()
        self.columns_ = list(X.columns)
        # per categorical column: (its sorted values, the rank of every code; missing is the last code)
        self.ranks_: dict[str, tuple[np.ndarray, np.ndarray] | None] = {}
        encodings: dict[str, OrderedCodes] = {}
        out = np.empty((len(X), len(self.columns_)), dtype=np.float32)
        for j, col in enumerate(self.columns_):
            kind = column_kind(X[col])
            if kind in ORDERED_KINDS:
                self.ranks_[col] = None
                out[:, j] = as_numbers(X[col])
                continue
            enc = encodings[col] = ordered_codes(X[col], kind)
            sums = np.bincount(enc.codes, weights=score, minlength=enc.n_codes)
            counts = np.bincount(enc.codes, minlength=enc.n_codes)
            seen = np.flatnonzero(counts)
            rank = np.full(enc.n_codes, np.nan)
            rank[seen[np.lexsort((seen, sums[seen] / counts[seen]))]] = np.arange(len(seen))
            self.ranks_[col] = (enc.values, rank)
            out[:, j] = rank[enc.codes]
        return out, encodings

    def transform(self, X: pd.DataFrame) -> np.ndarray:
        out = np.empty((len(X), len(self.columns_)), dtype=np.float32)
        for j, col in enumerate(self.columns_):
            if self.ranks_[col] is None:
                out[:, j] = as_numbers(X[col])
                continue
            values, rank = self.ranks_[col]
            codes = pd.Index(values).get_indexer(X[col])  # -1 for missing and for unseen values
            missing = X[col].isna().to_numpy()
            codes[missing] = len(values)
            out[:, j] = np.where(codes >= 0, rank[codes], np.nan)
        return out


class _Generalizer(TransformerMixin, BaseEstimator):
    """What both anonymizers share: input columns kept, fitted state stripped of the rows."""

    def get_feature_names_out(self, input_features=None) -> np.ndarray:
        """The output has the input's columns (only QI cells change), so `set_output` works."""
        check_is_fitted(self, "feature_names_in_")
        return np.asarray(self.feature_names_in_, dtype=object)

    def _remember_input(self, X: pd.DataFrame) -> None:
        self.feature_names_in_ = np.asarray(X.columns, dtype=object)
        self.n_features_in_ = X.shape[1]

    def _check_transform_input(self, X, needed) -> None:
        check_is_fitted(self, "grouping_")
        if not isinstance(X, pd.DataFrame):
            raise DataError("X must be a pandas DataFrame with named columns")
        missing = [c for c in needed if c not in X.columns]
        if missing:
            raise DataError(f"columns the anonymizer was fit on are missing: {missing}")

    def _rules_setup(self, X: pd.DataFrame, qis: list[str], sensitive_values) -> _RulesSetup:
        """The release rules fitted to X: hierarchy nodes, boundary features and the k/l/t test."""
        rules = self.rules if self.rules is not None else NO_RULES
        if not isinstance(rules, ReleaseRules):
            raise DataError("rules must be a ReleaseRules")
        if sensitive_values is None and getattr(self, "sensitive", None) is not None:
            if self.sensitive not in X.columns:
                raise DataError(f"sensitive column '{self.sensitive}' not in the data")
            sensitive_values = X[self.sensitive]
        if rules.needs_sensitive and sensitive_values is None:
            raise DataError("l-diversity and t-closeness need a sensitive attribute")
        if sensitive_values is not None and len(sensitive_values) != len(X):
            raise DataError(f"got {len(sensitive_values)} sensitive values for {len(X)} rows")
        for column, hierarchy in rules.hierarchies:
            if column not in qis:
                raise DataError(f"a hierarchy is given for '{column}', which is not a quasi-identifier")
            hierarchy.check_column(X[column])
        if sensitive_values is not None and not isinstance(sensitive_values, pd.Series):
            sensitive_values = pd.Series(sensitive_values)
        diversity = Diversity(rules, sensitive_values if rules.needs_sensitive else None, self.k)
        diversity.check_table()
        encodings = {q: ordered_codes(X[q]) for q, _ in rules.hierarchies}
        nodes = fit_nodes(X, rules, encodings)
        boundary = ({q: BoundaryFeature.fit(encodings[q], nodes[q]) for q in nodes}
                    if rules.hierarchy_splits == "boundary" else {})
        return _RulesSetup(rules, diversity, encodings, nodes, boundary)

    def _finish(self, X, qis, groups, n_groups, encodings, method, start,
                setup: _RulesSetup | None = None) -> tuple[Grouping, AnonymizationResult]:
        """Representatives, classes and the result for rows already grouped; keeps only the row-free grouping.
        With hierarchies or suppression, the release rules decide the classes (`publishable.release_classes`)."""
        rules = setup.rules if setup is not None else NO_RULES
        extra = {}
        if rules.hierarchies or rules.max_suppression > 0:
            encodings = {q: setup.encodings.get(q) or encodings.get(q) or ordered_codes(X[q]) for q in qis}
            released = release_classes(X, qis, groups, n_groups, encodings, setup.nodes, rules, setup.diversity)
            grouping, class_ids = released.grouping, released.class_ids
            data = apply_classes(X, qis, grouping, class_ids)
            classes = class_table(X, qis, grouping, class_ids)
            for q, cn in setup.nodes.items():
                ids = released.class_nodes[q]
                classes[f"{q}{NODE}"] = np.append(cn.labels, None).astype(object)[ids]
                names = np.append(np.asarray(cn.level_names, dtype=object), None)
                classes[f"{q}{LEVEL}"] = names[np.where(ids >= 0, cn.depth[np.maximum(ids, 0)], -1)]
            if released.suppressed is not None:
                classes["suppressed"] = classes.index == (released.suppressed_class
                                                          if released.suppressed_class is not None else -1)
                if released.suppressed_class is not None:
                    data = _suppress_cells(data, qis, released.suppressed)
                    _blank_class(classes, qis, released.suppressed_class)
            extra = dict(release_rules=rules, nodes=setup.nodes, class_nodes=released.class_nodes,
                         suppressed=released.suppressed, notes=released.notes)
        else:
            grouping = group_into_classes(X, qis, groups, n_groups, encodings)
            class_ids = grouping.class_of_group[groups]
            data = apply_classes(X, qis, grouping, class_ids)
            classes = class_table(X, qis, grouping, class_ids)
            if rules.active:
                extra = dict(release_rules=rules)
        result = AnonymizationResult(data, class_ids, classes, qis, self.k, method, time.perf_counter() - start,
                                     **extra)
        self.quasi_identifiers_ = qis
        self._remember_input(X)
        self.grouping_ = _without_rows(grouping, X)
        return grouping, result

    def fit(self, X: pd.DataFrame, y=None):
        """Learn the classes from X (and, accuracy-guided, the model's predictions y on X)."""
        self.anonymize(X, y)
        return self

    def fit_transform(self, X: pd.DataFrame, y=None, **fit_params) -> pd.DataFrame:
        """The anonymized X (the frame of `anonymize(X, y)`)."""
        return self.anonymize(X, y).data


@dataclass
class _RulesSetup:
    rules: ReleaseRules
    diversity: Diversity
    encodings: dict  # hierarchy QI -> its codes
    nodes: dict  # hierarchy QI -> publishable.ColumnNodes
    boundary: dict  # hierarchy QI -> publishable.BoundaryFeature ('boundary' splits only)


def _suppress_cells(data: pd.DataFrame, qis: list[str], mask: np.ndarray) -> pd.DataFrame:
    """The suppressed records' QI cells set to missing (integer and boolean columns become nullable)."""
    for q in qis:
        col = data[q]
        if pd.api.types.is_integer_dtype(col.dtype) and not isinstance(col.dtype, pd.api.extensions.ExtensionDtype):
            col = col.astype("Int64")
        elif col.dtype == bool:
            col = col.astype("boolean")
        data[q] = col.mask(mask)
    return data


def _blank_class(classes: pd.DataFrame, qis: list[str], cid: int) -> None:
    """The suppressed class shows no value of any QI."""
    for q in qis:
        for column in (q, f"{q}{MIN}", f"{q}{MAX}"):
            if column in classes.columns:
                if pd.api.types.is_integer_dtype(classes[column].dtype) and \
                        not isinstance(classes[column].dtype, pd.api.extensions.ExtensionDtype):
                    classes[column] = classes[column].astype("Int64")
                elif classes[column].dtype == bool:
                    classes[column] = classes[column].astype("boolean")
                classes.loc[cid, column] = None
        if f"{q}{VALUES}" in classes.columns:
            classes.at[cid, f"{q}{VALUES}"] = ()


def _without_rows(grouping: Grouping, X: pd.DataFrame) -> Grouping:
    """The grouping `transform` needs: per group its class, per class its representatives.

    Drops the per-row codes of every QI, and of a categorical QI's values keeps only those that
    are representatives, so a fitted (or pickled) anonymizer cannot give back the original columns.
    """
    reps, encodings = {}, {}
    for q, enc in grouping.encodings.items():
        rep = grouping.class_reps[q]
        if enc.kind == NUMERIC:
            encodings[q], reps[q] = OrderedCodes(enc.kind, _NO_ROWS, np.empty(0)), rep
        elif isinstance(X[q].dtype, pd.CategoricalDtype):  # codes index the dtype's own categories
            encodings[q], reps[q] = OrderedCodes(enc.kind, _NO_ROWS, enc.values), rep
        else:
            used = np.unique(rep[rep != enc.missing_code])
            codes = np.where(rep == enc.missing_code, len(used), np.searchsorted(used, rep))
            encodings[q], reps[q] = OrderedCodes(enc.kind, _NO_ROWS, enc.values[used]), codes
    return Grouping(grouping.class_of_group, reps, encodings, grouping.n_classes)


_NO_ROWS = np.empty(0, dtype=np.int64)


class AccuracyGuidedAnonymizer(_Generalizer):
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
    splitter : 'histogram' (splits on binned features: `BinnedTree`, compiled with numba),
        'lightgbm' (the same rule as one LightGBM tree, on `n_jobs` threads), 'exact' (sklearn's
        tree, sorts at every node) or 'auto' (default): histogram for binary and continuous
        guides, exact for multiclass ones (neither histogram tree holds a multiclass Gini split).
        bench/splitters.py compares the retrained accuracy of histogram and exact.
    random_state : seed of the exact and LightGBM trees (they break ties between equally good
        splits at random; `BinnedTree` takes the first in a fixed order, see its docstring).
    n_jobs : threads of the LightGBM tree (its threads busy-wait; 1 suits a shared machine).
    rules : a `constraints.ReleaseRules` (hierarchies, local suppression, l, t), or None for k alone. l and t
        are enforced by merging, bottom-up along the grown tree, the leaves that break them.
    sensitive : the column of X whose values l and t constrain (or pass `sensitive_values` to `anonymize`).

    Fitted attributes: `tree_`, `encoder_`, `grouping_` (leaf -> class, class -> representatives);
    none of them holds a row of X. `anonymize(X, y)` fits and returns the anonymization of X.
    """

    def __init__(self, *, k: int = 10, quasi_identifiers=None, tree_features: str = "qi",
                 splitter: str = "auto", random_state: int = 0, n_jobs: int = 1, rules=None,
                 sensitive: str | None = None):
        self.k = k
        self.quasi_identifiers = quasi_identifiers
        self.tree_features = tree_features
        self.splitter = splitter
        self.random_state = random_state
        self.n_jobs = n_jobs
        self.rules = rules
        self.sensitive = sensitive

    def _tree(self, labels: GuideLabels):
        if self.splitter not in SPLITTERS:
            raise DataError(f"splitter must be one of {SPLITTERS}, got {self.splitter!r}")
        histogram = labels.continuous or labels.n_classes <= 2
        if self.splitter in ("histogram", "lightgbm") and not histogram:
            raise DataError(f"the {self.splitter} splitter needs binary or continuous predictions, got "
                            f"{labels.n_classes} classes; use splitter='exact' or 'auto'")
        if self.splitter == "exact" or not histogram:
            return ExactTree(self.k, self.random_state, labels.continuous)
        if self.splitter == "lightgbm":
            return HistogramTree(self.k, self.random_state, self.n_jobs)
        return BinnedTree(self.k)

    def anonymize(self, X: pd.DataFrame, y, sensitive_values=None) -> AnonymizationResult:
        """Fit on X and the model's predictions y on X; returns the anonymization of X (not kept).
        `sensitive_values` (one per row) are what l and t constrain, when the rules ask for them."""
        qis = _check_input(X, self.quasi_identifiers, self.k)
        if self.tree_features not in TREE_FEATURES:
            raise DataError(f"tree_features must be one of {TREE_FEATURES}, got {self.tree_features!r}")
        y = np.asarray(y)
        if len(y) != len(X):
            raise DataError(f"got {len(y)} predictions for {len(X)} rows; give one prediction per row")
        if pd.isna(y).any():
            raise DataError("the predictions contain missing values")
        check_seed(self.random_state)
        finish_warm_up()
        start = time.perf_counter()
        labels = guide_labels(y)
        tree_columns = list(X.columns) if self.tree_features == "all" else qis
        tree = self._tree(labels)
        check_finite(X, [c for c in tree_columns if c not in qis])
        setup = self._rules_setup(X, qis, sensitive_values)
        boundary = {q: f for q, f in setup.boundary.items() if q in tree_columns}
        encoder = TreeEncoder()
        Z, encodings = encoder.fit_encode(boundary_view(X[tree_columns], boundary), labels)
        if isinstance(tree, BinnedTree):
            leaves = tree.fit_apply(Z, labels.values)
        else:
            leaves = tree.fit(Z, labels.values).apply(Z)
        del Z
        counts = np.bincount(leaves, minlength=tree.n_leaves_)
        stats = setup.diversity.counts(leaves, tree.n_leaves_) if setup.diversity.constrained else None
        if stats is not None and not setup.diversity.ok(stats[counts > 0]).all():  # l or t broken: merge
            group_of_leaf = merge_leaves(tree.structure(), stats, setup.diversity.ok)
        elif counts[counts > 0].min() < self.k:  # a safety net; the trees already keep k a leaf
            group_of_leaf = merge_small_leaves(tree.structure(), counts, self.k)
        else:
            group_of_leaf = np.cumsum(counts > 0) - 1
        groups = group_of_leaf[leaves]
        for q in qis:  # numeric QIs need no codes: representatives come from the values
            if q not in encodings and column_kind(X[q]) == NUMERIC:
                encodings[q] = OrderedCodes(NUMERIC, _NO_ROWS, np.empty(0))
        for q in boundary:  # the tree saw the boundary feature; classes are built from the values
            encodings.pop(q, None)
        grouping, result = self._finish(X, qis, groups, int(group_of_leaf.max()) + 1, encodings,
                                        "accuracy-guided", start, setup)
        self.grouping_.class_of_group = grouping.class_of_group[group_of_leaf]  # leaf -> class
        self.tree_columns_, self.encoder_, self.tree_ = tree_columns, encoder, tree
        self.boundary_ = boundary
        return result

    def transform(self, X: pd.DataFrame) -> pd.DataFrame:
        """Generalize any records (e.g. new ones) with the classes learned in fit.

        Only on the fitted records is every class guaranteed k rows; new records are mapped to
        the class of the leaf they fall in.
        """
        self._check_transform_input(X, getattr(self, "tree_columns_", []))
        view = boundary_view(X[self.tree_columns_], getattr(self, "boundary_", {}))
        leaves = self.tree_.apply(self.encoder_.transform(view))
        class_ids = self.grouping_.class_of_group[leaves]
        return apply_classes(X, self.quasi_identifiers_, self.grouping_, class_ids)


@dataclass
class MondrianSplits:
    """Mondrian's split decisions as a tree over nodes (node 0 the root), enough to place new rows.

    Node i splits on QI `qi[i]` (-1 for a leaf): rows go left when their value is <= (or <, if
    not `inclusive[i]`) the threshold; numeric thresholds are values (NaN: the missing code),
    categorical ones are codes into the QI's `domains` entry. `group[i]` is a leaf's group.
    """

    qi: np.ndarray
    threshold: np.ndarray
    inclusive: np.ndarray
    left: np.ndarray
    right: np.ndarray
    group: np.ndarray
    domains: dict[int, pd.Index]  # categorical QI position -> its sorted distinct values

    def positions(self, X: pd.DataFrame, qis: list[str]) -> list[np.ndarray]:
        """Every QI of X as what the thresholds compare to: floats, or codes (unseen: missing)."""
        out = []
        for j, q in enumerate(qis):
            if j in self.domains:
                codes = self.domains[j].get_indexer(X[q]).astype(float)
                codes[codes < 0] = len(self.domains[j])  # missing, and values unseen in fit
                out.append(codes)
            else:  # numbers, and dates as day numbers
                out.append(as_numbers(X[q]))
        return out

    def apply(self, X: pd.DataFrame, qis: list[str]) -> np.ndarray:
        """Group of every row of X."""
        columns = self.positions(X, qis)
        groups = np.empty(len(X), dtype=np.int64)
        stack = [(0, np.arange(len(X)))]
        while stack:
            node, idx = stack.pop()
            j = self.qi[node]
            if j < 0:
                groups[idx] = self.group[node]
                continue
            values, t = columns[j][idx], self.threshold[node]
            if np.isnan(t):  # the threshold is the missing code, which sorts last
                left = np.ones(len(idx), bool) if self.inclusive[node] else ~np.isnan(values)
            else:
                left = values <= t if self.inclusive[node] else values < t
            stack.append((self.left[node], idx[left]))
            stack.append((self.right[node], idx[~left]))
        return groups


class MondrianAnonymizer(_Generalizer):
    """Classic k-anonymity by Mondrian partitioning (LeFevre et al., ICDE 2006), strict version.

    A partition is split on the QI with the widest normalized range (numeric: value range over
    the column's range; categorical: range of codes in sorted value order over the number of
    codes) at its median, if both halves keep at least k records; otherwise the next-widest QI
    is tried. Missing values sort last. Representatives follow the accuracy-guided rule, so a
    comparison of the two isolates the partitioning.

    The split decisions are kept (`splits_`), so `transform` places new records in the partition
    whose splits they satisfy (categories unseen in fit count as missing); only the fitted
    records are guaranteed k a class.

    With `rules` (a `constraints.ReleaseRules`), a split is made only if both halves keep k, l and t
    (over `sensitive`, or the `sensitive_values` given to `anonymize`), and a QI with a hierarchy is split
    at its node boundaries ('boundary' splits) or its classes lifted to their lowest shared node ('lift').
    """

    def __init__(self, *, k: int = 10, quasi_identifiers=None, rules=None, sensitive: str | None = None):
        self.k = k
        self.quasi_identifiers = quasi_identifiers
        self.rules = rules
        self.sensitive = sensitive

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

    def _partition(self, codes: np.ndarray, scales: list[np.ndarray],
                   diversity: Diversity | None = None) -> tuple[np.ndarray, dict]:
        """Group id per row (the leaves of the recursive median splits), and the splits as node lists."""
        k, n = self.k, len(codes)
        groups = np.empty(n, dtype=np.int64)
        n_groups = 0
        nodes = {"qi": [], "code": [], "inclusive": [], "left": [], "right": [], "group": []}
        stack = [(np.arange(n), None, None)]  # rows, parent node, side
        while stack:
            idx, parent, side = stack.pop()
            node = len(nodes["qi"])
            for key in nodes:
                nodes[key].append(-1)
            if parent is not None:
                nodes[side][parent] = node
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
                    for inclusive, left in ((True, col <= median), (False, col < median)):
                        n_left = int(left.sum())
                        if k <= n_left <= len(idx) - k and (
                                diversity is None or not diversity.constrained
                                or (diversity.rows_ok(idx[left]) and diversity.rows_ok(idx[~left]))):
                            split = left
                            nodes["qi"][node], nodes["code"][node] = int(j), int(median)
                            nodes["inclusive"][node] = inclusive
                            break
                    if split is not None:
                        break
            if split is None:
                groups[idx] = n_groups
                nodes["group"][node] = n_groups
                n_groups += 1
            else:
                stack.append((idx[~split], node, "right"))
                stack.append((idx[split], node, "left"))
        return groups, nodes

    def anonymize(self, X: pd.DataFrame, y=None, sensitive_values=None) -> AnonymizationResult:
        """Partition X on its QIs and return the anonymization of X; `y` is ignored (Mondrian does not look
        at a model)."""
        qis = _check_input(X, self.quasi_identifiers, self.k)
        start = time.perf_counter()
        setup = self._rules_setup(X, qis, sensitive_values)
        view = boundary_view(X[qis], setup.boundary)
        encs = {q: ordered_codes(view[q]) for q in qis}
        codes = np.column_stack([encs[q].codes for q in qis])
        groups, nodes = self._partition(codes, self._scales([encs[q] for q in qis]), setup.diversity)
        del codes
        n_groups = int(groups.max()) + 1
        split_encs = [encs[q] for q in qis]
        encs.update(setup.encodings)  # classes are built from the values, not the boundary features
        _, result = self._finish(X, qis, groups, n_groups, encs, "mondrian", start, setup)
        self.splits_ = _mondrian_splits(nodes, split_encs)
        self.boundary_ = setup.boundary
        return result

    def transform(self, X: pd.DataFrame) -> pd.DataFrame:
        """Generalize any records with the learned partition (k is guaranteed on the fitted rows only)."""
        self._check_transform_input(X, getattr(self, "quasi_identifiers_", []))
        view = boundary_view(X[self.quasi_identifiers_], getattr(self, "boundary_", {}))
        class_ids = self.grouping_.class_of_group[self.splits_.apply(view, self.quasi_identifiers_)]
        return apply_classes(X, self.quasi_identifiers_, self.grouping_, class_ids)


def _mondrian_splits(nodes: dict, encs: list[OrderedCodes]) -> MondrianSplits:
    """The recorded splits with numeric thresholds as values, so no per-row code is kept."""
    qi, code = np.array(nodes["qi"]), np.array(nodes["code"])
    threshold = np.full(len(qi), np.nan)
    numbers = {j: value_numbers(enc) for j, enc in enumerate(encs) if enc.kind in ORDERED_KINDS}
    for i in np.flatnonzero(qi >= 0):
        if qi[i] not in numbers:
            threshold[i] = code[i]
        elif code[i] < len(numbers[qi[i]]):  # numbers and dates (day numbers) split on a value
            threshold[i] = numbers[qi[i]][code[i]]
    domains = {j: pd.Index(enc.values) for j, enc in enumerate(encs) if enc.kind not in ORDERED_KINDS}
    return MondrianSplits(qi, threshold, np.array(nodes["inclusive"]) == 1, np.array(nodes["left"]),
                          np.array(nodes["right"]), np.array(nodes["group"]), domains)


def drop_quasi_identifiers(X: pd.DataFrame, quasi_identifiers) -> pd.DataFrame:
    """The QIs-dropped baseline: the table without its QI columns (the price of not generalizing)."""
    missing = [q for q in quasi_identifiers if q not in X.columns]
    if missing:
        raise DataError(f"quasi-identifier column(s) not in the data: {missing}")
    return X.drop(columns=list(quasi_identifiers))


def anonymizer_for(method: str, k: int, quasi_identifiers, random_state: int = 0,
                   tree_features: str = "qi", splitter: str = "auto", rules: ReleaseRules | None = None):
    """The anonymizer named by `method`: 'ag' (accuracy-guided) or 'mondrian'."""
    if method == "ag":
        return AccuracyGuidedAnonymizer(k=k, quasi_identifiers=quasi_identifiers, tree_features=tree_features,
                                        splitter=splitter, random_state=random_state, rules=rules)
    if method == "mondrian":
        return MondrianAnonymizer(k=k, quasi_identifiers=quasi_identifiers, rules=rules)
    raise DataError(f"unknown method '{method}'; use 'ag' or 'mondrian'")


def anonymize_table(table: pd.DataFrame, quasi_identifiers, k: int, method: str = "ag", target: str | None = None,
                    guide=None, random_state: int = 0, tree_features: str = "qi",
                    splitter: str = "auto", rules: ReleaseRules | None = None,
                    sensitive: str | None = None) -> AnonymizationResult:
    """Anonymize a whole table: every column but the QIs (the target included) stays as it is.

    `guide` holds the model's predictions for every row (needed by 'ag'); the target column is
    kept out of what the anonymizer sees, since the model would not see it either. `rules` are the
    release rules; l and t constrain the column `sensitive`.
    """
    import dataclasses

    features = table.drop(columns=[target]) if target is not None else table
    anonymizer = anonymizer_for(method, k, quasi_identifiers, random_state, tree_features, splitter, rules)
    if method == "ag" and guide is None:
        raise DataError("the accuracy-guided method needs the model's predictions (a target and a model)")
    rules = rules if rules is not None else NO_RULES
    if rules.needs_sensitive and sensitive is None:
        raise DataError("l-diversity and t-closeness need a sensitive attribute")
    if sensitive is not None and sensitive not in table.columns:
        raise DataError(f"sensitive column '{sensitive}' not in the table")
    values = table[sensitive] if sensitive is not None and rules.needs_sensitive else None
    result = anonymizer.anonymize(features, guide, values)
    if target is None:
        return result
    data = table.copy()
    data[result.quasi_identifiers] = result.data[result.quasi_identifiers]
    return dataclasses.replace(result, data=data)
