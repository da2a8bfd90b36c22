"""The simulation behind the Utility and Attacks pages: split, retrain, evaluate, attack, sweep; `evaluate` CLI."""

import json

import numpy as np
import pytest

from anonymizer import ADULT_QIS, DataError, Roles
from anonymizer.analysis import Analysis
from anonymizer.attack_suite import AttackSettings
from anonymizer.cli import main
from anonymizer.models import train_default_model
from anonymizer.split import split_rows


def simulate(data, target, qis, sensitive=None, references=3, repeats=2, seed=0, **kwargs):
    roles = Roles(target, tuple(qis), sensitive)
    return Analysis(data, roles, seed=seed, attack_settings=AttackSettings(references, repeats), **kwargs).simulation

MEMBERSHIP_KEYS = {"auc", "advantage", "tpr_at_1pct_fpr", "tpr_at_0_1pct_fpr"}
ATTRIBUTE_KEYS = {"baseline_members", "attack_members", "baseline_nonmembers", "attack_nonmembers", "majority_rate"}


@pytest.fixture(scope="module")
def small(adult_train):
    return adult_train.iloc[:4000].reset_index(drop=True)


@pytest.fixture(scope="module")
def experiment(small):
    return simulate(small, "income", ADULT_QIS, "marital-status")


def test_split_is_seeded_disjoint_and_complete():
    a = split_rows(100, 0.4, 0.2, seed=5)
    b = split_rows(100, 0.4, 0.2, seed=5)
    assert all((x == y).all() for x, y in zip(a, b))
    assert [len(p) for p in a] == [40, 20, 40]
    assert sorted(np.concatenate(a).tolist()) == list(range(100))
    assert not (split_rows(100, 0.4, 0.2, seed=6)[0] == a[0]).all()


def test_original_evaluation(experiment):
    split = experiment.split
    assert (len(split.members), len(split.nonmembers), len(split.pool)) == (1600, 800, 1600)
    ev = experiment.original_evaluation
    assert 0.75 < ev.utility.accuracy < 0.95 and 0.5 < ev.utility.roc_auc <= 1
    assert set(ev.membership) == {"threshold", "shadow", "lira", "rmia"}
    for metrics in ev.membership.values():
        assert MEMBERSHIP_KEYS <= set(metrics.to_dict()) and 0 <= metrics.auc <= 1
        assert metrics.n_members == metrics.n_nonmembers == 800
    assert ATTRIBUTE_KEYS <= set(ev.attribute.to_dict())


def test_run_and_sweep_reuse_what_does_not_depend_on_k(experiment):
    bank, calls = experiment.suite.bank, []
    runs = experiment.sweep([20, 200], ["ag", "mondrian"], progress=lambda *a: calls.append(a))
    assert calls == [(1, 4, "ag k=20"), (2, 4, "ag k=200"), (3, 4, "mondrian k=20"), (4, 4, "mondrian k=200")]
    assert experiment.suite.bank is bank
    for run in runs:
        assert run.k_achieved >= run.k and 0 < run.gcp <= 1
        assert 0.6 < run.evaluation.utility.accuracy < 0.95
        assert run.recipe == "LGBMClassifier (with its pipeline), same parameters"
    report = experiment.report(runs)
    assert {"original", "qi_dropped", "runs", "settings"} <= set(report)
    assert [(r["method"], r["k"]) for r in report["runs"]] == [("ag", 20), ("ag", 200), ("mondrian", 20),
                                                                ("mondrian", 200)]
    assert set(report["runs"][0]["membership"]) == {"threshold", "shadow", "lira", "rmia"}
    assert ATTRIBUTE_KEYS <= set(report["runs"][0]["attribute"])
    assert 0.6 < report["qi_dropped"]["accuracy"] < 0.95
    json.dumps(report)  # JSON-ready as it is


def test_same_seed_same_report(small):
    a = simulate(small, "income", ["age", "sex"], references=2, repeats=1, seed=11).original_evaluation.to_dict()
    b = simulate(small, "income", ["age", "sex"], references=2, repeats=1, seed=11).original_evaluation.to_dict()
    a.pop("seconds"), b.pop("seconds")
    assert a == b


