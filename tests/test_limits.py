"""Issue 17: bounded work per upload, models checked for what they are, dates anywhere in the calendar,
arguments checked before work, and the lines a user gets for what is really wrong."""

import gzip
import io
import json
import time
import tomllib
import zipfile
from pathlib import Path

import lightgbm
import numpy as np
import pandas as pd
import pytest

from anonymizer import limits
from anonymizer.cli import main
from anonymizer.data import DataError, read_table_bytes
from anonymizer.sandbox import read_table_isolated

ROOT = Path(__file__).resolve().parents[1]


def run(argv, capsys):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def people(n=300, seed=0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    age = rng.integers(18, 80, n)
    return pd.DataFrame({"age": age, "city": rng.choice(["Oslo", "Bergen", "Tromso"], n),
                         "hours": rng.integers(10, 60, n),
                         "y": np.where(age + rng.normal(0, 10, n) > 45, "yes", "no")})


# --- what a file is --------------------------------------------------------------------------

def test_a_gzipped_csv_is_read_and_noted():
    raw = people().to_csv(index=False).encode()
    df = read_table_bytes(gzip.compress(raw), "csv", "people.csv")
    assert df.shape == (300, 4)
    assert "gzip" in " ".join(df.attrs["reading_notes"])


def test_a_gzip_bomb_is_refused_by_its_limit(monkeypatch):
    monkeypatch.setattr(limits, "MAX_DECOMPRESSED_BYTES", 1000)
    with pytest.raises(DataError, match="unpacks to more than .*ANONYMIZER_MAX_DECOMPRESSED_BYTES"):
        read_table_bytes(gzip.compress(people().to_csv(index=False).encode()), "csv", "big.csv")


def test_a_zip_archive_and_a_misnamed_parquet_are_named():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        z.writestr("a.csv", "a,b\n1,2\n")
    with pytest.raises(DataError, match="is a zip archive"):
        read_table_bytes(buffer.getvalue(), "csv", "book.csv")
    with pytest.raises(DataError, match="is a Parquet file; name it .parquet"):
        read_table_bytes(people().to_parquet(index=False), "csv", "table.csv")


def test_control_characters_in_column_names_are_refused():
    with pytest.raises(DataError, match="control characters"):
        read_table_bytes(b"a\x00b,c\n1,2\n", "csv", "nul.csv")


def test_short_rows_are_read_as_missing_and_noted():
    df = read_table_bytes(b"a,b,c\n1,2,3\n4,5\n7,8,9\n", "csv", "short.csv")
    assert df["c"].isna().sum() == 1
    assert "1 row(s) have fewer fields than the header" in " ".join(df.attrs["reading_notes"])


def test_numbers_beyond_64_bits_stay_text_as_written():
    df = read_table_bytes(b"id,v\n1,1000000000000000000000000000000\n2,5\n", "csv", "big.csv")
    assert df["v"].tolist() == ["1000000000000000000000000000000", "5"]
    assert "too large for 64 bits" in " ".join(df.attrs["reading_notes"])


# --- bounds --------------------------------------------------------------------------------

def test_a_one_line_csv_of_millions_of_fields_is_refused_at_once():
    """The issue's 48 MB header of 5.5 million fields: counted on the bytes, refused before parsing."""
    content = ",".join(f"c{i}" for i in range(1_000_000)).encode() + b"\n"
    start = time.perf_counter()
    with pytest.raises(DataError, match=r"has 1,000,000 columns; at most 5,000 .*ANONYMIZER_MAX_COLUMNS"):
        read_table_bytes(content, "csv", "wide.csv")
    assert time.perf_counter() - start < 30  # not a timing target: the old code parsed for minutes


def test_cells_and_parquet_columns_are_bounded(monkeypatch):
    monkeypatch.setattr(limits, "MAX_CELLS", 100)
    with pytest.raises(DataError, match="cells .*ANONYMIZER_MAX_CELLS"):
        read_table_bytes(people().to_csv(index=False).encode(), "csv", "many.csv")
    monkeypatch.setattr(limits, "MAX_COLUMNS", 3)
    with pytest.raises(DataError, match="has 4 columns; at most 3"):
        read_table_bytes(people().to_parquet(index=False), "parquet", "wide.parquet")


def test_the_child_process_reads_what_the_server_would():
    df = read_table_isolated(people().to_csv(index=False).encode(), "csv", "people.csv")
    pd.testing.assert_frame_equal(df, read_table_bytes(people().to_csv(index=False).encode(), "csv", "people.csv"))


def test_the_child_process_has_a_time_and_a_memory_limit():
    content = people(20_000).to_csv(index=False).encode()
    with pytest.raises(DataError, match=r"longer than 0.01 s .*ANONYMIZER_READ_SECONDS"):
        read_table_isolated(content, "csv", "slow.csv", seconds=0.01)
    with pytest.raises(DataError, match="needed more than .*ANONYMIZER_READ_MEMORY_BYTES"):
        read_table_isolated(content, "csv", "big.csv", memory_bytes=50 << 20)


def test_the_child_refuses_with_the_readers_own_line():
    with pytest.raises(DataError, match="^nul.csv: column name"):
        read_table_isolated(b"a\x00b,c\n1,2\n", "csv", "nul.csv")


# --- models are what they say ------------------------------------------------------------------

@pytest.fixture(scope="module")
def table_and_models(tmp_path_factory):
    folder = tmp_path_factory.mktemp("models")
    df = people(600)
    df["y_num"] = (df["y"] == "yes").astype(int)
    X = df[["age", "hours"]]
    regression = lightgbm.train({"objective": "regression", "verbose": -1, "num_threads": 1},
                                lightgbm.Dataset(X, df["y_num"]), num_boost_round=5)
    three = lightgbm.train({"objective": "multiclass", "num_class": 3, "verbose": -1, "num_threads": 1},
                           lightgbm.Dataset(X, df["age"] % 3), num_boost_round=3)
    regression.save_model(folder / "regression.txt")
    three.save_model(folder / "three.txt")
    df[["age", "hours", "y"]].to_csv(folder / "t.csv", index=False)
    return folder


def test_a_lightgbm_regression_model_is_not_taken_for_a_classifier(table_and_models, capsys):
    f = table_and_models
    code, _, err = run(["anonymize", "--data", f / "t.csv", "--qi", "age", "--k", 10, "--out", f / "o.csv",
                        "--target", "y", "--model", f / "regression.txt"], capsys)
    assert code == 2 and len(err.strip().splitlines()) == 1
    assert "regressor (objective 'regression')" in err and "classification target" in err
    assert not (f / "o.csv").exists()


def test_a_model_with_another_number_of_classes_is_refused(table_and_models, capsys):
    f = table_and_models
    code, _, err = run(["anonymize", "--data", f / "t.csv", "--qi", "age", "--k", 10, "--out", f / "o.csv",
                        "--target", "y", "--model", f / "three.txt"], capsys)
    assert code == 2 and "predicts 3 classes but the target has 2 values" in err


def test_a_scikit_learn_regressor_is_refused_for_a_class_target():
    from sklearn.linear_model import LinearRegression

    from anonymizer.models import check_model

    df = people()
    model = LinearRegression().fit(df[["age", "hours"]], (df["y"] == "yes").astype(int))
    with pytest.raises(DataError, match="the model is a regressor but the target is a classification target"):
        check_model(model, df[["age", "hours"]], df["y"])


# --- dates anywhere in the calendar ------------------------------------------------------------

@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_dates_of_year_1_and_9999_work_in_every_command(tmp_path, capsys, fmt):
    df = people(200)
    days = pd.to_datetime("2000-01-01") + pd.to_timedelta(df["age"] * 30, unit="D")
    df["dob"] = days.dt.strftime("%Y-%m-%d")
    df.loc[0, "dob"], df.loc[1, "dob"] = "0001-01-01", "9999-12-31"
    path = tmp_path / f"t.{fmt}"
    if fmt == "csv":
        df.to_csv(path, index=False)
    else:
        dates = pd.to_datetime(df["dob"], format="%Y-%m-%d").astype("datetime64[s]")
        df.assign(dob=dates).to_parquet(path, index=False)
    code, _, err = run(["suggest", "--data", path], capsys)
    assert code == 0, err
    code, _, err = run(["anonymize", "--data", path, "--qi", "dob,city", "--k", 10, "--target", "y",
                        "--out", tmp_path / f"o.{fmt}", "--report", tmp_path / "r.json"], capsys)
    assert code == 0, err
    assert json.loads((tmp_path / "r.json").read_text())["k_achieved"] >= 10
    code, _, err = run(["evaluate", "--data", path, "--qi", "dob,city", "--k", 10, "--target", "y",
                        "--method", "mondrian", "--out", tmp_path / "e.json", "--references", 1], capsys)
    assert code == 0, err


# --- arguments before work -----------------------------------------------------------------------

def test_evaluate_refuses_k_0_before_any_training(tmp_path, capsys, monkeypatch):
    import anonymizer.analysis as analysis
    import anonymizer.simulation as simulation

    trained = []
    for module in (analysis, simulation):
        monkeypatch.setattr(module, "train_default_model", lambda *a, **kw: trained.append(1) or 1 / 0)
    path = tmp_path / "t.csv"
    people().to_csv(path, index=False)
    code, _, err = run(["evaluate", "--data", path, "--qi", "age", "--k", "0", "--target", "y",
                        "--out", tmp_path / "e.json"], capsys)
    assert code == 2 and "k" in err and len(err.strip().splitlines()) == 1
    assert trained == []


def test_repeated_qi_flags_add_up(tmp_path, capsys):
    path = tmp_path / "t.csv"
    people().to_csv(path, index=False)
    code, _, err = run(["anonymize", "--data", path, "--qi", "age", "--qi", "hours", "--k", 10, "--target", "y",
                        "--out", tmp_path / "o.csv", "--report", tmp_path / "r.json"], capsys)
    assert code == 0, err
    assert json.loads((tmp_path / "r.json").read_text())["quasi_identifiers"] == ["age", "hours"]


def test_outputs_are_never_overwritten_unless_asked(tmp_path, capsys):
    path, out = tmp_path / "t.csv", tmp_path / "o.csv"
    people().to_csv(path, index=False)
    out.write_text("keep me")
    argv = ["anonymize", "--data", path, "--qi", "age", "--k", 10, "--target", "y", "--out", out]
    code, _, err = run(argv, capsys)
    assert code == 2 and "--out" in err and "--overwrite" in err
    assert out.read_text() == "keep me"
    code, _, err = run(argv + ["--overwrite"], capsys)
    assert code == 0, err
    assert len(pd.read_csv(out)) == 300


# --- operator defaults ---------------------------------------------------------------------------

def test_the_served_app_listens_locally_hides_tracebacks_and_watches_no_files():
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    assert config["server"]["address"] == "127.0.0.1"
    assert config["server"]["fileWatcherType"] == "none"
    assert config["client"]["showErrorDetails"] == "none"
