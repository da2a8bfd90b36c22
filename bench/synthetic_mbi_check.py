"""Our MST's estimate beside Private-PGM's (`mbi` 2.0, the MST authors' library) on the same noisy measurements.

    python -m venv /tmp/mbi-venv && /tmp/mbi-venv/bin/pip install mbi==2.0.0
    PYTHONPATH=. .venv/bin/python bench/synthetic_mbi_check.py [--mbi-python /tmp/mbi-venv/bin/python]

Our synthesizer measures each table (Adult, Nursery) at epsilon 1, 4, 16; the same measurements go to mbi's
mirror descent (1,000 iterations) in its own venv (bench/synthetic_mbi_side.py). Both samples are scored on the
compressed codes against the real rows: mean total variation distance over columns (1-way) and over every pair
of columns (2-way), with the seconds each estimation and sampling took.
"""

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from anonymizer.data import load_adult  # noqa: E402
from anonymizer.synthetic import MSTSynthesizer  # noqa: E402

NURSERY = Path(__file__).resolve().parents[2] / "shared" / "data" / "nursery" / "nursery.data"
NURSERY_COLUMNS = ["parents", "has_nurs", "form", "children", "housing", "finance", "social", "health", "class"]


def compressed(model: MSTSynthesizer, frame: pd.DataFrame) -> np.ndarray:
    return np.column_stack([model.maps_[j][d.encode(frame[d.name])] for j, d in enumerate(model.domains_)])


def tvds(real: np.ndarray, synth: np.ndarray, sizes: list[int]) -> tuple[float, float]:
    def tvd(a, b, m):
        return 0.5 * np.abs(np.bincount(a, minlength=m) / len(a) - np.bincount(b, minlength=m) / len(b)).sum()

    d = len(sizes)
    one = [tvd(real[:, j], synth[:, j], sizes[j]) for j in range(d)]
    two = [tvd(real[:, a] * sizes[b] + real[:, b], synth[:, a] * sizes[b] + synth[:, b], sizes[a] * sizes[b])
           for a in range(d) for b in range(a + 1, d)]
    return float(np.mean(one)), float(np.mean(two))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mbi-python", default="/tmp/mbi-venv/bin/python")
    parser.add_argument("--epsilons", default="1,4,16")
    parser.add_argument("--iters", type=int, default=1000)
    args = parser.parse_args()
    tables = {"Adult": load_adult(),
              "Nursery": pd.read_csv(NURSERY, header=None, names=NURSERY_COLUMNS)}
    side = Path(__file__).with_name("synthetic_mbi_side.py")
    rows = []
    for name, table in tables.items():
        for eps in [float(e) for e in args.epsilons.split(",")]:
            model = MSTSynthesizer(epsilon=eps, random_state=0).fit(table)
            m = model.measurements_
            t = time.perf_counter()
            ours = compressed(model, model.sample(len(table)))
            ours_seconds = time.perf_counter() - t
            real = compressed(model, table)
            with tempfile.TemporaryDirectory() as tmp:
                arrays = {"sizes": np.asarray(m["compressed_sizes"]), "sigma1": m["sigma_1way"],
                          "sigma2": m["sigma_2way"], "edges": np.asarray(model.edges_).ravel(),
                          "rows": len(table), "iters": args.iters}
                arrays.update({f"one_{j}": v for j, v in enumerate(m["one_way"])})
                arrays.update({f"two_{i}": m["two_way"][e] for i, e in enumerate(model.edges_)})
                np.savez(Path(tmp) / "in.npz", **arrays)
                subprocess.run([args.mbi_python, str(side), str(Path(tmp) / "in.npz"), str(Path(tmp) / "out.npz")],
                               check=True)
                out = np.load(Path(tmp) / "out.npz")
                theirs, mbi_seconds = out["codes"], float(out["seconds"])
            o1, o2 = tvds(real, ours, m["compressed_sizes"])
            t1, t2 = tvds(real, theirs, m["compressed_sizes"])
            rows.append({"table": name, "epsilon": eps, "ours tvd 1-way": o1, "mbi tvd 1-way": t1,
                         "ours tvd 2-way": o2, "mbi tvd 2-way": t2,
                         "ours s (estimate+sample)": model.seconds_ + ours_seconds, "mbi s": mbi_seconds})
    frame = pd.DataFrame(rows)
    print(frame.to_string(index=False, float_format=lambda v: f"{v:.4f}"))


if __name__ == "__main__":
    main()
