"""Simulated privacy attacks: membership and attribute inference (definitions: docs/design.md, "Membership inference").

Attacks always query a model with original records. One bank of reference models, trained on
random halves of the attacker's pool, serves two attacks: the shadow attack learns from each
model's outputs on its own in/out halves, and offline LiRA uses their outputs on the evaluated
records, which none of them saw; RMIA compares the target's likelihood ratio on each evaluated
record with that on population records of the pool. Nothing is tuned on the records an attack is
scored on.

Classifiers are attacked through the probability of the true label; regressors (models without
predict_proba) through the per-record squared error l = (y - f(x))^2 (docs/design.md, "Membership inference").
"""

from __future__ import annotations

import dataclasses
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from lightgbm import LGBMClassifier
from sklearn.metrics import balanced_accuracy_score, roc_auc_score, roc_curve

from .data import DataError
from .models import class_index, default_model, is_regression_model
from .names import CLASSIFICATION, REGRESSION
from .results import LOW_FPR, AttackFigures, AttributeInference, imbalanced
from .workers import FIT_THREADS, parallel_map

EPS = 1e-7
FPR_LEVELS = LOW_FPR
MAX_SENSITIVE_VALUES = 30


# --- model outputs ----------------------------------------------------------------------------

@dataclass
class Outputs:
    """One model's outputs on some rows, predicted once and read by every attack (the threshold, shadow,
    LiRA and RMIA attacks all start from the same probabilities, or a regressor's predictions)."""

    task: str
    y: np.ndarray
    proba: np.ndarray | None = None  # classification: (rows, classes), in the model's class order
    classes: np.ndarray | None = None
    pred: np.ndarray | None = None  # regression

    @classmethod
    def of(cls, model, X: pd.DataFrame, y, task: str | None = None) -> Outputs:
        if model_task(model, task) == REGRESSION:
            return cls(REGRESSION, np.asarray(y, dtype=float), pred=np.asarray(model.predict(X), dtype=float))
        return cls(CLASSIFICATION, np.asarray(y), proba=np.asarray(model.predict_proba(X), dtype=float),
                   classes=np.asarray(model.classes_))

    @property
    def true_proba(self) -> np.ndarray:
        """The probability of each record's true label (0 for a label the model does not know)."""
        idx = class_index(self.classes, self.y)
        out = np.zeros(len(idx))
        known = idx >= 0
        out[known] = self.proba[np.flatnonzero(known), idx[known]]
        return out

    @property
    def loss(self) -> np.ndarray:
        """A regressor's per-record squared error l = (y - f(x))^2."""
        return (self.y - self.pred) ** 2

    def take(self, rows) -> Outputs:
        return Outputs(self.task, self.y[rows], None if self.proba is None else self.proba[rows], self.classes,
                       None if self.pred is None else self.pred[rows])


def true_label_proba(model, X: pd.DataFrame, y) -> np.ndarray:
    """The probability the model gives each record's true label (0 for a label it does not know)."""
    return Outputs.of(model, X, y, CLASSIFICATION).true_proba


def logit(p: np.ndarray) -> np.ndarray:
    """phi = log(p / (1 - p)), with p clipped away from 0 and 1."""
    p = np.clip(p, EPS, 1 - EPS)
    return np.log(p) - np.log1p(-p)


def model_task(model, task: str | None = None) -> str:
    """`task` when given, else 'regression' for a model without predict_proba, else 'classification'."""
    if task is None:
        return REGRESSION if is_regression_model(model) else CLASSIFICATION
    if task not in (CLASSIFICATION, REGRESSION):
        raise DataError(f"unknown task '{task}'; choose classification or regression")
    return task


def squared_error(model, X: pd.DataFrame, y) -> np.ndarray:
    """Per-record loss of a regressor, l = (y - f(x))^2."""
    return (np.asarray(y, dtype=float) - np.asarray(model.predict(X), dtype=float)) ** 2


