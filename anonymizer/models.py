"""Models: the default LightGBM model and the small adapters it needs.

LightGBM splits pandas `category` columns natively, so text columns become categories with the
categories fixed at fit time: the same text gets the same code on the training data, the test
data and the anonymized data, and unseen text becomes missing instead of a wrong code.
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import quote, unquote

import numpy as np
import pandas as pd
from lightgbm import LGBMClassifier, LGBMRegressor
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.compose import ColumnTransformer, make_column_selector
from sklearn.ensemble import RandomForestClassifier, RandomForestRegressor
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, OrdinalEncoder, StandardScaler
from sklearn.utils.multiclass import type_of_target

from .data import CATEGORICAL, DATE, DataError, as_numbers, column_kind
from .model_probe import ModelRefused, probe_lightgbm_text
from .names import FAMILIES, TASKS
from .scenario import DEFAULT_FAMILY, DEFAULT_SEED
from .workers import FIT_THREADS, single_threaded


def _as_text(values: pd.Series) -> pd.Series:
    """Categories as text (dates, booleans, mixed objects too): LightGBM stores them as JSON strings."""
    if pd.api.types.is_string_dtype(values.dtype) and not pd.api.types.is_object_dtype(values.dtype):
        return values
    return values.astype(object).where(values.notna(), None).map(lambda v: v if v is None else str(v))


def model_feature_name(column) -> str:
    """The name LightGBM gets for a column: the user's name, percent-encoded as in URLs.

    LightGBM refuses JSON punctuation in feature names and mangles spaces, '=' and newlines in its
    text format. Letters, digits and `_ . - ~` pass unchanged, so plain names stay as they are; any
    other character becomes %XX (UTF-8). The mapping depends on the name alone and is one-to-one,
    so a saved model finds its columns again by name (`column_name` reverses it).
    """
    return quote(str(column), safe="") or "%"  # no encoded name is a bare '%': the empty name's


def column_name(feature: str) -> str:
    """The user's column name behind a model feature name made by `model_feature_name`."""
    return "" if feature == "%" else unquote(feature)


class CategoryEncoder(BaseEstimator, TransformerMixin):
    """Text and boolean columns to pandas categories with the categories seen in fit; dates to day numbers.

    It takes and reports the user's column names; its output columns carry `model_feature_name`s,
    which LightGBM accepts whatever the user's names hold.
    """

    def fit(self, X: pd.DataFrame, y=None):
        self.feature_names_in_ = np.asarray(X.columns, dtype=object)
        names = self.get_feature_names_out()
        if len(set(names)) < len(names):
            repeated = sorted({str(c) for c, n in zip(X.columns, names) if list(names).count(n) > 1})
            raise DataError(f"column names repeat (as text): {repeated[:10]}; give every column its own name")
        self.categories_ = {}
        self.dates_ = [col for col in X.columns if column_kind(X[col]) == DATE]
        for col in X.columns:
            if column_kind(X[col]) == CATEGORICAL:
                values = _as_text(X[col]).dropna().unique()
                try:
                    values = sorted(values)
                except TypeError:
                    values = list(values)
                self.categories_[col] = pd.Index(values, dtype=object)
        return self

    def get_feature_names_out(self, input_features=None) -> np.ndarray:
        return np.asarray([model_feature_name(c) for c in self.feature_names_in_], dtype=object)

    def transform(self, X: pd.DataFrame) -> pd.DataFrame:
        missing = [c for c in self.feature_names_in_ if c not in X.columns]
        if missing:
            raise DataError(f"the model needs column(s) the data does not have: {missing}")
        X = X[list(self.feature_names_in_)].copy()
        for col, cats in self.categories_.items():
            codes = cats.get_indexer(_as_text(X[col]))  # -1 for missing and for values unseen in fit
            X[col] = pd.Categorical.from_codes(codes, categories=cats)
        for col in getattr(self, "dates_", []):  # encoders fitted before dates were a kind have none
            X[col] = as_numbers(X[col])
        X.columns = list(self.get_feature_names_out())
        return X




def _check_family_task(family: str, task: str) -> None:
    if family not in FAMILIES:
        raise DataError(f"unknown model family '{family}'; choose one of {', '.join(FAMILIES)}")
    if task not in TASKS:
        raise DataError(f"unknown task '{task}'; choose one of {', '.join(TASKS)}")


