"""The decision in seconds (issue 16): evaluate, the frontier and the attacks on Adult, alone and beside a
second job, with the figures measured before issue 16 beside them.

    .venv/bin/python bench/evaluate.py [--skip-pairs] [--skip-frontier] [--before CHECKOUT]

--before runs the same `evaluate` (alone, and two at once) from another checkout, e.g. one made with
`git worktree add /tmp/before <commit before issue 16>`, in the same run, so the ratio is measured, not recalled.

Rows (2-core machine; run it on an idle one, it makes its own second job where one is wanted):
- `evaluate` on Adult (adult.data, the test split held out, 9 QIs, sensitive marital-status, 8 reference
  models, 3 repeats), k = 10, 50, 100, 500, 1000 for both methods, through the CLI: alone with one worker (the
  default) and with two, and two such runs started together (each process its own worker count);
- the full frontier (original, QIs dropped, both methods at the five k, DP-EBM at epsilon 0.5, 1, 2, 4, 8, all
  four attacks) through the package, one worker;
- "Run the attacks" (the attacker, the original model, the first anonymized model) and each new (method, k)
  after it;
- the frontier of a 98-row table (both methods at k = 10 and 50, DP at 2 epsilons; only k = 10 fits its 39
  members).
Every CLI row is a fresh process; times are wall-clock seconds. Asserts nothing.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from anonymizer import ADULT_QIS, Analysis, Roles, load_adult  # noqa: E402
from anonymizer.attack_suite import AttackSettings  # noqa: E402
from anonymizer.scenario import DP_EPSILONS, FRONTIER_KS  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
BEFORE = {  # issue 16's measurements, before it was worked on (same machine type, 2 cores)
    "evaluate alone": "44 s (LightGBM on every core)",
    "evaluate, two at once": "354 s with other jobs on the machine; one k: 65 s for two against 20 s alone (3.3x)",
    "frontier": "not measured on Adult; a 98-row table 39 s (CLI, idle), 316 s in the dashboard (busy)",
    "run the attacks": "about 10 s promised; 113-201 s on 1.5k-5k-row tables (busy)",
    "tiny frontier": "39 s",
}


def evaluate_command(out: Path, workers: int, data: Path, test: Path) -> list[str]:
    return [sys.executable, "-m", "anonymizer", "evaluate", "--data", str(data), "--test", str(test),
            "--target", "income", "--qi", ",".join(ADULT_QIS), "--drop", "education", "--sensitive",
            "marital-status", "--k", ",".join(map(str, FRONTIER_KS)), "--out", str(out), "--workers", str(workers)]


def timed_processes(commands: list[list[str]], root: Path = ROOT) -> list[float]:
    """Start every command at once (from the checkout `root`); each one's wall time."""
    start = time.perf_counter()
    procs = [subprocess.Popen(c, cwd=root, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE) for c in commands]
    times = []
    for p in procs:
        _, err = p.communicate()
        if p.returncode != 0:
            raise RuntimeError(err.decode()[-2000:])
        times.append(time.perf_counter() - start)
    return times


def tiny_table() -> pd.DataFrame:
    rng = np.random.default_rng(3)
    n = 98
    return pd.DataFrame({"born": pd.date_range("1950-01-01", periods=n, freq="97D"), "sex": rng.choice(["F", "M"], n),
                         "income": rng.integers(10, 90, n), "vote": rng.choice(["a", "b", "c"], n)})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skip-pairs", action="store_true", help="leave out the runs of two at once")
    parser.add_argument("--skip-frontier", action="store_true", help="leave out the full Adult frontier")
    parser.add_argument("--before", type=Path, help="a checkout of the code before issue 16, run in the same run")
    args = parser.parse_args()
    rows = []
    tmp = Path(tempfile.mkdtemp())
    data, test = tmp / "adult.csv", tmp / "adult_test.csv"
    load_adult("train").to_csv(data, index=False)
    load_adult("test").to_csv(test, index=False)
    subprocess.run([sys.executable, "-m", "anonymizer", "warm"], cwd=ROOT, check=True, capture_output=True)

    alone = {}
    for workers in (1, 2):
        alone[workers] = timed_processes([evaluate_command(tmp / f"alone{workers}.json", workers, data, test)])[0]
        rows.append((f"evaluate, 5 k x 2 methods, alone, {workers} worker(s)", f"{alone[workers]:.1f}", "< 60",
                     BEFORE["evaluate alone"] if workers == 1 else ""))
    if not args.skip_pairs:
        for workers in (1, 2):
            pair = timed_processes([evaluate_command(tmp / f"pair{workers}{i}.json", workers, data, test)
                                    for i in range(2)])
            rows.append((f"evaluate, two at once, {workers} worker(s) each (slower one; x one alone)",
                         f"{max(pair):.1f} ({max(pair) / alone[workers]:.2f}x)", "<= 1.3x",
                         BEFORE["evaluate, two at once"] if workers == 1 else ""))

    if args.before is not None:
        old = [c for c in evaluate_command(tmp / "old.json", 1, data, test)[:-2]]  # it has no --workers
        old_alone = timed_processes([old], args.before)[0]
        rows.append(("evaluate alone, the code before issue 16 (same run)", f"{old_alone:.1f}", "", ""))
        if not args.skip_pairs:
            pair = timed_processes([old[:-1] + [str(tmp / f"old{i}.json")] for i in range(2)], args.before)
            rows.append(("evaluate two at once, the code before issue 16 (same run; x its one alone)",
                         f"{max(pair):.1f} ({max(pair) / old_alone:.2f}x)", "", ""))

    settings = AttackSettings()
    roles = Roles("income", tuple(ADULT_QIS), "marital-status", ("education",))
    analysis = Analysis(load_adult("train"), roles, test=load_adult("test"), attack_settings=settings)
    sim = analysis.simulation
    start = time.perf_counter()
    for step in sim.attack_steps("ag", 10):
        step.run()
    attacks = time.perf_counter() - start
    rows.append(("'Run the attacks' (attacker, original model, AG k = 10)", f"{attacks:.1f}", "< 10",
                 BEFORE["run the attacks"]))
    each = []
    for method, k in (("ag", 50), ("mondrian", 10), ("ag", 100), ("mondrian", 50)):
        start = time.perf_counter()
        sim.run(method, k)
        each.append(time.perf_counter() - start)
    rows.append((f"each new (method, k) after that (median of {len(each)}; max {max(each):.2f})",
                 f"{statistics.median(each):.2f}", "< 2", ""))
    if not args.skip_frontier:
        fresh = Analysis(load_adult("train"), roles, test=load_adult("test"), attack_settings=settings).simulation
        start = time.perf_counter()
        frontier = fresh.frontier(list(FRONTIER_KS), ["ag", "mondrian"], list(DP_EPSILONS))
        seconds = time.perf_counter() - start
        rows.append((f"full frontier ({len(frontier.points)} settings, attacker included), 1 worker",
                     f"{seconds:.1f}", "< 120", BEFORE["frontier"]))

    tiny = Analysis(tiny_table(), Roles("vote", ("born", "sex")), attack_settings=settings).simulation
    start = time.perf_counter()
    frontier = tiny.frontier([10, 50], ["ag", "mondrian"], [1.0, 4.0])
    rows.append((f"98-row table, frontier ({len(frontier.points)} settings, attacker included)",
                 f"{time.perf_counter() - start:.1f}", "< 10", BEFORE["tiny frontier"]))

    print("| what | seconds | target | before issue 16 |\n|---|---|---|---|")
    for row in rows:
        print("| " + " | ".join(row) + " |")


if __name__ == "__main__":
    main()
