"""Reading tables, column kinds, role validation and the bundled demo data."""

import io

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from anonymizer import ADULT_QIS, DataError, Roles, column_kinds, load_adult, read_table, validate_roles
from anonymizer.data import as_numbers, check_k, guess_encoding, read_table_bytes, sniff_delimiter


def test_reads_csv_and_parquet_by_extension(tmp_path):
    df = pd.DataFrame({"a": [1, 2], "b": ["x", None]})
    df.to_csv(tmp_path / "t.csv", index=False)
    df.to_parquet(tmp_path / "t.parquet", index=False)
    for name in ("t.csv", "t.parquet"):
        got = read_table(tmp_path / name)
        assert got["a"].tolist() == [1, 2]
        assert got["b"].isna().tolist() == [False, True]


@pytest.mark.parametrize("name, content, message", [
    ("t.xlsx", b"a,b\n1,2\n", "unsupported file type '.xlsx'"),
    ("t", b"a,b\n1,2\n", "unsupported file type '(none)'"),
    ("t.csv", b"", "empty"),
    ("t.csv", b"a,b\n", "no rows"),
    ("t.csv", b"a,b\n1,2,3,4\n5,6\n", "could not be read as CSV"),
    ("t.csv", b"\xff\xfe\x00a\x00,\x00b", "not UTF-8"),
    ("t.parquet", b"this is not parquet", "could not be read as PARQUET"),
    ("t.csv", b"a,a\n1,2\n", "duplicate column names"),
    ("t.csv", b"a,,c\n1,2,3\n", "no header name"),
])
def test_bad_files_give_one_clear_line(tmp_path, name, content, message):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(DataError, match=message.replace("(", r"\(").replace(")", r"\)")) as err:
        read_table(path)
    assert "\n" not in str(err.value)
    assert path.read_bytes() == content  # nothing the user gave is modified


def test_missing_file(tmp_path):
    with pytest.raises(DataError, match="no such file"):
        read_table(tmp_path / "nope.csv")


def test_column_kinds_include_pandas3_str_and_bool():
    df = pd.DataFrame({"n": [1.5, 2.0], "i": [1, 2], "s": pd.array(["a", "b"], dtype="str"),
                       "o": pd.Series(["a", 1], dtype=object), "b": [True, False],
                       "c": pd.Categorical(["x", "y"]), "d": pd.to_datetime(["2020-01-01", None]),
                       "t": pd.to_datetime(["2020-01-01", None]).tz_localize("UTC")})
    assert column_kinds(df) == {"n": "numeric", "i": "numeric", "s": "categorical",
                                "o": "categorical", "b": "categorical", "c": "categorical",
                                "d": "date", "t": "date"}
    csv = read_table_bytes(b"x,y\n1,a\n2,b\n", "csv")
    assert column_kinds(csv) == {"x": "numeric", "y": "categorical"}


@pytest.fixture
def table():
    return pd.DataFrame({"age": [1, 2], "zip": ["1", "2"], "y": ["a", "b"], "empty": [None, None]})


def test_roles_validate(table):
    roles = Roles("y", ["age", "zip"], sensitive="zip").validate(table)
    assert roles.target == "y" and roles.quasi_identifiers == ("age", "zip")
    assert hash(roles) == hash(Roles("y", ("age", "zip"), "zip"))  # hashable: it keys caches


@pytest.mark.parametrize("qis, target, sensitive, require, message", [
    ([], "y", None, False, "no quasi-identifiers"),
    (["age", "nope"], "y", None, False, r"not in the table: \['nope'\]"),
    (["age", "age"], "y", None, False, "listed twice"),
    (["age"], "nope", None, False, "target column 'nope'"),
    (["age", "y"], "y", None, False, "cannot also be a quasi-identifier"),
    (["age"], None, None, True, "a target column is needed"),
    (["age"], "y", "nope", False, "sensitive column 'nope'"),
    (["age", "empty"], "y", None, False, "no values at all"),
    (["age"], "empty", None, False, "has no values"),
])
def test_roles_errors(table, qis, target, sensitive, require, message):
    with pytest.raises(DataError, match=message):
        validate_roles(table, qis, target, sensitive, require)


@pytest.mark.parametrize("k, message", [(0, "at least 1"), (3, "larger than the table"),
                                        (1.5, "whole number"), (True, "whole number")])
def test_check_k(k, message):
    with pytest.raises(DataError, match=message):
        check_k(k, 2)


def test_adult_demo_is_typed_and_complete():
    train, test = load_adult("train"), load_adult("test")
    assert train.shape == (32561, 14) and test.shape == (16281, 14)
    assert "fnlwgt" not in train.columns
    assert set(train["income"].unique()) == set(test["income"].unique()) == {"<=50K", ">50K"}
    assert train["age"].dtype == "int64"
    assert pd.api.types.is_string_dtype(train["workclass"])
    # "?" is missing, never a category
    assert train["workclass"].isna().sum() == 1836 and not (train["workclass"] == "?").any()
    assert train["native-country"].isna().sum() == 583
    assert set(ADULT_QIS) <= set(train.columns)
    with pytest.raises(DataError, match="unknown split"):
        load_adult("valid")


