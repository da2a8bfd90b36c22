"""The simulation behind "what does anonymization cost and buy": one split, one original model, runs on top.

A run anonymizes the members with a method at a k, retrains the model on them, and scores it on the
hold-out and against the attacker. Everything that does not depend on k (the split, the original model,
the attacker) is built once, so a sweep costs one anonymization, one retraining and one attack pass a point.
"""

from __future__ import annotations

import dataclasses
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from sklearn.base import clone

from .anonymize import anonymizer_for
from .attack_suite import DEFAULT_ATTACKS, AttackSettings, AttackSuite
from .classes import AnonymizationResult
from .constraints import NO_RULES
from .data import DataError, check_k
from .memo import BoundedMemo
from .models import LightGBMFileModel, default_model, retrain, train_default_model
from .names import release_label, setting_name
from .results import Evaluation, Frontier, Membership, Utility
from .scenario import DEFAULT_FAMILY, DP_DELTA
from .split import Split
from .utility import constant_scores, utility_scores
from .workers import parallel_map, single_threaded

Progress = Callable[[int, int, str], None]


@dataclass
class Run:
    """One point of a sweep: a method at a k, its anonymization of the members, retrained model, evaluation."""

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
        seconds = {**{k: round(v, 3) for k, v in self.seconds.items()}, **ev.pop("seconds")}
        result = self.anonymization
        rules = {}
        if result.release_rules is not None and result.release_rules.active:
            rules = {"release_rules": result.release_rules.to_dict(), "suppressed_rows": result.n_suppressed,
                     "suppressed_share": result.n_suppressed / len(result.class_ids)}
        return {"method": self.method, "k": self.k, "k_achieved": self.k_achieved,
                "n_classes": result.n_classes, "gcp": self.gcp, **rules, **ev, "retrained_as": self.recipe,
                "seconds": seconds}

    def memory_bytes(self) -> int:
        """What the memo counts against the session's budget: the anonymized members, the attack scores and the
        per-row figures (the model itself is small beside them)."""
        ev = self.evaluation
        scores = sum(a.nbytes + b.nbytes for a, b in ev.scores.values())
        rows = sum(v.nbytes for v in (ev.utility.rows or {}).values())
        return int(self.anonymization.data.memory_usage(deep=False).sum()) + self.anonymization.class_ids.nbytes + \
            scores + rows


@dataclass
class DPRun:
    """The DP comparator at one epsilon: a DP-EBM trained on the members, attacked by reference models
    trained with the same DP recipe."""

    epsilon: float
    delta: float
    model: object = field(repr=False)
    evaluation: Evaluation
    schema_source: str  # where the DP model's public description came from
    privacy_note: str | None  # set when that description was read from private rows
    seconds: dict[str, float]

    def to_dict(self, with_roc: bool = False) -> dict:
        ev = self.evaluation.to_dict(with_roc)
        seconds = {**{k: round(v, 3) for k, v in self.seconds.items()}, **ev.pop("seconds")}
        return {"epsilon": self.epsilon, "delta": self.delta, **ev, "schema": self.schema_source,
                "privacy_note": self.privacy_note, "seconds": seconds}

    def memory_bytes(self) -> int:
        return 1 << 20


@dataclass
class SyntheticRun:
    """DP synthetic data at one epsilon: MST on the members, the model retrained on the synthetic table and
    attacked like every other (reference models trained with the same recipe: synthesize, then fit), the
    synthetic table's fidelity, copies and control-set risks."""

    epsilon: float
    delta: float
    table: pd.DataFrame = field(repr=False)  # the synthetic members: what would be handed on
    model: object = field(repr=False)
    recipe: str
    evaluation: Evaluation
    budget: dict
    fidelity: dict
    copies: dict
    release: dict  # singling-out, linkability and inference against the control (no linkage: no row is a person)
    schema_source: str
    privacy_note: str | None
    seed: int
    seconds: dict[str, float]

    def to_dict(self, with_roc: bool = False) -> dict:
        ev = self.evaluation.to_dict(with_roc)
        seconds = {**{k: round(v, 3) for k, v in self.seconds.items()}, **ev.pop("seconds")}
        return {"epsilon": self.epsilon, "delta": self.delta, "method": "MST", **ev, "retrained_as": self.recipe,
                "fidelity": {k: self.fidelity[k] for k in ("tvd_1way", "tvd_2way", "worst_pair", "per_column")},
                "copies": self.copies["copies"], "copies_detail": self.copies, "release": self.release,
                "budget": self.budget, "schema": self.schema_source, "privacy_note": self.privacy_note,
                "seed": self.seed, "rows": len(self.table), "seconds": seconds}

    def memory_bytes(self) -> int:
        return int(self.table.memory_usage(deep=True).sum()) + (1 << 20)


