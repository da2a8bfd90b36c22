"""The partitioning trees of the accuracy-guided method, and the merge that restores k.

Three trees split the same encoded features on the model's predictions:
- `BinnedTree`: histograms of binned features, grown by a numba-compiled loop (the default);
- `HistogramTree`: one LightGBM tree on 255-bin histograms (several threads if asked);
- sklearn's exact `DecisionTree*` (sorts at every node; the reference behaviour).
All expose `apply(Z)` -> a leaf index 0..n_leaves-1 and `structure()` -> the tree as arrays,
so `merge_small_leaves` can fold leaves under k into their siblings (the Dask engine fits its tree
on a sample, where leaf counts over the whole table are only known afterwards).
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .classes import stable_order

MAX_LEAVES = 131_072  # LightGBM's upper limit on num_leaves


@dataclass(frozen=True)
class GuideLabels:
    """The model's predictions as the tree needs them, computed once per fit.

    `continuous`: regression guide (float values) rather than classes; `values`: the floats, or
    class codes 0..n_classes-1 in order of first appearance.
    """

    continuous: bool
    values: np.ndarray
    n_classes: int

    def score(self) -> np.ndarray:
        """One number a row that orders categories: the prediction (regression) or 1.0 for the
        majority class (classification)."""
        if self.continuous:
            return self.values
        return (self.values == np.bincount(self.values).argmax()).astype(float)


def guide_labels(y) -> GuideLabels:
    """Classify and encode predictions in one pass (no repeated sorting of string labels).

    Continuous means float values not all whole numbers, as in `sklearn.utils.multiclass.type_of_target`.
    """
    y = np.asarray(y)
    if y.dtype.kind == "f" and np.any(y != np.round(y)):
        return GuideLabels(True, y.astype(float), 0)
    codes, uniques = pd.factorize(y)
    return GuideLabels(False, codes.astype(np.int64), len(uniques))


@dataclass(frozen=True)
class TreeStructure:
    """A binary tree as arrays over its nodes (node 0 is the root).

    `left[i]`/`right[i]` are child nodes, -1 for a leaf; `leaf[i]` is the leaf index of a leaf node
    (the value `apply` returns), -1 for a split node.
    """

    left: np.ndarray
    right: np.ndarray
    leaf: np.ndarray


class HistogramTree:
    """At least `min_samples_leaf` rows a leaf, split by LightGBM regression trees on histograms.

    With L2 loss, one round and learning rate 1, LightGBM's split gain is the variance reduction,
    which for 0/1 labels is the Gini reduction sklearn's classifier uses; features are binned into
    at most `max_bin` histogram bins instead of being sorted at every node. Binary and continuous
    guides only: a multiclass Gini does not fit one LightGBM tree (LightGBM grows one tree a class).
    `n_jobs` is LightGBM's thread count; its OpenMP threads busy-wait, so 1 is the safe default
    on a shared machine.

    LightGBM picks each next leaf to split among all leaves, so one tree's time grows with the square
    of its leaf count (2M rows: 20,000 leaves 2.8 s, 80,000 leaves 27.5 s). Beyond `one_tree_leaves`
    leaves the tree is grown in two stages: a first tree of `first_stage_leaves` leaves, then one tree
    inside each of them. Growth runs until no leaf can be split with k rows on each side, and where it
    ends does not depend on the order leaves are split in, and the second-stage trees reuse the first
    tree's bins, so the partition is the one tree's, up to which of two splits of equal gain wins
    (0/1 labels tie often; tests/test_trees.py).
    """

    def __init__(self, min_samples_leaf: int, random_state: int = 0, n_jobs: int = 1, max_bin: int = 255,
                 one_tree_leaves: int = 16_384, first_stage_leaves: int = 256):
        self.min_samples_leaf = min_samples_leaf
        self.random_state = random_state
        self.n_jobs = n_jobs
        self.max_bin = max_bin
        self.one_tree_leaves = one_tree_leaves
        self.first_stage_leaves = first_stage_leaves

    def params(self, n_rows: int, num_leaves: int | None = None) -> dict:
        most = max(2, n_rows // self.min_samples_leaf)
        return {
            "objective": "regression", "learning_rate": 1.0,
            "num_leaves": int(min(MAX_LEAVES, most if num_leaves is None else min(most, num_leaves))),
            "min_data_in_leaf": int(self.min_samples_leaf), "min_sum_hessian_in_leaf": 0.0,
            "max_bin": self.max_bin, "min_data_in_bin": 1, "feature_pre_filter": False,
            "force_col_wise": True, "deterministic": True, "seed": self.random_state,
            "num_threads": self.n_jobs, "verbose": -1,
        }

    def _grow(self, Z: np.ndarray | None, y: np.ndarray | None, num_leaves: int | None = None, parent=None,
              rows: np.ndarray | None = None):
        """(booster, its leaf count, its Dataset) of one tree, on (Z, y) or on `rows` of the binned `parent`
        Dataset (no binning or copying of raw rows again)."""
        import lightgbm as lgb

        params = self.params(len(Z) if parent is None else len(rows), num_leaves)
        if parent is None:
            data = lgb.Dataset(Z, y, params=params, free_raw_data=True)
        else:
            data = parent.subset(rows, params=params)
        # keep_training_booster=False reloads the model from text: no reference to the training rows stays
        booster = lgb.train(params, data, num_boost_round=1, keep_training_booster=False)
        found = re.search(r"^num_leaves=(\d+)$", booster.model_to_string(num_iteration=1), re.MULTILINE)
        return booster, int(found.group(1)) if found else 1, data

    def _leaves_of(self, booster, Z: np.ndarray) -> np.ndarray:
        return booster.predict(Z, pred_leaf=True, num_threads=self.n_jobs).reshape(-1).astype(np.int64)

    def fit(self, Z: np.ndarray, y: np.ndarray) -> HistogramTree:
        y = np.asarray(y, dtype=float)
        y = y - y.mean()  # gains do not change; LightGBM's float32 labels keep their precision
        self.parts_: dict[int, object] = {}
        if len(Z) // self.min_samples_leaf <= self.one_tree_leaves:
            self.booster_, self.n_leaves_, _ = self._grow(Z, y)
            self.offsets_ = np.arange(self.n_leaves_, dtype=np.int64)
            return self
        # the second-stage trees take their rows from the first tree's binned Dataset: no binning again,
        # and the one tree's thresholds
        self.booster_, n_first, bins = self._grow(Z, y, self.first_stage_leaves)
        first = self._leaves_of(self.booster_, Z)
        order, bounds = _rows_by_leaf(first, n_first)
        self.offsets_ = np.zeros(n_first, dtype=np.int64)
        next_id = 0
        for leaf in range(n_first):
            self.offsets_[leaf] = next_id
            rows = order[bounds[leaf]:bounds[leaf + 1]]
            if len(rows) >= 2 * self.min_samples_leaf:
                booster, n, _ = self._grow(None, None, parent=bins, rows=rows)
                if n > 1:
                    self.parts_[leaf] = booster
                    next_id += n
                    continue
            next_id += 1
        self.n_leaves_ = next_id
        return self

    def apply(self, Z: np.ndarray) -> np.ndarray:
        """Leaf index (0..n_leaves_-1) of every row."""
        first = self._leaves_of(self.booster_, Z)
        if not self.parts_:
            return first
        out = self.offsets_[first]
        order, bounds = _rows_by_leaf(first, len(self.offsets_))
        for leaf, booster in self.parts_.items():
            rows = order[bounds[leaf]:bounds[leaf + 1]]
            if len(rows):
                out[rows] += self._leaves_of(booster, Z[rows])
        return out

    def structure(self) -> TreeStructure:
        """The tree as arrays; with two stages, each second-stage tree grafted onto its first-stage leaf."""
        top = _booster_structure(self.booster_)
        left, right, leaf = list(top.left), list(top.right), list(top.leaf)
        for node in range(len(top.left)):
            if top.left[node] >= 0:
                continue
            first_leaf = int(top.leaf[node])
            if first_leaf not in self.parts_:
                leaf[node] = int(self.offsets_[first_leaf])
                continue
            sub, base = _booster_structure(self.parts_[first_leaf]), len(left)
            for j in range(len(sub.left)):
                left.append(int(sub.left[j]) + base if sub.left[j] >= 0 else -1)
                right.append(int(sub.right[j]) + base if sub.right[j] >= 0 else -1)
                leaf.append(int(sub.leaf[j]) + int(self.offsets_[first_leaf]) if sub.left[j] < 0 else -1)
            # the first-stage leaf takes the place of the second-stage root (left unreachable at `base`)
            left[node], right[node], leaf[node] = left[base], right[base], -1
        return TreeStructure(np.array(left), np.array(right), np.array(leaf))


def _rows_by_leaf(leaves: np.ndarray, n_leaves: int) -> tuple[np.ndarray, np.ndarray]:
    """Row numbers sorted by leaf (stable), and where each leaf's rows start and end in that order."""
    order = stable_order(leaves, n_leaves)
    return order, np.searchsorted(leaves[order], np.arange(n_leaves + 1))


