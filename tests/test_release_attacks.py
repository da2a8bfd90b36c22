"""Issue 18: the adversary who links an identified table to the release, the risks with a control set, and
the population figures: exact on hand-checked and brute-forced cases, and the guarantees they must keep."""

import json
import math

import numpy as np
import pandas as pd
import pytest

from anonymizer import equivalence_classes, load_adult
from anonymizer.anonymize import MondrianAnonymizer
from anonymizer.cli import main
from anonymizer.data import DataError
from anonymizer.population_risk import population_risk, record_risk, zayatz_uniques
from anonymizer.release_attacks import Knowledge, _risk, linkage_attack, make_auxiliary, release_risks

QIS = ["age", "sex", "race", "education-num"]


def _contains(cell, value) -> bool:
    """Brute force: does a released cell (a value, '[lo, hi]' or '{a, b}') admit a known value?"""
    if pd.isna(cell):
        return True
    text = str(cell)
    if text.startswith("[") and text.endswith("]"):
        lo, hi = (float(x) for x in text[1:-1].split(", "))
        return lo <= float(value) <= hi
    if text.startswith("{") and text.endswith("}"):
        return str(value) in text[1:-1].split(", ")
    try:
        return float(text) == float(value)
    except ValueError:
        return text == str(value)


def test_linkage_counts_equal_a_brute_force_enumeration():
    original = pd.DataFrame({"age": [30, 31, 32, 40, 41, 42, 50], "sex": ["F", "M", "F", "M", "M", "F", "F"]})
    release = pd.DataFrame({"age": ["[30, 32]"] * 3 + ["[40, 42]"] * 3 + ["50"],
                            "sex": ["{F, M}"] * 3 + ["{F, M}"] * 3 + ["F"]})
    ids = pd.Series(list("abcdefg"))
    aux = pd.DataFrame({"pid": ["a", "d", "g", "z", "y"], "age": [30, 41, 50, 31, 60],
                        "sex": ["F", "M", "F", "M", "F"]})
    result = linkage_attack(release, ids, original, aux, aux["pid"], ["age", "sex"], seed=3)
    claims, expected, in_release = 0, 0.0, 0
    for _, row in aux.iterrows():
        consistent = [i for i in range(len(release))
                      if _contains(release.at[i, "age"], row["age"]) and _contains(release.at[i, "sex"], row["sex"])]
        in_release += row["pid"] in set(ids)
        if consistent:
            claims += 1
            truth = list(ids).index(row["pid"]) if row["pid"] in set(ids) else None
            expected += (truth in consistent) / len(consistent)
    assert (result["targets"], result["targets_in_release"], result["claims"]) == (5, in_release, claims) == (5, 3, 4)
    assert result["expected_share"] == pytest.approx(expected / in_release) == pytest.approx((1 / 3 + 1 / 3 + 1) / 3)
    assert result["baseline_share"] == pytest.approx((1 / 3 + 1 / 3 + 1) / 3)
    assert result["correct"] >= 1  # 'g' is alone in its class and always named
    assert result["precision"] == result["correct"] / 4


@pytest.fixture(scope="module")
def adult():
    table = load_adult("train").iloc[:4000].reset_index(drop=True)
    return table, pd.Series([f"person-{i}" for i in range(len(table))])


def test_against_a_k_anonymous_release_exact_knowledge_gets_one_in_the_class_size(adult):
    from anonymizer.release import generalized_table

    table, ids = adult
    k = 10
    result = MondrianAnonymizer(k=k, quasi_identifiers=QIS).anonymize(table)
    release = generalized_table(result, table)
    aux = make_auxiliary(table, ids, QIS, share=0.5, outsiders=0.2, seed=0)
    link = linkage_attack(release, ids, table, aux, aux["__id"], QIS, seed=0)
    lo, hi = link["reidentified_share_ci"]
    sizes = np.bincount(equivalence_classes(release, QIS))
    in_release = aux["__id"].isin(set(ids))
    own = sizes[equivalence_classes(release, QIS)][ids.reset_index(drop=True).pipe(
        lambda s: s.index[s.isin(set(aux.loc[in_release, "__id"]))])]
    assert link["baseline_share"] == pytest.approx(float(np.mean(1 / own)))
    assert link["baseline_share"] <= 1 / k + 1e-12
    assert lo <= link["baseline_share"] <= hi or lo <= link["expected_share"] <= hi
    assert link["targets_in_release"] == int(in_release.sum()) and link["claims"] <= link["targets"]


