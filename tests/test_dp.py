"""The DP-EBM comparator: reproducible with a seed, its schema public or flagged, every task."""

import numpy as np
import pandas as pd
import pytest

from anonymizer import DataError
from anonymizer.dp import (
    FROM_DATA_NOTE,
    DPClassifier,
    DPRegressor,
    FeatureSpec,
    PrivacySchema,
    dp_factory,
    dp_model,
)
from anonymizer.models import is_regression_model


@pytest.fixture(scope="module")
def adult(adult_train):
    data = adult_train.iloc[:1500]
    return data.drop(columns="income"), data["income"]


SCHEMA = PrivacySchema.from_mapping(
    {"age": (17, 90), "education-num": (1, 16), "hours-per-week": (1, 99),
     "sex": ["Female", "Male"], "race": ["White", "Black", "Asian-Pac-Islander", "Amer-Indian-Eskimo", "Other"]},
    classes=["<=50K", ">50K"])


def test_same_seed_gives_identical_predictions_and_another_seed_other_noise(adult):
    X, y = adult
    first = dp_model(1.0, schema=SCHEMA, random_state=7).fit(X, y)
    again = dp_model(1.0, schema=SCHEMA, random_state=7).fit(X, y)
    other = dp_model(1.0, schema=SCHEMA, random_state=8).fit(X, y)
    np.testing.assert_array_equal(first.predict_proba(X), again.predict_proba(X))
    assert not np.array_equal(first.predict_proba(X), other.predict_proba(X))
    assert list(first.classes_) == ["<=50K", ">50K"] and (first.predict(X) == y).mean() > 0.7


def test_a_given_schema_is_public_and_one_read_from_the_data_is_flagged(adult):
    X, y = adult
    given = dp_model(2.0, schema=SCHEMA).fit(X, y)
    assert given.privacy_note is None and list(given.feature_names_in_) == SCHEMA.names
    read = dp_model(2.0).fit(X[["age", "sex"]], y)
    assert read.privacy_note == FROM_DATA_NOTE and read.schema_.from_private_data
    assert dict(read.schema_.features)["age"] == FeatureSpec("continuous", bounds=(17.0, 90.0))
    assert dict(read.schema_.features)["sex"].categories == ("Female", "Male")
    assert read.schema_.classes == ("<=50K", ">50K")
    hash(read.schema_)  # usable as a cache key


def test_prepare_keeps_to_the_schema():
    schema = PrivacySchema.from_mapping({"age": (20, 60), "sex": ["F", "M"]})
    X = pd.DataFrame({"age": [10.0, 30.0, 99.0, np.nan], "sex": pd.array(["F", "X", None, "M"], dtype="str"),
                      "other": [1, 2, 3, 4]})
    prepared = schema.prepare(X)
    assert prepared.columns.tolist() == ["age", "sex"]
    assert prepared["age"].tolist() == [20.0, 30.0, 60.0, 40.0]  # clipped; missing -> middle of the bounds
    assert prepared["sex"].tolist() == ["F", "(missing)", "(missing)", "M"]
    with pytest.raises(DataError, match=r"needs column\(s\) the data does not have: \['sex'\]"):
        schema.prepare(X[["age"]])
    with pytest.raises(DataError, match="'sex' is declared continuous but holds text"):
        PrivacySchema.from_mapping({"sex": (0, 1)}).prepare(X)


def test_bad_schemas_and_budgets_are_refused(adult):
    X, y = adult
    with pytest.raises(DataError, match="bounds"):
        FeatureSpec("continuous", bounds=(5, 5))
    with pytest.raises(DataError, match="unknown feature type"):
        FeatureSpec("ordinal", categories=("a",))
    with pytest.raises(DataError, match="epsilon must be a positive number"):
        dp_model(0.0, schema=SCHEMA).fit(X, y)
    with pytest.raises(DataError, match=r"value\(s\) the privacy schema does not list: \['>50K'\]"):
        dp_model(1.0, schema=PrivacySchema(SCHEMA.features, classes=("<=50K", "rich"))).fit(X, y)
    with pytest.raises(DataError, match="lists no classes"):
        dp_model(1.0, schema=PrivacySchema(SCHEMA.features)).fit(X, y)
    with pytest.raises(DataError, match="unknown task"):
        dp_factory(1.0, task="ranking")


def test_multiclass_is_one_vs_rest_with_the_budget_split(adult):
    X, _ = adult
    y = pd.cut(X["hours-per-week"], [0, 35, 45, 100], labels=["part", "full", "long"]).astype(str)
    schema = PrivacySchema(SCHEMA.features, classes=("full", "long", "part"))
    model = dp_model(3.0, schema=schema, random_state=1).fit(X, y)
    assert len(model.models_) == 3 and all(m.epsilon == pytest.approx(1.0) for m in model.models_)
    assert all(m.delta == pytest.approx(1e-5 / 3) for m in model.models_)
    proba = model.predict_proba(X)
    assert proba.shape == (len(X), 3) and np.allclose(proba.sum(axis=1), 1)
    assert set(model.predict(X)) <= {"full", "long", "part"}


def test_a_schema_class_the_rows_lack_is_never_predicted_and_one_class_is_refused(adult):
    X, _ = adult
    y = pd.cut(X["hours-per-week"], [0, 40, 100], labels=["short", "long"]).astype(str)
    schema = PrivacySchema(SCHEMA.features, classes=("long", "rare", "short"))
    model = dp_model(3.0, schema=schema, random_state=1).fit(X, y)
    assert model.models_[1] is None and all(m is not None for m in (model.models_[0], model.models_[2]))
    proba = model.predict_proba(X)
    assert proba.shape == (len(X), 3) and (proba[:, 1] == 0).all() and np.allclose(proba.sum(axis=1), 1)
    with pytest.raises(DataError, match="single class"):
        dp_model(3.0, schema=schema).fit(X, pd.Series(["long"] * len(X)))


def test_regressor_needs_the_target_range_and_predicts_numbers(adult):
    X, _ = adult
    y = X["hours-per-week"].astype(float)
    schema = PrivacySchema(tuple((n, s) for n, s in SCHEMA.features if n != "hours-per-week"), target_bounds=(1, 99))
    model = dp_model(4.0, schema=schema, task="regression", random_state=0).fit(X, y)
    assert isinstance(model, DPRegressor) and is_regression_model(model) and model.privacy_note is None
    pred = model.predict(X)
    assert pred.dtype.kind == "f" and 1 <= pred.min() and pred.max() <= 99
    np.testing.assert_array_equal(pred, dp_model(4.0, schema=schema, task="regression").fit(X, y).predict(X))
    with pytest.raises(DataError, match="needs the target's public range"):
        DPRegressor(schema=schema.__class__(schema.features)).fit(X, y)


def test_factory_makes_seeded_models_of_one_recipe(adult):
    factory = dp_factory(1.0, schema=SCHEMA)
    a, b = factory(3), factory(4)
    assert isinstance(a, DPClassifier) and a.random_state == 3 and b.random_state == 4
    assert a.get_params()["epsilon"] == 1.0 and a.schema is SCHEMA
