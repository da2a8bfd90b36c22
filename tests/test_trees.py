"""The histogram trees. LightGBM's grown in two stages (past `one_tree_leaves`): the same partition as one
tree where no two splits tie, k rows a leaf always, and a structure the merge can walk. The compiled
`BinnedTree`: LightGBM's partition where both bin exactly and nothing ties, missing values sent the
better way, k rows a leaf, and `apply` agreeing with the leaves found in fit."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from anonymizer import AccuracyGuidedAnonymizer
from anonymizer.data import DataError
from anonymizer.trees import BinnedTree, ExactTree, HistogramTree, merge_small_leaves


@pytest.fixture(scope="module")
def table():
    rng = np.random.default_rng(0)
    n = 3000
    Z = np.column_stack([rng.integers(0, 40, n), rng.integers(0, 7, n), rng.integers(0, 90, n)]).astype(float)
    binary = ((Z[:, 0] > 20) ^ (rng.random(n) < 0.3)).astype(float)
    continuous = Z[:, 0] * 0.37 + np.sin(Z[:, 2]) + rng.normal(size=n) * 0.01
    return Z, binary, continuous


def same_partition(a: np.ndarray, b: np.ndarray) -> bool:
    pairs = set(zip(a.tolist(), b.tolist()))
    return len(pairs) == len(set(a.tolist())) == len(set(b.tolist()))


def reachable_leaves(tree: HistogramTree) -> list[int]:
    s, found, stack = tree.structure(), [], [0]
    while stack:
        node = stack.pop()
        if s.left[node] < 0:
            found.append(int(s.leaf[node]))
        else:
            stack += [int(s.left[node]), int(s.right[node])]
    return sorted(found)


def test_two_stages_give_the_one_tree_partition_when_no_splits_tie(table):
    Z, _, continuous = table
    one = HistogramTree(5).fit(Z, continuous)
    two = HistogramTree(5, one_tree_leaves=16, first_stage_leaves=4).fit(Z, continuous)
    assert not one.parts_ and len(two.parts_) == 4
    assert one.n_leaves_ == two.n_leaves_ == 476
    assert same_partition(one.apply(Z), two.apply(Z))


def test_two_stages_keep_k_a_leaf_and_a_walkable_structure(table):
    Z, binary, _ = table
    one = HistogramTree(5).fit(Z, binary)
    two = HistogramTree(5, one_tree_leaves=16, first_stage_leaves=4).fit(Z, binary)
    leaves = two.apply(Z)
    counts = np.bincount(leaves, minlength=two.n_leaves_)
    assert counts.min() >= 5 and len(counts) == two.n_leaves_
    assert reachable_leaves(two) == list(range(two.n_leaves_))
    # ties between equal-gain splits of 0/1 labels may fall the other way: as pure, not identical
    def purity(ids):
        return sum(max(binary[ids == i].sum(), (ids == i).sum() - binary[ids == i].sum()) for i in np.unique(ids))
    assert purity(leaves) == pytest.approx(purity(one.apply(Z)), rel=0.01)
    # merging with a larger k walks the grafted structure: every group then holds k rows
    groups = merge_small_leaves(two.structure(), counts, 40)[leaves]
    assert np.bincount(groups).min() >= 40


def test_binned_tree_finds_lightgbms_partition_on_whole_numbers(table):
    Z, _, continuous = table  # whole numbers: both trees bin them one value a bin; no gains tie
    binned, lgbm = BinnedTree(5), HistogramTree(5).fit(Z, continuous)
    leaves = binned.fit_apply(Z, continuous)
    assert binned.n_leaves_ == lgbm.n_leaves_ == 476
    assert same_partition(leaves, lgbm.apply(Z))
    assert reachable_leaves(binned) == list(range(binned.n_leaves_))


def test_binned_tree_sends_missing_values_to_the_better_side():
    # low labels: ages 30, 31 and two missing; high: 40..43. Only "age <= 31 or missing" separates them
    Z = np.array([[np.nan], [30.0], [31.0], [np.nan], [40.0], [41.0], [42.0], [43.0]])
    y = np.array([0, 0, 0, 0, 1, 1, 1, 1], dtype=float)
    tree = BinnedTree(4)
    leaves = tree.fit_apply(Z, y)
    assert tree.n_leaves_ == 2 and leaves.tolist() == [0, 0, 0, 0, 1, 1, 1, 1]
    assert tree.threshold_[0] == 35.5 and tree.missing_left_[0]  # halfway between 31 and 40
    new = np.array([[np.nan], [37.0], [31.0], [35.4], [-4.0]])
    assert tree.apply(new).tolist() == [0, 1, 0, 0, 0]


def test_binned_tree_grows_a_chain_as_deep_as_the_rows_allow():
    """Blocks of k rows, each marked by a feature of its own, with the block number as the guide:
    every best split peels an end block off, so the tree is a chain about n / k levels deep, which
    the compiled loop grows with a bounded stack (smaller child first)."""
    blocks, k = 120, 3
    block = np.repeat(np.arange(blocks), k)
    Z = (block[:, None] == np.arange(blocks)[None, :]).astype(float)
    tree = BinnedTree(k)
    leaves = tree.fit_apply(Z, block.astype(float))
    depth = np.zeros(len(tree.left_), dtype=int)
    for node in np.flatnonzero(tree.left_ >= 0):
        depth[[tree.left_[node], tree.right_[node]]] = depth[node] + 1
    assert tree.n_leaves_ == blocks and depth.max() >= blocks // 2 - 1
    assert same_partition(leaves, block)
    assert np.array_equal(tree.apply(Z), leaves)
    assert reachable_leaves(tree) == list(range(tree.n_leaves_))


def test_binned_tree_stops_where_no_split_gains():
    Z = np.arange(40, dtype=float).reshape(-1, 1)
    assert BinnedTree(5).fit(Z, np.ones(40)).n_leaves_ == 1  # one label: nothing to gain
    assert BinnedTree(25).fit(Z, np.arange(40) % 2).n_leaves_ == 1  # k on both sides is impossible


@settings(max_examples=80, deadline=None)
@given(st.integers(1, 400), st.integers(1, 4), st.integers(1, 30), st.sampled_from(["binary", "continuous"]),
       st.integers(0, 10_000))
def test_binned_tree_keeps_k_a_leaf_and_apply_agrees(n, d, k, guide, seed):
    rng = np.random.default_rng(seed)
    Z = np.column_stack([rng.integers(0, 6, n), rng.normal(size=n) * 1e3, rng.integers(0, 500, n),
                         rng.integers(-3, 3, n)])[:, :d].astype(float)
    Z[rng.random(Z.shape) < 0.1] = np.nan
    y = (rng.random(n) < 0.3).astype(float) if guide == "binary" else rng.normal(size=n)
    tree = BinnedTree(k, max_bin=16)  # few bins: the quantile binning is exercised too
    leaves = tree.fit_apply(Z, y)
    counts = np.bincount(leaves, minlength=tree.n_leaves_)
    assert len(counts) == tree.n_leaves_ and (counts.min() >= k or tree.n_leaves_ == 1)
    assert np.array_equal(tree.apply(Z), leaves)
    assert reachable_leaves(tree) == list(range(tree.n_leaves_))


def test_the_anonymizer_picks_the_tree_its_splitter_names():
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"a": rng.integers(0, 50, 400), "b": rng.normal(size=400)})
    y = (X["a"] > 20).to_numpy()
    trees = {s: AccuracyGuidedAnonymizer(k=10, quasi_identifiers=["a", "b"], splitter=s)
             for s in ("auto", "histogram", "lightgbm", "exact")}
    results = [a.anonymize(X, y) for a in trees.values()]
    assert [type(a.tree_) for a in trees.values()] == [BinnedTree, BinnedTree, HistogramTree, ExactTree]
    assert all(np.bincount(r.class_ids).min() >= 10 for r in results)
    three_classes = X["a"] // 20
    assert isinstance(AccuracyGuidedAnonymizer(k=10, quasi_identifiers=["a"]).fit(X, three_classes).tree_, ExactTree)
    with pytest.raises(DataError, match="the lightgbm splitter needs binary or continuous"):
        AccuracyGuidedAnonymizer(k=10, quasi_identifiers=["a"], splitter="lightgbm").fit(X, three_classes)


@pytest.mark.parametrize("tree", [BinnedTree, HistogramTree])
def test_a_guide_far_from_zero_splits_as_it_does_near_zero(tree):
    """Split gains do not change when the guide is shifted; rounding did (a constant 0.3 split into 86
    leaves of noise; LightGBM, which stores labels as float32, found nothing in 1e9 + signal)."""
    rng = np.random.default_rng(0)
    Z = np.column_stack([rng.integers(0, 30, 2000), rng.normal(size=2000)])
    signal = Z[:, 0] * 0.5 + rng.normal(size=2000)
    near = tree(20).fit(Z, signal)
    leaves = near.apply(Z)
    for offset in (1e9, 1e14):
        far = tree(20).fit(Z, signal + offset)
        assert same_partition(far.apply(Z), leaves), offset
    assert tree(5).fit(Z, np.full(2000, 0.3)).n_leaves_ == 1


@pytest.mark.filterwarnings("ignore:overflow encountered in cast:RuntimeWarning")
def test_binned_tree_threshold_between_infinite_values_still_routes_the_rows():
    Z = np.where(np.arange(200) < 100, -1e39, 1e39).reshape(-1, 1)  # -inf and +inf as float32
    y = (np.arange(200) < 100) * 1.0
    tree = BinnedTree(10)
    leaves = tree.fit_apply(Z, y)
    assert np.array_equal(tree.apply(Z), leaves) and tree.n_leaves_ == 2


def test_the_tree_compiles_where_numba_cannot_write_its_cache(monkeypatch):
    """A read-only install with no writable home (checked by hand as user nobody): numba refuses
    `cache=True` at decoration, which must not stop the package from importing."""
    import numba

    from anonymizer import tree_growth

    real = numba.njit

    def njit(*args, cache=False, **options):  # numba's own modules call it too, with a function
        if cache:
            raise RuntimeError("cannot cache function 'f': no locator available for file 'm.py'")
        return real(*args, **options)

    monkeypatch.setattr(tree_growth.numba, "njit", njit)
    assert tree_growth._compiled(lambda x: x + 1)(41) == 42


def test_applying_a_fitted_tree_does_not_load_numba(tmp_path):
    """Dask workers only apply the tree; numba and LLVM add about 100 MB to a process, which pushed
    a worker of bench/scale.py's out-of-core run past its pause threshold, and the run hung."""
    import pickle
    import subprocess
    import sys

    rng = np.random.default_rng(0)
    Z = rng.normal(size=(300, 2))
    tree = BinnedTree(10).fit(Z, (Z[:, 0] > 0).astype(float))
    (tmp_path / "tree.pkl").write_bytes(pickle.dumps((tree, Z)))
    script = ("import pickle, sys; tree, Z = pickle.load(open(sys.argv[1], 'rb')); tree.apply(Z); "
              "import anonymizer.dask_engine; print('numba' in sys.modules)")
    run = subprocess.run([sys.executable, "-c", script, str(tmp_path / "tree.pkl")], capture_output=True,
                         text=True, check=True)
    assert run.stdout.strip() == "False"


@pytest.mark.parametrize("Z, y, k", [
    (np.zeros((100, 2)), np.zeros(10), 5),  # fewer guide values than rows
    (np.empty((50, 0)), np.zeros(50), 5),  # no feature
    (np.zeros((50, 1)), np.zeros(50), 0),  # k = 0
])
def test_binned_tree_refuses_inputs_its_compiled_loop_would_read_past(Z, y, k):
    """The compiled loop does not check indices (reported in review: a short guide was read past its
    end without an error; no column allocated a garbage-sized histogram)."""
    with pytest.raises(ValueError):
        BinnedTree(k).fit_apply(Z, y)
