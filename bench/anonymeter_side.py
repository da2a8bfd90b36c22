"""Anonymeter's three risks on the releases `bench/anonymeter_check.py` wrote (run in Anonymeter's own venv).

    ANONYMETER_PYTHON bench/anonymeter_side.py DIR

Anonymeter pins numpy < 1.27 and pyarrow < 22, so it cannot share the project's environment: this script
imports nothing of the project. It reads DIR/spec.json and the CSVs beside it, and prints one JSON object:
per release, each risk's value and 95% interval, and the attack and control rates.
"""

import json
import sys
import warnings
from pathlib import Path

import pandas as pd
from anonymeter.evaluators import InferenceEvaluator, LinkabilityEvaluator, SinglingOutEvaluator


def rates(evaluator) -> dict:
    risk = evaluator.risk(confidence_level=0.95)
    results = evaluator.results(confidence_level=0.95)
    return {"risk": float(risk.value), "risk_ci": [float(risk.ci[0]), float(risk.ci[1])],
            "attack_rate": float(results.attack_rate.value), "control_rate": float(results.control_rate.value)}


def main(folder: Path) -> None:
    spec = json.loads((folder / "spec.json").read_text())
    ori, control = pd.read_csv(folder / "train.csv"), pd.read_csv(folder / "control.csv")
    known, secret, n, seed = spec["known"], spec["secret"], spec["n_attacks"], spec["seed"]
    out = {}
    for name in spec["releases"]:
        syn = pd.read_csv(folder / f"{name}.csv")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            so = SinglingOutEvaluator(ori[known], syn[known], n_attacks=n, n_cols=3, control=control[known],
                                      seed=seed).evaluate(mode="multivariate")
            link = LinkabilityEvaluator(ori, syn, aux_cols=tuple(spec["halves"]), n_attacks=n, n_neighbors=1,
                                        control=control).evaluate(n_jobs=1)
            inf = InferenceEvaluator(ori, syn, aux_cols=known, secret=secret, n_attacks=n,
                                     control=control).evaluate(n_jobs=1)
        out[name] = {"singling_out": rates(so), "linkability": rates(link), "inference": rates(inf)}
    print(json.dumps(out))


if __name__ == "__main__":
    main(Path(sys.argv[1]))
