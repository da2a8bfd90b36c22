"""Nothing a user sends takes the process down: malformed models, any column name, formula cells, the CLI."""

import io
import os
import re
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from anonymizer import DataError, model_probe
from anonymizer.cli import main
from anonymizer.export import csv_bytes, model_file, spreadsheet_safe
from anonymizer.models import (
    LightGBMFileModel,
    check_model,
    column_name,
    load_model,
    model_feature_name,
    retrain,
    train_default_model,
)

ROOT = Path(__file__).resolve().parents[1]
ONE_LINE_REFUSAL = r"^m\.txt: could not be read as a LightGBM model: [^\n]+$"


def small_table(n: int = 300, seed: int = 0) -> tuple[pd.DataFrame, pd.Series]:
    rng = np.random.default_rng(seed)
    X = pd.DataFrame({"age": rng.integers(18, 80, n), "hours": rng.integers(5, 70, n),
                      "job": pd.array(rng.choice(["clerk", "nurse", "pilot", "cook"], n), dtype="str")})
    y = pd.Series(np.where((X["age"] > 45) ^ (X["job"] == "pilot"), "yes", "no"), name="label")
    return X, y


@pytest.fixture(scope="module")
def trained():
    X, y = small_table()
    model = train_default_model(X, y)
    return X, y, model, model[-1].booster_.model_to_string()


def first_line(text: str, key: str, accept) -> tuple[str, str]:
    """The first `key=...` line whose value passes `accept`, and that value."""
    for line in text.splitlines():
        if line.startswith(key + "=") and accept(line.split("=", 1)[1]):
            return line, line.split("=", 1)[1]
    raise AssertionError(f"no {key} line to edit")


