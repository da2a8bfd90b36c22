"""Anonymization of partitioned Parquet tables larger than memory, on a Dask cluster.

The same method as the in-memory estimators, split into steps that never hold the table:

1. a seeded sample of the rows (`sample_rows`) is drawn partition by partition; the guiding model
   (the package default, trained on `model_rows` of the sample, or the user's) predicts the sample
   partition by partition (one thread each: LightGBM's OpenMP threads busy-wait);
2. the partitioning tree (accuracy-guided) or the Mondrian splits are fit on the sample with a
   leaf size of k scaled to the sample, so leaves hold about k rows of the whole table;
3. one pass over all rows counts the rows of every leaf and collects per-leaf statistics (numeric
   min/max, categorical value counts); leaves under k are merged with their sibling, bottom-up,
   until every group holds >= k rows (`trees.merge_small_leaves`);
4. representatives: categorical = the mode over all rows of the group (ties: the smaller value,
   missing last); numeric = the lower median of the group's rows in the sample, an actual value
   of the group (the exact median would need a sort of the whole table; the sample's is the
   documented approximation). Groups with equal representative tuples form one class;
5. a second pass writes every partition with its QI cells replaced (the input's columns, dtypes and
   row count); a third reads the output back and counts its classes, so `k_achieved` is measured
   on the whole output, never taken from the bookkeeping.

The report has the keys of the in-memory CLI report. GCP/NCP come from the per-leaf statistics of
the original values, grouped by class.
"""

from __future__ import annotations

import glob
import json
import math
import os
import shutil
import sys
import tempfile
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from . import limits
from .anonymize import _NO_ROWS, TREE_FEATURES, AccuracyGuidedAnonymizer, MondrianAnonymizer, TreeEncoder
from .classes import Grouping, OrderedCodes, apply_classes, numeric_representatives
from .data import NUMERIC, ORDERED_KINDS, DataError, as_numbers, check_k, check_seed, column_kind, validate_roles
from .metrics import DEFAULT_RISK_THRESHOLD, MAX_NAMED, NARROW_SHARE, PrivacyMetrics, add_disclosure
from .parquet_parts import check_parts, unreadable_part
from .trees import TreeStructure, guide_labels, merge_small_leaves

DEFAULT_SAMPLE_ROWS = 200_000  # rows the partitioning tree is fit on
DEFAULT_MODEL_ROWS = 50_000  # rows of that sample the default guiding model is trained on
DEFAULT_WORKERS = 2
DEFAULT_MEMORY_LIMIT = "2GiB"  # per worker; workers spill to disk above it


@dataclass
class Partitioner:
    """What every partition needs to find its rows' leaves (small and picklable: no rows)."""

    quasi_identifiers: list[str]
    tree_columns: list[str]
    encoder: TreeEncoder | None = None
    tree: object = None
    splits: object = None  # MondrianSplits
    n_leaves: int = 0

    def leaves(self, part: pd.DataFrame) -> np.ndarray:
        if self.splits is not None:
            return self.splits.apply(part, self.quasi_identifiers)
        return self.tree.apply(self.encoder.transform(part[self.tree_columns]))

    def structure(self) -> TreeStructure:
        if self.splits is not None:
            s = self.splits
            return TreeStructure(s.left, s.right, np.where(s.qi < 0, s.group, -1))
        return self.tree.structure()


