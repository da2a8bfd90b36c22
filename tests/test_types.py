"""Dates and code columns through both anonymizers: ranges, representatives, NCP, types written back.

Hand-checked cases first, then hypothesis properties: dates stay dates of the input's type and lie
within their class's [min, max]; postcodes keep their exact text; every class holds k rows.
"""

import datetime as dt
import io
import json

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from anonymizer import AccuracyGuidedAnonymizer, MondrianAnonymizer, equivalence_classes, privacy_metrics
from anonymizer.data import column_kind, read_table_bytes
from anonymizer.display import class_summary, describe_range
from anonymizer.export import csv_bytes, parquet_bytes
from anonymizer.models import train_default_model

# days after 2020-01-01: 0, 1, 4, 8, 31, 41, 60, 90
DAYS = pd.to_datetime(["2020-01-01", "2020-01-02", "2020-01-05", "2020-01-09",
                       "2020-02-01", "2020-02-11", "2020-03-01", "2020-03-31"])


def test_mondrian_splits_dates_by_day_and_represents_them_by_their_lower_median():
    X = pd.DataFrame({"born": DAYS, "other": range(8)})
    result = MondrianAnonymizer(k=2, quasi_identifiers=["born"]).anonymize(X)
    # median splits of the 8 ordered dates: pairs; the representative is the earlier date of a pair
    assert result.data["born"].tolist() == [DAYS[i] for i in (0, 0, 2, 2, 4, 4, 6, 6)]
    assert result.data["born"].dtype == X["born"].dtype
    assert result.classes["born:min"].tolist() == [DAYS[i] for i in (0, 2, 4, 6)]
    assert result.classes["born:max"].tolist() == [DAYS[i] for i in (1, 3, 5, 7)]
    # NCP: spans of 1, 4, 10 and 30 days over a 90-day column, two rows each (as categories: 2/8 = 0.25)
    metrics = privacy_metrics(result.data, ["born"], k=2, original=X)
    assert metrics.ncp["born"] == pytest.approx((1 + 4 + 10 + 30) / 4 / 90)


def test_accuracy_guided_dates_median_not_mode():
    dates = pd.to_datetime(["2020-01-01", "2020-01-02", "2020-01-03", "2020-01-04", "2020-01-05",
                            "2021-06-01", "2021-06-02", "2021-06-30", None, "2021-07-01"])
    X = pd.DataFrame({"born": dates})
    y = np.array(["a"] * 5 + ["b"] * 5)
    result = AccuracyGuidedAnonymizer(k=5, quasi_identifiers=["born"]).anonymize(X, y)
    # lower median of each leaf (the old categorical rule gave the most frequent = first date, 2020-01-01);
    # the row without a date gets its class's date, as a missing number gets its class's number
    expected = [pd.Timestamp("2020-01-03")] * 5 + [pd.Timestamp("2021-06-02")] * 5
    assert result.data["born"].tolist() == expected
    assert result.classes["born:min"].tolist() == [dates[0], dates[5]]
    assert result.classes["born:max"].tolist() == [dates[4], dates[9]]
    metrics = privacy_metrics(result.data, ["born"], k=5, original=X)
    span = (dates.max() - dates.min()).days
    assert metrics.ncp["born"] == pytest.approx((4 + 30) / 2 / span)


def test_a_class_without_dates_stays_missing():
    X = pd.DataFrame({"born": pd.to_datetime([None, None, "2020-01-01", "2020-01-02"]), "g": [0, 0, 1, 1]})
    result = MondrianAnonymizer(k=2, quasi_identifiers=["born", "g"]).anonymize(X)
    assert result.data["born"].isna().tolist() == [True, True, False, False]
    assert result.data["born"].iloc[2] == pd.Timestamp("2020-01-01")
    rule = result.rules()[result.class_ids[0]]
    assert rule["quasi_identifiers"]["born"] == {"representative": None, "min": None, "max": None}


