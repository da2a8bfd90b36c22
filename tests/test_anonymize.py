"""Hand-checked cases for both anonymizers and the shared representative rules."""

import numpy as np
import pandas as pd
import pytest
from sklearn.exceptions import NotFittedError

from anonymizer import AccuracyGuidedAnonymizer, DataError, MondrianAnonymizer, drop_quasi_identifiers
from anonymizer.classes import categorical_representatives, numeric_representatives

PRED = np.array(["lo"] * 4 + ["hi"] * 4)


def test_ag_two_leaves_exact(small_people):
    result = AccuracyGuidedAnonymizer(k=4, quasi_identifiers=["age", "sex"]).anonymize(small_people, PRED)
    # leaf 1 ages 20,22,24,26 -> lower median 22; sexes F,F,M,F -> F
    # leaf 2 ages 50,52,54,56 -> lower median 52; sexes M,M,F,M -> M
    assert result.data["age"].tolist() == [22] * 4 + [52] * 4
    assert result.data["sex"].tolist() == ["F"] * 4 + ["M"] * 4
    assert result.class_ids.tolist() == [0] * 4 + [1] * 4
    classes = result.classes
    assert classes["size"].tolist() == [4, 4]
    assert classes["age"].tolist() == [22, 52]
    assert classes["age:min"].tolist() == [20, 50]
    assert classes["age:max"].tolist() == [26, 56]
    assert classes["sex:values"].tolist() == [("F", "M"), ("F", "M")]
    assert result.method == "accuracy-guided" and result.k == 4 and result.seconds > 0


def test_ag_keeps_everything_but_qis(small_people):
    out = AccuracyGuidedAnonymizer(k=4, quasi_identifiers=["age", "sex"]).fit_transform(small_people, PRED)
    assert out.index.tolist() == small_people.index.tolist()
    assert out.dtypes.equals(small_people.dtypes)
    pd.testing.assert_frame_equal(out[["note", "score"]], small_people[["note", "score"]])
    assert small_people["age"].tolist()[0] == 20  # the input is not modified


def test_ag_leaves_with_equal_representatives_merge():
    # the tree (seeing all columns) splits on x, but both leaves get sex=F: one class of 8
    X = pd.DataFrame({"sex": pd.array(["F"] * 8, dtype="str"), "x": np.arange(8.0)})
    anonymizer = AccuracyGuidedAnonymizer(k=4, quasi_identifiers=["sex"], tree_features="all")
    result = anonymizer.anonymize(X, PRED)
    assert anonymizer.tree_.n_leaves_ == 2
    assert result.n_classes == 1
    assert result.classes["size"].tolist() == [8]
    assert set(result.class_ids) == {0}


def test_ag_transform_maps_new_records_to_learned_classes(small_people):
    anonymizer = AccuracyGuidedAnonymizer(k=4, quasi_identifiers=["age", "sex"]).fit(small_people, PRED)
    new = pd.DataFrame({"age": [21, 55], "sex": pd.array(["M", "F"], dtype="str"),
                        "note": pd.array(["x", "y"], dtype="str"), "score": [0.0, 0.0]})
    out = anonymizer.transform(new)
    assert out["age"].tolist() == [22, 52]
    assert out["sex"].tolist() == ["F", "M"]


def test_ag_regression_guidance_uses_a_regressor(small_people):
    y = small_people["score"].to_numpy() * 1.37  # continuous predictions
    exact = AccuracyGuidedAnonymizer(k=4, quasi_identifiers=["age"], splitter="exact")
    assert exact.anonymize(small_people, y).data["age"].tolist() == [22] * 4 + [52] * 4
    assert type(exact.tree_.tree_).__name__ == "DecisionTreeRegressor"
    histogram = AccuracyGuidedAnonymizer(k=4, quasi_identifiers=["age"], splitter="histogram")
    assert histogram.anonymize(small_people, y).data["age"].tolist() == [22] * 4 + [52] * 4


