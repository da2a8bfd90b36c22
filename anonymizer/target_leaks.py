"""Columns that give the target away, checked for whatever target is in use.

A column that holds the target in another form (`logwage` beside `wage`, an integer copy of a label) or
that was recorded after the outcome (a year of death beside `death`) makes every utility figure measure
that column instead of the model. The check runs for the target in use wherever it comes from: the
suggestion, the analyst's pick on the Data page, or `--target` on the command line (`Analysis.target_leaks`);
its result is one `results.TargetLeakCheck` (docs/design.md, "Target leaks").

Two tests per column: one to one with the target (on values that repeat), or predicting it alone on
held-out rows: one shallow tree per column (depth 6, at least 5 rows a leaf) on 2/3 of at most 20,000
labelled rows, scored on the other third (balanced accuracy for classes, R² for amounts), so a near-unique
id cannot look predictive by memorizing rows. At or above 0.99 the column is a leak (suggested for
dropping); from 0.95 to 0.99 it is "near" (a warning: check it was known before the outcome).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from pandas.api import types as ptypes

from .data import DATE, column_kind
from .names import REGRESSION
from .results import LEAK, NEAR, TargetLeak, TargetLeakCheck

LEAK_SCORE = 0.99  # held-out balanced accuracy (classes) or R² (amounts) of one column alone: a leak
NEAR_SCORE = 0.95  # ... from here to LEAK_SCORE: near, a warning
LEAK_SAMPLE = 20_000
MIN_ROWS = 60  # below this, a held-out third is too small to tell
LEAK_SEED = 0  # the check's own seed, whatever the analysis's: the suggestion, the Data page, the analysis, the
# CLI and the Dask engine must find the same columns on the same table


def same_information(a: pd.Series, b: pd.Series) -> bool:
    """Two columns that map one-to-one (education and education-num), on values that repeat.

    Compared on the rows where both are present, through their codes (`pd.factorize`): each side has as
    many distinct values as there are distinct pairs, at least 2 and at most half the rows.
    """
    ca, cb = pd.factorize(a)[0], pd.factorize(b)[0]
    both = (ca >= 0) & (cb >= 0)
    ca, cb = ca[both].astype(np.int64), cb[both].astype(np.int64)
    if len(ca) == 0:
        return False
    na, nb = len(np.unique(ca)), len(np.unique(cb))
    if na < 2 or na != nb or na > 0.5 * len(ca):
        return False
    return len(np.unique(ca * (int(cb.max()) + 1) + cb)) == na


def as_number(column: pd.Series) -> np.ndarray:
    """One column as a float matrix for a tree: numbers as they are, dates as days, text as codes."""
    if column_kind(column) == DATE:
        from .data import as_numbers

        values = as_numbers(column)
    elif ptypes.is_bool_dtype(column) or ptypes.is_numeric_dtype(column):
        values = pd.to_numeric(column, errors="coerce").astype(float).to_numpy()
    else:
        codes = pd.factorize(column.astype(str).where(column.notna()))[0].astype(float)
        values = np.where(codes < 0, np.nan, codes)
    values = np.where(np.isfinite(values), values, np.nan)
    return values.reshape(-1, 1)


MONOTONE = 0.9999  # |Spearman rank correlation| from which a numeric column is a function of an amount target


def _rank_correlation(column: pd.Series, target: pd.Series) -> float | None:
    """The rank correlation of a numeric column with a numeric target, when it is at least MONOTONE in size."""
    if column_kind(column) != "numeric" or column_kind(target) != "numeric":
        return None
    pairs = pd.DataFrame({"x": column.to_numpy(dtype=float, na_value=np.nan),
                          "y": target.to_numpy(dtype=float, na_value=np.nan)}).dropna()
    if len(pairs) < MIN_ROWS or pairs["x"].nunique() < 3:
        return None
    if len(pairs) > LEAK_SAMPLE:
        pairs = pairs.sample(LEAK_SAMPLE, random_state=LEAK_SEED)
    rho = float(pairs["x"].rank().corr(pairs["y"].rank()))
    return rho if np.isfinite(rho) and abs(rho) >= MONOTONE else None


def _predictive_scores(frame: pd.DataFrame, target: str, task: str, columns: list[str],
                       seed: int) -> dict[str, tuple[float, str]]:
    """column -> (held-out score of a shallow tree on that column alone, the score's name)."""
    from sklearn.metrics import balanced_accuracy_score, r2_score
    from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

    labelled = frame[frame[target].notna()]
    if len(labelled) > LEAK_SAMPLE:
        labelled = labelled.sample(LEAK_SAMPLE, random_state=seed)
    if len(labelled) < MIN_ROWS:
        return {}
    test = np.random.default_rng(seed).random(len(labelled)) < 1 / 3
    y = labelled[target]
    if task == REGRESSION:
        y = pd.to_numeric(y, errors="coerce").to_numpy(dtype=float)
        if not np.isfinite(y).all() or np.std(y[test]) == 0:
            return {}
    else:
        y = pd.factorize(y.astype(str))[0]
        if len(np.unique(y[test])) < 2:
            return {}
    out = {}
    for name in columns:
        x = as_number(labelled[name])
        if task == REGRESSION:
            tree = DecisionTreeRegressor(max_depth=6, min_samples_leaf=5, random_state=seed)
            out[name] = (float(r2_score(y[test], tree.fit(x[~test], y[~test]).predict(x[test]))), "R²")
        else:
            tree = DecisionTreeClassifier(max_depth=6, min_samples_leaf=5, random_state=seed)
            score = balanced_accuracy_score(y[test], tree.fit(x[~test], y[~test]).predict(x[test]))
            out[name] = (float(score), "balanced accuracy")
    return out


def check_target_leaks(frame: pd.DataFrame, target: str, task: str | None, columns: list[str] | None = None,
                       seed: int = LEAK_SEED) -> TargetLeakCheck:
    """The target-leak check of `columns` (default: every other column) against `target`."""
    columns = [c for c in (frame.columns if columns is None else columns) if c != target]
    findings = []
    for name in columns:
        if same_information(frame[name], frame[target]):
            findings.append(TargetLeak(str(name), f"holds the same information as the target '{target}' "
                                                  "(one-to-one)", LEAK))
        elif task == REGRESSION and (rho := _rank_correlation(frame[name], frame[target])) is not None:
            # an amount and a monotone function of it (log income beside income): one-to-one on values that
            # do not repeat, which a shallow tree only approximates (R² 0.984 on ISLR Credit)
            findings.append(TargetLeak(str(name), f"is a monotone function of the target '{target}' (rank "
                                                  f"correlation {rho:+.4f})", LEAK, abs(rho)))
    if task is not None:
        rest = [c for c in columns if str(c) not in {f.column for f in findings}]
        for name, (score, what) in _predictive_scores(frame, target, task, rest, seed).items():
            if score >= NEAR_SCORE:
                level = LEAK if score >= LEAK_SCORE else NEAR
                findings.append(TargetLeak(str(name), f"predicts the target '{target}' on its own ({what} "
                                                      f"{score:.3f} on held-out rows)", level, score))
    return TargetLeakCheck(str(target), task or "", tuple(findings), LEAK_SCORE, NEAR_SCORE,
                           int(min(frame[target].notna().sum(), LEAK_SAMPLE)))


def target_leaks_for(table: pd.DataFrame, roles, seed: int = LEAK_SEED) -> TargetLeakCheck | None:
    """The check for `roles`' target on `table` as the analysis uses it (dropped columns left out; the task
    as chosen, else detected); None without a target or when its task cannot be told."""
    from .data import DataError
    from .suggest import detect_task

    if roles.target is None or roles.target not in table.columns:
        return None
    frame = table.drop(columns=[c for c in roles.dropped if c in table.columns])
    try:
        task = roles.task or detect_task(frame[roles.target])[0]
    except DataError:
        return None
    return check_target_leaks(frame, roles.target, task, None, seed)


def drop_leaking(roles, check: TargetLeakCheck | None):
    """(roles with every leaking column dropped, one note per column moved): what the dashboard does when a
    target is picked by hand, as the suggestion does for the target it names."""
    notes = []
    for finding in check.leaks if check is not None else ():
        if finding.column not in roles.dropped:
            roles, _ = roles.assign(finding.column, "dropped")
            notes.append(f"'{finding.column}' {finding.reason}: moved to the dropped columns, or every utility "
                         "figure would measure it; take it out of the drop list if the model really has it before "
                         "the outcome.")
    return roles, notes
