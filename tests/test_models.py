"""Loading users' models safely, checking them against the table, retraining them."""

import os
import pickle

import numpy as np
import pandas as pd
import pytest
import skops.io as sio
from sklearn.compose import make_column_transformer
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LinearRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer, OneHotEncoder

from anonymizer import DataError
from anonymizer.models import (
    LightGBMFileModel,
    check_model,
    load_model,
    retrain,
    train_default_model,
)


@pytest.fixture(scope="module")
def sample(adult_train):
    data = adult_train.iloc[:3000]
    return data.drop(columns="income"), data["income"]


class Touch:
    """Unpickling this creates a file: stands for any code a pickle can run."""

    def __init__(self, path):
        self.path = path

    def __reduce__(self):
        return (open, (self.path, "w"))


@pytest.mark.parametrize("name", ["model.pkl", "model.joblib", "model.skops", "model.txt", "model.bin"])
def test_malicious_pickle_is_refused_and_runs_nothing(tmp_path, name):
    marker = tmp_path / "pwned"
    path = tmp_path / name
    path.write_bytes(pickle.dumps(Touch(str(marker))))
    with pytest.raises(DataError, match="refused to load a pickle/joblib file: .* run any code"):
        load_model(path)
    assert not marker.exists()


def test_pickle_loads_only_with_the_explicit_opt_in(tmp_path, sample):
    X, y = sample
    model = train_default_model(X, y)
    path = tmp_path / "model.pkl"
    path.write_bytes(pickle.dumps(model))
    with pytest.raises(DataError):
        load_model(path)
    loaded = load_model(path, allow_pickle=True)
    assert (loaded.predict(X) == model.predict(X)).all()


def test_lightgbm_text_model_round_trip_and_retrain(tmp_path, sample):
    X, y = sample
    model = train_default_model(X, y, random_state=3)
    path = tmp_path / "model.txt"
    model[-1].booster_.save_model(str(path))
    loaded = check_model(load_model(path), X, y)
    assert isinstance(loaded, LightGBMFileModel)
    assert list(loaded.classes_) == ["<=50K", ">50K"]
    np.testing.assert_allclose(loaded.predict_proba(X), model.predict_proba(X), atol=1e-9)
    refit, recipe = retrain(loaded, X, y)
    params = refit[-1].get_params()
    assert params["num_leaves"] == 31 and params["n_estimators"] == 100 and params["random_state"] == 3
    assert "LightGBM" in recipe and (refit.predict(X) == y).mean() > 0.8


def test_skops_sklearn_pipeline_loads(tmp_path, sample):
    X, y = sample
    cats = [c for c in X.columns if not pd.api.types.is_numeric_dtype(X[c])]
    pipe = make_pipeline(make_column_transformer((OneHotEncoder(handle_unknown="ignore"), cats),
                                                 remainder="passthrough"),
                         RandomForestClassifier(n_estimators=5, random_state=0)).fit(X, y)
    path = tmp_path / "model.skops"
    sio.dump(pipe, path)
    loaded = check_model(load_model(path), X, y)
    assert (loaded.predict(X) == pipe.predict(X)).all()
    refit, recipe = retrain(loaded, X, y)
    assert recipe == "RandomForestClassifier (with its pipeline), same parameters" and refit is not loaded


def test_skops_with_an_untrusted_function_is_refused_and_names_it(tmp_path):
    pipe = make_pipeline(FunctionTransformer(os.system), LinearRegression())
    path = tmp_path / "model.skops"
    sio.dump(pipe, path)
    with pytest.raises(DataError, match=r"refused, it contains types outside the trusted list .*system"):
        load_model(path)


@pytest.mark.parametrize("content, message", [
    (b"", "empty"), (b"\x00\x01garbage", "not a model format"),
    (b"tree\nnot really", "could not be read as a LightGBM model"),
])
def test_unreadable_model_files(tmp_path, content, message):
    path = tmp_path / ("m.bin" if b"tree" not in content else "m.txt")
    path.write_bytes(content)
    with pytest.raises(DataError, match=message):
        load_model(path)


def test_model_table_mismatches_are_explained(tmp_path, sample):
    X, y = sample
    model = train_default_model(X[["age", "sex"]], y)
    with pytest.raises(DataError, match=r"needs column\(s\) the table does not have: \['sex'\]"):
        check_model(model, X.drop(columns="sex"), y)
    with pytest.raises(DataError, match="never predicts: \\['maybe'\\]"):
        check_model(model, X, y.where(y != ">50K", "maybe"))
    path = tmp_path / "m.txt"
    model[-1].booster_.save_model(str(path))
    three = pd.Series(np.resize(["a", "b", "c"], len(X)))
    with pytest.raises(DataError, match="predicts 2 classes but the target has 3 values"):
        check_model(load_model(path), X, three)
    regressor = LinearRegression().fit(X[["age"]], np.arange(len(X)))
    with pytest.raises(DataError, match="the model is a regressor but the target is a classification target"):
        check_model(regressor, X[["age"]], y)
    with pytest.raises(DataError, match="no such model file"):
        load_model(tmp_path / "absent.txt")