@dataclass
class LeafStats:
    """Per-leaf statistics of some rows; `combine` adds two of them (a reduction, no shuffle)."""

    counts: np.ndarray
    lo: dict[str, np.ndarray] = field(default_factory=dict)  # numeric QI -> per-leaf min (NaN: none)
    hi: dict[str, np.ndarray] = field(default_factory=dict)
    values: dict[str, pd.Series] = field(default_factory=dict)  # column -> counts by (leaf, value)

    @staticmethod
    def of(part: pd.DataFrame, partitioner: Partitioner, numeric: list[str], counted: list[str]) -> LeafStats:
        leaves = partitioner.leaves(part)
        n = partitioner.n_leaves
        stats = LeafStats(np.bincount(leaves, minlength=n))
        for q in numeric:
            g = pd.Series(part[q].to_numpy(dtype=float, na_value=np.nan)).groupby(leaves)
            stats.lo[q] = g.min().reindex(range(n)).to_numpy()
            stats.hi[q] = g.max().reindex(range(n)).to_numpy()
        for c in counted:
            frame = pd.DataFrame({"leaf": leaves, "value": part[c].to_numpy()})
            stats.values[c] = frame.value_counts(dropna=False, sort=False)
        return stats

    def combine(self, other: LeafStats) -> LeafStats:
        values = {c: pd.concat([v, other.values[c]]).groupby(level=[0, 1], dropna=False, sort=False).sum()
                  for c, v in self.values.items()}
        return LeafStats(self.counts + other.counts,
                         {q: np.fmin(v, other.lo[q]) for q, v in self.lo.items()},
                         {q: np.fmax(v, other.hi[q]) for q, v in self.hi.items()}, values)


def _tree_reduce(items: list, combine):
    """Pairwise reduction of delayed objects, so no task holds more than two partial results."""
    from dask import delayed

    while len(items) > 1:
        items = [delayed(combine)(items[i], items[i + 1]) if i + 1 < len(items) else items[i]
                 for i in range(0, len(items), 2)]
    return items[0]


def _mode_by_group(counts: pd.Series, group_of_leaf: np.ndarray, n_groups: int) -> tuple[np.ndarray, np.ndarray]:
    """Per group the most frequent value (ties: the smaller value, missing last); returns the sorted
    distinct representative values and every group's code into them (missing: len(values))."""
    frame = counts.rename("n").reset_index()
    frame["group"] = group_of_leaf[frame["leaf"].to_numpy()]
    per = frame.groupby(["group", "value"], dropna=False, sort=False)["n"].sum().reset_index()
    missing = per["value"].isna().to_numpy()
    try:
        order = pd.factorize(per["value"], sort=True, use_na_sentinel=True)[0]
    except TypeError:  # values that do not sort: first-seen order
        order = pd.factorize(per["value"], sort=False, use_na_sentinel=True)[0]
    order = np.where(missing, order.max(initial=0) + 1, order)
    per = per.assign(order=order).sort_values(["group", "n", "order"], ascending=[True, False, True], kind="stable")
    first = per.drop_duplicates("group")
    rep = pd.Series(first["value"].to_numpy(), index=first["group"].to_numpy()).reindex(range(n_groups))
    values = rep.dropna().unique()
    try:
        values = np.sort(values)
    except TypeError:
        pass
    codes = pd.Index(values).get_indexer(rep)
    return np.asarray(values, dtype=object), np.where(codes < 0, len(values), codes)


def _sensitive_from_counts(counts: pd.DataFrame, numeric: bool) -> dict:
    """Distinct l, entropy l, t-closeness and the disclosing classes (`metrics.sensitive_metrics`' rules) from a
    (class x value) count table."""
    if numeric:  # ordered EMD over sorted values, missing last
        cols = sorted(counts.columns, key=lambda v: (pd.isna(v), 0 if pd.isna(v) else v))
        counts = counts[cols]
    block = counts.to_numpy(dtype=float)
    p = block / block.sum(axis=1, keepdims=True)
    overall = block.sum(axis=0) / block.sum()
    with np.errstate(divide="ignore", invalid="ignore"):
        h = -np.where(p > 0, p * np.log(p), 0.0).sum(axis=1)
    if numeric:
        dist = np.abs(np.cumsum(p - overall, axis=1)[:, :-1]).sum(axis=1) / max(block.shape[1] - 1, 1)
    else:
        dist = 0.5 * np.abs(p - overall).sum(axis=1)
    homogeneous = (block > 0).sum(axis=1) == 1
    if numeric:  # numbers and dates (as day numbers): a sliver of the range discloses too
        values = as_numbers(pd.Series(list(counts.columns)))
        span = np.nanmax(values) - np.nanmin(values) if np.isfinite(values).any() else 0.0
        if span > 0:
            present = (block > 0) & np.isfinite(values)[None, :]
            missing = ((block > 0) & ~np.isfinite(values)[None, :]).any(axis=1)  # missing: a value of its own
            with np.errstate(invalid="ignore"):
                lo = np.where(present, values[None, :], np.inf).min(axis=1)
                hi = np.where(present, values[None, :], -np.inf).max(axis=1)
            homogeneous |= (np.where(present.any(axis=1), hi - lo, np.inf) < NARROW_SHARE * span) & ~missing
    return {"l_distinct": int((block > 0).sum(axis=1).min()), "l_entropy": float(np.exp(h).min()),
            "t_closeness": float(dist.max()), "homogeneous": homogeneous}


