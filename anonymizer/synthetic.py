"""Differentially private synthetic data: MST (McKenna, Miklau, Sheldon, "Winning the NIST Contest", JPC 2021).

The third answer to "anonymize, train with DP, or release DP data?": a table with the same columns and dtypes
whose rows are drawn from a model fit on noisy marginals, so the recipient can train on it.

MST in zero-concentrated DP (rho from the (epsilon, delta) asked, `rho_for`), split in three equal parts:
1. every column's 1-way marginal, measured with Gaussian noise; values whose noisy count is under three noise
   deviations are merged into one "rare" value (the compressed domain);
2. a spanning tree over the columns, its edges chosen one by one by the exponential mechanism, scored by how
   far each pair's 2-way marginal is from what the 1-way marginals predict (independence);
3. the 2-way marginal of every tree edge, measured with Gaussian noise.

Estimation: on a tree the maximum-entropy distribution consistent with the marginals is the tree's product
form, so instead of Private-PGM's mirror descent the marginals are made consistent directly: each column's
marginal is the inverse-variance mean of its own measurement and of the sums of its edges' tables, projected
onto non-negative counts with one common total, and each edge table is fit to those two margins by iterative
proportional fitting. Rows are sampled down the tree. `bench/synthetic_mbi_check.py` checks the estimate
against `mbi` 2.0 (private-pgm) on the same noisy measurements; `mbi` is not a dependency (jax is 380 MB and
runs its own thread pools, against the process's thread policy: docs/design.md, "Threads").

Numbers and dates are binned on public bounds (a `dp.PrivacySchema`); bins never depend on the data. Values
outside the bounds are clipped; a number's value is drawn uniformly within its bin (whole numbers for integer
columns), with a bin of its own for the lower bound and for 0, where counts and amounts pile up. A schema read
from the private rows spends privacy the epsilon does not count: the budget says so (`Budget.not_counted`).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np
import pandas as pd
from pandas.api import types as ptypes
from sklearn.base import BaseEstimator
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import check_is_fitted

from .data import DATE, NUMERIC, DataError, as_numbers, column_kind
from .dp import FROM_DATA_NOTE

N_BINS = 32  # bins of a number or date column between its bounds (plus the point bins)
STEPS = ("1-way marginals", "choosing the tree", "2-way marginals")


# -- privacy accounting -------------------------------------------------------------------------------------

def zcdp_delta(rho: float, epsilon: float) -> float:
    """The delta at which rho-zCDP gives (epsilon, delta)-DP (Canonne, Kamath, Steinke 2020, Prop. 12):
    min over alpha > 1 of exp((alpha - 1)(alpha rho - epsilon)) / (alpha - 1) * (1 - 1/alpha)^alpha."""
    if rho <= 0:
        return 0.0

    def log_delta(alpha):
        return (alpha - 1) * (alpha * rho - epsilon) + alpha * math.log1p(-1 / alpha) - math.log(alpha - 1)

    lo, hi = 1.0 + 1e-9, max(2.0, (epsilon + 1) / (2 * rho) + 2)
    for _ in range(200):  # log_delta is convex in alpha: ternary search for its minimum
        a, b = lo + (hi - lo) / 3, hi - (hi - lo) / 3
        if log_delta(a) < log_delta(b):
            hi = b
        else:
            lo = a
    return float(min(1.0, math.exp(log_delta((lo + hi) / 2))))


def rho_for(epsilon: float, delta: float) -> float:
    """The largest rho whose rho-zCDP guarantee implies (epsilon, delta)-DP (bisection on `zcdp_delta`)."""
    if not (np.isfinite(epsilon) and epsilon > 0):
        raise DataError(f"epsilon must be a positive number; got {epsilon}")
    if not 0 < delta < 1:
        raise DataError(f"delta must lie strictly between 0 and 1; got {delta}")
    lo, hi = 0.0, max(1.0, epsilon)
    while zcdp_delta(hi, epsilon) <= delta:
        hi *= 2
    for _ in range(100):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if zcdp_delta(mid, epsilon) <= delta else (lo, mid)
    return lo


@dataclass(frozen=True)
class Budget:
    """Every part of the privacy budget one synthetic table spent, in zCDP's rho (parts add up to the total)."""

    epsilon: float
    delta: float
    rho: float
    parts: tuple[tuple[str, float], ...]
    schema: str  # where the bounds and categories came from
    not_counted: str | None  # set when they were read from the private rows

    def to_dict(self) -> dict:
        spent = sum(r for _, r in self.parts)
        return {"epsilon": self.epsilon, "delta": self.delta, "rho": self.rho, "accounting": "zCDP",
                "parts": [{"step": step, "rho": r, "share": r / self.rho} for step, r in self.parts],
                "rho_spent": spent, "epsilon_spent": epsilon_of(spent, self.delta),
                "schema": self.schema, "not_counted": self.not_counted}