def _encoded_for_sklearn(family: str) -> ColumnTransformer:
    """After the category encoder: text as ordinal codes for a forest (it splits on them and takes
    NaN natively), or one-hot beside scaled, median-imputed numbers for a linear model."""
    text = make_column_selector(dtype_include="category")
    numbers = make_column_selector(dtype_exclude="category")
    if family == "random_forest":
        codes = OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=-1, encoded_missing_value=-1)
        return ColumnTransformer([("text", codes, text)], remainder="passthrough", verbose_feature_names_out=False,
                                 n_jobs=FIT_THREADS)
    scaled = Pipeline([("impute", SimpleImputer(strategy="median", keep_empty_features=True)),
                       ("scale", StandardScaler())])
    return ColumnTransformer([("text", OneHotEncoder(handle_unknown="ignore"), text), ("numbers", scaled, numbers)],
                             verbose_feature_names_out=False, n_jobs=FIT_THREADS)


def default_model(random_state: int = DEFAULT_SEED, family: str = DEFAULT_FAMILY,
                  task: str = "classification") -> Pipeline:
    """An unfitted, seeded model of a family, taking raw tables (text columns included).

    lightgbm: LightGBM's defaults. random_forest: 100 trees grown to full depth (scikit-learn's
    defaults, as such models are often shipped; the leaky case). logistic: logistic regression
    (lbfgs, C=1) on scaled numbers and one-hot text; for regression its counterpart is ridge
    regression (alpha=1), a linear model that stays well-posed with one-hot columns.
    """
    _check_family_task(family, task)
    regression = task == "regression"
    if family == "lightgbm":
        cls = LGBMRegressor if regression else LGBMClassifier
        return Pipeline([("categories", CategoryEncoder()),
                         ("lightgbm", cls(random_state=random_state, verbose=-1, n_jobs=FIT_THREADS))])
    if family == "random_forest":
        cls = RandomForestRegressor if regression else RandomForestClassifier
        final = ("random_forest", cls(random_state=random_state, n_jobs=FIT_THREADS))
    else:
        final = ("ridge", Ridge(alpha=1.0)) if regression else (
            "logistic", LogisticRegression(max_iter=2000, random_state=random_state))
    return Pipeline([("categories", CategoryEncoder()), ("encode", _encoded_for_sklearn(family)), final])


def train_default_model(X: pd.DataFrame, y: pd.Series, random_state: int = DEFAULT_SEED,
                        task: str = "classification", family: str = DEFAULT_FAMILY) -> Pipeline:
    """Fit the default model of `family` for `task`; a clear DataError if the target cannot be learned."""
    _check_family_task(family, task)
    y = pd.Series(y)
    name = f"the target '{y.name}'" if y.name is not None else "the target"
    if y.isna().any():
        raise DataError(f"{name} has {int(y.isna().sum())} missing value(s); fill or drop those rows")
    if y.nunique() < 2:
        raise DataError(f"{name} has a single value; a model needs at least two values to learn")
    if task == "regression":
        if not pd.api.types.is_numeric_dtype(y.dtype) or pd.api.types.is_bool_dtype(y.dtype):
            raise DataError(f"{name} is not numeric ({y.dtype}); a regression target must hold numbers")
        y = y.astype(float)
    elif type_of_target(y.to_numpy()) == "continuous":
        raise DataError(f"{name} holds continuous numbers; use task='regression' or choose a categorical target")
    if X.shape[1] == 0:
        raise DataError("no feature columns left besides the target")
    return default_model(random_state, family, task).fit(X, y)


def is_regression_model(model) -> bool:
    """A model without predict_proba predicts a number: it is attacked and scored as a regressor."""
    return not hasattr(model, "predict_proba")


# ---------------------------------------------------------------------------------------------
# Models from users: safe formats only, checked against the table, retrainable.

LIGHTGBM_SUFFIXES = (".txt", ".lgb", ".lgbm", ".model")
SKOPS_SUFFIXES = (".skops",)
PICKLE_SUFFIXES = (".pkl", ".pickle", ".joblib", ".sav", ".pk")
PICKLE_WARNING = ("pickle and joblib files run any code they contain when loaded; "
                  "load one only if you made it yourself or fully trust who did")

