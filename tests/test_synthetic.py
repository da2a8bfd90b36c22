"""DP synthetic data (MST): accounting, binning, reproducibility, fidelity against epsilon, dtypes, copies; the
simulation's synthetic runs, the frontier's third family, `evaluate --synthetic-epsilon` and `synthesize`."""

import datetime as dt
import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from anonymizer import DataError, Roles
from anonymizer.analysis import Analysis
from anonymizer.attack_suite import AttackSettings
from anonymizer.cli import main
from anonymizer.frontier import recommend
from anonymizer.synthetic import (
    ColumnDomain,
    MSTSynthesizer,
    TrainedOnSynthetic,
    _exponential,
    _simplex,
    copies,
    epsilon_of,
    fidelity,
    rho_for,
    schema_with,
    synthesize,
    zcdp_delta,
)

NURSERY = Path(__file__).resolve().parents[2] / "shared" / "data" / "nursery" / "nursery.data"


@pytest.fixture(scope="module")
def adult_small(adult_train):
    return adult_train.iloc[:3000].reset_index(drop=True)


# -- accounting ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("epsilon", [0.1, 1.0, 4.0, 16.0])
def test_rho_converts_back_to_the_epsilon_asked(epsilon):
    delta = 1e-5
    rho = rho_for(epsilon, delta)
    assert zcdp_delta(rho, epsilon) == pytest.approx(delta, rel=1e-6)
    assert epsilon_of(rho, delta) == pytest.approx(epsilon, rel=1e-6)
    # the conversion is tighter than the simple bound epsilon = rho + 2 sqrt(rho log 1/delta), never looser
    assert rho + 2 * math.sqrt(rho * math.log(1 / delta)) >= epsilon


def test_rho_for_one_epsilon_matches_a_hand_computed_value():
    # epsilon 1, delta 1e-5: the simple bound gives rho = 0.0208 (solve sqrt(rho) = sqrt(log 1e5 + 1) - sqrt(log 1e5));
    # the CKS bound (Canonne, Kamath, Steinke 2020) allows more: 0.0306
    simple = (math.sqrt(math.log(1e5) + 1) - math.sqrt(math.log(1e5))) ** 2
    assert simple == pytest.approx(0.02082, abs=1e-5)
    assert simple < rho_for(1.0, 1e-5)
    assert rho_for(1.0, 1e-5) == pytest.approx(0.03056, abs=1e-4)


def test_the_budget_parts_add_up_to_the_epsilon(adult_small):
    model = MSTSynthesizer(epsilon=2.0, delta=1e-6).fit(adult_small)
    budget = model.budget_.to_dict()
    assert [p["step"] for p in budget["parts"]] == ["1-way marginals", "choosing the tree", "2-way marginals"]
    assert sum(p["rho"] for p in budget["parts"]) == pytest.approx(budget["rho"], rel=1e-12)
    assert sum(p["share"] for p in budget["parts"]) == pytest.approx(1.0)
    assert budget["epsilon_spent"] == pytest.approx(2.0, rel=1e-6) and budget["epsilon_spent"] <= 2.0 + 1e-9
    assert budget["not_counted"] and "epsilon does not count" in budget["not_counted"]


def test_a_full_public_schema_leaves_nothing_uncounted():
    table = pd.DataFrame({"a": [1, 2, 3, 4] * 10, "b": list("xyxy") * 10})
    schema = schema_with(table, {"a": [0, 10], "b": ["x", "y", "z"]})
    model = MSTSynthesizer(epsilon=1.0, schema=schema).fit(table)
    assert model.budget_.not_counted is None and model.budget_.schema == "the public schema given"
    assert model.domains_[0].edges[0] == -0.5 and model.domains_[0].edges[-1] == 10.5  # a unit bin per 0..10
    assert model.domains_[1].categories == ("x", "y", "z")


