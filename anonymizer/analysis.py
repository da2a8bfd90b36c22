"""One analysis: a table, its roles, a seed and a model; the single path every number takes.

The CLI, every dashboard page and the HTML report ask an `Analysis` for what they show, so none of them
re-implements a step and numbers placed side by side come from the same computation:

- `anonymize(method, k)`: the whole table anonymized (what is exported), guided by `guide` (the user's
  model, or LightGBM trained on the table), with its privacy metrics measured on the output;
- `simulation`: the cost/benefit simulation on one seeded split (members anonymized, model retrained,
  attacked), built lazily because it trains models.

Each result says which rows it was measured on. Results are memoized within the analysis, bounded by the
bytes they hold, so an analysis kept per browser session gives memory back when the session ends.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from . import limits
from . import scenario as scenario_defaults
from .anonymize import anonymize_table
from .classes import AnonymizationResult
from .constraints import NO_RULES, ReleaseRules
from .data import DataError, check_k, check_seed
from .jobs import Jobs
from .memo import BoundedMemo
from .metrics import DEFAULT_RISK_THRESHOLD, PrivacyMetrics
from .models import DEFAULT_SEED, check_model, model_features, retrain, train_default_model
from .names import FAMILIES, FAMILY_NAMES, METHODS, model_description, release_label
from .roles import Roles
from .scenario import DEFAULT_ATTACKS, AttackSettings, Scenario, digest_frame
from .split import make_split
from .suggest import detect_task

if TYPE_CHECKING:  # the simulation (the attacks, scikit-learn's metrics) loads when one is first built
    from .simulation import Simulation

PREFETCH_MAX_ROWS = 200_000
SWEEP_KS = list(scenario_defaults.SWEEP_KS)  # the Utility page's sweep
ATTACK_SWEEP_KS = list(scenario_defaults.FRONTIER_KS)  # the Attacks page's sweep and the frontier's k values
DP_EPSILONS = list(scenario_defaults.DP_EPSILONS)  # the DP comparator's default epsilons (delta 1e-5)
SYNTHETIC_EPSILONS = list(scenario_defaults.SYNTHETIC_EPSILONS)  # DP synthetic data's default epsilons
DISCLOSURE_SEARCH = 12  # k values tried, growing by a quarter, when looking for a k whose classes disclose nothing


@dataclass(frozen=True)
class Guide:
    """The model whose predictions guide the accuracy-guided method, and those predictions (every row)."""

    model: object = field(repr=False)
    source: str
    predictions: np.ndarray = field(repr=False)
    seconds: float


class Anonymization:
    """The whole table anonymized at (method, k): the output, its metrics, where they were measured."""

    def __init__(self, analysis: Analysis, method: str, k: int, result: AnonymizationResult,
                 metrics: PrivacyMetrics):
        self.method, self.k, self.result, self.metrics = method, k, result, metrics
        self.seed = analysis.seed
        self.roles = analysis.roles
        self._original = analysis.table
        self._kept = analysis.kept_columns
        self.measured_on = f"the whole table as released ({metrics.n_rows:,} rows)"

    @property
    def data(self) -> pd.DataFrame:
        return self.result.data

    @property
    def label(self) -> str:
        return f"{METHODS[self.method]} at k = {self.k}"

    @cached_property
    def class_sizes(self) -> np.ndarray:
        """The size of every class of the release (records removed by suppression are not in it)."""
        sizes = np.bincount(self.result.class_ids[self.result.released])
        return sizes[sizes > 0]

    @cached_property
    def class_summary(self) -> pd.DataFrame:
        """One row per class, as people read it (built once per anonymization)."""
        from .display import class_summary

        return class_summary(self.result)

    @cached_property
    def leaks(self):
        """What the released table reveals through the columns it keeps (`release.LeakReport`)."""
        from .release import leak_check

        rows = self.result.released  # records suppressed by removal are not released
        if self.result.removes_rows:
            return leak_check(self._original[rows], self.result.data[rows], list(self.roles.quasi_identifiers),
                              self._kept)
        return leak_check(self._original, self.result.data, list(self.roles.quasi_identifiers), self._kept)

    @cached_property
    def recoding(self) -> pd.DataFrame:
        """Per QI, the distribution before and after, with vanished or halved categories called out."""
        from .release import recoding_summary

        return recoding_summary(self._original, self.result.data, list(self.roles.quasi_identifiers),
                                released=self.result.released if self.result.removes_rows else None)

    @cached_property
    def disclosing_classes(self) -> np.ndarray:
        """Ids (as in the class table) of the classes that disclose the sensitive attribute: all their records
        hold one value, or a numeric one spans a sliver of its range (`metrics.sensitive_metrics`)."""
        if self.metrics.homogeneous_class_ids is None or not len(self.metrics.homogeneous_class_ids):
            return np.empty(0, dtype=np.int64)
        from .metrics import equivalence_classes

        # the metrics' class ids number the classes of the release itself (hierarchy nodes, removed rows absent)
        ids = equivalence_classes(self.result.release_view(), list(self.roles.quasi_identifiers))
        released = self.result.class_ids[self.result.released]
        return np.unique(released[np.isin(ids, self.metrics.homogeneous_class_ids)])

    def rows_shown(self, class_id: int | None = None, limit: int = 100) -> np.ndarray:
        """Positions of the first `limit` released records, of one class or of the table (what the Anonymize page
        sets beside the original): records removed by suppression are not in the release, so not shown."""
        mask = self.result.released if class_id is None else self.result.released & (self.result.class_ids == class_id)
        return np.flatnonzero(mask)[:limit]

    def warm(self) -> None:
        """Compute what the Anonymize page shows (leak check, class list, recoding), so a prefetched k is
        drawn as fast as one already seen."""
        _ = self.leaks, self.class_summary, self.recoding

    def output(self, form: str = "representative") -> pd.DataFrame:
        """The table to release: QI cells as one real value per class ('representative', for retraining) or
        as the class's range / set ('generalized', for people); every other cell as it was."""
        from .release import output_table

        return output_table(self.result, self._original, form)

    def memory_bytes(self) -> int:
        data = self.result.data
        return int(data.memory_usage(deep=False).sum()) + self.result.class_ids.nbytes + \
            int(self.result.classes.memory_usage(deep=False).sum())