def truncated(text):
    return text[: len(text) // 2]


def more_leaves(text):
    line, value = first_line(text, "num_leaves", lambda v: int(v) >= 3)
    return text.replace(line, f"num_leaves={int(value) * 100}", 1)


def extra_split_feature(text):
    line, _ = first_line(text, "split_feature", lambda v: len(v.split()) >= 2)
    return text.replace(line, line + " 1", 1)


def feature_out_of_range(text):  # same length, so LightGBM parses it and would read past its arrays
    line, value = first_line(text, "split_feature", lambda v: len(v.split()) >= 2)
    return text.replace(line, "split_feature=" + " ".join(["7"] * len(value.split())), 1)


def child_loop(text):  # a child pointing back at the root: prediction would never end
    line, value = first_line(text, "left_child", lambda v: len(v.split()) >= 2 and int(v.split()[1]) >= 0)
    return text.replace(line, "left_child=" + " ".join([value.split()[0], "0", *value.split()[2:]]), 1)


@pytest.mark.parametrize("malform", [truncated, more_leaves, extra_split_feature, feature_out_of_range, child_loop])
def test_malformed_lightgbm_model_is_one_line_and_the_process_survives(tmp_path, trained, malform):
    path = tmp_path / "m.txt"
    path.write_text(malform(trained[3]))
    with pytest.raises(DataError, match=ONE_LINE_REFUSAL):
        load_model(path)


def test_aborting_parser_is_named(tmp_path, trained):
    path = tmp_path / "m.txt"
    path.write_text(more_leaves(trained[3]))
    with pytest.raises(DataError, match="the parser aborted"):
        load_model(path)


def test_valid_model_passes_the_probe_and_predicts_as_before(tmp_path, trained):
    X, y, model, text = trained
    path = tmp_path / "m.txt"
    path.write_text(text)
    loaded = check_model(load_model(path), X, y)
    np.testing.assert_allclose(loaded.predict_proba(X), model.predict_proba(X), atol=1e-12)


def test_probe_time_limit(tmp_path, trained, monkeypatch):
    monkeypatch.setattr(model_probe, "PROBE_SECONDS", 0.001)
    path = tmp_path / "m.txt"
    path.write_text(trained[3])
    with pytest.raises(DataError, match=r"m\.txt: could not be read as a LightGBM model: parsing it took longer"):
        load_model(path)


def test_model_text_that_is_not_utf8_is_refused(tmp_path, trained):
    path = tmp_path / "m.txt"
    path.write_bytes(b"tree\n\xff\xfe" + trained[3].encode())
    with pytest.raises(DataError, match="not UTF-8 text"):
        load_model(path)


# ---------------------------------------------------------------------------------------------
# Any column name a CSV or Parquet file can hold.

NASTY = ["hours, weekly", 'say "hi"', "ratio:1", "[bracketed]", "{braced}", "größe 😀", " spaced  out ",
         "=cmd", "-1", "%", "%25", "", "x" * 2000, "tab\there", "new\nline", "a_b", "a b", "日本語"]


def nasty_table(n: int = 400) -> tuple[pd.DataFrame, pd.Series]:
    rng = np.random.default_rng(1)
    X = pd.DataFrame({name: rng.normal(size=n) for name in NASTY})
    X["job: [kind]"] = pd.array(rng.choice(["a,b", "c:d", '"e"'], n), dtype="str")
    y = pd.Series(np.where(X["hours, weekly"] + (X["job: [kind]"] == "a,b") > 0.5, "yes", "no"))
    return X, y


def test_nasty_column_names_end_to_end(tmp_path):
    X, y = nasty_table()
    model = train_default_model(X, y)
    assert list(model.feature_names_in_) == list(X.columns)
    proba = model.predict_proba(X)
    assert proba.shape == (len(X), 2) and (model.predict(X) == y).mean() > 0.8
    suffix, content, _ = model_file(model)
    path = tmp_path / f"m{suffix}"
    path.write_bytes(content)
    loaded = check_model(load_model(path), X, y)
    assert isinstance(loaded, LightGBMFileModel) and list(loaded.feature_names_in_) == list(X.columns)
    np.testing.assert_allclose(loaded.predict_proba(X), proba, atol=1e-12)
    shuffled = X[X.columns[::-1]]
    np.testing.assert_allclose(check_model(load_model(path), shuffled, y).predict_proba(shuffled), proba,
                               atol=1e-12)
    refit, _ = retrain(loaded, X, y)
    assert list(refit.feature_names_in_) == list(X.columns) and refit.predict_proba(X).shape == (len(X), 2)
    with pytest.raises(DataError, match=re.escape("does not have: ['hours, weekly']")):
        check_model(load_model(path), X.drop(columns="hours, weekly"), y)


def test_names_that_repeat_as_text_are_refused():
    X = pd.DataFrame({1: [1.0, 2.0, 3.0, 4.0], "1": [4.0, 3.0, 2.0, 1.0]})
    with pytest.raises(DataError, match=r"column names repeat \(as text\): \['1'\]"):
        train_default_model(X, pd.Series([0, 1, 0, 1]))


def test_models_trained_elsewhere_match_by_name(tmp_path):
    import lightgbm

    X, y = small_table()
    X = X.rename(columns={"age": "age (years)", "hours": "hours per week"}).astype({"job": "category"})
    booster = lightgbm.LGBMClassifier(n_estimators=5, verbose=-1).fit(X, y).booster_
    assert booster.feature_name() == ["age_(years)", "hours_per_week", "job"]  # LightGBM's own renaming
    X2 = pd.DataFrame({"hours per week": X["hours per week"], "job": X["job"], "age_(years)": X["age (years)"]})
    path = tmp_path / "m.txt"
    booster.save_model(str(path))
    loaded = check_model(load_model(path), X2, y)
    assert list(loaded.feature_names_in_) == ["age_(years)", "hours per week", "job"]


FORBIDDEN = set('",:[]{}= \t\n\r')


@given(st.text())
def test_model_feature_names_are_safe_and_reversible(name):
    feature = model_feature_name(name)
    assert feature and not FORBIDDEN & set(feature) and feature.isascii()
    assert column_name(feature) == name
    if name and all(c.isascii() and (c.isalnum() or c in "_.-~") for c in name):
        assert feature == name  # plain names are left alone


@given(st.text(), st.text())
def test_model_feature_names_never_collide(a, b):
    assert (model_feature_name(a) == model_feature_name(b)) == (a == b)


# ---------------------------------------------------------------------------------------------
# CSV for people: header and cells defused.

def test_header_and_cells_are_defused():
    df = pd.DataFrame({"=HYPERLINK(\"x\")": ["=1+1", "ok"], "+a": [1, -2], "@b": ["-x", "\rcr"],
                       "\tc": [True, False], "plain": ["a", "b"]})
    safe = spreadsheet_safe(df)
    assert list(safe.columns) == ["'=HYPERLINK(\"x\")", "'+a", "'@b", "'\tc", "plain"]
    assert safe.iloc[:, 0].tolist() == ["'=1+1", "ok"] and safe.iloc[:, 2].tolist() == ["'-x", "'\rcr"]
    assert safe.iloc[:, 1].tolist() == [1, -2] and safe.iloc[:, 3].tolist() == [True, False]
    assert list(df.columns)[0] == "=HYPERLINK(\"x\")"  # the input is untouched
    back = pd.read_csv(io.BytesIO(csv_bytes(df)))
    assert list(back.columns)[:3] == ["'=HYPERLINK(\"x\")", "'+a", "'@b"]


_CELLS = st.one_of(st.none(), st.just(np.nan), st.integers(-5, 5), st.floats(allow_nan=False, width=32),
                   st.text(alphabet="=+-@\t\rab1 ", max_size=4), st.lists(st.integers(), max_size=2))


@given(st.lists(_CELLS, min_size=1, max_size=30), st.booleans())
def test_defusing_tests_each_distinct_value_as_it_tests_each_cell(cells, as_category):
    # the distinct-value shortcut gives what the rule says cell by cell, for mixed, missing and unhashable cells
    column = pd.Series(cells, dtype=object)
    if as_category and all(isinstance(v, str) for v in cells):
        column = column.astype("category")
    expected = ["'" + v if isinstance(v, str) and v.startswith(("=", "+", "-", "@", "\t", "\r")) else v for v in cells]
    got = spreadsheet_safe(pd.DataFrame({"c": column}))["c"].tolist()
    same = [g is e or g == e or (isinstance(g, float) and isinstance(e, float) and np.isnan(g) and np.isnan(e))
            for g, e in zip(got, expected)]
    assert all(same), (got, expected)


def test_cli_csv_output_is_defused(tmp_path, capsys):
    rng = np.random.default_rng(0)
    data = pd.DataFrame({"=age": rng.integers(18, 80, 60), "note": ["=cmd|' /C calc'!A0", "-2+3", "fine"] * 20})
    src, out = tmp_path / "in.csv", tmp_path / "out.csv"
    data.to_csv(src, index=False)
    assert main(["anonymize", "--data", str(src), "--qi", "=age", "--k", "5", "--out", str(out),
                 "--method", "mondrian"]) == 0, capsys.readouterr().err
    text = out.read_text()
    assert text.startswith("'=age,note\n") and "\n'=cmd" not in text and "'=cmd|" in text and ",'-2+3" in text
    parquet = tmp_path / "out.parquet"  # Parquet is for programs: values stay as they are
    assert main(["anonymize", "--data", str(src), "--qi", "=age", "--k", "5", "--out", str(parquet),
                 "--method", "mondrian"]) == 0
    assert list(pd.read_parquet(parquet).columns) == ["=age", "note"]


# ---------------------------------------------------------------------------------------------
# The CLI: bad input is exit 2 with one `error:` line, nothing written or overwritten; Ctrl-C is exit 130.

def run_cli(args, cwd=ROOT, env=None):
    cmd = [sys.executable, "-m", "anonymizer", *map(str, args)]
    # as from a terminal: a runner started in the background (nohup, `&`) ignores SIGINT, the child would
    # inherit that, and Python would then never raise KeyboardInterrupt for the Ctrl-C tests
    return subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, env={**os.environ, **(env or {})},
                          preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))


