"""Publishable releases (issue 20): hierarchies, local suppression, l-diversity and t-closeness as constraints.

Hand-checked chains and small anonymizations with exact values; brute-force checks of k, l and t on the
released tables; property tests over random tables and taxonomies (hypothesis).
"""

import json

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from anonymizer.anonymize import AccuracyGuidedAnonymizer, MondrianAnonymizer, anonymize_table
from anonymizer.cli import main
from anonymizer.constraints import ReleaseRules
from anonymizer.data import DataError
from anonymizer.hierarchies import (
    ROOT,
    check_taxonomy,
    parse_hierarchy,
    round_widths,
    suggest_hierarchy,
    taxonomy_from_csv,
    taxonomy_from_json,
)
from anonymizer.release import output_table

# --- hierarchies, hand-checked ------------------------------------------------------------------------


def chain(spec, values, i=0):
    return list(parse_hierarchy(spec).chains(values).labels[i])


def test_prefix_chain_masks_one_character_a_level():
    assert chain("prefix", ["02139"]) == ["*", "0****", "02***", "021**", "0213*", "02139"]


def test_date_chain_runs_decade_year_quarter_month_day():
    day = pd.to_datetime(["2024-05-17"])
    assert chain("date:day", day) == ["*", "2020s", "2024", "2024-Q2", "2024-05", "2024-05-17"]
    assert chain("date:month", day) == ["*", "2020s", "2024", "2024-Q2", "2024-05"]
    assert chain("date:year", day) == ["*", "2020s", "2024"]


def test_round_bands_nest_1_2_10_20():
    assert round_widths(1, 25) == [1, 2, 10, 20, 100]
    values = np.arange(0, 26, dtype=float)
    chains = parse_hierarchy("bands:1").chains(values)
    assert chains.level_names == ("*", "width 20", "width 10", "width 2", "width 1")
    assert list(chains.labels[13]) == ["*", "0-19", "10-19", "12-13", "13"]
    assert list(chains.lo[13]) == [0, 0, 10, 12, 13]


def test_user_band_edges():
    values = np.array([0, 30, 120], dtype=float)
    labels = parse_hierarchy("bands:0,18,65,120").chains(values).labels
    assert list(labels[:, 1]) == ["[0, 18)", "[18, 65)", "[65, 120]"]


def test_taxonomy_from_json_and_csv_agree():
    tree = json.dumps({"Europe": {"France": ["Paris", "Lyon"]}, "Asia": ["Tokyo"]})
    pairs = taxonomy_from_json(tree)
    csv_pairs = taxonomy_from_csv("child,parent\nParis,France\nLyon,France\nFrance,Europe\nTokyo,Asia\n")
    assert set(pairs) == set(csv_pairs)
    from anonymizer.hierarchies import Hierarchy
    h = Hierarchy("taxonomy", "taxonomy:t", parent=pairs)
    labels = h.chains(["Paris", "Tokyo"]).labels
    assert list(labels[0]) == ["*", "Europe", "France", "Paris"]
    assert list(labels[1]) == ["*", "Asia", "Tokyo", "Tokyo"]  # a shallow leaf repeats below itself


@pytest.mark.parametrize("pairs, message", [
    ([("a", "b"), ("a", "c")], "two parents"),
    ([("a", "b"), ("b", "a")], "cycle"),
    ([], "empty"),
    ([(ROOT, "x")], "root"),
])
def test_taxonomy_errors(pairs, message):
    with pytest.raises(DataError, match=message):
        check_taxonomy(pairs)


@pytest.mark.parametrize("spec, message", [
    ("bands:3", "round number"), ("bands:0", "positive"), ("bands:5,1", "increase"), ("date:week", "unknown date"),
    ("nope", "unknown hierarchy"), ("missing.json", "not found"),
])
def test_bad_specs_are_one_line_errors(spec, message):
    with pytest.raises(DataError, match=message):
        parse_hierarchy(spec)


def test_a_taxonomy_must_cover_every_value():
    h = parse_hierarchy("bands:5")
    with pytest.raises(DataError, match="numeric column"):
        h.check_column(pd.Series(["a", "b"], name="c"))
    from anonymizer.hierarchies import Hierarchy
    tax = Hierarchy("taxonomy", "taxonomy:t", parent=taxonomy_from_json('{"Europe": ["Paris"]}'))
    with pytest.raises(DataError, match="does not cover 1 value"):
        tax.check_column(pd.Series(["Paris", "Oslo"], name="city"))


def test_suggested_hierarchies_follow_the_column_kind():
    assert suggest_hierarchy(pd.Series(pd.to_datetime(["2020-01-01", "2021-06-01"]))) == "date:month"
    assert suggest_hierarchy(pd.Series(np.arange(18, 91))) == "bands:5"
    assert suggest_hierarchy(pd.Series([f"{z:05d}" for z in range(2100, 2150)])) == "prefix"
    assert suggest_hierarchy(pd.Series(["Ann", "Bob", "Carla"] * 5)) is None