def test_ag_rejects_bad_input(small_people):
    with pytest.raises(DataError, match="larger than the table"):
        AccuracyGuidedAnonymizer(k=9, quasi_identifiers=["age"]).fit(small_people, PRED)
    with pytest.raises(DataError, match="not in the data"):
        AccuracyGuidedAnonymizer(k=2, quasi_identifiers=["zip"]).fit(small_people, PRED)
    with pytest.raises(DataError, match="one prediction per row"):
        AccuracyGuidedAnonymizer(k=2, quasi_identifiers=["age"]).fit(small_people, PRED[:5])
    with pytest.raises(DataError, match="at least 1"):
        AccuracyGuidedAnonymizer(k=0, quasi_identifiers=["age"]).fit(small_people, PRED)
    with pytest.raises(DataError, match="tree_features"):
        AccuracyGuidedAnonymizer(k=2, quasi_identifiers=["age"], tree_features="some").fit(small_people, PRED)


def test_mondrian_numeric_median_splits_exact():
    X = pd.DataFrame({"age": np.arange(1, 9)})
    result = MondrianAnonymizer(k=2, quasi_identifiers=["age"]).anonymize(X)
    # 1..8 -> {1..4},{5..8} -> {1,2},{3,4},{5,6},{7,8}; representatives are lower medians
    assert result.data["age"].tolist() == [1, 1, 3, 3, 5, 5, 7, 7]
    assert result.classes["size"].tolist() == [2, 2, 2, 2]
    assert result.method == "mondrian"


def test_mondrian_categorical_splits_on_value_order():
    X = pd.DataFrame({"color": pd.array(list("rrggbbbb"), dtype="str")})
    result = MondrianAnonymizer(k=2, quasi_identifiers=["color"]).anonymize(X)
    # order b < g < r: median code is b -> {b x4} | {g,g,r,r} -> {g,g} | {r,r}
    assert result.data["color"].tolist() == list("rrggbbbb")
    assert sorted(result.classes["size"].tolist()) == [2, 2, 4]


def test_mondrian_stops_when_a_half_would_be_too_small():
    X = pd.DataFrame({"age": [1, 2, 3, 4, 5]})
    result = MondrianAnonymizer(k=3, quasi_identifiers=["age"]).anonymize(X)
    assert result.n_classes == 1
    assert result.data["age"].tolist() == [3] * 5


def test_missing_values_are_kept_as_a_category_and_skipped_for_numbers():
    X = pd.DataFrame({
        "job": pd.array([None, None, "a", None, "b", "b", "b", None], dtype="str"),
        "age": [np.nan, 30.0, 31.0, np.nan, 40.0, 41.0, 42.0, 43.0],
    })  # age <= 35 or missing separates the predictions perfectly; job does not
    result = AccuracyGuidedAnonymizer(k=4, quasi_identifiers=["job", "age"]).anonymize(X, PRED)
    # leaf 1 (rows 0-3): job mode is missing (3 of 4), ages 30,31 -> 30
    # leaf 2 (rows 4-7): job mode b (3 of 4), ages 40..43 -> lower median 41
    assert result.data["job"].isna().tolist() == [True] * 4 + [False] * 4
    assert result.data["job"].iloc[4:].tolist() == ["b"] * 4
    assert result.data["age"].tolist() == [30.0] * 4 + [41.0] * 4
    assert result.classes["job:values"].tolist() == [("a", None), ("b", None)] or \
        result.classes["job:values"].tolist() == [("b", None), ("a", None)]


def test_numeric_representative_is_the_value_closest_to_the_median():
    values = np.array([1.0, 10.0, 11.0, 100.0, 5.0, 7.0, np.nan, np.nan])
    groups = np.array([0, 0, 0, 0, 1, 1, 2, 2])
    # group 0: median 10.5, 10 and 11 tie -> 10; group 1: 5 and 7 tie -> 5; group 2: no value
    rep = numeric_representatives(values, groups, 3)
    assert rep[:2].tolist() == [10.0, 5.0] and np.isnan(rep[2])


@pytest.mark.parametrize("kind", ["whole numbers", "negative whole numbers", "fractions", "wide span",
                                  "many groups x values"])
