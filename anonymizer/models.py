"""Models: the default LightGBM model and the small adapters it needs.

LightGBM splits pandas `category` columns natively, so text columns become categories with the
categories fixed at fit time: the same text gets the same code on the training data, the test
data and the anonymized data, and unseen text becomes missing instead of a wrong code.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from lightgbm import LGBMClassifier
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.pipeline import Pipeline
from sklearn.utils.multiclass import type_of_target

from .data import CATEGORICAL, DataError, column_kind

DEFAULT_SEED = 0


class CategoryEncoder(BaseEstimator, TransformerMixin):
    """Text and boolean columns to pandas categories with the categories seen in fit."""

    def fit(self, X: pd.DataFrame, y=None):
        self.feature_names_in_ = np.asarray(X.columns, dtype=object)
        self.categories_ = {}
        for col in X.columns:
            if column_kind(X[col]) == CATEGORICAL:
                values = X[col].dropna().unique()
                try:
                    values = sorted(values)
                except TypeError:
                    values = list(values)
                self.categories_[col] = pd.Index(values, dtype=object)
        return self

    def transform(self, X: pd.DataFrame) -> pd.DataFrame:
        missing = [c for c in self.feature_names_in_ if c not in X.columns]
        if missing:
            raise DataError(f"the model needs column(s) the data does not have: {missing}")
        X = X[list(self.feature_names_in_)].copy()
        for col, cats in self.categories_.items():
            X[col] = pd.Categorical(X[col].astype(object), categories=cats)
        return X


def default_model(random_state: int = DEFAULT_SEED) -> Pipeline:
    """LightGBM with its default parameters, seeded, behind the category encoder."""
    return Pipeline([
        ("categories", CategoryEncoder()),
        ("lightgbm", LGBMClassifier(random_state=random_state, verbose=-1)),
    ])


def train_default_model(X: pd.DataFrame, y: pd.Series, random_state: int = DEFAULT_SEED) -> Pipeline:
    """Fit the default model; a clear DataError if the target cannot be learned."""
    y = pd.Series(y)
    if y.isna().any():
        raise DataError(f"the target has {int(y.isna().sum())} missing value(s); fill or drop those rows")
    if y.nunique() < 2:
        raise DataError("the target has a single value; a model needs at least two classes to learn")
    if type_of_target(y.to_numpy()) == "continuous":
        raise DataError("the target holds continuous numbers; the default model is a classifier, "
                        "so choose a categorical target (or bin this one)")
    if X.shape[1] == 0:
        raise DataError("no feature columns left besides the target")
    return default_model(random_state).fit(X, y)