def lira_signal(model, X: pd.DataFrame, y, task: str | None = None) -> np.ndarray:
    """The statistic LiRA fits a Gaussian to: logit of the true label's probability, or -l for a regressor."""
    if model_task(model, task) == REGRESSION:
        return -squared_error(model, X, y)
    return logit(true_label_proba(model, X, y))


# --- metrics ----------------------------------------------------------------------------------

def tpr_at_fpr(fpr: np.ndarray, tpr: np.ndarray, level: float) -> float:
    """The best TPR among thresholds whose FPR does not exceed `level` (a step, never interpolated)."""
    return float(tpr[fpr <= level + 1e-12].max())


def membership_metrics(member_scores, nonmember_scores, roc_points: int = 120) -> AttackFigures:
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
    low = {key: tpr_at_fpr(fpr, tpr, level) for key, level in FPR_LEVELS.items()}
    supported = {key + "_supported": bool(len(nonmember_scores) >= 10 / level) for key, level in FPR_LEVELS.items()}
    grid = np.unique(np.r_[0.0, list(FPR_LEVELS.values()), np.logspace(-4, 0, roc_points)].round(6))  # as shown
    roc = {"fpr": grid.tolist(), "tpr": [round(tpr_at_fpr(fpr, tpr, g), 6) for g in grid]}
    return AttackFigures(auc=float(roc_auc_score(labels, scores)), advantage=float(np.max(tpr - fpr)), **low,
                         **supported, n_members=len(member_scores), n_nonmembers=len(nonmember_scores), roc=roc)


def repeated_membership_metrics(member_scores, nonmember_scores, n_repeats: int, seed: int,
                                p_value: float | None = None) -> AttackFigures:
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
    spread = {}
    for key in ("auc", "advantage", *FPR_LEVELS):
        values = np.array([getattr(run, key) for run in runs])
        spread[key] = float(values.mean())
        spread[key + "_std"] = float(values.std()) if len(runs) > 1 else None  # one draw: no spread measured
    return dataclasses.replace(runs[0], **spread, repeats=len(runs), p_value_vs_chance=p_value)


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
    task: str = CLASSIFICATION


