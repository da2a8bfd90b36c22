"""Our offline RMIA (and LiRA, shadow, threshold) against IBM ART's black-box membership inference (issue 10).

    .venv/bin/python bench/art_compare.py [--art-python /tmp/artvenv/bin/python]
        [--families random_forest,lightgbm_overfit] [--rows 32561] [--references 8] [--seed 0]

ART is not a dependency of the project: it runs in a venv of its own, made once with:
    python3.11 -m venv /tmp/artvenv && /tmp/artvenv/bin/pip install adversarial-robustness-toolbox \
        scikit-learn numpy packaging torch==2.13.0
UCI Adult (adult.data, --rows of it, roles of the dashboard's demo), split 40/20/40 by the same `Analysis`
the dashboard uses (members / non-members / attacker's pool). Per model family, one target model trained on
the members: the project's full-depth random forest, or a LightGBM made to memorize (bench/rmia.py's
recipe). Our attacks are the project's attacker (`AttackSuite`, --references reference models on halves
of the pool); they never see a membership label. ART's `MembershipInferenceBlackBox` (attack models nn,
rf, gb) queries the same fitted target, as a lookup black box over its predict_proba outputs computed
here, and is given more: half the members as known members, and as many known non-members (half the
non-members, topped up from the pool). Every attack is then scored on the other halves, the same records
for all, with AUC and TPR at 1% FPR from sklearn's roc_curve. Seconds: the attacker's set-up plus scoring
(shared reference models count for each attack using them; ART's: querying the target, fit and infer).
Prints Markdown; asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402
from lightgbm import LGBMClassifier  # noqa: E402
from sklearn.metrics import auc, roc_curve  # noqa: E402
from sklearn.pipeline import Pipeline  # noqa: E402

from anonymizer import ADULT_QIS, Analysis, Roles, load_adult  # noqa: E402
from anonymizer import attacks as atk  # noqa: E402
from anonymizer.attack_suite import AttackSettings  # noqa: E402
from anonymizer.models import CategoryEncoder, class_index, model_features  # noqa: E402
from anonymizer.simulation import Simulation  # noqa: E402
from anonymizer.split import make_split  # noqa: E402

ROLES = Roles("income", tuple(ADULT_QIS), "marital-status", ("education",))  # pages/state.py DEMO_ROLES
OURS = ("threshold", "shadow", "lira", "rmia")
ART_MODELS = ("nn", "rf", "gb")
MAKE_VENV = ("python3.11 -m venv /tmp/artvenv && /tmp/artvenv/bin/pip install adversarial-robustness-toolbox "
             "scikit-learn numpy packaging torch==2.13.0")

ART_WORKER = r"""
import json, sys, time
import numpy as np
folder = sys.argv[1]
d = np.load(f"{folder}/art_in.npz")
params = json.load(open(f"{folder}/params.json"))
import torch
torch.set_num_threads(1)
from art.attacks.inference.membership_inference import MembershipInferenceBlackBox
from art.estimators.classification import BlackBoxClassifier
ids, proba, labels = d["ids"], d["proba"], d["labels"]
# the target as a black box: a lookup from record id to the target model's predict_proba output
target = BlackBoxClassifier((ids, proba), input_shape=(1,), nb_classes=proba.shape[1])
tm, tn, ev = d["train_members"], d["train_nonmembers"], d["evaluated"]
out, seconds = {}, {}
for kind in params["attacks"]:
    np.random.seed(params["seed"])
    torch.manual_seed(params["seed"])
    start = time.perf_counter()
    attack = MembershipInferenceBlackBox(target, attack_model_type=kind)
    attack.fit(x=ids[tm], y=labels[tm], test_x=ids[tn], test_y=labels[tn])
    out[kind] = np.asarray(attack.infer(ids[ev], labels[ev], probabilities=True), dtype=float).ravel()
    seconds[kind] = time.perf_counter() - start