# --- anonymizations, hand-checked ----------------------------------------------------------------------


def test_mondrian_classes_lift_to_the_shared_prefix():
    X = pd.DataFrame({"zip": ["02131", "02132", "02141", "02142"] * 2})
    rules = ReleaseRules(hierarchies=(("zip", parse_hierarchy("prefix")),))
    result = MondrianAnonymizer(k=4, quasi_identifiers=["zip"], rules=rules).anonymize(X)
    released = output_table(result, X, "generalized")["zip"]
    assert sorted(released.unique()) == ["0213*", "0214*"]
    assert (released[X.zip.str.startswith("0213")] == "0213*").all()
    assert list(result.classes["zip:level"]) == ["4 characters kept"] * 2
    m = result.metrics(original=X)
    # a node's NCP: values under it / values of the column (2 of 4)
    assert m.ncp["zip"] == pytest.approx(0.5)
    assert m.hierarchy_levels["zip"]["records_by_level"]["4 characters kept"] == 8


def test_mondrian_refuses_a_split_that_breaks_l():
    X = pd.DataFrame({"age": np.arange(1, 9), "s": list("aaaabbbb")})
    plain = MondrianAnonymizer(k=2, quasi_identifiers=["age"]).anonymize(X)
    assert plain.n_classes == 4 and plain.metrics(sensitive="s").l_distinct == 1
    result = MondrianAnonymizer(k=2, quasi_identifiers=["age"], rules=ReleaseRules(l=2), sensitive="s").anonymize(X)
    # the only splits (at the median) put the four a's on one side: no split keeps l = 2
    assert result.n_classes == 1
    m = result.metrics(sensitive="s")
    assert m.l_distinct == 2 and m.l_required == 2


def test_accuracy_guided_merges_leaves_until_l_holds():
    X = pd.DataFrame({"age": np.arange(40), "s": ["a"] * 20 + ["b"] * 20})
    y = (X.age >= 20).astype(int)
    plain = AccuracyGuidedAnonymizer(k=5, quasi_identifiers=["age"]).anonymize(X, y)
    assert plain.metrics(sensitive="s").l_distinct == 1  # the tree separates the a's from the b's
    result = AccuracyGuidedAnonymizer(k=5, quasi_identifiers=["age"], rules=ReleaseRules(l=2),
                                      sensitive="s").anonymize(X, y)
    assert result.metrics(sensitive="s").l_distinct == 2


def test_suppression_removes_the_outlier_instead_of_widening_its_class():
    X = pd.DataFrame({"age": [20, 21, 22, 23, 24, 99], "v": range(6)})
    plain = MondrianAnonymizer(k=2, quasi_identifiers=["age"]).anonymize(X)
    assert sorted(plain.classes["age:max"]) == [22, 99]
    rules = ReleaseRules(max_suppression=0.2, suppression="remove")
    result = MondrianAnonymizer(k=2, quasi_identifiers=["age"], rules=rules).anonymize(X)
    assert result.n_suppressed == 1 and bool(result.suppressed[5])
    out = output_table(result, X, "generalized")
    assert list(out["v"]) == [0, 1, 2, 3, 4]
    assert sorted(out["age"].unique()) == ["[20, 22]", "[23, 24]"]
    m = result.metrics(original=X)
    assert m.suppressed_rows == 1 and m.suppressed_share == pytest.approx(1 / 6)
    assert m.k_achieved == 2 and m.n_rows == 5
    # NCP over all six records, on the whole column's range (79), the removed record counted as 1
    assert m.ncp["age"] == pytest.approx((3 * 2 / 79 + 2 * 1 / 79 + 1) / 6)


def test_suppression_to_missing_needs_k_suppressed_records():
    X = pd.DataFrame({"age": [20, 21, 22, 23, 24, 99]})
    result = MondrianAnonymizer(k=2, quasi_identifiers=["age"],
                                rules=ReleaseRules(max_suppression=0.2)).anonymize(X)
    assert result.n_suppressed == 0
    assert "fewer than k = 2" in result.notes[0]


def test_suppressed_cells_are_missing_and_form_one_class():
    rng = np.random.default_rng(1)
    # three outlying ages and three outlying incomes: each too few for a class of their own at k = 4
    X = pd.DataFrame({"age": np.r_[rng.integers(30, 40, 60), [90, 95, 99], [35, 36, 37]],
                      "inc": np.r_[rng.integers(10, 20, 60), [15, 16, 17], [80, 85, 99]]})
    result = MondrianAnonymizer(k=4, quasi_identifiers=["age", "inc"],
                                rules=ReleaseRules(max_suppression=0.1)).anonymize(X)
    assert list(np.flatnonzero(result.suppressed)) == [62, 63, 64, 65]
    assert result.data["age"].isna().sum() == 4 and str(result.data["age"].dtype) == "Int64"
    m = result.metrics(original=X)
    assert m.k_achieved == 4 and m.suppressed_per_column == {"age": 4, "inc": 4}
    assert bool(result.classes["suppressed"].sum() == 1)