def epsilon_of(rho: float, delta: float) -> float:
    """The smallest epsilon with zcdp_delta(rho, epsilon) <= delta (bisection): the budget read back."""
    lo, hi = 0.0, rho + 2 * math.sqrt(rho * math.log(1 / delta)) + 1e-9  # the simple bound is an upper end
    for _ in range(100):
        mid = (lo + hi) / 2
        lo, hi = (lo, mid) if zcdp_delta(rho, mid) <= delta else (mid, hi)
    return hi


# -- the public domain of each column ------------------------------------------------------------------------

@dataclass(frozen=True)
class ColumnDomain:
    """How one column becomes codes 0..size-1 and back. Ordered columns: `edges` of the bins (point bins where
    an edge repeats); categories: `categories`. The last code is "missing" when `missing` is set."""

    name: str
    kind: str
    edges: tuple[float, ...] | None = None
    integer: bool = False
    categories: tuple | None = None
    missing: bool = True

    @property
    def size(self) -> int:
        values = len(self.edges) - 1 if self.edges is not None else len(self.categories)
        return values + int(self.missing)

    def describe(self) -> dict:
        """The public description as JSON: kind, bounds and bins (numbers, dates in day numbers) or categories."""
        out = {"kind": self.kind, "missing_code": self.missing}
        if self.edges is not None:
            out.update(bounds=[self.edges[0], self.edges[-1]], bins=len(self.edges) - 1, integer=self.integer)
        else:
            out.update(categories=len(self.categories))
        return out

    @staticmethod
    def ordered(name: str, kind: str, bounds: tuple[float, float], integer: bool, missing: bool = True) -> ColumnDomain:
        lo, hi = map(float, bounds)
        if integer and hi - lo + 1 <= N_BINS:  # one bin per whole number
            edges = list(np.arange(lo, hi + 2) - 0.5)
            return ColumnDomain(name, kind, tuple(edges), integer, missing=missing)
        edges = list(np.linspace(lo, hi, N_BINS + 1))
        edges[0] = lo
        points = [lo] + ([0.0] if lo < 0 < hi else [])  # where counts and amounts pile up: a bin of their own
        for p in points:
            i = int(np.searchsorted(edges, p, side="right"))
            edges[i:i] = [p] if edges[i - 1] == p else [p, p]
        return ColumnDomain(name, kind, tuple(float(e) for e in edges), integer, missing=missing)

    def encode(self, values: pd.Series) -> np.ndarray:
        n = len(values)
        codes = np.empty(n, dtype=np.int64)
        if self.edges is not None:
            x = as_numbers(values)
            missing = np.isnan(x)
            edges = np.asarray(self.edges)
            x = np.clip(np.where(missing, edges[0], x), edges[0], edges[-1])
            codes[:] = self._bin(x, edges)
        else:
            text = values.astype(object).where(values.notna(), None).map(lambda v: v if v is None else str(v))
            lookup = {str(c): i for i, c in enumerate(self.categories)}
            codes[:] = text.map(lambda v: lookup.get(v, -1) if v is not None else -1).to_numpy(dtype=np.int64)
            missing = codes < 0  # a value outside the public categories counts as missing
        if self.missing:
            codes[missing] = self.size - 1
        elif missing.any():
            codes[missing] = 0
        return codes

    @staticmethod
    def _bin(x: np.ndarray, edges: np.ndarray) -> np.ndarray:
        """Bin i holds [edges[i], edges[i+1]); a point bin (edges[i] == edges[i+1]) holds exactly that value; the
        last bin is closed on the right."""
        right = np.searchsorted(edges, x, side="right") - 1
        left = np.searchsorted(edges, x, side="left")
        point = (left < len(edges) - 1) & (edges[np.minimum(left + 1, len(edges) - 1)] == edges[left]) & \
            (edges[left] == x)
        return np.clip(np.where(point, left, right), 0, len(edges) - 2)

    def decode(self, codes: np.ndarray, rng: np.random.Generator, like: pd.Series) -> pd.Series:
        """Values for codes, in the dtype of the real column `like`: numbers drawn uniformly in their bin."""
        n = len(codes)
        missing = (codes == self.size - 1) if self.missing else np.zeros(n, dtype=bool)
        if self.edges is not None:
            edges = np.asarray(self.edges)
            c = np.clip(codes, 0, len(edges) - 2)
            lo, hi = edges[c], edges[c + 1]
            x = lo + rng.random(n) * (hi - lo)
            if self.integer:  # a whole number in the bin: [lo, hi), the last bin also holding hi
                first = np.ceil(lo - 1e-9)
                last = np.where(c == len(edges) - 2, np.floor(hi + 1e-9), np.ceil(hi - 1e-9) - 1)
                x = np.where(last >= first, first + np.floor(rng.random(n) * (last - first + 1)), np.round(lo))
            x = np.where(missing, np.nan, x)
            return _restore(pd.Series(x, name=self.name), like, self.kind)
        cats = np.asarray(list(self.categories) + [None], dtype=object)
        values = cats[np.where(missing, len(self.categories), np.clip(codes, 0, len(self.categories) - 1))]
        return _restore(pd.Series(values, name=self.name, dtype=object), like, self.kind)


