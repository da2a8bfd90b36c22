"""Faults of a partitioned table and of a cluster end with exit 2 and one line naming what went wrong (issue 17).

Before: a corrupt, 0-byte or column-less part ended with exit 1 and a traceback, an empty part crashed the run, a
part with a column written as text was anonymized into classes of one with exit 0, an extra column was dropped
silently, an existing --report was overwritten, and a cluster whose workers were all paused waited forever.
"""

import json
import os
import signal
import threading
import time

import numpy as np
import pandas as pd
import pytest

from anonymizer import DataError, equivalence_classes
from anonymizer.cli import main
from anonymizer.dask_engine import anonymize_parquet
from anonymizer.parquet_parts import check_parts

from .test_dask import QIS, _table, _write_parts, check_same_guarantees

pytestmark = pytest.mark.filterwarnings("ignore:The inplace keyword:Warning")


@pytest.fixture
def client():
    from dask.distributed import Client, LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None,
                      silence_logs=50) as cluster, Client(cluster) as c:
        yield c


def _run(client, data, out, capsys, *extra):
    code = main(["anonymize", "--engine", "dask", "--scheduler", client.scheduler.address, "--data", str(data),
                 "--qi", ",".join(QIS), "--k", "20", "--target", "income", "--out", str(out), *extra])
    captured = capsys.readouterr()
    return code, captured.err.strip().splitlines()


def _rewrite(path, change):
    part = pd.read_parquet(path)
    change(part).to_parquet(path, index=False)


def _corrupt_footer(path):
    path.write_bytes(path.read_bytes()[:400] + b"\0" * 300)


def _corrupt_pages(path):
    content = bytearray(path.read_bytes())
    content[100:1500] = bytes(1400)  # the data pages, under an intact footer
    path.write_bytes(bytes(content))


FAULTS = {
    "corrupt footer": (_corrupt_footer, "not a readable Parquet file"),
    "corrupt pages": (_corrupt_pages, "the part cannot be read"),
    "0 bytes": (lambda p: p.write_bytes(b""), "the part is empty (0 bytes)"),
    "numbers as text": (lambda p: _rewrite(p, lambda d: d.assign(age=d["age"].astype(str))),
                        "column 'age' holds text values there but integer values in"),
    "a QI missing": (lambda p: _rewrite(p, lambda d: d.drop(columns=["city"])), "the part has no column(s) 'city'"),
    "an extra column": (lambda p: _rewrite(p, lambda d: d.assign(extra=1)), "the part has column(s) 'extra'"),
}


@pytest.mark.parametrize("fault", list(FAULTS))
def test_a_faulty_part_is_one_error_line_naming_it(tmp_path, client, capsys, fault):
    data = _write_parts(_table(1000), tmp_path / "in", 4)
    damage, message = FAULTS[fault]
    damage(data / "part-2.parquet")
    code, err = _run(client, data, tmp_path / "out", capsys)
    assert code == 2 and len(err) == 1, err
    assert err[0].startswith("error: ") and str(data / "part-2.parquet") in err[0] and message in err[0], err
    assert not (tmp_path / "out").exists() and not list(tmp_path.glob(".out*")), "output left behind"


def test_an_empty_part_counts_zero_rows(tmp_path, client, capsys):
    table = _table(1000)
    data = _write_parts(table, tmp_path / "in", 4)
    _rewrite(data / "part-1.parquet", lambda d: d.iloc[:0])
    kept = pd.concat([pd.read_parquet(data / f"part-{i}.parquet") for i in range(4)], ignore_index=True)
    code, err = _run(client, data, tmp_path / "out", capsys, "--report", str(tmp_path / "r.json"))
    assert code == 0, err
    report = json.loads((tmp_path / "r.json").read_text())
    assert report["n_rows"] == len(kept) == 750
    assert report["empty_parts"] == [str(data / "part-1.parquet")]
    assert any("1 part(s) hold no rows" in line for line in err)
    check_same_guarantees(kept, pd.read_parquet(tmp_path / "out"), 20)


def test_a_small_part_that_leaves_no_row_in_the_sample(tmp_path, client):
    """A 3-row part among 3,000 rows sampled at 10%: its sample partition can be empty; the guide predicts
    nothing for it instead of failing (LightGBM refuses an empty frame)."""
    table = _table(3003)
    folder = tmp_path / "in"
    folder.mkdir()
    table.iloc[:3000].to_parquet(folder / "part-0.parquet", index=False)
    table.iloc[3000:].to_parquet(folder / "part-1.parquet", index=False)
    report = anonymize_parquet(folder, tmp_path / "out", QIS, 20, target="income", sample_rows=300, client=client)
    assert report["n_rows"] == 3003 and report["k_achieved"] >= 20