# --- CSV dialects, encodings and column types (issue 8 §1) ------------------------------------

FRAME_CSV = "zip{d}age{d}city\n02139{d}30{d}Cambridge\n10001{d}41{d}New York\n"


@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
def test_delimiter_is_detected(delimiter):
    df = read_table_bytes(FRAME_CSV.format(d=delimiter).encode(), "csv")
    assert df.columns.tolist() == ["zip", "age", "city"]
    assert df["zip"].tolist() == ["02139", "10001"] and df["age"].tolist() == [30, 41]
    assert df["city"].tolist() == ["Cambridge", "New York"]


def test_semicolon_csv_with_decimal_comma():
    # before: "could not be read as CSV (Length of header or names does not match length of data...)"
    content = b"name;wage;hours;ratio\nAnn;1.234,50;38;0,5\nBob;987,25;40;1\nCy;;12;2,75\n"
    df = read_table_bytes(content, "csv")
    assert df["wage"].tolist()[:2] == [1234.5, 987.25] and np.isnan(df["wage"].iloc[2])
    assert df["hours"].tolist() == [38, 40, 12] and df["ratio"].tolist() == [0.5, 1.0, 2.75]
    assert column_kinds(df) == {"name": "categorical", "wage": "numeric", "hours": "numeric", "ratio": "numeric"}


def test_decimal_point_in_a_semicolon_file_stays_a_decimal_point():
    df = read_table_bytes(b"a;b\n1.5;x\n2.25;y\n", "csv")
    assert df["a"].tolist() == [1.5, 2.25]


def test_comma_file_keeps_quoted_commas_in_text():
    df = read_table_bytes(b'name,city\n"Smith, J",Boston\n"Lee, K",Austin\n', "csv")
    assert df["name"].tolist() == ["Smith, J", "Lee, K"]


@pytest.mark.parametrize("sample, expected", [
    ("a,b\n1,2\n", ","), ("a;b\n1,5;2,5\n", ";"), ("a\tb\n1\t2\n", "\t"), ("a|b\n1|2\n", "|"),
    ("just_one_column\n1\n2\n", ","), ("a,b;c\n1,x;y\n", ","),
])
def test_sniff_delimiter(sample, expected):
    assert sniff_delimiter(sample) == expected


def test_encoding_error_names_the_encoding_and_shows_the_word():
    content = "name,city\nJosé,Köln\n".encode("cp1252")
    with pytest.raises(DataError) as err:
        read_table_bytes(content, "csv", name="people.csv")
    message = str(err.value)
    assert message.startswith("people.csv: not UTF-8 (byte 0xe9 at position 13)")
    assert "Windows-1252" in message and "'José'" in message
    assert "--encoding cp1252" in message and "'Text encoding'" in message
    df = read_table_bytes(content, "csv", encoding="cp1252")
    assert df["name"].tolist() == ["José"] and df["city"].tolist() == ["Köln"]


@pytest.mark.parametrize("content, codec", [
    ("a,b\n1,2\n".encode("utf-16"), "utf-16"),
    ("a,b\n1,2\n".encode("utf-16-le"), "utf-16-le"),
    (b"a,b\n\x81x,2\n", "latin-1"),  # 0x81 is no Windows-1252 character
])
def test_guess_encoding(content, codec):
    assert guess_encoding(content)[1] == codec


def test_unknown_or_wrong_explicit_encoding():
    with pytest.raises(DataError, match="unknown encoding 'klingon'"):
        read_table_bytes(b"a\n1\n", "csv", encoding="klingon")
    with pytest.raises(DataError, match="not valid ascii"):
        read_table_bytes("a\né\n".encode(), "csv", encoding="ascii")


def test_utf8_bom_is_not_part_of_the_first_name():
    assert read_table_bytes("\ufeffzip,age\n02139,3\n".encode(), "csv").columns.tolist() == ["zip", "age"]


@pytest.mark.parametrize("column, values, kept_as_text", [
    ("zip", ["02139", "10001", "94110"], True),  # a leading zero anywhere: codes
    ("anything", ["007", "12", "5"], True),
    ("zip_code", ["94110", "94117", "98101"], True),  # one width of 5+ digits and a code-like name
    ("patientId", ["123456", "123457", "123999"], True),
    ("salary", ["52000", "61000", "48000"], False),  # five digits, but nothing says code
    ("year", ["1987", "1990", "2003"], False),
    ("age", ["0", "10", "7"], False),  # a lone zero is no leading zero
    ("price", ["0.5", "10.25", "3"], False),
])
def test_codes_stay_text_exactly_as_written(column, values, kept_as_text):
    df = read_table_bytes((f"{column},x\n" + "".join(f"{v},1\n" for v in values)).encode(), "csv")
    if kept_as_text:
        assert pd.api.types.is_string_dtype(df[column]) and df[column].tolist() == values
    else:
        assert pd.api.types.is_numeric_dtype(df[column])