def test_numeric_representatives_are_lower_medians_on_every_path(kind):
    """Whole numbers are coded by subtraction, others hashed; small tables of (group, value) counts
    are summed, large ones sorted. Every path gives each group's lower median."""
    rng = np.random.default_rng(3)
    n, n_groups = (20_000, 5_000) if kind == "many groups x values" else (3_000, 40)
    values = {"whole numbers": rng.integers(0, 90, n).astype(float),
              "negative whole numbers": rng.integers(-5, 90, n).astype(float),
              "fractions": rng.integers(0, 300, n) / 7,
              "wide span": rng.integers(0, 10**9, n).astype(float),
              "many groups x values": rng.normal(size=n)}[kind]
    values[rng.random(n) < 0.05] = np.nan
    groups = rng.integers(0, n_groups, n)
    expected = np.full(n_groups, np.nan)
    for g in range(n_groups):
        present = np.sort(values[(groups == g) & ~np.isnan(values)])
        if len(present):
            expected[g] = present[(len(present) - 1) // 2]
    assert np.array_equal(numeric_representatives(values, groups, n_groups), expected, equal_nan=True)


def test_a_negative_zero_representative_keeps_its_sign():
    rep = numeric_representatives(np.array([-0.0, -0.0, 1.0]), np.array([0, 0, 1]), 2)
    assert rep.tolist() == [0.0, 1.0] and np.signbit(rep[0])


def test_categorical_representative_ties_go_to_the_first_value():
    codes = np.array([2, 1, 1, 2, 0, 3, 3])
    groups = np.array([0, 0, 0, 0, 1, 1, 1])
    assert categorical_representatives(codes, 4, groups, 2).tolist() == [1, 3]


def test_categorical_representative_sparse_path_matches_dense():
    rng = np.random.default_rng(1)
    codes, groups = rng.integers(0, 7, 500), rng.integers(0, 40, 500)
    dense = categorical_representatives(codes, 7, groups, 40)
    # a huge code space (40 x 10**7 cells) takes the sort-based path; the answer must not change
    sparse = categorical_representatives(codes, 10**7, groups, 40)
    assert sparse.tolist() == dense.tolist()


def test_rules_are_json_ready(small_people):
    result = AccuracyGuidedAnonymizer(k=4, quasi_identifiers=["age", "sex"]).anonymize(small_people, PRED)
    rules = result.rules()
    assert rules[0] == {"class_id": 0, "size": 4, "quasi_identifiers": {
        "age": {"representative": 22, "min": 20, "max": 26},
        "sex": {"representative": "F", "values": ["F", "M"]}}}
    assert '"classes"' in result.rules_json()


def test_class_records_returns_the_rows_of_a_class(small_people):
    result = AccuracyGuidedAnonymizer(k=4, quasi_identifiers=["age", "sex"]).anonymize(small_people, PRED)
    assert result.class_records(1, original=small_people)["age"].tolist() == [50, 52, 54, 56]


def test_qis_dropped_baseline(small_people):
    assert drop_quasi_identifiers(small_people, ["age", "sex"]).columns.tolist() == ["note", "score"]
    with pytest.raises(DataError):
        drop_quasi_identifiers(small_people, ["zip"])


# --- scikit-learn conventions and what a fitted anonymizer keeps -------------------------------

def test_parameters_are_keyword_only():
    with pytest.raises(TypeError):
        AccuracyGuidedAnonymizer(4, ["age"])
    with pytest.raises(TypeError):
        MondrianAnonymizer(4, ["age"])


@pytest.mark.parametrize("anonymizer", [AccuracyGuidedAnonymizer(k=4, quasi_identifiers=["age"]),
                                        MondrianAnonymizer(k=4, quasi_identifiers=["age"])])
def test_transform_before_fit_is_not_fitted_error(anonymizer, small_people):
    with pytest.raises(NotFittedError):
        anonymizer.transform(small_people)
    with pytest.raises(NotFittedError):
        anonymizer.get_feature_names_out()


@pytest.mark.parametrize("make", [lambda: AccuracyGuidedAnonymizer(k=4, quasi_identifiers=["age", "sex"]),
                                  lambda: MondrianAnonymizer(k=4, quasi_identifiers=["age", "sex"])])
def test_set_output_pandas_and_feature_names(make, small_people):
    anonymizer = make().set_output(transform="pandas")
    out = anonymizer.fit_transform(small_people, PRED)
    assert anonymizer.get_feature_names_out().tolist() == ["age", "sex", "note", "score"]
    assert out.columns.tolist() == ["age", "sex", "note", "score"] and out.index.equals(small_people.index)
    # transform of the fitted rows gives back the fitted anonymization
    pd.testing.assert_frame_equal(anonymizer.transform(small_people), out)


def test_mondrian_transform_places_new_records_by_the_recorded_splits():
    X = pd.DataFrame({"age": np.arange(1, 9), "color": pd.array(list("rrggbbbb"), dtype="str")})
    anonymizer = MondrianAnonymizer(k=2, quasi_identifiers=["age"]).fit(X)
    # splits: age <= 4 | > 4, then <= 2, <= 6; classes represented by 1, 3, 5, 7
    new = pd.DataFrame({"age": [0, 2, 4, 4.5, 6, 100], "color": pd.array(list("xxxxxx"), dtype="str")})
    assert anonymizer.transform(new)["age"].tolist() == [1, 1, 3, 5, 5, 7]
    cats = MondrianAnonymizer(k=2, quasi_identifiers=["color"]).fit(X)
    # order b < g < r: {b x4} | {g,g} | {r,r}; an unseen category counts as missing (sorts last)
    new = pd.DataFrame({"age": [0] * 4, "color": pd.array(["b", "g", "r", "zz"], dtype="str")})
    assert cats.transform(new)["color"].tolist() == ["b", "g", "r", "r"]


def test_mondrian_transform_with_missing_values_matches_fit():
    X = pd.DataFrame({"a": [1.0, np.nan, 3.0, np.nan, 5.0, 6.0, np.nan, 8.0],
                      "c": pd.array(["x", None, "y", "y", None, "x", "z", "z"], dtype="str")})
    anonymizer = MondrianAnonymizer(k=2, quasi_identifiers=["a", "c"])
    result = anonymizer.anonymize(X)
    pd.testing.assert_frame_equal(anonymizer.transform(X), result.data)


def _arrays(obj, seen=None, skip=()):
    """Every numpy array (and pandas index/series values) reachable from obj."""
    seen = set() if seen is None else seen
    if id(obj) in seen:
        return
    seen.add(id(obj))
    if isinstance(obj, np.ndarray):
        yield obj
        if obj.dtype == object:
            for v in obj.ravel():
                yield from _arrays(v, seen, skip)
    elif isinstance(obj, (pd.Index, pd.Series)):
        yield np.asarray(obj)
    elif isinstance(obj, pd.DataFrame):
        for _, col in obj.items():
            yield np.asarray(col)
    elif isinstance(obj, dict):
        for key, v in obj.items():
            if key not in skip:
                yield from _arrays(key, seen, skip)
                yield from _arrays(v, seen, skip)
    elif isinstance(obj, (list, tuple, set, frozenset)):
        for v in obj:
            yield from _arrays(v, seen, skip)
    elif hasattr(obj, "__dict__") and not isinstance(obj, type):
        yield from _arrays(vars(obj), seen, skip)
    elif hasattr(obj, "__slots__"):
        for name in obj.__slots__:
            yield from _arrays(getattr(obj, name, None), seen, skip)


@pytest.mark.parametrize("n", [300, 200])  # 200: fewer distinct values than BinnedTree has bins
@pytest.mark.parametrize("method", ["ag-histogram", "ag-exact", "mondrian"])
def test_a_pickled_anonymizer_holds_no_row_of_the_original(method, n):
    import pickle

    rng = np.random.default_rng(0)
    X = pd.DataFrame({"f": rng.normal(size=n).round(6), "i": rng.integers(0, 40, n),
                      "c": pd.array(rng.choice(list("abcdefgh"), n), dtype="str"), "other": np.arange(n)})
    y = np.where(X["f"] + rng.normal(size=n) > 0, "yes", "no")
    qis = ["f", "i", "c"]
    if method == "mondrian":
        anonymizer = MondrianAnonymizer(k=5, quasi_identifiers=qis)
    else:
        anonymizer = AccuracyGuidedAnonymizer(k=5, quasi_identifiers=qis, tree_features="all",
                                              splitter=method.split("-")[1])
    result = anonymizer.anonymize(X, y)
    restored = pickle.loads(pickle.dumps(anonymizer))
    arrays = list(_arrays(restored))
    assert arrays, "the walk found nothing: it is broken"
    assert not [a.shape for a in arrays if a.ndim and a.shape[0] >= n], "a row-length array is kept"
    distinct_f = np.unique(X["f"])  # f is unique per row: its sorted values would rebuild the column
    assert not any(a.shape == distinct_f.shape and np.array_equal(a, distinct_f) for a in arrays)
    pd.testing.assert_frame_equal(restored.transform(X), result.data)


# --- the trees -----------------------------------------------------------------------------------

def test_guide_labels_classify_once():
    from anonymizer.trees import guide_labels

    labels = guide_labels(np.array(["b", "a", "b", "c"]))
    assert not labels.continuous and labels.values.tolist() == [0, 1, 0, 2] and labels.n_classes == 3
    assert labels.score().tolist() == [1.0, 0.0, 1.0, 0.0]
    assert not guide_labels(np.array([0.0, 1.0, 1.0])).continuous  # whole floats are classes
    assert guide_labels(np.array([0.5, 1.0])).continuous


def test_merge_small_leaves_joins_siblings_bottom_up():
    from anonymizer.trees import TreeStructure, merge_small_leaves

    #        0
    #     1     2
    #    3 4   5 6      leaves 3,4,5,6 are leaf ids 0,1,2,3
    tree = TreeStructure(left=np.array([1, 3, 5, -1, -1, -1, -1]), right=np.array([2, 4, 6, -1, -1, -1, -1]),
                         leaf=np.array([-1, -1, -1, 0, 1, 2, 3]))
    assert merge_small_leaves(tree, [5, 5, 5, 5], 5).tolist() == [0, 1, 2, 3]
    assert merge_small_leaves(tree, [2, 6, 5, 5], 5).tolist() == [0, 0, 1, 2]  # 2 joins its sibling
    assert merge_small_leaves(tree, [2, 2, 9, 5], 5).tolist() == [0, 0, 1, 0]  # 2+2 < 5: joins the smaller of 9, 5
    assert merge_small_leaves(tree, [1, 1, 1, 1], 5).tolist() == [0, 0, 0, 0]  # the root: one group
    assert merge_small_leaves(tree, [0, 5, 7, 0], 5).tolist() == [0, 0, 1, 1]  # empty leaves join too


def test_histogram_and_exact_trees_split_alike_on_a_clear_signal():
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"a": rng.integers(0, 100, 2000), "b": rng.normal(size=2000)})
    y = np.where(X["a"] >= 50, "hi", "lo")
    out = {s: AccuracyGuidedAnonymizer(k=500, quasi_identifiers=["a", "b"], splitter=s).anonymize(X, y)
           for s in ("histogram", "exact")}
    for result in out.values():
        assert result.classes["size"].min() >= 500
        # the first split is the label boundary: no class mixes a < 50 and a >= 50
        assert ((result.classes["a:min"] >= 50) | (result.classes["a:max"] < 50)).all()


def test_histogram_splitter_rejects_multiclass_guides(small_people):
    y = np.array(list("abcdabcd"))
    with pytest.raises(DataError, match="binary or continuous"):
        AccuracyGuidedAnonymizer(k=2, quasi_identifiers=["age"], splitter="histogram").fit(small_people, y)
    with pytest.raises(DataError, match="splitter must be one of"):
        AccuracyGuidedAnonymizer(k=2, quasi_identifiers=["age"], splitter="fast").fit(small_people, PRED)
    auto = AccuracyGuidedAnonymizer(k=2, quasi_identifiers=["age"]).fit(small_people, y)
    assert type(auto.tree_).__name__ == "ExactTree"
