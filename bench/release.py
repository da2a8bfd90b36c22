"""Benchmark of the release checks on Adult stacked to --rows rows, and the demo roles' leak figures.

    .venv/bin/python bench/release.py [--rows 500000] [--repeats 3]

Stacks adult.data (Mondrian at k = 10, so no model is trained) to the requested size and times
`leak_check` (9 QIs, 5 kept columns) and `generalized_table`; then, on adult.data itself with the
LightGBM-guided method at k = 10, prints the leak figures of the demo's roles and of the ways out.
Prints Markdown; nothing here asserts a time (machines are shared and noisy).
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from anonymizer import ADULT_QIS, ADULT_TARGET, anonymize_table, load_adult  # noqa: E402
from anonymizer.models import train_default_model  # noqa: E402
from anonymizer.release import generalized_table, leak_check  # noqa: E402


def _median_seconds(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return float(np.median(times))


def timing(rows: int, repeats: int) -> None:
    train = load_adult("train")
    result = anonymize_table(train, ADULT_QIS, 10, "mondrian", ADULT_TARGET)
    copies = -(-rows // len(train))
    original = pd.concat([train] * copies, ignore_index=True).iloc[:rows]
    released = pd.concat([result.data] * copies, ignore_index=True).iloc[:rows]
    stacked = dataclasses.replace(result, data=released, class_ids=np.tile(result.class_ids, copies)[:rows])
    leak = _median_seconds(lambda: leak_check(original, released, ADULT_QIS), repeats)
    general = _median_seconds(lambda: generalized_table(stacked, original), repeats)
    print("| rows | leak_check (s) | generalized_table (s) |\n|---:|---:|---:|")
    print(f"| {rows:,} | {leak:.2f} | {general:.2f} |")


def demo_roles(seed: int = 0) -> None:
    train = load_adult("train")
    education_qi = ["education" if q == "education-num" else q for q in ADULT_QIS]
    options = {
        "demo today (9 QIs, everything else kept)": (ADULT_QIS, []),
        "drop education": (ADULT_QIS, ["education"]),
        "education as QI, drop education-num": (education_qi, ["education-num"]),
        "both as QIs": ([*ADULT_QIS, "education"], []),
    }
    print("\n| roles | leaks | near-unique | unique over all columns | k per kept column |\n|---|---|---|---:|---|")
    for name, (qis, dropped) in options.items():
        table = train.drop(columns=dropped)
        features = table.drop(columns=[ADULT_TARGET])
        guide = train_default_model(features, table[ADULT_TARGET], seed).predict(features)
        result = anonymize_table(table, qis, 10, "ag", ADULT_TARGET, guide, seed)
        report = leak_check(table, result.data, qis)
        leaks = ", ".join(f"{x.column} → {x.reveals} ({x.share:.2f})" for x in report.leaks) or "none"
        ks = ", ".join(f"{c} {k}" for c, k in report.k_with_column.items())
        print(f"| {name} | {leaks} | {', '.join(report.near_unique_columns) or 'none'} | "
              f"{100 * report.unique_share_all_columns:.1f}% | {ks} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=500_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--no-demo", action="store_true", help="skip the demo roles (they train 4 models)")
    args = parser.parse_args()
    timing(args.rows, args.repeats)
    if not args.no_demo:
        demo_roles()


if __name__ == "__main__":
    main()
