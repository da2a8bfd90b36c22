"""Benchmark of the evaluation pipeline: what anonymization costs and buys, on UCI Adult.

    .venv/bin/python bench/attacks.py [--ks 10,100,1000] [--models lightgbm,forest]

For LightGBM (default parameters) and a deliberately overfit random forest (fully grown trees),
and with the sensitive attribute marital-status outside the QIs and among them: accuracy on
adult.test, membership AUC and TPR at 1% FPR of each attack, attribute inference against its
baseline, and the seconds of every step. Then the two speed targets: one full evaluation at one
k, and a sweep of 5 k x 2 methods (LightGBM). Prints Markdown tables; asserts nothing.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from anonymizer.experiment import Experiment, ExperimentConfig  # noqa: E402
from sklearn.compose import make_column_selector, make_column_transformer  # noqa: E402
from sklearn.ensemble import RandomForestClassifier  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import OrdinalEncoder  # noqa: E402

from anonymizer import ADULT_QIS, ADULT_TARGET, load_adult  # noqa: E402

SENSITIVE = "marital-status"
ATTACKS = ("threshold", "shadow", "lira")


def overfit_forest(seed: int = 0):
    """Random forest of fully grown trees on ordinal-coded text columns: memorizes its members."""
    encode = make_column_transformer(
        (OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=-1, encoded_missing_value=-2),
         make_column_selector(dtype_exclude="number")),
        remainder="passthrough")
    return make_pipeline(encode, RandomForestClassifier(n_estimators=100, min_samples_leaf=1, n_jobs=2,
                                                        random_state=seed))


def row(label, k, ev, seconds="") -> str:
    mem = ev["membership"]
    cells = [label, str(k), f"{ev['accuracy']:.4f}"]
    cells += [f"{mem[a]['auc']:.3f}" for a in ATTACKS]
    cells += [f"{mem[a]['tpr_at_1pct_fpr']:.3f}" for a in ATTACKS]
    att = ev.get("attribute")
    if att:
        cells += [f"{att['baseline_members']:.3f} / {att['attack_members']:.3f}",
                  f"{att['baseline_nonmembers']:.3f} / {att['attack_nonmembers']:.3f}"]
    else:
        cells += ["-", "-"]
    return "| " + " | ".join(cells + [seconds]) + " |"


HEADER = ("| method | k | accuracy | AUC threshold | AUC shadow | AUC LiRA | TPR@1% thr | TPR@1% shadow | "
          "TPR@1% LiRA | attribute members: baseline / attack | non-members: baseline / attack | seconds |\n"
          "|---|---|---|---|---|---|---|---|---|---|---|---|")


def quality(ks, models, seed):
    train, test = load_adult("train"), load_adult("test")
    cases = {"S outside the QIs": [q for q in ADULT_QIS if q != SENSITIVE], "S among the QIs": ADULT_QIS}
    for model_name in models:
        estimator = overfit_forest(seed) if model_name == "forest" else None
        for case, qis in cases.items():
            config = ExperimentConfig(ADULT_TARGET, qis, sensitive=SENSITIVE, seed=seed)
            exp = Experiment(train, config, test=test, estimator=estimator)
            exp.prepare_attacks()
            _ = exp.original_evaluation
            s = exp.seconds
            print(f"\n### {model_name}, sensitive {SENSITIVE}: {case} ({len(qis)} QIs)\n")
            setup = s["total"] + s["attacks_setup"] + s["original_evaluation"]
            print(f"set-up {setup:.1f} s (model {s['original_model']:.1f}, reference models "
                  f"{s['reference_models']:.1f}, shadow fit {s['shadow_attack_fit']:.1f}, "
                  f"LiRA fit {s['lira_fit']:.1f}, "
                  f"attribute baseline {s['attribute_baseline']:.1f}, original evaluation "
                  f"{s['original_evaluation']:.1f}); attribute metric: "
                  f"{exp.original_evaluation.attribute['metric']}, majority rate "
                  f"{exp.original_evaluation.attribute['majority_rate']:.3f}\n")
            print(HEADER)
            print(row("original", "-", exp.original_evaluation.to_dict()))
            print(f"| QIs dropped | - | {exp.qi_dropped()['accuracy']:.4f} | | | | | | | | | |")
            for method in ("ag", "mondrian"):
                for k in ks:
                    run = exp.run(method, k)
                    sec = run.seconds
                    timing = (f"anon {sec['anonymize']:.2f} / retrain {sec['retrain']:.2f} / "
                              f"evaluate {sec['evaluate']:.2f}")
                    print(row(method, k, run.to_dict(), timing))


def speed(seed):
    train, test = load_adult("train"), load_adult("test")
    config = ExperimentConfig(ADULT_TARGET, ADULT_QIS, sensitive=SENSITIVE, seed=seed)
    start = time.perf_counter()
    exp = Experiment(train, config, test=test)
    exp.run("ag", 100)
    one = time.perf_counter() - start
    start = time.perf_counter()
    exp = Experiment(train, config, test=test)
    exp.sweep([10, 50, 100, 500, 1000], ["ag", "mondrian"])
    sweep = time.perf_counter() - start
    print("\n### Speed (LightGBM, 9 QIs, sensitive marital-status, 8 reference models, 3 repeats)\n")
    print("| what | seconds | target |\n|---|---|---|")
    print(f"| one full evaluation at k=100 (set-up + one run) | {one:.1f} | < 10 |")
    print(f"| sweep 5 k x 2 methods (set-up + 10 runs) | {sweep:.1f} | < 60 |")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ks", default="10,100,1000")
    parser.add_argument("--models", default="lightgbm,forest")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-speed", action="store_true")
    args = parser.parse_args()
    print(f"Adult: members/non-members/attacker pool = 40/20/40% of adult.data, accuracy on adult.test, "
          f"seed {args.seed}")
    quality([int(k) for k in args.ks.split(",")], args.models.split(","), args.seed)
    if not args.no_speed:
        speed(args.seed)


if __name__ == "__main__":
    main()