class Analysis:
    """table: the table as read (dropped columns are removed here); roles: a `Roles`; seed: every random
    choice; model: a fitted model to use instead of training LightGBM; test: held-out records.

    Rows whose target is missing stay in the anonymized output but are left out of training and scoring
    (`n_without_target` says how many).
    """

    def __init__(self, table: pd.DataFrame, roles: Roles, *, seed: int = DEFAULT_SEED, model=None,
                 test: pd.DataFrame | None = None, name: str = "table", model_name: str | None = None,
                 attack_settings: AttackSettings = DEFAULT_ATTACKS, tree_features: str = "qi",
                 risk_threshold: float = DEFAULT_RISK_THRESHOLD, max_bytes: int | None = None,
                 model_family: str = scenario_defaults.DEFAULT_FAMILY, digest: str | None = None,
                 test_digest: str | None = None, model_digest: str | None = None, rules=None):
        check_seed(seed)
        if not isinstance(roles, Roles):
            raise DataError("roles must be an anonymizer.Roles")
        roles.validate(table)
        self.roles, self.seed, self.name = roles, int(seed), name
        self.table = table.drop(columns=list(roles.dropped)) if roles.dropped else table
        self.tree_features, self.risk_threshold = tree_features, risk_threshold
        if model_family not in FAMILIES:
            raise DataError(f"unknown model family '{model_family}'; choose one of {', '.join(FAMILIES)}")
        self.model_family = model_family
        self._digest, self.test_digest, self.model_digest = digest, test_digest, model_digest
        self.attack_settings = attack_settings
        target = roles.target
        self.task, self.task_reason = (roles.task, "chosen by the analyst") if roles.task else \
            detect_task(self.table[target]) if target is not None else (None, "")
        self.features = [c for c in self.table.columns if c != target]
        if target is not None:
            has_target = self.table[target].notna().to_numpy()
            self.n_without_target = int((~has_target).sum())
            self.labelled = self.table[has_target] if self.n_without_target else self.table
            if self.labelled[target].nunique() < 2:
                raise DataError(f"the target '{target}' has a single value; a model needs at least two to learn")
        else:
            self.n_without_target, self.labelled = 0, self.table
        self.test = self._check_test(test)
        self.model_name = model_name
        self.user_model = None
        if model is not None:
            if target is None:
                raise DataError("a model needs a target column: name the column the model predicts")
            X = self.labelled[self.features]
            self.user_model = check_model(model, X, self.labelled[target], task=self.task)
        self._lock = threading.Lock()
        self._guide: Guide | None = None
        self._simulation: Simulation | None = None
        # the session's results are bounded: half the budget for anonymizations, half for the simulation's runs
        self._memory_budget = int(limits.SESSION_MEMORY_BYTES if max_bytes is None else max_bytes)
        self._anonymizations = BoundedMemo(self._memory_budget // 2)
        self._linkages = BoundedMemo(4 * 2**20)  # small dicts of counts
        self._prefetch_request: tuple | None = None
        self._prefetch_thread: threading.Thread | None = None
        self.jobs = Jobs()  # background jobs (attacks, frontier, sweeps), owned here so they outlive a page
        self.rules = NO_RULES
        self.set_rules(rules)

    def _check_test(self, test: pd.DataFrame | None) -> pd.DataFrame | None:
        if test is None:
            return None
        missing = [c for c in self.table.columns if c not in test.columns]
        if missing:
            raise DataError(f"the test table lacks column(s) of the data table: {missing[:10]}")
        test = test[list(self.table.columns)]
        if self.roles.target is not None:
            test = test[test[self.roles.target].notna()]
            if len(test) == 0:
                raise DataError(f"the test table has no row with a value in the target '{self.roles.target}'")
        return test

    # -- what the analysis is about --------------------------------------------------------------

    @property
    def kept_columns(self) -> list[str]:
        """Columns released unchanged (every column but the QIs; dropped ones are gone already)."""
        return [c for c in self.table.columns if c not in self.roles.quasi_identifiers]

    def describe(self) -> dict:
        return {"dataset": self.name, "rows": len(self.table), "columns": self.table.shape[1],
                "target": self.roles.target, "task": self.task, "quasi_identifiers": list(self.roles.quasi_identifiers),
                "sensitive": self.roles.sensitive, "dropped": list(self.roles.dropped),
                "rows_without_target": self.n_without_target, "seed": self.seed,
                "model": self.model_name or self.guide_source}

    @property
    def digest(self) -> str:
        """The digest of the table as given (its file's, or of the frame itself when there is no file)."""
        if self._digest is None:
            self._digest = digest_frame(self.table)
        return self._digest

    def scenario(self, method: str = scenario_defaults.DEFAULT_METHOD, k: int = scenario_defaults.DEFAULT_K,
                 epsilons=scenario_defaults.DP_EPSILONS, delta: float = scenario_defaults.DP_DELTA,
                 **options) -> Scenario:
        """This analysis at (method, k) as a `Scenario`: what every JSON and report names, and a link reopens;
        `options` are the Scenario's other fields (output form, encoding, an evaluation's ks...); the release
        rules are the analysis's own unless `options` name others."""
        options.setdefault("rules", self.rules)
        return Scenario(self.digest, self.roles, method, int(k), self.seed, self.model_family, tuple(epsilons),
                        float(delta), self.test_digest, self.model_digest, tree_features=self.tree_features,
                        risk_threshold=self.risk_threshold, **options)

    @cached_property
    def target_leaks(self):
        """The target-leak check for the target in use, however it was chosen (`results.TargetLeakCheck`);
        None without a target."""
        from .target_leaks import check_target_leaks

        if self.roles.target is None:
            return None
        return check_target_leaks(self.table, self.roles.target, self.task, self.features)

    @property
    def model_description(self) -> str:
        """The model in use, in words: the analyst's file, or the default family trained here."""
        uploaded = (self.model_name or type(self.user_model).__name__) if self.user_model is not None else None
        return model_description(uploaded, self.model_family)

    @property
    def guide_source(self) -> str:
        if self.user_model is not None:
            return f"user model ({self.model_name or type(self.user_model).__name__})"
        return f"{FAMILY_NAMES[self.model_family]} trained on the rows with a target"

    # -- the anonymization that is exported -----------------------------------------------------

    @property
    def guide(self) -> Guide:
        """The guiding model and its predictions for every row (trained once, on first use)."""
        with self._lock:
            if self._guide is None:
                self._guide = self._build_guide()
            return self._guide

    def _build_guide(self) -> Guide:
        if self.roles.target is None:
            raise DataError("the accuracy-guided method needs a target column (the model's predictions guide it); "
                            "name the target, or use Mondrian")
        t = time.perf_counter()
        X = self.table[self.features]
        if self.user_model is not None:
            model = self.user_model
        else:
            model = train_default_model(self.labelled[self.features], self.labelled[self.roles.target], self.seed,
                                        task=self.task, family=self.model_family)
        predictions = np.asarray(model.predict(X[model_features(model, X)]))
        return Guide(model, self.guide_source, predictions, time.perf_counter() - t)

    def check_k(self, k: int) -> None:
        check_k(k, len(self.table))

    def set_rules(self, rules) -> None:
        """The release rules (hierarchies, suppression, l, t) of every anonymization from now on, checked against
        the table (one line for what does not fit); earlier results stay memoized under their own rules."""
        rules = NO_RULES if rules is None else rules
        if not isinstance(rules, ReleaseRules):
            raise DataError("rules must be a ReleaseRules")
        rules.check(self.table, list(self.roles.quasi_identifiers), self.roles.sensitive)
        self.rules = rules
        if self._simulation is not None:
            self._simulation.rules = rules

    def anonymize(self, method: str, k: int) -> Anonymization:
        """The whole table anonymized at (method, k), with its metrics; memoized."""
        if method not in METHODS:
            raise DataError(f"unknown method '{method}'; use 'ag' or 'mondrian'")
        self.check_k(k)
        rules = self.rules
        return self._anonymizations.get((method, int(k), rules), lambda: self._anonymize(method, int(k), rules))

    def linkage(self, setting: str, k: int | None = None, known: list[str] | None = None, knowledge=None,
                share: float = 0.5, outsiders: float = 0.2, form: str = "generalized", auxiliary=None) -> dict:
        """The linkage attack on one release of this table (`release_attacks.linkage_attack`): `setting` is
        'original' (identifiers dropped only), 'qi_dropped', or a method at `k` in output `form`. The adversary's
        table is `auxiliary` (a `release_attacks.Auxiliary` the analyst gave) or else a seeded sample of `share`
        of the rows (the row number standing for the identifier) and `outsiders` of people drawn from the
        columns' own values; the same for every setting."""
        from .release_attacks import Knowledge

        knowledge = knowledge or Knowledge()
        qis = list(self.roles.quasi_identifiers)
        known = list(known or (auxiliary.known_columns(qis) if auxiliary is not None else qis))
        key = (setting, k, tuple(known), knowledge, share, outsiders, form,
               None if auxiliary is None else auxiliary.digest, self.rules if setting in METHODS else None)
        return self._linkages.get(key, lambda: self._linkage(setting, k, known, knowledge, share, outsiders, form,
                                                             auxiliary))

    def computed_linkages(self, method: str, k: int) -> list[dict]:
        """The linkage results this session computed for the original, QIs dropped and (method, k), in that
        order (every adversary and knowledge asked for); never computes one."""
        wanted = [("original", None), ("qi_dropped", None), (method, int(k))]
        found = [(wanted.index(key[:2]), self._linkages.peek(key)) for key in self._linkages.keys()
                 if key[:2] in wanted and (key[0] not in METHODS or key[-1] == self.rules)]
        return [r for _, r in sorted(found, key=lambda pair: pair[0]) if r is not None]

    def population(self, method: str, k: int, sampling_fraction: float) -> pd.DataFrame:
        """The population figures (`population_risk.population_table`) of the original table over the QIs and
        of (method, k), for a table that is a sample with `sampling_fraction` of its population."""
        from .population_risk import population_table
        from .release import tuple_codes

        anon = self.anonymize(method, k)
        original = np.bincount(tuple_codes(self.table, list(self.roles.quasi_identifiers)))
        return population_table({release_label("original"): original, anon.label: anon.class_sizes},
                                float(sampling_fraction))

    def _linkage(self, setting, k, known, knowledge, share, outsiders, form, auxiliary) -> dict:
        from .release import GENERALIZED, adversary_view
        from .release_attacks import linkage_attack, make_auxiliary

        table = self.table.reset_index(drop=True)
        if setting == "original":
            release = table
        elif setting == "qi_dropped":
            release = table.assign(**{q: pd.Series([None] * len(table), dtype=object)
                                      for q in self.roles.quasi_identifiers})
        released = np.ones(len(table), dtype=bool)
        if setting in METHODS:
            anonymization = self.anonymize(setting, int(k))
            if form == GENERALIZED and anonymization.result.nodes:  # hierarchy nodes read as what they cover
                release = adversary_view(anonymization.result, self.table).reset_index(drop=True)
            else:
                release = anonymization.output(form).reset_index(drop=True)
            released = anonymization.result.released  # records removed by suppression are not in the release
        if auxiliary is None:
            ids = pd.Series(np.arange(len(table)))
            aux = make_auxiliary(table, ids, known, share, outsiders, knowledge, self.seed)
            aux_ids = aux["__id"]
        else:
            if len(auxiliary.release_ids) != len(table):
                raise DataError("the identifier column does not cover every row of the table")
            ids, aux, aux_ids = auxiliary.release_ids, auxiliary.table, auxiliary.table[auxiliary.id_column]
        # the adversary knows people, not who was removed: a removed person is a target outside the release
        ids = pd.Series(ids).reset_index(drop=True)[released].reset_index(drop=True)
        result = linkage_attack(release, ids, table[released].reset_index(drop=True), aux, aux_ids, known,
                                knowledge, self.seed)
        return {"setting": setting, "k": k, "label": release_label(setting, k),
                "form": form if setting in METHODS else None,
                "adversary": "made from the data" if auxiliary is None else auxiliary.name, **result}

    def has_anonymization(self, method: str, k: int) -> bool:
        return (method, int(k), self.rules) in self._anonymizations

    def _anonymize(self, method: str, k: int, rules=NO_RULES) -> Anonymization:
        guide = self.guide.predictions if method == "ag" else None
        qis = list(self.roles.quasi_identifiers)
        result = anonymize_table(self.table, qis, k, method, self.roles.target, guide, self.seed, self.tree_features,
                                 rules=rules, sensitive=self.roles.sensitive)
        metrics = result.metrics(original=self.table, sensitive=self.roles.sensitive,
                                 risk_threshold=self.risk_threshold)
        return Anonymization(self, method, k, result, metrics)

    def k_without_disclosure(self, method: str, k: int) -> tuple[int | None, list[int]]:
        """The smallest k tried above `k` (growing by a quarter, at most DISCLOSURE_SEARCH values, up to half the
        rows) at which no class discloses the sensitive attribute; returns (that k or None, the ks tried).
        The one-click way forward the Anonymize page offers when classes disclose it."""
        if self.roles.sensitive is None:
            return None, []
        tried, candidate = [], int(k)
        for _ in range(DISCLOSURE_SEARCH):
            candidate = max(candidate + 1, int(round(candidate * 1.25)))
            if candidate > len(self.table) // 2:
                break
            tried.append(candidate)
            if not self.anonymize(method, candidate).metrics.homogeneous_classes:
                return candidate, tried
        return None, tried

    def prefetch(self, method: str, ks: list[int]) -> None:
        """Anonymize at `ks` in the background so the next slider step is a memo hit.

        One thread per analysis at most, started on demand and ending when it has nothing left to do; a newer
        request replaces an older one, so fast slider moves never queue work. Skipped for big tables, where
        each k costs seconds.
        """
        if len(self.table) > PREFETCH_MAX_ROWS:
            return
        wanted = [int(k) for k in ks if 1 <= k <= len(self.table) and not self.has_anonymization(method, k)]
        with self._lock:
            self._prefetch_request = (method, wanted)
            if self._prefetch_thread is not None and self._prefetch_thread.is_alive():
                return
            self._prefetch_thread = threading.Thread(target=self._prefetch_loop, name="prefetch-k", daemon=True)
            self._prefetch_thread.start()

    def _prefetch_loop(self) -> None:
        while True:
            with self._lock:
                request, self._prefetch_request = self._prefetch_request, None
                if request is None:
                    self._prefetch_thread = None
                    return
            method, ks = request
            for k in ks:
                if self._prefetch_request is not None:  # superseded
                    break
                try:
                    self.anonymize(method, k).warm()
                except Exception:  # the page shows the error when the k is asked for
                    break

    def retrained_model(self, method: str, k: int):
        """(model, recipe): the guiding model's kind retrained on the anonymized table's rows with a target,
        the model to hand on with the released data."""
        anon = self.anonymize(method, k)
        if self.roles.target is None:
            raise DataError("retraining needs a target column")
        labelled = anon.data[anon.data[self.roles.target].notna()]
        features = model_features(self.guide.model, labelled[self.features])
        return retrain(self.guide.model, labelled[features], labelled[self.roles.target], self.seed)

    def synthetic(self, epsilon: float, delta: float = scenario_defaults.DP_DELTA):
        """DP synthetic data (MST) of the whole table at (epsilon, delta), seeded by the analysis's seed, for
        export (`synthetic.SyntheticTable`); a separate test table gives the public bounds and categories when
        there is one, else they are read from the table and the budget says they were not counted. Memoized."""
        from .synthetic import schema_from, synthetic_table

        def make():
            if self.test is None:
                return synthetic_table(self.table, epsilon, delta, self.seed)
            return synthetic_table(self.table, epsilon, delta, self.seed,
                                   schema_from(self.test[list(self.table.columns)], private=False),
                                   "bounds and categories of the test table")

        return self._anonymizations.get(("synthetic", float(epsilon), float(delta)), make)

    def release(self) -> None:
        """Let go of everything computed (anonymizations, guide model, simulation) and stop prefetching;
        called when the session that owns this analysis ends. The analysis still works afterwards: it
        computes again what it is asked for."""
        self.jobs.cancel_all()
        with self._lock:
            self._prefetch_request = (None, [])  # supersedes a running prefetch, and asks for nothing
            self._guide, self._simulation = None, None
        self._anonymizations.clear()
        self._linkages.clear()

    # -- the simulation of cost and benefit ------------------------------------------------------

    @property
    def simulation_built(self) -> bool:
        return self._simulation is not None

    @property
    def simulation(self) -> Simulation:
        """The split, the original model and the attacker (built once, on first use)."""
        with self._lock:
            if self._simulation is None:
                self._simulation = self._build_simulation()
            return self._simulation

    def _build_simulation(self) -> Simulation:
        from .simulation import Simulation

        target = self.roles.target
        if target is None:
            raise DataError("the simulation needs a target column: name the column the model predicts")
        split = make_split(self.labelled, self.seed, self.test, model_given=self.user_model is not None)
        t = time.perf_counter()
        members = split.members
        if self.user_model is not None:
            original, source = self.user_model, self.guide_source
        else:
            original = train_default_model(members[self.features], members[target], self.seed, task=self.task,
                                           family=self.model_family)
            source = f"{FAMILY_NAMES[self.model_family]} trained on the members"
        features = model_features(original, members[self.features])
        sim = Simulation(split, original, features, self.roles, self.task, self.seed, source, self.attack_settings,
                         self.tree_features, max_bytes=self._memory_budget // 2, family=self.model_family)
        sim.rules = self.rules
        sim.seconds["original_model"] = time.perf_counter() - t
        return sim
