"""Simulated privacy attacks: membership and attribute inference (definitions: GUIDE section 5).

Attacks always query a model with original records. One bank of reference models, trained on
random halves of the attacker's pool, serves two attacks: the shadow attack learns from each
model's outputs on its own in/out halves, and offline LiRA uses their outputs on the evaluated
records, which none of them saw. Nothing is tuned on the records an attack is scored on.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
from lightgbm import LGBMClassifier
from sklearn.metrics import balanced_accuracy_score, roc_auc_score, roc_curve

from .data import DataError
from .models import class_index, default_model

EPS = 1e-7
FPR_LEVELS = {"tpr_at_1pct_fpr": 0.01, "tpr_at_0_1pct_fpr": 0.001}
MAX_SENSITIVE_VALUES = 30


# --- model outputs ----------------------------------------------------------------------------

def true_label_proba(model, X: pd.DataFrame, y) -> np.ndarray:
    """The probability the model gives each record's true label (0 for a label it does not know)."""
    proba = np.asarray(model.predict_proba(X), dtype=float)
    idx = class_index(model.classes_, y)
    out = np.zeros(len(idx))
    known = idx >= 0
    out[known] = proba[np.flatnonzero(known), idx[known]]
    return out


def logit(p: np.ndarray) -> np.ndarray:
    """phi = log(p / (1 - p)), with p clipped away from 0 and 1."""
    p = np.clip(p, EPS, 1 - EPS)
    return np.log(p) - np.log1p(-p)


# --- metrics ----------------------------------------------------------------------------------

def tpr_at_fpr(fpr: np.ndarray, tpr: np.ndarray, level: float) -> float:
    """The best TPR among thresholds whose FPR does not exceed `level` (a step, never interpolated)."""
    return float(tpr[fpr <= level + 1e-12].max())


def membership_metrics(member_scores, nonmember_scores, roc_points: int = 120) -> dict:
    """ROC AUC, advantage = max(TPR - FPR), TPR at low FPR and the ROC curve (higher = member).

    A TPR at FPR x is flagged unsupported when fewer than 10 / x non-members back it: with fewer,
    the figure rests on a handful of false positives.
    """
    member_scores, nonmember_scores = np.asarray(member_scores), np.asarray(nonmember_scores)
    labels = np.r_[np.ones(len(member_scores)), np.zeros(len(nonmember_scores))]
    scores = np.r_[member_scores, nonmember_scores]
    # every threshold is kept: the default drop_intermediate=True removes collinear points, which
    # are exactly the ones a TPR-at-FPR step needs when tied scores make diagonal steps
    fpr, tpr, _ = roc_curve(labels, scores, drop_intermediate=False)
    out = {"auc": float(roc_auc_score(labels, scores)), "advantage": float(np.max(tpr - fpr))}
    for key, level in FPR_LEVELS.items():
        out[key] = tpr_at_fpr(fpr, tpr, level)
        out[key + "_supported"] = bool(len(nonmember_scores) >= 10 / level)
    grid = np.unique(np.r_[0.0, list(FPR_LEVELS.values()), np.logspace(-4, 0, roc_points)].round(6))  # as shown
    out["roc"] = {"fpr": grid.tolist(), "tpr": [round(tpr_at_fpr(fpr, tpr, g), 6) for g in grid]}
    out["n_members"], out["n_nonmembers"] = len(member_scores), len(nonmember_scores)
    return out


def repeated_membership_metrics(member_scores, nonmember_scores, n_repeats: int, seed: int) -> dict:
    """Metrics on balanced sets: every repeat draws as many members as there are non-members.

    Reports the mean over repeats and, as `<key>_std`, their spread; the ROC curve is that of
    the first repeat. Seeds are seed, seed+1, ...
    """
    member_scores, nonmember_scores = np.asarray(member_scores), np.asarray(nonmember_scores)
    n = min(len(member_scores), len(nonmember_scores))
    runs = []
    for r in range(max(1, n_repeats)):
        rng = np.random.default_rng(seed + r)
        m = rng.choice(len(member_scores), n, replace=False)
        nm = rng.choice(len(nonmember_scores), n, replace=False)
        runs.append(membership_metrics(member_scores[m], nonmember_scores[nm]))
    out = dict(runs[0])
    for key in ("auc", "advantage", *FPR_LEVELS):
        values = np.array([run[key] for run in runs])
        out[key], out[key + "_std"] = float(values.mean()), float(values.std())
    out["repeats"] = len(runs)
    return out