@pytest.fixture
def table_csv(tmp_path):
    X, y = small_table(200)
    path = tmp_path / "in" / "t.csv"
    path.parent.mkdir()
    X.assign(label=y).to_csv(path, index=False)
    return path


def assert_one_error_line(stderr, fragment):
    lines = stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and fragment in lines[0], stderr


def test_cli_malformed_model_is_one_line_without_lightgbm_logs(tmp_path, table_csv):
    model = tmp_path / "m.txt"
    model.write_text(more_leaves(small_table_model_text(table_csv)))
    out = tmp_path / "o.csv"
    proc = run_cli(["anonymize", "--data", table_csv, "--qi", "age", "--k", 5, "--out", out, "--target", "label",
                    "--model", model])
    assert proc.returncode == 2
    assert_one_error_line(proc.stderr, "m.txt: could not be read as a LightGBM model: the parser aborted")
    assert "[LightGBM]" not in proc.stdout + proc.stderr and not out.exists()


def small_table_model_text(table_csv):
    table = pd.read_csv(table_csv)
    return train_default_model(table.drop(columns="label"), table["label"])[-1].booster_.model_to_string()


def test_cli_special_column_names_work(tmp_path, capsys):
    X, y = nasty_table(200)
    data = X[["hours, weekly", 'say "hi"', " spaced  out ", "job: [kind]"]].assign(label=y)
    src, out = tmp_path / "in.parquet", tmp_path / "out.parquet"
    data.to_parquet(src)
    code = main(["anonymize", "--data", str(src), "--qi", '["hours, weekly", " spaced  out "]', "--k", "10",
                 "--out", str(out), "--target", "label"])
    assert code == 0, capsys.readouterr().err
    result = pd.read_parquet(out)
    assert list(result.columns) == list(data.columns)
    assert result.groupby(["hours, weekly", " spaced  out "]).size().min() >= 10
    kept = ['say "hi"', "job: [kind]", "label"]
    pd.testing.assert_frame_equal(result[kept], data[kept])


