"""What a model is worth on held-out rows: accuracy figures (classification) or R², MAE, RMSE (regression).

Each figure comes with the rows it was measured on, its 95% interval and a baseline that needs no model
(the majority class, or the members' mean), so no number is shown without its context. The results are
typed (`results.ClassificationUtility`, `results.RegressionUtility`); their `headline` is the one rule
for which figure leads (`results.headline_figure`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.metrics import balanced_accuracy_score, mean_absolute_error, r2_score, roc_auc_score

from .models import class_index
from .names import CLASSIFICATION, REGRESSION
from .results import ClassificationUtility, RegressionUtility, Utility, headline_figure
from .stats import balanced_accuracy_interval, r2_interval, wilson_interval

__all__ = ["CLASSIFICATION", "REGRESSION", "classification_scores", "constant_scores", "predictions",
           "regression_scores", "utility_scores", "balanced_accuracy_interval"]


def predictions(model, X: pd.DataFrame, task: str) -> tuple[np.ndarray, np.ndarray | None]:
    """(point predictions, class probabilities or None) of `model` on X."""
    if task == REGRESSION:
        return np.asarray(model.predict(X), dtype=float), None
    proba = np.asarray(model.predict_proba(X), dtype=float)
    return np.asarray(model.classes_)[proba.argmax(axis=1)], proba


def classification_scores(y_true, pred, proba: np.ndarray | None, classes) -> ClassificationUtility:
    """Accuracy, balanced accuracy, ROC AUC (binary, or one-vs-rest macro) and the majority-class rate, with
    intervals that stay honest on a handful of rows (Wilson; Bonett-Price for balanced accuracy)."""
    y_true = np.asarray(y_true)
    idx = class_index(classes, y_true)
    pred_idx = class_index(classes, pred)
    correct = (pred_idx == idx) & (idx >= 0)
    roc_auc = None
    if proba is not None and len(np.unique(idx[idx >= 0])) >= 2:
        known = idx >= 0
        if proba.shape[1] == 2:
            roc_auc = float(roc_auc_score(idx[known] == 1, proba[known, 1]))
        else:
            present = np.unique(idx[known])
            roc_auc = float(np.mean([roc_auc_score(idx[known] == c, proba[known, c]) for c in present]))
    shares = pd.Series(y_true).value_counts(normalize=True)
    n = int(len(y_true))
    accuracy = float(correct.mean())
    return ClassificationUtility(
        n=n, headline=headline_figure(CLASSIFICATION, shares.to_numpy()),
        accuracy=accuracy, balanced_accuracy=float(balanced_accuracy_score(idx, pred_idx)), roc_auc=roc_auc,
        majority_rate=float(shares.iloc[0]) if len(shares) else None,
        majority_balanced_accuracy=1 / len(shares) if len(shares) else None,  # always one class: 1/K recall
        accuracy_ci=wilson_interval(accuracy, n), balanced_accuracy_ci=balanced_accuracy_interval(idx, pred_idx),
        rows={"truth": idx.astype(np.int32), "pred": np.asarray(pred_idx, dtype=np.int32)})


def regression_scores(y_true, pred, y_train, seed: int = 0) -> RegressionUtility:
    """R², MAE, RMSE (R² with a seeded bootstrap 95% interval over the rows), and the same for the baseline
    that predicts the members' mean."""
    y_true, pred = np.asarray(y_true, dtype=float), np.asarray(pred, dtype=float)
    mean = float(np.mean(np.asarray(y_train, dtype=float)))
    base = np.full(len(y_true), mean)
    return RegressionUtility(
        n=int(len(y_true)), headline=headline_figure(REGRESSION),
        r2=float(r2_score(y_true, pred)), mae=float(mean_absolute_error(y_true, pred)),
        rmse=float(np.sqrt(np.mean((y_true - pred) ** 2))), baseline_mean=mean,
        baseline_r2=float(r2_score(y_true, base)), baseline_mae=float(mean_absolute_error(y_true, base)),
        r2_ci=r2_interval(y_true, pred, seed=seed) if len(y_true) >= 3 else None, rows={"y": y_true, "pred": pred})


def utility_scores(model, X: pd.DataFrame, y, task: str, y_train=None, seed: int = 0) -> Utility:
    """The figures of `model` on (X, y); `y_train` gives the regression baseline's mean."""
    pred, proba = predictions(model, X, task)
    if task == REGRESSION:
        return regression_scores(y, pred, y if y_train is None else y_train, seed)
    return classification_scores(y, pred, proba, model.classes_)


def constant_scores(value, y_true, task: str, y_train, seed: int = 0) -> Utility:
    """Figures of a model that always predicts `value` (the "no usable input" reference)."""
    n = len(y_true)
    if task == REGRESSION:
        return regression_scores(y_true, np.full(n, float(value)), y_train, seed)
    pred = np.full(n, value, dtype=object)
    classes = np.asarray(pd.unique(pd.Series(np.asarray(y_train, dtype=object))), dtype=object)
    return classification_scores(y_true, pred, None, classes)
