"""A differentially private comparator: DP-EBM (Nori et al., ICML 2021) from `interpret`.

The paper behind this project claims accuracy-guided anonymization resists membership inference
about as well as training with differential privacy. To test that claim on the analyst's own data,
a DP model is trained on the same members and attacked like every other model (reference models
are trained with the same DP recipe: `dp_factory`).

DP only holds if what the mechanism treats as public really is: every feature's type, the
numeric features' bounds, the categories and (regression) the target's range. They come from a
`PrivacySchema` the caller gives. A schema read from the data itself (`PrivacySchema.from_data`)
is flagged, because reading bounds and categories from the private rows spends privacy that the
epsilon does not count; pages and reports must say so (`privacy_note`).

interpret-core 0.7.8 is enough (`interpret.privacy`); DP-EBM's classifier is binary only, so a
multiclass target is fit one-vs-rest with the budget split evenly (basic composition: K models at
epsilon / K and delta / K each make (epsilon, delta) in total). The models are seeded so that runs
are reproducible; a fixed seed makes the noise predictable, so a model meant for release must be
trained with fresh randomness, which is not what a measurement needs.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.utils.validation import check_is_fitted

from .data import NUMERIC, DataError, column_kind
from .names import CLASSIFICATION, REGRESSION
from .scenario import DP_DELTA as DEFAULT_DELTA
from .scenario import DP_EPSILONS as DEFAULT_EPSILONS  # noqa: F401  (re-exported)

CONTINUOUS, NOMINAL = "continuous", "nominal"
MISSING = "(missing)"  # the category of missing text and of text outside the schema's categories
FROM_DATA_NOTE = ("feature bounds, categories and classes were read from the private data: that spends privacy "
                  "the epsilon does not count, so the stated epsilon understates the true privacy cost")


@dataclass(frozen=True)
class FeatureSpec:
    """What is public about one feature: its type and its bounds (continuous) or categories (nominal)."""

    kind: str
    bounds: tuple[float, float] | None = None
    categories: tuple[str, ...] | None = None

    def __post_init__(self):
        if self.kind == CONTINUOUS:
            if self.bounds is None or len(self.bounds) != 2 or not self.bounds[0] < self.bounds[1]:
                raise DataError(f"a continuous feature needs bounds (min, max) with min < max; got {self.bounds}")
        elif self.kind == NOMINAL:
            if not self.categories:
                raise DataError("a nominal feature needs its list of categories")
        else:
            raise DataError(f"unknown feature type '{self.kind}'; use '{CONTINUOUS}' or '{NOMINAL}'")


@dataclass(frozen=True)
class PrivacySchema:
    """The public description DP-EBM is given: features in model order, classes or target range.

    Hashable (a frozen dataclass of tuples), so caches can take it as an argument.
    """

    features: tuple[tuple[str, FeatureSpec], ...]
    classes: tuple | None = None  # classification: every label the target can take
    target_bounds: tuple[float, float] | None = None  # regression: the target's public range
    from_private_data: bool = False  # read from the private rows: privacy the epsilon does not count

    @classmethod
    def from_mapping(cls, features: Mapping, classes=None, target_bounds=None) -> PrivacySchema:
        """User-given schema: {column: (min, max)} for a continuous feature, {column: [categories]}
        for a nominal one (or a FeatureSpec)."""
        specs = []
        for name, spec in features.items():
            if not isinstance(spec, FeatureSpec):
                if isinstance(spec, tuple) and len(spec) == 2 and all(isinstance(v, (int, float)) for v in spec):
                    spec = FeatureSpec(CONTINUOUS, bounds=(float(spec[0]), float(spec[1])))
                else:
                    spec = FeatureSpec(NOMINAL, categories=tuple(str(v) for v in spec))
            specs.append((str(name), spec))
        return cls(tuple(specs), None if classes is None else tuple(classes),
                   None if target_bounds is None else (float(target_bounds[0]), float(target_bounds[1])))

    @classmethod
    def from_data(cls, X: pd.DataFrame, y=None, task: str = CLASSIFICATION) -> PrivacySchema:
        """A schema read from the rows themselves, flagged `from_private_data` (see FROM_DATA_NOTE)."""
        specs = []
        for col in X.columns:
            values = X[col]
            if column_kind(values) == NUMERIC:
                v = values.to_numpy(dtype=float, na_value=np.nan)
                lo, hi = (float(np.nanmin(v)), float(np.nanmax(v))) if np.isfinite(v).any() else (0.0, 1.0)
                specs.append((str(col), FeatureSpec(CONTINUOUS, bounds=(lo, hi if hi > lo else lo + 1.0))))
            else:
                cats = tuple(sorted(set(_as_text(values).dropna())))
                specs.append((str(col), FeatureSpec(NOMINAL, categories=cats or (MISSING,))))
        classes = target_bounds = None
        if y is not None:
            y = pd.Series(np.asarray(y)).dropna()
            if task == REGRESSION:
                target_bounds = (float(y.min()), float(y.max()))
            else:
                classes = tuple(np.sort(y.unique()))
        return cls(tuple(specs), classes, target_bounds, from_private_data=True)

    @property
    def names(self) -> list[str]:
        return [name for name, _ in self.features]

    def feature_types(self) -> list[str]:
        return [spec.kind for _, spec in self.features]

    def privacy_bounds(self) -> dict[str, tuple[float, float]]:
        return {name: spec.bounds for name, spec in self.features if spec.kind == CONTINUOUS}

    def prepare(self, X: pd.DataFrame) -> pd.DataFrame:
        """The schema's columns, numbers clipped to their bounds and text outside the categories made
        "(missing)", so nothing outside the public description reaches the mechanism. DP-EBM's
        private binning takes no missing values: a missing number becomes the middle of its bounds
        (a public value, not a statistic of the data), missing text the "(missing)" category."""
        missing = [n for n in self.names if n not in X.columns]
        if missing:
            raise DataError(f"the DP model needs column(s) the data does not have: {missing[:10]}")
        out = {}
        for name, spec in self.features:
            if spec.kind == CONTINUOUS:
                if column_kind(X[name]) != NUMERIC:
                    raise DataError(f"the column '{name}' is declared continuous but holds text")
                values = np.clip(X[name].to_numpy(dtype=float, na_value=np.nan), *spec.bounds)
                out[name] = np.where(np.isnan(values), (spec.bounds[0] + spec.bounds[1]) / 2, values)
            else:
                text = _as_text(X[name])
                out[name] = text.where(text.isin(spec.categories), MISSING).to_numpy(dtype=object)
        return pd.DataFrame(out, index=X.index)


def _as_text(values: pd.Series) -> pd.Series:
    return values.astype(object).where(values.notna(), None).map(lambda v: v if v is None else str(v))


def _quiet_fit(estimator, X: pd.DataFrame, y):
    """Fit without interpret's warnings about the fixed seed (on purpose: see the module docstring) and
    about missing values in its plots (irrelevant here)."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*random_state.*")
        warnings.filterwarnings("ignore", message="Missing values detected.*")
        return estimator.fit(X, y)