@pytest.mark.parametrize("column", [
    pd.Series(DAYS).astype("datetime64[s]"),
    pd.Series(DAYS).astype("datetime64[ms]").dt.tz_localize("America/New_York"),
    pd.Series(DAYS).dt.tz_localize("UTC") + pd.Timedelta(hours=7),
    pd.Series([d.date() for d in DAYS], dtype=object),  # how Parquet date columns are read
], ids=["naive-s", "new-york-ms", "utc-times", "python-dates"])
@pytest.mark.parametrize("method", ["ag", "mondrian"])
def test_dates_are_written_back_in_the_input_type(column, method):
    X = pd.DataFrame({"born": column, "n": range(8)})
    y = np.array(["a"] * 4 + ["b"] * 4)
    cls = AccuracyGuidedAnonymizer if method == "ag" else MondrianAnonymizer
    est = cls(k=2, quasi_identifiers=["born"])
    result = est.anonymize(X, y)
    out = result.data["born"]
    assert out.dtype == column.dtype and column_kind(out) == "date"
    assert set(out) <= set(column)
    for cid, row in result.classes.iterrows():  # every date within its class's range, in the class's type
        members = out[result.class_ids == cid]
        assert ((members >= row["born:min"]) & (members <= row["born:max"])).all()
    if method == "mondrian":
        assert out.tolist() == [column[i] for i in (0, 0, 2, 2, 4, 4, 6, 6)]


def test_csv_round_trip_writes_iso_dates_and_exact_postcodes():
    content = b"zip,born,score\n02139,1990-01-02,1\n02139,1990-03-04,2\n00501,1985-12-31,3\n00501,1986-01-01,4\n"
    table = read_table_bytes(content, "csv")
    result = MondrianAnonymizer(k=2, quasi_identifiers=["zip", "born"]).anonymize(table)
    text = csv_bytes(result.data).decode()
    # split on the postcode; each class shows its lower-median date (before: 2139 and 501, as numbers)
    assert text.splitlines() == ["zip,born,score", "02139,1990-01-02,1", "02139,1990-01-02,2",
                                 "00501,1985-12-31,3", "00501,1985-12-31,4"]
    again = read_table_bytes(text.encode(), "csv")
    assert column_kind(again["born"]) == "date" and again["zip"].tolist() == result.data["zip"].tolist()


def test_parquet_round_trip_keeps_timestamp_and_date_types():
    import pyarrow as pa

    table = pa.table({
        "at": pa.array([dt.datetime(2020, 1, d, 12) for d in range(1, 9)], pa.timestamp("ms", tz="UTC")),
        "day": pa.array([dt.date(1990, m, 1) for m in range(1, 9)], pa.date32()),
        "zip": pa.array(["02139", "02139", "00501", "00501", "10001", "10001", "94110", "94110"]),
    })
    sink = io.BytesIO()
    pq.write_table(table, sink)
    df = read_table_bytes(sink.getvalue(), "parquet")
    result = MondrianAnonymizer(k=2, quasi_identifiers=["at", "day", "zip"]).anonymize(df)
    schema = pq.read_schema(io.BytesIO(parquet_bytes(result.data)))
    assert str(schema.field("at").type) == "timestamp[ms, tz=UTC]"
    assert str(schema.field("day").type) == "date32[day]"
    assert pa.types.is_string(schema.field("zip").type) or pa.types.is_large_string(schema.field("zip").type)


def test_date_ranges_and_rules_read_as_dates():
    assert describe_range(pd.Timestamp("2020-01-01"), pd.Timestamp("2020-03-31")) == "2020-01-01 – 2020-03-31"
    assert describe_range(pd.Timestamp("2020-01-01 10:30"), pd.Timestamp("2020-01-01 10:30")) == "2020-01-01T10:30:00"
    assert describe_range(pd.NaT, pd.NaT) == "missing"
    X = pd.DataFrame({"born": DAYS})
    result = MondrianAnonymizer(k=4, quasi_identifiers=["born"]).anonymize(X)
    summary = class_summary(result)
    assert summary["born (range)"].tolist() == ["2020-01-01 – 2020-01-09", "2020-02-01 – 2020-03-31"]
    assert summary["born → shown as"].tolist() == ["2020-01-02", "2020-02-11"]
    rules = json.loads(result.rules_json())["classes"]
    assert rules[1]["quasi_identifiers"]["born"] == {"representative": "2020-02-11", "min": "2020-02-01",
                                                      "max": "2020-03-31"}


def test_dates_are_an_ordered_sensitive_attribute():
    X = pd.DataFrame({"g": [0, 0, 1, 1], "when": pd.to_datetime(["2020-01-01", "2020-01-02", "2020-01-03",
                                                                  "2020-01-04"])})
    metrics = privacy_metrics(X, ["g"], sensitive="when")
    # ordered EMD over 4 sorted values: each class holds one half; cumulative differences 1/4, 1/2, 1/4 over 3
    assert metrics.t_closeness == pytest.approx((0.25 + 0.5 + 0.25) / 3)


