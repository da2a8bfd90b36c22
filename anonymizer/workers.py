"""The thread policy of the whole process: one thread per fit, one core per job, jobs side by side on one
bounded pool.

LightGBM's default uses every core with OpenMP threads that busy-wait, and scikit-learn's BLAS and joblib
may do the same: two such fits at once on 2 cores run several times slower than one after the other, and a
shared dashboard server always has a second job somewhere. So every model here is fit and asked to predict
with one thread (`FIT_THREADS`, `single_threaded`) and native thread pools are limited to one thread
(`limit_native_threads`).

Parallelism comes from one process-wide pool of `cores()` threads, shared by every caller in the process
(every dashboard session's background jobs: `submit`), so the process never has more busy fit threads than
cores. A job keeps to one core: `parallel_map` called from inside the pool runs inline. Outside the pool (a
CLI run) it spreads independent fits over `workers()` threads: 1 by default, so an evaluation beside another
one keeps its speed (measured: two Adult evaluations at once take 1.05x one alone with 1 worker each, 1.6x
with 2 each; bench/evaluate.py); `--workers N` or ANONYMIZER_WORKERS=N trade that for speed on an idle
machine. Threads speed up fits that release Python's lock (LightGBM, scikit-learn's trees) by about 1.45x on
2 cores, and slow down those that hold it (DP-EBM), which therefore never run side by side.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor

FIT_THREADS = 1
_THREAD_PARAMS = ("n_jobs", "num_threads", "nthread", "thread_count")

_lock = threading.Lock()
_pool: ThreadPoolExecutor | None = None
_size: int | None = None
_inside = threading.local()
_limited = False


def cores() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)


def workers() -> int:
    """How many fits `parallel_map` runs side by side outside the pool: ANONYMIZER_WORKERS if set, else 1."""
    value = os.environ.get("ANONYMIZER_WORKERS", "").strip()
    if value:
        try:
            return max(1, int(value))
        except ValueError:
            pass
    return 1


def set_workers(n: int) -> None:
    """How many fits `parallel_map` runs side by side (the CLI's --workers). The pool is made for it on first
    use; a pool already in use is never shut down under its users (a larger one replaces it for new work, and
    the old one finishes what it has)."""
    global _pool, _size
    with _lock:
        os.environ["ANONYMIZER_WORKERS"] = str(max(1, int(n)))
        if _pool is not None and _size < workers():
            _pool, _size = None, None  # the old pool's threads end when its queued work is done


def limit_native_threads() -> None:
    """One thread for the BLAS and OpenMP pools that threadpoolctl knows (numpy's, scikit-learn's), once."""
    global _limited
    if _limited:
        return
    from threadpoolctl import threadpool_limits

    threadpool_limits(limits=FIT_THREADS)
    _limited = True


def single_threaded(model):
    """`model` (an estimator or a pipeline) with every thread-count parameter set to one; models without
    parameters (a LightGBM booster read from a file) are returned as they are."""
    try:
        params = model.get_params()
    except (AttributeError, TypeError):
        return model
    changes = {k: FIT_THREADS for k, v in params.items()  # (LogisticRegression's n_jobs does nothing since 1.8)
               if k.rsplit("__", 1)[-1] in _THREAD_PARAMS and v not in (FIT_THREADS,)
               and not (v is None and type(_step(model, k)).__name__ == "LogisticRegression")}
    if changes:
        try:
            model.set_params(**changes)
        except (ValueError, TypeError):
            pass
    return model


def _step(model, param: str):
    """The estimator inside `model` that owns the parameter `param` ('step__n_jobs' -> that step)."""
    for name in param.split("__")[:-1]:
        model = model.get_params().get(name, model) if hasattr(model, "get_params") else model
    return model


def pool() -> ThreadPoolExecutor:
    global _pool, _size
    with _lock:
        if _pool is None:
            _size = max(cores(), workers())
            _pool = ThreadPoolExecutor(max_workers=_size, thread_name_prefix="fit",
                                       initializer=_mark_worker)
        return _pool


def _mark_worker() -> None:
    _inside.worker = True


def in_worker() -> bool:
    return getattr(_inside, "worker", False)


def parallel_map(fn: Callable, items: Iterable, *, parallel: bool = True,
                 on_done: Callable[[int, object], None] | None = None) -> list:
    """[fn(item) for item in items], the items side by side on the process's pool; in order, and the same
    results as one after the other (every fit is seeded). Inline when called from a pool thread, when the
    pool has one worker, or for a single item. `on_done(i, result)` runs in the calling thread (a page's
    script thread may draw there), in order, as results come in; a failure cancels what has not started."""
    items = list(items)
    if not parallel or len(items) < 2 or in_worker() or workers() < 2:
        out = []
        for i, item in enumerate(items):
            out.append(fn(item))
            if on_done is not None:
                on_done(i, out[-1])
        return out
    limit_native_threads()
    futures = []
    out = []
    try:
        executor = pool()
        futures = [executor.submit(fn, item) for item in items]
        for i, f in enumerate(futures):
            out.append(f.result())
            if on_done is not None:
                on_done(i, out[-1])
        return out
    except BaseException:
        for f in futures:
            f.cancel()
        raise


def submit(fn: Callable, *args, **kwargs):
    """One task on the process's pool (a background job's step: it runs on one core, its `parallel_map`
    calls inline); returns its Future."""
    limit_native_threads()
    return pool().submit(fn, *args, **kwargs)
