"""Anonymize or differential privacy? The privacy-utility frontier on Adult and Nursery (issue 10).

    .venv/bin/python bench/frontier.py [--datasets adult,nursery] [--families lightgbm,random_forest]
        [--ks 10,50,100,500,1000] [--epsilons 0.5,1,2,4,8] [--references 8] [--repeats 3] [--seed 0]

For each data set and model family, through the same `Analysis` the dashboard and CLI use: the
original model, QIs dropped, accuracy-guided and Mondrian at every k, and DP-EBM at every epsilon
(delta 1e-5; reference models trained with the same DP recipe). Per setting: accuracy with its
Wilson 95% interval, then AUC and TPR at 1% FPR of each membership attack (threshold, shadow,
LiRA, RMIA), the strongest attack's advantage and whether the setting is on the Pareto front. Then,
per table, the verdict on the paper's claim: at equal accuracy, is accuracy-guided anonymization at
least as private as DP? And RMIA's share of the attack set-up time. Prints Markdown; asserts nothing.

Adult: adult.data split 40/20/40 (members / non-members / attacker's pool), accuracy on adult.test,
whose bounds and categories are DP-EBM's public schema. Nursery (../shared/data): 12,960 rows, 5
classes (one of 2 rows), split 40/20/40, accuracy on the non-members; its schema is read from the
members and flagged (privacy the epsilon does not count).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import pandas as pd  # noqa: E402

from anonymizer import ADULT_QIS, Analysis, Roles, load_adult  # noqa: E402
from anonymizer.attack_suite import AttackSettings  # noqa: E402
from anonymizer.data import read_table  # noqa: E402
from anonymizer.names import setting_name  # noqa: E402

ATTACKS = ("threshold", "shadow", "lira", "rmia")
NURSERY = Path(__file__).resolve().parents[2] / "shared" / "data" / "nursery" / "nursery.data"
NURSERY_COLUMNS = ["parents", "has_nurs", "form", "children", "housing", "finance", "social", "health", "class"]


def datasets(names):
    if "adult" in names:
        roles = Roles("income", tuple(ADULT_QIS), "marital-status", ("education",))
        yield "Adult", load_adult("train"), load_adult("test"), roles
    if "nursery" in names:
        nursery = pd.read_csv(NURSERY, header=None, names=NURSERY_COLUMNS)
        path = Path("/tmp/nursery.csv")
        nursery.to_csv(path, index=False)
        roles = Roles("class", ("parents", "has_nurs", "form", "children", "housing", "finance"), "health")
        yield "Nursery", read_table(path), None, roles


def row(setting: str, ev, point) -> str:
    u = ev.utility
    lo, hi = u.interval() or (float("nan"),) * 2
    cells = [setting, f"{u.value():.4f} [{lo:.4f}, {hi:.4f}]"]
    cells += [f"{ev.membership[a].auc:.3f} / {ev.membership[a].tpr_at_1pct_fpr:.3f}" for a in ATTACKS]
    cells += [f"{point['advantage']:.3f} ({point['attack']})", "yes" if point["pareto"] else ""]
    return "| " + " | ".join(cells) + " |"


def verdict(points: pd.DataFrame) -> str:
    """For each DP point: the AG settings with at least its accuracy, and whether one is at least as private."""
    ag, dp = points[points["kind"] == "ag"], points[points["kind"] == "dp"]
    lines = []
    for _, d in dp.iterrows():
        rivals = ag[ag["utility"] >= d["utility"]]
        if rivals.empty:
            lines.append(f"- {d['setting']}: accuracy {d['utility']:.4f}, advantage {d['advantage']:.3f}; no AG "
                         "setting reaches its accuracy.")
            continue
        best = rivals.loc[rivals["advantage"].idxmin()]
        holds = best["advantage"] <= d["advantage"] + 0.005
        lines.append(f"- {d['setting']}: accuracy {d['utility']:.4f}, advantage {d['advantage']:.3f}; the most "
                     f"private AG setting at least as accurate is {best['setting']} (accuracy {best['utility']:.4f}, "
                     f"advantage {best['advantage']:.3f}): claim {'holds' if holds else 'does NOT hold'}.")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", default="adult,nursery")
    parser.add_argument("--families", default="lightgbm,random_forest")
    parser.add_argument("--ks", default="10,50,100,500,1000")
    parser.add_argument("--epsilons", default="0.5,1,2,4,8")
    parser.add_argument("--references", type=int, default=8)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    ks = [int(k) for k in args.ks.split(",")]
    epsilons = [float(e) for e in args.epsilons.split(",")]
    settings = AttackSettings(args.references, args.repeats)
    print(f"seed {args.seed}, {args.references} reference models, {args.repeats} balanced draws per figure; "
          "cells: AUC / TPR at 1% FPR\n")
    for name, table, test, roles in datasets(args.datasets.split(",")):
        for family in args.families.split(","):
            start = time.perf_counter()
            analysis = Analysis(table, roles, seed=args.seed, test=test, attack_settings=settings,
                                model_family=family, name=name)
            sim = analysis.simulation
            sim.prepare_attacks()
            points = sim.frontier(ks, ["ag", "mondrian"], epsilons).points
            seconds = time.perf_counter() - start
            print(f"### {name}, {family} ({len(sim.split.members):,} members; accuracy on "
                  f"{len(sim.split.holdout):,} rows of {sim.split.holdout_source}; {seconds:.0f} s)\n")
            print(f"| setting | {sim.original_utility.headline_name} [95%] | " + " | ".join(ATTACKS)
                  + " | strongest advantage | Pareto |")
            print("|---" * (4 + len(ATTACKS)) + "|")
            by_setting = points.set_index("setting")
            print(row("original", sim.original_evaluation, by_setting.loc["original"]))
            dropped = sim.qi_dropped_evaluation()
            if dropped is not None:
                print(row("QIs dropped", dropped, by_setting.loc["QIs dropped"]))
            for method in ("ag", "mondrian"):
                for k in sim.usable_ks(ks):
                    setting = setting_name(method, k=k)
                    print(row(setting, sim.run(method, k).evaluation, by_setting.loc[setting]))
            for eps in epsilons:
                print(row(f"DP ε={eps:g}", sim.dp_run(eps).evaluation, by_setting.loc[f"DP ε={eps:g}"]))
            s = sim.suite.seconds
            rest = s["total"] - s.get("rmia_fit", 0.0)
            print(f"\nRMIA fit {s.get('rmia_fit', 0):.1f} s = {100 * s.get('rmia_fit', 0) / rest:.1f}% of the rest "
                  f"of the attack set-up ({rest:.1f} s: reference models, shadow, LiRA, attribute baseline). "
                  f"DP schema: {sim.dp_run(epsilons[0]).schema_source}.\n")
            print("Paper's claim (AG at least as private as DP at equal accuracy; advantage within 0.005):\n")
            print(verdict(points) + "\n")


if __name__ == "__main__":
    main()