class Simulation:
    """Runs of anonymization methods at k values on one split, against one original model.

    original: the fitted original model (trained on the members, or the user's model).
    task: 'classification' or 'regression'.
    """

    def __init__(self, split: Split, original, features: list[str], roles, task: str, seed: int,
                 model_source: str, attack_settings: AttackSettings = DEFAULT_ATTACKS,
                 tree_features: str = "qi", max_bytes: int = 512 * 2**20, family: str = DEFAULT_FAMILY):
        self.split, self.original, self.features, self.roles = split, original, features, roles
        self.family = family
        self.task, self.seed, self.model_source, self.tree_features = task, seed, model_source, tree_features
        self.attack_settings = attack_settings
        self.rules = NO_RULES  # the release rules of every anonymization run (set by the analysis)
        self.columns = [c for c in split.members.columns if c != roles.target]
        self.suite = AttackSuite(split, features, roles.target, roles.sensitive, self._factory, attack_settings, seed)
        self.seconds: dict[str, float] = {}
        self._runs = BoundedMemo(max_bytes)
        self._lock = threading.Lock()
        self._original_utility = self._original_evaluation = self._qi_dropped = self._qi_dropped_model = None
        self._dp_schema = None
        self.frontier_request: tuple | None = None  # (ks, methods, epsilons, delta) of the last frontier asked for
        self.frontier_synthetic: tuple[float, ...] = ()  # the synthetic-data epsilons of that request
        self._frontiers: dict = {}  # (request, the evaluations it was built from) -> Frontier
        self._frontiers_lock = threading.Lock()

    # -- the original model --------------------------------------------------------------------

    def _factory(self, seed: int):
        """An unfitted model of the original's kind, seeded (the attacker's reference models)."""
        if isinstance(self.original, LightGBMFileModel):
            return self.original.retrain_estimator().set_params(lightgbm__random_state=seed)
        try:
            est = clone(self.original)
        except Exception:
            return default_model(seed, self.family, self.task)
        params = est.get_params()
        est = est.set_params(**{k: seed for k in params if k == "random_state" or k.endswith("__random_state")})
        return single_threaded(est)

    def utility(self, model) -> Utility:
        h = self.split.holdout
        return utility_scores(model, h[self.features], h[self.roles.target], self.task,
                              y_train=self.split.members[self.roles.target], seed=self.seed)

    @property
    def original_utility(self) -> Utility:
        if self._original_utility is None:
            self._original_utility = self.utility(self.original)
        return self._original_utility

    @property
    def attacks_ready(self) -> bool:
        return self.suite.ready

    def prepare_attacks(self, progress: Callable[[str], None] | None = None) -> None:
        self.suite.prepare(progress)

    def evaluate(self, model, attacks: bool = True) -> Evaluation:
        """Held-out utility and (unless attacks=False) every attack against `model`."""
        t = time.perf_counter()
        utility = self.utility(model)
        seconds = {"utility": time.perf_counter() - t}
        if not attacks:
            return Evaluation(utility, Membership({}), None, {}, seconds)
        membership, attribute, scores, attack_seconds = self.suite.attack(model)
        return Evaluation(utility, membership, attribute, scores, {**seconds, **attack_seconds})

    @property
    def original_evaluation(self) -> Evaluation:
        with self._lock:
            if self._original_evaluation is None:
                t = time.perf_counter()
                self._original_evaluation = self.evaluate(self.original)
                self.seconds["original_evaluation"] = time.perf_counter() - t
            return self._original_evaluation

    # -- baselines and runs --------------------------------------------------------------------

    def qi_dropped_evaluation(self) -> Evaluation | None:
        """The QIs-dropped model attacked like the others (None when no model input is left)."""
        self.qi_dropped()
        if self._qi_dropped_model is None:
            return None
        return self._runs.get(("qi_dropped",), lambda: self.evaluate(self._qi_dropped_model))

    def qi_dropped(self) -> Utility:
        """Utility of the model retrained without the QI columns (the price of not generalizing)."""
        if self._qi_dropped is None:
            roles, members, holdout = self.roles, self.split.members, self.split.holdout
            y, truth = members[roles.target], holdout[roles.target]
            features = [f for f in self.features if f not in roles.quasi_identifiers]
            if not features:
                value = y.mean() if self.task == "regression" else y.mode().iloc[0]
                scores = constant_scores(value, truth, self.task, y, self.seed)
                recipe = ("the members' mean" if self.task == "regression" else "the majority class") + \
                    " (every model input is a quasi-identifier)"
            else:
                X = members[features]
                try:
                    model, recipe = retrain(self.original, X, y, self.seed)
                except DataError:
                    model = train_default_model(X, y, self.seed, task=self.task, family=self.family)
                    recipe = f"default {self.family} model (the original model needs the QI columns)"
                scores = utility_scores(model, holdout[features], truth, self.task, y_train=y, seed=self.seed)
                self._qi_dropped_model = model
            self._qi_dropped = dataclasses.replace(scores, retrained_as=recipe)
        return self._qi_dropped

    def usable_ks(self, ks: list[int]) -> list[int]:
        return [k for k in ks if 1 <= k <= len(self.split.members)]

    def peek_run(self, method: str, k: int, attacks: bool = True) -> Run | None:
        """The run if it is computed (a run with attacks answers both), else None; never computes one."""
        done = self._runs.peek((method, k, True, self.rules))
        return done if done is not None or attacks else self._runs.peek((method, k, False, self.rules))

    def has_run(self, method: str, k: int, attacks: bool = True) -> bool:
        return (method, k, True, self.rules) in self._runs or \
            (not attacks and (method, k, False, self.rules) in self._runs)

    def run(self, method: str, k: int, attacks: bool = True, rules=None) -> Run:
        """Anonymize the members at (method, k), retrain, evaluate; memoized (a run with attacks answers both).
        Under the simulation's release rules unless `rules` are given (NO_RULES: k alone)."""
        rules = self.rules if rules is None else rules  # the memo key and the run agree if the rules change
        done = self._runs.peek((method, k, True, rules))
        if done is not None:
            return done
        if not attacks:
            return self._runs.get((method, k, False, rules), lambda: self._run(method, k, False, rules))
        return self._runs.get((method, k, True, rules), lambda: self._run(method, k, True, rules))

    def rules_cost(self, k: int, methods: list[str]) -> list[dict]:
        """Per method at k: the headline figure of k alone and of k under the simulation's release rules, the
        change (paired on the same held-out rows; `Utility.change`, the one rule for "within noise"), GCP and
        the share suppressed of both: what each constraint costs beside k alone. Computes the runs it needs."""
        key, out = self.headline, []
        for method in methods:
            plain, ruled = self.run(method, k, False, NO_RULES), self.run(method, k, False, self.rules)
            change = ruled.evaluation.utility.change(plain.evaluation.utility, key, self.seed)
            result = ruled.anonymization
            out.append({"method": method, "rules": self.rules.describe() or "k alone", "figure": key,
                        "k alone": plain.evaluation.utility.value(key),
                        "with the rules": ruled.evaluation.utility.value(key),
                        "change": change.diff, "within noise": change.within_noise,
                        "GCP k alone": plain.gcp, "GCP with the rules": ruled.gcp,
                        "suppressed": result.n_suppressed / len(result.class_ids)})
        return out

    def _anonymize_members(self, method: str, k: int, X: pd.DataFrame, rules) -> AnonymizationResult:
        """The members anonymized at (method, k) under the release rules (the one recipe of runs and releases)."""
        anonymizer = anonymizer_for(method, k, list(self.roles.quasi_identifiers), self.seed, self.tree_features,
                                    rules=rules)
        guide = self.original.predict(X[self.features]) if method == "ag" else None
        sensitive = None
        if rules.needs_sensitive:
            sensitive = self.split.members[self.roles.sensitive].reset_index(drop=True)
            sensitive.index = X.index
        return anonymizer.anonymize(X, guide, sensitive)

    def _run(self, method: str, k: int, attacks: bool, rules=NO_RULES) -> Run:
        members, target = self.split.members, self.roles.target
        check_k(k, len(members), self.split.members_text)
        seconds = {}
        X, y = members[self.columns], members[target]
        t = time.perf_counter()
        result = self._anonymize_members(method, k, X, rules)
        seconds["anonymize"] = result.seconds
        metrics = result.metrics(original=X)
        seconds["anonymize_and_metrics"] = time.perf_counter() - t
        t = time.perf_counter()
        kept = result.released  # records suppressed by removal are not trained on
        model, recipe = retrain(self.original, result.data[self.features][kept], y[kept], self.seed)
        seconds["retrain"] = time.perf_counter() - t
        t = time.perf_counter()
        evaluation = self.evaluate(model, attacks)
        seconds["evaluate"] = time.perf_counter() - t
        return Run(method, k, result, metrics.k_achieved, metrics.gcp, model, recipe, evaluation, seconds)

    # -- the released table attacked (issue 18) ------------------------------------------------

    def members_release(self, setting: str, k: int | None = None) -> pd.DataFrame:
        """The members as they would be released at `setting`: unchanged ('original'), without their QIs
        ('qi_dropped'), or anonymized by a method at k in the generalized form (the run's own anonymization
        when it is done, else the same seeded one made here), hierarchy nodes read as the values they cover."""
        return self._members_release(setting, k)[0]

    def _members_release(self, setting: str, k: int | None) -> tuple[pd.DataFrame, np.ndarray | None]:
        """`members_release` and, for a method, the mask of the members it releases (None: all of them)."""
        from .release import adversary_view

        X = self.split.members[self.columns].reset_index(drop=True)
        if setting == "original":
            return X, None
        if setting == "qi_dropped":
            return X.assign(**{q: pd.Series([None] * len(X), dtype=object)
                               for q in self.roles.quasi_identifiers}), None
        result = self._members_result(setting, k)  # one anonymization for the table and its mask
        return adversary_view(result, X).reset_index(drop=True), result.released

    def _members_result(self, setting: str, k: int):
        """The members' anonymization at (method, k) under the rules: a run's own, else made (not memoized)."""
        X = self.split.members[self.columns].reset_index(drop=True)
        check_k(int(k), len(X), self.split.members_text)
        run = self.peek_run(setting, int(k), attacks=False)
        return run.anonymization if run is not None else self._anonymize_members(setting, int(k), X, self.rules)

    def release_attack(self, setting: str, k: int | None = None, knowledge=None) -> dict:
        """The release attacks (`release_attacks.attack_release`) on the members' release at `setting`, with
        the non-members as the control and as the adversary's outsiders; memoized, a few KB each."""
        from .release_attacks import Knowledge, attack_release

        knowledge = knowledge or Knowledge()
        key = ("release", setting, None if k is None else int(k), knowledge, self.rules)

        def compute():
            t = time.perf_counter()
            members = self.split.members[self.columns].reset_index(drop=True)
            control = self.split.nonmembers[self.columns].reset_index(drop=True)
            secret = self.roles.sensitive if self.roles.sensitive in self.columns else None
            release, released = self._members_release(setting, k)
            out = attack_release(release, members, control, list(self.roles.quasi_identifiers), secret, knowledge,
                                 self.seed, released=released)
            return {"setting": setting, "k": k, "label": release_label(setting, k), **out,
                    "seconds": round(time.perf_counter() - t, 3)}

        return self._runs.get(key, compute)

    def sweep(self, ks: list[int], methods: list[str], progress: Progress | None = None,
              attacks: bool = True) -> list[Run]:
        """Runs for every method and k; `progress(done, total, label)` after each."""
        for k in ks:
            check_k(k, len(self.split.members), self.split.members_text)
        todo = [(method, k) for method in methods for k in ks]
        if attacks:
            self.prepare_attacks()  # once, before the runs share it
        done = (lambda i, _: progress(i + 1, len(todo), f"{todo[i][0]} k={todo[i][1]}")) if progress else None
        return parallel_map(lambda mk: self.run(mk[0], mk[1], attacks), todo, on_done=done)

    # -- the differential-privacy comparator ---------------------------------------------------

    def dp_schema(self):
        """The public description DP-EBM gets (docs/design.md, "DP comparator"): a separate test table's bounds
        and categories when there is one (the DP model never trains on it), else the members' own, flagged as
        spending privacy the epsilon does not count."""
        import dataclasses

        from .dp import PrivacySchema

        if self._dp_schema is None:
            target = self.roles.target
            if self.split.holdout_source == "the test table":
                h = self.split.holdout
                schema = PrivacySchema.from_data(h[self.features], h[target], self.task)
                schema = dataclasses.replace(schema, from_private_data=False)
                self._dp_schema = (schema, "bounds and categories of the test table, which the DP model never "
                                           "trains on")
            else:
                m = self.split.members
                self._dp_schema = (PrivacySchema.from_data(m[self.features], m[target], self.task),
                                   "bounds and categories read from the members themselves")
            if self._dp_schema[0].classes is not None:
                # the label set is the model's public output space: every class the table holds, so a class
                # that only the attacker's pool or the hold-out has (Nursery's 2-row class) is not refused
                s = self.split
                labels = pd.concat([s.members[target], s.nonmembers[target], s.pool[target], s.holdout[target]])
                classes = tuple(np.sort(labels.dropna().unique()))
                self._dp_schema = (dataclasses.replace(self._dp_schema[0], classes=classes), self._dp_schema[1])
        return self._dp_schema

    def dp_run(self, epsilon: float, delta: float = DP_DELTA, schema=None) -> DPRun:
        """DP-EBM at (epsilon, delta) on the members, scored and attacked like every other model; memoized."""
        if not (epsilon > 0 and 0 < delta < 1):
            raise DataError(f"epsilon must be positive and delta between 0 and 1; got {epsilon}, {delta}")
        return self._runs.get(("dp", float(epsilon), float(delta)), lambda: self._dp_run(epsilon, delta, schema))

    def dp_epsilons(self, delta: float = DP_DELTA) -> list[float]:
        """The epsilons DP has been run at (in this simulation), ascending."""
        return sorted(k[1] for k in self._runs.keys() if len(k) == 3 and k[0] == "dp" and k[2] == float(delta))

    def has_dp_run(self, epsilon: float, delta: float = DP_DELTA) -> bool:
        return ("dp", float(epsilon), float(delta)) in self._runs

    def _dp_run(self, epsilon: float, delta: float, schema) -> DPRun:
        from .dp import dp_factory, dp_model

        source = "given by the analyst"
        if schema is None:
            schema, source = self.dp_schema()
        members, target = self.split.members, self.roles.target
        seconds = {}
        t = time.perf_counter()
        model = dp_model(epsilon, delta, schema, self.task, self.seed).fit(members[self.features], members[target])
        seconds["train"] = time.perf_counter() - t
        suite = AttackSuite(self.split, self.features, target, self.roles.sensitive,
                            dp_factory(epsilon, delta, schema, self.task), self.attack_settings, self.seed,
                            parallel_fits=False)
        t = time.perf_counter()
        utility = self.utility(model)
        membership, attribute, scores, attack_seconds = suite.attack(model)
        seconds["evaluate"] = time.perf_counter() - t
        seconds["attacks_setup"] = suite.seconds.get("total", 0.0)
        evaluation = Evaluation(utility, membership, attribute, scores, attack_seconds)
        note = getattr(model, "privacy_note", None)
        return DPRun(float(epsilon), float(delta), model, evaluation, source, note, seconds)

    # -- DP synthetic data (issue 19) ------------------------------------------------------------

    def synthetic_schema(self):
        """The synthesizer's public description of every column (docs/design.md, "DP synthetic data"): a separate
        test table's bounds and categories when there is one, else the members' own, flagged."""
        from .synthetic import schema_from

        columns = self.columns + [self.roles.target]
        if self.split.holdout_source == "the test table":
            return (schema_from(self.split.holdout[columns], private=False),
                    "bounds and categories of the test table, which the synthesizer never sees")
        return schema_from(self.split.members[columns], private=True), "bounds and categories read from the members"

    def synthetic_run(self, epsilon: float, delta: float = DP_DELTA) -> SyntheticRun:
        """MST synthetic members at (epsilon, delta), scored and attacked like every other setting; memoized."""
        if not (np.isfinite(epsilon) and epsilon > 0 and 0 < delta < 1):
            raise DataError(f"epsilon must be positive and delta between 0 and 1; got {epsilon}, {delta}")
        key = ("synthetic", float(epsilon), float(delta))
        return self._runs.get(key, lambda: self._synthetic_run(float(epsilon), float(delta)))

    def peek_synthetic_run(self, epsilon: float, delta: float = DP_DELTA) -> SyntheticRun | None:
        return self._runs.peek(("synthetic", float(epsilon), float(delta)))

    def _synthetic_run(self, epsilon: float, delta: float) -> SyntheticRun:
        from .release_attacks import release_risks
        from .synthetic import TrainedOnSynthetic, copies, fidelity, synthesize

        target, seconds = self.roles.target, {}
        schema, source = self.synthetic_schema()
        members = self.split.members[self.columns + [target]].reset_index(drop=True)
        t = time.perf_counter()
        table, mst = synthesize(members, epsilon, delta, schema, self.seed)
        seconds["synthesize"] = time.perf_counter() - t
        t = time.perf_counter()
        keep = table[target].notna().to_numpy()
        model, recipe = retrain(self.original, table.loc[keep, self.features], table.loc[keep, target], self.seed)
        seconds["retrain"] = time.perf_counter() - t
        features = self.features

        def factory(seed):
            return TrainedOnSynthetic(estimator=self._factory(seed), epsilon=epsilon, delta=delta,
                                      schema=_select(schema, features + [target]), target=target, random_state=seed)

        suite = AttackSuite(self.split, features, target, self.roles.sensitive, factory, self.attack_settings,
                            self.seed)
        t = time.perf_counter()
        utility = self.utility(model)
        membership, attribute, scores, attack_seconds = suite.attack(model)
        seconds["evaluate"] = time.perf_counter() - t
        seconds["attacks_setup"] = suite.seconds.get("total", 0.0)
        t = time.perf_counter()
        control = self.split.nonmembers[self.columns + [target]].reset_index(drop=True)
        quasi = list(self.roles.quasi_identifiers)
        secret = self.roles.sensitive if self.roles.sensitive in self.columns else None
        risks = release_risks(table[self.columns], members[self.columns], control[self.columns], quasi, secret,
                              seed=self.seed)
        release = {k: risks.get(k) for k in ("singling_out", "linkability", "inference")} | \
            {"control_rows": risks.get("control_rows"),
             "linkage": None, "linkage_note": "no synthetic row is a person's: there is nobody to name; copies "
                                              "of real rows are counted instead"}
        seconds["release_attacks"] = time.perf_counter() - t
        evaluation = Evaluation(utility, membership, attribute, scores, attack_seconds)
        return SyntheticRun(epsilon, delta, table, model, recipe, evaluation, mst.budget_.to_dict(),
                            fidelity(members, table, mst.domains_), copies(table, members, control),
                            release, source, mst.budget_.not_counted, self.seed, seconds)

    def synthetic_epsilons(self, delta: float = DP_DELTA) -> list[float]:
        """The epsilons synthetic data has been made at (in this simulation), ascending."""
        return sorted(k[1] for k in self._runs.keys()
                      if len(k) == 3 and k[0] == "synthetic" and k[2] == float(delta))

    # -- the frontier ----------------------------------------------------------------------------

    @property
    def headline(self) -> str:
        """The utility figure every face and the frontier lead with (`results.headline_figure`): the same
        for every model here, since all are scored on the same hold-out."""
        return self.original_utility.headline

    @property
    def frontier_key(self) -> str:  # the frontier's utility axis is the headline figure
        return self.headline

    def _qi_dropped_has_model(self) -> bool:
        return any(f not in self.roles.quasi_identifiers for f in self.features)

    def frontier_settings(self, ks: list[int], methods: list[str], epsilons: list[float],
                          synthetic: list[float] = ()) -> tuple[str, ...]:
        """Every setting a frontier over (ks, methods, DP epsilons, synthetic-data epsilons) holds, in the order
        it is built."""
        out = [setting_name("original")] + ([setting_name("qi_dropped")] if self._qi_dropped_has_model() else [])
        out += [setting_name(m, k=k) for m in methods for k in self.usable_ks(ks)]
        out += [setting_name("dp", epsilon=e) for e in epsilons]
        return tuple(out + [setting_name("synthetic", epsilon=e) for e in synthetic])

    def frontier(self, ks: list[int], methods: list[str], epsilons: list[float], delta: float = DP_DELTA,
                 progress: Progress | None = None, compute: bool = True, privacy: str = "model",
                 synthetic: list[float] = ()) -> Frontier:
        """The frontier (`_model_frontier`) with privacy measured on the model (the strongest membership
        attack) or, privacy='release', on the released table: the linkage attack's re-identified share of each
        setting that releases the members' rows (the original, QIs dropped, each method at each k; a DP model
        releases no table and a synthetic table no person's row). The release frontier is partial until every
        such setting is both evaluated and linked. `synthetic`: epsilons of DP synthetic data (MST)."""
        from .frontier import check_privacy_axis

        model = self._model_frontier(ks, methods, epsilons, delta, progress, compute, synthetic)
        if check_privacy_axis(privacy) == "model":
            return model
        return self._release_frontier(model, ks, methods, compute)

    def _release_frontier(self, model: Frontier, ks, methods, compute: bool) -> Frontier:
        from .frontier import pareto_front, release_point

        points = []
        for point in model.points.to_dict("records") if len(model.points) else []:
            if point["kind"] in ("dp", "synthetic"):
                continue
            k = None if point["kind"] in ("original", "qi_dropped") else int(point["k"])
            attacked = self.release_attack(point["kind"], k) if compute else self.peek_release_attack(point["kind"], k)
            if attacked is not None:
                points.append(release_point(point, attacked["linkage"]))
        frame = pd.DataFrame(points)
        if len(frame):
            frame["pareto"] = pareto_front(frame)
        return Frontier(frame, self.frontier_settings(ks, methods, []), model.utility_key, model.n_holdout, "release")

    def peek_release_attack(self, setting: str, k: int | None = None, knowledge=None) -> dict | None:
        """The release attacks of `setting` if computed, else None; never computes them."""
        from .release_attacks import Knowledge

        return self._runs.peek(("release", setting, None if k is None else int(k), knowledge or Knowledge(),
                                self.rules))

    def release_report(self, runs: list[Run], sampling_fraction: float | None = None) -> list[dict]:
        """The release attacks of the original, QIs dropped and every run, JSON-ready; with a sampling fraction,
        each also carries the population figures of its classes (`population_risk`)."""
        from .population_risk import population_risk
        from .release import tuple_codes

        settings = [("original", None), ("qi_dropped", None)] + [(run.method, run.k) for run in runs]
        out = []
        for kind, k in settings:
            entry = dict(self.release_attack(kind, k))
            if sampling_fraction is not None:
                qis = list(self.roles.quasi_identifiers)
                sizes = np.bincount(tuple_codes(self.members_release(kind, k), qis))
                entry["population"] = population_risk(sizes[sizes > 0], sampling_fraction)
            out.append(entry)
        return out

    def release_steps(self, ks: list[int], methods: list[str]):
        """The release frontier's linkage attacks as background steps, one setting a step (each needs the
        setting's evaluation first: the frontier's steps)."""
        from .jobs import Step

        settings = [("original", None), ("qi_dropped", None)] + [(m, k) for m in methods for k in self.usable_ks(ks)]
        return [Step(f"linking the release: {release_label(kind, k)}",
                     lambda kind=kind, k=k: self.release_attack(kind, k))
                for kind, k in settings if kind != "qi_dropped" or self._qi_dropped_has_model()]

    def _model_frontier(self, ks: list[int], methods: list[str], epsilons: list[float], delta: float = DP_DELTA,
                        progress: Progress | None = None, compute: bool = True, synthetic=()) -> Frontier:
        """The frontier over the original, QIs dropped, each method at each k and DP at each epsilon.

        compute=True computes what is missing (`progress(done, total, label)` after each setting) and records
        the request (`frontier_request`), so a build stopped half way is known as such; compute=False only
        gathers the settings already computed and never trains anything. Either way the result says which
        requested settings it lacks (`Frontier.missing`), and a partial frontier never recommends.
        """
        from .frontier import pareto_front, strongest_attack_point

        requested = self.frontier_settings(ks, methods, epsilons, synthetic)
        if compute:
            self._record_request(ks, methods, epsilons, delta, synthetic)
        key = self.headline
        specs = self._frontier_specs(ks, methods, epsilons, delta, synthetic)
        if compute:
            self.prepare_attacks()  # once, before the settings share it
            done = (lambda i, _: progress(i + 1, len(specs), specs[i][0])) if progress is not None else None
            evaluations = parallel_map(lambda spec: spec[3](), specs, on_done=done)
        else:
            evaluations = [spec[4]() for spec in specs]
        # the frontier of the same finished evaluations is the same: kept, so a page that redraws every second
        # (a running job) does not redo the paired bootstrap of every setting each time
        cache_key = (tuple(requested), float(delta), tuple(id(e) for e in evaluations))
        with self._frontiers_lock:
            cached = self._frontiers.get(cache_key)
        if cached is not None:
            return cached[0]
        points, utilities = [], []
        for (setting, kind, extra, _, _), evaluation in zip(specs, evaluations):
            if evaluation is not None:
                u = evaluation.utility
                lo, hi = u.interval(key) or (None, None)
                points.append(strongest_attack_point(setting, kind, u.value(key), evaluation.membership, lo, hi)
                              | {"n": u.n} | extra)
                utilities.append(u)
        if points and points[0]["kind"] == "original":  # the change from the original, paired on the same rows
            from .stats import paired_differences

            changes = paired_differences(key, utilities[0].rows, [u.rows for u in utilities], seed=self.seed)
            for point, change in zip(points, changes):
                point["change_low"], point["change_high"] = change if change is not None else (None, None)
        frame = pd.DataFrame(points)
        if len(frame):
            frame["pareto"] = pareto_front(frame)
        frontier = Frontier(frame, requested, key, len(self.split.holdout))
        with self._frontiers_lock:
            if len(self._frontiers) >= 8:  # a few requests at most: the oldest goes
                self._frontiers.pop(next(iter(self._frontiers)))
            self._frontiers[cache_key] = (frontier, evaluations)  # held: their ids key it
        return frontier

    def _record_request(self, ks, methods, epsilons, delta, synthetic=()) -> None:
        self.frontier_synthetic = tuple(float(e) for e in synthetic)
        self.frontier_request = (tuple(ks), tuple(methods), tuple(float(e) for e in epsilons), float(delta))

    def _frontier_specs(self, ks, methods, epsilons, delta, synthetic=()) -> list[tuple]:
        """Per requested setting: (label, kind, extra columns, compute its evaluation, read it if computed)."""
        requested = self.frontier_settings(ks, methods, epsilons)
        # (label, kind, extra, how to compute it, how to read it without computing)
        specs = [(requested[0], "original", {}, lambda: self.original_evaluation, lambda: self._original_evaluation)]
        if self._qi_dropped_has_model():
            specs.append((setting_name("qi_dropped"), "qi_dropped", {}, self.qi_dropped_evaluation,
                          lambda: self._runs.peek(("qi_dropped",))))
        for method in methods:
            for k in self.usable_ks(ks):
                specs.append((setting_name(method, k=k), method, {"k": k},
                              lambda m=method, k=k: self.run(m, k).evaluation,
                              lambda m=method, k=k: getattr(self.peek_run(m, k), "evaluation", None)))
        for eps in epsilons:
            specs.append((setting_name("dp", epsilon=eps), "dp", {"epsilon": eps},
                          lambda e=eps: self.dp_run(e, delta).evaluation,
                          lambda e=eps: getattr(self._runs.peek(("dp", float(e), float(delta))), "evaluation", None)))
        for eps in synthetic:
            specs.append((setting_name("synthetic", epsilon=eps), "synthetic", {"epsilon": eps},
                          lambda e=eps: self.synthetic_run(e, delta).evaluation,
                          lambda e=eps: getattr(self.peek_synthetic_run(e, delta), "evaluation", None)))
        return specs

    def frontier_steps(self, ks: list[int], methods: list[str], epsilons: list[float], delta: float = DP_DELTA,
                       synthetic: list[float] = ()):
        """The frontier as background steps (`jobs.Step`): the attacker first, then one step a setting; records
        the request, as `frontier` does, so a job stopped half way leaves a frontier known to be partial."""
        from .jobs import Step

        self._record_request(ks, methods, epsilons, delta, synthetic)
        steps = [Step("training the attacker", self.prepare_attacks)]
        return steps + [Step(label, compute) for label, _, _, compute, _ in
                        self._frontier_specs(ks, methods, epsilons, delta, synthetic)]

    def attack_steps(self, method: str, k: int):
        """"Run the attacks" as background steps: the attacker, the original model, then (method, k)."""
        from .jobs import Step

        return [Step("training the attacker (reference models, shadow, LiRA, RMIA)", self.prepare_attacks),
                Step("attacking the original model", lambda: self.original_evaluation),
                Step(f"anonymizing at {setting_name(method, k=k)}, retraining and attacking",
                     lambda: self.run(method, k))]

    def sweep_steps(self, ks: list[int], methods: list[str], attacks: bool = True):
        """A sweep as background steps, one (method, k) a step."""
        from .jobs import Step

        steps = [Step("training the attacker", self.prepare_attacks)] if attacks else []
        return steps + [Step(setting_name(m, k=k), lambda m=m, k=k: self.run(m, k, attacks))
                        for m in methods for k in self.usable_ks(ks)]

    def dp_caveat(self, epsilons, delta: float = DP_DELTA) -> tuple[str | None, str | None]:
        """(where the DP models' public schema came from, the privacy note to show) for the DP runs among
        `epsilons` that are done (never computing one); (None, None) when none is."""
        done = [run for e in epsilons if (run := self._runs.peek(("dp", float(e), float(delta)))) is not None]
        if not done:
            return None, None
        return done[0].schema_source, next((r.privacy_note for r in done if r.privacy_note), None)

    def requested_frontier(self, privacy: str = "model") -> Frontier | None:
        """The last frontier asked for in this simulation, as far as it got (None if none was asked for), on
        the privacy axis `privacy` ('model' or 'release')."""
        if self.frontier_request is None:
            return None
        ks, methods, epsilons, delta = self.frontier_request
        return self.frontier(list(ks), list(methods), list(epsilons), delta, compute=False, privacy=privacy,
                             synthetic=list(self.frontier_synthetic))

    def settings(self) -> dict:
        return {"target": self.roles.target, "task": self.task, "quasi_identifiers": list(self.roles.quasi_identifiers),
                "sensitive": self.roles.sensitive, "dropped": list(self.roles.dropped), "seed": self.seed,
                "n_reference_models": self.attack_settings.n_reference, "repeats": self.attack_settings.n_repeats,
                "model": self.model_source, **self.split.sizes(), "measured_on": self.split.describe()}

    def report(self, runs: list[Run], with_roc: bool = False, dp_runs: list[DPRun] = (),
               synthetic_runs: list[SyntheticRun] = ()) -> dict:
        """One JSON-ready object: settings, the original model, QIs dropped, every run, DP run and synthetic run."""
        return {"settings": self.settings(), "original": self.original_evaluation.to_dict(with_roc),
                "qi_dropped": self.qi_dropped().to_dict(), "runs": [run.to_dict(with_roc) for run in runs],
                "dp": [run.to_dict(with_roc) for run in dp_runs],
                "synthetic": [run.to_dict(with_roc) for run in synthetic_runs],
                "seconds": {k: round(v, 3) for k, v in {**self.seconds, **self.suite.seconds}.items()}}


