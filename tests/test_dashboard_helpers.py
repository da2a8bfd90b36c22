"""The package pieces behind the dashboard: role suggestions, display tables, exports, report, charts."""

import io
import json

import numpy as np
import pandas as pd
import pytest

from anonymizer import ADULT_QIS, AccuracyGuidedAnonymizer, charts
from anonymizer.display import changed_cells, class_summary, describe_range, describe_set
from anonymizer.export import csv_bytes, model_file, parquet_bytes, spreadsheet_safe
from anonymizer.models import check_model, load_model, train_default_model
from anonymizer.report import build_report


def test_display_strings():
    assert describe_range(17, 25) == "17–25" and describe_range(3.0, 3.0) == "3"
    assert describe_range(0.125, 1234.5) == "0.125–1,234"
    assert describe_set(("a", "b", None)) == "a, b, missing"
    assert describe_set(tuple("abcdef")) == "a, b, c, d +2 more"
    a = pd.DataFrame({"x": [1, 2, None], "y": ["p", "q", "r"]})
    b = pd.DataFrame({"x": [1, 3, None], "y": ["p", "q", "s"]})
    assert changed_cells(a, b).to_numpy().tolist() == [[False, False], [True, False], [False, True]]


def test_class_summary_has_a_row_per_class(adult_train):
    X = adult_train.drop(columns="income").iloc[:2000]
    anonymizer = AccuracyGuidedAnonymizer(k=50, quasi_identifiers=["age", "sex"])
    result = anonymizer.anonymize(X, adult_train["income"].iloc[:2000])
    summary = class_summary(result)
    assert len(summary) == result.n_classes and summary["size"].sum() == 2000
    assert list(summary.columns) == ["class", "size", "age (range)", "age → shown as", "sex (values)",
                                     "sex → shown as"]


def test_csv_export_defuses_formulas_but_not_numbers():
    df = pd.DataFrame({"t": ["=1+1", "+cmd", "-x", "@sum", "\tx", "safe", None], "n": [-1, 2, 3, 4, 5, 6, 7]})
    safe = spreadsheet_safe(df)
    assert safe["t"].tolist()[:6] == ["'=1+1", "'+cmd", "'-x", "'@sum", "'\tx", "safe"]
    assert safe["n"].tolist() == df["n"].tolist()
    assert df["t"].iloc[0] == "=1+1"  # the input is untouched
    back = pd.read_csv(io.BytesIO(csv_bytes(df)))
    assert back["t"].iloc[0] == "'=1+1" and back["n"].iloc[0] == -1
    assert pd.read_parquet(io.BytesIO(parquet_bytes(df)))["t"].iloc[0] == "=1+1"


def test_exported_lightgbm_model_reads_back(tmp_path, adult_train):
    X, y = adult_train.drop(columns="income").iloc[:2000], adult_train["income"].iloc[:2000]
    model = train_default_model(X, y)
    suffix, content, fmt = model_file(model)
    assert (suffix, fmt) == (".txt", "LightGBM text")
    path = tmp_path / f"m{suffix}"
    path.write_bytes(content)
    again = check_model(load_model(path), X, y)
    assert (again.predict(X) == model.predict(X)).all()


def test_report_is_self_contained_and_says_what_it_measured(adult_train):
    from anonymizer.analysis import Analysis
    from anonymizer.roles import Roles

    data = adult_train.iloc[:3000].rename(columns={"sex": "<b>sex</b>"})
    qis = tuple(q if q != "sex" else "<b>sex</b>" for q in ADULT_QIS)
    analysis = Analysis(data, Roles("income", qis, "relationship", ("education",)), seed=7, name="<i>demo</i>.csv")
    html = build_report(analysis, "ag", 25)
    assert html.startswith("<!DOCTYPE html>") and "seed 7" in html
    assert "&lt;i&gt;demo&lt;/i&gt;.csv" in html and "<i>demo</i>" not in html  # user text is escaped
    assert "<b>sex</b>" not in html and "&lt;b&gt;sex&lt;/b&gt;" in html
    assert "<script src=" not in html and "Plotly.newPlot" in html  # plotly.js inline, nothing fetched
    assert "<h2>Summary</h2>" in html and html.index("<h2>Summary</h2>") < html.index("<h2>Settings</h2>")
    assert "Measured on the whole table as released (3,000 rows)" in html
    assert "Measured on one seeded split (seed 7): 1,200 members" in html
    assert "95% interval" in html and "most frequent class" in html
    assert "was not run in this session" in html
    assert "<h2>Leak check</h2>" in html and "<h2>Definitions</h2>" in html
    assert "<th></th>" not in html  # no empty header rows
    leaks = analysis.anonymize("ag", 25).leaks
    assert leaks.clean and leaks.weak_columns(25)  # hours-per-week and the like split classes below 25
    assert "Leak check: k = 25 holds over the quasi-identifiers only." in html and "holds with any one" not in html


