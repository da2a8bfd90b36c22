"""Anonymize, train with DP, or release DP synthetic data? The three families on Adult and Nursery (issue 19).

    PYTHONPATH=. .venv/bin/python bench/synthetic.py [--datasets adult,nursery] [--epsilons 1,4,16]
        [--ks 10,100] [--dp-epsilons 1,4,16] [--references 8] [--repeats 3] [--seed 0]

Through the same `Simulation` the dashboard and `evaluate` use: per table, the original model, accuracy-guided
anonymization at each k, DP-EBM at each epsilon and MST synthetic data at each epsilon (delta 1e-5). Per setting:
the headline utility with its 95% interval, the strongest membership attack's AUC and TPR at 1% FPR, and for
synthetic data the fidelity (mean TVD of 1-way and 2-way marginals), the share of member rows copied beside the
share of control rows, and the seconds one synthetic run takes (synthesize, retrain, attack, release risks). Then
which family is most private within 1, 5 and 30 points of utility (the frontier's rule). Prints Markdown;
asserts nothing.

Adult: adult.data split 40/20/40, utility on adult.test, whose bounds and categories are the public schema of
DP-EBM and MST. Nursery: 12,960 rows, 5 classes, its schema read from the members (flagged).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from anonymizer.attack_suite import AttackSettings  # noqa: E402
from anonymizer.charts import reading_frontier  # noqa: E402
from anonymizer.names import setting_name  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from frontier import datasets  # noqa: E402  (the same tables and roles as bench/frontier.py)


def ints(text):
    return [int(v) for v in text.split(",") if v]


def floats(text):
    return [float(v) for v in text.split(",") if v]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--datasets", default="adult,nursery")
    parser.add_argument("--epsilons", type=floats, default=[1.0, 4.0, 16.0])
    parser.add_argument("--dp-epsilons", type=floats, default=[1.0, 4.0, 16.0])
    parser.add_argument("--ks", type=ints, default=[10, 100])
    parser.add_argument("--references", type=int, default=8)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--budgets", type=floats, default=[1.0, 5.0, 30.0])
    args = parser.parse_args()
    from anonymizer import Analysis

    for name, data, test, roles in datasets(args.datasets.split(",")):
        analysis = Analysis(data, roles, seed=args.seed, test=test,
                            attack_settings=AttackSettings(args.references, args.repeats))
        sim = analysis.simulation
        t = time.perf_counter()
        sim.prepare_attacks()
        print(f"\n## {name} ({len(sim.split.members):,} members; {sim.split.describe()}; seed {args.seed})\n")
        print(f"attacker set-up {time.perf_counter() - t:.1f} s; utility: {sim.headline}\n")
        print("| setting | utility [95%] | strongest attack: AUC / TPR@1%FPR | TVD 1-way / 2-way | member rows "
              "copied / control rows copied | seconds |")
        print("|---|---|---|---|---|---|")

        def line(label, ev, extra="", copied="", seconds=""):
            u = ev.utility
            lo, hi = u.interval() or (float("nan"),) * 2
            strongest = ev.membership.strongest()
            m = ev.membership[strongest]
            print(f"| {label} | {u.value():.4f} [{lo:.4f}, {hi:.4f}] | {m.auc:.3f} / {m.tpr_at_1pct_fpr:.3f} "
                  f"({strongest}) | {extra} | {copied} | {seconds} |")

        line("original", sim.original_evaluation)
        for k in args.ks:
            t = time.perf_counter()
            run = sim.run("ag", k)
            line(setting_name("ag", k=k), run.evaluation, seconds=f"{time.perf_counter() - t:.1f}")
        for eps in args.dp_epsilons:
            t = time.perf_counter()
            run = sim.dp_run(eps)
            line(setting_name("dp", epsilon=eps), run.evaluation, seconds=f"{time.perf_counter() - t:.1f}")
        for eps in args.epsilons:
            t = time.perf_counter()
            run = sim.synthetic_run(eps)
            seconds = time.perf_counter() - t
            f, c = run.fidelity, run.copies
            line(setting_name("synthetic", epsilon=eps), run.evaluation, f"{f['tvd_1way']:.4f} / {f['tvd_2way']:.4f}",
                 f"{c['members_copied_share']:.2%} / {c['controls_copied_share']:.2%}",
                 f"{seconds:.1f} (synthesize {run.seconds['synthesize']:.1f})")
        frontier = sim.frontier(args.ks, ["ag"], args.dp_epsilons, synthetic=args.epsilons)
        for budget in args.budgets:
            print("\n" + reading_frontier(frontier.recommend(budget), frontier.utility_name))
        schema, note = sim.synthetic_schema()[1], sim.peek_synthetic_run(args.epsilons[0]).privacy_note
        print(f"\nMST public schema: {schema}" + (f" ({note})" if note else ""))


if __name__ == "__main__":
    main()