def train_reference_bank(factory: Callable[[int], object], X_pool: pd.DataFrame, y_pool,
                         n_models: int, seed: int, parallel: bool = True) -> ReferenceBank:
    """`factory(seed)` returns an unfitted model of the target's kind; each gets half the pool."""
    import time

    start = time.perf_counter()
    rng = np.random.default_rng(seed)
    y_pool = np.asarray(y_pool)
    masks = []
    for _ in range(n_models):  # drawn in order first, so the bank is the same however the fits are spread
        mask = np.zeros(len(X_pool), dtype=bool)
        mask[rng.choice(len(X_pool), len(X_pool) // 2, replace=False)] = True
        masks.append(mask)
    models = parallel_map(lambda j: factory(seed + 1 + j).fit(X_pool[masks[j]], y_pool[masks[j]]), range(n_models),
                          parallel=parallel)
    return ReferenceBank(models, np.array(masks), time.perf_counter() - start, model_task(models[0]))


def reference_outputs(bank: ReferenceBank, X: pd.DataFrame, y, parallel: bool = True) -> np.ndarray:
    """(models, rows): each reference model's probability of the true label, or a regressor's squared
    error. LiRA and RMIA both start from these on the evaluated records: compute them once, pass both."""
    outputs = parallel_map(lambda m: Outputs.of(m, X, y, bank.task), bank.models, parallel=parallel)
    return np.vstack([out.loss if bank.task == REGRESSION else out.true_proba for out in outputs])


# --- membership attacks -----------------------------------------------------------------------

def threshold_scores(model, X: pd.DataFrame, y, task: str | None = None, outputs: Outputs | None = None) -> np.ndarray:
    """Loss/confidence threshold attack (Yeom et al. 2018): the higher the confidence in the true
    label (the lower a regressor's squared error), the more member."""
    out = outputs if outputs is not None else Outputs.of(model, X, y, task)
    return -out.loss if out.task == REGRESSION else out.true_proba


def _shadow_features(out: Outputs, labels: np.ndarray | None) -> np.ndarray:
    """Sorted probabilities, confidence in the true label, and the label's code in a fixed vocabulary;
    for a regressor (labels None): loss, prediction and y."""
    if labels is None:
        return np.column_stack([out.loss, out.pred, out.y])
    n_classes = len(labels)
    proba = np.sort(out.proba, axis=1)[:, ::-1]
    if proba.shape[1] < n_classes:
        proba = np.pad(proba, ((0, 0), (0, n_classes - proba.shape[1])))
    p_true = out.true_proba
    return np.column_stack([proba[:, :n_classes], p_true, logit(p_true), class_index(labels, out.y)])


class ShadowAttack:
    """Shokri et al. (2017): an attack classifier on (sorted probability vector, true label),
    trained on reference models' outputs for the pool rows they did and did not train on."""

    def __init__(self, random_state: int = 0, max_rows: int = 60_000):
        self.random_state = random_state
        self.max_rows = max_rows

    def fit(self, bank: ReferenceBank, X_pool: pd.DataFrame, y_pool, pool_outputs: list[Outputs] | None = None):
        """pool_outputs: each reference model's `Outputs` on the pool, when already predicted."""
        self.task_ = bank.task
        # the label code is fixed here, once; a regressor's features need none
        self.labels_ = None if bank.task == REGRESSION else np.sort(pd.unique(np.asarray(y_pool)))
        if pool_outputs is None:
            pool_outputs = [Outputs.of(m, X_pool, y_pool, bank.task) for m in bank.models]
        feats = [_shadow_features(out, self.labels_) for out in pool_outputs]
        X_att = np.vstack(feats)
        y_att = np.concatenate(bank.in_masks).astype(int)
        if len(X_att) > self.max_rows:
            keep = np.random.default_rng(self.random_state).choice(len(X_att), self.max_rows, replace=False)
            X_att, y_att = X_att[keep], y_att[keep]
        self.classifier_ = LGBMClassifier(n_estimators=100, num_leaves=15, random_state=self.random_state,
                                          verbose=-1, n_jobs=FIT_THREADS).fit(X_att, y_att)
        return self

    def score(self, model, X: pd.DataFrame, y, outputs: Outputs | None = None) -> np.ndarray:
        out = outputs if outputs is not None else Outputs.of(model, X, y, self.task_)
        return self.classifier_.predict_proba(_shadow_features(out, self.labels_))[:, 1]


class OfflineLiRA:
    """Offline LiRA (Carlini et al. 2022): per record, a Gaussian over the reference models'
    phi = logit(confidence in the true label); the score is how many standard deviations the
    target's phi lies above its mean. With few reference models the per-record variance is
    shrunk toward the pooled variance, as the paper advises for small banks.

    Regressors: phi = -log(l + c) by default ("log_loss"), c = 1e-6 x the reference models' mean
    loss. It is the regression analogue of the logit: for a confident classifier logit(p) is about
    -log(cross-entropy loss). phi = -l ("loss", docs/design.md) is bounded above by 0 with a
    long lower tail, far from Gaussian: it gave AUC 0.74 against a 1-NN regressor that -log(l + c)
    catches at 0.99."""

    def __init__(self, shrinkage: float = 4.0, regression_signal: str = "log_loss"):
        self.shrinkage = shrinkage
        self.regression_signal = regression_signal

    def _phi(self, out: Outputs) -> np.ndarray:
        if self.task_ == REGRESSION:
            return -np.log(out.loss + self.offset_) if self.regression_signal == "log_loss" else -out.loss
        return logit(out.true_proba)

    def fit(self, bank: ReferenceBank, X: pd.DataFrame, y, outputs: np.ndarray | None = None):
        """outputs: `reference_outputs(bank, X, y)` when already computed (else computed here)."""
        if self.regression_signal not in ("log_loss", "loss"):
            raise DataError(f"unknown LiRA regression signal '{self.regression_signal}'; use log_loss or loss")
        self.task_ = bank.task
        raw = reference_outputs(bank, X, y) if outputs is None else np.asarray(outputs, dtype=float)
        self.offset_ = 0.0
        if bank.task == REGRESSION and self.regression_signal == "log_loss":
            self.offset_ = 1e-6 * float(raw.mean()) + 1e-12
            phis = -np.log(raw + self.offset_)
        else:
            phis = -raw if bank.task == REGRESSION else logit(raw)
        n = phis.shape[0]
        self.mu_ = phis.mean(axis=0)
        var = phis.var(axis=0, ddof=1) if n > 1 else np.zeros(phis.shape[1])
        pooled = float(var.mean()) if n > 1 else 1.0
        self.sigma_ = np.sqrt(((n - 1) * var + self.shrinkage * pooled) / (n - 1 + self.shrinkage)) + 1e-6
        return self

    def score(self, model, X: pd.DataFrame, y, outputs: Outputs | None = None) -> np.ndarray:
        out = outputs if outputs is not None else Outputs.of(model, X, y, self.task_)
        return (self._phi(out) - self.mu_) / self.sigma_


def _log_mean_exp(log_values: np.ndarray, use: np.ndarray) -> np.ndarray:
    """Per column, log of the mean of exp(log_values) over the rows where `use` is True (NaN if none)."""
    masked = np.where(use, log_values, -np.inf)
    top = masked.max(axis=0)
    safe_top = np.where(np.isfinite(top), top, 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = safe_top + np.log(np.exp(masked - safe_top).sum(axis=0) / use.sum(axis=0))
    return np.where(use.any(axis=0), out, np.nan)


class OfflineRMIA:
    """RMIA (Zarifzadeh et al., ICML 2024), offline: is the target's likelihood of x, relative to
    the population's, higher than its likelihood of typical population records z?

    Signal p(x): the probability of the true label; for a regressor exp(-l / (2 s^2)) with
    l = (y - f(x))^2 and s^2 = f x the reference models' mean squared error on rows they did not
    train on. That is the Gaussian likelihood of y around the prediction, with the normalizing
    constant dropped (it cancels in every ratio), so like a probability it lies in (0, 1] and equals
    1 for a record fit exactly, which is what the offline approximation below assumes a member gets.
    The factor f (how sharply the likelihood falls off) is tuned with a, on the reference models:
    f = 1 saturates for small losses (AUC 0.85 against a 1-NN regressor, 0.98 with f = 0.01).
    P(x) = ((1 + a) P_out(x) + (1 - a)) / 2, with P_out the mean of p over reference models that
    did not train on x: the average of IN and OUT models, estimated from OUT models only. a is
    tuned by attacking one reference model with the others (pool rows it trained on vs not),
    unless given. Score(x) = share of population z (pool rows, OUT for the target) with
    (p_target(x) / P(x)) / (p_target(z) / P(z)) >= gamma. With `tie_break`, records with equal
    shares are ordered by their own ratio (adding less than 1 / number of z), which never
    reorders records with different shares. The score is computed in log space.
    """

    A_GRID = tuple(round(a, 2) for a in np.linspace(0, 1, 11))
    SCALE_GRID = (1.0, 0.3, 0.1, 0.03, 0.01)  # regression: s^2 as a share of the reference MSE

    def __init__(self, a: float | None = None, gamma: float = 1.0, n_population: int = 2500,
                 tune_model: int = 0, tie_break: bool = True, random_state: int = 0, max_pool_rows: int = 6000):
        self.a = a
        self.gamma = gamma
        self.n_population = n_population
        self.max_pool_rows = max_pool_rows
        self.tune_model = tune_model
        self.tie_break = tie_break
        self.random_state = random_state

    # -- signals -------------------------------------------------------------------------------

    def _raw(self, out: Outputs) -> np.ndarray:
        """Probability of the true label, or a regressor's squared error."""
        return out.loss if self.task_ == REGRESSION else out.true_proba

    def _log_signal(self, raw: np.ndarray, scale: float | None = None) -> np.ndarray:
        if self.task_ == REGRESSION:
            return -raw / (2 * self.noise_var_ * (self.scale_ if scale is None else scale))
        return np.log(np.clip(raw, EPS, 1.0))

    @staticmethod
    def _log_p(log_p_out: np.ndarray, a: float) -> np.ndarray:
        """log P = log(((1 + a) P_out + (1 - a)) / 2); NaN where no reference model was OUT."""
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.logaddexp(np.log1p(a) + log_p_out, np.log(1 - a)) - np.log(2)

    def _shares(self, lr_x: np.ndarray, lr_z: np.ndarray) -> np.ndarray:
        """Share of z with LR(x, z) >= gamma, i.e. lr_z <= lr_x - log gamma (plus the tie-break)."""
        lr_z = np.sort(lr_z)
        counts = np.searchsorted(lr_z, lr_x - np.log(self.gamma), side="right").astype(float)
        if self.tie_break:
            counts += (np.arctan(lr_x) / np.pi + 0.5) * (1 - 1e-9)  # in [0, 1): orders within a count
        return counts / len(lr_z)

    # -- fitting -------------------------------------------------------------------------------

    def fit(self, bank: ReferenceBank, X_eval: pd.DataFrame, y_eval, X_pop: pd.DataFrame, y_pop,
            outputs: np.ndarray | None = None, pool_outputs: list[Outputs] | None = None):
        """X_eval/y_eval: the records to be scored (none in the pool); X_pop/y_pop: the pool the bank
        was trained on (its in_masks index these rows); outputs: `reference_outputs(bank, X_eval,
        y_eval)` when already computed (LiRA needs the same). Tuning and the population use at most
        `max_pool_rows` pool rows (seeded), which bounds what RMIA adds to an evaluation."""
        if len(X_pop) != bank.in_masks.shape[1]:
            raise DataError(f"RMIA needs the pool the reference models were trained on ({bank.in_masks.shape[1]} "
                            f"rows); got {len(X_pop)}")
        if self.gamma <= 0:
            raise DataError(f"RMIA's gamma must be positive; got {self.gamma}")
        self.task_ = bank.task
        rng = np.random.default_rng(self.random_state)
        rows = np.arange(len(X_pop))
        if len(rows) > self.max_pool_rows:
            rows = np.sort(rng.choice(len(X_pop), self.max_pool_rows, replace=False))
        X_pop, y_pop, in_masks = X_pop.iloc[rows], np.asarray(y_pop)[rows], bank.in_masks[:, rows]
        out = ~in_masks
        if pool_outputs is not None:  # each reference model's outputs on the whole pool: the rows drawn here
            raw_pop = np.vstack([self._raw(o.take(rows)) for o in pool_outputs])
        else:
            raw_pop = np.vstack([self._raw(Outputs.of(m, X_pop, y_pop, bank.task)) for m in bank.models])
        self.noise_var_ = float(raw_pop[out].mean()) + 1e-12 if self.task_ == REGRESSION else None
        scales = self.SCALE_GRID if self.task_ == REGRESSION else (1.0,)
        self.a_, self.scale_ = self._tune(raw_pop, in_masks, scales)
        if not 0 <= self.a_ <= 1:
            raise DataError(f"RMIA's a must lie in [0, 1]; got {self.a_}")
        log_pop = self._log_signal(raw_pop)
        raw_eval = reference_outputs(bank, X_eval, y_eval) if outputs is None else np.asarray(outputs, dtype=float)
        log_eval = self._log_signal(raw_eval)
        all_out = np.ones(log_eval.shape, dtype=bool)  # the evaluated records trained no reference model
        self.log_p_eval_ = self._log_p(_log_mean_exp(log_eval, all_out), self.a_)
        usable = np.flatnonzero(out.any(axis=0))  # a z needs at least one reference model OUT for it
        z = np.sort(rng.choice(usable, min(self.n_population, len(usable)), replace=False))
        self.log_p_z_ = self._log_p(_log_mean_exp(log_pop[:, z], out[:, z]), self.a_)
        self.X_z_, self.y_z_ = X_pop.iloc[z], y_pop[z]
        self.n_eval_ = len(X_eval)
        return self

    @property
    def population(self) -> tuple[pd.DataFrame, np.ndarray]:
        """The population rows z the target model is also asked about (predict them with the scored rows)."""
        return self.X_z_, self.y_z_

    def _tune(self, raw_pop: np.ndarray, in_masks: np.ndarray, scales: tuple) -> tuple[float, float]:
        """(a, regression scale) with the best AUC when reference model `tune_model` is attacked with the
        others: its training rows are members; its other rows are split into population z and
        non-members. A given `a` is kept; only the scale is then tuned."""
        a_grid = self.A_GRID if self.a is None else (float(self.a),)
        self.tuning_auc_ = {}
        if len(in_masks) < 2:  # no model left to tune with: the paper's default a
            return (0.3 if self.a is None else float(self.a)), scales[0]
        for scale in scales:
            for a, auc in self._tuning_aucs(self._log_signal(raw_pop, scale), in_masks, a_grid).items():
                self.tuning_auc_[(a, scale) if len(scales) > 1 else a] = auc
        if not self.tuning_auc_:
            return (0.3 if self.a is None else float(self.a)), scales[0]
        best = max(self.tuning_auc_, key=self.tuning_auc_.get)
        return best if len(scales) > 1 else (best, scales[0])

    def _tuning_aucs(self, log_pop: np.ndarray, in_masks: np.ndarray, a_grid) -> dict:
        j = self.tune_model
        others = np.delete(np.arange(len(in_masks)), j)
        out_others = ~in_masks[others]
        rng = np.random.default_rng(self.random_state)
        ins = np.flatnonzero(in_masks[j] & out_others.any(axis=0))
        outs = rng.permutation(np.flatnonzero(~in_masks[j] & out_others.any(axis=0)))
        z, non = outs[: len(outs) // 2][: self.n_population], outs[len(outs) // 2:][:2000]
        mem = rng.choice(ins, min(len(ins), len(non)), replace=False)
        if min(len(z), len(non), len(mem)) == 0:
            return {}
        log_target = log_pop[j]
        log_p_out = _log_mean_exp(log_pop[others], out_others)
        labels = np.r_[np.ones(len(mem)), np.zeros(len(non))]
        aucs = {}
        for a in a_grid:
            lr = log_target - self._log_p(log_p_out, a)
            aucs[a] = float(roc_auc_score(labels, self._shares(np.r_[lr[mem], lr[non]], lr[z])))
        return aucs

    def score(self, model, X: pd.DataFrame, y, outputs: Outputs | None = None,
              z_outputs: Outputs | None = None) -> np.ndarray:
        """RMIA scores of the records given to fit (higher = member); `outputs` and `z_outputs`: the target
        model's outputs on those records and on the population rows, when already predicted."""
        if len(X) != self.n_eval_:
            raise DataError(f"RMIA scores the {self.n_eval_} records it was fit on; got {len(X)}")
        out = outputs if outputs is not None else Outputs.of(model, X, y, self.task_)
        z_out = z_outputs if z_outputs is not None else Outputs.of(model, self.X_z_, self.y_z_, self.task_)
        lr_x = self._log_signal(self._raw(out)) - self.log_p_eval_
        lr_z = self._log_signal(self._raw(z_out)) - self.log_p_z_
        return self._shares(lr_x, lr_z)


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
    baseline_scores: dict = field(default_factory=dict)  # members / nonmembers -> the baseline's score


def check_inferable(sensitive: str, n_values: int) -> None:
    """Attribute inference guesses among the attribute's values: between 2 and MAX_SENSITIVE_VALUES of them."""
    if n_values > MAX_SENSITIVE_VALUES:
        raise DataError(f"the sensitive attribute '{sensitive}' has {n_values} distinct values; "
                        f"attribute inference needs at most {MAX_SENSITIVE_VALUES} (bin it first)")
    if n_values < 2:
        raise DataError(f"the sensitive attribute '{sensitive}' has a single value; nothing to infer")


def prepare_attribute_attack(pool: pd.DataFrame, evaluation: pd.DataFrame, features: list[str],
                             sensitive: str, target: str, seed: int) -> AttributeSetup:
    """Fit the model-free imputation baseline on the pool; fix candidates and the scoring rule."""
    values = pool[sensitive]
    candidates = list(pd.unique(values.dropna()))
    if values.isna().any():
        candidates.append(np.nan)
    check_inferable(sensitive, len(candidates))
    labels = [MISSING_LABEL if pd.isna(c) else str(c) for c in candidates]
    pool_labels = _labels(values)
    prior = np.array([np.mean(pool_labels == lab) for lab in labels])
    eval_shares = pd.Series(_labels(evaluation[sensitive])).value_counts(normalize=True)
    majority_rate = float(eval_shares.iloc[0])
    known = [c for c in features if c != sensitive] + [target]
    order = np.random.default_rng(seed).permutation(len(pool))
    learn, select = np.sort(order[: int(0.7 * len(pool))]), np.sort(order[int(0.7 * len(pool)):])
    # the baseline learns from exactly the rows the attacks learn from, so only the model differs
    baseline = fit_attacker(pool.iloc[learn][known], pool_labels[learn], seed)
    shares = np.r_[eval_shares.to_numpy(), np.zeros(max(0, len(candidates) - len(eval_shares)))]
    return AttributeSetup(sensitive, target, features, known, candidates, labels, prior,
                          balanced=imbalanced(shares), majority_rate=majority_rate,
                          baseline=baseline, learn=learn, select=select)


ATTACKER_ROUNDS, ATTACKER_PATIENCE = 300, 10


def fit_attacker(X: pd.DataFrame, labels: np.ndarray, seed: int):
    """The attribute attacker's (and its baseline's) classifier: LightGBM with early stopping on a seeded
    fifth of its own learning rows (at most ATTACKER_ROUNDS rounds, stopping after ATTACKER_PATIENCE
    without gain on that fifth), then refit on all of them with the rounds found. A 7-valued attribute costs
    7 trees a round, so the fixed 100 rounds it had were most of an evaluation's time; on Adult it stops at
    about a third of them with the same attack figures (bench/evaluate.py)."""
    from lightgbm import early_stopping

    from .models import CategoryEncoder

    labels = np.asarray(labels)
    rng = np.random.default_rng(seed)
    held = rng.random(len(X)) < 0.2
    rounds = 100
    if held.sum() >= 20 and (~held).sum() >= 20 and len(np.unique(labels[~held])) >= 2:
        known = np.unique(labels[~held])
        seen = np.isin(labels, known) & held  # eval labels the model knows
        codes = np.searchsorted(known, np.where(np.isin(labels, known), labels, known[0]))  # labels as integers
        encoder = CategoryEncoder().fit(X)
        probe = LGBMClassifier(n_estimators=ATTACKER_ROUNDS, random_state=seed, verbose=-1, n_jobs=FIT_THREADS)
        probe.fit(encoder.transform(X[~held]), codes[~held],
                  eval_X=(encoder.transform(X[seen]),), eval_y=(codes[seen],),
                  callbacks=[early_stopping(ATTACKER_PATIENCE, verbose=False)])
        rounds = max(10, int(probe.best_iteration_ or ATTACKER_ROUNDS))
    model = default_model(seed).set_params(lightgbm__n_estimators=rounds)
    return model.fit(X, labels)


def _with_value(X: pd.DataFrame, column: str, value) -> pd.DataFrame:
    out = X.copy()
    out[column] = pd.Series([value] * len(X), index=X.index).astype(X[column].dtype)
    return out


def _model_outputs(setup: AttributeSetup, model, frame: pd.DataFrame) -> np.ndarray:
    """Per record: the model's confidence in the true label for every candidate value of S
    (S is a model input), or its probability vector (S is not). For a regressor, confidence is
    minus the squared error and the output is its single prediction column."""
    X, y = frame[setup.features], frame[setup.target]
    regression = is_regression_model(model)
    if setup.sensitive in setup.features:
        # every candidate value in one prediction: the rows once per candidate, stacked
        stacked = pd.concat([_with_value(X, setup.sensitive, c) for c in setup.candidates], ignore_index=True)
        ys = np.tile(np.asarray(y), len(setup.candidates))
        out = Outputs.of(model, stacked, ys, REGRESSION if regression else CLASSIFICATION)
        conf = -out.loss if regression else out.true_proba
        return conf.reshape(len(setup.candidates), len(X)).T
    if regression:
        return np.asarray(model.predict(X), dtype=float).reshape(-1, 1)
    return np.asarray(model.predict_proba(X), dtype=float)


def attribute_inference(setup: AttributeSetup, model, pool: pd.DataFrame, members: pd.DataFrame,
                        nonmembers: pd.DataFrame, seed: int) -> AttributeInference:
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
    frames = [learn, select, members, nonmembers]
    stacked = _model_outputs(setup, model, pd.concat(frames, ignore_index=True))  # one prediction for all four
    bounds = np.cumsum([0] + [len(f) for f in frames])
    outputs = {id(f): stacked[a:b] for f, a, b in zip(frames, bounds[:-1], bounds[1:])}
    blackbox = fit_attacker(with_outputs(learn, outputs[id(learn)]), _labels(learn[setup.sensitive]), seed)

    scored = [select, members, nonmembers]  # the black box guesses all three in one prediction
    black = blackbox.predict(pd.concat([with_outputs(f, outputs[id(f)]) for f in scored], ignore_index=True))
    cut = np.cumsum([0] + [len(f) for f in scored])
    black = {id(f): black[a:b] for f, a, b in zip(scored, cut[:-1], cut[1:])}

    def guesses(frame):
        out = {"blackbox": black[id(frame)]}
        if setup.sensitive in setup.features:
            conf = outputs[id(frame)] + 1e-9 * setup.prior  # ties go to the likelier value
            out["confidence"] = np.asarray(setup.labels)[conf.argmax(axis=1)]
        return out

    select_truth = _labels(select[setup.sensitive])
    select_scores = {name: attribute_score(select_truth, guess, setup.balanced)
                     for name, guess in guesses(select).items()}
    baselines, attacked = {}, {}
    for name, frame in (("members", members), ("nonmembers", nonmembers)):
        truth = _labels(frame[setup.sensitive])
        if name not in setup.baseline_scores:  # the baseline needs no model: scored once per experiment
            setup.baseline_scores[name] = attribute_score(truth, setup.baseline.predict(frame[setup.known]),
                                                          setup.balanced)
        baselines[name] = setup.baseline_scores[name]
        for variant, guess in guesses(frame).items():
            attacked.setdefault(variant, {})[name] = attribute_score(truth, guess, setup.balanced)
    variants = {variant: {"attack_pool_holdout": select_scores[variant],
                          **{f"attack_{n}": v for n, v in scores.items()},
                          **{f"advantage_{n}": v - baselines[n] for n, v in scores.items()}}
                for variant, scores in attacked.items()}
    best = max(select_scores, key=select_scores.get)
    return AttributeInference(
        sensitive=str(setup.sensitive), metric="balanced_accuracy" if setup.balanced else "accuracy",
        majority_rate=setup.majority_rate, n_values=len(setup.candidates), n_members=len(members),
        n_nonmembers=len(nonmembers), baseline_members=baselines["members"],
        baseline_nonmembers=baselines["nonmembers"], attack_members=variants[best]["attack_members"],
        attack_nonmembers=variants[best]["attack_nonmembers"], advantage_members=variants[best]["advantage_members"],
        advantage_nonmembers=variants[best]["advantage_nonmembers"], attack_variant=best, variants=variants)
