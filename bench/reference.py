"""Same-run speed comparison with the reference implementation, IBM ai-privacy-toolkit 0.2.1.

    .venv/bin/python bench/reference.py --python /tmp/ibmvenv/bin/python [--ks 10,100] [--repeats 3] [--one-shot]

With --one-shot it also times fresh processes (issue 16's cold start): our CLI `anonymize` of Adult at k = 10,
its report's `seconds` and its whole wall time, against the reference's first anonymization call in a fresh
process and that process's wall time, in the same run.

The reference needs old pins, so it runs in a venv of its own, made once with:
    python3.11 -m venv /tmp/ibmvenv && /tmp/ibmvenv/bin/pip install ai-privacy-toolkit==0.2.1 \
        "numpy<2" "pandas<2.2" "scikit-learn<1.4" torch==2.13.0 adversarial-robustness-toolbox packaging
Both sides anonymize adult.data with the 9 default QIs, guided by the same LightGBM predictions
(computed here and handed over in a file); each side times only its anonymization call. Each side
gets one untimed warm-up call. Prints a table with the ratio; asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from anonymizer import ADULT_QIS, ADULT_TARGET, AccuracyGuidedAnonymizer, load_adult  # noqa: E402
from anonymizer.models import train_default_model  # noqa: E402

REFERENCE = r"""
import json, sys, time
import numpy as np, pandas as pd
from apt.anonymization import Anonymize
from apt.utils.datasets import ArrayDataset
folder, ks, repeats = sys.argv[1], [int(k) for k in sys.argv[2].split(",")], int(sys.argv[3])
qis = sys.argv[4].split(",")
X = pd.read_csv(f"{folder}/X.csv", keep_default_na=False)
y = np.load(f"{folder}/pred.npy", allow_pickle=False)
cats = [c for c in X.columns if X[c].dtype == object]
Anonymize(ks[0], qis, categorical_features=cats).anonymize(ArrayDataset(X, y))  # warm-up, untimed
out = {}
for k in ks:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        Anonymize(k, qis, categorical_features=cats).anonymize(ArrayDataset(X, y))
        times.append(time.perf_counter() - start)
    out[k] = times