def _booster_structure(booster) -> TreeStructure:
    root = booster.dump_model(num_iteration=1)["tree_info"][0]["tree_structure"]
    left, right, leaf = [], [], []
    stack = [(root, None, None)]  # (node, parent position, side)
    while stack:
        node, parent, side = stack.pop()
        i = len(left)
        left.append(-1)
        right.append(-1)
        leaf.append(node.get("leaf_index", 0) if "split_index" not in node else -1)
        if parent is not None:
            (left if side == "left" else right)[parent] = i
        if "split_index" in node:
            stack.append((node["right_child"], i, "right"))
            stack.append((node["left_child"], i, "left"))
    return TreeStructure(np.array(left), np.array(right), np.array(leaf))


def warm_up() -> float:
    """Compile the histogram tree's loops (the first time after an install: about 5 s) or load them from
    numba's cache (about 0.3 s), so the first anonymization of a process pays neither; returns the seconds.
    `python -m anonymizer warm` runs it when the project is set up; the CLI and the dashboard's server start
    it in the background (`start_warm_up`)."""
    import time

    import pandas as pd

    from .anonymize import AccuracyGuidedAnonymizer

    start = time.perf_counter()
    Z = np.array([[0.0], [1.0], [2.0], [0.5]], dtype=np.float32)
    BinnedTree(1).fit_apply(Z, np.array([0.0, 1.0, 0.0, 1.0]))
    # and one whole anonymization of a tiny table of every kind of column: the first call of each pandas and
    # Arrow kernel it uses is slower than the next (a one-shot run's own call then costs what later ones do)
    tiny = pd.DataFrame({"n": [1, 2, 3, 4], "f": [0.5, 1.5, np.nan, 2.5], "t": pd.array(["a", "b", "a", None], "str"),
                         "d": pd.to_datetime(["2020-01-01", "2020-02-01", None, "2020-03-01"])})
    AccuracyGuidedAnonymizer(k=2, quasi_identifiers=list(tiny.columns)).anonymize(tiny, np.array([0, 1, 0, 1]))
    return time.perf_counter() - start