# LightGBM parameters carried over when a LightGBM text model is retrained (sklearn-API names).
_LGBM_PARAMS = {
    "boosting": "boosting_type", "num_leaves": "num_leaves", "max_depth": "max_depth",
    "learning_rate": "learning_rate", "min_data_in_leaf": "min_child_samples",
    "min_sum_hessian_in_leaf": "min_child_weight", "bagging_fraction": "subsample",
    "bagging_freq": "subsample_freq", "feature_fraction": "colsample_bytree",
    "lambda_l1": "reg_alpha", "lambda_l2": "reg_lambda", "min_gain_to_split": "min_split_gain",
    "seed": "random_state", "max_bin": "max_bin", "max_cat_threshold": "max_cat_threshold",
    "cat_l2": "cat_l2", "cat_smooth": "cat_smooth", "max_cat_to_onehot": "max_cat_to_onehot",
    "min_data_per_group": "min_data_per_group", "extra_trees": "extra_trees", "path_smooth": "path_smooth",
}


class LightGBMFileModel(BaseEstimator):
    """A LightGBM model read from LightGBM's own text format, predicting on raw tables.

    The file holds no class labels: class i is the i-th target value in sorted order, which is
    how LightGBM's scikit-learn API encodes labels. `columns` are the table's columns behind the
    file's features, in the file's order (see `match_features`); by default the features' own names.
    Text columns the model treats as categorical become pandas categories; LightGBM maps them
    onto the categories stored in the file.
    """

    def __init__(self, booster=None, classes=None, columns=None):
        self.booster = booster
        self.classes = classes
        self.columns = columns

    @property
    def classes_(self) -> np.ndarray:
        return np.asarray(self.classes)

    @property
    def feature_names_in_(self) -> np.ndarray:
        names = self.booster.feature_name() if self.columns is None else self.columns
        return np.asarray(names, dtype=object)

    def _frame(self, X: pd.DataFrame) -> pd.DataFrame:
        names = list(self.feature_names_in_)
        X = X[names].copy()
        categorical = {names[int(i)] for i in self.booster.params.get("categorical_feature", []) or []}
        for col in names:
            if col in categorical:
                X[col] = X[col].astype(object).astype("category")
            elif column_kind(X[col]) == DATE:
                X[col] = as_numbers(X[col])
            elif not pd.api.types.is_numeric_dtype(X[col].dtype) or pd.api.types.is_bool_dtype(X[col].dtype):
                # the file says this feature is a number (e.g. a postcode read here as text "02139")
                numbers = pd.to_numeric(X[col].astype(object), errors="coerce")
                if (numbers.isna() & X[col].notna()).any():
                    raise DataError(f"the model treats '{col}' as a number but the table holds text in it")
                X[col] = numbers.astype(float)
        X.columns = self.booster.feature_name()
        return X

    def predict_proba(self, X: pd.DataFrame) -> np.ndarray:
        p = np.asarray(self.booster.predict(self._frame(X), num_threads=FIT_THREADS))
        return np.column_stack([1 - p, p]) if p.ndim == 1 else p

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        return self.classes_[self.predict_proba(X).argmax(axis=1)]

    def retrain_estimator(self) -> Pipeline:
        """An unfitted model of the same kind with the same parameters (and number of trees)."""
        params = self.booster.params
        kwargs = {new: params[old] for old, new in _LGBM_PARAMS.items() if old in params}
        kwargs["n_estimators"] = self.booster.current_iteration()
        return Pipeline([("categories", CategoryEncoder()),
                         ("lightgbm", LGBMClassifier(verbose=-1, **kwargs, n_jobs=FIT_THREADS))])