def test_default_model_learns_from_dates():
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"born": pd.Timestamp("1950-01-01") + pd.to_timedelta(rng.integers(0, 20000, 300), "D"),
                      "sex": rng.choice(["F", "M"], 300)})
    y = np.where(X["born"] < pd.Timestamp("1980-01-01"), "old", "young")
    model = train_default_model(X, y, random_state=0)
    assert (model.predict(X) == y).mean() > 0.95


# --- properties ------------------------------------------------------------------------------

SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def dated_tables(draw):
    n = draw(st.integers(1, 50))
    days = draw(st.lists(st.one_of(st.none(), st.integers(-30000, 30000)), min_size=n, max_size=n))
    seconds = draw(st.lists(st.integers(0, 86399), min_size=n, max_size=n))
    unit = draw(st.sampled_from(["s", "ms", "us"]))
    tz = draw(st.sampled_from([None, "UTC", "Europe/Paris"]))
    stamps = pd.Series([pd.NaT if d is None else pd.Timestamp("1970-01-01") + pd.Timedelta(days=d, seconds=s)
                        for d, s in zip(days, seconds)]).astype(f"datetime64[{unit}]")
    if tz is not None:
        stamps = stamps.dt.tz_localize(tz, ambiguous="NaT", nonexistent="NaT")
    zips = draw(st.lists(st.sampled_from(["02139", "00501", "10001", "07030", "94110"]), min_size=n, max_size=n))
    df = pd.DataFrame({"born": stamps, "zip": pd.array(zips, dtype="str"),
                       "age": draw(st.lists(st.integers(0, 99), min_size=n, max_size=n)),
                       "keep": np.arange(n)})
    qis = draw(st.lists(st.sampled_from(["born", "zip", "age"]), min_size=1, max_size=3, unique=True))
    if df["born"].isna().all() and "born" in qis:
        qis.remove("born")
        qis = qis or ["zip"]
    k = draw(st.integers(1, n))
    y = np.array(draw(st.lists(st.sampled_from(["p", "q"]), min_size=n, max_size=n)))
    return df, qis, k, y


def check_types_and_ranges(X, result, qis, k):
    out = result.data
    assert out.dtypes.equals(X.dtypes)
    assert np.bincount(equivalence_classes(out, qis)).min() >= k
    pd.testing.assert_frame_equal(out[["keep"]], X[["keep"]])
    if "zip" in qis:  # exact text as written, and a postcode of the row's own class
        assert set(out["zip"]) <= set(X["zip"])
        for cid in np.unique(result.class_ids):
            rows = result.class_ids == cid
            assert set(out["zip"][rows]) <= set(X["zip"][rows])
    if "born" in qis:
        assert column_kind(out["born"]) == "date"
        for cid in np.unique(result.class_ids):
            rows = result.class_ids == cid
            present = X["born"][rows].dropna()
            shown = out["born"][rows]
            if present.empty:
                assert shown.isna().all()
            else:
                assert shown.notna().all()
                assert ((shown >= present.min()) & (shown <= present.max())).all()
                assert shown.iloc[0] in set(present)


@SETTINGS
@given(dated_tables())
def test_accuracy_guided_keeps_dates_and_postcodes(case):
    X, qis, k, y = case
    result = AccuracyGuidedAnonymizer(k=k, quasi_identifiers=qis).anonymize(X, y)
    check_types_and_ranges(X, result, qis, k)


@SETTINGS
@given(dated_tables())
def test_mondrian_keeps_dates_and_postcodes(case):
    X, qis, k, _ = case
    result = MondrianAnonymizer(k=k, quasi_identifiers=qis).anonymize(X)
    check_types_and_ranges(X, result, qis, k)


def test_mondrian_transform_places_new_dates_by_the_recorded_splits():
    from anonymizer import MondrianAnonymizer

    X = pd.DataFrame({"d": pd.date_range("2000-01-01", periods=40, freq="30D"), "a": np.arange(40)})
    fitted = MondrianAnonymizer(k=5, quasi_identifiers=["d", "a"])
    data = fitted.anonymize(X).data
    new = pd.DataFrame({"d": pd.to_datetime(["2000-01-15", "2002-06-01"]), "a": [1, 30]})
    out = fitted.transform(new)
    # an unseen date falls in the class of its neighbours, not into "missing"
    assert out["d"].tolist() == [data["d"].iloc[1], data["d"].iloc[30]]