def _restore(values: pd.Series, like: pd.Series, kind: str) -> pd.Series:
    """`values` in the dtype of the real column (dates from day numbers; text as the column's text dtype;
    integers stay integers unless a value is missing and the dtype cannot hold it)."""
    dtype = like.dtype
    if kind == DATE:
        days = values.to_numpy(dtype=float)
        stamps = pd.to_datetime(np.round(days * 86400), unit="s", errors="coerce")
        if ptypes.is_datetime64_any_dtype(dtype):
            tz = getattr(dtype, "tz", None)
            out = pd.Series(stamps, name=values.name)
            out = out.dt.tz_localize("UTC").dt.tz_convert(tz) if tz is not None else out
            return out.astype(dtype)
        # Python dates in an object column (as Parquet date columns are read)
        return pd.Series([None if pd.isna(s) else s.date() for s in stamps], name=values.name, dtype=object)
    if kind == NUMERIC:
        if ptypes.is_integer_dtype(dtype) and not values.isna().any():
            return values.round().astype(dtype)
        if ptypes.is_integer_dtype(dtype):
            return values.round().astype("Int64" if isinstance(dtype, np.dtype) else dtype)
        return values.astype(dtype)
    if ptypes.is_bool_dtype(dtype):
        mapped = values.map(lambda v: None if v is None else v == "True")
        return mapped.astype(dtype) if not mapped.isna().any() else mapped.astype("boolean")
    if isinstance(dtype, pd.CategoricalDtype):
        lookup = {str(c): c for c in dtype.categories}
        return pd.Series(pd.Categorical(values.map(lambda v: lookup.get(v) if v is not None else None),
                                        dtype=dtype), name=values.name)
    real = like.dropna()
    if len(real) and not isinstance(real.iloc[0], str):  # codes read as text keep their text; other objects
        lookup = {str(v): v for v in real.unique()}
        values = values.map(lambda v: lookup.get(v, v) if v is not None else None)
    return values.astype(dtype) if not ptypes.is_object_dtype(dtype) else values