_warm: dict = {}


def start_warm_up() -> None:
    """`warm_up` in a daemon thread, once per process (the work it saves is waited for, not redone)."""
    if "thread" not in _warm:
        _warm["thread"] = threading.Thread(target=warm_up, name="warm-up-tree", daemon=True)
        _warm["thread"].start()


def finish_warm_up() -> None:
    """Wait for a warm-up this process started (an anonymization does, before it starts its clock, so its
    seconds measure the anonymization and the two never compete for the interpreter)."""
    thread = _warm.get("thread")
    if thread is not None and thread.is_alive() and thread is not threading.current_thread():
        thread.join()


class BinnedTree:
    """At least `min_samples_leaf` rows a leaf, grown over integer bin codes by a compiled loop.

    The split rule of `HistogramTree` (variance reduction of the guide, which for 0/1 labels is the
    Gini reduction; k rows on each side; positive gain), without LightGBM's Dataset construction and
    leaf prediction, which on tables of tens of thousands of rows cost more than the tree itself
    (Adult: 24 of a 64 ms fit). Whole-number columns spanning at most `max_bin` values (every
    encoded category, ages, counts) get one bin a value, so there the splits are exact; other
    columns get up to `max_bin` quantile bins. Missing values form a bin of their own, sent to
    whichever side scores better (as LightGBM learns a default direction). The growth itself is
    `tree_growth.grow`: depth first, smaller child first, the larger child's histogram by
    subtraction; it needs memory for the bin codes and a few histograms only.
    Growth ends where no leaf can be split, which does not depend on the order leaves are split
    in, so the partition is a leaf-wise tree's up to ties; a tie goes to the first candidate in a
    fixed order: splits sending missing values right before those sending them left, then the
    first feature, then the lowest threshold.
    """

    def __init__(self, min_samples_leaf: int, max_bin: int = 255):
        self.min_samples_leaf = min_samples_leaf
        self.max_bin = max_bin

    def _bin(self, Z: np.ndarray) -> np.ndarray:
        """Integer bin codes of Z's columns, (features, rows); keeps each feature's upper bin values in
        `uppers_` and, where a bin is a value, the rows of every bin in `counts_`."""
        from .tree_growth import whole_number_bins

        n, d = Z.shape
        codes = np.empty((d, n), dtype=np.uint8 if self.max_bin < 256 else np.int64)  # bin max_bin: missing
        counts = np.empty((d, self.max_bin + 1), dtype=np.int64)
        lowest, width = whole_number_bins(Z, self.max_bin, codes, counts)
        self.uppers_: list[np.ndarray] = []
        self.counts_: list[np.ndarray | None] = []
        for j in range(d):
            if width[j] >= 0:  # one bin a whole number (or no value at all)
                self.uppers_.append(np.arange(lowest[j], lowest[j] + width[j], dtype=np.float64))
                self.counts_.append(counts[j, :width[j] + 1] if width[j] else None)
                continue
            v = Z[:, j]
            missing = np.isnan(v)
            upper = np.unique(np.quantile(v[~missing], np.linspace(0, 1, self.max_bin + 1)[1:],
                                          method="inverted_cdf")).astype(np.float64)
            codes[j] = np.searchsorted(upper, v, side="left")  # NaN sorts last: the missing bin
            codes[j, missing] = len(upper)
            self.uppers_.append(upper)
            self.counts_.append(None)
        return codes

    def fit(self, Z: np.ndarray, y: np.ndarray) -> BinnedTree:
        self.fit_apply(Z, y)
        return self

    def fit_apply(self, Z: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Fit, and return the leaf of every training row (no second pass over the rows)."""
        from .tree_growth import grow  # numba and LLVM (about 100 MB) only where a tree is grown, not in Dask workers

        k = int(self.min_samples_leaf)
        # the compiled loop does not check indices: inputs that would make it read past an array stop here
        if k < 1:
            raise ValueError(f"min_samples_leaf must be at least 1, got {k}")
        if np.ndim(Z) != 2 or np.shape(Z)[1] == 0 or len(y) != len(Z):
            raise ValueError(f"need a 2-d Z with at least one column and one guide value a row; got Z of shape "
                             f"{np.shape(Z)} and {len(y)} guide values")
        Z = np.asarray(Z, dtype=np.float32)
        codes = self._bin(Z)  # (features, rows)
        d, n = codes.shape
        y = np.asarray(y, dtype=np.float64)
        if not np.all((y == 0) | (y == 1)):  # a continuous guide, centred: gains do not change with a
            y = y - y.mean()  # shift, and sums of a guide far from 0 lose their digits
        widths = np.array([len(u) + 1 for u in self.uppers_], dtype=np.int64)  # and the missing bin
        # a feature with missing values may also send them left (scored as extra candidate splits)
        with_missing = np.array([len(self.uppers_[j]) > 0 and bool(np.any(codes[j] == widths[j] - 1))
                                 for j in range(d)], dtype=bool)
        tolerance = 1e-12 * max(float(np.var(y)), 1e-300)
        feature, cut, left, missing_left, node_of_row = grow(
            codes, widths, with_missing, y, k, tolerance)
        self.feature_, self.cut_, self.left_ = feature, cut, left
        self.right_ = np.where(self.left_ >= 0, self.left_ + 1, -1)
        is_leaf = self.left_ < 0
        self.leaf_of_node_ = np.where(is_leaf, np.cumsum(is_leaf) - 1, -1)
        self.n_leaves_ = int(is_leaf.sum())
        self.threshold_ = self._thresholds(Z, codes)
        self.missing_left_ = missing_left
        del self.uppers_, self.counts_  # bin edges are values of rows: a fitted tree keeps its thresholds
        return self.leaf_of_node_[node_of_row]

    def _thresholds(self, Z: np.ndarray, codes: np.ndarray) -> np.ndarray:
        """Per split, a value halfway between the highest value going left and the lowest going right
        (as sklearn's and LightGBM's trees do), so that no threshold is a value of a row."""
        threshold = np.full(len(self.feature_), np.nan)
        for j in np.unique(self.feature_[self.feature_ >= 0]):
            at = np.flatnonzero(self.feature_ == j)
            upper = self.uppers_[j]
            highest_left = upper[self.cut_[at]]
            if self.counts_[j] is not None:  # a bin a value: the lowest value going right is the next bin with rows
                present = upper[np.flatnonzero(self.counts_[j][:len(upper)])]
            else:
                present = np.unique(np.asarray(Z[codes[j] < len(upper), j], dtype=np.float64))
            after = np.searchsorted(present, highest_left, side="right")
            lowest_right = np.append(present, np.inf)[after]  # inf: only missing values go right
            with np.errstate(invalid="ignore"):
                middle = (highest_left + lowest_right) / 2
            threshold[at] = np.where(np.isnan(middle), highest_left, middle)  # -inf and +inf: no middle
        return threshold

    def apply(self, Z: np.ndarray) -> np.ndarray:
        """Leaf index (0..n_leaves_-1) of every row; a missing value goes the way fit sent the missing."""
        Z = np.asarray(Z, dtype=np.float32)
        node = np.zeros(len(Z), dtype=np.int64)
        inner = np.flatnonzero(self.left_[node] >= 0)
        while len(inner):
            at = node[inner]
            values = Z[inner, self.feature_[at]]
            goes_left = (values <= self.threshold_[at]) | (np.isnan(values) & self.missing_left_[at])
            node[inner] = np.where(goes_left, self.left_[at], self.right_[at])
            inner = inner[self.left_[node[inner]] >= 0]
        return self.leaf_of_node_[node]

    def structure(self) -> TreeStructure:
        return TreeStructure(self.left_.copy(), self.right_.copy(), self.leaf_of_node_.copy())


class ExactTree:
    """sklearn's exact decision tree with leaves numbered 0..n_leaves-1 (like `HistogramTree`)."""

    def __init__(self, min_samples_leaf: int, random_state: int = 0, continuous: bool = False):
        self.min_samples_leaf = min_samples_leaf
        self.random_state = random_state
        self.continuous = continuous

    def fit(self, Z: np.ndarray, y: np.ndarray) -> ExactTree:
        from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

        cls = DecisionTreeRegressor if self.continuous else DecisionTreeClassifier
        self.tree_ = cls(min_samples_leaf=self.min_samples_leaf, random_state=self.random_state).fit(Z, y)
        is_leaf = self.tree_.tree_.children_left < 0
        self.leaf_of_node_ = np.where(is_leaf, np.cumsum(is_leaf) - 1, -1)
        self.n_leaves_ = int(is_leaf.sum())
        return self

    def apply(self, Z: np.ndarray) -> np.ndarray:
        return self.leaf_of_node_[self.tree_.apply(Z)]

    def structure(self) -> TreeStructure:
        t = self.tree_.tree_
        return TreeStructure(t.children_left.copy(), t.children_right.copy(), self.leaf_of_node_.copy())


def merge_small_leaves(tree: TreeStructure, counts: np.ndarray, k: int) -> np.ndarray:
    """Group id of every leaf such that every group holds >= k rows (given `counts` per leaf).

    Bottom-up: a subtree with fewer than k rows becomes one group and joins its sibling subtree
    (its smallest group, so the detail elsewhere is kept); two small siblings join each other and
    go on up if still under k. If the whole tree holds fewer than k rows, everything is one group.
    """
    counts = np.asarray(counts, dtype=np.int64)
    return merge_leaves(tree, counts[:, None], lambda stats: stats.sum(axis=-1) >= k)


def merge_leaves(tree: TreeStructure, stats: np.ndarray, ok) -> np.ndarray:
    """Group id of every leaf such that every group's summed `stats` row passes `ok` (a vectorized test of
    rows of stats; the row sums are the rows a group holds), when the whole tree passes it.

    Bottom-up: at every split node the groups of its two subtrees that fail are merged into one; if that one
    still fails, it joins the smallest passing group whose union passes, else it goes on up as it is. At the
    root a group that still fails absorbs passing groups, smallest first, until it passes. Merging only at
    split nodes keeps each group a union of neighbouring leaves. `merge_small_leaves` is the case of k alone;
    l-diversity and t-closeness give their own `ok` over per-leaf counts of the sensitive values.
    """
    stats = np.asarray(stats)
    groups: dict[int, list[list]] = {}  # node -> [[stats, [leaf ids]], ...]; all pass, or one fails
    stack, order = [0], []
    while stack:  # pre-order; reversed it visits children before parents
        node = stack.pop()
        order.append(node)
        if tree.left[node] >= 0:
            stack.extend((tree.left[node], tree.right[node]))

    def passes(g) -> bool:
        return bool(ok(g[0][None, :])[0])

    def by_size(g):
        return g[0].sum()

    for node in reversed(order):
        if tree.left[node] < 0:
            leaf = int(tree.leaf[node])
            groups[node] = [[stats[leaf].copy(), [leaf]]]
            continue
        both = groups.pop(int(tree.left[node])) + groups.pop(int(tree.right[node]))
        good = [g for g in both if passes(g)]
        bad = [g for g in both if not passes(g)]
        if bad:
            merged = [sum(g[0] for g in bad), [leaf for g in bad for leaf in g[1]]]
            if not passes(merged):
                for target in sorted(good, key=by_size):
                    if passes([target[0] + merged[0], None]):
                        target[0] = target[0] + merged[0]
                        target[1].extend(merged[1])
                        break
                else:
                    good.append(merged)
            else:
                good.append(merged)
        groups[node] = good
    final = groups[0]
    failing = [g for g in final if not passes(g)]
    if failing and len(final) > 1:
        (merged,) = failing
        rest = sorted((g for g in final if g is not merged), key=by_size)
        while rest and not passes(merged):
            other = rest.pop(0)
            merged[0] = merged[0] + other[0]
            merged[1].extend(other[1])
        final = rest + [merged]
    group_of_leaf = np.full(len(stats), -1, dtype=np.int64)
    for g, (_, leaves) in enumerate(sorted(final, key=lambda g: min(g[1]))):
        group_of_leaf[leaves] = g
    return group_of_leaf
