"""Attacks on the released table itself, as an adversary with other data would run them (issue 18).

The model attacks ask what the retrained model gives away; these ask what the table does. "Anonymized data
isn't" is the warning: a release is re-identified by linking it with an identified table that shares some of
its columns (a voter list, a customer file). Two families:

- **Linkage** (`linkage_attack`): the adversary holds an auxiliary table with a direct identifier and some of
  the released columns for a sample of the population, only part of which is in the release. Each auxiliary
  row is compared with every released class: an exact value must lie in the class's `[lo, hi]` or `{a, b}`
  (or equal its representative value), a coarsened value's band must overlap it, a noisy value scores a
  Gaussian (numbers) or flip (categories) log-likelihood. The adversary claims the best class when its score
  clears a threshold set from the adversary's own noise model (the score a true match reaches in 95% of
  cases), and names a random person of it. Reported with 95% Wilson intervals and beside the class-size
  baseline (a random pick within the target's class: the mean of 1/size, the prosecutor figure).
- **Risks with a control set** (`release_risks`, the definitions Anonymeter made standard): singling-out,
  linkability and inference, each as the attack's success on the rows that were released minus its success
  on held-out rows of the same population that were not (the control), scaled by (1 - control):
  risk = (attack - control) / (1 - control). Whatever an attacker gets from the population's general
  statistics is in both and cancels.

Released cells are read in either output form: a number or date as itself or `[lo, hi]`, a category as itself
or `{a, b}`; a missing cell tells nothing. Distances (Gower's): a number's distance to a range over the
column's span, a category's 0 inside the set and 1 outside, averaged over the columns.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .data import DATE, NUMERIC, DataError, as_numbers, column_kind
from .stats import wilson_interval

EXACT, COARSENED, NOISY = "exact", "coarsened", "noisy"
KNOWLEDGE = (EXACT, COARSENED, NOISY)
COARSE_SHARE = 0.10  # a coarsened number is known to a band of 10% of its column's span
NOISE_SHARE = 0.05  # a noisy number is off by a Gaussian of 5% of its column's span (standard deviation)
FLIP_SHARE = 0.10  # a noisy category is another value of the column with this probability
CLAIM_QUANTILE = 0.05  # a claim needs a score that a true match reaches in 95% of cases
MAX_TARGETS = 5_000  # released people in an auxiliary table made from the data, at most (a 95% interval of +-1.4%)
DEFAULT_ATTACKS = 500  # targets of each release risk, on the released rows and on the control alike
_CHUNK = 256


# --- the released cells ---------------------------------------------------------------------------------

@dataclass
class Cells:
    """The released table's cells on some columns, as ranges (numbers, dates: float day counts) or sets
    (categories, as codes of `categories`). NaN bounds and an empty set tell nothing."""

    kinds: dict[str, str]
    lo: dict[str, np.ndarray]
    hi: dict[str, np.ndarray]
    member: dict[str, np.ndarray]  # rows x categories, True where the category is in the row's set
    categories: dict[str, dict[str, int]]
    span: dict[str, float]
    n: int
    unreadable: dict = field(default_factory=dict)  # column -> rows whose cell holds no value of the original
    _classes: dict = field(default_factory=dict, repr=False, compare=False)

    def ordered(self, c: str) -> bool:
        return self.kinds[c] in (NUMERIC, DATE)

    def classes(self, columns: list[str]) -> tuple[np.ndarray, np.ndarray]:
        """(each row's class over `columns`, the first row of each class); kept, as the attacks ask often."""
        key = tuple(sorted(columns))
        if key not in self._classes:
            codes = _class_codes(self, list(key))
            self._classes[key] = (codes, np.unique(codes, return_index=True)[1])
        return self._classes[key]


def _parse_ordered(released: pd.Series, like: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    if column_kind(released) in (NUMERIC, DATE):
        v = as_numbers(released)
        return v, v.copy()
    text = released.astype("str").where(released.notna())
    ranged = text.str.match(r"^\[.*, .*\]$", na=False)
    lo_text, hi_text = text.copy(), text.copy()
    if ranged.any():
        inner = text[ranged].str.slice(1, -1).str.split(", ", n=1, regex=False)
        lo_text[ranged], hi_text[ranged] = inner.str[0], inner.str[1]

    def numbers(values: pd.Series) -> np.ndarray:
        if column_kind(like) == DATE:
            return as_numbers(pd.Series(pd.to_datetime(values, errors="coerce", format="ISO8601")))
        return pd.to_numeric(values, errors="coerce").to_numpy(dtype=float)

    return numbers(lo_text), numbers(hi_text)


def _parse_set(cell, known: set[str], longest: int = 1) -> list[str]:
    """A released category cell as its values: itself, or the values of '{a, b}'. Names that hold ', ' are
    put back together from the values the original column has (none spans more than `longest` parts): the
    split of the parts into known names, longest names first (a greedy split would take 'Retriever' out of
    'Retriever, Golden'). Parts that fit no split are kept as they are."""
    if cell in known or not (cell.startswith("{") and cell.endswith("}")):
        return [cell]
    parts = cell[1:-1].split(", ")
    n = len(parts)
    step = [0] * (n + 1)  # step[i]: where the name that starts at part i ends (0: no split from i)
    step[n] = n
    for i in range(n - 1, -1, -1):
        for j in range(min(n, i + longest), i, -1):
            if step[j] and ", ".join(parts[i:j]) in known:
                step[i] = j
                break
    if not step[0]:
        return parts
    values, i = [], 0
    while i < n:
        values.append(", ".join(parts[i:step[i]]))
        i = step[i]
    return values


def released_cells(release: pd.DataFrame, original: pd.DataFrame, columns: list[str]) -> Cells:
    """The cells of `release` on `columns`, read with the kinds of `original`'s columns (whose values also
    give each number's span and each category's codes)."""
    missing = [c for c in columns if c not in release.columns or c not in original.columns]
    if missing:
        raise DataError(f"column(s) {missing} are not in both the original table and the release")
    kinds, lo, hi, member, categories, span, unreadable = {}, {}, {}, {}, {}, {}, {}
    for c in columns:
        kind = column_kind(original[c])
        kinds[c] = kind
        if kind in (NUMERIC, DATE):
            lo[c], hi[c] = _parse_ordered(release[c], original[c])
            values = as_numbers(original[c])
            values = values[~np.isnan(values)]
            span[c] = float(values.max() - values.min()) if len(values) else 0.0
            # a cell that parses but holds no value of the original ('2018-04' read as a day, a year as a number)
            present = np.sort(values)
            inside = np.searchsorted(present, hi[c], side="right") - np.searchsorted(present, lo[c], side="left")
            unreadable[c] = int((release[c].notna().to_numpy() & (np.isnan(lo[c]) | np.isnan(hi[c]) | (inside <= 0)))
                                .sum())
            continue
        known = set(original[c].dropna().astype(str))
        longest = max((v.count(", ") + 1 for v in known), default=1)
        codes: dict[str, int] = {v: i for i, v in enumerate(sorted(known))}
        # one parse a distinct cell (every row of a class holds the same text), then one lookup a row
        cell_codes, distinct = pd.factorize(release[c].astype("str").where(release[c].notna()), use_na_sentinel=True)
        found: list[tuple[int, int]] = []
        readable = np.ones(len(distinct) + 1, dtype=bool)
        for u, cell in enumerate(distinct):
            parsed = _parse_set(str(cell), known, longest)
            readable[u] = any(v in known for v in parsed)
            for v in parsed:
                if v not in codes:
                    codes[v] = len(codes)
                found.append((u, codes[v]))
        per_cell = np.zeros((len(distinct) + 1, max(1, len(codes))), dtype=bool)  # the last row: a missing cell
        if found:
            u, v = np.array(found).T
            per_cell[u, v] = True
        rows = per_cell[np.where(cell_codes < 0, len(distinct), cell_codes)]
        member[c], categories[c] = rows, codes
        unreadable[c] = int((~readable[np.where(cell_codes < 0, len(distinct), cell_codes)]).sum())
    return Cells(kinds, lo, hi, member, categories, span, len(release),
                 unreadable={c: n for c, n in unreadable.items() if n})


def _known_values(table: pd.DataFrame, cells: Cells, columns: list[str]) -> dict[str, np.ndarray]:
    """What someone knows of each column, in the cells' terms: day counts or numbers, or category codes
    (-1: unknown or a value the release never shows)."""
    out = {}
    for c in columns:
        if cells.ordered(c):
            out[c] = as_numbers(table[c]) if column_kind(table[c]) in (NUMERIC, DATE) else \
                pd.to_numeric(table[c], errors="coerce").to_numpy(dtype=float)
        else:
            codes = cells.categories[c]
            out[c] = np.array([codes.get(str(v), -1) if not pd.isna(v) else -2 for v in table[c]], dtype=int)
    return out


def _gap(v: np.ndarray, cells: Cells, c: str) -> np.ndarray:
    """How far each known number lies outside each released range (0 inside, or where either is missing):
    people x release."""
    gap = np.maximum(np.maximum(cells.lo[c][None, :] - v[:, None], v[:, None] - cells.hi[c][None, :]), 0.0)
    return np.where(np.isnan(gap), 0.0, gap)


def _inside(v: np.ndarray, cells: Cells, c: str) -> np.ndarray:
    """Whether each known category code lies in each released set: people x release. A value the release
    never shows (-1) is in no set; a missing cell, or a value the person's own table lacks (-2), tells nothing."""
    m = cells.member[c]
    inside = np.ones((len(v), cells.n), dtype=bool)
    known = v >= 0
    inside[known] = m[:, v[known]].T
    inside[v == -1] = False
    inside |= ~m.any(axis=1)[None, :]
    inside[v == -2] = True
    return inside


def _distances(values: dict[str, np.ndarray], cells: Cells, columns: list[str], rows: np.ndarray) -> np.ndarray:
    """Gower distance of the people `rows` (indices into `values`) to every released row: targets x release."""
    total = np.zeros((len(rows), cells.n))
    for c in columns:
        v = values[c][rows]
        if cells.ordered(c):
            gap = _gap(v, cells, c)
            total += gap / cells.span[c] if cells.span[c] > 0 else (gap > 0)
        else:
            total += ~_inside(v, cells, c)
    return total / max(1, len(columns))


# --- linkage ---------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Knowledge:
    """What the adversary knows of each known column, and how well: exact values, values coarsened to a band
    of `coarse_share` of the span, or values with Gaussian noise of `noise_share` of the span (numbers) and
    `flip_share` of values replaced (categories)."""

    mode: str = EXACT
    coarse_share: float = COARSE_SHARE
    noise_share: float = NOISE_SHARE
    flip_share: float = FLIP_SHARE

    def __post_init__(self):
        if self.mode not in KNOWLEDGE:
            raise DataError(f"knowledge must be one of {', '.join(KNOWLEDGE)}, not {self.mode!r}")


def make_auxiliary(table: pd.DataFrame, ids: pd.Series, known: list[str], share: float = 0.5,
                   outsiders: float = 0.2, knowledge: Knowledge = Knowledge(), seed: int = 0,
                   population: pd.DataFrame | None = None, population_ids: pd.Series | None = None) -> pd.DataFrame:
    """An adversary's identified table: a seeded sample of `share` of the released people (at most
    MAX_TARGETS; their `ids` and
    `known` columns) plus `outsiders` (a share of the result) of people who are not in the release: rows of
    `population` when given (e.g. the held-out rows), else people drawn column by column from the table's own
    values. Noisy knowledge perturbs the values as the adversary's data would be."""
    rng = np.random.default_rng(seed)
    n_in = min(max(1, int(round(share * len(table)))), MAX_TARGETS)
    chosen = rng.choice(len(table), size=min(n_in, len(table)), replace=False)
    inside = table.iloc[chosen][known].reset_index(drop=True)
    inside.insert(0, "__id", ids.to_numpy()[chosen])
    n_out = int(round(len(inside) * outsiders / max(1e-9, 1 - outsiders))) if outsiders > 0 else 0
    if n_out and population is not None and len(population):
        pick = rng.choice(len(population), size=min(n_out, len(population)), replace=False)
        out = population.iloc[pick][known].reset_index(drop=True)
        out.insert(0, "__id", population_ids.to_numpy()[pick] if population_ids is not None else
                   [f"outsider-{i}" for i in range(len(pick))])
    elif n_out:
        out = pd.DataFrame({c: table[c].to_numpy()[rng.integers(0, len(table), n_out)] for c in known})
        out.insert(0, "__id", [f"outsider-{i}" for i in range(n_out)])
    else:
        out = inside.iloc[:0]
    aux = pd.concat([inside, out], ignore_index=True)
    aux = aux.iloc[rng.permutation(len(aux))].reset_index(drop=True)
    if knowledge.mode == NOISY:
        aux = _add_noise(aux, table, known, knowledge, rng)
    return aux


def _add_noise(aux: pd.DataFrame, table: pd.DataFrame, known: list[str], knowledge: Knowledge, rng) -> pd.DataFrame:
    aux = aux.copy()
    for c in known:
        kind = column_kind(table[c])
        if kind == NUMERIC:
            values = as_numbers(table[c])
            span = np.nanmax(values) - np.nanmin(values)
            aux[c] = as_numbers(aux[c]) + rng.normal(0, knowledge.noise_share * span, len(aux))
        elif kind == DATE:
            values = as_numbers(table[c])
            span = np.nanmax(values) - np.nanmin(values)
            shift = pd.to_timedelta(np.round(rng.normal(0, knowledge.noise_share * span, len(aux))), unit="D")
            aux[c] = pd.to_datetime(aux[c]) + shift
        else:
            pool = table[c].dropna().unique()
            flip = rng.random(len(aux)) < knowledge.flip_share
            column = np.array(aux[c].astype(object), dtype=object)
            column[flip] = pool[rng.integers(0, len(pool), int(flip.sum()))]
            aux[c] = column
    return aux


def _scores(values, cells: Cells, known: list[str], rows: np.ndarray, knowledge: Knowledge) -> np.ndarray:
    """Log-likelihood of each released row for the auxiliary rows `rows` (targets x release); -inf where
    exact or coarsened knowledge rules a row out."""
    total = np.zeros((len(rows), cells.n))
    for c in known:
        v = values[c][rows]
        if cells.ordered(c):
            span = cells.span[c]
            width = {EXACT: 1e-9 * max(span, 1.0), COARSENED: knowledge.coarse_share * span / 2}.get(knowledge.mode, 0)
            gap = _gap(v, cells, c)
            if knowledge.mode == NOISY:
                sigma = knowledge.noise_share * span if span > 0 else 1.0
                total -= 0.5 * (gap / sigma) ** 2
            else:
                total[gap > width] = -np.inf
        else:
            inside = _inside(v, cells, c)
            if knowledge.mode == NOISY:
                total += np.where(inside, np.log1p(-knowledge.flip_share), np.log(knowledge.flip_share))
            else:
                total[~inside] = -np.inf
    return total


def _claim_threshold(cells: Cells, known: list[str], knowledge: Knowledge, n: int, rng) -> float:
    """The score a true match reaches in 95% of cases under the adversary's own noise model (a number's
    noise moves it at most its own size away from the class that holds the true value)."""
    if knowledge.mode != NOISY:
        return -np.inf  # any row the knowledge allows
    total = np.zeros(n)
    for c in known:
        if cells.ordered(c):
            total -= 0.5 * rng.standard_normal(n) ** 2
        else:
            flipped = rng.random(n) < knowledge.flip_share
            total += np.where(flipped, np.log(knowledge.flip_share), np.log1p(-knowledge.flip_share))
    return float(np.quantile(total, CLAIM_QUANTILE))


def _share(numerator: int, denominator: int) -> tuple[float | None, list[float] | None]:
    if denominator == 0:
        return None, None
    p = numerator / denominator
    return p, list(wilson_interval(p, denominator))


def linkage_attack(release: pd.DataFrame, release_ids: pd.Series, original: pd.DataFrame,
                   auxiliary: pd.DataFrame, aux_ids: pd.Series, known: list[str],
                   knowledge: Knowledge = Knowledge(), seed: int = 0) -> dict:
    """Link every auxiliary row to the release (see the module's docstring); the counts and shares."""
    if len(release) != len(release_ids):
        raise DataError("the release and its identifiers differ in length")
    rng = np.random.default_rng(seed)
    cells = released_cells(release, original, known)
    values = _known_values(auxiliary, cells, known)
    ids = pd.Series(release_ids).to_numpy()
    target_ids = pd.Series(aux_ids).to_numpy()
    position = pd.Series(np.arange(len(ids)), index=pd.Index(ids))
    if position.index.has_duplicates:
        raise DataError("the identifier column repeats a value in the release; it must name one person a row")
    true_row = position.reindex(target_ids).to_numpy()
    in_release = ~np.isnan(true_row)
    # a random pick within the target's class (rows with the same cells on the known columns): the baseline
    group = _class_codes(cells, known)
    sizes = np.bincount(group)
    baseline = float(np.mean(1.0 / sizes[group[true_row[in_release].astype(int)]])) if in_release.any() else None
    threshold = _claim_threshold(cells, known, knowledge, 10_000, rng)
    # scored once a class (rows with the same cells), not once a row: n / k columns instead of n
    firsts = np.unique(group, return_index=True)[1]
    classes = _subset(cells, firsts)
    rows_of = np.split(np.argsort(group, kind="stable"), np.cumsum(sizes)[:-1])

    def admitted():
        """(auxiliary row, the classes it would claim among), in the auxiliary table's order."""
        if knowledge.mode == EXACT:  # a hash join, and a scoring of the few classes with wildcards
            yield from enumerate(_exact_candidates(values, classes, known, len(auxiliary)))
            return
        for start in range(0, len(auxiliary), _CHUNK):
            rows = np.arange(start, min(start + _CHUNK, len(auxiliary)))
            score = _scores(values, classes, known, rows, knowledge)
            best = score.max(axis=1)
            for j, r in enumerate(rows):
                if np.isfinite(best[j]) and best[j] >= threshold:
                    yield r, np.flatnonzero(score[j] >= best[j] - 1e-9)

    claims = correct = 0
    expected = 0.0
    for r, tied in admitted():
        if len(tied) == 0:
            continue
        weight = sizes[tied]
        chosen = tied[rng.choice(len(tied), p=weight / weight.sum())] if len(tied) > 1 else tied[0]
        pick = rows_of[chosen][rng.integers(sizes[chosen])]
        claims += 1
        if in_release[r]:
            hit = int(true_row[r])
            correct += int(pick == hit)
            expected += float(np.isin(group[hit], tied)) / weight.sum()
    n_in = int(in_release.sum())
    share, share_ci = _share(correct, n_in)
    precision, precision_ci = _share(correct, claims)
    return {"knowledge": knowledge.mode, "known": list(known), "targets": int(len(auxiliary)),
            "targets_in_release": n_in, "claims": claims, "correct": correct, "reidentified_share": share,
            "reidentified_share_ci": share_ci, "precision": precision, "precision_ci": precision_ci,
            "expected_share": float(expected / n_in) if n_in else None, "baseline_share": baseline,
            "claim_threshold": None if not np.isfinite(threshold) else threshold, "seed": seed,
            # cells that hold no value of the original (e.g. hierarchy nodes like 021**) match no one: the
            # figures above then understate what an adversary who can read them achieves
            "unreadable_cells": dict(cells.unreadable)}


def _exact_candidates(values, classes: Cells, known: list[str], n_aux: int) -> list[np.ndarray]:
    """For exact knowledge, the classes that admit each auxiliary row, as `_scores` finds them but without
    scoring every class: a class whose cells are all single values admits a row only if it equals it (a hash
    join); the few others (a range, a set, a missing cell) and the rows with a value missing are scored."""
    point = np.ones(classes.n, dtype=bool)
    class_keys, aux_keys = {}, {}
    complete = np.ones(n_aux, dtype=bool)
    for c in known:
        v = values[c]
        if classes.ordered(c):
            lo, hi = classes.lo[c], classes.hi[c]
            point &= ~np.isnan(lo) & (lo == hi)
            class_keys[c], aux_keys[c] = np.nan_to_num(lo, nan=np.inf), v
            complete &= ~np.isnan(v)
        else:
            m = classes.member[c]
            point &= m.sum(axis=1) == 1
            class_keys[c], aux_keys[c] = m.argmax(axis=1), v
            complete &= v != -2
    table = pd.DataFrame({c: k[point] for c, k in class_keys.items()}).assign(__class=np.flatnonzero(point))
    joined = pd.DataFrame({c: k for c, k in aux_keys.items()}).merge(table, how="left", on=known, sort=False)
    joined = joined["__class"].fillna(-1).to_numpy(dtype=int)
    others = np.flatnonzero(~point)
    rest = _subset(classes, others)
    out: list[np.ndarray] = [np.empty(0, dtype=int)] * n_aux
    for start in range(0, n_aux, _CHUNK):
        rows = np.arange(start, min(start + _CHUNK, n_aux))
        wild = np.isfinite(_scores(values, rest, known, rows, Knowledge(EXACT))) if len(others) else None
        for j, r in enumerate(rows):
            if complete[r]:
                found = others[wild[j]] if wild is not None else np.empty(0, dtype=int)
                out[r] = np.sort(np.append(found, joined[r])) if joined[r] >= 0 else found
        missing = rows[~complete[rows]]
        if len(missing):
            every = np.isfinite(_scores(values, classes, known, missing, Knowledge(EXACT)))
            for j, r in enumerate(missing):
                out[r] = np.flatnonzero(every[j])
    return out


def _subset(cells: Cells, rows: np.ndarray) -> Cells:
    return Cells(cells.kinds, {c: v[rows] for c, v in cells.lo.items()}, {c: v[rows] for c, v in cells.hi.items()},
                 {c: m[rows] for c, m in cells.member.items()}, cells.categories, cells.span, len(rows))


def _row_codes(matrix: np.ndarray) -> np.ndarray:
    """0..G-1 for the rows of a 2-D array (bool or float), equal where the rows are equal: the columns'
    bits as 64-bit words, hashed column by column (np.unique(axis=0) sorts the rows: far slower)."""
    if matrix.dtype == bool:
        packed = np.packbits(matrix, axis=1)
        width = -(-packed.shape[1] // 8) * 8
        words = np.zeros((len(matrix), max(8, width)), dtype=np.uint8)
        words[:, :packed.shape[1]] = packed
        matrix = words.view(np.uint64)
    else:
        matrix = np.ascontiguousarray(matrix, dtype=np.float64).view(np.uint64)
    codes = np.zeros(len(matrix), dtype=np.int64)
    for j in range(matrix.shape[1]):
        column = pd.factorize(matrix[:, j])[0]
        codes = pd.factorize(codes * (int(column.max(initial=0)) + 1) + column)[0]
    return codes


def _class_codes(cells: Cells, known: list[str]) -> np.ndarray:
    """0..G-1 for the released rows, equal where every known column's cell is the same (a class)."""
    codes = np.zeros(cells.n, dtype=np.int64)
    for c in known:
        if cells.ordered(c):
            column = _row_codes(np.nan_to_num(np.column_stack([cells.lo[c], cells.hi[c]]), nan=np.inf))
        else:
            column = _row_codes(cells.member[c])
        codes = pd.factorize(codes * (int(column.max(initial=0)) + 1) + column)[0]
    return codes


# --- risks with a control set -----------------------------------------------------------------------------

def _risk(attack_hits: int, attack_n: int, control_hits: int, control_n: int) -> dict:
    """(attack - control) / (1 - control), with an interval from the two rates' Wilson intervals at their
    least and most favourable ends."""
    if attack_n == 0 or control_n == 0:
        return {"risk": None, "risk_ci": None, "attack_rate": None, "control_rate": None, "attacks": attack_n}
    a, c = attack_hits / attack_n, control_hits / control_n
    (a_lo, a_hi), (c_lo, c_hi) = wilson_interval(a, attack_n), wilson_interval(c, control_n)

    def scaled(x, y):
        return (x - y) / (1 - y) if y < 1 else 0.0

    return {"risk": scaled(a, c), "risk_ci": [max(-1.0, scaled(a_lo, c_hi)), min(1.0, scaled(a_hi, c_lo))],
            "attack_rate": a, "control_rate": c, "attacks": attack_n}


def _holds(values, cells: Cells, columns: list[str], n_people: int, predicate_rows: np.ndarray) -> np.ndarray:
    """Whether each of the first `n_people` people satisfies each predicate 'every column's value lies in
    release row r's cell', r in `predicate_rows`: predicates x people. A missing cell holds for everyone."""
    ok = np.ones((len(predicate_rows), n_people), dtype=bool)
    for c in columns:
        v = values[c][:n_people]
        if cells.ordered(c):
            lo, hi = cells.lo[c][predicate_rows][:, None], cells.hi[c][predicate_rows][:, None]
            ok &= np.isnan(lo) | ((v[None, :] >= lo - 1e-9) & (v[None, :] <= hi + 1e-9))
        else:
            m = cells.member[c][predicate_rows]
            inside = m[:, np.clip(v, 0, None)] & (v >= 0)[None, :]
            ok &= inside | ~m.any(axis=1)[:, None]
    return ok


def singling_out(release_cells_: Cells, release_values, train_values, control_values, columns: list[str],
                 n_train: int, n_control: int, n_attacks: int, rng, n_columns: int = 3) -> dict:
    """Predicates read off released rows (a conjunction of `n_columns` random columns' cells) that single out
    one released row; success where one holds for exactly one person of the rows attacked. Tried in seeded
    batches that share a column choice, at most 50 x `n_attacks` predicates."""
    n_columns = min(n_columns, len(columns))
    n = release_cells_.n
    batch = int(max(8, min(256, 2 * 10**7 // max(1, n, n_train, n_control))))
    # a row whose cells on the chosen columns another row shares never singles out (that row's point lies in
    # them too): only rows alone in their class over those columns are checked, the same answer sooner
    alone: dict[tuple, np.ndarray] = {}
    hits_a = hits_c = tried = attempts = 0
    while tried < n_attacks and attempts < 50 * n_attacks:
        chosen = list(rng.choice(columns, size=n_columns, replace=False))
        rows = rng.integers(n, size=min(batch, 50 * n_attacks - attempts))
        attempts += len(rows)
        key = tuple(sorted(chosen))
        if key not in alone:
            codes = release_cells_.classes(list(key))[0]
            alone[key] = np.bincount(codes)[codes] == 1
        rows = rows[alone[key][rows]]
        if len(rows) == 0:
            continue
        unique = rows[_holds(release_values, release_cells_, chosen, n, rows).sum(axis=1) == 1]
        unique = unique[:n_attacks - tried]
        if len(unique) == 0:
            continue
        tried += len(unique)
        hits_a += int((_holds(train_values, release_cells_, chosen, n_train, unique).sum(axis=1) == 1).sum())
        hits_c += int((_holds(control_values, release_cells_, chosen, n_control, unique).sum(axis=1) == 1).sum())
    return _risk(hits_a, tried, hits_c, tried) | {"columns_per_predicate": n_columns, "predicates_tried": attempts}


def _nearest(values, cells: Cells, columns: list[str], rows: np.ndarray) -> np.ndarray:
    """people x released rows, True at the rows nearest each person on `columns` (all ties). Measured once a
    class over those columns (rows with the same cells are at the same distance), then spread to its rows."""
    codes, firsts = cells.classes(columns)
    d = _distances(values, _subset(cells, firsts), columns, rows)
    return (d <= d.min(axis=1, keepdims=True) + 1e-12)[:, codes]


def linkability(cells: Cells, values_a, values_c, columns: list[str], rows_a, rows_c, rng, halves=None) -> dict:
    """The known columns split in two halves (`halves`, else seeded); success where the released rows nearest
    on one half and on the other share one: the two halves are linked through the release."""
    shuffled = list(rng.permutation(columns))
    half = max(1, len(shuffled) // 2)
    first, second = (shuffled[:half], shuffled[half:]) if halves is None else (list(halves[0]), list(halves[1]))
    if not second:
        return _risk(0, 0, 0, 0) | {"halves": [first, second]}

    def hits(values, rows):
        """The expected successes when each half's nearest released row is picked at random among its ties:
        |A & B| / (|A| |B|) a person, so a tie over a whole class links no better than chance within it."""
        total = 0.0
        for start in range(0, len(rows), _CHUNK):
            chunk = rows[start:start + _CHUNK]
            a, b = _nearest(values, cells, first, chunk), _nearest(values, cells, second, chunk)
            total += float(((a & b).sum(axis=1) / (a.sum(axis=1) * b.sum(axis=1))).sum())
        return total

    return _risk(hits(values_a, rows_a), len(rows_a), hits(values_c, rows_c), len(rows_c)) | {
        "halves": [first, second]}


def inference(cells: Cells, values_a, values_c, columns: list[str], rows_a, rows_c, secret_released: np.ndarray,
              secret_a: np.ndarray, secret_c: np.ndarray, numeric: bool, span: float, rng) -> dict:
    """The secret of the released rows nearest on the known columns (the most common among ties) as the
    guess; success where it is right (a number: within 5% of the column's span)."""

    if numeric:
        guessed = np.asarray(secret_released, dtype=float)
        present = ~np.isnan(guessed)
    else:  # categories as codes once: the guess of a chunk is one product, not a count per person
        codes, kinds = pd.factorize(pd.Series(secret_released, dtype=object).map(
            lambda v: None if pd.isna(v) else str(v)))
        onehot = np.zeros((len(codes), max(1, len(kinds))))
        onehot[np.flatnonzero(codes >= 0), codes[codes >= 0]] = 1.0
        kinds = np.asarray(kinds, dtype=object)

    def hits(values, rows, truth):
        total = 0
        for start in range(0, len(rows), _CHUNK):
            chunk = rows[start:start + _CHUNK]
            near = _nearest(values, cells, columns, chunk)
            if not numeric:
                counts = near.astype(float) @ onehot
            for j, r in enumerate(chunk):
                if numeric:
                    guesses = guessed[near[j] & present]
                    if len(guesses):
                        total += int(abs(float(np.median(guesses)) - float(truth[r])) <= 0.05 * span)
                elif counts[j].max() > 0:
                    top = np.flatnonzero(counts[j] == counts[j].max())
                    total += int(kinds[top[rng.integers(len(top))]] == str(truth[r]))
        return total

    return _risk(hits(values_a, rows_a, secret_a), len(rows_a), hits(values_c, rows_c, secret_c), len(rows_c))


def release_risks(release: pd.DataFrame, released_rows: pd.DataFrame, control: pd.DataFrame, known: list[str],
                  secret: str | None = None, n_attacks: int = DEFAULT_ATTACKS, seed: int = 0,
                  halves: tuple[list[str], list[str]] | None = None) -> dict:
    """Singling-out, linkability and inference risk of `release` (the anonymized form of `released_rows`, in
    the same order) against `control`, people of the same population who were not released. The attacks
    use as many people of the released rows as of the control (at most `n_attacks` each); the linkability's
    two halves of `known` are `halves` when given, else a seeded split."""
    if len(control) == 0 or len(released_rows) == 0:
        raise DataError("the release risks need released rows and control rows")
    rng = np.random.default_rng(seed)
    columns = list(dict.fromkeys(known + ([secret] if secret and secret not in known else [])))
    cells = released_cells(release, released_rows, columns)
    n = min(len(released_rows), len(control))
    train = released_rows.iloc[rng.choice(len(released_rows), n, replace=False)].reset_index(drop=True)
    ctrl = control.iloc[rng.choice(len(control), n, replace=False)].reset_index(drop=True)
    values_a, values_c = _known_values(train, cells, columns), _known_values(ctrl, cells, columns)
    m = min(n_attacks, n)
    rows_a, rows_c = rng.choice(n, m, replace=False), rng.choice(n, m, replace=False)
    out = {"singling_out": singling_out(cells, _released_points(cells, columns), values_a, values_c, known, n, n,
                                                 m, rng),
           "linkability": linkability(cells, values_a, values_c, known, rows_a, rows_c, rng, halves),
           "control_rows": n, "seed": seed}
    if secret:
        numeric = column_kind(released_rows[secret]) in (NUMERIC, DATE)
        secret_released = (as_numbers(release[secret]) if numeric and column_kind(release[secret]) in (NUMERIC, DATE)
                           else release[secret].to_numpy(dtype=object))
        truth_a = as_numbers(train[secret]) if numeric else train[secret].to_numpy(dtype=object)
        truth_c = as_numbers(ctrl[secret]) if numeric else ctrl[secret].to_numpy(dtype=object)
        out["inference"] = inference(cells, values_a, values_c, known, rows_a, rows_c, secret_released, truth_a,
                                     truth_c, numeric, cells.span.get(secret, 0.0), rng) | {"secret": secret}
    return out


def _released_points(cells: Cells, columns: list[str]) -> dict[str, np.ndarray]:
    """The released rows as 'people' for the singling-out check on the release itself: a number at its
    range's low end, a category as its set's first value (a predicate holds for its own row)."""
    out = {}
    for c in columns:
        if cells.ordered(c):
            out[c] = cells.lo[c]
        else:
            m = cells.member[c]
            out[c] = np.where(m.any(axis=1), m.argmax(axis=1), -2)
    return out


# --- one audit of a release --------------------------------------------------------------------------------

def audit(original: pd.DataFrame, release: pd.DataFrame, quasi_identifiers: list[str], auxiliary: pd.DataFrame,
          id_column: str, known: list[str] | None = None, control: pd.DataFrame | None = None,
          secret: str | None = None, sampling_fraction: float | None = None,
          knowledge: Knowledge = Knowledge(), seed: int = 0) -> dict:
    """Every release attack on `release`, the anonymized form of `original` (same rows, same order; `original`
    holds `id_column`, the release need not): the linkage of `auxiliary` (which holds `id_column` and the
    `known` columns, by default the QIs), the risks against `control` (people of the same population not
    released; null without it) and, with a sampling fraction, the population figures."""
    from .population_risk import population_risk
    from .release import tuple_codes

    known = list(known or quasi_identifiers)
    _check_audit(original, release, quasi_identifiers, auxiliary, id_column, known, control, secret,
                 sampling_fraction)
    released_rows = original.drop(columns=[id_column])
    out = {"linkage": linkage_attack(release, original[id_column], released_rows, auxiliary, auxiliary[id_column],
                                     known, knowledge, seed),
           "quasi_identifiers": list(quasi_identifiers), "rows": len(release), "seed": seed}
    if control is not None:
        risks = release_risks(release, released_rows, control.drop(columns=[id_column], errors="ignore"), known,
                              secret, seed=seed)
        out.update({k: risks.get(k) for k in ("singling_out", "linkability", "inference")})
        out["control_rows"] = risks["control_rows"]
    else:
        out.update({"singling_out": None, "linkability": None, "inference": None,
                    "not_measured": "the risks with a control set need --control (people of the same population "
                                    "who are not in the release)"})
    if sampling_fraction is not None:
        sizes = np.bincount(tuple_codes(release, list(quasi_identifiers)))
        out["population"] = population_risk(sizes[sizes > 0], sampling_fraction)
    return out


def _check_audit(original, release, qis, auxiliary, id_column, known, control, secret, sampling_fraction) -> None:
    if id_column not in original.columns:
        raise DataError(f"the original table has no identifier column '{id_column}'")
    if id_column not in auxiliary.columns:
        raise DataError(f"the auxiliary table has no identifier column '{id_column}'")
    if len(original) != len(release):
        raise DataError(f"the original table has {len(original):,} rows and the release {len(release):,}; the "
                        "original must hold every released row, in the same order")
    if original[id_column].isna().any() or original[id_column].duplicated().any():
        raise DataError(f"the identifier '{id_column}' is missing or repeated in the original table; it must name "
                        "one person a row")
    for name, table, columns in (("release", release, qis), ("original table", original, known),
                                 ("auxiliary table", auxiliary, known)):
        missing = [c for c in columns if c not in table.columns]
        if missing:
            raise DataError(f"the {name} has no column(s) {missing[:5]}")
    if secret is not None and (secret not in release.columns or secret not in original.columns):
        raise DataError(f"the secret column '{secret}' is not in both the original table and the release")
    if control is not None:
        missing = [c for c in known + ([secret] if secret else []) if c not in control.columns]
        if missing:
            raise DataError(f"the control table has no column(s) {missing[:5]}")
    if sampling_fraction is not None and not 0 < sampling_fraction <= 1:
        raise DataError(f"the sampling fraction must be in (0, 1], not {sampling_fraction:g}")


def attack_release(release: pd.DataFrame, released_rows: pd.DataFrame, control: pd.DataFrame, known: list[str],
                   secret: str | None = None, knowledge: Knowledge = Knowledge(), seed: int = 0,
                   share: float = 0.5, outsiders: float = 0.2, released: np.ndarray | None = None) -> dict:
    """Every release attack on `release` (the anonymized form of `released_rows`, same order) where the
    population's other people are known (`control`, e.g. the simulation's non-members): the linkage of an
    adversary's table made from a seeded `share` of the released people plus `outsiders` drawn from the
    control, and the singling-out, linkability and inference risks against the control. The row number
    stands for the identifier. With `released` (a mask over `released_rows`: local suppression removed the
    other rows), the adversary still knows the removed people, who are then targets outside the release."""
    released_rows = released_rows.reset_index(drop=True)
    control = control.reset_index(drop=True)
    kept = np.ones(len(released_rows), dtype=bool) if released is None else np.asarray(released, dtype=bool)
    ids = pd.Series(np.arange(len(released_rows)))
    control_ids = pd.Series([f"control-{i}" for i in range(len(control))])
    aux = make_auxiliary(released_rows, ids, known, share, outsiders, knowledge, seed, population=control,
                         population_ids=control_ids)
    rows = released_rows[kept].reset_index(drop=True)
    out = {"linkage": linkage_attack(release.reset_index(drop=True), ids[kept].reset_index(drop=True), rows, aux,
                                     aux["__id"], known, knowledge, seed)}
    if len(control):
        risks = release_risks(release.reset_index(drop=True), rows, control, known, secret, seed=seed)
        out.update({k: risks.get(k) for k in ("singling_out", "linkability", "inference")})
        out["control_rows"] = risks["control_rows"]
    return out


@dataclass(frozen=True, eq=False)
class Auxiliary:
    """An adversary's table the analyst supplied: its rows, the column that names each person in it, and
    that column's values for the released rows in their order (the data's identifier, dropped from the
    release); `digest` keys the results made from it."""

    table: pd.DataFrame
    id_column: str
    release_ids: pd.Series
    digest: str
    name: str = "the uploaded table"

    def known_columns(self, quasi_identifiers: list[str]) -> list[str]:
        """The quasi-identifiers this table holds: what its adversary knows."""
        return [q for q in quasi_identifiers if q in self.table.columns and q != self.id_column]


def make_uploaded_auxiliary(table: pd.DataFrame, id_column: str, release_ids: pd.Series,
                            quasi_identifiers: list[str], digest: str, name: str = "the uploaded table") -> Auxiliary:
    """An `Auxiliary` after the checks a linkage needs, each failing with one line: the identifier in both
    tables, one person a row in the data, at least one quasi-identifier known, at least one row."""
    if id_column not in table.columns:
        raise DataError(f"the adversary's table has no column '{id_column}'")
    if len(table) == 0:
        raise DataError("the adversary's table has no rows")
    ids = pd.Series(release_ids).reset_index(drop=True)
    if ids.isna().any() or ids.duplicated().any():
        raise DataError(f"the identifier '{id_column}' is missing or repeated in the data; it must name one "
                        "person a row")
    aux = Auxiliary(table.reset_index(drop=True), id_column, ids, digest, name)
    if not aux.known_columns(quasi_identifiers):
        raise DataError(f"the adversary's table holds none of the quasi-identifiers ({', '.join(quasi_identifiers)}): "
                        "it cannot be linked to the release")
    # the identifiers are compared as text: a CSV read may type 17 as a number in one table and text in the other
    return Auxiliary(aux.table.assign(**{id_column: aux.table[id_column].astype(str)}), id_column, ids.astype(str),
                     digest, name)


def linkage_table(results: list[dict]) -> pd.DataFrame:
    """The linkage results of several settings as a table for people: one row a setting."""
    from .display import share_with_interval

    rows = []
    for r in results:
        rows.append({"release": r["label"], "targets in the release": r["targets_in_release"], "claims": r["claims"],
                     "named correctly": r["correct"],
                     "re-identified (95% CI)": share_with_interval(r["reidentified_share"], r["reidentified_share_ci"]),
                     "precision of the claims": share_with_interval(r["precision"], r["precision_ci"]),
                     "random pick in the class": "-" if r["baseline_share"] is None else f"{r['baseline_share']:.2%}"})
    return pd.DataFrame(rows)


RISK_NAMES = {"singling_out": "singling-out", "linkability": "linkability", "inference": "inference"}


def risk_text(r: dict | None) -> str:
    """'0.45 (0.37 to 0.53)', or why there is no figure."""
    if r is None:
        return "not measured"
    if r["risk"] is None:
        return "n/a: no predicate singles out one released row" if "columns_per_predicate" in r else "n/a"
    return f"{r['risk']:.2f} ({r['risk_ci'][0]:.2f} to {r['risk_ci'][1]:.2f})"


def risk_table(results: list[dict]) -> pd.DataFrame:
    """The control-set risks of several releases (`attack_release` results with a `label`), one row each:
    the risk with its 95% interval, and the attack and control success rates it comes from."""
    rows = []
    for r in results:
        row = {"release": r["label"]}
        for key, name in RISK_NAMES.items():
            risk = r.get(key)
            row[name] = risk_text(risk)
            measured = risk is not None and risk.get("attack_rate") is not None
            row[f"{name}: attack / control"] = (f"{risk['attack_rate']:.1%} / {risk['control_rate']:.1%}" if measured
                                                else "-")
        rows.append(row)
    return pd.DataFrame(rows)


KNOWLEDGE_NAMES = {EXACT: "exactly", COARSENED: "to a band (10% of each number's span)",
                   NOISY: "with errors (numbers off by 5% of their span, 10% of categories wrong)"}


def reading_linkage(results: list[dict]) -> str:
    """One sentence: how many people the adversary names in the last release, against the first (the original)."""
    from .display import share_with_interval

    first, last = results[0], results[-1]
    if last["targets_in_release"] == 0:
        return "None of the adversary's people is in the release, so no one can be named."
    return (f"Holding {last['targets']:,} identified people ({last['targets_in_release']:,} of them released) and "
            f"knowing {', '.join(last['known'])} {KNOWLEDGE_NAMES[last['knowledge']]}, the adversary names "
            f"{last['correct']:,} correctly in the {last['label']} release, "
            f"{share_with_interval(last['reidentified_share'], last['reidentified_share_ci'])} of those released, "
            f"against {share_with_interval(first['reidentified_share'], first['reidentified_share_ci'])} in the "
            f"{first['label']} one; a random pick within each person's class would name "
            f"{last['baseline_share']:.2%} (seed {last['seed']}).")