def _disclosed_from_counts(counts: pd.DataFrame, homogeneous: np.ndarray) -> dict[str, int]:
    """One-valued disclosing classes: value -> records (as `metrics.disclosed_values`)."""
    block = counts.to_numpy(dtype=float)
    single = homogeneous & ((block > 0).sum(axis=1) == 1)
    out: dict[str, int] = {}
    for row in np.flatnonzero(single):
        j = int(np.flatnonzero(block[row] > 0)[0])
        value = counts.columns[j]
        name = "(missing)" if pd.isna(value) else str(value)
        out[name] = out.get(name, 0) + int(block[row, j])
    top = sorted(out.items(), key=lambda kv: -kv[1])[:MAX_NAMED]
    return dict(top)


@contextmanager
def dask_client(scheduler: str | None = None, n_workers: int = DEFAULT_WORKERS,
                memory_limit: str = DEFAULT_MEMORY_LIMIT):
    """A client of `scheduler`, or of a LocalCluster started (and stopped) here."""
    from dask.distributed import Client, LocalCluster

    if scheduler:
        try:
            client = Client(scheduler, timeout="10s")
        except (OSError, TimeoutError, ValueError) as exc:
            raise DataError(f"cannot reach the Dask scheduler at {scheduler}: {exc}") from None
        with client:
            yield client
        return
    with LocalCluster(n_workers=n_workers, threads_per_worker=1, memory_limit=memory_limit,
                      dashboard_address=None, silence_logs=50) as cluster, Client(cluster) as client:
        yield client


def _parquet_files(data: str | Path) -> list[str]:
    path = Path(data)
    files = sorted(glob.glob(str(path / "**" / "*.parquet"), recursive=True)) if path.is_dir() \
        else sorted(glob.glob(str(data)))
    if not files:
        raise DataError(f"{data}: no Parquet files there; give a folder of .parquet files or a glob")
    return files


def _predict(part: pd.DataFrame, model, columns: list[str]) -> pd.Series:
    from threadpoolctl import threadpool_limits

    if len(part) == 0:  # a small part can leave no row in the sample
        return pd.Series([], dtype=object)
    with threadpool_limits(1):
        return pd.Series(model.predict(part[columns]))


class _Watch:
    """Watches the cluster from a thread of its own while the caller blocks on one result.

    Dask waits forever when no worker can run: every worker paused by its memory limit (a worker above 80% of
    it takes no task, and memory it cannot spill keeps it there) or none left. Every `every` seconds this asks
    the scheduler how its workers are; after `seconds` without one running it cancels the work, and the
    caller turns the cancellation into `reason`. The result wait itself is one blocking call: polling it
    with a timeout stalled a 10M-row run (docs/design.md, "Dask engine").
    """

    def __init__(self, client, futures, seconds: float, every: float = 2.0):
        import threading

        self.client, self.futures, self.seconds, self.every = client, futures, seconds, every
        self.reason: str | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="anonymizer-dask-watch", daemon=True)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=10)

    def _run(self) -> None:
        last_running = time.monotonic()
        while not self._stop.wait(self.every):
            try:
                workers = self.client.scheduler_info(n_workers=-1).get("workers", {})
            except Exception:  # the client is closing: nothing left to watch
                return
            if any(w.get("status") == "running" for w in workers.values()):
                last_running = time.monotonic()
                continue
            if time.monotonic() - last_running < self.seconds:
                continue
            limits = sorted({int(w.get("memory_limit") or 0) for w in workers.values()})
            limit = f" of {limits[-1] / 2**20:,.0f} MiB" if limits and limits[-1] else ""
            state = (f"every worker ({len(workers)}) is paused by its memory limit{limit}" if workers
                     else "no worker is left")
            self.reason = (f"no Dask worker could run for {self.seconds:g} s: {state}; give the workers more "
                           "memory or write smaller parts (the wait is ANONYMIZER_DASK_STALL_SECONDS)")
            try:
                self.client.cancel(self.futures)
            except Exception:
                pass
            return