def test_user_model_takes_the_data_as_members_and_needs_a_test_table(small, adult_train):
    model = train_default_model(small.drop(columns="income"), small["income"])
    with pytest.raises(DataError, match="a test table is needed"):
        simulate(small, "income", ["age", "sex"], model=model)
    test = adult_train.iloc[4000:6000]
    exp = simulate(small, "income", ["age", "sex"], test=test, model=model)
    split = exp.split
    assert len(split.members) == 4000 and len(split.nonmembers) == 1000 and len(split.pool) == 1000
    assert exp.original is model


def test_simulation_input_errors(small):
    with pytest.raises(DataError, match="target column 'nope'"):
        simulate(small, "nope", ["age"])
    with pytest.raises(DataError, match="lacks column"):
        simulate(small, "income", ["age"], test=small.drop(columns="sex"))
    with pytest.raises(DataError, match=r"larger than the simulation's members \(the training data that gets "
                                        r"anonymized: 1,600 rows\)"):
        simulate(small, "income", ["age"]).run("ag", 2000)  # 1,600 members, not the table's 4,000 rows


def test_cli_evaluate_writes_the_documented_json(small, tmp_path, capsys):
    data, out = tmp_path / "d.csv", tmp_path / "r.json"
    small.to_csv(data, index=False)
    code = main(["evaluate", "--data", str(data), "--target", "income", "--qi", "age,sex,race", "--k", "25,250",
                 "--out", str(out), "--sensitive", "relationship", "--references", "2", "--repeats", "1"])
    assert code == 0, capsys.readouterr().err
    report = json.loads(out.read_text())
    assert {"accuracy", "membership", "attribute"} <= set(report["original"])
    assert set(report["qi_dropped"]) >= {"accuracy"}
    assert len(report["runs"]) == 4
    for run in report["runs"]:
        assert {"method", "k", "k_achieved", "accuracy", "membership", "attribute"} <= set(run)
        for attack in ("threshold", "shadow", "lira", "rmia"):
            assert MEMBERSHIP_KEYS <= set(run["membership"][attack])
        assert ATTRIBUTE_KEYS <= set(run["attribute"])
    assert "[4/4]" in capsys.readouterr().err


@pytest.mark.parametrize("extra, message", [
    (["--k", "10,x"], "not a comma-separated list"),
    (["--k", "10", "--method", "magic"], "unknown method"),
    (["--k", "10", "--model", "MODEL"], "a test table is needed"),
    (["--k", "10", "--model", "PICKLE"], "refused to load a pickle"),
    (["--k", "99999"], "larger than the table"),
])
def test_cli_evaluate_errors(small, tmp_path, capsys, extra, message):
    import pickle

    data, out = tmp_path / "d.csv", tmp_path / "r.json"
    small.to_csv(data, index=False)
    model = train_default_model(small.drop(columns="income"), small["income"])
    (tmp_path / "m.txt").write_text(model[-1].booster_.model_to_string())
    (tmp_path / "m.pkl").write_bytes(pickle.dumps(model))
    extra = [str(tmp_path / "m.txt") if a == "MODEL" else str(tmp_path / "m.pkl") if a == "PICKLE" else a
             for a in extra]
    code = main(["evaluate", "--data", str(data), "--target", "income", "--qi", "age", "--out", str(out),
                 "--references", "1", "--repeats", "1"] + extra)
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1 and err[0].startswith("error: ") and message in err[0]
    assert not out.exists()


