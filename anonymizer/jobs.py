"""Background jobs: long computations (the attacks, the frontier, a sweep) owned by an analysis, not by a page.

A page that runs an hour of work in its own script run loses it when the analyst opens another page, and
blocks every widget meanwhile. A `Job` runs its steps on the process's bounded pool (`workers.submit`), one
step a task, each step resubmitted behind the others' so the jobs of several sessions take turns; it keeps
a count of what is done, an estimate of the time left, and a cancel flag checked between steps. Results
land where the foreground would put them (the simulation's memos), so a finished step is kept whatever
happens to the job, the same numbers come out as in the foreground (every step is seeded), and a
cancelled or failed job never reads as complete: whatever reads its results asks what is missing
(`results.Frontier.missing`).
"""

from __future__ import annotations

import threading
import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass

from .workers import submit

QUEUED, RUNNING, DONE, CANCELLED, FAILED = "queued", "running", "done", "cancelled", "failed"
FINISHED = (DONE, CANCELLED, FAILED)
_alive: weakref.WeakSet = weakref.WeakSet()  # every job of the process, to wait for (tests, shutdown)


def wait_all(timeout: float | None = None) -> bool:
    """Wait until every job of the process has finished; False if `timeout` seconds passed first."""
    deadline = None if timeout is None else time.monotonic() + timeout
    for job in list(_alive):
        left = None if deadline is None else max(0.0, deadline - time.monotonic())
        if not job.wait(left):
            return False
    return True


@dataclass(frozen=True)
class Step:
    label: str
    run: Callable[[], object]


class Job:
    """`steps` run one after the other on the pool. Thread-safe to read from any thread."""

    def __init__(self, name: str, steps: list[Step]):
        self.name, self.steps = name, list(steps)
        self.total = len(self.steps)
        self.done = 0
        self.current: str | None = None
        self.status = QUEUED
        self.error: str | None = None
        self.started = time.monotonic()
        self.finished_at: float | None = None
        self._durations: list[float] = []
        self._cancel = threading.Event()
        self._finished = threading.Event()
        self._lock = threading.Lock()
        _alive.add(self)
        if self.total:
            self._submit(0)
        else:
            self._finish(DONE)

    def _submit(self, i: int) -> None:
        """Queue step i; a job whose step cannot be queued (the interpreter is exiting) fails, never hangs."""
        try:
            submit(self._run_step, i)
        except BaseException as exc:
            self.error = f"could not be queued ({type(exc).__name__}: {exc})"
            self._finish(FAILED)

    # -- running -----------------------------------------------------------------------------

    def _run_step(self, i: int) -> None:
        if self._cancel.is_set():
            self._finish(CANCELLED)
            return
        step = self.steps[i]
        with self._lock:
            self.status, self.current = RUNNING, step.label
        start = time.monotonic()
        try:
            step.run()
        except Exception as exc:  # the job says what failed; the page shows it as one line
            from .data import DataError

            self.error = str(exc) if isinstance(exc, DataError) else f"unexpected {type(exc).__name__}: {exc}"
            self._finish(FAILED)
            return
        with self._lock:
            self._durations.append(time.monotonic() - start)
            self.done = i + 1
        if i + 1 == self.total:
            self._finish(DONE)
        elif self._cancel.is_set():
            self._finish(CANCELLED)
        else:
            self._submit(i + 1)  # behind whatever other jobs queued meanwhile

    def _finish(self, status: str) -> None:
        with self._lock:
            self.status, self.current, self.finished_at = status, None, time.monotonic()
        self._finished.set()

    # -- asking about it ---------------------------------------------------------------------

    def cancel(self) -> None:
        """Stop after the step that is running (its result, being finished, is kept)."""
        self._cancel.set()  # a queued first step sees the flag when a worker takes it

    @property
    def finished(self) -> bool:
        return self.status in FINISHED

    def wait(self, timeout: float | None = None) -> bool:
        return self._finished.wait(timeout)

    def seconds_left(self) -> float | None:
        """The mean time of the steps done so far times the steps left (None before the first is done)."""
        with self._lock:
            if not self._durations or self.finished:
                return None
            return sum(self._durations) / len(self._durations) * (self.total - self.done)

    def describe(self) -> str:
        """One line for the page: what it is doing and how far it is."""
        if self.status == QUEUED:
            return f"{self.name}: waiting for a free worker (other jobs on this server are running)"
        if self.status == RUNNING:
            left = self.seconds_left()
            eta = f", about {_duration(left)} left" if left is not None else ""
            return f"{self.name}: {self.done} of {self.total} done{eta}; now {self.current}"
        if self.status == DONE:
            return f"{self.name}: all {self.total} done in {_duration(self.finished_at - self.started)}"
        if self.status == CANCELLED:
            return f"{self.name}: cancelled after {self.done} of {self.total}; what finished is kept"
        return f"{self.name}: stopped after {self.done} of {self.total}: {self.error}"


def _duration(seconds: float) -> str:
    return f"{seconds:.0f} s" if seconds < 90 else f"{seconds / 60:.1f} min"


class Jobs:
    """The jobs of one analysis, by name: one of each name at a time."""

    def __init__(self):
        self._jobs: dict[str, Job] = {}
        self._lock = threading.Lock()

    def get(self, name: str) -> Job | None:
        with self._lock:
            return self._jobs.get(name)

    def running(self, name: str) -> bool:
        job = self.get(name)
        return job is not None and not job.finished

    def start(self, name: str, steps: list[Step]) -> Job:
        """A new job of `name`, unless one is running (that one is returned)."""
        with self._lock:
            job = self._jobs.get(name)
            if job is not None and not job.finished:
                return job
            self._jobs[name] = Job(name, steps)
            return self._jobs[name]

    def cancel_all(self) -> None:
        with self._lock:
            jobs = list(self._jobs.values())
        for job in jobs:
            job.cancel()