@pytest.mark.parametrize("qi", ['["age", 3]', "[]", '["age"'])
def test_cli_qi_json_list_must_hold_names(table_csv, tmp_path, capsys, qi):
    code = main(["anonymize", "--data", str(table_csv), "--qi", qi, "--k", "5", "--out", str(tmp_path / "o.csv"),
                 "--method", "mondrian"])
    assert code == 2
    assert_one_error_line(capsys.readouterr().err, "is not a JSON list of column names")


def test_report_pointing_at_a_folder_writes_and_overwrites_nothing(tmp_path, table_csv, capsys):
    out, report = tmp_path / "o.csv", tmp_path / "r.json"
    out.write_text("precious\n")
    report.mkdir()
    code = main(["anonymize", "--data", str(table_csv), "--qi", "age", "--k", "5", "--out", str(out),
                 "--method", "mondrian", "--report", str(report), "--overwrite"])  # --out may be replaced, but
    assert code == 2  # not before every output is known to be writable
    assert_one_error_line(capsys.readouterr().err, "--report")
    assert out.read_text() == "precious\n" and sorted(p.name for p in tmp_path.iterdir()) == ["in", "o.csv", "r.json"]


@pytest.mark.skipif(not Path("/proc/self").is_dir(), reason="needs /proc, a folder nobody can create files in")
@pytest.mark.parametrize("command", ["anonymize", "evaluate"])
def test_unwritable_folder_is_bad_input_found_before_any_work(table_csv, capsys, command, monkeypatch):
    import anonymizer.cli as cli

    monkeypatch.setattr(cli, "read_table_bytes", None)  # reading the table would be work: it must not start
    out = "/proc/anonymized.csv" if command == "anonymize" else "/proc/results.json"
    code = main([command, "--data", str(table_csv), "--qi", "age", "--k", "5", "--out", out, "--target", "label"])
    assert code == 2
    assert_one_error_line(capsys.readouterr().err, "/proc")