class _DPBase(BaseEstimator):
    def __init__(self, *, epsilon: float = 1.0, delta: float = DEFAULT_DELTA, schema: PrivacySchema | None = None,
                 random_state: int = 0, max_rounds: int = 300):
        self.epsilon = epsilon
        self.delta = delta
        self.schema = schema
        self.random_state = random_state
        self.max_rounds = max_rounds

    def _check(self):
        if not (np.isfinite(self.epsilon) and self.epsilon > 0):
            raise DataError(f"epsilon must be a positive number; got {self.epsilon}")
        if not 0 < self.delta < 1:
            raise DataError(f"delta must lie strictly between 0 and 1; got {self.delta}")

    def _ebm_params(self, epsilon: float, delta: float, schema: PrivacySchema, seed: int) -> dict:
        return dict(epsilon=epsilon, delta=delta, feature_names=schema.names, feature_types=schema.feature_types(),
                    privacy_bounds=schema.privacy_bounds(), random_state=seed, n_jobs=1,
                    max_rounds=self.max_rounds)

    @property
    def privacy_note(self) -> str | None:
        """What the page and report must say about the privacy spent outside epsilon (None if nothing)."""
        check_is_fitted(self, "schema_")
        return FROM_DATA_NOTE if self.schema_.from_private_data else None

    @property
    def feature_names_in_(self) -> np.ndarray:
        check_is_fitted(self, "schema_")
        return np.asarray(self.schema_.names, dtype=object)


