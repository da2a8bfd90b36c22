"""Property-based checks of the guarantees, on random tables (hypothesis).

For both anonymizers: every class of the output's QI tuples holds at least k rows, no row is lost
or reordered, non-QI columns are identical, dtypes are kept, every representative is a value
that occurs in its class, and the class bookkeeping agrees with the output table.
"""

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from anonymizer import AccuracyGuidedAnonymizer, DataError, MondrianAnonymizer, equivalence_classes

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def tables(draw):
    n = draw(st.integers(1, 60))
    maybe = lambda values: [None if draw(st.booleans()) and draw(st.integers(0, 5)) == 0 else v for v in values]  # noqa: E731
    ints = draw(st.lists(st.integers(-3, 30), min_size=n, max_size=n))
    floats = maybe(draw(st.lists(st.floats(-1e3, 1e3, allow_nan=False), min_size=n, max_size=n)))
    cats = maybe(draw(st.lists(st.sampled_from(["a", "b", "c", "d"]), min_size=n, max_size=n)))
    df = pd.DataFrame({
        "i": np.array(ints, dtype="int64"),
        "f": np.array([np.nan if v is None else v for v in floats], dtype=float),
        "c": pd.array(cats, dtype="str"),
        "flag": draw(st.lists(st.booleans(), min_size=n, max_size=n)),
        "keep": pd.array([f"row{j}" for j in range(n)], dtype="str"),
        "other": np.arange(n, dtype=float) / 7,
    })
    df.index = draw(st.permutations(list(range(100, 100 + n))))
    candidates = ["i", "f", "c", "flag"]
    qis = draw(st.lists(st.sampled_from(candidates), min_size=1, max_size=4, unique=True))
    if df[qis].isna().all().any():
        qis = [q for q in qis if not df[q].isna().all()] or ["i"]
    k = draw(st.integers(1, n))
    y = np.array(draw(st.lists(st.sampled_from(["p", "q", "r"]), min_size=n, max_size=n)))
    return df, qis, k, y


def check_guarantees(X, result, qis, k):
    out = result.data
    assert out.index.equals(X.index), "rows lost or reordered"
    assert list(out.columns) == list(X.columns)
    assert out.dtypes.equals(X.dtypes)
    others = [c for c in X.columns if c not in qis]
    pd.testing.assert_frame_equal(out[others], X[others])
    ids = equivalence_classes(out, qis)
    assert np.bincount(ids).min() >= k, "a class of the output has fewer than k rows"
    # the bookkeeping describes the same partition as the output table
    pairs = set(zip(ids.tolist(), result.class_ids.tolist()))
    assert len(pairs) == len(set(ids.tolist())) == len(set(result.class_ids.tolist()))
    assert result.classes["size"].sum() == len(X)
    assert result.classes["size"].tolist() == np.bincount(result.class_ids).tolist()
    for q in qis:  # a representative is a value (or the missing value) of its own class
        for cid in np.unique(result.class_ids):
            members = X[q][result.class_ids == cid]
            rep = out[q][result.class_ids == cid].iloc[0]
            if pd.isna(rep):
                assert members.isna().any() or X[q].dtype.kind == "f"
            else:
                assert rep in set(members.dropna().tolist())


@SETTINGS
@given(tables(), st.sampled_from(["qi", "all"]))
def test_accuracy_guided_guarantees(case, tree_features):
    X, qis, k, y = case
    before = X.copy()
    result = AccuracyGuidedAnonymizer(k=k, quasi_identifiers=qis, tree_features=tree_features).anonymize(X, y)
    check_guarantees(X, result, qis, k)
    pd.testing.assert_frame_equal(X, before)  # the input is not modified


@SETTINGS
@given(tables())
def test_mondrian_guarantees(case):
    X, qis, k, _ = case
    result = MondrianAnonymizer(k=k, quasi_identifiers=qis).anonymize(X)
    check_guarantees(X, result, qis, k)


@SETTINGS
@given(tables(), st.integers(1, 50))
def test_k_larger_than_the_table_is_a_clear_error(case, extra):
    X, qis, _, y = case
    k = len(X) + extra
    for anonymizer in (AccuracyGuidedAnonymizer(k=k, quasi_identifiers=qis),
                       MondrianAnonymizer(k=k, quasi_identifiers=qis)):
        with pytest.raises(DataError, match=f"k={k} is larger than the table \\({len(X)} rows\\)"):
            anonymizer.fit(X, y)


def test_same_seed_same_result(adult_train):
    from anonymizer import ADULT_QIS
    X = adult_train.drop(columns="income").iloc[:3000]
    y = adult_train["income"].iloc[:3000].to_numpy()
    a = AccuracyGuidedAnonymizer(k=20, quasi_identifiers=ADULT_QIS, random_state=3).anonymize(X, y)
    b = AccuracyGuidedAnonymizer(k=20, quasi_identifiers=ADULT_QIS, random_state=3).anonymize(X, y)
    pd.testing.assert_frame_equal(a.data, b.data)


@SETTINGS
@given(tables(), st.sampled_from(["binary", "continuous"]), st.integers(0, 3))
def test_histogram_tree_leaves_hold_k(case, guide, seed):
    """The histogram tree alone (before any merge or representative) keeps >= k rows in every leaf; on
    tables that is the compiled `BinnedTree` (the LightGBM one: tests/test_trees.py)."""
    X, qis, k, y = case
    rng = np.random.default_rng(seed)
    y = rng.normal(size=len(X)).round(3) + 0.1 if guide == "continuous" else np.where(y == "p", "p", "q")
    anonymizer = AccuracyGuidedAnonymizer(k=k, quasi_identifiers=qis, tree_features="all", splitter="histogram",
                                          random_state=seed)
    result = anonymizer.anonymize(X, y)
    Z = anonymizer.encoder_.transform(X[anonymizer.tree_columns_])
    leaves = anonymizer.tree_.apply(Z)
    assert np.bincount(leaves)[np.bincount(leaves) > 0].min() >= k
    check_guarantees(X, result, qis, k)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.one_of(st.none(), st.text(max_size=4), st.sampled_from(["", "é", "E", "z", "Ω", "\U0001f600"])),
                max_size=40))
def test_text_codes_from_arrow_equal_sorted_factorize_codes(values):
    """Arrow-held text is encoded by Arrow's hash and a sort of the distinct values; the codes must be
    those of a sorted factorize of the same values (missing last), whatever the characters."""
    from anonymizer.classes import ordered_codes

    enc = ordered_codes(pd.Series(values, dtype="str"))
    codes, uniques = pd.factorize(pd.Series(values, dtype=object), sort=True)
    assert list(enc.values) == list(uniques)
    assert enc.codes.tolist() == np.where(codes < 0, len(uniques), codes).tolist()


def test_text_codes_of_a_column_arrow_holds_in_several_chunks():
    """Concatenated columns (as Dask partitions and pd.concat give) are chunked in Arrow; their codes
    must still be one sorted encoding over all chunks."""
    import pyarrow as pa

    from anonymizer.classes import ordered_codes

    column = pd.concat([pd.Series(["b", None, "c"], dtype="str"), pd.Series(["a", "b"], dtype="str")],
                       ignore_index=True)
    assert isinstance(pa.array(column.array), pa.ChunkedArray)
    enc = ordered_codes(column)
    assert list(enc.values) == ["a", "b", "c"] and enc.codes.tolist() == [1, 3, 2, 0, 1]