def test_against_the_original_every_unique_target_is_found(adult):
    table, ids = adult
    aux = make_auxiliary(table, ids, QIS, share=0.5, outsiders=0.0, seed=1)
    link = linkage_attack(table, ids, table, aux, aux["__id"], QIS, seed=1)
    classes = equivalence_classes(table, QIS)
    sizes = np.bincount(classes)
    position = pd.Series(np.arange(len(ids)), index=ids)
    unique_targets = int((sizes[classes[position[aux["__id"]].to_numpy()]] == 1).sum())
    assert unique_targets > 50  # the case is not empty
    assert link["expected_share"] * link["targets_in_release"] >= unique_targets - 1e-9
    assert link["correct"] >= unique_targets


def test_coarse_and_noisy_knowledge_name_fewer_people_than_exact(adult):
    table, ids = adult
    shares = {}
    for mode in ("exact", "coarsened", "noisy"):
        aux = make_auxiliary(table, ids, QIS, share=0.3, outsiders=0.2, knowledge=Knowledge(mode), seed=0)
        shares[mode] = linkage_attack(table, ids, table, aux, aux["__id"], QIS, Knowledge(mode), seed=0)
    assert shares["exact"]["correct"] > shares["coarsened"]["correct"]
    assert shares["exact"]["correct"] > shares["noisy"]["correct"]
    assert shares["noisy"]["claim_threshold"] is not None and shares["exact"]["claim_threshold"] is None


def test_the_risk_is_attack_minus_control_over_one_minus_control():
    r = _risk(8, 10, 2, 10)
    assert r["risk"] == pytest.approx(0.75) and r["attack_rate"] == 0.8 and r["control_rate"] == 0.2
    lo, hi = r["risk_ci"]
    assert lo < 0.75 < hi
    assert _risk(0, 0, 1, 5)["risk"] is None


def test_a_copy_of_the_training_rows_scores_high_and_an_independent_draw_near_zero():
    table = load_adult("train").iloc[:6000].reset_index(drop=True)
    known = ["age", "sex", "race", "marital-status", "education-num", "hours-per-week", "occupation"]
    train, control, other = table.iloc[:2000], table.iloc[2000:4000], table.iloc[4000:]
    copied = release_risks(train.reset_index(drop=True), train, control, known, secret="income", n_attacks=200)
    drawn = release_risks(other.reset_index(drop=True), train, control, known, secret="income", n_attacks=200)
    assert copied["singling_out"]["risk"] > 0.8, copied["singling_out"]
    for attack in ("singling_out", "linkability"):
        lo, hi = drawn[attack]["risk_ci"]
        assert lo <= 0 <= hi and abs(drawn[attack]["risk"]) < 0.2, (attack, drawn[attack])
    assert copied["inference"]["risk"] > drawn["inference"]["risk"]


def test_linkability_of_a_copy_is_high_where_each_half_of_the_columns_names_a_row():
    # six measurements: three of them already tell the rows apart, so a copy links the halves of everyone
    rng = np.random.default_rng(3)
    table = pd.DataFrame(rng.normal(size=(3000, 6)), columns=list("abcdef"))
    train, control, other = (table.iloc[i:i + 1000].reset_index(drop=True) for i in (0, 1000, 2000))
    copied = release_risks(train, train, control, list("abcdef"), n_attacks=200)["linkability"]
    drawn = release_risks(other, train, control, list("abcdef"), n_attacks=200)["linkability"]
    assert copied["risk"] > 0.9, copied
    assert abs(drawn["risk"]) < 0.05 and drawn["risk_ci"][0] <= 0 <= drawn["risk_ci"][1], drawn


