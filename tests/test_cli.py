"""The command line contract: outputs, the JSON report, and one `error:` line for bad input."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from anonymizer import equivalence_classes
from anonymizer.cli import main

ROOT = Path(__file__).resolve().parents[1]
QIS = "age,workclass,education-num,marital-status,occupation,relationship,race,sex,native-country"
REPORT_KEYS = {"method", "k", "k_achieved", "n_rows", "n_classes", "gcp", "discernibility",
               "avg_class_size_metric", "max_risk", "avg_risk", "seconds"}


@pytest.fixture(scope="module")
def adult_csv(tmp_path_factory, adult_train):
    path = tmp_path_factory.mktemp("cli") / "adult.csv"
    adult_train.iloc[:4000].to_csv(path, index=False)
    return path


def run(argv, capsys):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("method", ["ag", "mondrian"])
def test_anonymize_csv_with_report(adult_csv, tmp_path, capsys, method):
    out, report = tmp_path / "out.csv", tmp_path / "r.json"
    code, stdout, err = run(["anonymize", "--data", adult_csv, "--qi", QIS, "--k", 25, "--out", out,
                             "--target", "income", "--method", method, "--sensitive", "relationship",
                             "--report", report], capsys)
    assert code == 0, err
    assert "k achieved" in stdout
    original, anonymized = pd.read_csv(adult_csv), pd.read_csv(out)
    assert anonymized.shape == original.shape and list(anonymized.columns) == list(original.columns)
    qis = QIS.split(",")
    ids = equivalence_classes(anonymized, qis)
    assert np.bincount(ids).min() >= 25
    others = [c for c in original.columns if c not in qis]
    pd.testing.assert_frame_equal(anonymized[others], original[others])
    data = json.loads(report.read_text())
    assert REPORT_KEYS | {"l_distinct", "l_entropy", "t_closeness"} <= set(data)
    assert data["method"] == method and data["k"] == 25 and data["k_achieved"] >= 25
    assert data["n_rows"] == 4000 and data["n_classes"] == len(set(ids))
    assert 0 <= data["gcp"] <= 1 and data["seconds"] > 0


def test_anonymize_parquet_out_without_sensitive(adult_csv, tmp_path, capsys):
    out, report = tmp_path / "out.parquet", tmp_path / "r.json"
    code, _, err = run(["anonymize", "--data", adult_csv, "--qi", "age,sex", "--k", 50, "--out", out,
                        "--target", "income", "--report", report, "--seed", 7], capsys)
    assert code == 0, err
    assert len(pd.read_parquet(out)) == 4000
    data = json.loads(report.read_text())
    assert REPORT_KEYS <= set(data) and "l_distinct" not in data and data["seed"] == 7


@pytest.mark.parametrize("argv, message", [
    (["--qi", "age", "--k", 5, "--out", "OUT", "--target", "income", "--data", "nope.csv"], "no such file"),
    (["--qi", "age", "--k", 5, "--out", "DATA", "--target", "income"], "is an input file"),
    (["--qi", "age", "--k", 5, "--out", "OUT"], "--method ag needs --target"),
    (["--qi", "agex", "--k", 5, "--out", "OUT", "--target", "income"], "not in the table"),
    (["--qi", "age", "--k", 99999, "--out", "OUT", "--target", "income"], "k=99999 is larger than the table"),
    (["--qi", "age", "--k", 0, "--out", "OUT", "--target", "income"], "at least 1"),
    (["--qi", "age", "--k", "ten", "--out", "OUT", "--target", "income"], "invalid int value"),
    (["--qi", "age,income", "--k", 5, "--out", "OUT", "--target", "income"], "cannot also be a quasi-identifier"),
    (["--qi", "age", "--k", 5, "--out", "out.xlsx", "--target", "income"], "unsupported file type '.xlsx'"),
    (["--qi", "age", "--k", 5, "--out", "OUT", "--target", "income", "--report", "r.txt"], "use a .json"),
    (["--qi", "age", "--k", 5, "--out", "OUT", "--target", "nope"], "target column 'nope'"),
    (["--qi", "age", "--k", 5, "--out", "OUT", "--target", "income", "--sensitive", "nope"], "sensitive column"),
    (["--qi", "age", "--k", 5, "--out", "OUT", "--method", "magic"], "invalid choice"),
    (["--qi", "age", "--k", 5, "--out", "missing_dir/o.csv", "--target", "income"], "does not exist"),
    (["--qi", "age", "--k", 5], "required"),
])
def test_bad_input_is_one_error_line_and_exit_2(adult_csv, tmp_path, capsys, argv, message):
    before = adult_csv.read_bytes()
    argv = [tmp_path / "o.csv" if a == "OUT" else adult_csv if a == "DATA" else a for a in argv]
    argv = [tmp_path / a if isinstance(a, str) and a.endswith((".xlsx", ".txt", "o.csv")) else a for a in argv]
    if "--data" not in argv:
        argv = ["--data", adult_csv] + argv
    code, stdout, err = run(["anonymize"] + argv, capsys)
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and message in lines[0], err
    assert sorted(p.name for p in tmp_path.iterdir()) == []  # no output (nor temp file) left behind
    assert adult_csv.read_bytes() == before


def test_malformed_table(tmp_path, capsys):
    bad = tmp_path / "bad.csv"
    bad.write_text("a,b\n1,2\n3,4,5\n")
    code, _, err = run(["anonymize", "--data", bad, "--qi", "a", "--k", 1, "--out", tmp_path / "o.csv",
                        "--method", "mondrian"], capsys)
    assert code == 2 and err.startswith("error: bad.csv: could not be read as CSV")
    assert not (tmp_path / "o.csv").exists()


def test_failed_report_write_leaves_no_output(adult_csv, tmp_path, capsys, monkeypatch):
    out, report = tmp_path / "o.csv", tmp_path / "r.json"
    import anonymizer.cli as cli
    real = Path.write_text

    def broken(self, *a, **kw):
        if self.name.startswith(".r.json"):
            raise OSError("disk full")
        return real(self, *a, **kw)

    monkeypatch.setattr(Path, "write_text", broken)
    monkeypatch.setenv("ANONYMIZER_DEBUG", "")
    code = cli.main(["anonymize", "--data", str(adult_csv), "--qi", "age", "--k", "5", "--out", str(out),
                     "--method", "mondrian", "--report", str(report)])
    err = capsys.readouterr().err
    assert code == 2 and err.startswith("error: could not write") and "disk full" in err
    assert list(tmp_path.iterdir()) == []


def test_real_process_exit_status_and_no_traceback(adult_csv, tmp_path):
    cmd = [sys.executable, "-m", "anonymizer", "anonymize", "--data", str(adult_csv), "--qi", "age",
           "--k", "999999", "--out", str(tmp_path / "o.csv"), "--method", "mondrian"]
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines() == [
        "error: k=999999 is larger than the table (4000 rows); choose k of at most 4000"]
    ok = subprocess.run(cmd[:9] + ["20"] + cmd[10:], cwd=ROOT, capture_output=True, text=True)
    assert ok.returncode == 0, ok.stderr
    assert len(pd.read_csv(tmp_path / "o.csv")) == 4000



def test_the_process_imports_with_the_collector_off_and_runs_the_command_with_it_on():
    # `python -m anonymizer` skips the collector while the engine is imported (a one-shot run's start-up cost),
    # freezes what the imports made, and gives the command the collector back: a command never runs without it
    probe = ("import gc, runpy, anonymizer.cli as cli\n"
             "seen = {}\n"
             "def main():\n"
             "    seen.update(enabled=gc.isenabled(), frozen=gc.get_freeze_count())\n"
             "    return 0\n"
             "cli.main = main\n"
             "try:\n"
             "    runpy.run_module('anonymizer', run_name='__main__')\n"
             "except SystemExit as stop:\n"
             "    print(stop.code, seen['enabled'], seen['frozen'] > 100_000)\n")
    proc = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True)
    assert proc.stdout.split() == ["0", "True", "True"], proc.stderr

def test_anonymize_warns_when_k_holds_over_the_qis_only(tmp_path, capsys):
    # as in test_release: c reveals no q and is not near-unique, but q plus c leaves classes of 2 at k = 4
    path = tmp_path / "t.csv"
    pd.DataFrame({"q": [1, 2, 3, 4, 5, 6, 7, 8], "c": list("xxyyxxyy")}).to_csv(path, index=False)
    code, out, err = run(["anonymize", "--data", str(path), "--qi", "q", "--k", "4", "--method", "mondrian",
                          "--out", str(tmp_path / "o.csv")], capsys)
    assert code == 0
    assert "warning: k = 4 holds over the quasi-identifiers only. An attacker who also knows c narrows a class to 2" \
           in err