def _compute(client, collection, stall_seconds: float, files: list[str] = ()):
    """`collection` computed on `client`, with the faults of a cluster as one-line DataErrors: no worker able
    to run for `stall_seconds` (see `_Watch`), workers that died on one task again and again, or one of the
    input `files` whose data cannot be read."""
    from distributed import KilledWorker

    futures = client.compute(collection)
    with _Watch(client, futures, stall_seconds) as watch:
        try:
            return futures.result()
        except KilledWorker as exc:
            raise DataError(f"Dask workers died {exc.allowed_failures + 1} times running one task (the last "
                            f"was {getattr(exc.last_worker, 'address', exc.last_worker)}), most often from "
                            "running out of memory; give the workers more memory or write smaller parts") from None
        except BaseException as exc:
            if watch.reason:
                raise DataError(watch.reason) from None
            unreadable = unreadable_part(files) if files and isinstance(exc, Exception) else None
            if unreadable:
                raise DataError(unreadable) from None
            raise


def _fit_on_sample(sample: pd.DataFrame, guide, method: str, qis: list[str], tree_columns: list[str],
                   k_sample: int, seed: int) -> Partitioner:
    if method == "mondrian":
        m = MondrianAnonymizer(k=k_sample, quasi_identifiers=qis).fit(sample)
        return Partitioner(qis, qis, splits=m.splits_, n_leaves=int(m.splits_.group.max()) + 1)
    a = AccuracyGuidedAnonymizer(k=k_sample, quasi_identifiers=qis, tree_features="all", random_state=seed)
    labels = guide_labels(guide)
    encoder = TreeEncoder()
    Z = encoder.fit_encode(sample[tree_columns], labels)[0]
    tree = a._tree(labels).fit(Z, labels.values)
    return Partitioner(qis, tree_columns, encoder, tree, n_leaves=tree.n_leaves_)


