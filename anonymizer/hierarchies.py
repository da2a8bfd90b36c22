"""Generalization hierarchies: each value of a QI mapped to a chain of ever coarser, named nodes.

A published table writes postcodes as `021**`, dates as a month or a year, ages in round bands and
categories as a named parent, not `[lo, hi]` ranges or `{a, b}` sets. A hierarchy gives every distinct
value its chain of nodes from the root `*` down to the finest node that may be released; a class is
released as the lowest node all its values share (docs/design.md, "Hierarchies").

Kinds (the spec text is what the CLI's `--hierarchy COL=SPEC` takes):
- `prefix`: text codes masked from the right, one character a level (`02139 -> 0213* -> 021** -> *`);
- `date:day|month|quarter|year|decade`: calendar periods, the spec naming the finest level released;
- `bands:W`: numbers in bands of round width W, then ever wider round widths that nest (W x 2, 5 or 10)
  until one band covers the column; `bands:E1,E2,...` the user's own band edges (one level);
- a taxonomy: a JSON tree (`{"Europe": {"France": ["Paris", "Lyon"]}}`) or a two-column child,parent CSV.
"""

from __future__ import annotations

import csv
import io
import json
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from .data import DATE, NUMERIC, DataError, as_numbers, column_kind

ROOT = "*"
DATE_LEVELS = ("decade", "year", "quarter", "month", "day")  # coarse to fine
KINDS = ("prefix", "date", "bands", "taxonomy")
MAX_TAXONOMY_NODES = 100_000


@dataclass(frozen=True)
class Chains:
    """Nodes of every distinct value of a column, by depth: `labels[i, d]` is value i's node at depth d
    (depth 0 the root). Ordered kinds give each node its interval `lo`/`hi` (day numbers for dates) for NCP;
    the others give `leaves[i, d]`, how many of the column's values lie under that node."""

    labels: np.ndarray  # object, (values, depths)
    level_names: tuple[str, ...]  # by depth, root first
    lo: np.ndarray | None = None
    hi: np.ndarray | None = None
    leaves: np.ndarray | None = None


@dataclass(frozen=True)
class Hierarchy:
    """One QI's hierarchy; `spec` is its text (`prefix`, `date:month`, `bands:5`, `taxonomy:<name>`)."""

    kind: str
    spec: str
    level: str = "day"  # date: the finest level released
    width: float | None = None  # bands: the finest round width
    edges: tuple[float, ...] = ()  # bands: the user's edges
    parent: tuple[tuple[str, str], ...] = field(default=(), repr=False)  # taxonomy: (child, parent) pairs

    def describe(self) -> str:
        if self.kind == "prefix":
            return "prefix: the last characters masked by *, one a level"
        if self.kind == "date":
            finest = DATE_LEVELS.index(self.level)
            return "date: " + " -> ".join(reversed(DATE_LEVELS[:finest + 1])) + " -> *"
        if self.kind == "bands":
            if self.edges:
                return f"bands at the edges {', '.join(_number(e) for e in self.edges)} -> *"
            return f"bands of width {_number(self.width)}, then wider round widths that nest -> *"
        return f"taxonomy of {len(self.parent)} links ({self.spec})"

    def check_column(self, column: pd.Series) -> None:
        """Refuse a hierarchy that does not fit the column's kind or leaves a value uncovered (one line)."""
        kind = column_kind(column)
        name = column.name
        if self.kind == "date" and kind != DATE:
            raise DataError(f"hierarchy {self.spec} of '{name}' needs a date column; '{name}' holds {kind} values")
        if self.kind == "bands" and kind != NUMERIC:
            raise DataError(f"hierarchy {self.spec} of '{name}' needs a numeric column; '{name}' holds {kind} values")
        if self.kind in ("prefix", "taxonomy") and kind in (NUMERIC, DATE):
            raise DataError(f"hierarchy {self.spec} of '{name}' needs a text or category column; "
                            f"'{name}' holds {kind} values")
        values = _distinct(column)
        if self.kind == "taxonomy":
            known = {c for c, _ in self.parent} | {p for _, p in self.parent}
            uncovered = [v for v in map(str, values) if v not in known]
            if uncovered:
                raise DataError(f"the taxonomy of '{name}' does not cover {len(uncovered):,} value(s) of it, "
                                f"e.g. {uncovered[:3]}; add them under a parent")
        if self.kind == "bands" and self.edges:
            numbers = np.asarray(values, dtype=float)
            outside = numbers[(numbers < self.edges[0]) | (numbers > self.edges[-1])]
            if len(outside):
                raise DataError(f"the bands of '{name}' run from {_number(self.edges[0])} to "
                                f"{_number(self.edges[-1])}; {len(outside):,} value(s) lie outside, e.g. "
                                f"{_number(outside[0])}")

    def chains(self, values) -> Chains:
        """The chains of `values` (the column's distinct non-missing values)."""
        if self.kind == "prefix":
            return _prefix_chains(values)
        if self.kind == "date":
            return _date_chains(values, self.level)
        if self.kind == "bands":
            return _band_chains(np.asarray(values, dtype=float), self.width, self.edges)
        return _taxonomy_chains(values, dict(self.parent))