class DPClassifier(ClassifierMixin, _DPBase):
    """DP-EBM classifier on raw tables; multiclass one-vs-rest with the budget split evenly."""

    def fit(self, X: pd.DataFrame, y):
        from interpret.privacy import DPExplainableBoostingClassifier

        self._check()
        y = pd.Series(np.asarray(y))
        if y.isna().any():
            raise DataError(f"the target has {int(y.isna().sum())} missing value(s); drop those rows")
        self.schema_ = self.schema if self.schema is not None else PrivacySchema.from_data(X, y)
        classes = self.schema_.classes
        if classes is None:  # reading them from y would spend privacy a given schema claims it does not
            raise DataError("the privacy schema lists no classes; give every label the target can take")
        unknown = sorted(set(y.astype(str)) - set(map(str, classes)))
        if unknown:
            raise DataError(f"the target has value(s) the privacy schema does not list: {unknown[:10]}")
        if len(classes) < 2:
            raise DataError("the privacy schema lists a single class; a classifier needs at least two")
        self.classes_ = np.asarray(classes)
        Xp = self.schema_.prepare(X)
        labels = y.astype(str).to_numpy()
        targets = [str(self.classes_[1])] if len(classes) == 2 else [str(c) for c in self.classes_]
        share = len(targets)
        if len(set(labels)) < 2:
            raise DataError(f"the training rows hold a single class ('{labels[0]}'); a classifier needs two")
        self.models_ = []
        for i, c in enumerate(targets):
            positive = labels == c
            if not positive.any():  # a class of the schema these rows lack (e.g. 2 rows in 12,960): never
                self.models_.append(None)  # predicted; its share of the budget is left unspent
                continue
            ebm = DPExplainableBoostingClassifier(**self._ebm_params(self.epsilon / share, self.delta / share,
                                                                     self.schema_, self.random_state + i))
            self.models_.append(_quiet_fit(ebm, Xp, positive))
        return self

    def predict_proba(self, X: pd.DataFrame) -> np.ndarray:
        check_is_fitted(self, "models_")
        Xp = self.schema_.prepare(X)
        positive = np.column_stack([np.zeros(len(Xp)) if m is None else
                                    m.predict_proba(Xp)[:, list(m.classes_).index(True)] for m in self.models_])
        if len(self.models_) == 1:
            return np.column_stack([1 - positive[:, 0], positive[:, 0]])
        total = positive.sum(axis=1, keepdims=True)
        return np.where(total > 0, positive / np.where(total > 0, total, 1), 1 / positive.shape[1])

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        return self.classes_[self.predict_proba(X).argmax(axis=1)]


class DPRegressor(RegressorMixin, _DPBase):
    """DP-EBM regressor on raw tables; the target's range comes from the schema (clipped to it)."""

    def fit(self, X: pd.DataFrame, y):
        from interpret.privacy import DPExplainableBoostingRegressor

        self._check()
        y = pd.Series(np.asarray(y, dtype=float))
        if y.isna().any():
            raise DataError(f"the target has {int(y.isna().sum())} missing value(s); drop those rows")
        self.schema_ = self.schema if self.schema is not None else PrivacySchema.from_data(X, y, REGRESSION)
        if self.schema_.target_bounds is None:
            raise DataError("a DP regressor needs the target's public range (target_bounds in the privacy schema)")
        lo, hi = self.schema_.target_bounds
        ebm = DPExplainableBoostingRegressor(**self._ebm_params(self.epsilon, self.delta, self.schema_,
                                                                self.random_state),
                                             privacy_target_min=lo, privacy_target_max=hi)
        self.model_ = _quiet_fit(ebm, self.schema_.prepare(X), y.to_numpy())
        return self

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        check_is_fitted(self, "model_")
        return np.asarray(self.model_.predict(self.schema_.prepare(X)), dtype=float)


def dp_model(epsilon: float, delta: float = DEFAULT_DELTA, schema: PrivacySchema | None = None,
             task: str = CLASSIFICATION, random_state: int = 0) -> DPClassifier | DPRegressor:
    """An unfitted DP-EBM for `task`. Without a schema, one is read from the training rows at fit
    and flagged (`privacy_note`)."""
    if task not in (CLASSIFICATION, REGRESSION):
        raise DataError(f"unknown task '{task}'; choose classification or regression")
    cls = DPRegressor if task == REGRESSION else DPClassifier
    return cls(epsilon=epsilon, delta=delta, schema=schema, random_state=random_state)


def dp_factory(epsilon: float, delta: float = DEFAULT_DELTA, schema: PrivacySchema | None = None,
               task: str = CLASSIFICATION) -> Callable[[int], DPClassifier | DPRegressor]:
    """`factory(seed)` -> an unfitted DP model with the same recipe: what the attacker's reference
    models are trained with (attacks.train_reference_bank)."""
    dp_model(epsilon, delta, schema, task)  # checks the task now, not inside the attack
    return lambda seed: dp_model(epsilon, delta, schema, task, random_state=seed)