def test_a_release_that_tells_nothing_links_no_one_beyond_chance():
    # regression: every released row tied on every column counted as a link for everyone (attack and control
    # rates 1.0, the risk's interval [-1, 1]); a pick among the ties links one in n
    table = load_adult("train").iloc[:2000].reset_index(drop=True)
    known = ["age", "sex", "race", "education-num"]
    train, control = table.iloc[:1000].reset_index(drop=True), table.iloc[1000:].reset_index(drop=True)
    blank = train.assign(**{q: pd.Series([None] * len(train), dtype=object) for q in known})
    r = release_risks(blank, train, control, known, n_attacks=200)["linkability"]
    assert r["attack_rate"] == pytest.approx(1 / 1000) and r["control_rate"] == pytest.approx(1 / 1000)
    assert r["risk_ci"][1] - r["risk_ci"][0] < 0.05


def test_population_risk_by_hand():
    assert record_risk(1, 0.5) == pytest.approx(math.log(2))
    assert record_risk(2, 0.5) == pytest.approx(1 - math.log(2))
    assert record_risk(4, 1.0) == 0.25
    # the series for f = 2, p = 0.2 summed by brute force
    brute = sum((1 / h) * math.comb(h - 1, 1) * 0.2 ** 2 * 0.8 ** (h - 2) for h in range(2, 2000))
    assert record_risk(2, 0.2) == pytest.approx(brute)
    sizes = np.array([1, 2, 2, 5])
    p = population_risk(sizes, 1.0)
    assert p["journalist_risk"] == 1.0 and p["marketer_risk"] == pytest.approx((1 + 4 * 0.5 + 5 * 0.2) / 10)
    assert p["population_uniques"] == 1 == zayatz_uniques(sizes, 1.0)
    small = population_risk(sizes, 0.01)
    assert small["journalist_risk"] < 0.1 and 0 <= small["population_uniques"] <= 1


def test_audit_cli_end_to_end_and_bad_input(tmp_path, capsys, adult):
    table, ids = adult
    original = table[QIS + ["income"]].assign(pid=ids)
    original.to_csv(tmp_path / "original.csv", index=False)
    code = main(["anonymize", "--data", str(tmp_path / "original.csv"), "--qi", ",".join(QIS), "--k", "10",
                 "--method", "mondrian", "--drop", "pid", "--output-form", "generalized",
                 "--out", str(tmp_path / "release.csv")])
    assert code == 0, capsys.readouterr().err
    release = pd.read_csv(tmp_path / "release.csv")
    assert "pid" not in release.columns and len(release) == len(original)
    aux = make_auxiliary(original, ids, QIS, share=0.3, outsiders=0.2, seed=0).rename(columns={"__id": "pid"})
    aux.to_csv(tmp_path / "aux.csv", index=False)
    control = load_adult("train").iloc[4000:6000][QIS + ["income"]]
    control.to_csv(tmp_path / "control.csv", index=False)

    def audit_args(out, id_column="pid", fraction="0.1"):
        return [str(a) for a in ["audit", "--original", tmp_path / "original.csv", "--release",
                                 tmp_path / "release.csv", "--qi", ",".join(QIS), "--auxiliary", tmp_path / "aux.csv",
                                 "--id", id_column, "--out", out, "--control", tmp_path / "control.csv", "--secret",
                                 "income", "--sampling-fraction", fraction]]

    code = main(audit_args(tmp_path / "a.json"))
    out, err = capsys.readouterr()
    assert code == 0, err
    data = json.loads((tmp_path / "a.json").read_text())
    assert set(data["linkage"]) >= {"targets", "targets_in_release", "claims", "correct", "reidentified_share",
                                    "reidentified_share_ci", "precision", "precision_ci", "baseline_share"}
    assert data["linkage"]["baseline_share"] <= 0.1 + 1e-9
    for attack in ("singling_out", "linkability", "inference"):
        assert set(data[attack]) >= {"risk", "risk_ci", "attack_rate", "control_rate"}
    assert set(data["population"]) >= {"journalist_risk", "marketer_risk", "population_uniques", "estimator"}
    assert "named correctly" in out
    bad = tmp_path / "b.json"
    for argv, fragment in ((audit_args(bad, id_column="nobody"), "no identifier column 'nobody'"),
                           (audit_args(bad, fraction="2"), "sampling fraction"),
                           (audit_args(tmp_path / "b.txt"), "use a .json file name"),
                           (audit_args(tmp_path / "a.json"), "exists")):
        code = main(argv)
        err = capsys.readouterr().err.strip().splitlines()
        assert code == 2 and len(err) == 1 and fragment in err[0], err
        assert not bad.exists() and not (tmp_path / "b.txt").exists()