def test_rules_that_cannot_be_met_are_refused():
    X = pd.DataFrame({"age": np.arange(10), "s": ["a"] * 10})
    with pytest.raises(DataError, match="distinct l = 2 cannot be met"):
        MondrianAnonymizer(k=2, quasi_identifiers=["age"], rules=ReleaseRules(l=2), sensitive="s").anonymize(X)
    with pytest.raises(DataError, match="need a sensitive attribute"):
        MondrianAnonymizer(k=2, quasi_identifiers=["age"], rules=ReleaseRules(t=0.2)).anonymize(X)
    with pytest.raises(DataError, match="not a quasi-identifier"):
        MondrianAnonymizer(k=2, quasi_identifiers=["age"],
                           rules=ReleaseRules(hierarchies=(("s", parse_hierarchy("prefix")),))).anonymize(X)
    with pytest.raises(DataError, match="l must be"):
        ReleaseRules(l=0)
    with pytest.raises(DataError, match="t must be"):
        ReleaseRules(t=2)


# --- brute-force checks on released tables ----------------------------------------------------------


def brute_force(out: pd.DataFrame, qis, sensitive, ordered=False):
    """Smallest class, smallest distinct l, smallest entropy l and largest t, from the released table alone."""
    groups = out.groupby(qis, dropna=False, sort=False)[sensitive]
    overall = out[sensitive].value_counts(normalize=True).sort_index()
    k = groups.size().min()
    distinct = groups.nunique(dropna=False).min()
    ent, t = np.inf, 0.0
    for _, values in groups:
        p = values.value_counts(normalize=True).reindex(overall.index, fill_value=0.0)
        nz = p[p > 0]
        ent = min(ent, float(np.exp(-(nz * np.log(nz)).sum())))
        if ordered:
            d = np.abs(np.cumsum((p - overall).to_numpy())[:-1]).sum() / max(len(p) - 1, 1)
        else:
            d = 0.5 * np.abs(p - overall).sum()
        t = max(t, float(d))
    return int(k), int(distinct), ent, t


def people(n=600, seed=0):
    rng = np.random.default_rng(seed)
    return pd.DataFrame({
        "zip": [f"{z:05d}" for z in rng.integers(2100, 2400, n)],
        "age": rng.integers(18, 90, n),
        "born": pd.to_datetime("1950-01-01") + pd.to_timedelta(rng.integers(0, 20000, n), unit="D"),
        "sex": rng.choice(["F", "M"], n),
        "disease": rng.choice(["flu", "cold", "hiv", "cancer"], n, p=[.5, .3, .1, .1]),
    })


QIS = ["zip", "age", "born", "sex"]
HIERARCHIES = (("zip", parse_hierarchy("prefix")), ("age", parse_hierarchy("bands:5")),
               ("born", parse_hierarchy("date:month")))


@pytest.mark.parametrize("method", ["ag", "mondrian"])
@pytest.mark.parametrize("rules", [
    ReleaseRules(hierarchies=HIERARCHIES),
    ReleaseRules(hierarchies=HIERARCHIES, hierarchy_splits="lift"),
    ReleaseRules(l=3),
    ReleaseRules(l=2, l_kind="entropy"),
    ReleaseRules(t=0.2),
    ReleaseRules(hierarchies=HIERARCHIES, l=2, t=0.3, max_suppression=0.05, suppression="remove"),
    ReleaseRules(max_suppression=0.05),
], ids=["hier", "lift", "l3", "lent2", "t02", "all-remove", "suppress"])
def test_k_l_t_hold_on_the_released_table(method, rules):
    X = people()
    y = ((X.age > 50) ^ (X.sex == "F")).astype(int).to_numpy()
    k = 8
    result = anonymize_table(X.assign(target=y), QIS, k, method, "target", guide=y if method == "ag" else None,
                             rules=rules, sensitive="disease")
    table = X.assign(target=y)
    for form in ("generalized", "representative"):
        out = output_table(result, table, form)
        kk, distinct, ent, t = brute_force(out, QIS, "disease")
        assert kk >= k
        if rules.l and rules.l_kind == "distinct":
            assert distinct >= rules.l
        if rules.l and rules.l_kind == "entropy":
            assert ent >= rules.l - 1e-9
        if rules.t is not None:
            assert t <= rules.t + 1e-9
        assert len(out) == len(X) - (result.n_suppressed if result.removes_rows else 0)
        assert (out["disease"] == table.loc[out.index, "disease"]).all()  # non-QI columns unchanged
    assert result.n_suppressed <= int(rules.max_suppression * len(X))
    gen = output_table(result, table, "generalized")
    for q, _ in rules.hierarchies:  # every released value of a QI with a hierarchy is a node of it
        values = result.nodes[q]
        allowed = set(values.labels[values.labels != None])  # noqa: E711
        released = set(gen[q].dropna())
        assert released <= allowed
    m = result.metrics(original=table, sensitive="disease")
    assert m.k_achieved >= k
    assert (m.l_required, m.t_required) == (rules.l, rules.t)


