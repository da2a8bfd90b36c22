"""Column roles: which column is the target, which are quasi-identifiers, which is sensitive or dropped.

`Roles` is the one description of those choices that the CLI, the pages, the report and the pipeline
share. It is frozen and hashable, so it can key caches, and `validate` checks it against a table once.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import pandas as pd

from .data import DataError, validate_roles
from .names import TASKS

ROLE_NAMES = ("target", "quasi_identifiers", "sensitive", "dropped")


@dataclass(frozen=True)
class Roles:
    """The analyst's role choices. Lists are stored as tuples; `task` None means "detect from the target"."""

    target: str | None
    quasi_identifiers: tuple[str, ...]
    sensitive: str | None = None
    dropped: tuple[str, ...] = ()
    task: str | None = None

    def __post_init__(self):
        object.__setattr__(self, "quasi_identifiers", tuple(self.quasi_identifiers or ()))
        object.__setattr__(self, "dropped", tuple(self.dropped or ()))
        if self.task is not None and self.task not in TASKS:
            raise DataError(f"unknown task '{self.task}'; use classification or regression")

    def validate(self, df: pd.DataFrame, require_target: bool = False) -> Roles:
        """Raise DataError when the roles do not fit `df` (the table before dropping); returns self."""
        cols = set(df.columns)
        missing = [c for c in self.dropped if c not in cols]
        if missing:
            raise DataError(f"column(s) to drop not in the table: {missing}")
        used = {self.target, self.sensitive, *self.quasi_identifiers} - {None}
        clash = sorted(set(self.dropped) & used)
        if clash:
            raise DataError(f"dropped column(s) {clash} cannot also be the target, a quasi-identifier or the "
                            "sensitive attribute")
        if self.sensitive is not None and self.sensitive == self.target:
            raise DataError(f"the sensitive attribute '{self.sensitive}' is the target: attribute inference would "
                            "be handed the answer; choose another sensitive column")
        validate_roles(df, list(self.quasi_identifiers), self.target, self.sensitive, require_target)
        return self

    def kept_columns(self, df: pd.DataFrame) -> list[str]:
        """Columns released exactly as they are: neither generalized (QIs) nor dropped."""
        return [c for c in df.columns if c not in self.quasi_identifiers and c not in self.dropped]

    def assign(self, column: str, role: str) -> tuple[Roles, str]:
        """Give `column` the role `role` and take it out of every other role; returns (roles, note).

        The note says what moved (empty when nothing else held the column), so the order of edits never
        decides whether a choice is accepted.
        """
        if role not in ROLE_NAMES:
            raise DataError(f"unknown role '{role}'; use one of {ROLE_NAMES}")
        held = [name for name, holds in (("target", self.target == column),
                                         ("quasi-identifier", column in self.quasi_identifiers),
                                         ("sensitive attribute", self.sensitive == column),
                                         ("dropped", column in self.dropped)) if holds]
        new = replace(self, target=None if self.target == column else self.target,
                      quasi_identifiers=tuple(q for q in self.quasi_identifiers if q != column),
                      sensitive=None if self.sensitive == column else self.sensitive,
                      dropped=tuple(d for d in self.dropped if d != column))
        if role == "target":
            new = replace(new, target=column)
        elif role == "sensitive":
            new = replace(new, sensitive=column)
        elif role == "quasi_identifiers":
            new = replace(new, quasi_identifiers=(*new.quasi_identifiers, column))
        else:
            new = replace(new, dropped=(*new.dropped, column))
        wanted = {"target": "target", "quasi_identifiers": "quasi-identifier", "sensitive": "sensitive attribute",
                  "dropped": "dropped"}[role]
        moved = [h for h in held if h != wanted]
        note = f"'{column}' was the {' and '.join(moved)}; it is now the {wanted} only." if moved else ""
        return new, note
