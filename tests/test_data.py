"""Reading tables, column kinds, role validation and the bundled demo data."""

import pandas as pd
import pytest

from anonymizer import ADULT_QIS, DataError, Roles, column_kinds, load_adult, read_table, validate_roles
from anonymizer.data import check_k, read_table_bytes


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
                       "c": pd.Categorical(["x", "y"])})
    assert column_kinds(df) == {"n": "numeric", "i": "numeric", "s": "categorical",
                                "o": "categorical", "b": "categorical", "c": "categorical"}
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
