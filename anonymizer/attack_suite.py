"""The attacker, prepared once per split and model kind, then pointed at any model.

Nothing here depends on k or on the anonymized model: the reference models, the shadow attack's
classifier, LiRA's per-record Gaussians and the attribute-inference baseline are fit once, and every
model evaluated afterwards (original, anonymized at any k, QIs dropped) faces the same attacker.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from . import attacks as atk
from .results import AttributeInference, Membership
from .split import Split
from .stats import auc_against_chance


@dataclass(frozen=True)
class AttackSettings:
    """How strong and how repeated the simulated attacker is; every draw derives from `seed`."""

    n_reference: int = 8  # reference models for the shadow attack and LiRA
    n_repeats: int = 3  # balanced evaluation draws behind each membership figure
    attribute_rows: int = 4000  # cap on pool rows and on members/non-members for attribute inference


DEFAULT_ATTACKS = AttackSettings()


class AttackSuite:
    """Membership attacks (threshold, shadow, LiRA, RMIA) and attribute inference against one split.

    factory(seed) returns an unfitted model of the target's kind (the attacker's reference models).
    `prepare()` trains what the attacker needs (thread-safe, once); `attack(model)` scores any model.
    """

    def __init__(self, split: Split, features: list[str], target: str, sensitive: str | None,
                 factory: Callable[[int], object], settings: AttackSettings, seed: int):
        self.split, self.features, self.target, self.sensitive = split, features, target, sensitive
        self.factory, self.settings, self.seed = factory, settings, seed
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
        self.bank = atk.train_reference_bank(self.factory, X_pool, y_pool, s.n_reference, seed)
        self.seconds["reference_models"] = time.perf_counter() - start
        progress("fitting the shadow attack")
        t = time.perf_counter()
        self.shadow = atk.ShadowAttack(seed).fit(self.bank, X_pool, y_pool)
        self.seconds["shadow_attack_fit"] = time.perf_counter() - t
        progress("fitting offline LiRA and RMIA")
        t = time.perf_counter()
        self.eval_frame = pd.concat([split.members, split.nonmembers])
        X_e, y_e = self.eval_frame[self.features], self.eval_frame[self.target]
        outputs = atk.reference_outputs(self.bank, X_e, y_e)  # shared by LiRA and RMIA
        self.lira = atk.OfflineLiRA().fit(self.bank, X_e, y_e, outputs=outputs)
        self.seconds["lira_fit"] = time.perf_counter() - t
        t = time.perf_counter()
        self.rmia = atk.OfflineRMIA(random_state=seed).fit(self.bank, X_e, y_e, X_pool, y_pool, outputs=outputs)
        self.seconds["rmia_fit"] = time.perf_counter() - t
        if self.sensitive is not None:
            progress("fitting the attribute-inference baseline")
            t = time.perf_counter()
            rng = np.random.default_rng(seed)
            n = min(len(split.members), len(split.nonmembers), s.attribute_rows)

            def sample(frame, size):
                return frame.iloc[np.sort(rng.choice(len(frame), min(size, len(frame)), replace=False))]

            self.attr_members, self.attr_nonmembers = sample(split.members, n), sample(split.nonmembers, n)
            self.attr_pool = sample(split.pool, s.attribute_rows)
            self.attribute_setup = atk.prepare_attribute_attack(
                self.attr_pool, pd.concat([self.attr_members, self.attr_nonmembers]), self.features,
                self.sensitive, self.target, seed)
            self.seconds["attribute_baseline"] = time.perf_counter() - t
        self.seconds["total"] = time.perf_counter() - start

    def attack(self, model) -> tuple[Membership, AttributeInference | None, dict, dict]:
        """(membership metrics per attack, attribute inference or None, raw scores, seconds) for `model`.

        Attacks query the model with the original records only.
        """
        self.prepare()
        seconds = {}
        t = time.perf_counter()
        X_e, y_e = self.eval_frame[self.features], self.eval_frame[self.target]
        raw = {"threshold": atk.threshold_scores(model, X_e, y_e, self.bank.task),
               "shadow": self.shadow.score(model, X_e, y_e),
               "lira": self.lira.score(model, X_e, y_e),
               "rmia": self.rmia.score(model, X_e, y_e)}
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
