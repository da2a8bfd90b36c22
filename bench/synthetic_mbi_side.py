"""Runs in mbi's own venv (jax): Private-PGM's estimate from the noisy measurements our MST made.

Called by bench/synthetic_mbi_check.py with an .npz of measurements; writes the synthetic codes mbi samples.
Not part of the package (mbi is not a dependency: see anonymizer/synthetic.py).
"""

import sys
import time

import jax
import numpy as np

jax.config.update("jax_enable_x64", True)
jax.config.update("jax_enable_compilation_cache", False)

from mbi import Domain, LinearMeasurement  # noqa: E402
from mbi.estimation import MirrorDescent  # noqa: E402


def main(path_in: str, path_out: str) -> None:
    data = np.load(path_in, allow_pickle=False)
    sizes = [int(v) for v in data["sizes"]]
    names = [f"c{j}" for j in range(len(sizes))]
    domain = Domain(names, sizes)
    measurements = [LinearMeasurement(data[f"one_{j}"], (names[j],), stddev=float(data["sigma1"]))
                    for j in range(len(sizes))]
    edges = data["edges"].reshape(-1, 2)
    for i, (a, b) in enumerate(edges):
        measurements.append(LinearMeasurement(data[f"two_{i}"].ravel(), (names[a], names[b]),
                                              stddev=float(data["sigma2"])))
    t = time.perf_counter()
    model = MirrorDescent().estimate(domain, measurements, iters=int(data["iters"]))
    synthetic = model.synthetic_data(rows=int(data["rows"]), method="sample")
    seconds = time.perf_counter() - t
    columns = synthetic.to_dict()
    codes = np.column_stack([np.asarray(columns[n]) for n in names])
    np.savez(path_out, codes=codes, seconds=seconds)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