def domains_from(table: pd.DataFrame, schema=None) -> tuple[list[ColumnDomain], str, str | None]:
    """The domain of every column: from `schema` (a `dp.PrivacySchema` naming every column) when given, else
    read from the rows, which the caller must flag (returns domains, where they came from, the note)."""
    specs = dict(schema.features) if schema is not None else {}
    domains = []
    for col in table.columns:
        values, kind = table[col], column_kind(table[col])
        spec = specs.get(str(col))
        # a dtype that cannot hold a missing value (int64, bool) says so publicly: no "missing" code
        nullable = not (isinstance(values.dtype, np.dtype) and values.dtype.kind in "iub")
        if kind in (NUMERIC, DATE):
            if spec is not None and spec.bounds is not None:
                bounds = spec.bounds
            else:
                x = as_numbers(values)
                x = x[np.isfinite(x)]
                bounds = (float(x.min()), float(x.max())) if len(x) else (0.0, 1.0)
                bounds = bounds if bounds[1] > bounds[0] else (bounds[0], bounds[0] + 1.0)
            integer = kind == NUMERIC and (ptypes.is_integer_dtype(values.dtype) or
                                           bool(np.all(np.mod(as_numbers(values.dropna()), 1) == 0)))
            if kind == DATE:
                integer = True  # whole days
            domains.append(ColumnDomain.ordered(str(col), kind, bounds, integer, nullable))
        else:
            if spec is not None and spec.categories is not None:
                cats = tuple(spec.categories)
            else:
                text = values.dropna().astype(str)
                cats = tuple(sorted(set(text))) or ("(missing)",)
            domains.append(ColumnDomain(str(col), kind, categories=cats, missing=nullable))
    if schema is not None and not schema.from_private_data:
        return domains, "the public schema given", None
    return domains, "bounds and categories read from the private rows", FROM_DATA_NOTE


# -- MST ---------------------------------------------------------------------------------------------------

def _simplex(v: np.ndarray, total: float) -> np.ndarray:
    """The Euclidean projection of v onto {x >= 0, sum x = total}."""
    if total <= 0:
        return np.zeros_like(v)
    u = np.sort(v)[::-1]
    css = np.cumsum(u) - total
    idx = np.arange(1, len(v) + 1)
    rho = np.nonzero(u - css / idx > 0)[0][-1]
    return np.maximum(v - css[rho] / (rho + 1), 0)


def _ipf(table: np.ndarray, rows: np.ndarray, cols: np.ndarray, rounds: int = 50) -> np.ndarray:
    """Iterative proportional fitting of a non-negative table to the given margins."""
    t = np.maximum(table, 0) + 1e-3 * max(rows.sum(), 1) / table.size  # every cell reachable
    for _ in range(rounds):
        s = t.sum(axis=1)
        t *= np.divide(rows, s, out=np.zeros_like(s), where=s > 0)[:, None]
        s = t.sum(axis=0)
        t *= np.divide(cols, s, out=np.zeros_like(s), where=s > 0)[None, :]
    return t


def _exponential(scores: np.ndarray, epsilon: float, rng: np.random.Generator) -> int:
    """The exponential mechanism, sensitivity 1: P(i) ∝ exp(epsilon * score_i / 2)."""
    logits = 0.5 * epsilon * (scores - scores.max())
    p = np.exp(logits)
    return int(rng.choice(len(scores), p=p / p.sum()))