class LightGBMFileRegressor(LightGBMFileModel):
    """A LightGBM regression model read from its text format: `predict` gives numbers, no probabilities."""

    def __init__(self, booster=None, columns=None):
        super().__init__(booster, None, columns)

    def __getattribute__(self, name):
        if name in ("predict_proba", "classes_"):  # a regressor: attacks and scores dispatch on their absence
            raise AttributeError(name)
        return super().__getattribute__(name)

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        return np.asarray(self.booster.predict(self._frame(X), num_threads=FIT_THREADS), dtype=float)

    def retrain_estimator(self) -> Pipeline:
        params = self.booster.params
        kwargs = {new: params[old] for old, new in _LGBM_PARAMS.items() if old in params}
        kwargs["n_estimators"] = self.booster.current_iteration()
        return Pipeline([("categories", CategoryEncoder()),
                         ("lightgbm", LGBMRegressor(verbose=-1, **kwargs, n_jobs=FIT_THREADS))])


def model_kind(path: Path, head: bytes) -> str:
    """'lightgbm', 'skops' or 'pickle', from the content first and the extension second."""
    suffix = path.suffix.lower()
    if head.startswith(b"\x80") or suffix in PICKLE_SUFFIXES:
        return "pickle"
    if head.startswith(b"PK") or suffix in SKOPS_SUFFIXES:
        return "skops"
    if head.startswith(b"tree\n") or head.startswith(b"tree\r\n") or suffix in LIGHTGBM_SUFFIXES:
        return "lightgbm"
    raise DataError(f"{path.name}: not a model format this tool reads; use a LightGBM text model "
                    "(booster.save_model), a skops file (skops.io.dump) or, with the explicit "
                    "opt-in, a pickle/joblib file")


# Internal scikit-learn types that only hold fitted arrays, which skops reports as untrusted
# for common models. skops already trusts the estimators themselves; anything else is refused by
# name. A rule like "any class under sklearn." is not safe: it admits classes that open network
# connections or re-exported stdlib/joblib classes (found in review).
TRUSTED_INTERNALS = re.compile(
    r"^sklearn\.(tree\._tree\.Tree"
    r"|ensemble\._hist_gradient_boosting\.predictor\.TreePredictor"
    r"|neighbors\._(kd|ball)_tree\.(KDTree|BallTree)"
    r"|metrics\._dist_metrics\.\w+Distance(32|64)"
    r"|neural_network\._stochastic_optimizers\.(Adam|SGD)Optimizer)$")


def _trusted_type(name: str) -> bool:
    return bool(TRUSTED_INTERNALS.match(name))


def _load_skops(path: Path):
    import skops.io as sio

    try:
        untrusted = sio.get_untrusted_types(file=path)
    except Exception as exc:
        raise DataError(f"{path.name}: not a readable skops file ({exc})") from None
    refused = [t for t in untrusted if not _trusted_type(t)]
    if refused:
        raise DataError(f"{path.name}: refused, it contains types outside the trusted list "
                        f"(scikit-learn estimators and their fitted internals): {', '.join(refused)}")
    try:
        return sio.load(path, trusted=untrusted)
    except Exception as exc:
        raise DataError(f"{path.name}: could not be loaded as skops ({exc})") from None


def _load_lightgbm(path: Path):
    """A Booster from text that first parsed and predicted in a child process (see model_probe)."""
    import lightgbm

    try:
        text = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError:
        raise DataError(f"{path.name}: could not be read as a LightGBM model: it is not UTF-8 text") from None
    try:
        probe_lightgbm_text(text)
        return lightgbm.Booster(model_str=text)
    except (ModelRefused, lightgbm.basic.LightGBMError, ValueError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise DataError(f"{path.name}: could not be read as a LightGBM model: {first}") from None


def class_index(classes, y) -> np.ndarray:
    """Position of each label of y among the model's classes (-1 if absent).

    Labels match by value first (1 == 1.0, as after a concat turns ints into floats), then by text.
    """
    classes = pd.Index(np.asarray(classes))
    y = pd.Series(np.asarray(y, dtype=object))
    try:
        idx = classes.get_indexer(y)
    except (TypeError, ValueError):
        idx = np.full(len(y), -1)
    missing = idx < 0
    if missing.any():
        idx = idx.copy()
        idx[missing] = pd.Index(classes.astype(str)).get_indexer(y[missing].astype(str))
    return idx


def load_model(path: str | Path, allow_pickle: bool = False):
    """Load a model from a safe format: LightGBM text or skops (checked against trusted types).

    Pickle and joblib files are refused unless `allow_pickle` is set, because loading one runs
    whatever code it contains. A LightGBM model comes back as a raw Booster: pass it through
    `check_model` with the table to get a classifier with class labels.
    """
    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path}: no such model file")
    with open(path, "rb") as fh:
        head = fh.read(16)
    if not head:
        raise DataError(f"{path.name}: the model file is empty")
    kind = model_kind(path, head)
    if kind == "pickle":
        if not allow_pickle:
            raise DataError(f"{path.name}: refused to load a pickle/joblib file: {PICKLE_WARNING}. "
                            "Save the model with skops or LightGBM's save_model, or opt in explicitly")
        import joblib

        try:
            return joblib.load(path)
        except Exception as exc:
            raise DataError(f"{path.name}: could not be unpickled ({type(exc).__name__}: {exc})") from None
    return _load_skops(path) if kind == "skops" else _load_lightgbm(path)