def test_a_release_without_the_qis_names_people_only_by_chance(adult):
    """QIs dropped: every cell tells nothing, so every target is claimed at random among all released rows."""
    table, ids = adult
    release = table.assign(**{q: None for q in QIS})
    aux = make_auxiliary(table, ids, QIS, share=0.25, outsiders=0.0, seed=2)
    link = linkage_attack(release, ids, table, aux, aux["__id"], QIS, seed=2)
    assert link["claims"] == link["targets"] == 1000
    assert link["expected_share"] == pytest.approx(1 / len(table))
    assert link["baseline_share"] == pytest.approx(1 / len(table))


def test_category_names_that_hold_commas_are_read_back_from_a_set():
    """Seattle's breed names ('Retriever, Golden' beside 'Retriever'): a greedy split of '{a, b}' took
    'Retriever' out of 'Retriever, Golden' and the person's own class no longer admitted them."""
    original = pd.DataFrame({"breed": ["Retriever", "Retriever, Golden", "Retriever, Labrador", "Boxer"]})
    release = pd.DataFrame({"breed": ["{Retriever, Golden, Retriever, Labrador}"] * 2 + ["{Boxer, Retriever}"] * 2})
    aux = pd.DataFrame({"pid": [2, 3, 1, 4],
                        "breed": ["Retriever, Golden", "Retriever, Labrador", "Retriever", "Boxer"]})
    link = linkage_attack(release, pd.Series([2, 3, 1, 4]), original, aux, aux["pid"], ["breed"], seed=0)
    assert link["claims"] == 4 and link["expected_share"] == pytest.approx(0.5)


def test_the_hash_join_admits_exactly_the_classes_the_scores_admit():
    """Exact knowledge takes a hash join for classes of single values; it must admit what scoring admits,
    missing values (Adult's '?' columns) and wildcard classes included."""
    from anonymizer.release_attacks import (
        _class_codes,
        _exact_candidates,
        _known_values,
        _scores,
        _subset,
        released_cells,
    )

    table = load_adult("train").iloc[:3000].reset_index(drop=True)
    known = ["age", "workclass", "occupation", "sex", "native-country"]
    release = table.copy()
    release.loc[::7, "age"] = None  # missing cells: wildcards
    release.loc[::11, "sex"] = "{Female, Male}"
    ids = pd.Series(np.arange(len(table)))
    aux = make_auxiliary(table, ids, known, share=0.5, outsiders=0.2, seed=4)
    assert aux[known].isna().any(axis=1).sum() > 20  # rows with a value missing are in the case
    cells = released_cells(release, table, known)
    group = _class_codes(cells, known)
    classes = _subset(cells, np.unique(group, return_index=True)[1])
    values = _known_values(aux, cells, known)
    joined = _exact_candidates(values, classes, known, len(aux))
    scored = np.isfinite(_scores(values, classes, known, np.arange(len(aux)), Knowledge("exact")))
    for r in range(len(aux)):
        assert joined[r].tolist() == np.flatnonzero(scored[r]).tolist(), r


# --- every face carries them: the frontier's release axis, evaluate's JSON, the report ------------------------

def test_a_release_point_takes_the_linkage_share_and_its_interval():
    from anonymizer.frontier import recommend, release_point

    point = {"setting": "AG k=10", "kind": "ag", "utility": 0.8, "advantage": 0.2, "auc": 0.6, "attack": "lira"}
    linkage = {"reidentified_share": 0.03, "reidentified_share_ci": [0.02, 0.04], "baseline_share": 0.035,
               "targets_in_release": 900}
    p = release_point(point, linkage)
    assert (p["advantage"], p["advantage_low"], p["advantage_high"], p["attack"], p["auc"]) == \
        (0.03, 0.02, 0.04, "linkage", None)
    original = release_point({**point, "setting": "original", "kind": "original", "utility": 0.81},
                             {**linkage, "reidentified_share": 0.4, "reidentified_share_ci": [0.38, 0.42]})
    rec = recommend([original, p], 2.0)
    assert rec.setting == "AG k=10" and rec.advantage == 0.03 and rec.original_advantage == 0.4
    with pytest.raises(DataError, match="none of the adversary's people"):
        release_point(point, {**linkage, "reidentified_share": None})


