"""RMIA against LiRA, the shadow attack and the threshold attack, and what RMIA costs.

    .venv/bin/python bench/rmia.py [--rows 32561] [--models random_forest,lightgbm_overfit,lightgbm]

UCI Adult (adult.data), split 40/20/40% into members, non-members and the attacker's pool; the
target model trained on the members; 8 reference models on random halves of the pool. For each
model: AUC, advantage and TPR at 1% / 0.1% FPR of every attack (mean of 3 balanced draws), and
the seconds of every step. RMIA's cost is reported as a share of the evaluation without it
(reference models + shadow and LiRA fits + scoring the target; the reference models' outputs on the
evaluated records are computed once and shared by LiRA and RMIA), and per run (scoring only).
Prints Markdown; asserts nothing.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from lightgbm import LGBMClassifier  # noqa: E402
from sklearn.pipeline import Pipeline  # noqa: E402

from anonymizer import ADULT_TARGET, load_adult  # noqa: E402
from anonymizer import attacks as atk  # noqa: E402
from anonymizer.models import CategoryEncoder, default_model  # noqa: E402


def overfit_lightgbm(seed: int):
    """LightGBM made to memorize: many deep trees, leaves of one record, no regularization."""
    return Pipeline([("categories", CategoryEncoder()),
                     ("lightgbm", LGBMClassifier(n_estimators=200, num_leaves=255, min_child_samples=1, n_jobs=1,
                                                 min_child_weight=1e-3, learning_rate=0.1, random_state=seed,
                                                 verbose=-1))])


FACTORIES = {
    "random_forest": lambda seed: default_model(seed, "random_forest"),
    "lightgbm_overfit": overfit_lightgbm,
    "lightgbm": lambda seed: default_model(seed, "lightgbm"),
}


def timed(fn):
    t = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t


def evaluate(name: str, rows: int, n_models: int, seed: int) -> None:
    data = load_adult("train")
    data = data.iloc[np.random.default_rng(seed).permutation(len(data))[:rows]]
    n = len(data)
    members, nonmembers, pool = data.iloc[: int(0.4 * n)], data.iloc[int(0.4 * n): int(0.6 * n)], data.iloc[
        int(0.6 * n):]
    features = [c for c in data.columns if c != ADULT_TARGET]
    factory = FACTORIES[name]
    X_m, y_m = members[features], members[ADULT_TARGET]
    X_p, y_p = pool[features], pool[ADULT_TARGET]
    frame = pd.concat([members, nonmembers])
    X_e, y_e = frame[features], frame[ADULT_TARGET]
    sec = {}
    target, sec["target model"] = timed(lambda: factory(seed).fit(X_m, y_m))
    bank, sec["reference models"] = timed(lambda: atk.train_reference_bank(factory, X_p, y_p, n_models, seed))
    shadow, sec["shadow fit"] = timed(lambda: atk.ShadowAttack(seed).fit(bank, X_p, y_p))
    outputs, sec["reference outputs on evaluated records"] = timed(lambda: atk.reference_outputs(bank, X_e, y_e))
    lira, sec["LiRA fit"] = timed(lambda: atk.OfflineLiRA().fit(bank, X_e, y_e, outputs=outputs))
    rmia, sec["RMIA fit"] = timed(lambda: atk.OfflineRMIA(random_state=seed).fit(bank, X_e, y_e, X_p, y_p,
                                                                                  outputs=outputs))
    scores = {}
    scores["threshold"], sec["threshold score"] = timed(lambda: atk.threshold_scores(target, X_e, y_e))
    scores["shadow"], sec["shadow score"] = timed(lambda: shadow.score(target, X_e, y_e))
    scores["lira"], sec["LiRA score"] = timed(lambda: lira.score(target, X_e, y_e))
    scores["rmia"], sec["RMIA score"] = timed(lambda: rmia.score(target, X_e, y_e))
    m = len(members)
    train_acc = float((target.predict(X_m) == y_m).mean())
    test_acc = float((target.predict(nonmembers[features]) == nonmembers[ADULT_TARGET]).mean())
    print(f"\n### {name}: {m} members, {len(nonmembers)} non-members, {len(pool)} pool rows, {n_models} "
          f"reference models; train accuracy {train_acc:.4f}, non-member accuracy {test_acc:.4f}; "
          f"RMIA a = {rmia.a_}\n")
    print("| attack | AUC | advantage | TPR@1% FPR | TPR@0.1% FPR |\n|---|---|---|---|---|")
    for attack, s in scores.items():
        r = atk.repeated_membership_metrics(s[:m], s[m:], 3, seed)
        print(f"| {attack} | {r.auc:.3f} ± {r.auc_std:.3f} | {r.advantage:.3f} | "
              f"{r.tpr_at_1pct_fpr:.3f} | {r.tpr_at_0_1pct_fpr:.3f} |")
    without = sum(v for k, v in sec.items() if "RMIA" not in k and k != "target model")
    rmia_cost = sec["RMIA fit"] + sec["RMIA score"]
    per_run = sec["threshold score"] + sec["shadow score"] + sec["LiRA score"]
    print("\n| step | seconds |\n|---|---|")
    for k, v in sec.items():
        print(f"| {k} | {v:.2f} |")
    print(f"\nRMIA adds {rmia_cost:.2f} s to an evaluation of {without:.2f} s without it "
          f"({100 * rmia_cost / without:.1f}%); per anonymized run it adds {sec['RMIA score']:.2f} s to "
          f"{per_run:.2f} s of scoring ({100 * sec['RMIA score'] / per_run:.1f}%).")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=32561)
    parser.add_argument("--models", default="random_forest,lightgbm_overfit,lightgbm")
    parser.add_argument("--reference-models", type=int, default=8)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    for name in args.models.split(","):
        evaluate(name, args.rows, args.reference_models, args.seed)


if __name__ == "__main__":
    main()