def test_nodes_are_the_chains_of_the_values():
    X = people(300)
    rules = ReleaseRules(hierarchies=HIERARCHIES)
    result = MondrianAnonymizer(k=5, quasi_identifiers=QIS, rules=rules).anonymize(X)
    gen = output_table(result, X, "generalized")
    for q, h in HIERARCHIES:
        distinct = np.unique(X[q].to_numpy()) if q != "born" else pd.Index(X[q].unique()).sort_values()
        chains = h.chains(distinct)
        labels = pd.DataFrame(chains.labels, index=pd.Index(distinct).astype(str) if q != "born" else distinct)
        own = labels.loc[X[q].astype(str) if q != "born" else X[q]].to_numpy()
        # each row's released node lies on its own value's chain
        assert all(g in row for g, row in zip(gen[q], own))


# --- property tests over random tables and taxonomies ----------------------------------------------


@st.composite
def tables(draw):
    n = draw(st.integers(12, 80))
    seed = draw(st.integers(0, 10_000))
    rng = np.random.default_rng(seed)
    leaves = [f"c{i}" for i in range(draw(st.integers(2, 9)))]
    parents = [f"p{i}" for i in range(draw(st.integers(1, 3)))]
    pairs = [(leaf, parents[int(rng.integers(len(parents)))]) for leaf in leaves]
    X = pd.DataFrame({
        "code": [f"{z:04d}" for z in rng.integers(1000, 1000 + draw(st.integers(2, 300)), n)],
        "num": rng.integers(0, draw(st.integers(1, 500)), n),
        "cat": rng.choice(leaves, n),
        "s": rng.choice(list("abcd")[:draw(st.integers(2, 4))], n),
        "other": np.arange(n),
    })
    if X["s"].nunique() < 2:
        X.loc[0, "s"], X.loc[1, "s"] = "a", "b"
    k = draw(st.integers(1, max(1, n // 4)))
    l = draw(st.sampled_from([None, 2]))  # noqa: E741
    t = draw(st.sampled_from([None, 0.5]))
    from anonymizer.hierarchies import Hierarchy
    hierarchies = (("code", parse_hierarchy("prefix")), ("num", parse_hierarchy("bands:1")),
                   ("cat", Hierarchy("taxonomy", "taxonomy:random", parent=check_taxonomy(
                       pairs + [(p, ROOT) for p in parents]))))
    used = tuple(h for h in hierarchies if draw(st.booleans()))
    rules = ReleaseRules(hierarchies=used, hierarchy_splits=draw(st.sampled_from(["boundary", "lift"])),
                         max_suppression=draw(st.sampled_from([0.0, 0.1])),
                         suppression=draw(st.sampled_from(["missing", "remove"])), l=l, t=t)
    return X, k, rules, draw(st.sampled_from(["ag", "mondrian"])), seed


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tables())
def test_release_guarantees_hold_on_random_tables(case):
    X, k, rules, method, seed = case
    qis = ["code", "num", "cat"]
    y = np.random.default_rng(seed).integers(0, 2, len(X))
    try:
        result = anonymize_table(X, qis, k, method, guide=y if method == "ag" else None, rules=rules,
                                 sensitive="s")
    except DataError as e:  # only the documented refusal: the whole table cannot meet l or t
        assert "cannot be met" in str(e) or "t must" in str(e)
        return
    released = len(X) - (result.n_suppressed if result.removes_rows else 0)
    assert result.n_suppressed <= int(np.floor(rules.max_suppression * len(X) + 1e-9))
    for form in ("generalized", "representative"):
        out = output_table(result, X, form)
        assert len(out) == released  # no row lost but the removed ones
        assert (out["other"].to_numpy() == X["other"].to_numpy()[result.released]).all()
        kk, distinct, _, t = brute_force(out, qis, "s")
        assert kk >= k
        if rules.l:
            assert distinct >= rules.l
        if rules.t is not None:
            assert t <= rules.t + 1e-9
    gen = output_table(result, X, "generalized")
    for q, _ in rules.hierarchies:
        labels = result.nodes[q].labels
        assert set(gen[q].dropna()) <= set(labels[labels != None])  # noqa: E711


# --- the CLI ------------------------------------------------------------------------------------------


def test_cli_rules_and_report(tmp_path, capsys):
    X = people(800)
    X["target"] = (X.age > 50).astype(int)
    data = tmp_path / "people.csv"
    X.to_csv(data, index=False)
    tax = tmp_path / "sex.json"
    tax.write_text(json.dumps({"person": ["F", "M"]}))
    out, report = tmp_path / "out.csv", tmp_path / "r.json"
    code = main(["anonymize", "--data", str(data), "--qi", "zip,age,born,sex", "--target", "target", "--k", "10",
                 "--method", "mondrian", "--out", str(out), "--report", str(report), "--output-form", "generalized",
                 "--hierarchy", "zip=prefix", "--hierarchy", "age=bands:5", "--hierarchy", "born=date:year",
                 "--hierarchy", f"sex={tax}", "--sensitive", "disease", "--l", "2", "--t", "0.3",
                 "--suppress", "0.02", "--suppression", "remove"])
    assert code == 0
    r = json.loads(report.read_text())
    assert r["l_required"] == 2 and r["t_required"] == 0.3
    assert r["k_achieved"] >= 10 and r["l_distinct"] >= 2 and r["t_closeness"] <= 0.3
    assert 0 <= r["suppressed_share"] <= 0.02 and r["suppressed_rows"] == round(r["suppressed_share"] * 800)
    assert set(r["hierarchy_levels"]) == {"zip", "age", "born", "sex"}
    assert r["release_rules"]["hierarchies"]["age"] == "bands:5"
    released = pd.read_csv(out, dtype=str)
    assert len(released) == 800 - r["suppressed_rows"]
    assert set(released["sex"]) <= {"F", "M", "person", "*"}
    assert "rules:" in capsys.readouterr().out


@pytest.mark.parametrize("flags, message", [
    (["--hierarchy", "zip"], "COL=SPEC"),
    (["--hierarchy", "age=bands:3"], "round number"),
    (["--l", "2"], "--sensitive"),
    (["--suppression", "remove"], "needs --suppress"),
    (["--suppress", "1.5"], "suppression limit"),
    (["--hierarchy", "sex=date:year"], "needs a date column"),
])
def test_cli_bad_rules_are_one_line(tmp_path, capsys, flags, message):
    X = people(100)
    X["target"] = (X.age > 50).astype(int)
    data = tmp_path / "p.csv"
    X.to_csv(data, index=False)
    code = main(["anonymize", "--data", str(data), "--qi", "zip,age,born,sex", "--target", "target", "--k", "5",
                 "--method", "mondrian", "--out", str(tmp_path / "o.csv")] + flags)
    err = capsys.readouterr().err
    assert code != 0 and message in err and "Traceback" not in err


def test_the_report_and_the_analysis_carry_the_rules():
    from anonymizer import Analysis, Roles
    from anonymizer.report import build_report

    X = people(400)
    X["target"] = ((X.age > 50) ^ (X.sex == "F")).astype(int)
    analysis = Analysis(X, Roles("target", ("zip", "age", "born", "sex"), "disease"))
    plain = analysis.anonymize("mondrian", 5)
    analysis.set_rules(ReleaseRules(hierarchies=(("zip", parse_hierarchy("prefix")),), l=2,
                                    max_suppression=0.05, suppression="remove"))
    ruled = analysis.anonymize("mondrian", 5)
    assert ruled is not plain and ruled.metrics.l_distinct >= 2 and ruled.metrics.l_required == 2
    assert set(ruled.output("generalized")["zip"]) <= set(ruled.result.nodes["zip"].labels[:-1]) | {None}
    html = build_report(analysis, "mondrian", 5)
    assert "<li>Release rules: hierarchies on" in html
    assert "distinct l required" in html and "records suppressed" in html
    analysis.set_rules(None)  # back to k alone: the memo gives the first result again
    assert analysis.anonymize("mondrian", 5) is plain
    with pytest.raises(DataError, match="not a quasi-identifier"):
        analysis.set_rules(ReleaseRules(hierarchies=(("disease", parse_hierarchy("prefix")),)))


def test_disclosing_classes_are_found_in_the_release_under_rules():
    from anonymizer import Analysis, Roles

    X = people(400)
    X["target"] = ((X.age > 50) ^ (X.sex == "F")).astype(int)
    analysis = Analysis(X, Roles("target", ("zip", "age", "born", "sex"), "disease"))
    analysis.set_rules(ReleaseRules(hierarchies=HIERARCHIES, max_suppression=0.05, suppression="remove"))
    anon = analysis.anonymize("mondrian", 3)
    m = anon.metrics
    assert m.homogeneous_classes > 0 and anon.result.n_suppressed > 0
    cls = anon.result.class_ids
    released = anon.result.released
    # every class named as disclosing holds one value of the sensitive attribute among its released records
    for c in anon.disclosing_classes:
        values = X["disease"][(cls == c) & released]
        assert values.nunique() == 1
    assert sum(int(((cls == c) & released).sum()) for c in anon.disclosing_classes) == m.homogeneous_rows
    assert anon.measured_on.endswith(f"({len(X) - anon.result.n_suppressed:,} rows)")


def test_removed_records_are_not_counted_in_the_class_sizes_or_the_recoding():
    """In remove mode the class-size chart, its reading, the population table and the recoding summary counted
    the removed records as if they were released."""
    from anonymizer import Analysis, Roles
    from anonymizer.metrics import equivalence_classes

    X = people(400)
    X["target"] = ((X.age > 50) ^ (X.sex == "F")).astype(int)
    analysis = Analysis(X, Roles("target", ("zip", "age", "born", "sex"), "disease"))
    analysis.set_rules(ReleaseRules(hierarchies=HIERARCHIES, max_suppression=0.05, suppression="remove"))
    anon = analysis.anonymize("mondrian", 3)
    n_released = len(X) - anon.result.n_suppressed
    assert anon.result.removes_rows and n_released < len(X)
    view = anon.result.release_view()
    expected = np.sort(np.bincount(equivalence_classes(view, QIS)))
    assert np.array_equal(np.sort(anon.class_sizes), expected)  # the release's own classes, none empty
    assert anon.class_sizes.sum() == n_released and anon.class_sizes.min() >= 3
    totals = anon.recoding.groupby("column")[["before", "after"]].sum()
    assert (totals["before"] == len(X)).all() and (totals["after"] == n_released).all()
    shown = anon.rows_shown(limit=len(X))  # the page's preview: released records only
    assert len(shown) == n_released and not anon.result.suppressed[shown].any()
    assert len(anon.rows_shown()) == 100 and np.array_equal(anon.rows_shown(), shown[:100])
    removed_class = int(anon.result.class_ids[anon.result.suppressed][0])
    assert len(anon.rows_shown(removed_class)) == int(((anon.result.class_ids == removed_class)
                                                        & ~anon.result.suppressed).sum())


# --- the rules in the scenario: a replay releases what the run released ----------------------------------


def test_a_scenario_replays_the_release_rules_even_without_the_taxonomy_file(tmp_path, capsys):
    """The scenario held no rules: `--scenario` replayed a run with hierarchies, l and suppression as k alone."""
    from anonymizer.scenario import Scenario

    X = people(500)
    X["target"] = (X.age > 50).astype(int)
    data = tmp_path / "people.csv"
    X.to_csv(data, index=False)
    tax = tmp_path / "sex.csv"
    tax.write_text("child,parent\nF,person\nM,person\n")
    first, report = tmp_path / "1.csv", tmp_path / "r.json"
    assert main(["anonymize", "--data", str(data), "--qi", "zip,age,born,sex", "--target", "target", "--k", "8",
                 "--out", str(first), "--report", str(report), "--output-form", "generalized",
                 "--hierarchy", "zip=prefix", "--hierarchy", "age=bands:5", "--hierarchy", f"sex={tax}",
                 "--sensitive", "disease", "--l", "2", "--suppress", "0.02"]) == 0
    tax.unlink()  # the scenario holds the taxonomy's links, not the file's path
    scenario = Scenario.from_dict(json.loads(report.read_text()))
    rules = scenario.rules
    assert [q for q, _ in rules.hierarchies] == ["zip", "age", "sex"] and rules.l == 2
    assert set(dict(rules.hierarchies)["sex"].parent) == {("F", "person"), ("M", "person"), ("person", "*")}
    assert rules.max_suppression == 0.02 and scenario == Scenario.from_dict(scenario.to_dict())
    second = tmp_path / "2.csv"
    assert main(["anonymize", "--data", str(data), "--scenario", str(report), "--out", str(second)]) == 0
    assert first.read_bytes() == second.read_bytes()
    third, report3 = tmp_path / "3.csv", tmp_path / "r3.json"  # a flag given replaces the scenario's value only
    assert main(["anonymize", "--data", str(data), "--scenario", str(report), "--out", str(third), "--report",
                 str(report3), "--l", "3", "--hierarchy", "age=bands:10"]) == 0
    r3 = json.loads(report3.read_text())
    assert r3["l_required"] == 3 and r3["l_distinct"] >= 3 and r3["suppressed_share"] <= 0.02
    assert r3["release_rules"]["hierarchies"] == {"zip": "prefix", "age": "bands:10", "sex": "taxonomy:sex.csv"}
    capsys.readouterr()


@pytest.mark.parametrize("rules, message", [
    ({"l": "2"}, "'release_rules.l' must be a whole number"),
    ({"max_suppression": True}, "'release_rules.max_suppression' must be a number"),
    ({"hierarchies": {"sex": {"spec": "taxonomy:t.json", "links": [["F"]]}}}, "needs 'links'"),
    ({"hierarchies": {"sex": {"spec": "taxonomy:t.json", "links": [["F", "M"], ["M", "F"]]}}}, "cycle"),
    ({"hierarchies": {"age": "bands:5"}}, "an object with a 'spec' text"),
])
def test_rules_of_the_wrong_type_in_a_scenario_are_one_line(tmp_path, capsys, rules, message):
    from anonymizer.scenario import digest_bytes

    X = people(100)
    X["target"] = (X.age > 50).astype(int)
    data = tmp_path / "p.csv"
    X.to_csv(data, index=False)
    scenario = {"data": digest_bytes(data.read_bytes()), "target": "target", "quasi_identifiers": ["age", "sex"],
                "sensitive": "disease", "k": 5, "method": "mondrian", "release_rules": rules}
    (tmp_path / "s.json").write_text(json.dumps({"scenario": scenario}))
    code = main(["anonymize", "--data", str(data), "--scenario", str(tmp_path / "s.json"), "--out",
                 str(tmp_path / "o.csv")])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1 and message in err[0], err
    assert not (tmp_path / "o.csv").exists()


def test_evaluate_runs_every_anonymization_under_the_rules_it_is_given(tmp_path, capsys):
    """`evaluate` had no rule flags: its runs were k alone while `anonymize` released under the rules."""
    X = people(400)
    X["target"] = (X.age > 50).astype(int)
    data = tmp_path / "p.csv"
    X.to_csv(data, index=False)
    out = tmp_path / "e.json"
    assert main(["evaluate", "--data", str(data), "--qi", "zip,age,sex", "--target", "target", "--k", "10",
                 "--method", "mondrian", "--out", str(out), "--references", "1", "--repeats", "1",
                 "--no-release-attacks", "--hierarchy", "age=bands:10", "--sensitive", "disease", "--l", "2"]) == 0
    first = json.loads(out.read_text())
    assert "rules: hierarchies on 'age' (bands:10); distinct l >= 2" in capsys.readouterr().err
    (run,) = first["runs"]
    assert run["release_rules"]["hierarchies"] == {"age": "bands:10"} and run["release_rules"]["l_required"] == 2
    assert first["scenario"]["release_rules"]["l"] == 2
    replay = tmp_path / "e2.json"
    assert main(["evaluate", "--data", str(data), "--scenario", str(out), "--out", str(replay)]) == 0
    again = json.loads(replay.read_text())
    assert again["runs"][0]["release_rules"] == run["release_rules"] and again["runs"][0]["gcp"] == run["gcp"]
    capsys.readouterr()


def test_a_link_carries_the_rules_but_not_a_taxonomy():
    from anonymizer import Roles
    from anonymizer.scenario import Scenario

    rules = ReleaseRules(hierarchies=HIERARCHIES + (("sex", parse_hierarchy_taxonomy()),), l=2, t=0.3,
                         max_suppression=0.02, suppression="remove")
    sc = Scenario("d" * 16, Roles("target", tuple(QIS), "disease"), rules=rules)
    query = sc.to_query()
    back = Scenario.from_query(lambda key: query.get(key), lambda key: list(query.get(key) or []))
    assert back.rules == ReleaseRules(hierarchies=HIERARCHIES, l=2, t=0.3, max_suppression=0.02,
                                      suppression="remove")  # everything but the taxonomy's links
    assert Scenario.from_dict(sc.to_dict()) == sc  # the scenario JSON holds them all
    broken = dict(query, rules="{not json")
    with pytest.raises(DataError, match="not valid JSON"):
        Scenario.from_query(lambda key: broken.get(key), lambda key: list(broken.get(key) or []))


def parse_hierarchy_taxonomy():
    from anonymizer.hierarchies import Hierarchy

    return Hierarchy("taxonomy", "taxonomy:sex.json", parent=check_taxonomy([("F", "person"), ("M", "person")]))


def test_the_release_attacks_run_on_a_release_that_removes_records(tmp_path, capsys):
    """With removal, the release is shorter than the table: the linkage stopped with 'the release and its
    identifiers differ in length' (the Anonymize page's attack, evaluate's release attacks)."""
    from anonymizer import Analysis, Roles

    X = people(600)
    X["target"] = ((X.age > 50) ^ (X.sex == "F")).astype(int)
    analysis = Analysis(X, Roles("target", ("zip", "age", "born", "sex"), "disease"))
    analysis.set_rules(ReleaseRules(hierarchies=HIERARCHIES, max_suppression=0.05, suppression="remove"))
    anon = analysis.anonymize("mondrian", 5)
    removed = anon.result.n_suppressed
    assert removed > 0
    linked, plain = analysis.linkage("mondrian", 5), analysis.linkage("original")
    # the same adversary, who knows people, not who was removed: a removed person is a target outside the release
    assert linked["targets"] == plain["targets"] and linked["targets_in_release"] < plain["targets_in_release"]
    attacked = analysis.simulation.release_attack("mondrian", 5)
    members = len(analysis.simulation.split.members)
    run = analysis.simulation.run("mondrian", 5, attacks=False)
    assert attacked["linkage"]["targets_in_release"] <= members - run.anonymization.n_suppressed
    assert attacked["singling_out"] is not None or attacked["linkability"] is not None
    X.to_csv(tmp_path / "p.csv", index=False)
    assert main(["evaluate", "--data", str(tmp_path / "p.csv"), "--qi", "zip,age,born,sex", "--target", "target",
                 "--k", "5", "--method", "mondrian", "--out", str(tmp_path / "e.json"), "--references", "1",
                 "--repeats", "1", "--hierarchy", "age=bands:5", "--suppress", "0.05", "--suppression",
                 "remove"]) == 0, capsys.readouterr().err
    report = json.loads((tmp_path / "e.json").read_text())
    assert [r["setting"] for r in report["release"]] == ["original", "qi_dropped", "mondrian"]


def test_the_release_attacks_read_hierarchy_nodes_as_the_values_they_cover():
    """A release of `981**` and `2018` named no one under exact linkage (0.0 on Seattle pets at k = 10): the
    attack compared the node labels with people's own values. Read as what they cover, the release is
    linkable as the class sizes say."""
    from anonymizer import Analysis, Roles
    from anonymizer.release import adversary_view, covered_cells

    X = people(600)
    X["target"] = ((X.age > 50) ^ (X.sex == "F")).astype(int)
    analysis = Analysis(X, Roles("target", ("zip", "age", "born", "sex"), "disease"))
    analysis.set_rules(ReleaseRules(hierarchies=HIERARCHIES))
    anon = analysis.anonymize("mondrian", 5)
    cells = covered_cells(anon.result, X, "zip")
    node = anon.result.node_labels("zip")
    for label, cell in zip(node[:50], cells[:50]):  # '021**' covers the zips that start with 021
        inside = sorted(z for z in X["zip"].unique() if label == "*" or z.startswith(label.rstrip("*")))
        assert cell == (inside[0] if len(inside) == 1 else "{" + ", ".join(inside) + "}")
    born = covered_cells(anon.result, X, "born")
    assert born.str.fullmatch(r"\d{4}-\d\d-\d\d|\[\d{4}-\d\d-\d\d, \d{4}-\d\d-\d\d\]").all()
    assert len(adversary_view(anon.result, X)) == len(X)
    linked = analysis.linkage("mondrian", 5)
    assert linked["correct"] > 0  # classes of 5 and more: about one in five targets named, never none
    assert linked["reidentified_share"] <= 1 / 5 + 0.1


def test_audit_warns_when_released_cells_hold_no_value_of_the_original(tmp_path, capsys):
    """`audit` of a hierarchy release (zip as 021**) read the nodes as values nobody has and reported its
    linkage without a word; it now says how many cells it could not read, in the JSON and on stderr."""
    from anonymizer import Analysis, Roles

    X = people(300)
    X["id"] = [f"p{i}" for i in range(len(X))]
    X["target"] = (X.age > 50).astype(int)
    analysis = Analysis(X.drop(columns=["id"]), Roles("target", ("zip", "age", "born", "sex")))
    analysis.set_rules(ReleaseRules(hierarchies=(("zip", parse_hierarchy("prefix")),
                                                 ("born", parse_hierarchy("date:month")))))
    release = analysis.anonymize("mondrian", 5).output("generalized")
    release.to_csv(tmp_path / "release.csv", index=False)
    X.to_csv(tmp_path / "original.csv", index=False)
    X.sample(100, random_state=0)[["id", "zip", "age", "born", "sex"]].to_csv(tmp_path / "aux.csv", index=False)
    out = tmp_path / "audit.json"
    assert main(["audit", "--original", str(tmp_path / "original.csv"), "--release", str(tmp_path / "release.csv"),
                 "--qi", "zip,age,born,sex", "--auxiliary", str(tmp_path / "aux.csv"), "--id", "id",
                 "--out", str(out)]) == 0
    err = capsys.readouterr().err
    unreadable = json.loads(out.read_text())["linkage"]["unreadable_cells"]
    # '2018-04' parses as a day, the first of the month, that is nobody's date: unreadable too
    assert set(unreadable) == {"zip", "born"} and 0 < unreadable["zip"] <= len(X) and unreadable["born"] > 0
    assert "released cells of 'zip' hold no value of the original column" in err
    assert "released cells of 'born' hold no value" in err