def anonymize_parquet(data: str | Path, out: str | Path, quasi_identifiers: list[str], k: int, *,
                      method: str = "ag", target: str | None = None, model=None, sensitive: str | None = None,
                      seed: int = 0, tree_features: str = "qi", risk_threshold: float = DEFAULT_RISK_THRESHOLD,
                      sample_rows: int = DEFAULT_SAMPLE_ROWS, model_rows: int = DEFAULT_MODEL_ROWS,
                      client=None, stall_seconds: float | None = None) -> dict:
    """Anonymize the Parquet table at `data` (folder or glob) into the folder `out`; returns the report.

    Runs on `client` (a dask.distributed Client); the caller owns the cluster (see `dask_client`).
    `out` must not exist yet: it is written under a temporary name and moved into place at the end.
    Every part's footer is checked first (`parquet_parts.check_parts`); parts with no rows are skipped and
    listed in the report (`empty_parts`). A cluster where no worker can run for `stall_seconds` (default
    `limits.DASK_STALL_SECONDS`) ends the run with a DataError saying why.
    """
    import dask
    import dask.dataframe as dd

    start = time.perf_counter()
    qis = list(quasi_identifiers)
    check_seed(seed)
    if method not in ("ag", "mondrian"):
        raise DataError(f"unknown method '{method}'; use 'ag' or 'mondrian'")
    if tree_features not in TREE_FEATURES:
        raise DataError(f"tree_features must be one of {TREE_FEATURES}, got {tree_features!r}")
    if method == "ag" and target is None:
        raise DataError("--method ag needs --target: the guiding model is trained on it (or use --method mondrian)")
    if not 0 <= risk_threshold <= 1:
        raise DataError(f"--risk-threshold must be between 0 and 1, got {risk_threshold}")
    out = Path(out)
    if out.exists():
        raise DataError(f"--out {out} exists; give a new folder name (nothing is overwritten)")
    if not out.resolve().parent.is_dir():
        raise DataError(f"{out}: the folder {out.resolve().parent} does not exist")
    files = _parquet_files(data)
    if any(Path(f).resolve().is_relative_to(out.resolve()) for f in files):
        raise DataError("--out must not hold the input files")
    stall = limits.DASK_STALL_SECONDS if stall_seconds is None else stall_seconds
    parts = check_parts(files)  # every footer, before any work: a fault is one line naming its part
    n_rows = parts.rows
    check_k(k, n_rows)
    validate_roles(parts.meta, qis, target, sensitive, values=False)

    with dask.config.set({"dataframe.convert-string": False}):  # keep the input's own string dtype
        # Dask's own reader (one task a part; an index stored in a file is a column, as in memory): a reader of
        # our own through dd.from_map paused a 1-worker 10M-row run at its memory limit where this one finishes
        table = dd.read_parquet(parts.files, index=False)
        fraction = min(1.0, sample_rows / n_rows)
        sample_dd = table.sample(frac=fraction, random_state=seed) if fraction < 1 else table
        sample_dd = client.persist(sample_dd)
        sample = _compute(client, sample_dd, stall, parts.files).reset_index(drop=True)
        validate_roles(sample, qis, target, sensitive)
        features = [c for c in table.columns if c != target]
        tree_columns = features if tree_features == "all" else qis
        guide = None
        if method == "ag":
            from .models import check_model, model_features, train_default_model

            if model is None:
                rows = sample.iloc[:model_rows]  # the sample is already in random order
                model = train_default_model(rows[features], rows[target], seed)
            else:
                model = check_model(model, sample[features], sample[target])
            used = model_features(model, sample[features])
            guide = _compute(client, sample_dd.map_partitions(_predict, model, used, meta=(None, "object")),
                             stall).to_numpy()
        k_sample = max(1, min(k, math.floor(k * len(sample) / n_rows)))
        partitioner = _fit_on_sample(sample, guide, method, qis, tree_columns, k_sample, seed)

        numeric = [q for q in qis if column_kind(sample[q]) == NUMERIC]
        counted = [q for q in qis if q not in numeric] + ([sensitive] if sensitive else [])
        counted = list(dict.fromkeys(counted))
        from dask import delayed

        per_part = [delayed(LeafStats.of)(p, partitioner, numeric, counted) for p in table.to_delayed()]
        stats = _compute(client, _tree_reduce(per_part, LeafStats.combine), stall, parts.files)

        group_of_leaf = merge_small_leaves(partitioner.structure(), stats.counts, k)
        n_groups = int(group_of_leaf.max()) + 1
        reps, encodings = {}, {}
        sample_groups = group_of_leaf[partitioner.leaves(sample)]
        for q in qis:
            if q in numeric:
                vals = sample[q].to_numpy(dtype=float, na_value=np.nan)
                reps[q] = numeric_representatives(vals, sample_groups, n_groups)
                encodings[q] = OrderedCodes(NUMERIC, _NO_ROWS, np.empty(0))
            else:
                values, codes = _mode_by_group(stats.values[q], group_of_leaf, n_groups)
                reps[q] = codes
                encodings[q] = OrderedCodes(column_kind(sample[q]), _NO_ROWS, values)
        tuples = np.column_stack([np.unique(reps[q], return_inverse=True, equal_nan=True)[1].ravel()
                                  if q in numeric else reps[q] for q in qis])
        first, class_of_group = np.unique(tuples, axis=0, return_index=True, return_inverse=True)[1:]
        class_of_group = class_of_group.ravel()
        grouping = Grouping(class_of_group[group_of_leaf], {q: reps[q][first] for q in qis}, encodings, len(first))

        def generalize(part: pd.DataFrame) -> pd.DataFrame:
            class_ids = grouping.class_of_group[partitioner.leaves(part)]
            return apply_classes(part, qis, grouping, class_ids)

        tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.resolve().parent))
        try:
            output = table.map_partitions(generalize, meta=table._meta)
            _compute(client, output.to_parquet(str(tmp), write_index=False, compute=False), stall, parts.files)
            written = dd.read_parquet(str(tmp))
            sizes = _compute(client, written.groupby(qis, dropna=False).size(), stall, parts.files).to_numpy()
            if int(sizes.sum()) != n_rows:
                raise RuntimeError(f"the output holds {int(sizes.sum())} rows, the input {n_rows}")
            if int(sizes.min()) < k:  # never a release that is not k-anonymous, whatever went wrong before
                raise RuntimeError(f"the output's smallest class holds {int(sizes.min())} rows, under k = {k}")
            report = _report(sizes, stats, grouping, group_of_leaf, numeric, qis, k, sensitive, sample,
                             risk_threshold)
            os.replace(tmp, out)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    seconds = time.perf_counter() - start
    return {"method": method, "seed": seed, "quasi_identifiers": qis, "target": target, **report.to_dict(),
            **_leak_keys(sample, target, features, qis, report.k_achieved, seed),
            "seconds": round(seconds, 4), "engine": "dask", "sample_rows": len(sample),
            "partitions": table.npartitions, "empty_parts": parts.empty}


