"""The Dask engine keeps the in-memory guarantees on a small partitioned table.

A LocalCluster (threads, no processes: fast to start) is started and stopped in each test.
"""

import json

import numpy as np
import pandas as pd
import pytest

from anonymizer import DataError, anonymize_table, equivalence_classes
from anonymizer.cli import main
from anonymizer.dask_engine import anonymize_parquet

QIS = ["age", "hours", "job", "city"]
pytestmark = pytest.mark.filterwarnings("ignore:The inplace keyword:Warning")  # inside dask's parquet reader


def _table(n: int = 3000, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    age = rng.integers(18, 80, n)
    job = pd.array(np.where(rng.random(n) < 0.05, None, rng.choice(["a", "b", "c", "d", "e"], n)), dtype="str")
    return pd.DataFrame({
        "age": age,
        "hours": np.where(rng.random(n) < 0.03, np.nan, rng.normal(40, 10, n).round(1)),
        "job": job,
        "city": pd.array(rng.choice([f"c{i}" for i in range(12)], n), dtype="str"),
        "note": pd.array([f"row{i}" for i in range(n)], dtype="str"),
        "flag": rng.random(n) < 0.5,
        "income": pd.array(np.where(age + rng.normal(0, 15, n) > 50, ">50K", "<=50K"), dtype="str"),
    })


def _write_parts(table: pd.DataFrame, folder, n_parts: int = 5):
    folder.mkdir()
    for i, part in enumerate(np.array_split(np.arange(len(table)), n_parts)):
        table.iloc[part].to_parquet(folder / f"part-{i}.parquet", index=False)
    return folder


@pytest.fixture
def client():
    from dask.distributed import Client, LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None,
                      silence_logs=40) as cluster, Client(cluster) as c:
        yield c


def check_same_guarantees(original: pd.DataFrame, out: pd.DataFrame, k: int):
    assert len(out) == len(original), "rows lost"
    assert list(out.columns) == list(original.columns)
    assert out.dtypes.to_dict() == original.dtypes.to_dict()
    assert np.bincount(equivalence_classes(out, QIS)).min() >= k
    others = [c for c in original.columns if c not in QIS]
    # partitions are written in order and rows keep their order inside each
    pd.testing.assert_frame_equal(out[others].reset_index(drop=True), original[others].reset_index(drop=True))
    for q in QIS:  # every representative is a value of the column
        assert set(out[q].dropna()) <= set(original[q].dropna())


@pytest.mark.parametrize("method, k, sample_rows", [("ag", 25, 800), ("ag", 100, 100_000), ("mondrian", 40, 700)])
def test_dask_output_keeps_the_in_memory_guarantees(tmp_path, client, method, k, sample_rows):
    table = _table()
    data = _write_parts(table, tmp_path / "in")
    out = tmp_path / "out"
    report = anonymize_parquet(data, out, QIS, k, method=method, target="income", sensitive="job", seed=0,
                               sample_rows=sample_rows, client=client)
    written = pd.read_parquet(out)
    check_same_guarantees(table, written, k)
    assert report["k_achieved"] == np.bincount(equivalence_classes(written, QIS)).min() >= k
    assert report["n_rows"] == len(table)
    # the report has every key of the in-memory CLI report
    memory = anonymize_table(table, QIS, k, method, "income", guide=table["income"].to_numpy())
    assert memory.data.shape == written.shape
    expected = {"method", "seed", "quasi_identifiers", "target", "seconds", "k", "k_achieved", "n_rows", "n_classes",
                "class_size_distribution", "discernibility", "avg_class_size_metric", "max_risk", "avg_risk",
                "risk_threshold", "share_at_risk", "gcp", "ncp", "sensitive", "l_distinct", "l_entropy",
                "t_closeness"}
    assert expected <= set(report)
    assert 0 <= report["gcp"] <= 1 and set(report["ncp"]) == set(QIS)


def test_dask_report_metrics_match_the_in_memory_metrics_of_its_output(tmp_path, client):
    """Class sizes, risks, l and t from the engine's counts equal privacy_metrics on its output."""
    from anonymizer import privacy_metrics

    table = _table(1500, seed=3)
    data = _write_parts(table, tmp_path / "in", 3)
    report = anonymize_parquet(data, tmp_path / "out", QIS, 30, target="income", sensitive="job", client=client)
    written = pd.read_parquet(tmp_path / "out")
    expected = privacy_metrics(written, QIS, k=30, original=table, sensitive="job").to_dict()
    for key in ("k_achieved", "n_classes", "discernibility", "max_risk", "avg_risk", "share_at_risk",
                "class_size_distribution", "l_distinct"):
        assert report[key] == expected[key], key
    for key in ("l_entropy", "t_closeness", "gcp"):
        assert report[key] == pytest.approx(expected[key]), key
    assert report["ncp"] == pytest.approx(expected["ncp"])


def test_dask_rejects_bad_input(tmp_path, client):
    table = _table(200)
    data = _write_parts(table, tmp_path / "in", 2)
    with pytest.raises(DataError, match="larger than the table"):
        anonymize_parquet(data, tmp_path / "o1", QIS, 500, target="income", client=client)
    with pytest.raises(DataError, match="not in the table"):
        anonymize_parquet(data, tmp_path / "o2", ["zip"], 5, target="income", client=client)
    with pytest.raises(DataError, match="no Parquet files"):
        anonymize_parquet(tmp_path / "nothing-*.parquet", tmp_path / "o3", QIS, 5, target="income", client=client)
    (tmp_path / "taken").mkdir()
    with pytest.raises(DataError, match="exists"):
        anonymize_parquet(data, tmp_path / "taken", QIS, 5, target="income", client=client)
    assert not list(tmp_path.glob(".o*")), "a temporary output was left behind"


def test_cli_dask_engine_on_a_running_scheduler(tmp_path, client, capsys):
    table = _table(1000)
    data = _write_parts(table, tmp_path / "in", 4)
    code = main(["anonymize", "--engine", "dask", "--scheduler", client.scheduler.address, "--data",
                 str(data / "*.parquet"), "--qi", ",".join(QIS), "--k", "20", "--target", "income",
                 "--out", str(tmp_path / "out"), "--report", str(tmp_path / "r.json")])
    assert code == 0, capsys.readouterr().err
    report = json.loads((tmp_path / "r.json").read_text())
    assert report["k_achieved"] >= 20 and report["n_rows"] == 1000
    check_same_guarantees(table, pd.read_parquet(tmp_path / "out"), 20)
    code = main(["anonymize", "--engine", "dask", "--scheduler", client.scheduler.address, "--data", str(data),
                 "--qi", "age", "--k", "20", "--target", "income", "--out", str(tmp_path / "out")])
    assert code == 2 and "exists" in capsys.readouterr().err