@pytest.mark.parametrize("bad", [0.0, -1.0, float("nan"), float("inf")])
def test_a_bad_epsilon_is_one_clear_error(bad):
    with pytest.raises(DataError, match="epsilon must be a positive number"):
        rho_for(bad, 1e-5)


# -- binning and the mechanisms, hand-checked ------------------------------------------------------------------

def test_whole_numbers_in_a_small_range_get_one_bin_each():
    d = ColumnDomain.ordered("n", "numeric", (1, 4), integer=True, missing=False)
    assert d.edges == (0.5, 1.5, 2.5, 3.5, 4.5) and d.size == 4
    assert d.encode(pd.Series([1, 2, 3, 4, 9, -5])).tolist() == [0, 1, 2, 3, 3, 0]  # outside: clipped


def test_wide_numbers_get_point_bins_at_the_lower_bound_and_at_zero():
    d = ColumnDomain.ordered("x", "numeric", (-10.0, 1000.0), integer=False)
    edges = np.asarray(d.edges)
    assert edges[0] == edges[1] == -10.0  # a point bin for the lower bound
    zero = int(np.flatnonzero(edges == 0.0)[0])
    assert edges[zero + 1] == 0.0  # and one for 0
    codes = d.encode(pd.Series([-10.0, 0.0, 0.001, 1000.0, np.nan]))
    assert codes[0] == 0 and codes[1] == zero and codes[2] == zero + 1
    assert codes[3] == len(edges) - 2 and codes[4] == d.size - 1  # the top value in the last bin; missing last
    back = d.decode(codes[:2], np.random.default_rng(0), pd.Series([1.0]))
    assert back.tolist() == [-10.0, 0.0]  # a point bin gives back its value exactly


def test_simplex_projection_and_the_exponential_mechanism():
    assert _simplex(np.array([3.0, 1.0, -2.0]), 2.0).tolist() == [2.0, 0.0, 0.0]
    assert _simplex(np.array([1.0, 1.0, 1.0]), 6.0).tolist() == [2.0, 2.0, 2.0]
    rng = np.random.default_rng(0)
    assert {_exponential(np.array([0.0, 50.0, 1.0]), 10.0, rng) for _ in range(50)} == {1}


# -- reproducibility, fidelity, dtypes, copies ---------------------------------------------------------------

def test_same_seed_same_table_other_seed_other_table(adult_small):
    a, _ = synthesize(adult_small, 1.0, 1e-5, seed=3)
    b, _ = synthesize(adult_small, 1.0, 1e-5, seed=3)
    c, _ = synthesize(adult_small, 1.0, 1e-5, seed=4)
    pd.testing.assert_frame_equal(a, b)
    assert not a.equals(c)


@pytest.mark.skipif(not NURSERY.is_file(), reason="the team's reference data (../shared/data) is not beside this clone")
def test_larger_epsilon_gives_smaller_marginal_distance():
    nursery = pd.read_csv(NURSERY, header=None).iloc[:2000]
    nursery.columns = [f"c{i}" for i in range(nursery.shape[1])]
    tvd = {}
    for eps in (0.05, 0.5, 8.0):
        runs = [MSTSynthesizer(epsilon=eps, random_state=s).fit(nursery) for s in range(3)]
        scores = [fidelity(nursery, m.sample(), m.domains_) for m in runs]
        tvd[eps] = (np.mean([f["tvd_1way"] for f in scores]), np.mean([f["tvd_2way"] for f in scores]))
    assert tvd[0.05][0] > tvd[0.5][0] > tvd[8.0][0]
    assert tvd[0.05][1] > tvd[0.5][1] > tvd[8.0][1]