np.savez(f"{folder}/art_out.npz", **out)
json.dump(seconds, open(f"{folder}/art_seconds.json", "w"))
"""


def overfit_lightgbm(seed: int):
    """LightGBM made to memorize (bench/rmia.py): many deep trees, leaves of one record, no regularization."""
    return Pipeline([("categories", CategoryEncoder()),
                     ("lightgbm", LGBMClassifier(n_estimators=200, num_leaves=255, min_child_samples=1, n_jobs=1,
                                                 min_child_weight=1e-3, learning_rate=0.1, random_state=seed,
                                                 verbose=-1))])


def simulation(table, family: str, settings: AttackSettings, seed: int) -> Simulation:
    """The project's simulation; the overfit LightGBM goes through the same split, as a model of its own."""
    if family != "lightgbm_overfit":
        return Analysis(table, ROLES, seed=seed, attack_settings=settings, model_family=family).simulation
    analysis = Analysis(table, ROLES, seed=seed, attack_settings=settings, model_family="lightgbm")
    split = make_split(analysis.labelled, seed)  # what Analysis.simulation does
    members = split.members
    original = overfit_lightgbm(seed).fit(members[analysis.features], members[ROLES.target])
    features = model_features(original, members[analysis.features])
    return Simulation(split, original, features, ROLES, analysis.task, seed,
                      "overfit LightGBM trained on the members", settings, family="lightgbm")


def metrics(member_scores, nonmember_scores) -> tuple[float, float]:
    """AUC and TPR at 1% FPR (the best TPR among thresholds with FPR <= 1%), higher score = member."""
    labels = np.r_[np.ones(len(member_scores)), np.zeros(len(nonmember_scores))]
    fpr, tpr, _ = roc_curve(labels, np.r_[member_scores, nonmember_scores], drop_intermediate=False)
    return float(auc(fpr, tpr)), float(tpr[fpr <= 0.01 + 1e-12].max())


