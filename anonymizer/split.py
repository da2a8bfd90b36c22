"""One seeded split of the rows, made before anything is anonymized (docs/design.md, "The simulation").

Members train the model (and are what gets anonymized in the simulation), non-members are never trained
on, the attacker's pool trains reference models, and the hold-out scores accuracy. Every part is a view of
the analysis table, so each number can say which rows it was measured on.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .data import DataError

MIN_PART = 10


def split_rows(n: int, member_share: float, nonmember_share: float, seed: int):
    """Member, non-member and pool row positions: one seeded permutation, cut in three."""
    if not (0 < member_share and 0 < nonmember_share and member_share + nonmember_share < 1):
        raise DataError("member and non-member shares must be positive and leave room for the attacker's pool")
    order = np.random.default_rng(seed).permutation(n)
    a = int(round(n * member_share))
    b = a + int(round(n * nonmember_share))
    return order[:a], order[a:b], order[b:]


@dataclass(frozen=True)
class Split:
    """The four parts and where they came from (`describe` says it in words)."""

    members: pd.DataFrame = field(repr=False)
    nonmembers: pd.DataFrame = field(repr=False)
    pool: pd.DataFrame = field(repr=False)
    holdout: pd.DataFrame = field(repr=False)
    holdout_source: str  # "the test table" or "the non-members"
    seed: int

    def sizes(self) -> dict[str, int]:
        return {"members": len(self.members), "nonmembers": len(self.nonmembers), "attacker_pool": len(self.pool),
                "holdout": len(self.holdout)}

    @property
    def members_text(self) -> str:
        """What a simulation's k counts, for messages (its members, not the whole table)."""
        return f"the simulation's members (the training data that gets anonymized: {len(self.members):,} rows)"

    def describe(self) -> str:
        return (f"one seeded split (seed {self.seed}): {len(self.members):,} members (the training data that gets "
                f"anonymized), {len(self.nonmembers):,} non-members and an attacker's pool of {len(self.pool):,}; "
                f"accuracy on {len(self.holdout):,} records of {self.holdout_source}, never on training data")


def make_split(table: pd.DataFrame, seed: int, test: pd.DataFrame | None = None, model_given: bool = False,
               member_share: float = 0.4, nonmember_share: float = 0.2) -> Split:
    """Split `table` (rows with a target only).

    Without a trained model, the table is cut into members / non-members / pool; the hold-out is the test
    table when given, else the non-members. With a trained model the table is taken to be its training data
    (all members) and the test table, required, is halved into non-members and pool.
    """
    if not model_given:
        m, n, p = split_rows(len(table), member_share, nonmember_share, seed)
        members, nonmembers, pool = (table.iloc[i] for i in (m, n, p))
        holdout, source = (test, "the test table") if test is not None else (nonmembers, "the non-members")
    else:
        if test is None:
            raise DataError("with a trained model, a test table is needed: the data table is taken to be the "
                            "model's training data, and non-members must come from elsewhere")
        order = np.random.default_rng(seed).permutation(len(test))
        half = len(test) // 2
        members, nonmembers, pool = table, test.iloc[order[:half]], test.iloc[order[half:]]
        holdout, source = nonmembers, "the non-members (half the test table)"
    if min(len(members), len(nonmembers), len(pool)) < MIN_PART:
        raise DataError(f"too few rows to split into members, non-members and an attacker's pool (at least "
                        f"{MIN_PART} each; the table has {len(table):,} rows with a target)")
    return Split(members, nonmembers, pool, holdout, source, seed)