class MSTSynthesizer(BaseEstimator):
    """MST at (epsilon, delta): `fit(table)` measures the table, `sample(n)` draws rows with its columns and dtypes.

    schema: a `dp.PrivacySchema` naming every column's bounds or categories (else read from the rows, flagged).
    random_state seeds the noise and the sampling; a fixed seed makes the noise predictable, which a
    measurement needs and a release meant to be private must not have (draw a fresh seed for one).
    """

    def __init__(self, *, epsilon: float = 1.0, delta: float = 1e-5, schema=None, random_state: int = 0):
        self.epsilon = epsilon
        self.delta = delta
        self.schema = schema
        self.random_state = random_state

    def fit(self, table: pd.DataFrame, y=None):
        t0 = time.perf_counter()
        if not isinstance(table, pd.DataFrame) or table.shape[1] < 1 or len(table) < 1:
            raise DataError("the synthesizer needs a table with at least one column and one row")
        rho = rho_for(float(self.epsilon), float(self.delta))
        rng = np.random.default_rng(self.random_state)
        domains, source, note = domains_from(table, self.schema)
        codes = np.column_stack([d.encode(table[d.name]) for d in domains])
        sizes = [d.size for d in domains]
        d = len(domains)
        parts = [(STEPS[0], rho / 3), (STEPS[1], rho / 3), (STEPS[2], rho / 3)] if d > 1 else [(STEPS[0], rho)]

        # 1. every 1-way marginal (one Gaussian measurement of sensitivity 1 each)
        sigma1 = math.sqrt(d / (2 * parts[0][1]))
        noisy1 = [np.bincount(codes[:, j], minlength=sizes[j]) + rng.normal(0, sigma1, sizes[j]) for j in range(d)]
        # compress: values under three deviations merge into one rare value (per column)
        self.maps_, self.rare_ = [], []
        comp = np.empty_like(codes)
        one_way, variances = [], []
        for j in range(d):
            keep = np.nonzero(noisy1[j] >= 3 * sigma1)[0]
            rare = np.setdiff1d(np.arange(sizes[j]), keep)
            mapping = np.empty(sizes[j], dtype=np.int64)
            mapping[keep] = np.arange(len(keep))
            if len(rare):
                mapping[rare] = len(keep)
            self.maps_.append(mapping)
            self.rare_.append(rare)
            comp[:, j] = mapping[codes[:, j]]
            m = len(keep) + int(len(rare) > 0)
            y1 = np.zeros(m)
            np.add.at(y1, mapping, noisy1[j])
            var = np.full(m, sigma1 ** 2)
            if len(rare):
                var[-1] = len(rare) * sigma1 ** 2
            one_way.append(y1)
            variances.append(var)
        csizes = [len(v) for v in one_way]
        total = float(np.median([max(v.sum(), 1.0) for v in one_way]))

        edges, two_way, sigma3 = [], {}, None
        if d > 1:
            # 2. the tree: d - 1 rounds of the exponential mechanism over pairs joining two components
            est1 = [_simplex(v, total) / total for v in one_way]
            candidates = [(a, b) for a in range(d) for b in range(a + 1, d)]
            scores = np.array([np.abs(self._pair(comp, a, b, csizes) - total * np.outer(est1[a], est1[b])).sum()
                               for a, b in candidates])
            eps_round = math.sqrt(8 * parts[1][1] / (d - 1))
            component = list(range(d))
            for _ in range(d - 1):
                open_ = [i for i, (a, b) in enumerate(candidates) if component[a] != component[b]]
                pick = open_[_exponential(scores[open_], eps_round, rng)]
                a, b = candidates[pick]
                edges.append((a, b))
                old, new = component[b], component[a]
                component = [new if c == old else c for c in component]
            # 3. the tree's 2-way marginals
            sigma3 = math.sqrt((d - 1) / (2 * parts[2][1]))
            for a, b in edges:
                two_way[(a, b)] = self._pair(comp, a, b, csizes) + rng.normal(0, sigma3, (csizes[a], csizes[b]))

        self.domains_, self.edges_, self.columns_ = domains, edges, list(table.columns)
        self.dtypes_ = {c: table[c].iloc[:0] for c in table.columns}
        self.marginals_, self.tables_ = self._estimate(one_way, variances, two_way, sigma3, csizes, total)
        self.total_ = total
        self.budget_ = Budget(float(self.epsilon), float(self.delta), rho, tuple(parts), source, note)
        self.measurements_ = {"sigma_1way": sigma1, "sigma_2way": sigma3, "one_way": one_way,
                              "two_way": two_way, "compressed_sizes": csizes}
        self.seconds_ = time.perf_counter() - t0
        return self

    @staticmethod
    def _pair(codes: np.ndarray, a: int, b: int, sizes: list[int]) -> np.ndarray:
        flat = codes[:, a] * sizes[b] + codes[:, b]
        return np.bincount(flat, minlength=sizes[a] * sizes[b]).reshape(sizes[a], sizes[b]).astype(float)

    def _estimate(self, one_way, variances, two_way, sigma3, sizes, total):
        """Consistent marginals from the noisy ones: each column's marginal the inverse-variance mean of its own
        measurement and its edges' sums, projected onto counts >= 0 summing to `total`; each edge table fit to
        its two columns' marginals."""
        marginals = []
        for j, (y1, var) in enumerate(zip(one_way, variances)):
            num, den = y1 / var, 1 / var
            for (a, b), y2 in two_way.items():
                if j in (a, b):
                    sums, other = (y2.sum(axis=1), sizes[b]) if j == a else (y2.sum(axis=0), sizes[a])
                    v = other * sigma3 ** 2
                    num, den = num + sums / v, den + 1 / v
            marginals.append(_simplex(num / den, total))
        tables = {(a, b): _ipf(y2, marginals[a], marginals[b]) for (a, b), y2 in two_way.items()}
        return marginals, tables

    def sample(self, n: int | None = None, random_state: int | None = None) -> pd.DataFrame:
        """n rows (default: as many as the noisy total) drawn down the tree, in the real table's columns and dtypes."""
        check_is_fitted(self, "marginals_")
        n = int(round(self.total_)) if n is None else int(n)
        if n < 0:
            raise DataError(f"the number of rows to sample must be >= 0; got {n}")
        rng = np.random.default_rng(self.random_state + 1 if random_state is None else random_state)
        d = len(self.domains_)
        comp = np.full((n, d), -1, dtype=np.int64)
        neighbours = {j: [] for j in range(d)}
        for a, b in self.edges_:
            neighbours[a].append((b, self.tables_[(a, b)]))
            neighbours[b].append((a, self.tables_[(a, b)].T))
        seen: set[int] = set()
        for root in range(d):  # each connected part from its first column (one tree when d > 1)
            if root in seen:
                continue
            p = self.marginals_[root]
            comp[:, root] = _draw(p[None, :] / max(p.sum(), 1e-300), np.zeros(n, dtype=np.int64), rng)
            queue = [root]
            seen.add(root)
            while queue:
                parent = queue.pop()
                for child, table in neighbours[parent]:
                    if child in seen:
                        continue
                    seen.add(child)
                    rows = table.sum(axis=1, keepdims=True)
                    cond = np.divide(table, rows, out=np.full_like(table, 1 / table.shape[1]), where=rows > 0)
                    comp[:, child] = _draw(cond, comp[:, parent], rng)
                    queue.append(child)
        out = {}
        for j, dom in enumerate(self.domains_):
            codes = self._uncompress(j, comp[:, j], rng)
            out[dom.name] = dom.decode(codes, rng, self.dtypes_[self.columns_[j]]).reset_index(drop=True)
        return pd.DataFrame({c: out[str(c)] for c in self.columns_})

    def _uncompress(self, j: int, codes: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """Original codes: a kept value maps back one to one, the rare value to one of its members uniformly."""
        mapping, rare = self.maps_[j], self.rare_[j]
        kept = np.nonzero(np.isin(np.arange(len(mapping)), rare, invert=True))[0]
        out = np.empty(len(codes), dtype=np.int64)
        is_rare = codes >= len(kept)
        out[~is_rare] = kept[codes[~is_rare]]
        if is_rare.any():
            out[is_rare] = rare[rng.integers(0, len(rare), int(is_rare.sum()))]
        return out


def _draw(cond: np.ndarray, parent: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """One draw per row from the row of `cond` its parent value selects (inverse CDF)."""
    cum = np.cumsum(cond, axis=1)
    cum /= np.maximum(cum[:, -1:], 1e-300)
    u = rng.random(len(parent))
    out = np.empty(len(parent), dtype=np.int64)
    for value in np.unique(parent):
        rows = parent == value
        out[rows] = np.minimum(np.searchsorted(cum[value], u[rows], side="right"), cond.shape[1] - 1)
    return out


# -- how close and how copied ----------------------------------------------------------------------------------

def fidelity(real: pd.DataFrame, synthetic: pd.DataFrame, domains: list[ColumnDomain]) -> dict:
    """Total variation distance between real and synthetic marginals on the synthesizer's own bins: the mean over
    columns (tvd_1way) and over pairs of columns (tvd_2way), with each column's own figure and the worst pair."""
    rc = np.column_stack([d.encode(real[d.name]) for d in domains])
    sc = np.column_stack([d.encode(synthetic[d.name]) for d in domains])
    sizes = [d.size for d in domains]

    def tvd(a, b, m):
        pa = np.bincount(a, minlength=m) / max(len(a), 1)
        pb = np.bincount(b, minlength=m) / max(len(b), 1)
        return 0.5 * float(np.abs(pa - pb).sum())

    per_column = {d.name: tvd(rc[:, j], sc[:, j], sizes[j]) for j, d in enumerate(domains)}
    pairs = {}
    for a in range(len(domains)):
        for b in range(a + 1, len(domains)):
            pairs[(domains[a].name, domains[b].name)] = tvd(rc[:, a] * sizes[b] + rc[:, b],
                                                            sc[:, a] * sizes[b] + sc[:, b], sizes[a] * sizes[b])
    worst = max(pairs, key=pairs.get) if pairs else None
    return {"tvd_1way": float(np.mean(list(per_column.values()))),
            "tvd_2way": float(np.mean(list(pairs.values()))) if pairs else None,
            "per_column": per_column, "worst_pair": None if worst is None else
            {"columns": list(worst), "tvd": pairs[worst]}}


def _row_keys(frame: pd.DataFrame, columns: list) -> pd.Series:
    return pd.util.hash_pandas_object(frame[columns].astype(str), index=False)


def copies(synthetic: pd.DataFrame, members: pd.DataFrame, control: pd.DataFrame | None = None) -> dict:
    """Synthetic rows equal, on every column, to a member row (`copies`), and the share of member rows that have a
    copy; beside the same share of control rows (real rows of the same population the synthesizer never saw): the
    level chance gives. A synthesizer that memorizes copies members more often than control rows."""
    columns = list(members.columns)
    skeys = _row_keys(synthetic, columns)
    synth = set(skeys)
    keys = _row_keys(members, columns)
    out = {"copies": int(skeys.isin(set(keys)).sum()), "members_copied": int(keys.isin(synth).sum()),
           "members_rows": len(members), "rows": len(synthetic), "distinct_member_rows": int(keys.nunique())}
    out["members_copied_share"] = out["members_copied"] / max(len(members), 1)
    if control is not None and len(control):
        ckeys = _row_keys(control, columns)
        out.update(control_copies=int(skeys.isin(set(ckeys)).sum()), controls_copied=int(ckeys.isin(synth).sum()),
                   control_rows=len(control))
        out["controls_copied_share"] = out["controls_copied"] / len(control)
    return out


# -- the public description and the recipe the attacker copies ------------------------------------------------

def schema_from(frame: pd.DataFrame, private: bool):
    """A `dp.PrivacySchema` over every column of `frame`: bounds for numbers and dates (dates in day numbers),
    categories for the rest; `private` flags rows the synthesizer trains on (privacy the epsilon does not count)."""
    from .dp import CONTINUOUS, NOMINAL, FeatureSpec, PrivacySchema

    specs = []
    for col in frame.columns:
        values = frame[col]
        if column_kind(values) in (NUMERIC, DATE):
            x = as_numbers(values)
            x = x[np.isfinite(x)]
            lo, hi = (float(x.min()), float(x.max())) if len(x) else (0.0, 1.0)
            specs.append((str(col), FeatureSpec(CONTINUOUS, bounds=(lo, hi if hi > lo else lo + 1.0))))
        else:
            cats = tuple(sorted(set(values.dropna().astype(str))))
            specs.append((str(col), FeatureSpec(NOMINAL, categories=cats or ("(missing)",))))
    return PrivacySchema(tuple(specs), from_private_data=private)


def schema_with(table: pd.DataFrame, given: dict | None):
    """The schema of `table`: the analyst's public bounds and categories where `given` ({column: [lo, hi]} for a
    number or a date, as ISO text for dates; {column: [categories]} otherwise), the rest read from the rows and
    the whole flagged as spending privacy the epsilon does not count unless `given` covers every column."""
    from .dp import CONTINUOUS, NOMINAL, FeatureSpec, PrivacySchema

    given = dict(given or {})
    if not isinstance(given, dict):
        raise DataError("the schema must be a JSON object: {column: [lo, hi] or [categories]}")
    unknown = [c for c in given if c not in table.columns]
    if unknown:
        raise DataError(f"the schema names column(s) the table does not have: {unknown[:10]}")
    read = schema_from(table.drop(columns=list(given)), private=True)
    specs = dict(read.features)
    for col, spec in given.items():
        kind = column_kind(table[col])
        if not isinstance(spec, list) or not spec:
            raise DataError(f"the schema of '{col}' must be a non-empty list ([lo, hi] or categories)")
        if kind in (NUMERIC, DATE):
            try:
                lo, hi = (as_numbers(pd.Series(pd.to_datetime(spec, format="ISO8601"))) if kind == DATE else
                          np.asarray(spec, dtype=float))
            except (ValueError, TypeError):
                raise DataError(f"the schema of '{col}' must be [lo, hi] ({'dates' if kind == DATE else 'numbers'})"
                                ) from None
            if not lo < hi:
                raise DataError(f"the schema of '{col}' needs lo < hi; got {spec}")
            specs[col] = FeatureSpec(CONTINUOUS, bounds=(float(lo), float(hi)))
        else:
            specs[col] = FeatureSpec(NOMINAL, categories=tuple(str(v) for v in spec))
    features = tuple((str(c), specs[str(c)]) for c in table.columns)
    return PrivacySchema(features, from_private_data=len(given) < table.shape[1])


def synthesize(table: pd.DataFrame, epsilon: float, delta: float, schema=None, seed: int = 0,
               rows: int | None = None) -> tuple[pd.DataFrame, MSTSynthesizer]:
    """One synthetic table with `table`'s columns and dtypes (as many rows unless `rows`), and its fitted MST."""
    model = MSTSynthesizer(epsilon=epsilon, delta=delta, schema=schema, random_state=seed).fit(table)
    return model.sample(len(table) if rows is None else rows), model


class TrainedOnSynthetic(BaseEstimator):
    """The synthetic-data recipe as one estimator: `fit(X, y)` synthesizes (X, y) with MST and fits `estimator` on
    the synthetic rows. What the attacker's reference models are trained with (as `dp.dp_factory` is for DP-EBM)."""

    def __init__(self, *, estimator=None, epsilon: float = 1.0, delta: float = 1e-5, schema=None,
                 target: str = "__target__", random_state: int = 0):
        self.estimator = estimator
        self.epsilon = epsilon
        self.delta = delta
        self.schema = schema
        self.target = target
        self.random_state = random_state

    def fit(self, X: pd.DataFrame, y):
        from sklearn.base import clone
        from sklearn.dummy import DummyClassifier

        table = X.reset_index(drop=True).assign(**{self.target: np.asarray(y)})
        synthetic, _ = synthesize(table, self.epsilon, self.delta, self.schema, self.random_state)
        Xs, ys = synthetic[list(X.columns)], synthetic[self.target]
        keep = ys.notna().to_numpy()
        estimator = clone(self.estimator)
        if hasattr(estimator, "predict_proba") and pd.Series(ys[keep]).nunique() < 2:
            estimator = DummyClassifier(strategy="prior")  # a synthetic table of one class: the prior is all there is
        self.model_ = estimator.fit(Xs[keep], ys[keep])
        if hasattr(self.model_, "classes_"):
            self.classes_ = self.model_.classes_
        return self

    def predict(self, X):
        check_is_fitted(self, "model_")
        return self.model_.predict(X)

    @available_if(lambda self: hasattr(self.model_, "predict_proba"))  # regressors have none
    def predict_proba(self, X):
        return self.model_.predict_proba(X)


@dataclass(frozen=True, eq=False)
class SyntheticTable:
    """A synthetic version of a whole table, for export: the rows and everything a recipient needs to know about
    how they were made (`description`: method, epsilon, delta, seed, the budget's parts, the schema, fidelity)."""

    table: pd.DataFrame
    epsilon: float
    delta: float
    seed: int
    budget: dict
    schema: dict
    fidelity: dict
    seconds: float

    def description(self) -> dict:
        return {"method": "MST", "epsilon": self.epsilon, "delta": self.delta, "seed": self.seed,
                "rows": len(self.table), "budget": self.budget, "schema": self.schema,
                "fidelity": {k: self.fidelity[k] for k in ("tvd_1way", "tvd_2way", "worst_pair", "per_column")},
                "seconds": round(self.seconds, 3)}

    def description_json(self) -> str:
        import json

        from .results import json_ready

        return json.dumps(json_ready(self.description()), indent=1, allow_nan=False)

    def memory_bytes(self) -> int:
        return int(self.table.memory_usage(deep=True).sum())


def synthetic_table(table: pd.DataFrame, epsilon: float, delta: float, seed: int, schema=None,
                    source: str | None = None) -> SyntheticTable:
    """MST on the whole `table` (schema: public bounds and categories, else read from the rows, flagged; `source`
    says where a given schema came from)."""
    synthetic, model = synthesize(table, epsilon, delta, schema if schema is not None else schema_with(table, None),
                                  seed)
    budget = model.budget_.to_dict() | ({"schema": source} if source and schema is not None else {})
    return SyntheticTable(synthetic, float(epsilon), float(delta), int(seed), budget,
                          {d.name: d.describe() for d in model.domains_}, fidelity(table, synthetic, model.domains_),
                          model.seconds_)
