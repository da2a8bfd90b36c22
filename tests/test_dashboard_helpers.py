"""The package pieces behind the dashboard: role suggestions, display tables, exports, report, charts."""

import io
import json

import numpy as np
import pandas as pd
import pytest

from anonymizer import ADULT_QIS, AccuracyGuidedAnonymizer, charts, load_adult, privacy_metrics
from anonymizer.display import changed_cells, class_summary, describe_range, describe_set
from anonymizer.export import csv_bytes, model_file, parquet_bytes, spreadsheet_safe
from anonymizer.models import check_model, load_model, train_default_model
from anonymizer.report import build_report
from anonymizer.roles import IDENTIFIER, QUASI, identifier_columns, suggest_roles, suggested_qis, suggested_target


def test_role_suggestions_flag_identifiers_and_qis():
    n = 50
    df = pd.DataFrame({
        "patient_id": np.arange(n), "full name": [f"Person {i}" for i in range(n)],
        "email": [f"p{i}@example.org" for i in range(n)], "phone": [f"+44 20 7946 {i:04d}" for i in range(n)],
        "age": np.arange(n) % 40 + 20, "zip": [str(10000 + i % 5) for i in range(n)],
        "blood_pressure": np.linspace(90, 140, n), "diagnosis": ["a", "b"] * 25,
    })
    summary = suggest_roles(df).set_index("column")
    assert set(identifier_columns(summary.reset_index())) == {"patient_id", "full name", "email", "phone"}
    assert summary.loc["age", "suggestion"] == QUASI and summary.loc["zip", "suggestion"] == QUASI
    assert summary.loc["blood_pressure", "suggestion"] == ""  # continuous floats are not ids
    assert summary.loc["email", "why"] == "values look like e-mail addresses"
    assert suggested_qis(summary.reset_index()) == ["age", "zip"]
    assert suggested_target(df, exclude=identifier_columns(summary.reset_index())) == "diagnosis"
    assert IDENTIFIER in summary["suggestion"].tolist()


def test_adult_suggestions():
    summary = suggest_roles(load_adult())
    assert identifier_columns(summary) == []
    assert set(suggested_qis(summary)) >= {"age", "sex", "race", "marital-status", "native-country"}


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
    result = anonymizer.fit(X, adult_train["income"].iloc[:2000]).result_
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


def test_report_is_self_contained_html(adult_train):
    X = adult_train.drop(columns="income").iloc[:3000]
    anonymizer = AccuracyGuidedAnonymizer(k=25, quasi_identifiers=ADULT_QIS)
    result = anonymizer.fit(X, adult_train["income"].iloc[:3000]).result_
    metrics = privacy_metrics(result.data, ADULT_QIS, k=25, original=X, sensitive="relationship")
    html = build_report({"dataset": "<b>demo</b>", "k": 25, "seed": 7, "method": "AG"}, result, metrics,
                        utility={"original": 0.86, "AG k=25": 0.85})
    assert html.startswith("<!DOCTYPE html>") and "seed 7" in html
    assert "&lt;b&gt;demo&lt;/b&gt;" in html  # user text is escaped
    assert "<script src=" not in html and "Plotly.newPlot" in html  # plotly.js inline, nothing fetched
    assert "-1.00 pt" in html and "not run" in html


def membership(auc, tpr=0.02):
    roc = {"fpr": [0.0, 0.01, 1.0], "tpr": [0.0, tpr, 1.0]}
    return {a: {"auc": auc, "advantage": auc - 0.5, "tpr_at_1pct_fpr": tpr, "tpr_at_0_1pct_fpr": tpr / 2,
                "roc": roc, "tpr_at_0_1pct_fpr_supported": False} for a in ("threshold", "shadow", "lira")}


def test_chart_readings_say_what_happened():
    before, after = membership(0.70), membership(0.55)
    text = charts.reading_membership(before, after, "AG k=10 model")
    assert "AUC 0.700" in text and "drops to 0.550" in text
    assert "did not reduce" in charts.reading_membership(before, membership(0.75), "x")
    assert "too few non-members" in charts.reading_roc(before, after, "lira")
    points = pd.DataFrame({"method": ["ag", "ag", "mondrian"], "k": [10, 100, 10], "accuracy": [0.86, 0.85, 0.80]})
    assert "6.0 points (Mondrian at k = 10)" in charts.reading_sweep(points, 0.86, 0.83)
    sizes = np.array([10, 12, 15, 400])
    assert charts.reading_class_sizes(sizes, 10).startswith("4 classes; the smallest holds 10")
    for fig in (charts.class_size_histogram(sizes, 10), charts.accuracy_sweep(points, 0.86, 0.83),
                charts.membership_bars(before, after, "x"), charts.roc_curves(before, after, "lira", "x")):
        spec = json.loads(fig.to_json())
        assert spec["data"] and spec["layout"]["title"]["text"]


@pytest.mark.parametrize("sizes, log_bins", [(np.array([10, 11, 12, 13]), False), (np.array([10] * 50 + [5000]), True)])
def test_class_size_histogram_bins(sizes, log_bins):
    fig = charts.class_size_histogram(sizes, 10)
    assert (fig.data[0].type == "bar") is log_bins
    if log_bins:
        assert sum(fig.data[0].y) == len(sizes)
