"""Our singling-out, linkability and inference risks beside Anonymeter's, on releases both can read (issue 18).

    .venv/bin/python bench/anonymeter_check.py [--python /tmp/anonymeter-venv/bin/python] [--rows 2000]

Anonymeter (Giomi et al., PETS 2023; the definitions the CNIL accepted) cannot be a dependency: it pins
numpy < 1.27 and pyarrow < 22. Set its venv up once with

    python3.11 -m venv /tmp/anonymeter-venv && /tmp/anonymeter-venv/bin/pip install anonymeter

On Adult: `--rows` released people (train), as many held out (control), and three releases of plain values
(Anonymeter reads no `[lo, hi]` ranges or `{a, b}` sets): a copy of the released people, a noisy copy (numbers
off by 5% of their span, 20% of categories replaced) and an independent draw of other people. Both tools get
the same tables, the same known columns, the same two halves for linkability and the same secret. Printed: each
risk with its 95% interval from both, and whether the intervals overlap. Where the attacks differ by design
(Anonymeter's numeric predicates are one-sided `x <= v` / `x >= v`, ours the released cell; its nearest
neighbour breaks ties by index, ours picks among them at random) the table says so rather than hides it.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from anonymizer import load_adult  # noqa: E402
from anonymizer.release_attacks import release_risks  # noqa: E402

KNOWN = ["age", "sex", "race", "marital-status", "education-num", "hours-per-week"]
HALVES = (["age", "sex", "race"], ["marital-status", "education-num", "hours-per-week"])
SECRET = "occupation"
RISKS = ("singling_out", "linkability", "inference")


def releases(train: pd.DataFrame, other: pd.DataFrame, seed: int) -> dict[str, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    noisy = train.copy()
    for c in ("age", "hours-per-week", "education-num"):
        span = float(train[c].max() - train[c].min())
        noisy[c] = np.round(train[c] + rng.normal(0, 0.05 * span, len(train))).astype(int)
    for c in ("sex", "race", "marital-status", SECRET):
        flip = rng.random(len(train)) < 0.2
        noisy.loc[flip, c] = rng.choice(train[c].dropna().unique(), int(flip.sum()))
    return {"copy": train.copy(), "noisy_copy": noisy, "independent": other.copy()}


def fmt(r: dict) -> str:
    return "n/a" if r["risk"] is None else f"{r['risk']:+.3f} [{r['risk_ci'][0]:+.3f}, {r['risk_ci'][1]:+.3f}]"


def overlap(a: dict, b: dict) -> str:
    if a["risk"] is None or b["risk"] is None:
        return "-"
    return "yes" if a["risk_ci"][0] <= b["risk_ci"][1] and b["risk_ci"][0] <= a["risk_ci"][1] else "NO"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--python", default="/tmp/anonymeter-venv/bin/python", help="Anonymeter's venv python")
    parser.add_argument("--rows", type=int, default=2000)
    parser.add_argument("--attacks", type=int, default=500)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    table = load_adult("train")[KNOWN + [SECRET]].dropna().sample(3 * args.rows, random_state=args.seed)
    table = table.reset_index(drop=True)
    train, control, other = (table.iloc[i * args.rows:(i + 1) * args.rows].reset_index(drop=True) for i in range(3))
    made = releases(train, other, args.seed)
    ours, seconds = {}, {}
    for name, release in made.items():
        t = time.perf_counter()
        ours[name] = release_risks(release, train, control, KNOWN, SECRET, n_attacks=args.attacks, seed=args.seed,
                                   halves=HALVES)
        seconds[name] = time.perf_counter() - t
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        train.to_csv(folder / "train.csv", index=False)
        control.to_csv(folder / "control.csv", index=False)
        for name, release in made.items():
            release.to_csv(folder / f"{name}.csv", index=False)
        (folder / "spec.json").write_text(json.dumps({"known": KNOWN, "secret": SECRET, "halves": HALVES,
                                                       "n_attacks": args.attacks, "seed": args.seed,
                                                       "releases": list(made)}))
        t = time.perf_counter()
        done = subprocess.run([args.python, str(Path(__file__).with_name("anonymeter_side.py")), str(folder)],
                              capture_output=True, text=True)
        their_seconds = time.perf_counter() - t
    if done.returncode != 0:
        sys.exit(f"error: Anonymeter's run failed: {done.stderr.strip().splitlines()[-1:]}")
    theirs = json.loads(done.stdout)
    print(f"Adult, {args.rows:,} released, {args.rows:,} control, {args.attacks} attacks, seed {args.seed}; known "
          f"{', '.join(KNOWN)}; secret {SECRET}; halves {HALVES[0]} | {HALVES[1]}")
    print(f"{'release':<12} {'risk':<13} {'ours (95% CI)':<28} {'Anonymeter (95% CI)':<28} {'overlap':<8} "
          f"{'ours: attack/control':<21} Anonymeter: attack/control")
    for name in made:
        for risk in RISKS:
            a, b = ours[name][risk], theirs[name][risk]
            rates_a = "-" if a["attack_rate"] is None else f"{a['attack_rate']:.3f} / {a['control_rate']:.3f}"
            print(f"{name:<12} {risk:<13} {fmt(a):<28} {fmt(b):<28} {overlap(a, b):<8} {rates_a:<21} "
                  f"{b['attack_rate']:.3f} / {b['control_rate']:.3f}")
    print(f"seconds: ours {sum(seconds.values()):.1f} for the three releases; Anonymeter {their_seconds:.1f} "
          "(with its start-up)")


if __name__ == "__main__":
    main()