def mixed_table(n=400, seed=0):
    rng = np.random.default_rng(seed)
    ages = rng.integers(18, 90, n)
    return pd.DataFrame({
        "age": ages,
        "income": np.where(rng.random(n) < 0.1, np.nan, rng.gamma(2.0, 20_000, n)),
        "city": pd.array(rng.choice(["Boston", "Chicago", "Denver"], n), dtype="str"),
        "zip": pd.array([f"0{v:04d}" for v in rng.integers(2100, 2200, n)], dtype="str"),
        "member": rng.random(n) < 0.3,
        "grade": pd.Categorical(rng.choice(["A", "B", "C"], n), categories=["A", "B", "C"], ordered=True),
        "joined": pd.to_datetime("2020-01-01") + pd.to_timedelta(rng.integers(0, 1500, n), unit="D"),
        "born": [dt.date(1950, 1, 1) + dt.timedelta(days=int(v)) for v in rng.integers(0, 20000, n)],
        "visits": pd.array(np.where(rng.random(n) < 0.2, None, rng.integers(0, 9, n)), dtype="Int64"),
        "label": rng.integers(0, 3, n),
    })


def test_columns_and_dtypes_are_preserved():
    table = mixed_table()
    synthetic, _ = synthesize(table, 4.0, 1e-5, seed=1)
    assert list(synthetic.columns) == list(table.columns) and len(synthetic) == len(table)
    assert synthetic.dtypes.to_dict() == table.dtypes.to_dict()
    assert isinstance(synthetic["born"].dropna().iloc[0], dt.date)
    assert synthetic["age"].between(18, 89).all() and synthetic["label"].isin([0, 1, 2]).all()
    assert set(synthetic["city"].dropna()) <= {"Boston", "Chicago", "Denver"}
    assert synthetic["joined"].dropna().between(table["joined"].min(), table["joined"].max()).all()


def test_no_real_row_is_copied_more_often_than_chance(adult_small, adult_train):
    """Members and control rows drawn from one population: a synthesizer that memorizes copies members more
    often than control rows; MST's copies of each stay level (within three standard errors)."""
    members, control = adult_small, adult_train.iloc[3000:6000].reset_index(drop=True)
    synthetic, _ = synthesize(members, 16.0, 1e-5, seed=0)
    found = copies(synthetic, members, control)
    assert found["distinct_member_rows"] > 2900  # many distinct rows
    share_m = found["members_copied"] / found["members_rows"]
    share_c = found["controls_copied"] / found["control_rows"]
    se = math.sqrt(share_c * (1 - share_c) / found["control_rows"] + share_m * (1 - share_m) / found["members_rows"])
    assert share_m <= share_c + 3 * max(se, 1e-3)
    # the check can fail: the members themselves, released as they are, are all copies
    copied = copies(members, members, control)
    assert copied["members_copied"] == len(members) and copied["copies"] == len(members)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(n=st.integers(1, 60), seed=st.integers(0, 10_000), eps=st.sampled_from([0.1, 1.0, 10.0]))
def test_any_small_table_synthesizes_with_its_columns_and_dtypes(n, seed, eps):
    table = mixed_table(n, seed)
    synthetic, model = synthesize(table, eps, 1e-5, seed=seed, rows=n + 3)
    assert len(synthetic) == n + 3 and synthetic.dtypes.to_dict() == table.dtypes.to_dict()
    assert sum(r for _, r in model.budget_.parts) == pytest.approx(model.budget_.rho)


def test_schema_errors_are_one_line():
    table = pd.DataFrame({"a": [1, 2], "d": pd.to_datetime(["2020-01-01", "2020-02-01"])})
    with pytest.raises(DataError, match="does not have"):
        schema_with(table, {"zzz": [1, 2]})
    with pytest.raises(DataError, match="lo < hi"):
        schema_with(table, {"a": [5, 1]})
    with pytest.raises(DataError, match=r"\[lo, hi\] \(dates\)"):
        schema_with(table, {"d": ["soon", "later"]})
    assert schema_with(table, {"a": [0, 9], "d": ["2019-01-01", "2021-01-01"]}).from_private_data is False


# -- the simulation, the frontier and the CLI ----------------------------------------------------------------