print(json.dumps(out))
"""


ONE_SHOT = r"""
import json, sys, time
start = time.perf_counter()
import numpy as np, pandas as pd
from apt.anonymization import Anonymize
from apt.utils.datasets import ArrayDataset
folder, k, qis = sys.argv[1], int(sys.argv[2]), sys.argv[3].split(",")
X = pd.read_csv(f"{folder}/X.csv", keep_default_na=False)
y = np.load(f"{folder}/pred.npy", allow_pickle=False)
cats = [c for c in X.columns if X[c].dtype == object]
step = time.perf_counter()
Anonymize(k, qis, categorical_features=cats).anonymize(ArrayDataset(X, y))
print(json.dumps({"step": time.perf_counter() - step, "total": time.perf_counter() - start}))
"""


def one_shot(python: str, repeats: int) -> None:
    """Fresh processes, k = 10: ours (CLI, report seconds and wall time) against the reference's first call."""
    import time

    train = load_adult("train")
    X, y = train.drop(columns=[ADULT_TARGET]), train[ADULT_TARGET]
    codes = (train_default_model(X, y).predict(X) == ">50K").astype(np.int64)
    root = Path(__file__).resolve().parents[1]
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        train.to_csv(f"{folder}/adult.csv", index=False)
        X.fillna("?").to_csv(f"{folder}/X.csv", index=False)
        np.save(f"{folder}/pred.npy", codes)
        for i in range(repeats):  # fresh output paths: the CLI refuses to replace a file without --overwrite
            start = time.perf_counter()
            subprocess.run([sys.executable, "-m", "anonymizer", "anonymize", "--data", f"{folder}/adult.csv", "--qi",
                            ",".join(ADULT_QIS), "--k", "10", "--target", ADULT_TARGET, "--out", f"{folder}/o{i}.csv",
                            "--report", f"{folder}/r{i}.json"], cwd=root, check=True, capture_output=True)
            wall = time.perf_counter() - start
            ours = json.loads(Path(f"{folder}/r{i}.json").read_text())["seconds"]
            run = subprocess.run([python, "-c", ONE_SHOT, folder, "10", ",".join(ADULT_QIS)], capture_output=True,
                                 text=True, check=True)
            ref = json.loads(run.stdout.strip().splitlines()[-1])
            rows.append((ours, wall, ref["step"], ref["total"]))
    print("\nOne-shot processes, k = 10 (fresh process each; ours: the CLI, its whole run including the guiding "
          "model)\n\n| ours: report seconds | ours: wall, all in | IBM: first call | IBM: process wall | step ratio "
          "|\n|---|---|---|---|---|")
    for ours, wall, step, total in rows:
        print(f"| {ours:.4f} | {wall:.2f} | {step:.2f} | {total:.2f} | {step / ours:.0f}x |")
    med = [statistics.median(column) for column in zip(*rows)]
    print(f"| **median {med[0]:.4f}** | **{med[1]:.2f}** | **{med[2]:.2f}** | **{med[3]:.2f}** | "
          f"**{med[2] / med[0]:.0f}x** (lowest {min(step / ours for ours, _, step, _ in rows):.0f}x) |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--python", required=True, help="the interpreter of a venv with ai-privacy-toolkit 0.2.1")
    parser.add_argument("--ks", default="10,100")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--one-shot", action="store_true", help="also time fresh processes (the cold start)")
    args = parser.parse_args()
    ks = [int(k) for k in args.ks.split(",")]
    train = load_adult("train")
    X, y = train.drop(columns=[ADULT_TARGET]), train[ADULT_TARGET]
    predictions = train_default_model(X, y).predict(X)
    codes = (predictions == ">50K").astype(np.int64)
    ours = {}  # tree on the QIs (our default) and on all columns (the reference's default)
    # warm-up, untimed (the reference gets one too)
    AccuracyGuidedAnonymizer(k=ks[0], quasi_identifiers=ADULT_QIS).fit(X, codes)
    for k in ks:
        for features in ("qi", "all"):
            anonymizer = AccuracyGuidedAnonymizer(k=k, quasi_identifiers=ADULT_QIS, tree_features=features)
            ours[k, features] = [anonymizer.anonymize(X, codes).seconds for _ in range(args.repeats)]
    with tempfile.TemporaryDirectory() as folder:
        X.fillna("?").to_csv(f"{folder}/X.csv", index=False)  # the reference does not take missing values
        np.save(f"{folder}/pred.npy", codes)
        run = subprocess.run([args.python, "-c", REFERENCE, folder, args.ks, str(args.repeats), ",".join(ADULT_QIS)],
                             capture_output=True, text=True)
    if run.returncode != 0:
        raise SystemExit(f"the reference failed: {run.stderr.strip().splitlines()[-1]}")
    reference = {int(k): v for k, v in json.loads(run.stdout.strip().splitlines()[-1]).items()}
    print(f"Adult, 9 QIs, LightGBM-guided, median of {args.repeats} (anonymization call only)\n")
    print("| k | IBM ai-privacy-toolkit 0.2.1 (tree: all) s | ours, tree: all s | ratio | ours, tree: QIs "
          "(default) s | ratio |\n|---|---|---|---|---|---|")
    for k in ks:
        ref = statistics.median(reference[k])
        own_all, own_qi = statistics.median(ours[k, "all"]), statistics.median(ours[k, "qi"])
        print(f"| {k} | {ref:.2f} | {own_all:.3f} | {ref / own_all:.0f}x | {own_qi:.3f} | {ref / own_qi:.0f}x |")
    if args.one_shot:
        one_shot(args.python, args.repeats)


if __name__ == "__main__":
    main()