NOT_MEASURED = ("the release leak check (kept columns that determine a QI, near-unique kept columns, k with each kept "
                "column, unique share over all columns) needs a pass over every pair of columns of the whole table; "
                "the dask engine does not run it yet, so these keys are null: run the in-memory engine on a sample "
                "to see them")


def _leak_keys(sample: pd.DataFrame, target: str | None, features: list[str], qis: list[str], k_achieved: int,
               seed: int) -> dict:
    """The in-memory report's leak keys: the target-leak check on the seeded sample (the in-memory check also
    works on at most 20,000 rows), and the release leak check's keys as null with the reason (`not_measured`)."""
    from .suggest import detect_task
    from .target_leaks import check_target_leaks

    out = {"leaks": None, "near_unique_columns": None, "unique_share_all_columns": None,
           "k_quasi_identifiers": k_achieved, "k_with_column": None, "changed_quasi_identifiers": None,
           "not_measured": {"leak_check": NOT_MEASURED}, "target_leaks": []}
    if target is not None:
        task = detect_task(sample[target])[0]
        check = check_target_leaks(sample, target, task, [c for c in features if c not in (target,)])
        out["target_leaks"] = check.to_dict()
        out["target_leaks_measured_on"] = f"a seeded sample of {check.rows_checked:,} rows with a target"
    return out


def _report(sizes, stats: LeafStats, grouping: Grouping, group_of_leaf, numeric, qis, k, sensitive, sample,
            risk_threshold) -> PrivacyMetrics:
    """The in-memory metrics, from the output's class sizes and the per-leaf statistics."""
    n, n_classes = int(sizes.sum()), len(sizes)
    row_risk_share = float(sizes[1.0 / sizes > risk_threshold].sum() / n)
    metrics = PrivacyMetrics(
        k=k, k_achieved=int(sizes.min()), n_rows=n, n_classes=n_classes,
        class_size_distribution={"min": int(sizes.min()), "p25": float(np.percentile(sizes, 25)),
                                 "median": float(np.median(sizes)), "p75": float(np.percentile(sizes, 75)),
                                 "max": int(sizes.max()), "mean": float(sizes.mean())},
        discernibility=int(np.sum(sizes.astype(np.int64) ** 2)), avg_class_size_metric=(n / n_classes) / k,
        max_risk=float(1.0 / sizes.min()), avg_risk=n_classes / n, risk_threshold=risk_threshold,
        share_at_risk=row_risk_share, share_reidentification_risk=row_risk_share)
    class_of_leaf = grouping.class_of_group
    class_sizes = np.bincount(class_of_leaf, weights=stats.counts, minlength=grouping.n_classes)
    ncp = {}
    for q in qis:
        if q in numeric:
            lo = pd.Series(stats.lo[q]).groupby(class_of_leaf).min()
            hi = pd.Series(stats.hi[q]).groupby(class_of_leaf).max()
            span = np.nanmax(stats.hi[q]) - np.nanmin(stats.lo[q])
            per_class = ((hi - lo) / span).fillna(0.0) if span > 0 else hi * 0.0
        else:
            frame = stats.values[q].rename("n").reset_index()
            frame = frame[frame["n"] > 0]
            frame["cls"] = class_of_leaf[frame["leaf"].to_numpy()]
            distinct = frame["value"].nunique(dropna=False)
            per_class = frame.groupby("cls")["value"].nunique(dropna=False)
            per_class = (per_class.where(per_class > 1, 0) / distinct).astype(float)
        ncp[q] = float(np.dot(per_class.to_numpy(), class_sizes[per_class.index]) / n)
    metrics.ncp, metrics.gcp = ncp, float(np.mean(list(ncp.values())))
    if sensitive is not None:
        frame = stats.values[sensitive].rename("n").reset_index()
        frame["cls"] = class_of_leaf[frame["leaf"].to_numpy()]
        table = frame.pivot_table(index="cls", columns="value", values="n", aggfunc="sum", fill_value=0,
                                  dropna=False)
        table = table.reindex(range(grouping.n_classes), fill_value=0)
        metrics.sensitive = sensitive
        ordered = column_kind(sample[sensitive]) in ORDERED_KINDS
        disclosure = _sensitive_from_counts(table, ordered)
        disclosed = _disclosed_from_counts(table, disclosure["homogeneous"])
        add_disclosure(metrics, disclosure, ordered,
                       reidentified=1.0 / np.maximum(class_sizes, 1) > risk_threshold, sizes=class_sizes,
                       disclosed=disclosed)
    return metrics