def _select(schema, columns: list[str]):
    """The schema's entries for `columns` (the reference models see the model's features and the target)."""
    import dataclasses as dc

    specs = dict(schema.features)
    return dc.replace(schema, features=tuple((c, specs[c]) for c in columns if c in specs))


def accuracy_points(runs: list[Run], key: str = "accuracy", reference: Utility | None = None) -> pd.DataFrame:
    """One row per run: method, k, the utility figure `key` and its 95% interval (what the sweep chart plots),
    and with a `reference` (the original model) whether its change from it is within noise (`Utility.change`)."""
    rows = []
    for r in runs:
        u = r.evaluation.utility
        lo, hi = u.interval(key) or (np.nan, np.nan)
        row = {"method": r.method, "k": r.k, key: u.value(key), "lo": lo, "hi": hi, "n": u.n}
        if reference is not None:
            row["within_noise"] = u.change(reference, key).within_noise
        rows.append(row)
    return pd.DataFrame(rows)


def attack_points(runs: list[Run]) -> pd.DataFrame:
    """One row per run and membership attack: method, k, attack, auc (the AUC-against-k chart)."""
    return pd.DataFrame([{"method": r.method, "k": r.k, "attack": name, "auc": m.auc}
                         for r in runs for name, m in r.evaluation.membership.items()])