def test_permission_denied_is_bad_input(tmp_path, table_csv, capsys, monkeypatch):
    import anonymizer.cli as cli

    def denied(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(cli.tempfile, "mkstemp", denied)
    code = main(["anonymize", "--data", str(table_csv), "--qi", "age", "--k", "5", "--out", str(tmp_path / "o.csv"),
                 "--method", "mondrian"])
    assert code == 2
    assert_one_error_line(capsys.readouterr().err, "Permission denied")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in"]


def test_disk_full_while_writing_keeps_the_old_files(tmp_path, table_csv, capsys, monkeypatch):
    out, report = tmp_path / "o.csv", tmp_path / "r.json"
    out.write_text("precious\n")
    real = Path.write_text

    def full(self, *args, **kwargs):
        if self.name.startswith(".r.json"):
            raise OSError(28, "No space left on device")
        return real(self, *args, **kwargs)

    monkeypatch.setattr(Path, "write_text", full)
    code = main(["anonymize", "--data", str(table_csv), "--qi", "age", "--k", "5", "--out", str(out),
                 "--method", "mondrian", "--report", str(report), "--overwrite"])
    assert code == 2
    assert_one_error_line(capsys.readouterr().err, "No space left on device")
    assert out.read_text() == "precious\n" and sorted(p.name for p in tmp_path.iterdir()) == ["in", "o.csv"]


def test_failure_while_moving_files_into_place_restores_the_old_ones(tmp_path, table_csv, capsys, monkeypatch):
    import anonymizer.cli as cli

    out, report = tmp_path / "o.csv", tmp_path / "r.json"
    out.write_text("precious\n")
    report.write_text("{}")
    real = os.replace

    def fail_on_report(src, dst):
        if Path(dst).name == "r.json" and Path(src).name.startswith(".r.json"):
            raise OSError(5, "Input/output error")
        return real(src, dst)

    monkeypatch.setattr(cli.os, "replace", fail_on_report)
    code = main(["anonymize", "--data", str(table_csv), "--qi", "age", "--k", "5", "--out", str(out),
                 "--method", "mondrian", "--report", str(report), "--overwrite"])
    assert code == 2
    assert_one_error_line(capsys.readouterr().err, "Input/output error")
    assert out.read_text() == "precious\n" and report.read_text() == "{}"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in", "o.csv", "r.json"]


def test_missing_model_is_found_before_the_table_is_read(tmp_path, table_csv, capsys, monkeypatch):
    import anonymizer.cli as cli

    monkeypatch.setattr(cli, "read_table_bytes", None)
    code = main(["anonymize", "--data", str(table_csv), "--qi", "age", "--k", "5", "--out", str(tmp_path / "o.csv"),
                 "--target", "label", "--model", str(tmp_path / "absent.txt")])
    assert code == 2
    assert_one_error_line(capsys.readouterr().err, "absent.txt")


INTERRUPT_HOOK = textwrap.dedent("""
    import os, signal, sys

    class InterruptOnImport:
        \"\"\"Sends this process SIGINT (Ctrl-C) when the module named in the environment is first imported.\"\"\"

        def __init__(self, name, marker):
            self.name, self.marker = name, marker

        def find_spec(self, fullname, path=None, target=None):
            if fullname == self.name and self.marker:
                open(self.marker, "w").close()
                self.marker = None
                os.kill(os.getpid(), signal.SIGINT)
            return None

    if os.environ.get("INTERRUPT_AT_IMPORT"):
        sys.meta_path.insert(0, InterruptOnImport(os.environ["INTERRUPT_AT_IMPORT"], os.environ["INTERRUPT_MARKER"]))
""")


@pytest.mark.parametrize("command, module", [
    ("anonymize", "pandas"),  # start-up: the package's own imports
    ("anonymize", "lightgbm"),
    ("anonymize", "anonymizer.cli"),
    ("anonymize", "anonymizer.release"),  # after the arguments are checked, during the work (leak check)
])
def test_ctrl_c_at_any_time_is_one_line_and_exit_130(tmp_path, table_csv, command, module):
    hook = tmp_path / "hook"
    hook.mkdir()
    (hook / "sitecustomize.py").write_text(INTERRUPT_HOOK)
    marker, out = tmp_path / "interrupted", tmp_path / ("o.csv" if command == "anonymize" else "o.json")
    env = {"PYTHONPATH": os.pathsep.join([str(hook), str(ROOT)]), "INTERRUPT_AT_IMPORT": module,
           "INTERRUPT_MARKER": str(marker)}
    proc = run_cli([command, "--data", table_csv, "--qi", "age", "--k", 5, "--out", out, "--target", "label"],
                   env=env)
    assert marker.exists(), "the hook did not fire: the test proves nothing"
    assert proc.returncode == 130 and proc.stderr == "error: interrupted\n", proc.stderr
    assert not out.exists() and sorted(p.name for p in tmp_path.iterdir()) == ["hook", "in", "interrupted"]