def test_evaluate_json_and_the_report_carry_the_release_attacks(adult, tmp_path, capsys):
    from anonymizer.analysis import Analysis
    from anonymizer.report import build_report
    from anonymizer.roles import Roles
    from anonymizer.scenario import AttackSettings

    table = adult[0]
    data, out = tmp_path / "a.csv", tmp_path / "e.json"
    table.to_csv(data, index=False)
    code = main(["evaluate", "--data", str(data), "--target", "income", "--qi", "age,sex,race", "--k", "10",
                 "--out", str(out), "--references", "1", "--repeats", "1", "--method", "mondrian",
                 "--sensitive", "occupation", "--sampling-fraction", "0.05"])
    assert code == 0, capsys.readouterr().err
    report = json.loads(out.read_text())
    assert [r["label"] for r in report["release"]] == ["original (identifiers dropped)", "QIs dropped",
                                                        "Mondrian at k = 10"]
    for r in report["release"]:
        assert set(r["linkage"]) >= {"targets", "targets_in_release", "claims", "correct", "reidentified_share",
                                     "reidentified_share_ci", "precision", "precision_ci", "baseline_share"}
        for risk in ("singling_out", "linkability", "inference"):
            assert set(r[risk]) >= {"risk", "risk_ci", "attack_rate", "control_rate"}
        assert set(r["population"]) >= {"journalist_risk", "marketer_risk", "population_uniques", "estimator"}
    original, _, mondrian = report["release"]
    assert mondrian["linkage"]["reidentified_share"] < original["linkage"]["reidentified_share"]
    assert mondrian["population"]["journalist_risk"] <= 1 / 10 + 1e-9
    front = report["release_frontier"]
    assert front["privacy"] == "release" and front["complete"]
    assert [p["setting"] for p in front["points"]] == ["original", "QIs dropped", "Mondrian k=10"]
    code = main(["evaluate", "--data", str(data), "--target", "income", "--qi", "age", "--k", "10", "--out",
                 str(tmp_path / "f.json"), "--sampling-fraction", "1.5"])
    assert code == 2 and not (tmp_path / "f.json").exists()
    assert capsys.readouterr().err.strip().splitlines()[-1].startswith("error: --sampling-fraction")
    # the report: a line while nothing ran, the tables once the session ran them
    analysis = Analysis(table, Roles("income", ("age", "sex", "race"), "occupation"),
                        attack_settings=AttackSettings(1, 1))
    assert "Not run in this session" in build_report(analysis, "mondrian", 10)
    analysis.linkage("original"), analysis.linkage("mondrian", 10)
    analysis.simulation.release_attack("mondrian", 10)
    html = build_report(analysis, "mondrian", 10)
    section = html.split("<h2>The released table attacked</h2>")[1].split("<h2>")[0]
    assert "Not run" not in section and "named correctly" in section and "singling-out" in section


def test_the_risk_table_names_every_cell_even_where_nothing_was_measured():
    from anonymizer.release_attacks import risk_table

    measured = {"risk": 0.5, "risk_ci": [0.4, 0.6], "attack_rate": 0.6, "control_rate": 0.2, "attacks": 500}
    none = {"risk": None, "risk_ci": None, "attack_rate": None, "control_rate": None, "attacks": 0,
            "columns_per_predicate": 3}
    table = risk_table([{"label": "a", "singling_out": measured, "linkability": measured, "inference": None},
                        {"label": "b", "singling_out": none, "linkability": measured, "inference": None}])
    assert table.loc[0, "singling-out"] == "0.50 (0.40 to 0.60)"
    assert table.loc[0, "singling-out: attack / control"] == "60.0% / 20.0%"
    assert table.loc[1, "singling-out"].startswith("n/a: no predicate singles out")
    assert table.loc[1, "singling-out: attack / control"] == "-" and table.loc[1, "inference"] == "not measured"
    assert not table.isna().any().any()
