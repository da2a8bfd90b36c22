"""Re-identification risk when the released table is a sample of a population (issue 18).

Class sizes counted in the release are sample sizes: a record alone in its class of the sample may share its
QI values with many people of the population the sample was drawn from. Given the sampling fraction pi, the
population size of a class of sample size f is unknown; the standard model (Benedetti and Franconi 1998, as
sdcMicro's individual risk uses it) takes it as f plus a negative binomial number of unseen people, so the
risk of a record, E[1/F | f], is a short series. From it:

- **journalist risk**: the highest record risk (an adversary who targets the easiest person);
- **marketer risk**: the mean record risk (the expected share re-identified when everyone is attacked);
- **population uniques** (Zayatz 1991): how many sample uniques are also unique in the population, from the
  sample's class-size distribution and the hypergeometric chance of drawing one of i.

With pi = 1 the table is the population: the risk of a record is 1/f, the prosecutor figure.
"""

from __future__ import annotations

import math
from collections import Counter

import numpy as np
import pandas as pd


def record_risk(f: int, pi: float) -> float:
    """E[1/F | f]: F - f ~ NegBin(f, pi), i.e. P(F = h) = C(h-1, f-1) pi^f (1-pi)^(h-f) for h >= f."""
    if f < 1:
        raise ValueError("a class holds at least one record")
    if pi >= 1:
        return 1.0 / f
    if f == 1:  # the series in closed form: pi / (1 - pi) * log(1 / pi)
        return pi / (1 - pi) * math.log(1 / pi)
    q, total, h = 1 - pi, 0.0, f
    log_p = f * math.log(pi)
    while True:
        log_term = math.lgamma(h) - math.lgamma(f) - math.lgamma(h - f + 1) + log_p + (h - f) * math.log(q)
        term = math.exp(log_term) / h
        total += term
        if term < 1e-15 * max(total, 1e-300) and h > f + 10:
            return total
        h += 1


def zayatz_uniques(class_sizes: np.ndarray, pi: float) -> float:
    """Zayatz's estimate of the sample uniques that are population uniques.

    The population's class-size distribution is taken as the sample's (the share of sample classes of size
    i); a population class of size i leaves exactly one record in a sample of n from N with the hypergeometric
    probability P(1; N, i, n). Bayes gives the chance that a sample unique is a population unique."""
    sizes = np.asarray(class_sizes, dtype=int)
    n = int(sizes.sum())
    uniques = int((sizes == 1).sum())
    if pi >= 1 or uniques == 0:
        return float(uniques)
    population = int(round(n / pi))
    counts = Counter(sizes.tolist())
    classes = len(sizes)
    weighted = {}
    for i, c in counts.items():
        weighted[i] = (c / classes) * _one_drawn(population, i, n)
    total = sum(weighted.values())
    return uniques * weighted.get(1, 0.0) / total if total > 0 else float(uniques)


def _one_drawn(population: int, i: int, n: int) -> float:
    """P(exactly one of i marked items in a draw of n from population), hypergeometric, in logs."""
    if i > population or n > population:
        return 0.0
    if population - i < n - 1:
        return 0.0

    def log_comb(a, b):
        return math.lgamma(a + 1) - math.lgamma(b + 1) - math.lgamma(a - b + 1)

    return math.exp(math.log(i) + log_comb(population - i, n - 1) - log_comb(population, n))


def population_risk(class_sizes: np.ndarray, pi: float) -> dict:
    """The population figures of a release whose classes (sample sizes) are `class_sizes`, drawn with
    sampling fraction `pi` from its population."""
    if not 0 < pi <= 1:
        raise ValueError("the sampling fraction must be in (0, 1]")
    sizes = np.asarray(class_sizes, dtype=int)
    risks = {int(f): record_risk(int(f), pi) for f in np.unique(sizes)}
    per_record = np.repeat([risks[int(f)] for f in sizes], sizes)
    return {"sampling_fraction": pi, "journalist_risk": float(per_record.max()),
            "marketer_risk": float(per_record.mean()), "population_uniques": zayatz_uniques(sizes, pi),
            "sample_uniques": int((sizes == 1).sum()), "estimator": "Zayatz (1991); record risk E[1/F | f] with "
            "a negative binomial population (Benedetti and Franconi 1998)"}


def population_table(named_sizes: dict[str, np.ndarray], pi: float) -> pd.DataFrame:
    """The population figures of several releases ({label: class sizes}) at sampling fraction `pi`, one row
    each, beside the sample's own (prosecutor) figures."""
    rows = []
    for label, sizes in named_sizes.items():
        sizes = np.asarray(sizes)
        sizes = sizes[sizes > 0]
        p = population_risk(sizes, pi)
        rows.append({"release": label, "sample uniques": p["sample_uniques"],
                     "population uniques (est.)": round(p["population_uniques"], 1),
                     "journalist risk": f"{p['journalist_risk']:.2%}", "marketer risk": f"{p['marketer_risk']:.2%}",
                     "sample: max risk (1 / smallest class)": f"{1 / sizes.min():.2%}",
                     "sample: average risk": f"{len(sizes) / sizes.sum():.2%}"})
    return pd.DataFrame(rows)
