"""Issue 16: the thread policy, and background jobs (the same numbers as the foreground; a cancelled job never
reads as complete)."""

import threading

import numpy as np
import pytest

from anonymizer import Analysis, Roles
from anonymizer import workers as w
from anonymizer.attack_suite import AttackSettings
from anonymizer.jobs import CANCELLED, DONE, FAILED, Job, Step
from anonymizer.models import default_model

KS, METHODS, EPSILONS = [20, 100], ["ag", "mondrian"], [2.0]


@pytest.fixture(scope="module")
def table(adult_train):
    return adult_train.iloc[:1200].reset_index(drop=True)


def analysis(table):
    return Analysis(table, Roles("income", ("age", "sex", "race"), "relationship", ("education",)), seed=5,
                    attack_settings=AttackSettings(2, 1))


def test_every_default_model_fits_and_predicts_on_one_thread():
    for family in ("lightgbm", "random_forest", "logistic"):
        params = default_model(0, family).get_params()
        threads = {k: v for k, v in params.items() if k.rsplit("__", 1)[-1] in ("n_jobs", "num_threads")
                   and k != "logistic__n_jobs"}  # has no effect since scikit-learn 1.8 (one thread: lbfgs)
        assert threads and set(threads.values()) == {1}, (family, threads)


def test_a_user_model_is_made_single_threaded(table):
    from sklearn.ensemble import RandomForestClassifier

    X = table[["age", "hours-per-week"]]
    model = RandomForestClassifier(n_estimators=5, n_jobs=-1, random_state=0).fit(X, table["income"])
    Analysis(table[["age", "hours-per-week", "income"]], Roles("income", ("age",)), model=model)
    assert model.get_params()["n_jobs"] == 1


def test_no_fit_uses_more_than_one_thread(table, monkeypatch):
    """Every LightGBM training of an evaluation (original, reference models, attackers, retraining) asks for
    one thread: the default used every core with busy-waiting OpenMP threads."""
    import lightgbm

    seen, real = [], lightgbm.train

    def recording(params, *args, **kwargs):
        seen.append(params.get("num_threads", params.get("n_jobs", "default")))
        return real(params, *args, **kwargs)

    monkeypatch.setattr(lightgbm, "train", recording)
    monkeypatch.setattr(lightgbm.sklearn, "train", recording)
    sim = analysis(table).simulation
    sim.run("ag", 20)
    assert len(seen) >= 6 and set(seen) == {1}, seen


def test_parallel_map_keeps_order_runs_inline_in_the_pool_and_bounds_the_threads(monkeypatch):
    monkeypatch.setenv("ANONYMIZER_WORKERS", "2")
    active, peak, lock = [0], [0], threading.Lock()

    def work(i):
        with lock:
            active[0] += 1
            peak[0] = max(peak[0], active[0])
        inner = w.parallel_map(lambda j: j * j, range(3))  # inside the pool: inline, no deadlock
        with lock:
            active[0] -= 1
        return i, inner

    out = w.parallel_map(work, range(8))
    assert out == [(i, [0, 1, 4]) for i in range(8)]
    assert peak[0] <= max(w.cores(), 2)
    monkeypatch.setenv("ANONYMIZER_WORKERS", "1")
    assert w.parallel_map(lambda i: threading.current_thread().name, range(3)) == [threading.current_thread().name] * 3


def frontier_points(sim):
    frontier = sim.frontier(KS, METHODS, EPSILONS, compute=False)
    assert frontier.complete
    return frontier.points


def test_a_job_gives_the_numbers_of_the_foreground(table):
    foreground = analysis(table).simulation
    foreground.frontier(KS, METHODS, EPSILONS)
    background = analysis(table)
    sim = background.simulation
    job = background.jobs.start("Frontier", sim.frontier_steps(KS, METHODS, EPSILONS))
    assert job.wait(600) and job.status == DONE and job.done == job.total == 1 + len(sim.frontier_settings(
        KS, METHODS, EPSILONS))
    import pandas as pd

    pd.testing.assert_frame_equal(frontier_points(sim), frontier_points(foreground))


def test_a_cancelled_job_leaves_a_partial_frontier(table):
    a = analysis(table)
    sim = a.simulation
    inside, gate = threading.Event(), threading.Event()
    steps = sim.frontier_steps(KS, METHODS, EPSILONS)
    second = steps[1]
    steps[1] = Step(second.label, lambda: (inside.set(), gate.wait(60), second.run()))  # hold it in step 2
    job = a.jobs.start("Frontier", steps)
    assert inside.wait(120)
    job.cancel()
    gate.set()
    assert job.wait(600) and job.status == CANCELLED and job.done == 2
    frontier = sim.requested_frontier()
    assert not frontier.complete and len(frontier.missing) == len(frontier.requested) - 1
    assert frontier.recommend(5).status == "partial"
    assert "cancelled after 2 of" in job.describe()


def test_a_failing_step_is_one_line_and_stops_the_job():
    job = Job("Sweep", [Step("one", lambda: None), Step("two", lambda: 1 / 0), Step("three", lambda: None)])
    assert job.wait(30) and job.status == FAILED and job.done == 1
    assert job.describe() == "Sweep: stopped after 1 of 3: unexpected ZeroDivisionError: division by zero"


def test_jobs_of_two_analyses_take_turns_on_the_pool():
    """Each step goes to the back of the pool's queue: two jobs with long steps interleave."""
    order, lock = [], threading.Lock()

    def step(name, i):
        def run():
            with lock:
                order.append(name)
            threading.Event().wait(0.05)
        return Step(f"{name}{i}", run)

    jobs = [Job(n, [step(n, i) for i in range(4)]) for n in ("a", "b", "c")]
    for job in jobs:
        assert job.wait(30) and job.status == DONE
    first_half = order[:6]
    assert {"a", "b", "c"} <= set(first_half), order  # no job ran all its steps before another started


def test_seconds_left_comes_from_the_steps_done():
    gate = threading.Event()
    job = Job("Slow", [Step("a", lambda: None), Step("b", lambda: gate.wait(30)), Step("c", lambda: None)])
    deadline = threading.Event()
    for _ in range(200):
        if job.done >= 1:
            break
        deadline.wait(0.01)
    assert job.seconds_left() is not None and np.isfinite(job.seconds_left())
    gate.set()
    assert job.wait(30) and job.seconds_left() is None
