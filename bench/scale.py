"""Scale benchmark: accuracy-guided k-anonymity (k=100) in memory and on Dask, out of core.

    .venv/bin/python bench/scale.py [--memory 100000,1000000,10000000] [--dask 10000000,50000000]
                                    [--exact-up-to 1000000] [--workdir DIR] [--threads 1] [--seed 0]

Synthetic table: 5 numeric + 5 categorical QIs (4 to 28 values), one other numeric column and a
binary label `y` that depends on two QIs. Every measurement runs in a fresh process, so its peak
RSS is its own.
- memory rows: the table is read from Parquet, anonymized with `AccuracyGuidedAnonymizer` (the
  label stands in for the model's predictions), and written back; "anonymize s" is the estimator's
  own time, "total s" adds reading and writing. The histogram splitter's compiled loop is loaded
  first (numba's import and its disk cache, once per process) and timed apart as "load s".
  `--exact-up-to` also times sklearn's exact tree.
- dask rows: `anonymize_parquet` on a LocalCluster of 1-2 single-thread worker processes whose
  memory limits add up to 70% of the table's in-memory size (they spill to disk); the
  guiding model is the package default trained on 50,000 rows of a 200,000-row sample. Peak memory is the
  driver's plus every worker's max RSS.
Data sets are generated once into --workdir (250,000 rows a file) and reused.
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

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

QIS = [f"num{i}" for i in range(5)] + [f"cat{i}" for i in range(5)]
K = 100
CHUNK = 250_000


def synthetic(n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    cols = {}
    for i in range(5):
        cols[f"num{i}"] = rng.integers(0, 100, n) if i % 2 else rng.normal(40, 12, n).round(1)
    for i in range(5):
        cols[f"cat{i}"] = pd.array(rng.choice([f"v{j}" for j in range(4 + 6 * i)], n), dtype="str")
    cols["other"] = rng.normal(size=n)
    X = pd.DataFrame(cols)
    logit = 0.05 * (X["num0"] - 40) + X["cat1"].isin(["v1", "v3", "v5"]) - 0.3 + 0.5 * X["other"]
    X["y"] = pd.array(np.where(logit + rng.logistic(size=n) > 0, "yes", "no"), dtype="str")
    return X


def dataset(workdir: Path, n: int, seed: int) -> Path:
    """A folder of Parquet files holding n synthetic rows (made once)."""
    folder = workdir / f"rows-{n}-seed-{seed}"
    done = folder / "_complete"
    if not done.exists():
        folder.mkdir(parents=True, exist_ok=True)
        for i, start in enumerate(range(0, n, CHUNK)):
            synthetic(min(CHUNK, n - start), seed * 100_003 + i).to_parquet(folder / f"part-{i:05d}.parquet",
                                                                            index=False)
        done.write_text("ok")
    return folder


def peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def one_memory(folder: Path, splitter: str, threads: int, seed: int) -> dict:
    from anonymizer import AccuracyGuidedAnonymizer, equivalence_classes
    from anonymizer.trees import BinnedTree

    start = time.perf_counter()
    if splitter == "histogram":  # what a long-lived process (the dashboard's server) pays once
        BinnedTree(1).fit_apply(np.zeros((2, 1)), np.zeros(2))
    load = time.perf_counter() - start
    start = time.perf_counter()
    table = pd.read_parquet(folder)
    X, y = table.drop(columns="y"), table["y"].to_numpy()
    a = AccuracyGuidedAnonymizer(k=K, quasi_identifiers=QIS, splitter=splitter, n_jobs=threads,
                                 random_state=seed).anonymize(X, y)
    seconds = a.seconds
    out = folder.parent / f".out-memory-{folder.name}.parquet"
    a.data.to_parquet(out, index=False)
    total = time.perf_counter() - start
    out.unlink()
    k_achieved = int(np.bincount(equivalence_classes(a.data, QIS)).min())
    return {"seconds": seconds, "total": total, "peak_mib": peak_mib(), "k_achieved": k_achieved,
            "classes": a.n_classes, **({"load": load} if splitter == "histogram" else {})}


def one_dask(folder: Path, rows: int, seed: int) -> dict:
    import shutil

    from dask.distributed import Client, LocalCluster

    from anonymizer.dask_engine import anonymize_parquet

    data_mib = synthetic(100_000, 0).memory_usage(deep=True).sum() / 2**20 * rows / 100_000
    # workers' limits add up to 70% of the data's size; a worker needs ~600 MiB (its imports take ~270)
    n_workers = 2 if data_mib * 0.7 / 2 >= 600 else 1
    per_worker = max(600, int(data_mib * 0.7 / n_workers))
    out = folder.parent / f".out-dask-{folder.name}"
    shutil.rmtree(out, ignore_errors=True)
    with LocalCluster(n_workers=n_workers, threads_per_worker=1, memory_limit=f"{per_worker}MiB",
                      dashboard_address=None, silence_logs=40,
                      local_directory=str(folder.parent / "dask-spill")) as cluster, \
            Client(cluster) as client:
        start = time.perf_counter()
        report = anonymize_parquet(folder, out, QIS, K, target="y", seed=seed, client=client)
        seconds = time.perf_counter() - start
        workers = client.run(lambda: resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    shutil.rmtree(out, ignore_errors=True)
    return {"seconds": seconds, "total": seconds, "peak_mib": peak_mib() + sum(workers.values()),
            "k_achieved": report["k_achieved"], "classes": report["n_classes"],
            "limit_mib": n_workers * per_worker, "data_mib": data_mib, "workers": n_workers}


def measure(kind: str, rows: int, args) -> dict:
    """One measurement in a fresh process."""
    cmd = [sys.executable, __file__, "--one", kind, "--rows", str(rows), "--workdir", str(args.workdir),
           "--threads", str(args.threads), "--seed", str(args.seed)]
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode != 0:
        return {"error": done.stderr.strip().splitlines()[-1] if done.stderr.strip() else f"exit {done.returncode}"}
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--memory", default="100000,1000000,10000000")
    parser.add_argument("--dask", default="10000000,50000000")
    parser.add_argument("--exact-up-to", type=int, default=1_000_000)
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/anonymizer-scale"))
    parser.add_argument("--threads", type=int, default=1, help="threads of the lightgbm splitter's tree")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--one", help=argparse.SUPPRESS)
    parser.add_argument("--rows", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        folder = dataset(args.workdir, args.rows, args.seed)
        result = one_dask(folder, args.rows, args.seed) if args.one == "dask" else \
            one_memory(folder, args.one.split(":")[1], args.threads, args.seed)
        print(json.dumps(result))
        return
    runs = []
    for rows in [int(r) for r in args.memory.split(",") if r]:
        splitters = ["histogram", "lightgbm"] + (["exact"] if rows <= args.exact_up_to else [])
        for splitter in splitters:
            runs.append((f"memory ({splitter})", rows, measure(f"memory:{splitter}", rows, args)))
    for rows in [int(r) for r in args.dask.split(",") if r]:
        runs.append(("dask", rows, measure("dask", rows, args)))
    print(f"AG k={K}, 10 QIs, synthetic; LightGBM threads {args.threads}; seed {args.seed}\n")
    print("| engine | rows | load s | anonymize s | total s | peak MiB | k achieved | classes | note |")
    print("|---|---|---|---|---|---|---|---|---|")
    for label, rows, r in runs:
        if "error" in r:
            print(f"| {label} | {rows:,} | - | - | - | - | - | - | failed: {r['error']} |")
            continue
        note = ""
        if "limit_mib" in r:
            relation = "<" if r["limit_mib"] < r["data_mib"] else ">= (not out of core)"
            note = f"{r['workers']} worker(s), limits {r['limit_mib']} MiB {relation} data {r['data_mib']:.0f} MiB"
        load = f"{r['load']:.2f}" if "load" in r else "-"
        print(f"| {label} | {rows:,} | {load} | {r['seconds']:.2f} | {r['total']:.2f} | {r['peak_mib']:.0f} "
              f"| {r['k_achieved']} | {r['classes']} | {note} |")
    memory = {rows: r for label, rows, r in runs if label == "memory (histogram)" and "error" not in r}
    for label, rows, r in runs:
        if label.startswith("dask") and rows in memory and "error" not in r:
            print(f"\nDask / in-memory at {rows:,} rows (total s, read + anonymize + write): "
                  f"{r['total'] / memory[rows]['total']:.2f}")


if __name__ == "__main__":
    main()