def test_zip_with_missing_values_stays_text():
    df = read_table_bytes(b"zip,x\n02139,1\n,2\n00501,3\n", "csv")
    assert df["zip"].iloc[[0, 2]].tolist() == ["02139", "00501"] and df["zip"].isna().tolist() == [False, True, False]


def test_booleans_and_empty_columns_read_as_before():
    df = read_table_bytes(b"flag,empty,n\nTrue,,1\nfalse,,2\n", "csv")
    assert df["flag"].tolist() == [True, False] and df["flag"].dtype == bool
    assert df["empty"].dtype == float and df["empty"].isna().all()


def test_iso_dates_are_dates():
    content = (b"born,seen,when\n1990-01-02,2024-05-31T10:00,2024-01-01T10:00+02:00\n"
               b"1985-12-31,,2024-01-02T10:00+01:00\n")
    df = read_table_bytes(content, "csv")
    assert column_kinds(df) == {"born": "date", "seen": "date", "when": "date"}
    assert df["born"].tolist() == [pd.Timestamp("1990-01-02"), pd.Timestamp("1985-12-31")]
    assert df["seen"].iloc[0] == pd.Timestamp("2024-05-31 10:00") and pd.isna(df["seen"].iloc[1])
    # two UTC offsets in one column: one instant each, in UTC
    assert str(df["when"].dt.tz) == "UTC" and df["when"].iloc[0] == pd.Timestamp("2024-01-01 08:00", tz="UTC")
    assert df.attrs["reading_notes"] == []


def test_a_few_bad_dates_become_missing_with_a_note_many_keep_the_column_text():
    good = "".join(f"2020-01-{d:02d},{d}\n" for d in range(1, 29))
    df = read_table_bytes(("d,x\n" + good + "2020-02-30,0\n").encode(), "csv")
    assert column_kinds(df)["d"] == "date" and df["d"].isna().sum() == 1
    assert df.attrs["reading_notes"] == ["column 'd': 1 value(s) that are not valid dates read as missing"]
    bad = "".join(f"2020-02-3{d % 2},{d}\n" for d in range(6))
    df = read_table_bytes(("d,x\n" + good + bad).encode(), "csv")
    assert column_kinds(df)["d"] == "categorical" and df["d"].iloc[-1] == "2020-02-31"


@pytest.mark.parametrize("text", ["10/16/2009", "2020-01", "20200102", '"Jan 2, 2020"'])
def test_only_full_iso_dates_are_read_as_dates(text):
    df = read_table_bytes(f"d,x\n{text},1\n{text},2\n".encode(), "csv")
    assert column_kinds(df)["d"] != "date"


def _parquet(table) -> bytes:
    import pyarrow.parquet as pq

    sink = io.BytesIO()
    pq.write_table(table, sink)
    return sink.getvalue()


@pytest.mark.parametrize("arrow_type, value, label", [
    (pa.list_(pa.int64()), [1, 2], "list"),
    (pa.struct([("a", pa.int64())]), {"a": 1}, "struct"),
    (pa.map_(pa.string(), pa.int64()), [("a", 1)], "map"),
])
def test_nested_parquet_columns_are_refused_by_name(arrow_type, value, label):
    # before: "unhashable type" deep inside the anonymizer
    table = pa.table({"age": [30, 40], "tags": pa.array([value, None], arrow_type)})
    with pytest.raises(DataError) as err:
        read_table_bytes(_parquet(table), "parquet", name="t.parquet")
    assert str(err.value).startswith(f"t.parquet: column(s) 'tags' ({label}) hold nested values")
    assert "\n" not in str(err.value)


def test_parquet_dates_and_timestamps_are_dates():
    import datetime as dt

    table = pa.table({
        "day": pa.array([dt.date(2020, 1, 2), None], pa.date32()),
        "at": pa.array([dt.datetime(2020, 1, 2, 3), None], pa.timestamp("ms", tz="Europe/Paris")),
    })
    df = read_table_bytes(_parquet(table), "parquet")
    assert column_kinds(df) == {"day": "date", "at": "date"}
    assert str(df["at"].dt.tz) == "Europe/Paris"
    assert as_numbers(df["day"]).tolist()[0] == 18263.0 and np.isnan(as_numbers(df["day"])[1])


def test_as_numbers_counts_days_since_1970():
    naive = pd.Series(pd.to_datetime(["1970-01-02", "1969-12-31 12:00", None], format="ISO8601"))
    assert as_numbers(naive)[:2].tolist() == [1.0, -0.5] and np.isnan(as_numbers(naive)[2])
    aware = pd.Series(pd.to_datetime(["1970-01-02 02:00"])).dt.tz_localize("Europe/Paris")  # 01:00 UTC
    assert as_numbers(aware).tolist() == [1 + 1 / 24]
    assert as_numbers(pd.Series([1, 2.5])).tolist() == [1.0, 2.5]
    with pytest.raises(DataError, match="column 'c' holds neither numbers nor dates"):
        as_numbers(pd.Series(["a"], name="c"))