def halves(n: int, rng) -> tuple[np.ndarray, np.ndarray]:
    order = rng.permutation(n)
    return np.sort(order[: n // 2]), np.sort(order[n // 2:])


def run_art(art_python: str, proba, labels, train_members, train_nonmembers, evaluated, seed: int):
    ids = np.arange(len(proba), dtype=np.float32).reshape(-1, 1)
    with tempfile.TemporaryDirectory() as folder:
        np.savez(f"{folder}/art_in.npz", ids=ids, proba=proba, labels=labels, train_members=train_members,
                 train_nonmembers=train_nonmembers, evaluated=evaluated)
        Path(folder, "params.json").write_text(json.dumps({"attacks": list(ART_MODELS), "seed": seed}))
        run = subprocess.run([art_python, "-c", ART_WORKER, folder], capture_output=True, text=True)
        if run.returncode != 0:
            raise SystemExit(f"ART failed:\n{run.stderr.strip()[-3000:]}")
        with np.load(f"{folder}/art_out.npz") as out:
            scores = {kind: out[kind] for kind in ART_MODELS}
        seconds = json.loads(Path(folder, "art_seconds.json").read_text())
    return scores, seconds


def evaluate(table, family: str, args) -> None:
    settings = AttackSettings(args.references, 3)
    sim = simulation(table, family, settings, args.seed)
    target, split, suite = sim.original, sim.split, sim.suite
    start = time.perf_counter()
    sim.prepare_attacks()
    setup = time.perf_counter() - start
    s = suite.seconds
    refs = s["reference_models"]
    fits = {"threshold": 0.0, "shadow": refs + s["shadow_attack_fit"], "lira": refs + s["lira_fit"],
            "rmia": refs + s["lira_fit"] + s["rmia_fit"]}  # lira_fit holds the reference outputs RMIA shares
    X_e, y_e = suite.eval_frame[sim.features], suite.eval_frame[ROLES.target]
    scorers = {"threshold": lambda: atk.threshold_scores(target, X_e, y_e, suite.bank.task),
               "shadow": lambda: suite.shadow.score(target, X_e, y_e),
               "lira": lambda: suite.lira.score(target, X_e, y_e), "rmia": lambda: suite.rmia.score(target, X_e, y_e)}
    n_m, n_n = len(split.members), len(split.nonmembers)
    rng = np.random.default_rng(args.seed)
    m_train, m_eval = halves(n_m, rng)
    n_train, n_eval = halves(n_n, rng)
    results = {}
    for name, scorer in scorers.items():
        t = time.perf_counter()
        scores = scorer()
        seconds = fits[name] + time.perf_counter() - t
        results[name] = (*metrics(scores[:n_m][m_eval], scores[n_m:][n_eval]), seconds)
    # ART: records 0..n_m-1 members, then non-members, then the pool; the target's outputs on all of them
    t = time.perf_counter()
    frames = [split.members, split.nonmembers, split.pool]
    proba = np.vstack([np.asarray(target.predict_proba(f[sim.features]), dtype=float) for f in frames])
    labels = np.concatenate([class_index(target.classes_, f[ROLES.target]) for f in frames])
    query = time.perf_counter() - t
    pool_ids = n_m + n_n + rng.permutation(len(split.pool))
    top_up = max(0, len(m_train) - len(n_train))
    train_nonmembers = np.r_[n_m + n_train, pool_ids[:top_up]]
    evaluated = np.r_[m_eval, n_m + n_eval]
    art_scores, art_seconds = run_art(args.art_python, proba, labels, m_train, train_nonmembers, evaluated,
                                      args.seed)
    for kind in ART_MODELS:
        sc = art_scores[kind]
        results[f"ART {kind}"] = (*metrics(sc[: len(m_eval)], sc[len(m_eval):]), query + art_seconds[kind])
    train_acc = float((target.predict(split.members[sim.features]) == split.members[ROLES.target]).mean())
    test_acc = float((target.predict(split.nonmembers[sim.features]) == split.nonmembers[ROLES.target]).mean())
    print(f"### {family}: {n_m:,} members, {n_n:,} non-members, {len(split.pool):,} pool rows; train accuracy "
          f"{train_acc:.4f}, non-member accuracy {test_acc:.4f}; our set-up {setup:.1f} s with {args.references} "
          f"reference models\n")
    print(f"Evaluated on {len(m_eval):,} members and {len(n_eval):,} non-members; ART trained on "
          f"{len(m_train):,} known members and {len(train_nonmembers):,} known non-members "
          f"({len(n_train):,} non-members + {top_up:,} pool rows).\n")
    print("| attack | AUC | TPR@1% FPR | seconds |\n|---|---|---|---|")
    for name, (a, tpr, sec) in results.items():
        print(f"| {name} | {a:.3f} | {tpr:.3f} | {sec:.1f} |")
    if len(n_eval) < 1000:
        print(f"\nTPR at 1% FPR rests on {int(0.01 * len(n_eval))} false positives of {len(n_eval)} non-members: "
              "rough at this size.")
    print("\n" + verdict(family, results) + "\n")


def verdict(family: str, results: dict) -> str:
    rmia_auc, rmia_tpr, _ = results["rmia"]
    lira_auc, lira_tpr, _ = results["lira"]
    art = {k: v for k, v in results.items() if k.startswith("ART")}
    best_auc = max(art, key=lambda k: art[k][0])
    best_tpr = max(art, key=lambda k: art[k][1])

    def versus(mine, theirs, who):
        word = "beats" if mine > theirs else "ties" if mine == theirs else "loses to"
        return f"{word} {who} ({theirs:.3f}, {mine - theirs:+.3f})"

    return (f"{family}: on AUC, RMIA ({rmia_auc:.3f}) {versus(rmia_auc, lira_auc, 'LiRA')} and "
            f"{versus(rmia_auc, art[best_auc][0], 'ART best, ' + best_auc[4:])}; on TPR at 1% FPR, RMIA "
            f"({rmia_tpr:.3f}) {versus(rmia_tpr, lira_tpr, 'LiRA')} and "
            f"{versus(rmia_tpr, art[best_tpr][1], 'ART best, ' + best_tpr[4:])}.")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--art-python", default="/tmp/artvenv/bin/python",
                        help="the interpreter of a venv with adversarial-robustness-toolbox and torch")
    parser.add_argument("--families", default="random_forest,lightgbm_overfit")
    parser.add_argument("--rows", type=int, default=None, help="default: all 32,561 rows of adult.data")
    parser.add_argument("--references", type=int, default=8)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    if not Path(args.art_python).exists():
        print(f"error: no ART Python at {args.art_python}; create it with: {MAKE_VENV}", file=sys.stderr)
        sys.exit(2)
    families = args.families.split(",")
    unknown = [f for f in families if f not in ("random_forest", "lightgbm_overfit", "lightgbm", "logistic")]
    if unknown:
        parser.error(f"unknown families: {unknown}")
    table = load_adult("train")
    if args.rows is not None and args.rows < len(table):
        table = table.iloc[np.sort(np.random.default_rng(args.seed).permutation(len(table))[: args.rows])]
    print(f"Adult, {len(table):,} rows, seed {args.seed}; cells: AUC and TPR at 1% FPR on the same evaluated "
          "halves for every attack\n")
    for family in families:
        evaluate(table, family, args)


if __name__ == "__main__":
    main()
