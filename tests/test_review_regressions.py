"""Regression tests for problems found in review (each reproduced before it was fixed)."""

import json

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression

from anonymizer import AccuracyGuidedAnonymizer, DataError, MondrianAnonymizer, privacy_metrics
from anonymizer.analysis import Analysis
from anonymizer.attack_suite import AttackSettings
from anonymizer.attacks import Outputs, _shadow_features, true_label_proba
from anonymizer.cli import main
from anonymizer.data import read_table
from anonymizer.models import _trusted_type, train_default_model
from anonymizer.roles import Roles


@pytest.mark.parametrize("name, trusted", [
    ("sklearn.tree._tree.Tree", True),
    ("sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor", True),
    ("sklearn.neighbors._kd_tree.KDTree", True),
    ("sklearn.metrics._dist_metrics.EuclideanDistance64", True),
    ("sklearn.callback.ScoringMonitor", False),  # opens network connections
    ("sklearn.datasets._lfw.Memory", False),  # joblib's Memory re-exported under sklearn
    ("sklearn.utils._joblib.Parallel", False),
    ("posix.system", False),
])
def test_skops_trust_is_an_explicit_list(name, trusted):
    assert _trusted_type(name) is trusted


def test_shadow_label_codes_do_not_depend_on_which_labels_are_present():
    model = LogisticRegression().fit(pd.DataFrame({"x": np.arange(6.0)}), ["A", "B", "C", "A", "B", "C"])
    labels = np.array(["A", "B", "C"])
    X = pd.DataFrame({"x": [0.0, 2.0]})
    assert _shadow_features(Outputs.of(model, X, ["A", "C"]), labels)[:, -1].tolist() == [0, 2]


def test_labels_match_by_value_across_int_and_float():
    model = LogisticRegression().fit(np.arange(6.0).reshape(-1, 1), [0, 0, 0, 1, 1, 1])
    X = pd.DataFrame({"x": [0.0, 5.0]})
    assert np.allclose(true_label_proba(model, X.to_numpy(), [0.0, 1.0]),
                       true_label_proba(model, X.to_numpy(), [0, 1]))
    assert (true_label_proba(model, X.to_numpy(), [0.0, 1.0]) > 0.5).all()


def test_parquet_index_is_kept_as_a_column(tmp_path):
    df = pd.DataFrame({"id": [7, 8, 9], "age": [1, 2, 3]}).set_index("id")
    df.to_parquet(tmp_path / "t.parquet")
    assert read_table(tmp_path / "t.parquet").columns.tolist() == ["id", "age"]


def test_infinite_values_are_a_clear_error():
    X = pd.DataFrame({"a": [1.0, np.inf, 3.0, 4.0], "b": [1.0, 2.0, 3.0, 1e39]})
    for anonymizer in (AccuracyGuidedAnonymizer(k=2, quasi_identifiers=["a"]),
                       MondrianAnonymizer(k=2, quasi_identifiers=["a"])):
        with pytest.raises(DataError, match=r"\['a'\] hold infinite"):
            anonymizer.fit(X, ["p", "q", "p", "q"])
    with pytest.raises(DataError, match=r"\['b'\] hold infinite"):
        AccuracyGuidedAnonymizer(k=2, quasi_identifiers=["b"]).fit(X.drop(columns="a"), ["p", "q", "p", "q"])


def test_dates_train_the_default_model():
    X = pd.DataFrame({"when": pd.date_range("2020-01-01", periods=40), "x": np.arange(40)})
    model = train_default_model(X, np.resize(["a", "b"], 40))
    assert len(model.predict(X)) == 40
    assert "Timestamp" not in model[-1].booster_.model_to_string()[-2000:]


@pytest.mark.parametrize("extra, message", [
    (["--seed", "-1"], "the seed must be a whole number"),
    (["--seed", str(2**40)], "the seed must be a whole number"),
    (["--out", "DIR"], "is a folder"),
    (["--model", "OUT", "--out", "OUT"], "is an input file"),
])
def test_cli_rejects_bad_seeds_folders_and_overwriting_the_model(tmp_path, capsys, extra, message):
    data = tmp_path / "d.csv"
    pd.DataFrame({"age": range(20), "y": ["a", "b"] * 10}).to_csv(data, index=False)
    (tmp_path / "folder.csv").mkdir()
    (tmp_path / "m.csv").write_text("tree\n")
    argv = ["anonymize", "--data", str(data), "--qi", "age", "--k", "2", "--target", "y"]
    if "--out" not in extra:
        argv += ["--out", str(tmp_path / "o.csv")]
    names = {"DIR": str(tmp_path / "folder.csv"), "OUT": str(tmp_path / "m.csv")}
    argv += [names.get(a, a) for a in extra]
    code = main(argv)
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1 and message in err[0]
    assert (tmp_path / "m.csv").read_text() == "tree\n"


def test_sensitive_equal_to_target_is_refused_for_attribute_inference(adult_train):
    with pytest.raises(DataError, match="is the target"):
        Analysis(adult_train.iloc[:500], Roles("income", ("age",), sensitive="income"))


def test_ordered_categorical_t_closeness_uses_the_ordered_emd():
    levels = pd.CategoricalDtype(["low", "mid", "high"], ordered=True)
    s = pd.Series(["low", "low", "high", "mid", "high", "high"], dtype=levels)
    anonymized = pd.DataFrame({"q": [0, 0, 0, 1, 1, 1], "s": s})
    as_numbers = anonymized.assign(s=s.cat.codes)
    ordered = privacy_metrics(anonymized, ["q"], sensitive="s").t_closeness
    assert ordered == pytest.approx(privacy_metrics(as_numbers, ["q"], sensitive="s").t_closeness)
    unordered = privacy_metrics(anonymized.assign(s=s.astype(str)), ["q"], sensitive="s").t_closeness
    assert ordered != pytest.approx(unordered)


def test_integer_column_names_work():
    X = pd.DataFrame({0: np.arange(20), 1: np.resize(["a", "b"], 20)})
    result = AccuracyGuidedAnonymizer(k=5, quasi_identifiers=[0, 1]).anonymize(X, np.resize(["p", "q"], 20))
    assert json.loads(result.rules_json())["classes"][0]["quasi_identifiers"].keys() == {"0", "1"}


def test_mondrian_does_not_depend_on_the_order_of_the_qis():
    X = pd.DataFrame({"a": [1.0] * 10 + [5.0] * 5 + [np.nan] * 5, "c": [3] * 20})
    one = MondrianAnonymizer(k=5, quasi_identifiers=["a", "c"]).anonymize(X).classes["size"].tolist()
    two = MondrianAnonymizer(k=5, quasi_identifiers=["c", "a"]).anonymize(X).classes["size"].tolist()
    assert sorted(one) == sorted(two) == [5, 5, 10]


def test_qis_dropped_with_every_model_input_a_qi_is_the_majority_class(adult_train):
    data = adult_train[["age", "sex", "income"]].iloc[:1500]
    exp = Analysis(data, Roles("income", ("age", "sex")), attack_settings=AttackSettings(1, 1)).simulation
    dropped = exp.qi_dropped()
    majority = (exp.split.holdout["income"] == exp.split.members["income"].mode()[0]).mean()
    assert dropped.accuracy == pytest.approx(majority) and "majority class" in dropped.retrained_as
