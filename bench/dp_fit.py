"""Fit time and accuracy of the DP-EBM comparator on Adult members (13,024 rows by default).

    .venv/bin/python bench/dp_fit.py [--rows 13024] [--epsilons 0.5,1,2,4,8]

Trains on the first `rows` of a seeded shuffle of adult.data with a public schema (Adult's documented
ranges and categories, written here, not read from the rows), scores on adult.test. Asserts nothing.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402

from anonymizer import ADULT_TARGET, load_adult  # noqa: E402
from anonymizer.dp import PrivacySchema, dp_model  # noqa: E402


def adult_schema(train) -> PrivacySchema:
    """Numeric ranges a census form allows; categories as the Adult documentation lists them (taken
    here from the public test split, never from the training rows)."""
    test = load_adult("test")
    bounds = {"age": (17, 90), "education-num": (1, 16), "capital-gain": (0, 99999), "capital-loss": (0, 4356),
              "hours-per-week": (1, 99)}
    features = {}
    for col in train.columns:
        if col == ADULT_TARGET:
            continue
        features[col] = bounds[col] if col in bounds else sorted(test[col].dropna().astype(str).unique())
    return PrivacySchema.from_mapping(features, classes=["<=50K", ">50K"])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=13024)
    parser.add_argument("--epsilons", default="1")
    args = parser.parse_args()
    train = load_adult("train")
    train = train.iloc[np.random.default_rng(0).permutation(len(train))[: args.rows]]
    test = load_adult("test")
    schema = adult_schema(train)
    X, y = train.drop(columns=ADULT_TARGET), train[ADULT_TARGET]
    print("| epsilon | fit seconds | test accuracy |\n|---|---|---|")
    for eps in (float(e) for e in args.epsilons.split(",")):
        start = time.perf_counter()
        model = dp_model(eps, schema=schema, random_state=0).fit(X, y)
        seconds = time.perf_counter() - start
        accuracy = float((model.predict(test) == test[ADULT_TARGET]).mean())
        print(f"| {eps:g} | {seconds:.1f} | {accuracy:.4f} |")


if __name__ == "__main__":
    main()