def run_cli(args) -> int:
    """`python -m anonymizer anonymize --engine dask ...`: the CLI's contract (errors -> DataError)."""
    from .models import load_model

    if args.out.exists():
        raise DataError(f"--out {args.out} exists; give a new folder name (nothing is overwritten)")
    if args.report is not None:
        from .cli import _check_outputs

        if args.report.suffix.lower() != ".json":
            raise DataError(f"--report {args.report}: use a .json file name")
        _check_outputs({"--report": args.report}, [], args.overwrite)  # the in-memory engine's rule
    if args.model is not None and args.method != "ag":
        raise DataError("--model guides the accuracy-guided method; drop it or use --method ag")
    model = load_model(args.model, args.allow_pickle) if args.model is not None else None
    from .roles import Roles
    from .scenario import Scenario, digest_bytes, digest_file

    files = _parquet_files(args.data)  # the digest of a partitioned table: of its files' digests, in order
    check_parts(files)  # a faulty part is refused before a cluster starts
    digest = digest_bytes("".join(digest_file(f) for f in files).encode())
    scenario = Scenario(digest, Roles(args.target, tuple(args.qi), args.sensitive), args.method, args.k, args.seed,
                        model=digest_file(args.model) if args.model is not None else None)
    with dask_client(args.scheduler) as client:
        report = anonymize_parquet(args.data, args.out, args.qi, args.k, method=args.method, target=args.target,
                                   model=model, sensitive=args.sensitive, seed=args.seed,
                                   tree_features=args.tree_features, risk_threshold=args.risk_threshold,
                                   client=client)
    report["scenario"] = scenario.to_dict()
    if args.report is not None:
        from .cli import _write_atomically
        from .results import json_ready

        _write_atomically([(args.report, json.dumps(json_ready(report), indent=2, allow_nan=False))])
    print(f"wrote {args.out}: {report['n_rows']} rows in {report['n_classes']} classes, "
          f"k achieved {report['k_achieved']}, GCP {report['gcp']:.3f}, {report['seconds']:.2f} s "
          f"({args.method}, seed {args.seed}, dask, {report['partitions']} partitions)", file=sys.stdout)
    from .results import TargetLeak

    for finding in report["target_leaks"]:
        print(f"warning: {TargetLeak(**finding).message(args.target)}", file=sys.stderr)
    if report.get("disclosure_reading"):
        print(f"warning: {report['disclosure_reading']}", file=sys.stderr)
    if report["empty_parts"]:
        print(f"note: {len(report['empty_parts'])} part(s) hold no rows and were skipped (the first is "
              f"{report['empty_parts'][0]})", file=sys.stderr)
    print("warning: the release leak check is not run by the dask engine (see the report's not_measured)",
          file=sys.stderr)
    return 0
