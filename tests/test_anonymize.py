"""Hand-checked cases for both anonymizers and the shared representative rules."""

import numpy as np
import pandas as pd
import pytest

from anonymizer import AccuracyGuidedAnonymizer, DataError, MondrianAnonymizer, drop_quasi_identifiers
from anonymizer.classes import categorical_representatives, numeric_representatives

PRED = np.array(["lo"] * 4 + ["hi"] * 4)


def test_ag_two_leaves_exact(small_people):
    result = AccuracyGuidedAnonymizer(k=4, quasi_identifiers=["age", "sex"]).fit(small_people, PRED).result_
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
    anonymizer = AccuracyGuidedAnonymizer(k=4, quasi_identifiers=["sex"], tree_features="all").fit(X, PRED)
    assert anonymizer.tree_.n_leaves_ == 2
    result = anonymizer.result_
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
    exact = AccuracyGuidedAnonymizer(k=4, quasi_identifiers=["age"], splitter="exact").fit(small_people, y)
    assert type(exact.tree_.tree_).__name__ == "DecisionTreeRegressor"
    assert exact.result_.data["age"].tolist() == [22] * 4 + [52] * 4
    histogram = AccuracyGuidedAnonymizer(k=4, quasi_identifiers=["age"], splitter="histogram").fit(small_people, y)
    assert histogram.result_.data["age"].tolist() == [22] * 4 + [52] * 4


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
    result = MondrianAnonymizer(k=2, quasi_identifiers=["age"]).fit(X).result_
    # 1..8 -> {1..4},{5..8} -> {1,2},{3,4},{5,6},{7,8}; representatives are lower medians
    assert result.data["age"].tolist() == [1, 1, 3, 3, 5, 5, 7, 7]
    assert result.classes["size"].tolist() == [2, 2, 2, 2]
    assert result.method == "mondrian"


def test_mondrian_categorical_splits_on_value_order():
    X = pd.DataFrame({"color": pd.array(list("rrggbbbb"), dtype="str")})
    result = MondrianAnonymizer(k=2, quasi_identifiers=["color"]).fit(X).result_
    # order b < g < r: median code is b -> {b x4} | {g,g,r,r} -> {g,g} | {r,r}
    assert result.data["color"].tolist() == list("rrggbbbb")
    assert sorted(result.classes["size"].tolist()) == [2, 2, 4]


def test_mondrian_stops_when_a_half_would_be_too_small():
    X = pd.DataFrame({"age": [1, 2, 3, 4, 5]})
    result = MondrianAnonymizer(k=3, quasi_identifiers=["age"]).fit(X).result_
    assert result.n_classes == 1
    assert result.data["age"].tolist() == [3] * 5


def test_missing_values_are_kept_as_a_category_and_skipped_for_numbers():
    X = pd.DataFrame({
        "job": pd.array([None, None, "a", None, "b", "b", "b", None], dtype="str"),
        "age": [np.nan, 30.0, 31.0, np.nan, 40.0, 41.0, 42.0, 43.0],
    })  # age <= 35 or missing separates the predictions perfectly; job does not
    result = AccuracyGuidedAnonymizer(k=4, quasi_identifiers=["job", "age"]).fit(X, PRED).result_
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
    result = AccuracyGuidedAnonymizer(k=4, quasi_identifiers=["age", "sex"]).fit(small_people, PRED).result_
    rules = result.rules()
    assert rules[0] == {"class_id": 0, "size": 4, "quasi_identifiers": {
        "age": {"representative": 22, "min": 20, "max": 26},
        "sex": {"representative": "F", "values": ["F", "M"]}}}
    assert '"classes"' in result.rules_json()


def test_class_records_returns_the_rows_of_a_class(small_people):
    result = AccuracyGuidedAnonymizer(k=4, quasi_identifiers=["age", "sex"]).fit(small_people, PRED).result_
    assert result.class_records(1, original=small_people)["age"].tolist() == [50, 52, 54, 56]


def test_qis_dropped_baseline(small_people):
    assert drop_quasi_identifiers(small_people, ["age", "sex"]).columns.tolist() == ["note", "score"]
    with pytest.raises(DataError):
        drop_quasi_identifiers(small_people, ["zip"])
