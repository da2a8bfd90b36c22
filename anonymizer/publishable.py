"""Release rules applied to a grouping of rows: hierarchy nodes per class, and local suppression.

The anonymizers decide which rows go together (with k, l and t enforced while partitioning); this module
then (1) suppresses, within the analyst's limit, the records that force their class to a coarser
generalization, and (2) lifts every class of a QI with a hierarchy to the lowest node its values share.
Groups that end with the same nodes (and the same representatives elsewhere) are one released class.
Definitions: docs/design.md, "Publishable releases".
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .classes import OrderedCodes, stable_order, value_numbers
from .constraints import Diversity, ReleaseRules
from .data import ORDERED_KINDS, as_numbers
from .hierarchies import Hierarchy

SUPPRESSED = -1  # the node id of a suppressed record's cells
TAIL = 8  # the most outlying values of a range (or rarest of a set) one suppression candidate may take


@dataclass
class ColumnNodes:
    """A QI's hierarchy fitted to its column: the global id of every code's node at every depth, and per node
    its label, depth, NCP and (ordered kinds) the lower end of its interval."""

    column: str
    hierarchy: Hierarchy
    level_names: tuple[str, ...]
    node_of: np.ndarray  # (n_codes, depths) global node ids; the last row is the missing code
    labels: np.ndarray  # node id -> label (None: missing)
    depth: np.ndarray
    ncp: np.ndarray
    lo: np.ndarray  # node id -> lower end (NaN for unordered kinds and the missing node)

    @property
    def depths(self) -> int:
        return self.node_of.shape[1]

    def finest(self, codes: np.ndarray) -> np.ndarray:
        """Per row, the lower end of its finest released node (what a boundary-splitting tree sees)."""
        return self.lo[self.node_of[codes, -1]]

    def lift(self, codes: np.ndarray, groups: np.ndarray, n_groups: int) -> np.ndarray:
        """Per group, the lowest node all its rows share (groups with no row: the root)."""
        order = stable_order(groups, n_groups)
        sizes = np.bincount(groups, minlength=n_groups)
        starts = np.concatenate(([0], np.cumsum(sizes)[:-1]))
        has = sizes > 0
        ids = self.node_of[codes[order]]  # rows sorted by group, (rows, depths)
        out = np.full(n_groups, self.node_of[0, 0])
        if not has.any():
            return out
        lo = np.minimum.reduceat(ids, starts[has], axis=0)
        hi = np.maximum.reduceat(ids, starts[has], axis=0)
        depth = (lo == hi).sum(axis=1) - 1  # a node shared at depth d is shared above it (a tree)
        out[has] = lo[np.arange(len(depth)), depth]
        return out


def column_nodes(column: pd.Series, enc: OrderedCodes, hierarchy: Hierarchy) -> ColumnNodes:
    """Fit `hierarchy` to a column whose codes are `enc`."""
    values = enc.values
    chains = hierarchy.chains(values)
    n_values, depths = chains.labels.shape
    ordered = chains.lo is not None
    has_missing = bool((enc.codes == enc.missing_code).any())
    distinct = n_values + (1 if has_missing else 0)
    if ordered:
        numbers = value_numbers(enc) if len(values) else np.empty(0)
        col_lo, col_hi = (numbers.min(), numbers.max()) if len(numbers) else (0.0, 0.0)
        span = col_hi - col_lo
    node_of = np.empty((n_values + 1, depths), dtype=np.int64)
    labels, depth, ncp, lows = [], [], [], []
    for d in range(depths):
        column_labels = chains.labels[:, d].astype(str) if n_values else np.empty(0, dtype=str)
        uniques, first, inverse = np.unique(column_labels, return_index=True, return_inverse=True)
        base = len(labels)
        node_of[:n_values, d] = base + inverse.ravel()
        for u, i in zip(uniques, first):
            labels.append(str(u))
            depth.append(d)
            if d == 0:
                ncp.append(1.0 if distinct > 1 else 0.0)
            elif ordered:
                lo, hi = max(chains.lo[i, d], col_lo), min(chains.hi[i, d], col_hi)
                ncp.append(float(max(hi - lo, 0.0) / span) if span > 0 else 0.0)
            else:
                leaves = chains.leaves[i, d]
                ncp.append(0.0 if leaves <= 1 else float(leaves / distinct))
            lows.append(float(chains.lo[i, d]) if ordered else np.nan)
        if d == 0:
            node_of[n_values, d] = base  # missing sits under the root
        else:  # and is a node of its own below it
            node_of[n_values, d] = len(labels)
            labels.append(None)
            depth.append(d)
            ncp.append(0.0)
            lows.append(np.nan)
    if depths == 1:  # a hierarchy with the root only: missing and values share it
        node_of[n_values, 0] = 0
    return ColumnNodes(column.name, hierarchy, chains.level_names, node_of, np.asarray(labels, dtype=object),
                       np.asarray(depth), np.asarray(ncp), np.asarray(lows, dtype=float))


def fit_nodes(X: pd.DataFrame, rules: ReleaseRules, encodings: dict[str, OrderedCodes]) -> dict[str, ColumnNodes]:
    return {q: column_nodes(X[q], encodings[q], h) for q, h in rules.hierarchies}


# --- local suppression --------------------------------------------------------------------------------


class _GroupLoss:
    """The generalization loss of a set of rows as one class: per QI its NCP (the node's for a QI with a
    hierarchy, the range or the set otherwise), for many candidate subsets of one group at once."""

    def __init__(self, X: pd.DataFrame, qis: list[str], encodings: dict[str, OrderedCodes],
                 nodes: dict[str, ColumnNodes]):
        self.qis, self.nodes = qis, nodes
        self.numbers, self.codes, self.span, self.distinct = {}, {}, {}, {}
        for q in qis:
            enc = encodings[q]
            self.codes[q] = enc.codes
            if q not in nodes and enc.kind in ORDERED_KINDS:
                v = as_numbers(X[q])
                self.numbers[q] = v
                span = np.nanmax(v) - np.nanmin(v) if np.isfinite(v).any() else 0.0
                self.span[q] = span if span > 0 else np.inf
            else:
                self.distinct[q] = len(np.unique(enc.codes))

    def ncp(self, rows: np.ndarray, keep: np.ndarray) -> np.ndarray:
        """Summed NCP over the QIs of each kept subset of `rows` (`keep`: candidates x rows, each non-empty)."""
        total = np.zeros(len(keep))
        for q in self.qis:
            if q in self.nodes:
                cn = self.nodes[q]
                ids = cn.node_of[self.codes[q][rows]]  # rows x depths
                lo = np.where(keep[:, :, None], ids[None], np.iinfo(np.int64).max).min(axis=1)
                hi = np.where(keep[:, :, None], ids[None], -1).max(axis=1)
                depth = (lo == hi).sum(axis=1) - 1  # shared at a depth means shared above it (a tree)
                total += cn.ncp[lo[np.arange(len(keep)), depth]]
            elif q in self.numbers:
                v = self.numbers[q][rows]
                present = keep & np.isfinite(v)[None, :]
                top = np.where(present, v[None, :], -np.inf).max(axis=1)
                bottom = np.where(present, v[None, :], np.inf).min(axis=1)
                total += np.where(present.any(axis=1), (top - bottom) / self.span[q], 0.0)
            else:
                _, inverse = np.unique(self.codes[q][rows], return_inverse=True)
                onehot = np.zeros((len(rows), int(inverse.max()) + 1), dtype=np.int32)
                onehot[np.arange(len(rows)), inverse.ravel()] = 1
                n = ((keep.astype(np.int32) @ onehot) > 0).sum(axis=1)
                total += np.where(n <= 1, 0.0, n / self.distinct[q])
        return total

    def cuts(self, rows: np.ndarray) -> np.ndarray:
        """Candidate suppressions of a group (candidates x rows, True: suppressed), each lowering one QI's
        generalization: a hierarchy's rows outside the largest child of the shared node; a range's rows above
        (or below) each of its TAIL highest (lowest) distinct values, so a few outliers can go together; a set's
        TAIL rarest values, one more at a time."""
        out = []
        for q in self.qis:
            if q in self.nodes:
                cn = self.nodes[q]
                ids = cn.node_of[self.codes[q][rows]]
                depth = (ids.min(axis=0) == ids.max(axis=0)).sum() - 1
                if depth + 1 < cn.depths:
                    child = ids[:, depth + 1]
                    values, counts = np.unique(child, return_counts=True)
                    out.append(child != values[counts.argmax()])
            elif q in self.numbers:
                v = self.numbers[q][rows]
                distinct = np.unique(v[np.isfinite(v)])
                for j in range(1, min(TAIL, len(distinct) - 1) + 1):
                    out.append(v > distinct[-1 - j])
                    out.append(v < distinct[j])
            else:
                c = self.codes[q][rows]
                values, counts = np.unique(c, return_counts=True)
                rarest = values[np.argsort(counts, kind="stable")]
                for j in range(1, min(TAIL, len(values) - 1) + 1):
                    out.append(np.isin(c, rarest[:j]))
        return np.array(out, dtype=bool).reshape(len(out), len(rows))


def suppress(X: pd.DataFrame, qis: list[str], groups: np.ndarray, n_groups: int,
             encodings: dict[str, OrderedCodes], nodes: dict[str, ColumnNodes], rules: ReleaseRules,
             diversity: Diversity) -> tuple[np.ndarray, str]:
    """Rows to suppress (a mask) within `rules.max_suppression` of all rows, and a note ('' if none).

    Greedy over every group: among the candidate subsets (see `_GroupLoss.cuts`) whose removal leaves the
    group passing k, l and t, take the one that lowers the total loss most per record suppressed, where a
    suppressed record counts as fully generalized (NCP 1 on every QI, as ARX and sdcMicro count it); repeat
    while the limit allows and a suppression lowers the loss. With 'missing', the suppressed records form one
    more class in the table (all QIs missing): if it would hold fewer than k records, or break l or t,
    nothing is suppressed and the note says why.
    """
    n = len(X)
    budget = int(np.floor(rules.max_suppression * n + 1e-9))
    mask = np.zeros(n, dtype=bool)
    if budget <= 0:
        return mask, ""
    loss = _GroupLoss(X, qis, encodings, nodes)
    order = stable_order(groups, n_groups)
    bounds = np.searchsorted(groups[order], np.arange(n_groups + 1))
    members = {g: order[bounds[g]:bounds[g + 1]] for g in range(n_groups) if bounds[g + 1] > bounds[g]}
    n_qis = len(qis)
    heap: list = []

    def push(g: int) -> None:
        rows = members[g]
        if len(rows) <= diversity.k:  # nothing can go without breaking k
            return
        cuts = loss.cuts(rows)
        if not len(cuts):
            return
        keep = ~cuts
        kept, cut = keep.sum(axis=1), cuts.sum(axis=1)
        valid = (kept >= diversity.k) & (cut > 0)
        if diversity.constrained:
            counts = keep.astype(np.int32) @ np.eye(diversity.m, dtype=np.int32)[diversity.codes[rows]]
            valid &= diversity.ok(counts)
        if not valid.any():
            return
        keep, kept, cut = keep[valid], kept[valid], cut[valid]
        base = len(rows) * loss.ncp(rows, np.ones((1, len(rows)), dtype=bool))[0]
        gain = (base - kept * loss.ncp(rows, keep) - cut * n_qis) / cut
        best = int(np.argmax(gain))
        if gain[best] > 1e-12:
            heapq.heappush(heap, (-float(gain[best]), g, len(rows), rows[~keep[best]]))

    for g in members:
        push(g)
    used = 0
    # removing rows changes the released table's own distribution of the sensitive values, which t is measured
    # against: every class is checked again before a removal is accepted
    recheck = rules.suppression == "remove" and rules.t is not None and diversity.constrained
    if recheck:
        counts = diversity.counts(groups, n_groups)
    while heap:
        _, g, size, cut = heapq.heappop(heap)
        if size != len(members[g]):  # stale entry
            continue
        if used + len(cut) > budget:
            continue  # a smaller suppression elsewhere may still fit
        if recheck:
            after = counts.copy()
            after[g] -= np.bincount(diversity.codes[cut], minlength=diversity.m)
            live = after.sum(axis=1) > 0
            if not diversity.ok(after[live], after.sum(axis=0) / after.sum()).all():
                continue
            counts = after
        mask[cut] = True
        used += len(cut)
        members[g] = np.setdiff1d(members[g], cut, assume_unique=True)
        push(g)
    if rules.suppression == "missing" and used:
        rows = np.flatnonzero(mask)
        if used < diversity.k or not diversity.rows_ok(rows):
            reason = f"fewer than k = {diversity.k}" if used < diversity.k else "a class that breaks l or t"
            return np.zeros(n, dtype=bool), (f"no record suppressed: the {used} records worth suppressing would "
                                             f"form {reason} (their QIs all missing); "
                                             "use suppression by removing rows, or a larger limit")
    return mask, ""


# --- splitting at hierarchy boundaries ------------------------------------------------------------------


@dataclass
class BoundaryFeature:
    """A QI with a hierarchy as the partitioning sees it in 'boundary' mode: every value replaced by a number
    of its finest released node (ordered kinds: the node's lower end; categories: the node's rank in the
    hierarchy's depth-first order), so any threshold falls on a node boundary and siblings stay adjacent."""

    hierarchy: Hierarchy
    values: pd.Index | None = None  # categories: the fitted values
    rank: np.ndarray | None = None  # categories: per fitted value, its finest node's rank

    @classmethod
    def fit(cls, enc: OrderedCodes, nodes: ColumnNodes) -> BoundaryFeature:
        if nodes.hierarchy.kind in ("date", "bands"):
            return cls(nodes.hierarchy)
        chains = nodes.node_of[:-1]  # per value, its node ids root first
        leaf = chains[:, -1]
        position = np.empty(len(leaf))
        position[np.lexsort(chains[:, ::-1].T)] = np.arange(len(leaf))  # depth-first: sorted by chain
        first = np.full(int(leaf.max()) + 1 if len(leaf) else 0, np.inf)
        np.minimum.at(first, leaf, position)  # a node's rank: its first value's position
        return cls(nodes.hierarchy, pd.Index(enc.values), first[leaf])

    def transform(self, column: pd.Series) -> np.ndarray:
        if self.values is not None:
            codes = self.values.get_indexer(column.astype(object))
            out = np.full(len(column), np.nan)
            known = codes >= 0
            out[known] = self.rank[codes[known]]
            return out
        numbers = as_numbers(column)
        out = np.full(len(column), np.nan)
        present = ~np.isnan(numbers)
        if not present.any():
            return out
        if self.hierarchy.kind == "date":
            distinct = pd.Index(pd.to_datetime(column[present]).unique())
            chains = self.hierarchy.chains(distinct)
            lows = pd.Series(chains.lo[:, -1], index=as_numbers(pd.Series(distinct)))
        else:
            distinct = np.unique(numbers[present])
            chains = self.hierarchy.chains(distinct)
            lows = pd.Series(chains.lo[:, -1], index=distinct)
        out[present] = lows.reindex(numbers[present]).to_numpy()
        return out


def boundary_view(X: pd.DataFrame, features: dict[str, BoundaryFeature]) -> pd.DataFrame:
    """X with every QI that has a boundary feature replaced by it (floats, NaN for missing)."""
    view = X.copy(deep=False)
    for q, feature in features.items():
        view[q] = feature.transform(X[q])
    return view


# --- the released classes -------------------------------------------------------------------------------


@dataclass
class ReleasedClasses:
    """Rows grouped into released classes under the rules: `grouping` (per original group its class),
    `class_ids` per row (suppressed rows in a class of their own), per hierarchy QI the node of every class
    (SUPPRESSED for that class), the suppressed mask (None when suppression is off) and notes."""

    grouping: object
    class_ids: np.ndarray
    class_nodes: dict[str, np.ndarray]
    suppressed: np.ndarray | None
    suppressed_class: int | None
    notes: list[str]


def release_classes(X: pd.DataFrame, qis: list[str], groups: np.ndarray, n_groups: int,
                    encodings: dict[str, OrderedCodes], nodes: dict[str, ColumnNodes], rules: ReleaseRules,
                    diversity: Diversity) -> ReleasedClasses:
    """Suppress within the limit, lift hierarchy QIs to their lowest shared node, and merge the groups that
    end released alike (equal nodes, equal representatives of the other QIs). Merging classes that each pass
    k, l and t yields a class that passes them too (sizes add, distinct values only grow, exp(entropy) of a
    mixture is at least its parts' smallest, and the distance to the table's distribution is convex)."""
    from .classes import Grouping, group_into_classes

    mask, note = suppress(X, qis, groups, n_groups, encodings, nodes, rules, diversity)
    notes = [note] if note else []
    n_sup = int(mask.sum())
    g2, n2 = groups, n_groups
    if n_sup:
        g2 = groups.copy()
        g2[mask] = n_groups
        n2 = n_groups + 1
    hier = [q for q, _ in rules.hierarchies]
    others = [q for q in qis if q not in nodes]
    keys = np.zeros((n2, 0), dtype=np.int64)
    if hier:
        keys = np.column_stack([nodes[q].lift(encodings[q].codes, g2, n2) for q in hier])
    if n_sup:
        keys[n_groups, :] = SUPPRESSED
        keys = np.column_stack([keys, (np.arange(n2) == n_groups).astype(np.int64)])
    first = group_into_classes(X, qis, g2, n2, encodings, keys=keys, key_qis=others)
    class_keys = np.zeros((first.n_classes, keys.shape[1]), dtype=np.int64)
    class_keys[first.class_of_group] = keys
    rows_first = first.class_of_group[g2]
    # representatives over the merged classes (a class's median, not one of its groups')
    second = group_into_classes(X, qis, rows_first, first.n_classes, encodings, keys=class_keys, key_qis=others)
    final_keys = np.zeros((second.n_classes, keys.shape[1]), dtype=np.int64)
    final_keys[second.class_of_group] = class_keys
    class_ids = second.class_of_group[rows_first]
    grouping = Grouping(second.class_of_group[first.class_of_group[:n_groups]], second.class_reps,
                        second.encodings, second.n_classes)
    suppressed_class = int(class_ids[mask][0]) if n_sup else None
    return ReleasedClasses(grouping, class_ids, {q: final_keys[:, j] for j, q in enumerate(hier)},
                           mask if rules.max_suppression > 0 else None, suppressed_class, notes)