@pytest.fixture(scope="module")
def synthetic_sim(adult_train):
    roles = Roles("income", ("age", "sex", "race", "education"), "marital-status")
    data = adult_train.iloc[:2000].reset_index(drop=True)
    return Analysis(data, roles, seed=2, attack_settings=AttackSettings(2, 1)).simulation


def test_a_synthetic_run_is_scored_attacked_and_measured(synthetic_sim):
    run = synthetic_sim.synthetic_run(4.0)
    assert run is synthetic_sim.synthetic_run(4.0)  # memoized
    out = run.to_dict()
    assert set(out["membership"]) == {"threshold", "shadow", "lira", "rmia"} and out["attribute"] is not None
    assert out["method"] == "MST" and out["epsilon"] == 4.0 and out["delta"] == 1e-5 and out["seed"] == 2
    assert {"tvd_1way", "tvd_2way"} <= set(out["fidelity"]) and isinstance(out["copies"], int)
    assert out["release"]["linkage"] is None and out["release"]["singling_out"] is not None
    assert out["budget"]["epsilon_spent"] == pytest.approx(4.0, rel=1e-6)
    assert list(run.table.columns) == synthetic_sim.columns + ["income"]
    assert len(run.table) == len(synthetic_sim.split.members)
    # the attacker's reference models are trained with the same recipe: synthesize, then fit
    assert isinstance(synthetic_sim.synthetic_run(4.0).model, object)
    assert 0 < run.evaluation.utility.value(synthetic_sim.headline) <= 1


def test_reference_models_follow_the_synthetic_recipe(adult_small):
    from sklearn.linear_model import LogisticRegression

    X = adult_small[["age", "hours-per-week"]]
    est = TrainedOnSynthetic(estimator=LogisticRegression(max_iter=200), epsilon=1.0, target="y", random_state=0)
    est.fit(X, adult_small["income"])
    assert list(est.classes_) == ["<=50K", ">50K"] and est.predict_proba(X).shape == (len(X), 2)
    one = TrainedOnSynthetic(estimator=LogisticRegression(), epsilon=1.0, target="y").fit(X.iloc[:30], ["a"] * 30)
    assert list(one.classes_) == ["a"]  # one class in the synthetic table: the prior


def test_the_frontier_holds_the_synthetic_family_and_says_which_family_wins(synthetic_sim):
    frontier = synthetic_sim.frontier([50], ["ag"], [4.0], synthetic=[4.0])
    kinds = list(frontier.points["kind"])
    assert kinds == ["original", "qi_dropped", "ag", "dp", "synthetic"] and frontier.complete
    assert synthetic_sim.requested_frontier().points["kind"].tolist() == kinds  # the request remembers it
    release = synthetic_sim.frontier([50], ["ag"], [4.0], synthetic=[4.0], privacy="release")
    assert "synthetic" not in set(release.points["kind"])  # no synthetic row is a person's
    rec = frontier.recommend(100.0)  # a budget every setting is within
    assert [f["family"] for f in rec.families] == ["anonymization", "DP training", "DP synthetic data"]
    assert all(f["within_budget"] for f in rec.families)
    from anonymizer.charts import reading_frontier

    text = reading_frontier(rec, frontier.utility_name)
    assert "By family:" in text and "wins:" in text


def test_family_winners_by_hand():
    points = pd.DataFrame([
        {"setting": "original", "kind": "original", "utility": 0.80, "advantage": 0.20},
        {"setting": "AG k=10", "kind": "ag", "utility": 0.795, "advantage": 0.05},
        {"setting": "DP ε=1", "kind": "dp", "utility": 0.70, "advantage": 0.00},
        {"setting": "Synthetic ε=4", "kind": "synthetic", "utility": 0.797, "advantage": 0.02},
        {"setting": "Synthetic ε=16", "kind": "synthetic", "utility": 0.799, "advantage": 0.03},
    ])
    rec = recommend(points, 1.0)
    assert rec.setting == "Synthetic ε=4" and rec.family == "DP synthetic data"
    by = {f["family"]: f for f in rec.families}
    assert by["anonymization"]["setting"] == "AG k=10" and by["DP synthetic data"]["setting"] == "Synthetic ε=4"
    assert by["DP training"]["within_budget"] is False and by["DP training"]["setting"] == "DP ε=1"
    from anonymizer.charts import reading_families

    text = reading_families(rec)
    assert "DP training: none within the budget" in text and "Dp synthetic data wins" not in text
    assert "DP synthetic data wins: the least attack advantage" in text


