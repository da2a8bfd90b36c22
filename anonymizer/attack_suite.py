"""The attacker, prepared once per split and model kind, then pointed at any model.

Nothing here depends on k or on the anonymized model: the reference models, the shadow attack's
classifier, LiRA's per-record Gaussians and the attribute-inference baseline are fit once, and every
model evaluated afterwards (original, anonymized at any k, QIs dropped) faces the same attacker.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import numpy as np
import pandas as pd

from . import attacks as atk
from .results import AttributeInference, Membership
from .scenario import DEFAULT_ATTACKS, AttackSettings  # noqa: E402,F401  (the defaults live in scenario.py)
from .split import Split
from .stats import auc_against_chance
from .workers import parallel_map


class AttackSuite:
    """Membership attacks (threshold, shadow, LiRA, RMIA) and attribute inference against one split.

    factory(seed) returns an unfitted model of the target's kind (the attacker's reference models).
    `prepare()` trains what the attacker needs (thread-safe, once); `attack(model)` scores any model.
    """

    def __init__(self, split: Split, features: list[str], target: str, sensitive: str | None,
                 factory: Callable[[int], object], settings: AttackSettings, seed: int, parallel_fits: bool = True):
        """parallel_fits: the reference models are fit side by side (`workers.parallel_map`); off for models
        whose fit holds Python's lock most of the time (DP-EBM), where threads only slow each other down."""
        self.split, self.features, self.target, self.sensitive = split, features, target, sensitive
        self.factory, self.settings, self.seed = factory, settings, seed
        self.parallel_fits = parallel_fits
        self.seconds: dict[str, float] = {}
        self._lock = threading.Lock()
        self._ready = False
        self.bank = self.shadow = self.lira = self.rmia = self.attribute_setup = None
        self.eval_frame = self.attr_members = self.attr_nonmembers = self.attr_pool = None

    @property
    def ready(self) -> bool:
        return self._ready

    def prepare(self, progress: Callable[[str], None] | None = None) -> None:
        with self._lock:
            if not self._ready:
                self._prepare(progress or (lambda step: None))
                self._ready = True

    def _prepare(self, progress: Callable[[str], None]) -> None:
        s, split, seed = self.settings, self.split, self.seed
        start = time.perf_counter()
        progress(f"training {s.n_reference} reference models on the attacker's pool")
        X_pool, y_pool = split.pool[self.features], split.pool[self.target]
        self.bank = atk.train_reference_bank(self.factory, X_pool, y_pool, s.n_reference, seed,
                                             parallel=self.parallel_fits)
        self.seconds["reference_models"] = time.perf_counter() - start
        progress("fitting the shadow attack, offline LiRA and RMIA")
        t = time.perf_counter()
        self.eval_frame = pd.concat([split.members, split.nonmembers])
        X_e, y_e = self.eval_frame[self.features], self.eval_frame[self.target]
        # every reference model predicts the pool and the evaluated records once; the attacks share them
        parallel = self.parallel_fits
        pool_outputs = parallel_map(lambda m: atk.Outputs.of(m, X_pool, y_pool, self.bank.task), self.bank.models,
                                    parallel=parallel)
        outputs = atk.reference_outputs(self.bank, X_e, y_e, parallel=parallel)
        self.seconds["reference_outputs"] = time.perf_counter() - t

        def shadow():
            return atk.ShadowAttack(seed).fit(self.bank, X_pool, y_pool, pool_outputs=pool_outputs)

        def lira():
            return atk.OfflineLiRA().fit(self.bank, X_e, y_e, outputs=outputs)

        def rmia():
            return atk.OfflineRMIA(random_state=seed).fit(self.bank, X_e, y_e, X_pool, y_pool, outputs=outputs,
                                                          pool_outputs=pool_outputs)

        def attribute():
            if self.sensitive is None:
                return None
            rng = np.random.default_rng(seed)
            n = min(len(split.members), len(split.nonmembers), s.attribute_rows)

            def sample(frame, size):
                return frame.iloc[np.sort(rng.choice(len(frame), min(size, len(frame)), replace=False))]

            self.attr_members, self.attr_nonmembers = sample(split.members, n), sample(split.nonmembers, n)
            self.attr_pool = sample(split.pool, s.attribute_rows)
            return atk.prepare_attribute_attack(self.attr_pool, pd.concat([self.attr_members, self.attr_nonmembers]),
                                                self.features, self.sensitive, self.target, seed)

        t = time.perf_counter()
        self.shadow, self.lira, self.rmia, self.attribute_setup = parallel_map(
            lambda f: f(), [shadow, lira, rmia, attribute], parallel=parallel)
        self.seconds["attack_fits"] = time.perf_counter() - t
        self.seconds["total"] = time.perf_counter() - start

    def attack(self, model) -> tuple[Membership, AttributeInference | None, dict, dict]:
        """(membership metrics per attack, attribute inference or None, raw scores, seconds) for `model`.

        Attacks query the model with the original records only.
        """
        self.prepare()
        seconds = {}
        t = time.perf_counter()
        X_e, y_e = self.eval_frame[self.features], self.eval_frame[self.target]
        X_z, y_z = self.rmia.population
        # one prediction of the evaluated records and RMIA's population rows, read by all four attacks
        both = atk.Outputs.of(model, pd.concat([X_e, X_z]), np.r_[np.asarray(y_e), y_z], self.bank.task)
        n_e = len(X_e)
        out, z_out = both.take(slice(0, n_e)), both.take(slice(n_e, None))
        raw = {"threshold": atk.threshold_scores(model, X_e, y_e, self.bank.task, outputs=out),
               "shadow": self.shadow.score(model, X_e, y_e, outputs=out),
               "lira": self.lira.score(model, X_e, y_e, outputs=out),
               "rmia": self.rmia.score(model, X_e, y_e, outputs=out, z_outputs=z_out)}
        m = len(self.split.members)
        scores = {name: (s[:m], s[m:]) for name, s in raw.items()}
        figures = {}
        for name, (mem, non) in scores.items():
            # against chance on every evaluated record (Mann-Whitney U): is the AUC distinguishable from 0.5?
            p_value = auc_against_chance(mem, non, alternative="greater").p_value
            figures[name] = atk.repeated_membership_metrics(mem, non, self.settings.n_repeats, self.seed, p_value)
        membership = Membership(figures)
        seconds["membership"] = time.perf_counter() - t
        attribute = None
        if self.attribute_setup is not None:
            t = time.perf_counter()
            attribute = atk.attribute_inference(self.attribute_setup, model, self.attr_pool, self.attr_members,
                                                self.attr_nonmembers, self.seed)
            seconds["attribute"] = time.perf_counter() - t
        return membership, attribute, scores, seconds