def correct_means_member_accuracy(model, members: pd.DataFrame, members_y, nonmembers: pd.DataFrame,
                                  nonmembers_y) -> float:
    """Accuracy of the attack "member if correctly classified" on a balanced set (Yeom et al.)."""
    n = min(len(members), len(nonmembers))
    correct_m = model.predict(members.iloc[:n]) == np.asarray(members_y)[:n]
    correct_n = model.predict(nonmembers.iloc[:n]) == np.asarray(nonmembers_y)[:n]
    return float((correct_m.sum() + (~correct_n).sum()) / (2 * n))


# --- the reference bank -----------------------------------------------------------------------

@dataclass
class ReferenceBank:
    """Models of the target's kind trained on random halves of the attacker's pool."""

    models: list
    in_masks: np.ndarray  # (models, pool rows): True where the row trained that model
    seconds: float = 0.0


def train_reference_bank(factory: Callable[[int], object], X_pool: pd.DataFrame, y_pool,
                         n_models: int, seed: int) -> ReferenceBank:
    """`factory(seed)` returns an unfitted model of the target's kind; each gets half the pool."""
    import time

    start = time.perf_counter()
    rng = np.random.default_rng(seed)
    y_pool = np.asarray(y_pool)
    models, masks = [], []
    for j in range(n_models):
        mask = np.zeros(len(X_pool), dtype=bool)
        mask[rng.choice(len(X_pool), len(X_pool) // 2, replace=False)] = True
        models.append(factory(seed + 1 + j).fit(X_pool[mask], y_pool[mask]))
        masks.append(mask)
    return ReferenceBank(models, np.array(masks), time.perf_counter() - start)


# --- membership attacks -----------------------------------------------------------------------

def threshold_scores(model, X: pd.DataFrame, y) -> np.ndarray:
    """Loss/confidence threshold attack (Yeom et al. 2018): the higher the confidence, the more member."""
    return true_label_proba(model, X, y)


def _shadow_features(model, X: pd.DataFrame, y, labels: np.ndarray) -> np.ndarray:
    """Sorted probabilities, confidence in the true label, and the label's code in a fixed vocabulary."""
    n_classes = len(labels)
    proba = np.sort(np.asarray(model.predict_proba(X), dtype=float), axis=1)[:, ::-1]
    if proba.shape[1] < n_classes:
        proba = np.pad(proba, ((0, 0), (0, n_classes - proba.shape[1])))
    p_true = true_label_proba(model, X, y)
    return np.column_stack([proba[:, :n_classes], p_true, logit(p_true), class_index(labels, y)])


class ShadowAttack:
    """Shokri et al. (2017): an attack classifier on (sorted probability vector, true label),
    trained on reference models' outputs for the pool rows they did and did not train on."""

    def __init__(self, random_state: int = 0, max_rows: int = 60_000):
        self.random_state = random_state
        self.max_rows = max_rows

    def fit(self, bank: ReferenceBank, X_pool: pd.DataFrame, y_pool):
        self.labels_ = np.sort(pd.unique(np.asarray(y_pool)))  # the label code is fixed here, once
        feats = [_shadow_features(m, X_pool, y_pool, self.labels_) for m in bank.models]
        X_att = np.vstack(feats)
        y_att = np.concatenate(bank.in_masks).astype(int)
        if len(X_att) > self.max_rows:
            keep = np.random.default_rng(self.random_state).choice(len(X_att), self.max_rows, replace=False)
            X_att, y_att = X_att[keep], y_att[keep]
        self.classifier_ = LGBMClassifier(n_estimators=100, num_leaves=15, random_state=self.random_state,
                                          verbose=-1).fit(X_att, y_att)
        return self

    def score(self, model, X: pd.DataFrame, y) -> np.ndarray:
        return self.classifier_.predict_proba(_shadow_features(model, X, y, self.labels_))[:, 1]


class OfflineLiRA:
    """Offline LiRA (Carlini et al. 2022): per record, a Gaussian over the reference models'
    phi = logit(confidence in the true label); the score is how many standard deviations the
    target's phi lies above its mean. With few reference models the per-record variance is
    shrunk toward the pooled variance, as the paper advises for small banks."""

    def __init__(self, shrinkage: float = 4.0):
        self.shrinkage = shrinkage

    def fit(self, bank: ReferenceBank, X: pd.DataFrame, y):
        phis = np.vstack([logit(true_label_proba(m, X, y)) for m in bank.models])
        n = phis.shape[0]
        self.mu_ = phis.mean(axis=0)
        var = phis.var(axis=0, ddof=1) if n > 1 else np.zeros(phis.shape[1])
        pooled = float(var.mean()) if n > 1 else 1.0
        self.sigma_ = np.sqrt(((n - 1) * var + self.shrinkage * pooled) / (n - 1 + self.shrinkage)) + 1e-6
        return self

    def score(self, model, X: pd.DataFrame, y) -> np.ndarray:
        return (logit(true_label_proba(model, X, y)) - self.mu_) / self.sigma_


# --- attribute inference ----------------------------------------------------------------------

MISSING_LABEL = "(missing)"


def _labels(values: pd.Series) -> np.ndarray:
    return values.astype(object).where(values.notna(), MISSING_LABEL).astype(str).to_numpy()


def attribute_score(truth: np.ndarray, guess: np.ndarray, balanced: bool) -> float:
    if balanced:
        with warnings.catch_warnings():  # a guess outside the true values is simply wrong, not a problem
            warnings.simplefilter("ignore", UserWarning)
            return float(balanced_accuracy_score(truth, guess))
    return float(np.mean(truth == guess))


@dataclass
class AttributeSetup:
    """What the attacker knows, fixed for all models attacked in one experiment."""

    sensitive: str
    target: str
    features: list[str]  # the model's features
    known: list[str]  # the attacker's known columns (features without S, plus the label)
    candidates: list  # the values S can take, as in the data
    labels: list[str]  # the same as strings
    prior: np.ndarray
    balanced: bool
    majority_rate: float
    baseline: object  # fitted imputation model, on the `learn` rows of the pool
    learn: np.ndarray  # pool positions the attacker learns from (70%)
    select: np.ndarray  # pool positions it picks its stronger variant on (30%)


def prepare_attribute_attack(pool: pd.DataFrame, evaluation: pd.DataFrame, features: list[str],
                             sensitive: str, target: str, seed: int) -> AttributeSetup:
    """Fit the model-free imputation baseline on the pool; fix candidates and the scoring rule."""
    values = pool[sensitive]
    candidates = list(pd.unique(values.dropna()))
    if values.isna().any():
        candidates.append(np.nan)
    if len(candidates) > MAX_SENSITIVE_VALUES:
        raise DataError(f"the sensitive attribute '{sensitive}' has {len(candidates)} distinct values; "
                        f"attribute inference needs at most {MAX_SENSITIVE_VALUES} (bin it first)")
    if len(candidates) < 2:
        raise DataError(f"the sensitive attribute '{sensitive}' has a single value; nothing to infer")
    labels = [MISSING_LABEL if pd.isna(c) else str(c) for c in candidates]
    pool_labels = _labels(values)
    prior = np.array([np.mean(pool_labels == lab) for lab in labels])
    eval_labels = _labels(evaluation[sensitive])
    majority_rate = float(pd.Series(eval_labels).value_counts(normalize=True).iloc[0])
    known = [c for c in features if c != sensitive] + [target]
    order = np.random.default_rng(seed).permutation(len(pool))
    learn, select = np.sort(order[: int(0.7 * len(pool))]), np.sort(order[int(0.7 * len(pool)):])
    # the baseline learns from exactly the rows the attacks learn from, so only the model differs
    baseline = default_model(seed).fit(pool.iloc[learn][known], pool_labels[learn])
    return AttributeSetup(sensitive, target, features, known, candidates, labels, prior,
                          balanced=majority_rate > 1.5 / len(candidates), majority_rate=majority_rate,
                          baseline=baseline, learn=learn, select=select)


def _with_value(X: pd.DataFrame, column: str, value) -> pd.DataFrame:
    out = X.copy()
    out[column] = pd.Series([value] * len(X), index=X.index).astype(X[column].dtype)
    return out


def _model_outputs(setup: AttributeSetup, model, frame: pd.DataFrame) -> np.ndarray:
    """Per record: the model's confidence in the true label for every candidate value of S
    (S is a model input), or its probability vector (S is not)."""
    X, y = frame[setup.features], frame[setup.target]
    if setup.sensitive in setup.features:
        return np.column_stack([true_label_proba(model, _with_value(X, setup.sensitive, c), y)
                                for c in setup.candidates])
    return np.asarray(model.predict_proba(X), dtype=float)


def attribute_inference(setup: AttributeSetup, model, pool: pd.DataFrame, members: pd.DataFrame,
                        nonmembers: pd.DataFrame, seed: int) -> dict:
    """Baseline, black-box attack and confidence-maximizing attack on members and non-members.

    The headline attack figures are those of the variant that scores better on a held-out part of
    the attacker's own pool (`attack_variant`); every variant's figures are under `variants`.
    """
    def with_outputs(frame, outputs):
        outputs = pd.DataFrame(outputs, index=frame.index).add_prefix("model_out_")
        return pd.concat([frame[setup.known], outputs], axis=1)

    # the attacker learns on 70% of its pool and picks its stronger variant on the other 30%,
    # never on the members and non-members it is scored on
    learn, select = pool.iloc[setup.learn], pool.iloc[setup.select]
    blackbox = default_model(seed).fit(with_outputs(learn, _model_outputs(setup, model, learn)),
                                       _labels(learn[setup.sensitive]))

    def guesses(frame, outputs):
        out = {"blackbox": blackbox.predict(with_outputs(frame, outputs))}
        if setup.sensitive in setup.features:
            conf = outputs + 1e-9 * setup.prior  # ties go to the likelier value
            out["confidence"] = np.asarray(setup.labels)[conf.argmax(axis=1)]
        return out

    select_truth = _labels(select[setup.sensitive])
    select_scores = {name: attribute_score(select_truth, guess, setup.balanced)
                     for name, guess in guesses(select, _model_outputs(setup, model, select)).items()}
    result = {"metric": "balanced_accuracy" if setup.balanced else "accuracy",
              "majority_rate": setup.majority_rate, "n_values": len(setup.candidates)}
    variants = {name: {"attack_pool_holdout": score} for name, score in select_scores.items()}
    for name, frame in (("members", members), ("nonmembers", nonmembers)):
        truth = _labels(frame[setup.sensitive])
        result["baseline_" + name] = attribute_score(truth, setup.baseline.predict(frame[setup.known]),
                                                     setup.balanced)
        for variant, guess in guesses(frame, _model_outputs(setup, model, frame)).items():
            variants[variant]["attack_" + name] = attribute_score(truth, guess, setup.balanced)
    for block in variants.values():
        for name in ("members", "nonmembers"):
            block["advantage_" + name] = block["attack_" + name] - result["baseline_" + name]
    best = max(select_scores, key=select_scores.get)
    result.update({"attack_members": variants[best]["attack_members"],
                   "attack_nonmembers": variants[best]["attack_nonmembers"],
                   "advantage_members": variants[best]["advantage_members"],
                   "advantage_nonmembers": variants[best]["advantage_nonmembers"],
                   "attack_variant": best, "variants": variants})
    return result