def load_model_bytes(content: bytes, name: str, allow_pickle: bool = False):
    """`load_model` for an upload: the bytes go to a private temporary folder under their base name."""
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / (Path(name).name or "model")
        path.write_bytes(content)
        return load_model(path, allow_pickle=allow_pickle)


def _feature_names(model) -> list[str] | None:
    names = getattr(model, "feature_names_in_", None)
    if names is None and hasattr(model, "feature_name"):
        names = model.feature_name()
    return None if names is None else [str(n) for n in names]


def match_features(features: list[str], columns) -> list:
    """The table's column behind each model feature, in the model's order; DataError if one is missing.

    A feature is the `model_feature_name` of a column (models this tool trained), or the column's
    own name (models trained elsewhere), or that name with spaces turned into '_' as LightGBM does.
    """
    lookups = [{model_feature_name(c): c for c in columns}, {str(c): c for c in columns},
               {str(c).replace(" ", "_"): c for c in columns}]
    matched, missing = [], []
    for feature in features:
        found = [lookup[feature] for lookup in lookups if feature in lookup]
        if not found:
            missing.append(column_name(feature))
        matched.extend(found[:1])
    if missing:
        raise DataError(f"the model needs column(s) the table does not have: {missing[:10]}")
    return matched


CLASS_OBJECTIVES = {"binary", "multiclass", "softmax", "multiclassova", "multiclass_ova", "ova", "ovr",
                    "cross_entropy", "xentropy", "cross_entropy_lambda", "xentlambda"}
RANKING_OBJECTIVES = {"lambdarank", "rank_xendcg", "xendcg", "xe_ndcg", "xe_ndcg_mart", "xendcg_mart"}


def model_task_of(model) -> str | None:
    """What the model itself says it predicts: 'classification', 'regression', 'ranking', or None when it says
    nothing. LightGBM: its objective; scikit-learn: its estimator type."""
    import lightgbm

    if isinstance(model, lightgbm.Booster):
        objective = str(model.params.get("objective") or "").split()[0] if model.params.get("objective") else ""
        if not objective:
            try:
                objective = str(model.dump_model(num_iteration=0).get("objective", "")).split()[0]
            except Exception:
                return None
        if objective in RANKING_OBJECTIVES:
            return "ranking"
        return "classification" if objective in CLASS_OBJECTIVES else "regression"
    from sklearn.base import is_classifier, is_regressor

    final = model[-1] if isinstance(model, Pipeline) else model
    if is_classifier(final):
        return "classification"
    if is_regressor(final):
        return "regression"
    return None


def _check_task(model, task: str) -> None:
    said = model_task_of(model)
    if said == "ranking":
        raise DataError("the model is a ranking model (LightGBM lambdarank); this tool needs a classifier or a "
                        "regressor trained on the target")
    if said is not None and said != task:
        objective = ""
        import lightgbm

        if isinstance(model, lightgbm.Booster):
            objective = f" (objective '{model.params.get('objective')}')"
        raise DataError(f"the model is a {'classifier' if said == 'classification' else 'regressor'}{objective} but "
                        f"the target is a {task} target; upload a model trained for it, or set the task to {said} if "
                        "the target is that")