def test_cli_evaluate_synthetic_epsilons(adult_train, tmp_path, capsys):
    data, out = tmp_path / "d.csv", tmp_path / "r.json"
    adult_train.iloc[:1500].to_csv(data, index=False)
    code = main(["evaluate", "--data", str(data), "--target", "income", "--qi", "age,sex,race", "--k", "50",
                 "--method", "ag", "--out", str(out), "--references", "2", "--repeats", "1",
                 "--synthetic-epsilon", "1,16", "--sensitive", "marital-status"])
    assert code == 0, capsys.readouterr().err
    report = json.loads(out.read_text())
    assert [r["epsilon"] for r in report["synthetic"]] == [1.0, 16.0]
    for run in report["synthetic"]:
        assert {"epsilon", "delta", "method", "accuracy", "membership", "attribute", "fidelity", "copies", "budget",
                "seconds"} <= set(run)
        assert set(run["fidelity"]) >= {"tvd_1way", "tvd_2way"}
        assert {p["step"] for p in run["budget"]["parts"]} == {"1-way marginals", "choosing the tree",
                                                                "2-way marginals"}
    kinds = [p["kind"] for p in report["frontier"]["points"]]
    assert kinds.count("synthetic") == 2 and "synthetic" not in [p["kind"] for p in
                                                                 report["release_frontier"]["points"]]
    assert "[synthetic 2/2] epsilon=16 done" in capsys.readouterr().err


def test_cli_synthesize_writes_the_table_and_its_description(tmp_path, capsys):
    table = mixed_table(300)
    data, out, rep = tmp_path / "t.parquet", tmp_path / "s.parquet", tmp_path / "s.json"
    table.to_parquet(data, index=False)
    code = main(["synthesize", "--data", str(data), "--epsilon", "2", "--out", str(out), "--seed", "5",
                 "--report", str(rep)])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert "epsilon does not count" in captured.err and "seed 5" in captured.out
    written = pd.read_parquet(out)
    assert list(written.columns) == list(table.columns) and len(written) == 300
    desc = json.loads(rep.read_text())
    assert desc["epsilon"] == 2.0 and desc["seed"] == 5 and desc["method"] == "MST"
    assert set(desc["schema"]) == set(table.columns) and desc["budget"]["epsilon_spent"] == pytest.approx(2.0)
    again = tmp_path / "s2.parquet"
    assert main(["synthesize", "--data", str(data), "--epsilon", "2", "--out", str(again), "--seed", "5"]) == 0
    pd.testing.assert_frame_equal(pd.read_parquet(again), written)


@pytest.mark.parametrize("args, message", [
    (["--epsilon", "0"], "epsilon must be a positive number"),
    (["--epsilon", "1", "--delta", "2"], "delta must lie strictly between 0 and 1"),
    (["--epsilon", "1", "--schema", "SCHEMA"], "not a JSON file"),
])
def test_cli_synthesize_bad_input_is_one_line(tmp_path, capsys, args, message):
    data = tmp_path / "t.csv"
    mixed_table(50).to_csv(data, index=False)
    (tmp_path / "bad.json").write_text("{nope")
    args = [a.replace("SCHEMA", str(tmp_path / "bad.json")) for a in args]
    code = main(["synthesize", "--data", str(data), "--out", str(tmp_path / "o.csv"), *args])
    err = capsys.readouterr().err
    assert code == 2 and message in err and len(err.strip().splitlines()) == 1
