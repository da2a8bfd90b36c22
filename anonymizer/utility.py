"""What a model is worth on held-out rows: accuracy figures (classification) or R², MAE, RMSE (regression).

Each figure comes with the rows it was measured on and a baseline that needs no model (the majority class,
or the members' mean), so no number is shown without its context.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.metrics import balanced_accuracy_score, mean_absolute_error, r2_score, roc_auc_score

from .models import class_index
from .stats import r2_interval, wilson_interval

CLASSIFICATION, REGRESSION = "classification", "regression"
HEADLINE = {CLASSIFICATION: "accuracy", REGRESSION: "r2"}


def predictions(model, X: pd.DataFrame, task: str) -> tuple[np.ndarray, np.ndarray | None]:
    """(point predictions, class probabilities or None) of `model` on X."""
    if task == REGRESSION:
        return np.asarray(model.predict(X), dtype=float), None
    proba = np.asarray(model.predict_proba(X), dtype=float)
    return np.asarray(model.classes_)[proba.argmax(axis=1)], proba


def classification_scores(y_true, pred, proba: np.ndarray | None, classes, y_train=None) -> dict:
    """Accuracy, balanced accuracy, ROC AUC (binary, or one-vs-rest macro) and the majority-class rate."""
    y_true = np.asarray(y_true)
    idx = class_index(classes, y_true)
    correct = np.asarray(pred, dtype=object) == np.asarray(classes, dtype=object)[np.maximum(idx, 0)]
    correct &= idx >= 0
    out = {"accuracy": float(correct.mean()),
           "balanced_accuracy": float(balanced_accuracy_score(idx, class_index(classes, pred))),
           "roc_auc": None}
    if proba is not None and len(np.unique(idx[idx >= 0])) >= 2:
        known = idx >= 0
        if proba.shape[1] == 2:
            out["roc_auc"] = float(roc_auc_score(idx[known] == 1, proba[known, 1]))
        else:
            present = np.unique(idx[known])
            aucs = [roc_auc_score(idx[known] == c, proba[known, c]) for c in present]
            out["roc_auc"] = float(np.mean(aucs))
    counts = pd.Series(y_true).value_counts(normalize=True)
    out["majority_rate"] = float(counts.iloc[0]) if len(counts) else None
    out["majority_balanced_accuracy"] = 1 / len(counts) if len(counts) else None  # always one class: 1/K recall
    out["n"] = int(len(y_true))
    out["accuracy_ci"] = list(wilson_interval(out["accuracy"], len(y_true)))
    out["balanced_accuracy_ci"] = list(balanced_accuracy_interval(idx, class_index(classes, pred)))
    # the headline: balanced accuracy where the majority class dominates (accuracy would flatter a model that
    # mostly predicts it), else accuracy
    imbalanced = len(counts) > 1 and counts.iloc[0] > 1.5 / len(counts)
    out["headline"] = "balanced_accuracy" if imbalanced else "accuracy"
    return out


def balanced_accuracy_interval(truth_idx: np.ndarray, pred_idx: np.ndarray, z: float = 1.96) -> tuple[float, float]:
    """95% interval of balanced accuracy: the mean of per-class recalls, each a binomial proportion on its
    class's rows, so its variance is (1/K²) Σ r_c (1 - r_c) / n_c (normal approximation, clipped to [0, 1])."""
    classes = np.unique(truth_idx)
    recalls, variances = [], []
    for c in classes:
        rows = truth_idx == c
        r = float(np.mean(pred_idx[rows] == c))
        recalls.append(r)
        variances.append(r * (1 - r) / rows.sum())
    mean = float(np.mean(recalls)) if recalls else 0.0
    half = z * float(np.sqrt(np.sum(variances))) / max(len(classes), 1)
    return max(0.0, mean - half), min(1.0, mean + half)


def regression_scores(y_true, pred, y_train, seed: int = 0) -> dict:
    """R², MAE, RMSE (R² with a seeded bootstrap 95% interval over the rows), and the same for the baseline
    that predicts the members' mean."""
    y_true, pred = np.asarray(y_true, dtype=float), np.asarray(pred, dtype=float)
    mean = float(np.mean(np.asarray(y_train, dtype=float)))
    base = np.full(len(y_true), mean)
    return {"r2": float(r2_score(y_true, pred)), "mae": float(mean_absolute_error(y_true, pred)),
            "rmse": float(np.sqrt(np.mean((y_true - pred) ** 2))),
            "baseline_mean": mean, "baseline_r2": float(r2_score(y_true, base)),
            "baseline_mae": float(mean_absolute_error(y_true, base)), "n": int(len(y_true)),
            "r2_ci": list(r2_interval(y_true, pred, seed=seed)) if len(y_true) >= 3 else None, "headline": "r2"}


def utility_scores(model, X: pd.DataFrame, y, task: str, y_train=None, seed: int = 0) -> dict:
    """The figures of `model` on (X, y); `y_train` gives the regression baseline's mean."""
    pred, proba = predictions(model, X, task)
    if task == REGRESSION:
        return regression_scores(y, pred, y if y_train is None else y_train, seed)
    return classification_scores(y, pred, proba, model.classes_)


def constant_scores(value, y_true, task: str, y_train) -> dict:
    """Figures of a model that always predicts `value` (the "no usable input" reference)."""
    n = len(y_true)
    if task == REGRESSION:
        return regression_scores(y_true, np.full(n, float(value)), y_train)
    pred = np.full(n, value, dtype=object)
    classes = np.asarray(pd.unique(pd.Series(np.asarray(y_train, dtype=object))), dtype=object)
    return classification_scores(y_true, pred, None, classes)