def _number(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else f"{x:g}"


def _distinct(column: pd.Series):
    present = column.dropna()
    if column_kind(column) == DATE:
        return pd.Index(pd.to_datetime(present).unique()).sort_values()
    if column_kind(column) == NUMERIC:
        return np.unique(present.to_numpy(dtype=float))
    return np.asarray(sorted(present.astype(str).unique()), dtype=object)


# --- the kinds --------------------------------------------------------------------------------------


def _prefix_chains(values) -> Chains:
    text = [str(v) for v in values]
    depth = max((len(t) for t in text), default=0)
    labels = np.empty((len(text), depth + 1), dtype=object)
    labels[:, 0] = ROOT
    for i, t in enumerate(text):
        for d in range(1, depth + 1):
            labels[i, d] = t[:d] + "*" * (len(t) - d) if d < len(t) else t
    leaves = _leaf_counts(labels)
    names = tuple([ROOT] + [f"{d} character{'s' if d > 1 else ''} kept" for d in range(1, depth)] + ["the value"])
    return Chains(labels, names[:depth + 1], leaves=leaves)


def _leaf_counts(labels: np.ndarray) -> np.ndarray:
    """Per (value, depth), the number of values sharing that node (for a node's NCP)."""
    out = np.empty(labels.shape, dtype=float)
    for d in range(labels.shape[1]):
        codes, counts = np.unique(labels[:, d].astype(str), return_inverse=True, return_counts=True)[1:]
        out[:, d] = counts[codes.ravel()]
    return out


def _date_chains(values, level: str) -> Chains:
    stamps = pd.DatetimeIndex(pd.to_datetime(pd.Index(values)))
    levels = DATE_LEVELS[:DATE_LEVELS.index(level) + 1]
    labels = np.empty((len(stamps), len(levels) + 1), dtype=object)
    lo = np.empty(labels.shape)
    hi = np.empty(labels.shape)
    labels[:, 0] = ROOT
    years = stamps.year.to_numpy()
    days = as_numbers(pd.Series(stamps))
    lo[:, 0], hi[:, 0] = (days.min(), days.max()) if len(days) else (0.0, 0.0)
    for d, name in enumerate(levels, start=1):
        if name == "decade":
            start = pd.to_datetime({"year": years // 10 * 10, "month": 1, "day": 1})
            end = pd.to_datetime({"year": years // 10 * 10 + 10, "month": 1, "day": 1})
            text = [f"{y // 10 * 10}s" for y in years]
        elif name == "year":
            start = pd.to_datetime({"year": years, "month": 1, "day": 1})
            end = pd.to_datetime({"year": years + 1, "month": 1, "day": 1})
            text = [str(y) for y in years]
        elif name == "quarter":
            q = (stamps.month.to_numpy() - 1) // 3
            start = pd.to_datetime({"year": years, "month": 3 * q + 1, "day": 1})
            end = start + pd.DateOffset(months=3)
            text = [f"{y}-Q{qq + 1}" for y, qq in zip(years, q)]
        elif name == "month":
            start = pd.to_datetime({"year": years, "month": stamps.month.to_numpy(), "day": 1})
            end = start + pd.DateOffset(months=1)
            text = [f"{y}-{m:02d}" for y, m in zip(years, stamps.month)]
        else:
            start, end = pd.Series(stamps.normalize()), pd.Series(stamps.normalize()) + pd.Timedelta(days=1)
            text = [s.strftime("%Y-%m-%d") for s in stamps]
        labels[:, d] = text
        lo[:, d] = as_numbers(pd.Series(start))
        hi[:, d] = as_numbers(pd.Series(end)) - 1  # the period's last day
    return Chains(labels, (ROOT,) + levels, lo, hi)


def round_widths(start: float, stop: float) -> list[float]:
    """Round widths from `start` up, each a multiple of the one before (x2, x5 or x10, whichever is the
    next round number 1, 2 or 5 x 10^n), until one width reaches `stop`."""
    widths = [float(start)]
    while widths[-1] < stop and len(widths) < 40:
        w = widths[-1]
        exponent = math.floor(math.log10(w))
        candidates = sorted(m * 10.0 ** e for e in (exponent, exponent + 1, exponent + 2) for m in (1, 2, 5))
        nxt = next(c for c in candidates if c > w * (1 + 1e-9) and _multiple(c, w))
        widths.append(nxt)
    return widths


def _multiple(a: float, b: float) -> bool:
    ratio = a / b
    return abs(ratio - round(ratio)) < 1e-9


def is_round(width: float) -> bool:
    """1, 2 or 5 x 10^n."""
    if not width > 0:
        return False
    mantissa = width / 10.0 ** math.floor(math.log10(width))
    return any(abs(mantissa - m) < 1e-9 for m in (1, 2, 5))


def _band_label(lo: float, width: float, whole: bool) -> str:
    if whole and float(width).is_integer():
        return _number(lo) if width == 1 else f"{_number(lo)}-{_number(lo + width - 1)}"
    return f"[{lo:g}, {lo + width:g})"


def _band_chains(values: np.ndarray, width: float | None, edges: tuple[float, ...]) -> Chains:
    whole = bool(len(values)) and bool(np.all(values == np.floor(values)))
    if edges:
        e = np.asarray(edges, dtype=float)
        idx = np.clip(np.searchsorted(e, values, side="right") - 1, 0, len(e) - 2)
        labels = np.empty((len(values), 2), dtype=object)
        labels[:, 0] = ROOT
        last = len(e) - 2
        labels[:, 1] = [f"[{e[i]:g}, {e[i + 1]:g}" + ("]" if i == last else ")") for i in idx]
        lo = np.column_stack([np.full(len(values), e[0]), e[idx]])
        hi = np.column_stack([np.full(len(values), e[-1]), e[idx + 1]])
        return Chains(labels, (ROOT, "band"), lo, hi)
    span = float(values.max() - values.min()) if len(values) else 0.0
    widths = round_widths(width, max(span, width))
    # coarse to fine after the root; a width whose band still covers every value is the root's equal: dropped
    lo_all, hi_all = (values.min(), values.max()) if len(values) else (0.0, 0.0)
    kept = [w for w in widths if np.floor(lo_all / w) != np.floor(hi_all / w)] or [widths[0]]
    kept = sorted(kept, reverse=True)
    labels = np.empty((len(values), len(kept) + 1), dtype=object)
    lo = np.empty(labels.shape)
    hi = np.empty(labels.shape)
    labels[:, 0], lo[:, 0], hi[:, 0] = ROOT, lo_all, hi_all
    for d, w in enumerate(kept, start=1):
        start = np.floor(values / w) * w
        labels[:, d] = [_band_label(s, w, whole) for s in start]
        lo[:, d], hi[:, d] = start, start + w - (1 if whole and float(w).is_integer() else 0)
    names = (ROOT,) + tuple(f"width {_number(w)}" for w in kept)
    return Chains(labels, names, lo, hi)


def _taxonomy_chains(values, parent: dict[str, str]) -> Chains:
    chains = []
    for v in map(str, values):
        chain, node = [v], v
        while node in parent:
            node = parent[node]
            chain.append(node)
        if chain[-1] != ROOT:
            chain.append(ROOT)
        chains.append(chain[::-1])
    depth = max((len(c) for c in chains), default=1)
    labels = np.empty((len(chains), depth), dtype=object)
    for i, c in enumerate(chains):  # a leaf above the deepest level repeats itself below: it is its own node
        labels[i] = c + [c[-1]] * (depth - len(c))
    names = (ROOT,) + tuple(f"depth {d}" for d in range(1, depth))
    return Chains(labels, names, leaves=_leaf_counts(labels))


# --- reading specs and taxonomies -------------------------------------------------------------------


def parse_hierarchy(spec: str, base: Path | None = None) -> Hierarchy:
    """A hierarchy from its spec text: `prefix`, `date:LEVEL`, `bands:W`, `bands:E1,E2,...`, or a taxonomy
    file (`.json` tree or `.csv` child,parent pairs)."""
    text = spec.strip()
    if text == "prefix":
        return Hierarchy("prefix", "prefix")
    if text.startswith("date"):
        level = text.partition(":")[2] or "day"
        if level not in DATE_LEVELS:
            raise DataError(f"unknown date level '{level}' in '{spec}'; use one of {', '.join(DATE_LEVELS)}")
        return Hierarchy("date", f"date:{level}", level=level)
    if text.startswith("bands:"):
        parts = [p.strip() for p in text[6:].split(",") if p.strip()]
        try:
            numbers = [float(p) for p in parts]
        except ValueError:
            raise DataError(f"'{spec}': bands take a width (bands:5) or edges (bands:0,18,65,120)") from None
        if not numbers or not all(math.isfinite(x) for x in numbers):
            raise DataError(f"'{spec}': bands take a width (bands:5) or edges (bands:0,18,65,120)")
        if len(numbers) == 1:
            if not numbers[0] > 0:
                raise DataError(f"'{spec}': a band width must be positive")
            if not is_round(numbers[0]):
                raise DataError(f"'{spec}': a band width must be a round number (1, 2 or 5 x 10^n, e.g. 5, 10, "
                                f"0.2); give edges for other bands")
            return Hierarchy("bands", text, width=numbers[0])
        if any(b <= a for a, b in zip(numbers, numbers[1:])):
            raise DataError(f"'{spec}': band edges must increase")
        return Hierarchy("bands", text, edges=tuple(numbers))
    path = Path(text)
    if base is not None and not path.is_absolute():
        path = base / path
    if path.suffix.lower() in (".json", ".csv"):
        if not path.is_file():
            raise DataError(f"taxonomy file not found: {text}")
        content = path.read_text(encoding="utf-8")
        pairs = taxonomy_from_json(content) if path.suffix.lower() == ".json" else taxonomy_from_csv(content)
        return Hierarchy("taxonomy", f"taxonomy:{path.name}", parent=pairs)
    raise DataError(f"unknown hierarchy '{spec}'; use prefix, date:day|month|quarter|year|decade, bands:W, "
                    "bands:E1,E2,..., or a taxonomy file (.json or .csv)")


def taxonomy_from_json(text: str) -> tuple[tuple[str, str], ...]:
    """(child, parent) pairs of a JSON tree: objects map a node to its children (an object, a list, or one
    value); a list's items are leaves or objects. Top-level nodes hang under the root `*`."""
    try:
        tree = json.loads(text)
    except json.JSONDecodeError as e:
        raise DataError(f"the taxonomy is not valid JSON: {e.msg} (line {e.lineno})") from None
    pairs: list[tuple[str, str]] = []

    def walk(node, parent: str) -> None:
        if isinstance(node, dict):
            for name, children in node.items():
                pairs.append((str(name), parent))
                walk(children, str(name))
        elif isinstance(node, list):
            for item in node:
                walk(item, parent) if isinstance(item, (dict, list)) else pairs.append((str(item), parent))
        elif node is not None:
            pairs.append((str(node), parent))
        if len(pairs) > MAX_TAXONOMY_NODES:
            raise DataError(f"the taxonomy has more than {MAX_TAXONOMY_NODES:,} nodes")

    if isinstance(tree, dict) and list(tree) == [ROOT]:
        tree = tree[ROOT]
    walk(tree, ROOT)
    return check_taxonomy(pairs)


def taxonomy_from_csv(text: str) -> tuple[tuple[str, str], ...]:
    """(child, parent) pairs of a two-column CSV (a header `child,parent` is skipped); a parent that is no one's
    child hangs under the root `*`."""
    rows = [r for r in csv.reader(io.StringIO(text)) if r and any(c.strip() for c in r)]
    if rows and [c.strip().lower() for c in rows[0]] == ["child", "parent"]:
        rows = rows[1:]
    bad = [i for i, r in enumerate(rows, start=1) if len(r) != 2]
    if bad:
        raise DataError(f"the taxonomy CSV needs two columns (child,parent); row {bad[0]} has "
                        f"{len(rows[bad[0] - 1])}")
    if len(rows) > MAX_TAXONOMY_NODES:
        raise DataError(f"the taxonomy has more than {MAX_TAXONOMY_NODES:,} nodes")
    pairs = [(c.strip(), p.strip()) for c, p in rows]
    children = {c for c, _ in pairs}
    tops = sorted({p for _, p in pairs if p not in children and p != ROOT})
    return check_taxonomy(pairs + [(t, ROOT) for t in tops])


def check_taxonomy(pairs: list[tuple[str, str]]) -> tuple[tuple[str, str], ...]:
    """Refuse a child with two parents, a node that is its own ancestor, and an empty taxonomy."""
    if not pairs:
        raise DataError("the taxonomy is empty")
    parent: dict[str, str] = {}
    for child, par in pairs:
        if child == ROOT:
            raise DataError(f"'{ROOT}' is the root of every taxonomy and cannot be a child")
        if child in parent and parent[child] != par:
            raise DataError(f"'{child}' has two parents in the taxonomy: '{parent[child]}' and '{par}'")
        parent[child] = par
    for start in parent:
        seen, node = {start}, start
        while node in parent:
            node = parent[node]
            if node in seen:
                raise DataError(f"the taxonomy has a cycle through '{start}'")
            seen.add(node)
    return tuple(sorted(parent.items()))


def hierarchy_to_dict(hierarchy: Hierarchy) -> dict:
    """A hierarchy as JSON that rebuilds it (`hierarchy_from_dict`): its spec, and a taxonomy's links themselves,
    so a scenario replays without the file it was read from."""
    if hierarchy.kind == "taxonomy":
        return {"spec": hierarchy.spec, "links": [list(pair) for pair in hierarchy.parent]}
    return {"spec": hierarchy.spec}


def hierarchy_from_dict(d) -> Hierarchy:
    """The hierarchy of `hierarchy_to_dict`'s JSON, checked as a spec or a taxonomy file is."""
    if not isinstance(d, dict) or not isinstance(d.get("spec"), str):
        raise DataError("a hierarchy in a scenario is an object with a 'spec' text")
    spec = d["spec"]
    if not spec.startswith("taxonomy:"):
        return parse_hierarchy(spec)
    links = d.get("links")
    if (not isinstance(links, list) or len(links) > MAX_TAXONOMY_NODES
            or not all(isinstance(pair, list) and len(pair) == 2 and all(isinstance(v, str) for v in pair)
                       for pair in links)):
        raise DataError(f"the taxonomy '{spec}' in the scenario needs 'links': a list of [child, parent] texts")
    return Hierarchy("taxonomy", spec, parent=check_taxonomy([tuple(pair) for pair in links]))


def suggest_hierarchy(column: pd.Series) -> str | None:
    """The hierarchy suggested for a column by its kind (shown, never applied unasked): dates by month,
    numbers in round bands of about a twentieth of their range, codes of one length (postcodes) by prefix;
    None for other categories (only the analyst knows their taxonomy)."""
    kind = column_kind(column)
    present = column.dropna()
    if present.empty:
        return None
    if kind == DATE:
        return "date:month"
    if kind == NUMERIC:
        values = present.to_numpy(dtype=float)
        span = float(values.max() - values.min())
        if not span > 0:
            return None
        target = span / 20
        widths = [m * 10.0 ** e for e in range(-6, 12) for m in (1, 2, 5)]
        width = min(widths, key=lambda w: abs(math.log(w / target)))
        if np.all(values == np.floor(values)):
            width = max(width, 1.0)
        return f"bands:{_number(width)}"
    text = present.astype(str)
    sample = text.iloc[:5000]
    lengths = sample.str.len()
    if lengths.nunique() == 1 and lengths.iloc[0] >= 3 and sample.str.isalnum().all() and \
            sample.str.contains(r"\d").mean() > 0.9 and text.nunique() > 10:
        return "prefix"
    return None


def hierarchy_choices(column: pd.Series) -> list[str]:
    """The hierarchy specs that fit a column's kind, the suggested one first ('taxonomy' stands for a file the
    analyst gives): what the dashboard offers per QI."""
    kind = column_kind(column)
    suggested = suggest_hierarchy(column)
    if kind == DATE:
        options = [f"date:{level}" for level in reversed(DATE_LEVELS)]
    elif kind == NUMERIC:
        present = column.dropna().to_numpy(dtype=float)
        span = float(present.max() - present.min()) if len(present) else 0.0
        whole = bool(len(present)) and bool(np.all(present == np.floor(present)))
        widths = [m * 10.0 ** e for e in range(-3, 10) for m in (1, 2, 5)]
        widths = [w for w in widths if (w >= 1 or not whole) and span / 500 <= w <= max(span / 2, 1)]
        options = [f"bands:{_number(w)}" for w in widths]
    else:
        options = ["prefix", "taxonomy"]
    if suggested is not None:
        options = [suggested] + [o for o in options if o != suggested]
    return options


def hierarchy_from_upload(name: str, content: bytes) -> Hierarchy:
    """A taxonomy from an uploaded file (.json tree or .csv child,parent), checked; one line for a bad one."""
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise DataError(f"the taxonomy '{name}' is not UTF-8 text") from None
    lower = name.lower()
    if lower.endswith(".json"):
        pairs = taxonomy_from_json(text)
    elif lower.endswith(".csv"):
        pairs = taxonomy_from_csv(text)
    else:
        raise DataError(f"a taxonomy is a .json tree or a .csv of child,parent pairs; got '{name}'")
    return Hierarchy("taxonomy", f"taxonomy:{name}", parent=pairs)
