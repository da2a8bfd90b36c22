"""What a publishable release must satisfy besides k: hierarchies, local suppression, l-diversity, t-closeness.

`ReleaseRules` holds the analyst's choices, one hashable value that the anonymizers, the analysis's memos,
the simulation, the CLI and the pages pass around. `Diversity` turns k, l and t into one test over per-class
counts of the sensitive values, used while partitioning (Mondrian's splits, the accuracy-guided tree's
merges) and by local suppression; the distances are the metrics' own (`metrics.entropy_l`,
`metrics.closeness`), so what is enforced is what is measured (docs/design.md, "Publishable releases").
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .data import DataError
from .hierarchies import Hierarchy, hierarchy_from_dict, hierarchy_to_dict
from .metrics import closeness, entropy_l, sensitive_codes

L_KINDS = ("distinct", "entropy")
SUPPRESSION_MODES = ("missing", "remove")
HIERARCHY_SPLITS = ("boundary", "lift")
_TOLERANCE = 1e-9


@dataclass(frozen=True)
class ReleaseRules:
    """Constraints on a release beyond k.

    hierarchies: (QI, Hierarchy) pairs; a class is released as the lowest node its values share.
    hierarchy_splits: 'boundary' (the accuracy-guided tree sees a hierarchy's QI at its finest released
        level, so it splits only at node boundaries) or 'lift' (the tree sees the values; classes lifted).
    max_suppression: the largest share of records that local suppression may suppress (0: off).
    suppression: 'missing' (their QI cells set to missing) or 'remove' (the rows left out of the release).
    l, l_kind: every class holds at least l distinct sensitive values ('distinct') or exp(entropy) >= l.
    t: every class's sensitive distribution within t of the table's.
    """

    hierarchies: tuple[tuple[str, Hierarchy], ...] = ()
    hierarchy_splits: str = "boundary"
    max_suppression: float = 0.0
    suppression: str = "missing"
    l: int | None = None  # noqa: E741 (the letter of the definition)
    l_kind: str = "distinct"
    t: float | None = None

    def __post_init__(self):
        if self.l is not None and (isinstance(self.l, bool) or int(self.l) != self.l or self.l < 1):
            raise DataError(f"l must be a whole number of at least 1, got {self.l}")
        if self.l_kind not in L_KINDS:
            raise DataError(f"l kind must be one of {', '.join(L_KINDS)}, got '{self.l_kind}'")
        if self.t is not None and not 0 <= self.t <= 1:
            raise DataError(f"t must be between 0 and 1, got {self.t}")
        if not 0 <= self.max_suppression < 1:
            raise DataError(f"the suppression limit must be a share from 0 up to (not including) 1, "
                            f"got {self.max_suppression}")
        if self.suppression not in SUPPRESSION_MODES:
            raise DataError(f"suppression must be one of {', '.join(SUPPRESSION_MODES)}, got '{self.suppression}'")
        if self.hierarchy_splits not in HIERARCHY_SPLITS:
            raise DataError(f"hierarchy splits must be one of {', '.join(HIERARCHY_SPLITS)}")
        names = [q for q, _ in self.hierarchies]
        if len(set(names)) != len(names):
            raise DataError("a column is given two hierarchies")

    @property
    def active(self) -> bool:
        return bool(self.hierarchies) or self.max_suppression > 0 or self.needs_sensitive

    @property
    def needs_sensitive(self) -> bool:
        return (self.l is not None and self.l > 1) or self.t is not None

    def hierarchy(self, column: str) -> Hierarchy | None:
        return dict(self.hierarchies).get(column)

    def check(self, table: pd.DataFrame, quasi_identifiers, sensitive: str | None) -> None:
        """Refuse rules that do not fit the table (one line each): a hierarchy of a column that is not a QI or
        that leaves values uncovered, l or t without a sensitive attribute or beyond what the table holds."""
        qis = list(quasi_identifiers)
        for column, hierarchy in self.hierarchies:
            if column not in qis:
                raise DataError(f"a hierarchy is given for '{column}', which is not a quasi-identifier")
            hierarchy.check_column(table[column])
        if self.needs_sensitive:
            if sensitive is None:
                raise DataError("l-diversity and t-closeness need a sensitive attribute (--sensitive)")
            if sensitive in qis:
                raise DataError(f"the sensitive attribute '{sensitive}' is also a quasi-identifier; "
                                "l and t constrain a column that is released as it is")
            Diversity(self, table[sensitive], 1).check_table()

    def to_dict(self) -> dict:
        """The report's keys for the rules asked (the achieved figures are the metrics')."""
        return {"hierarchies": {q: h.spec for q, h in self.hierarchies},
                "hierarchy_splits": self.hierarchy_splits if self.hierarchies else None,
                "max_suppression": self.max_suppression, "suppression": self.suppression,
                "l_required": self.l, "l_kind": self.l_kind if self.l is not None else None,
                "t_required": self.t}

    def to_scenario(self) -> dict:
        """The rules as a scenario holds them: every field, each hierarchy rebuildable (`from_scenario`)."""
        return {"hierarchies": {q: hierarchy_to_dict(h) for q, h in self.hierarchies},
                "hierarchy_splits": self.hierarchy_splits, "max_suppression": self.max_suppression,
                "suppression": self.suppression, "l": self.l, "l_kind": self.l_kind, "t": self.t}

    @classmethod
    def from_scenario(cls, d) -> ReleaseRules:
        """The rules of `to_scenario`'s JSON; a value of the wrong type is refused in one line, never converted."""
        if not isinstance(d, dict):
            raise DataError("'release_rules' in a scenario is an object")
        hierarchies = d.get("hierarchies", {})
        if not isinstance(hierarchies, dict):
            raise DataError("'release_rules.hierarchies' is an object of column: hierarchy")

        def value(name, types, default, what):
            v = d.get(name, default)
            if v is not None and (isinstance(v, bool) or not isinstance(v, types)):
                raise DataError(f"'release_rules.{name}' must be {what}; got {v!r}")
            return v

        share = value("max_suppression", (int, float), 0.0, "a number")
        t = value("t", (int, float), None, "a number or null")
        return cls(hierarchies=tuple((str(q), hierarchy_from_dict(h)) for q, h in hierarchies.items()),
                   hierarchy_splits=value("hierarchy_splits", (str,), "boundary", "boundary or lift"),
                   max_suppression=float(share),
                   suppression=value("suppression", (str,), "missing", "missing or remove"),
                   l=value("l", (int,), None, "a whole number or null"),
                   l_kind=value("l_kind", (str,), "distinct", "distinct or entropy"),
                   t=None if t is None else float(t))

    def describe(self) -> str:
        """The rules in words, '' for k alone."""
        parts = []
        if self.hierarchies:
            parts.append("hierarchies on " + ", ".join(f"'{q}' ({h.spec})" for q, h in self.hierarchies))
        if self.l is not None and self.l > 1:
            parts.append(f"{self.l_kind} l >= {self.l}")
        if self.t is not None:
            parts.append(f"t <= {self.t:g}")
        if self.max_suppression > 0:
            how = "QI cells set to missing" if self.suppression == "missing" else "rows removed"
            parts.append(f"local suppression of at most {self.max_suppression:.1%} of records ({how})")
        return "; ".join(parts)


