"""Time reading a CSV through read_table_bytes (delimiter sniffing, codes, dates) vs the plain pandas call
it replaced. A file with leading-zero fields has its whole-number columns read a second time as text.

Usage: python bench/read_csv.py [copies of Adult, default 1]   (1 copy = 32,561 rows, 15 columns)
"""

import io
import sys
import time

import pandas as pd

from anonymizer import load_adult
from anonymizer.data import read_table_bytes


def best_of(fn, repeats=3) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def main(copies: int) -> None:
    plain = pd.concat([load_adult("train")] * copies, ignore_index=True)
    typed = plain.assign(
        born=(pd.Timestamp("1950-01-01") + pd.to_timedelta(plain.index % 20000, "D")).strftime("%Y-%m-%d"),
        zip=(plain.index % 99999).astype(str).str.zfill(5))
    for label, table, sep in (("Adult", plain, ","), ("Adult + ISO dates + zips", typed, ","),
                              ("Adult + ISO dates + zips, semicolons", typed, ";")):
        content = table.to_csv(index=False, sep=sep).encode()
        before = best_of(lambda: pd.read_csv(io.BytesIO(content), sep=sep, skipinitialspace=True,  # noqa: B023
                                             index_col=False))
        ours = best_of(lambda: read_table_bytes(content, "csv"))  # noqa: B023
        print(f"{label}: {len(table):,} rows, {len(content) / 1e6:.1f} MB: pandas read_csv {before:.2f} s, "
              f"read_table_bytes {ours:.2f} s (x{ours / before:.1f})")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1)
