"""One pipeline: the Analysis object the CLI, the pages and the report share; Roles; the bounded memo."""

import json
import threading

import numpy as np
import pandas as pd
import pytest

from anonymizer import ADULT_QIS, DataError, Roles
from anonymizer.analysis import Analysis
from anonymizer.cli import main
from anonymizer.memo import BoundedMemo


@pytest.fixture(scope="module")
def small(adult_train):
    return adult_train.iloc[:3000].reset_index(drop=True)


def test_roles_are_frozen_hashable_and_validated_once(small):
    roles = Roles("income", ["age", "sex"], "race", ["education"])
    assert roles.quasi_identifiers == ("age", "sex") and roles.dropped == ("education",)
    assert {roles: 1}[Roles("income", ("age", "sex"), "race", ("education",))] == 1
    with pytest.raises(AttributeError):
        roles.target = "age"
    with pytest.raises(DataError, match="dropped column"):
        Roles("income", ["age"], dropped=["age"]).validate(small)
    with pytest.raises(DataError, match="is the target"):
        Roles("income", ["age"], sensitive="income").validate(small)
    with pytest.raises(DataError, match="unknown task"):
        Roles("income", ["age"], task="ranking")


@pytest.mark.parametrize("column, role, expected, note", [
    ("age", "target", Roles("age", ("sex",), "race"), "'age' was the quasi-identifier; it is now the target only."),
    ("income", "quasi_identifiers", Roles(None, ("age", "sex", "income"), "race"),
     "'income' was the target; it is now the quasi-identifier only."),
    ("race", "dropped", Roles("income", ("age", "sex"), None, ("race",)),
     "'race' was the sensitive attribute; it is now the dropped only."),
    ("hours-per-week", "sensitive", Roles("income", ("age", "sex"), "hours-per-week"), ""),
])
def test_assigning_a_role_takes_the_column_out_of_the_others(column, role, expected, note):
    roles = Roles("income", ("age", "sex"), "race")
    assert roles.assign(column, role) == (expected, note)


def test_one_anonymization_for_the_cli_and_the_analysis(small, tmp_path):
    """The same table, roles and seed give the same numbers through the CLI and through Analysis (the pages)."""
    data, out, report = tmp_path / "d.csv", tmp_path / "o.csv", tmp_path / "r.json"
    small.to_csv(data, index=False)
    code = main(["anonymize", "--data", str(data), "--qi", ",".join(ADULT_QIS), "--k", "25", "--out", str(out),
                 "--target", "income", "--drop", "education", "--report", str(report), "--seed", "3"])
    assert code == 0
    cli = json.loads(report.read_text())
    analysis = Analysis(pd.read_csv(data), Roles("income", ADULT_QIS, None, ("education",)), seed=3)
    anon = analysis.anonymize("ag", 25)
    assert cli["k_achieved"] == anon.metrics.k_achieved and cli["n_classes"] == anon.metrics.n_classes
    assert cli["gcp"] == pytest.approx(anon.metrics.gcp)
    assert cli["leaks"] == [] and cli["output_form"] == "representative"
    written = pd.read_csv(out)
    assert "education" not in written.columns and len(written) == len(small)
    assert (written["age"].to_numpy() == anon.data["age"].to_numpy()).all()


def test_anonymizations_are_memoized_and_computed_once_under_concurrency(small):
    analysis = Analysis(small, Roles("income", ADULT_QIS, None, ("education",)))
    results = []
    threads = [threading.Thread(target=lambda: results.append(analysis.anonymize("mondrian", 40))) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len({id(r) for r in results}) == 1 and analysis.has_anonymization("mondrian", 40)


def test_prefetch_computes_the_neighbours_and_what_the_page_shows_of_them(small):
    analysis = Analysis(small, Roles("income", ADULT_QIS, None, ("education",)))
    analysis.prefetch("mondrian", [30, 31, 0, len(small) + 1])  # out-of-range ks are skipped
    thread = analysis._prefetch_thread
    if thread is not None:
        thread.join(120)
    for k in (30, 31):
        assert analysis.has_anonymization("mondrian", k)
        held = vars(analysis.anonymize("mondrian", k))
        assert {"leaks", "class_summary", "recoding"} <= held.keys()  # drawn without computing anything
    assert not analysis.has_anonymization("mondrian", len(small) + 1)


def test_rows_without_a_target_are_released_but_not_trained_on(small):
    data = small.copy()
    data.loc[[3, 50, 700], "income"] = None
    analysis = Analysis(data, Roles("income", ("age", "sex")))
    assert analysis.n_without_target == 3 and len(analysis.labelled) == len(data) - 3
    anon = analysis.anonymize("ag", 20)
    assert len(anon.data) == len(data) and anon.data["income"].isna().sum() == 3
    assert len(analysis.simulation.split.members) == round(0.4 * (len(data) - 3))


def test_a_regression_target_is_detected_and_named(small):
    data = small.assign(hours=small["hours-per-week"] + np.linspace(0, 0.5, len(small)))
    analysis = Analysis(data, Roles("hours", ("age", "sex"), dropped=("hours-per-week",)))
    assert analysis.task == "regression" and analysis.task_reason.startswith("numbers with fractions")
    assert Analysis(data, Roles("income", ("age",))).task == "classification"


def test_bounded_memo_evicts_by_bytes_not_by_count():
    memo = BoundedMemo(max_bytes=3_000, size=lambda v: v.nbytes)
    for i in range(5):
        memo.get(i, lambda i=i: np.zeros(100))  # 800 bytes each
    assert len(memo) == 3 and memo.bytes == 2_400 and 0 not in memo and 4 in memo
    memo.get(2, lambda: pytest.fail("recomputed"))  # a hit moves it to the end
    memo.get(9, lambda: np.zeros(100))
    assert 2 in memo and 3 not in memo
    memo.get("big", lambda: np.zeros(1000))  # bigger than the budget: kept alone
    assert len(memo) == 1 and "big" in memo


def test_memo_failure_is_not_cached_and_other_keys_still_work():
    memo = BoundedMemo()
    with pytest.raises(ValueError):
        memo.get("x", lambda: (_ for _ in ()).throw(ValueError("boom")))
    assert "x" not in memo and memo.get("x", lambda: np.ones(2)).sum() == 2


def test_the_report_opens_with_the_frontier_when_this_analysis_built_it(small):
    from anonymizer.analysis import ATTACK_SWEEP_KS, METHODS
    from anonymizer.attack_suite import AttackSettings
    from anonymizer.report import build_report

    analysis = Analysis(small.iloc[:1000], Roles("income", ("age", "sex", "race"), None, ("education",)),
                        attack_settings=AttackSettings(2, 1))
    before = build_report(analysis, "ag", 10)
    assert "Anonymize, train with DP, or release DP synthetic data?" not in before
    assert "was not run in this session" in before
    sim = analysis.simulation
    sim.prepare_attacks()
    sim.frontier(ATTACK_SWEEP_KS, list(METHODS), [2.0])
    after = build_report(analysis, "ag", 10, budget_points=2.0)
    frontier_at = after.index("<h2>Anonymize, train with DP, or release DP synthetic data?</h2>")
    assert after.index("<h2>Summary</h2>") < frontier_at < after.index("<h2>Settings</h2>")
    assert "budget of 2 points" in after and "was not run in this session" not in after
    assert "DP caveat" in after  # the DP schema was read from the members: the report says so
