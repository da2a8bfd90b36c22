"""The evaluation pipeline: split, anonymize, retrain, evaluate, attack; and sweeps over k.

Everything that does not depend on k (the split, the original model, its evaluation, the
attacker's reference models and imputation baseline) is computed once per Experiment and reused
by every run, so a sweep costs one anonymization, one retraining and one attack pass per point.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from sklearn.base import clone
from sklearn.dummy import DummyClassifier
from sklearn.metrics import balanced_accuracy_score, roc_auc_score

from . import attacks as atk
from .anonymize import anonymizer_for, drop_quasi_identifiers
from .classes import AnonymizationResult
from .data import DataError, check_k, check_seed, validate_roles
from .models import (
    DEFAULT_SEED,
    LightGBMFileModel,
    check_model,
    default_model,
    model_features,
    retrain,
    train_default_model,
)

MEMBERSHIP_ATTACKS = ("threshold", "shadow", "lira")
Progress = Callable[[int, int, str], None]


@dataclass
class ExperimentConfig:
    """Roles and knobs of one experiment; every random choice derives from `seed`."""

    target: str
    quasi_identifiers: list[str]
    sensitive: str | None = None
    seed: int = DEFAULT_SEED
    member_share: float = 0.4  # of the data table, when no trained model is given
    nonmember_share: float = 0.2  # the rest is the attacker's reference pool
    n_reference: int = 8  # reference models for the shadow attack and LiRA
    n_repeats: int = 3  # balanced evaluation draws behind each membership figure
    tree_features: str = "qi"
    attribute_rows: int = 4000  # cap on pool rows and on members/non-members for attribute inference


@dataclass
class Evaluation:
    """What one model costs and leaks: held-out accuracy, membership and attribute inference."""

    accuracy: float
    balanced_accuracy: float
    roc_auc: float | None
    membership: dict[str, dict]
    attribute: dict | None
    scores: dict[str, tuple[np.ndarray, np.ndarray]] = field(repr=False)  # attack -> (members, non-members)
    seconds: dict[str, float] = field(default_factory=dict)

    def to_dict(self, with_roc: bool = False) -> dict:
        membership = {name: {k: v for k, v in m.items() if with_roc or k != "roc"}
                      for name, m in self.membership.items()}
        out = {"accuracy": self.accuracy, "balanced_accuracy": self.balanced_accuracy,
               "roc_auc": self.roc_auc, "membership": membership}
        if self.attribute is not None:
            out["attribute"] = self.attribute
        out["seconds"] = {k: round(v, 3) for k, v in self.seconds.items()}
        return out


@dataclass
class Run:
    """One point of a sweep: a method at a k, its anonymization, retrained model and evaluation."""

    method: str
    k: int
    anonymization: AnonymizationResult
    k_achieved: int
    gcp: float
    model: object = field(repr=False)
    recipe: str
    evaluation: Evaluation
    seconds: dict[str, float]

    def to_dict(self, with_roc: bool = False) -> dict:
        ev = self.evaluation.to_dict(with_roc)
        out = {"method": self.method, "k": self.k, "k_achieved": self.k_achieved,
               "n_classes": self.anonymization.n_classes, "gcp": self.gcp, "accuracy": ev["accuracy"],
               "balanced_accuracy": ev["balanced_accuracy"], "roc_auc": ev["roc_auc"],
               "membership": ev["membership"]}
        if "attribute" in ev:
            out["attribute"] = ev["attribute"]
        out["retrained_as"] = self.recipe
        out["seconds"] = {**{k: round(v, 3) for k, v in self.seconds.items()}, **ev["seconds"]}
        return out


def split_rows(n: int, member_share: float, nonmember_share: float, seed: int):
    """Member, non-member and pool row positions: one seeded permutation, cut in three."""
    if not (0 < member_share and 0 < nonmember_share and member_share + nonmember_share < 1):
        raise DataError("member and non-member shares must be positive and leave room for the attacker's pool")
    order = np.random.default_rng(seed).permutation(n)
    a = int(round(n * member_share))
    b = a + int(round(n * nonmember_share))
    return order[:a], order[a:b], order[b:]


class Experiment:
    """One table, one model, one split; runs of anonymization methods at k values on top.

    data: the table. Without `model`, it is split into members (the original model's training
    data), non-members and the attacker's pool, and the default LightGBM is trained on the
    members. With `model` (already trained), `data` is taken to be its training data (the
    members) and `test` is required: it is split into non-members and the pool.
    test: held-out records for accuracy (else the non-members are used).
    ks: k values about to be run, checked against the members before any model is trained.
    estimator: an unfitted classifier to train on the members instead of the default LightGBM
    (it must take the table's columns as they are, e.g. a Pipeline with its own encoding).
    """

    def __init__(self, data: pd.DataFrame, config: ExperimentConfig, test: pd.DataFrame | None = None,
                 model=None, ks: list[int] | None = None, estimator=None):
        start = time.perf_counter()
        self.config = c = config
        validate_roles(data, c.quasi_identifiers, c.target, c.sensitive, require_target=True)
        check_seed(c.seed)
        if c.sensitive is not None and c.sensitive == c.target:
            raise DataError(f"the sensitive attribute '{c.sensitive}' is the target: attribute inference would be "
                            "handed the answer; choose another sensitive column")
        if test is not None:
            missing = [col for col in data.columns if col not in test.columns]
            if missing:
                raise DataError(f"the test table lacks column(s) of the data table: {missing[:10]}")
            test = test[list(data.columns)]
        for name, frame in (("data", data), ("test", test)):
            if frame is not None and frame[c.target].isna().any():
                raise DataError(f"the {name} table's target '{c.target}' has missing values; drop those rows")
        if model is None:
            m, n, p = split_rows(len(data), c.member_share, c.nonmember_share, c.seed)
            self.members, self.nonmembers, self.pool = (data.iloc[i] for i in (m, n, p))
            self.holdout = test if test is not None else self.nonmembers
        else:
            if test is None:
                raise DataError("with a trained model, a test table is needed: the data table is taken to be "
                                "the model's training data, and non-members must come from elsewhere")
            order = np.random.default_rng(c.seed).permutation(len(test))
            half = len(test) // 2
            self.members, self.nonmembers, self.pool = data, test.iloc[order[:half]], test.iloc[order[half:]]
            self.holdout = self.nonmembers
        if min(len(self.members), len(self.nonmembers), len(self.pool)) < 10:
            raise DataError("too few rows to split into members, non-members and an attacker's pool "
                            "(at least 10 each)")
        for k in ks or []:
            check_k(k, len(self.members))
        self.columns = [col for col in data.columns if col != c.target]
        timings = {}
        t = time.perf_counter()
        if model is None and estimator is not None:
            self.original = clone(estimator).fit(self.members[self.columns], self.members[c.target])
            self.model_source = f"{type(estimator).__name__} trained on the members"
        elif model is None:
            self.original = train_default_model(self.members[self.columns], self.members[c.target], c.seed)
            self.model_source = "default LightGBM trained on the members"
        else:
            self.original = check_model(model, self.members[self.columns], self.members[c.target])
            self.model_source = f"user model ({type(self.original).__name__})"
        self.features = model_features(self.original, self.members[self.columns])
        timings["original_model"] = time.perf_counter() - t
        self._qi_dropped: dict | None = None
        self._original_utility: dict | None = None
        self._original_evaluation: Evaluation | None = None
        self._runs: dict[tuple[str, int, bool], Run] = {}  # every run is kept: sweeps and pages reuse them
        self._attacks_ready = False
        self._lock = threading.RLock()  # the dashboard shares one Experiment between sessions
        timings["total"] = time.perf_counter() - start
        self.seconds = timings

    @property
    def attacks_ready(self) -> bool:
        return self._attacks_ready

    @property
    def original_utility(self) -> dict[str, float | None]:
        """The original model's held-out accuracy figures (cached)."""
        if self._original_utility is None:
            self._original_utility = self.utility(self.original)
        return self._original_utility

    @property
    def original_evaluation(self) -> Evaluation:
        """The original model's accuracy and attacks (prepares the attacks on first use)."""
        with self._lock:
            if self._original_evaluation is None:
                t = time.perf_counter()
                self._original_evaluation = self.evaluate(self.original)
                self.seconds["original_evaluation"] = time.perf_counter() - t
            return self._original_evaluation

    # -- set-up that every run shares ------------------------------------------------------------

    def _factory(self, seed: int):
        """An unfitted model of the original's kind, seeded (for the attacker's reference models)."""
        if isinstance(self.original, LightGBMFileModel):
            return self.original.retrain_estimator().set_params(lightgbm__random_state=seed)
        try:
            est = clone(self.original)
        except Exception:
            return default_model(seed)
        params = est.get_params()
        seeded = {k: seed for k in params if k == "random_state" or k.endswith("__random_state")}
        return est.set_params(**seeded)

    def prepare_attacks(self, progress: Callable[[str], None] | None = None) -> None:
        """Train what the attacker needs (reference models, shadow and LiRA, attribute baseline), once.

        Nothing here depends on k or on the anonymized model, so every run reuses it.
        """
        with self._lock:
            if self._attacks_ready:
                return
            start = time.perf_counter()
            self._prepare_attacks(self.seconds, progress or (lambda step: None))
            self.seconds["attacks_setup"] = time.perf_counter() - start
            self._attacks_ready = True

    def _prepare_attacks(self, timings: dict, progress: Callable[[str], None]) -> None:
        c = self.config
        progress(f"training {c.n_reference} reference models on the attacker's pool")
        t = time.perf_counter()
        X_pool, y_pool = self.pool[self.features], self.pool[c.target]
        self.bank = atk.train_reference_bank(self._factory, X_pool, y_pool, c.n_reference, c.seed)
        timings["reference_models"] = time.perf_counter() - t
        progress("fitting the shadow attack")
        t = time.perf_counter()
        self.shadow = atk.ShadowAttack(c.seed).fit(self.bank, X_pool, y_pool)
        timings["shadow_attack_fit"] = time.perf_counter() - t
        progress("fitting offline LiRA")
        t = time.perf_counter()
        self.eval_frame = pd.concat([self.members, self.nonmembers])
        self.n_eval_members = len(self.members)
        self.lira = atk.OfflineLiRA().fit(self.bank, self.eval_frame[self.features], self.eval_frame[c.target])
        timings["lira_fit"] = time.perf_counter() - t
        self.attribute_setup = None
        if c.sensitive is not None:
            progress("fitting the attribute-inference baseline")
            t = time.perf_counter()
            rng = np.random.default_rng(c.seed)
            n = min(len(self.members), len(self.nonmembers), c.attribute_rows)

            def sample(frame, size):
                return frame.iloc[np.sort(rng.choice(len(frame), min(size, len(frame)), replace=False))]

            self.attr_members, self.attr_nonmembers = sample(self.members, n), sample(self.nonmembers, n)
            self.attr_pool = sample(self.pool, c.attribute_rows)
            self.attribute_setup = atk.prepare_attribute_attack(
                self.attr_pool, pd.concat([self.attr_members, self.attr_nonmembers]), self.features, c.sensitive,
                c.target, c.seed)
            timings["attribute_baseline"] = time.perf_counter() - t

    # -- evaluation of any model -----------------------------------------------------------------

    def utility(self, model) -> dict[str, float | None]:
        """Accuracy, balanced accuracy and (binary targets) ROC AUC on the held-out records."""
        X_h, y_h = self.holdout[self.features], self.holdout[self.config.target].to_numpy()
        proba = np.asarray(model.predict_proba(X_h))
        pred = np.asarray(model.classes_)[proba.argmax(axis=1)]
        roc = None
        if len(model.classes_) == 2 and len(np.unique(y_h)) == 2:
            roc = float(roc_auc_score(y_h == model.classes_[1], proba[:, 1]))
        return {"accuracy": float(np.mean(pred == y_h)),
                "balanced_accuracy": float(balanced_accuracy_score(y_h, pred)), "roc_auc": roc}

    def evaluate(self, model, attacks: bool = True) -> Evaluation:
        """Held-out accuracy and (unless attacks=False) every attack against `model`.

        Attacks always query the model with original records.
        """
        c = self.config
        seconds = {}
        t = time.perf_counter()
        u = self.utility(model)
        accuracy, balanced, roc = u["accuracy"], u["balanced_accuracy"], u["roc_auc"]
        seconds["accuracy"] = time.perf_counter() - t
        if not attacks:
            return Evaluation(accuracy, balanced, roc, {}, None, {}, seconds)
        self.prepare_attacks()
        t = time.perf_counter()
        X_e, y_e = self.eval_frame[self.features], self.eval_frame[c.target]
        raw = {"threshold": atk.threshold_scores(model, X_e, y_e),
               "shadow": self.shadow.score(model, X_e, y_e),
               "lira": self.lira.score(model, X_e, y_e)}
        m = self.n_eval_members
        scores = {name: (s[:m], s[m:]) for name, s in raw.items()}
        membership = {name: atk.repeated_membership_metrics(mem, non, c.n_repeats, c.seed)
                      for name, (mem, non) in scores.items()}
        seconds["membership"] = time.perf_counter() - t
        attribute = None
        if self.attribute_setup is not None:
            t = time.perf_counter()
            attribute = atk.attribute_inference(self.attribute_setup, model, self.attr_pool, self.attr_members,
                                                    self.attr_nonmembers, c.seed)
            seconds["attribute"] = time.perf_counter() - t
        return Evaluation(accuracy, balanced, roc, membership, attribute, scores, seconds)

    # -- baselines and runs ----------------------------------------------------------------------

    def qi_dropped(self) -> dict:
        """Accuracy of the model retrained without the QI columns (cached)."""
        if self._qi_dropped is None:
            c = self.config
            y, truth = self.members[c.target], self.holdout[c.target].to_numpy()
            features = [f for f in self.features if f not in c.quasi_identifiers]
            if not features:  # every input of the model is a QI: nothing is left to learn from
                majority = DummyClassifier(strategy="most_frequent").fit(np.zeros((len(y), 1)), y)
                pred = majority.predict(np.zeros((len(truth), 1)))
                recipe = "the majority class (every model input is a quasi-identifier)"
            else:
                X = drop_quasi_identifiers(self.members[self.columns], c.quasi_identifiers)[features]
                try:
                    model, recipe = retrain(self.original, X, y, c.seed)
                except DataError:
                    model = train_default_model(X, y, c.seed)
                    recipe = "default LightGBM (the original model needs the QI columns)"
                pred = model.predict(self.holdout[features])
            self._qi_dropped = {"accuracy": float(np.mean(pred == truth)), "retrained_as": recipe}
        return self._qi_dropped

    def usable_ks(self, ks: list[int]) -> list[int]:
        """The k values the members can hold (k at most the number of members)."""
        return [k for k in ks if 1 <= k <= len(self.members)]

    def run(self, method: str, k: int, attacks: bool = True) -> Run:
        """Anonymize the members with `method` at `k`, retrain, evaluate and (unless attacks=False) attack.

        Runs are kept, so asking again (a sweep, another page) costs nothing; a run with attacks
        also answers a request without them.
        """
        for cached in ((method, k, attacks), (method, k, True)):
            if cached in self._runs:
                return self._runs[cached]
        run = self._run(method, k, attacks)
        self._runs[method, k, attacks] = run
        return run

    def _run(self, method: str, k: int, attacks: bool) -> Run:
        c = self.config
        check_k(k, len(self.members))
        seconds = {}
        X, y = self.members[self.columns], self.members[c.target]
        t = time.perf_counter()
        anonymizer = anonymizer_for(method, k, c.quasi_identifiers, c.seed, c.tree_features)
        guide = self.original.predict(X[self.features]) if method == "ag" else None
        result = anonymizer.fit(X, guide).result_
        seconds["anonymize"] = result.seconds
        metrics = result.metrics(original=X)
        seconds["anonymize_and_metrics"] = time.perf_counter() - t
        t = time.perf_counter()
        model, recipe = retrain(self.original, result.data[self.features], y, c.seed)
        seconds["retrain"] = time.perf_counter() - t
        t = time.perf_counter()
        evaluation = self.evaluate(model, attacks)
        seconds["evaluate"] = time.perf_counter() - t
        return Run(method, k, result, metrics.k_achieved, metrics.gcp, model, recipe, evaluation, seconds)

    def sweep(self, ks: list[int], methods: list[str], progress: Progress | None = None,
              attacks: bool = True) -> list[Run]:
        """Runs for every method and k; `progress(done, total, label)` is called after each."""
        total = len(ks) * len(methods)
        for k in ks:
            check_k(k, len(self.members))
        runs = []
        for method in methods:
            for k in ks:
                runs.append(self.run(method, k, attacks))
                if progress is not None:
                    progress(len(runs), total, f"{method} k={k}")
        return runs

    def report(self, runs: list[Run], with_roc: bool = False) -> dict:
        """One JSON-ready object: settings, the original model, QIs dropped, and every run."""
        c = self.config
        return {
            "settings": {"target": c.target, "quasi_identifiers": c.quasi_identifiers, "sensitive": c.sensitive,
                         "seed": c.seed, "n_reference_models": c.n_reference, "repeats": c.n_repeats,
                         "model": self.model_source, "members": len(self.members),
                         "nonmembers": len(self.nonmembers), "attacker_pool": len(self.pool),
                         "holdout": len(self.holdout)},
            "original": self.original_evaluation.to_dict(with_roc),
            "qi_dropped": self.qi_dropped(),
            "runs": [run.to_dict(with_roc) for run in runs],
            "seconds": {k: round(v, 3) for k, v in self.seconds.items()},
        }


def accuracy_points(runs: list[Run]) -> pd.DataFrame:
    """One row per run: method, k, accuracy (what the accuracy-against-k chart plots)."""
    return pd.DataFrame([{"method": r.method, "k": r.k, "accuracy": r.evaluation.accuracy} for r in runs])


def attack_points(runs: list[Run]) -> pd.DataFrame:
    """One row per run and membership attack: method, k, attack, auc (the AUC-against-k chart)."""
    return pd.DataFrame([{"method": r.method, "k": r.k, "attack": name, "auc": m["auc"]}
                         for r in runs for name, m in r.evaluation.membership.items()])