NO_RULES = ReleaseRules()


class Diversity:
    """k, l and t as one test of classes given as per-class counts of the sensitive values (`ok`).

    Without a sensitive constraint the counts have one column (the class sizes) and only k is tested.
    `codes` are the rows' sensitive codes (0..m-1), `counts(groups)` the per-group count matrix.
    """

    def __init__(self, rules: ReleaseRules, sensitive: pd.Series | None, k: int):
        self.k, self.rules = int(k), rules
        self.constrained = rules.needs_sensitive and sensitive is not None
        if self.constrained:
            self.codes, self.m, self.ordered = sensitive_codes(sensitive)
            self.overall = np.bincount(self.codes, minlength=self.m) / len(self.codes)
            self.name = sensitive.name
        else:
            self.codes, self.m = None, 1

    def counts(self, groups: np.ndarray, n_groups: int) -> np.ndarray:
        if not self.constrained:
            return np.bincount(groups, minlength=n_groups)[:, None]
        keys = groups.astype(np.int64) * self.m + self.codes
        return np.bincount(keys, minlength=n_groups * self.m).reshape(n_groups, self.m)

    def ok(self, counts: np.ndarray, overall: np.ndarray | None = None) -> np.ndarray:
        """Per row of `counts`, whether that class passes k, l and t (t against `overall`, by default the
        table's distribution of the sensitive values)."""
        counts = np.atleast_2d(counts)
        sizes = counts.sum(axis=1)
        good = sizes >= self.k
        if not self.constrained:
            return good
        p = counts / np.maximum(sizes, 1)[:, None]
        rules = self.rules
        if rules.l is not None and rules.l > 1:
            if rules.l_kind == "distinct":
                good &= (counts > 0).sum(axis=1) >= rules.l
            else:
                good &= entropy_l(p) >= rules.l - _TOLERANCE
        if rules.t is not None:
            good &= closeness(p, self.overall if overall is None else overall, self.ordered) <= rules.t + _TOLERANCE
        return good & (sizes > 0)

    def rows_ok(self, rows: np.ndarray) -> bool:
        """Whether the rows `rows` (positions) pass as one class."""
        if not self.constrained:
            return len(rows) >= self.k
        return bool(self.ok(np.bincount(self.codes[rows], minlength=self.m)[None, :])[0])

    def check_table(self) -> None:
        """The whole table is the coarsest class: refuse l or t it cannot meet."""
        if not self.constrained:
            return
        counts = np.bincount(self.codes, minlength=self.m)[None, :]
        rules = self.rules
        if rules.l is not None and rules.l > 1:
            if rules.l_kind == "distinct" and self.m < rules.l:
                raise DataError(f"'{self.name}' holds {self.m} distinct value(s) in the whole table; "
                                f"distinct l = {rules.l} cannot be met by any class")
            if rules.l_kind == "entropy":
                whole = float(entropy_l(counts / counts.sum())[0])
                if whole < rules.l - _TOLERANCE:
                    raise DataError(f"the whole table's entropy l of '{self.name}' is {whole:.2f}; entropy "
                                    f"l = {rules.l} cannot be met by any class")