def test_runs_are_kept_and_turned_into_chart_points(experiment):
    from anonymizer.simulation import accuracy_points, attack_points

    with_attacks = experiment.run("ag", 20)
    assert experiment.run("ag", 20) is with_attacks
    assert experiment.run("ag", 20, attacks=False) is with_attacks  # a run with attacks answers both
    plain = experiment.run("mondrian", 40, attacks=False)
    assert len(plain.evaluation.membership) == 0 and experiment.run("mondrian", 40, attacks=False) is plain
    assert experiment.usable_ks([5, 1600, 1601, 0]) == [5, 1600]
    acc = accuracy_points([with_attacks, plain])
    assert acc[["method", "k", "accuracy", "n"]].to_dict("list") == {
        "method": ["ag", "mondrian"], "k": [20, 40],
        "accuracy": [with_attacks.evaluation.utility.accuracy, plain.evaluation.utility.accuracy], "n": [800, 800]}
    assert acc["lo"].tolist() == [with_attacks.evaluation.utility.accuracy_ci[0],
                                  plain.evaluation.utility.accuracy_ci[0]]
    att = attack_points([with_attacks, plain])
    assert sorted(att["attack"]) == ["lira", "rmia", "shadow", "threshold"] and set(att["method"]) == {"ag"}
    assert experiment.original_utility == experiment.original_evaluation.utility


def test_cli_evaluate_with_dp_epsilons_and_a_model_family(small, tmp_path, capsys):
    data, out = tmp_path / "d.csv", tmp_path / "r.json"
    small.iloc[:1500].to_csv(data, index=False)
    code = main(["evaluate", "--data", str(data), "--target", "income", "--qi", "age,sex,race", "--k", "50",
                 "--method", "ag", "--out", str(out), "--references", "2", "--repeats", "1", "--dp-epsilon", "1,8",
                 "--model-family", "random_forest", "--seed", "4"])
    assert code == 0, capsys.readouterr().err
    report = json.loads(out.read_text())
    assert "random forest" in report["settings"]["model"]
    assert [run["epsilon"] for run in report["dp"]] == [1.0, 8.0]
    for run in report["dp"]:
        assert {"epsilon", "delta", "accuracy", "membership", "attribute", "seconds"} <= set(run)
        assert run["attribute"] is None  # no sensitive attribute was named
        assert run["delta"] == 1e-5 and set(run["membership"]) == {"threshold", "shadow", "lira", "rmia"}
        assert "members themselves" in run["schema"] and "epsilon does not count" in run["privacy_note"]
    points = report["frontier"]["points"]
    assert [p["kind"] for p in points] == ["original", "qi_dropped", "ag", "dp", "dp"]
    # Adult's income is imbalanced (76% <=50K): the frontier's utility is the headline, balanced accuracy
    assert any(p["pareto"] for p in points) and report["frontier"]["utility"] == "balanced_accuracy"
    assert report["frontier"]["complete"] and report["frontier"]["recommendation"]["status"]


def test_dp_runs_are_reproducible_with_a_seed(small):
    a = simulate(small.iloc[:1200], "income", ["age", "sex"], references=2, repeats=1, seed=9).dp_run(2.0)
    b = simulate(small.iloc[:1200], "income", ["age", "sex"], references=2, repeats=1, seed=9).dp_run(2.0)
    assert a.evaluation.utility == b.evaluation.utility
    assert a.evaluation.membership["rmia"].auc == b.evaluation.membership["rmia"].auc


def test_a_class_the_members_lack_does_not_stop_dp(small):
    """Nursery's class of 2 rows: when it falls outside the members, the DP reference models trained on the
    attacker's pool still need it in the schema (the label set is the model's public output space)."""
    data = small.iloc[:1200].reset_index(drop=True).copy()
    data["income"] = data["income"].astype(str)
    rare_row = 0
    sim = None
    for seed in range(20):  # a seed whose split leaves the one rare row out of the members
        data["income"] = data["income"].where(data.index != rare_row, "rare")
        sim = simulate(data, "income", ["age", "sex"], references=2, repeats=1, seed=seed)
        if "rare" not in set(sim.split.members["income"]):
            break
    assert "rare" not in set(sim.split.members["income"])
    schema, _ = sim.dp_schema()
    assert "rare" in set(map(str, schema.classes))
    run = sim.dp_run(4.0)
    assert set(run.evaluation.membership) == {"threshold", "shadow", "lira", "rmia"}