def test_check_parts_reads_footers_only_and_allows_what_reads_alike(tmp_path):
    """Integer widths may differ between parts, and a column of nulls fits any type."""
    folder = tmp_path / "in"
    folder.mkdir()
    pd.DataFrame({"a": np.arange(5, dtype="int64"), "b": ["x"] * 5}).to_parquet(folder / "p0.parquet")
    pd.DataFrame({"a": np.arange(5, dtype="int32"), "b": [None] * 5}).to_parquet(folder / "p1.parquet")
    pd.DataFrame({"a": np.arange(0, dtype="int64"), "b": pd.Series([], dtype="str")}).to_parquet(folder / "p2.parquet")
    parts = check_parts(sorted(str(p) for p in folder.iterdir()))
    assert parts.rows == 10 and parts.columns == ["a", "b"] and parts.empty == [str(folder / "p2.parquet")]
    pd.DataFrame({"a": np.arange(5, dtype=float), "b": ["x"] * 5}).to_parquet(folder / "p3.parquet")
    with pytest.raises(DataError, match=r"p3.parquet: column 'a' holds floating-point values there but integer"):
        check_parts(sorted(str(p) for p in folder.iterdir()))


def test_no_part_with_a_row_is_refused(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    _table(10).iloc[:0].to_parquet(folder / "p0.parquet", index=False)
    with pytest.raises(DataError, match=r"none of the 1 part\(s\) holds a row"):
        check_parts([str(folder / "p0.parquet")])


def test_report_is_never_overwritten(tmp_path, client, capsys):
    data = _write_parts(_table(600), tmp_path / "in", 2)
    report = tmp_path / "r.json"
    report.write_text("keep me")
    code, err = _run(client, data, tmp_path / "out", capsys, "--report", str(report))
    assert code == 2 and err == [f"error: --report {report} exists; give a new name, or add --overwrite to replace "
                                 "it"]
    assert report.read_text() == "keep me" and not (tmp_path / "out").exists()
    code, err = _run(client, data, tmp_path / "out", capsys, "--report", str(report), "--overwrite")
    assert code == 0, err
    assert json.loads(report.read_text())["n_rows"] == 600


def test_a_killed_worker_is_survived(tmp_path):
    """Two worker processes; one is killed (SIGKILL) while the run is under way. Dask runs its tasks again on
    the other (and on the one its nanny starts again): the run finishes with every row and k."""
    from dask.distributed import Client, LocalCluster

    table = _table(60_000)
    data = _write_parts(table, tmp_path / "in", 12)
    with LocalCluster(n_workers=2, threads_per_worker=1, dashboard_address=None, silence_logs=50) as cluster, \
            Client(cluster) as c:
        pids = c.run(os.getpid)
        started = threading.Event()
        outcome = {}

        def run():
            started.set()
            try:
                outcome["report"] = anonymize_parquet(data, tmp_path / "out", QIS, 20, target="income", client=c)
            except BaseException as exc:  # the assertion below shows it
                outcome["error"] = exc

        thread = threading.Thread(target=run)
        thread.start()
        started.wait()
        while not c.processing() or not any(c.processing().values()):  # wait until tasks run, not a time
            time.sleep(0.01)
        os.kill(next(iter(pids.values())), signal.SIGKILL)
        thread.join(timeout=600)
    assert "error" not in outcome, outcome.get("error")
    written = pd.read_parquet(tmp_path / "out")
    assert len(written) == len(table) and np.bincount(equivalence_classes(written, QIS)).min() >= 20


def test_workers_that_die_on_every_try_are_named():
    """A task that kills its worker each time: Dask gives up (KilledWorker) and the error names the worker."""
    import dask
    from dask import delayed
    from dask.distributed import Client, LocalCluster

    from anonymizer.dask_engine import _compute

    with dask.config.set({"distributed.scheduler.allowed-failures": 0}), \
            LocalCluster(n_workers=1, threads_per_worker=1, dashboard_address=None, silence_logs=50) as cluster, \
            Client(cluster) as c:
        address = next(iter(c.scheduler_info()["workers"]))
        with pytest.raises(DataError, match=rf"^Dask workers died 1 times running one task \(the last was "
                                            rf"{address}\)"):
            _compute(c, delayed(os._exit)(1), 60)


def test_workers_paused_by_their_memory_limit_end_the_run_after_the_stated_time(tmp_path):
    """A worker whose process memory stays above Dask's pause threshold never runs again, and Dask waits
    forever. A watcher beside the result wait ends the run after `stall_seconds`, saying why. The worker
    shares the test's process here, far above 80% of a 64 MiB limit, so it is paused from the start."""
    from dask.distributed import Client, LocalCluster

    data = _write_parts(_table(600), tmp_path / "in", 2)
    with LocalCluster(n_workers=1, threads_per_worker=1, processes=False, memory_limit="64MiB",
                      dashboard_address=None, silence_logs=50) as cluster, Client(cluster) as c:
        start = time.monotonic()
        with pytest.raises(DataError, match=r"^no Dask worker could run for 3 s: every worker \(1\) is paused by its "
                                            r"memory limit of 64 MiB.*ANONYMIZER_DASK_STALL_SECONDS"):
            anonymize_parquet(data, tmp_path / "out", QIS, 10, method="mondrian", client=c, stall_seconds=3)
        assert time.monotonic() - start < 60
    assert not (tmp_path / "out").exists() and not list(tmp_path.glob(".out*"))
