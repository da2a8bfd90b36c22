"""Benchmark of the anonymization engine on UCI Adult, plus a 1,000,000-row scale row.

    .venv/bin/python bench/engine.py [--ks 10,50,100,500,1000] [--repeats 3] [--no-scale]

Trains on adult.data, scores on adult.test (original records), the 9 default QIs, LightGBM with
default parameters. For every k and method: accuracy of LightGBM retrained on the anonymized
training data, seconds of the anonymization step alone (median of --repeats), classes and GCP.
Prints a Markdown table; nothing here asserts a time (machines are shared and noisy).
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from anonymizer import ADULT_QIS, ADULT_TARGET, anonymizer_for, drop_quasi_identifiers, load_adult  # noqa: E402
from anonymizer.models import train_default_model  # noqa: E402

REFERENCE_SECONDS_K10 = 6.0  # IBM ai-privacy-toolkit 0.2.1, LightGBM-guided, k=10 (issue #2)


def accuracy(model, X, y) -> float:
    return float(np.mean(model.predict(X) == np.asarray(y)))


def adult_rows(ks: list[int], repeats: int, seed: int) -> list[dict]:
    train, test = load_adult("train"), load_adult("test")
    X, y = train.drop(columns=[ADULT_TARGET]), train[ADULT_TARGET]
    X_test, y_test = test.drop(columns=[ADULT_TARGET]), test[ADULT_TARGET]
    start = time.perf_counter()
    model = train_default_model(X, y, seed)
    train_seconds = time.perf_counter() - start
    predictions = model.predict(X)
    rows = [{"method": "original", "k": "-", "accuracy": accuracy(model, X_test, y_test),
             "seconds": train_seconds, "classes": len(X), "gcp": 0.0, "k_achieved": 1,
             "note": "seconds = training LightGBM"}]
    dropped = train_default_model(drop_quasi_identifiers(X, ADULT_QIS), y, seed)
    rows.append({"method": "QIs dropped", "k": "-", "classes": 1, "gcp": 1.0, "seconds": 0.0,
                 "accuracy": accuracy(dropped, drop_quasi_identifiers(X_test, ADULT_QIS), y_test),
                 "k_achieved": len(X)})
    variants = [("AG (tree: all)", "ag", "all"), ("AG (tree: QIs)", "ag", "qi"), ("Mondrian", "mondrian", "all")]
    for k in ks:
        for label, method, tree_features in variants:
            seconds = []
            for _ in range(repeats):
                anonymizer = anonymizer_for(method, k, ADULT_QIS, seed, tree_features)
                result = anonymizer.anonymize(X, predictions)
                seconds.append(result.seconds)
            metrics = result.metrics(original=X)
            retrained = train_default_model(result.data, y, seed)
            rows.append({"method": label, "k": k, "accuracy": accuracy(retrained, X_test, y_test),
                         "seconds": float(np.median(seconds)), "classes": metrics.n_classes,
                         "gcp": metrics.gcp, "k_achieved": metrics.k_achieved})
    return rows


SCALE_SCRIPT = r"""
import json, resource, sys, time
import numpy as np, pandas as pd
sys.path.insert(0, sys.argv[1])
from anonymizer import AccuracyGuidedAnonymizer
n, seed = int(sys.argv[2]), int(sys.argv[3])
rng = np.random.default_rng(seed)
cols = {}
for i in range(5):
    cols[f"num{i}"] = rng.integers(0, 100, n) if i % 2 else rng.normal(40, 12, n).round(1)
for i in range(5):
    cols[f"cat{i}"] = pd.array(rng.choice([f"v{j}" for j in range(4 + 6 * i)], n), dtype="str")
cols["other"] = rng.normal(size=n)
X = pd.DataFrame(cols)
logit = 0.05 * (X["num0"] - 40) + (X["cat1"].isin(["v1", "v3", "v5"])) - 0.3 + 0.5 * X["other"]
y = np.where(logit + rng.logistic(size=n) > 0, "yes", "no")
qis = [c for c in X.columns if c != "other"]
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
r = AccuracyGuidedAnonymizer(k=100, quasi_identifiers=qis, random_state=seed).anonymize(X, y)
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
m = r.metrics()
print(json.dumps({"seconds": r.seconds, "peak_mib": peak / 1024, "before_mib": before / 1024,
                  "classes": m.n_classes, "k_achieved": m.k_achieved}))
"""


def scale_row(n: int, seed: int) -> dict:
    """AG at k=100 on n synthetic rows, 10 QIs, in a fresh process so its peak memory is its own."""
    root = str(Path(__file__).resolve().parents[1])
    out = subprocess.run([sys.executable, "-c", SCALE_SCRIPT, root, str(n), str(seed)],
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ks", default="10,50,100,500,1000")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--scale-rows", type=int, default=1_000_000)
    parser.add_argument("--no-scale", action="store_true")
    args = parser.parse_args()
    ks = [int(k) for k in args.ks.split(",")]
    rows = adult_rows(ks, args.repeats, args.seed)
    print(f"Adult: train 32,561 rows, test 16,281 rows, 9 QIs, LightGBM defaults, seed {args.seed}\n")
    print("| method | k | accuracy | Δ vs original | anonymize s | classes | k achieved | GCP |")
    print("|---|---|---|---|---|---|---|---|")
    base = rows[0]["accuracy"]
    for r in rows:
        print(f"| {r['method']} | {r['k']} | {r['accuracy']:.4f} | {100 * (r['accuracy'] - base):+.2f} pt "
              f"| {r['seconds']:.3f} | {r['classes']} | {r['k_achieved']} | {r['gcp']:.3f} |")
    ag10 = [r for r in rows if r["method"].startswith("AG") and r["k"] == 10]
    for r in ag10:
        print(f"\n{r['method']} at k=10: {r['seconds']:.3f} s, {REFERENCE_SECONDS_K10 / r['seconds']:.0f}x faster "
              f"than the reference's {REFERENCE_SECONDS_K10:.0f} s (figure quoted in issue #2, not re-measured here)")
    if not args.no_scale:
        s = scale_row(args.scale_rows, args.seed)
        print(f"\nScale: {args.scale_rows:,} synthetic rows, 10 QIs + 1 other column, AG k=100: "
              f"{s['seconds']:.2f} s, peak RSS {s['peak_mib']:.0f} MiB (data alone {s['before_mib']:.0f} MiB), "
              f"{s['classes']} classes, k achieved {s['k_achieved']}")
    print(f"\nmax RSS of this process: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")


if __name__ == "__main__":
    pd.set_option("display.width", 200)
    main()