def membership(auc, tpr=0.02, p_value=None):
    from anonymizer.results import AttackFigures, Membership

    roc = {"fpr": [0.0, 0.01, 1.0], "tpr": [0.0, tpr, 1.0]}
    return Membership({a: AttackFigures(auc=auc, advantage=auc - 0.5, tpr_at_1pct_fpr=tpr, tpr_at_0_1pct_fpr=tpr / 2,
                                        roc=roc, tpr_at_1pct_fpr_supported=True, tpr_at_0_1pct_fpr_supported=False,
                                        n_members=500, n_nonmembers=500, p_value_vs_chance=p_value)
                       for a in ("threshold", "shadow", "lira")})


def test_the_chance_reading_compares_before_with_after():
    """The report said "after anonymization the attack is not distinguishable from guessing" when it was not
    distinguishable before either (issue 15); and it named the strongest attack twice in one summary."""
    neither = charts.reading_membership(membership(0.52, p_value=0.3), membership(0.51, p_value=0.4), "AG k=10 model")
    assert "neither before nor after is the attack distinguishable from guessing" in neither
    assert "no longer" not in neither and neither.count("strongest") == 1
    gone = charts.reading_membership(membership(0.7, p_value=1e-6), membership(0.51, p_value=0.4), "AG k=10 model")
    assert "with the AG k=10 model the attack is no longer distinguishable from guessing" in gone
    both = charts.reading_membership(membership(0.7, p_value=1e-6), membership(0.6, p_value=1e-4), "x")
    assert "beats guessing before and after" in both
    # Fishing: the attack strongest against the original stops beating guessing, three others do not
    from anonymizer.results import Membership

    after = membership(0.55, p_value=0.4)
    after = Membership({**{a: after[a] for a in after}, "lira": membership(0.6, p_value=0.001)["lira"]})
    mixed = charts.reading_membership(membership(0.7, p_value=1e-6), after, "AG k=10 model")
    assert "no longer distinguishable" in mixed and "but LiRA (offline) (p = 0.001) still beats guessing" in mixed


def test_one_definition_of_the_strongest_attack():
    """Charts called the attack with the largest AUC "strongest", the frontier the one with the largest advantage
    (issue 15): both now ask Membership.strongest, which takes the advantage."""
    from anonymizer.frontier import strongest_attack_point
    from anonymizer.results import AttackFigures, Membership

    def fig(auc, advantage):
        return AttackFigures(auc=auc, advantage=advantage, tpr_at_1pct_fpr=0.0, tpr_at_0_1pct_fpr=0.0,
                             tpr_at_1pct_fpr_supported=True, tpr_at_0_1pct_fpr_supported=True, n_members=9,
                             n_nonmembers=9)
    m = Membership({"lira": fig(0.80, 0.30), "rmia": fig(0.83, 0.25)})  # rmia: the larger AUC, lira: the advantage
    assert m.strongest() == charts.strongest_attack(m) == "lira"
    assert strongest_attack_point("x", "ag", 0.8, m)["attack"] == "lira"
    assert "LiRA (offline)" in charts.reading_membership(m, m, "x")


def test_chart_readings_say_what_happened():
    before, after = membership(0.70), membership(0.55)
    text = charts.reading_membership(before, after, "AG k=10 model")
    assert "AUC 0.700" in text and "drops to 0.550" in text
    assert "did not reduce" in charts.reading_membership(before, membership(0.80), "x")  # beyond 1.96 SE
    assert "too few non-members" in charts.reading_roc(before, after, "lira")
    points = pd.DataFrame({"method": ["ag", "ag", "mondrian"], "k": [10, 100, 10], "accuracy": [0.86, 0.85, 0.80]})
    assert "80.0% (Mondrian at k = 10, -6.0 points)" in charts.reading_sweep(points, 0.86, 0.83)
    sizes = np.array([10, 12, 15, 400])
    assert charts.reading_class_sizes(sizes, 10).startswith("4 classes; the smallest holds 10")
    for fig in (charts.class_size_histogram(sizes, 10), charts.accuracy_sweep(points, 0.86, 0.83),
                charts.membership_bars(before, after, "x"), charts.roc_curves(before, after, "lira", "x")):
        spec = json.loads(fig.to_json())
        assert spec["data"] and spec["layout"]["title"]["text"]


def test_sweep_reading_says_within_noise_for_a_swing_inside_the_intervals():
    from anonymizer.stats import wilson_interval

    # the case: a 600-row hold-out, 71.3% original, a point at 68.8%: a 2.5-point swing is noise
    original, low = 0.713, 0.688
    points = pd.DataFrame({"method": ["ag"], "k": [10], "accuracy": [low]})
    points[["lo", "hi"]] = [wilson_interval(low, 600)]
    text = charts.reading_sweep(points, original, 0.70, original_ci=wilson_interval(original, 600))
    assert "within noise" in text
    # the same swing on 60,000 rows is a real loss
    points[["lo", "hi"]] = [wilson_interval(low, 60_000)]
    text = charts.reading_sweep(points, original, 0.70, original_ci=wilson_interval(original, 60_000))
    assert "beyond the noise" in text


@pytest.mark.parametrize("sizes, log_bins", [(np.array([10, 11, 12, 13]), False), (np.array([10] * 50 + [5000]), True)])
def test_class_size_histogram_bins(sizes, log_bins):
    fig = charts.class_size_histogram(sizes, 10)
    assert (fig.data[0].type == "bar") is log_bins
    if log_bins:
        assert sum(fig.data[0].y) == len(sizes)