# --- model families and regression ---------------------------------------------------------------

from sklearn.ensemble import RandomForestRegressor  # noqa: E402
from sklearn.linear_model import LogisticRegression, Ridge  # noqa: E402

from anonymizer.models import FAMILIES, default_model, is_regression_model  # noqa: E402


@pytest.mark.parametrize("family", FAMILIES)
def test_every_family_learns_adult_on_raw_tables_and_retrains(sample, family):
    X, y = sample
    X = X.copy()
    X.loc[X.index[:20], "occupation"] = None  # missing text and numbers are taken as they are
    X.loc[X.index[20:40], "age"] = np.nan
    model = train_default_model(X.iloc[:1500], y.iloc[:1500], random_state=1, family=family)
    accuracy = (model.predict(X.iloc[1500:]) == y.iloc[1500:]).mean()
    assert accuracy > 0.78  # the majority class is ~0.76
    unseen = X.iloc[1500:1510].assign(workclass="never seen")
    assert model.predict_proba(unseen).shape == (10, 2)
    refit, recipe = retrain(model, X.iloc[:1500], y.iloc[:1500])
    np.testing.assert_allclose(refit.predict_proba(X.iloc[1500:]), model.predict_proba(X.iloc[1500:]))
    assert "same parameters" in recipe


def test_families_are_what_they_say(sample):
    assert default_model(0, "random_forest")[-1].get_params()["max_depth"] is None
    assert default_model(0, "random_forest")[-1].get_params()["min_samples_leaf"] == 1
    assert isinstance(default_model(0, "logistic")[-1], LogisticRegression)
    assert isinstance(default_model(0, "logistic", "regression")[-1], Ridge)
    assert isinstance(default_model(3, "random_forest", "regression")[-1], RandomForestRegressor)
    assert default_model(3, "random_forest", "regression")[-1].random_state == 3
    with pytest.raises(DataError, match="unknown model family 'svm'"):
        default_model(0, "svm")
    with pytest.raises(DataError, match="unknown task"):
        train_default_model(*sample, task="ranking")


@pytest.mark.parametrize("family", FAMILIES)
def test_regression_targets_train_for_every_family(sample, family):
    X = sample[0].iloc[:800]
    y = X["hours-per-week"].astype(float) + 0.5  # float target: allowed for regression
    X = X.drop(columns="hours-per-week")
    model = train_default_model(X, y, task="regression", family=family)
    assert is_regression_model(model) and not is_regression_model(train_default_model(*sample))
    pred = model.predict(X)
    assert pred.dtype.kind == "f" and np.corrcoef(pred, y)[0, 1] > 0.3
    refit, _ = retrain(model, X, y)
    np.testing.assert_allclose(refit.predict(X), pred)


def test_regression_target_errors_name_the_column(sample):
    X, y = sample
    with pytest.raises(DataError, match="the target 'income' is not numeric"):
        train_default_model(X, y, task="regression")
    with pytest.raises(DataError, match="the target 'age' holds continuous numbers; use task='regression'"):
        train_default_model(X.drop(columns="age"), X["age"] + 0.5)
    with pytest.raises(DataError, match=r"the target 'age' has 1 missing value\(s\)"):
        train_default_model(X.drop(columns="age"), X["age"].where(X.index != X.index[0]), task="regression")


def test_a_model_file_with_a_numeric_feature_reads_a_code_column_kept_as_text(tmp_path):
    """A postcode the reader keeps as text ("02139") meets a model trained on it as a number."""
    from anonymizer.models import check_model, load_model, train_default_model

    rng = np.random.default_rng(0)
    numeric = pd.DataFrame({"zip": rng.integers(2000, 2200, 300), "age": rng.integers(20, 60, 300)})
    y = pd.Series(np.where(numeric["age"] > 40, "a", "b"))
    model = train_default_model(numeric, y)
    path = tmp_path / "m.txt"
    path.write_text(model[-1].booster_.model_to_string())
    as_text = numeric.assign(zip=numeric["zip"].map(lambda v: f"{v:05d}"))
    loaded = check_model(load_model(path), as_text, y)
    assert (loaded.predict(as_text) == model.predict(numeric)).all()
    with pytest.raises(DataError, match="treats 'zip' as a number"):
        loaded.predict(as_text.assign(zip="n/a"))