def check_model(model, X: pd.DataFrame, y: pd.Series | None = None, task: str = "classification"):
    """Check a loaded model fits the table; returns a model usable on X: a classifier (predict_proba,
    classes_) or, for task='regression', a regressor (predict).

    Feature names must all be columns of X (the model's own column order is used); a model
    without names must take exactly X's columns. The target's values must be classes of the model.
    """
    import lightgbm

    _check_task(model, task)
    if task == "regression":
        return _check_regressor(model, X)
    if isinstance(model, lightgbm.Booster):
        if y is None:
            raise DataError("a LightGBM text model needs the target column to name its classes")
        labels = np.sort(pd.Series(y).dropna().unique())
        n_model = max(2, model.num_model_per_iteration())
        if len(labels) != n_model:
            raise DataError(f"the model predicts {n_model} classes but the target has {len(labels)} "
                            f"values ({', '.join(map(str, labels[:10]))}); choose the target it was trained on")
        model = LightGBMFileModel(model, labels, match_features(model.feature_name(), X.columns))
    if not (hasattr(model, "predict_proba") and hasattr(model, "classes_")):
        raise DataError(f"the model ({type(model).__name__}) is not a fitted classifier with "
                        "predict_proba; a classifier trained on this table is needed")
    names = _feature_names(model)
    if names is not None:
        missing = [n for n in names if n not in X.columns]
        if missing:
            raise DataError(f"the model needs column(s) the table does not have: {missing[:10]}")
    else:
        n_expected = getattr(model, "n_features_in_", X.shape[1])
        if n_expected != X.shape[1]:
            raise DataError(f"the model takes {n_expected} features but the table has {X.shape[1]} "
                            "besides the target")
    if y is not None:
        y = pd.Series(y).dropna()
        unknown = sorted(set(y[class_index(model.classes_, y) < 0].astype(str)))
        if unknown:
            raise DataError(f"the target has value(s) the model never predicts: {unknown[:10]}; "
                            f"the model's classes are {list(map(str, model.classes_))[:10]}")
    try:
        model.predict_proba(X.head(5))
    except Exception as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise DataError(f"the model cannot predict on this table ({type(exc).__name__}: {first})") from None
    return single_threaded(model)


def _check_regressor(model, X: pd.DataFrame):
    import lightgbm

    if isinstance(model, lightgbm.Booster):
        model = LightGBMFileRegressor(model, match_features(model.feature_name(), X.columns))
    if not hasattr(model, "predict") or hasattr(model, "predict_proba"):
        raise DataError(f"the model ({type(model).__name__}) is not a fitted regressor; the target is a "
                        "regression target (choose the task 'classification' if the model is a classifier)")
    names = _feature_names(model)
    missing = [n for n in names or [] if n not in X.columns]
    if missing:
        raise DataError(f"the model needs column(s) the table does not have: {missing[:10]}")
    try:
        np.asarray(model.predict(X.head(5)), dtype=float)
    except Exception as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise DataError(f"the model cannot predict on this table ({type(exc).__name__}: {first})") from None
    return single_threaded(model)


def model_features(model, X: pd.DataFrame) -> list[str]:
    """The columns of X the model uses, in the model's order."""
    return _feature_names(model) or list(X.columns)


def retrain(model, X: pd.DataFrame, y, random_state: int = DEFAULT_SEED):
    """The same estimator with the same parameters, refit on (X, y).

    Returns (fitted model, recipe) where recipe says how it was rebuilt. Models that cannot be
    cloned fall back to the default LightGBM (a regressor for a model without predict_proba), and
    the recipe says so.
    """
    from sklearn.base import clone

    if isinstance(model, LightGBMFileModel):
        estimator, recipe = model.retrain_estimator(), "LightGBM with the file's parameters"
    else:
        try:
            estimator = single_threaded(clone(model))
        except Exception:
            task = "regression" if is_regression_model(model) else "classification"
            return (train_default_model(X, y, random_state, task=task),
                    "default LightGBM (the model could not be cloned)")
        final = model[-1] if isinstance(model, Pipeline) else model
        recipe = type(final).__name__ + (" (with its pipeline)" if final is not model else "") + ", same parameters"
    try:
        return estimator.fit(X, y), recipe
    except Exception as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise DataError(f"retraining the model on {X.shape[1]} column(s) failed: {first}") from None
