"""Command line: the engine for scripts, with a contract that other tools rely on.

    python -m anonymizer anonymize --data FILE --qi COL,COL --k N --out FILE [options]

Bad input ends with exit status 2 and one line on stderr starting `error:` that says what is
wrong; no traceback, no output file left behind, and the input file is never overwritten.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

from .anonymize import anonymizer_for
from .data import DataError, check_k, read_table, table_format, validate_roles
from .metrics import DEFAULT_RISK_THRESHOLD, privacy_metrics
from .models import DEFAULT_SEED, train_default_model

EXIT_BAD_INPUT = 2
EXIT_INTERNAL = 1


class _UsageError(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    """argparse that raises instead of printing usage and exiting, so errors stay one line."""

    def error(self, message):
        raise _UsageError(f"{message} (see --help)")


def _columns(text: str) -> list[str]:
    cols = [c.strip() for c in text.split(",")]
    if not all(cols):
        raise argparse.ArgumentTypeError(f"empty column name in '{text}'; separate names with commas")
    return cols


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="python -m anonymizer",
                     description="Anonymize the training data of a machine-learning model.")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    p = sub.add_parser("anonymize", help="k-anonymize a table (accuracy-guided or Mondrian)",
                       description="Generalize the quasi-identifiers of a table so that every "
                                   "combination of their values is shared by at least k rows.")
    p.add_argument("--data", required=True, type=Path, help="input table (.csv or .parquet)")
    p.add_argument("--qi", required=True, type=_columns, help="quasi-identifiers, comma separated")
    p.add_argument("--k", required=True, type=int, help="minimum number of rows in every class")
    p.add_argument("--out", required=True, type=Path,
                   help="anonymized table; .csv or .parquet, by extension")
    p.add_argument("--target", help="the column the model predicts (needed by --method ag)")
    p.add_argument("--method", choices=["ag", "mondrian"], default="ag",
                   help="ag: accuracy-guided, led by a LightGBM model trained on --target "
                        "(default); mondrian: classic k-anonymity")
    p.add_argument("--sensitive", help="sensitive attribute: adds l-diversity and t-closeness")
    p.add_argument("--report", type=Path, help="write the metrics as one JSON object here")
    p.add_argument("--seed", type=int, default=DEFAULT_SEED, help="seed of every random choice (default 0)")
    p.add_argument("--tree-features", choices=["all", "qi"], default="qi",
                   help="ag: the guiding tree sees only the QIs (default; more accurate on Adult) or all columns")
    p.add_argument("--risk-threshold", type=float, default=DEFAULT_RISK_THRESHOLD,
                   help="report the share of rows whose re-identification risk 1/|class| exceeds "
                        f"this (default {DEFAULT_RISK_THRESHOLD})")
    p.set_defaults(func=run_anonymize)
    return parser


def _same_file(a: Path, b: Path) -> bool:
    try:
        if a.exists() and b.exists():
            return os.path.samefile(a, b)
    except OSError:
        pass
    return a.resolve() == b.resolve()


def _check_paths(args) -> None:
    table_format(args.data)
    table_format(args.out)
    if _same_file(args.data, args.out):
        raise DataError(f"--out {args.out} is the input file; choose another name, the input is never overwritten")
    if args.report is not None:
        if args.report.suffix.lower() != ".json":
            raise DataError(f"--report {args.report}: use a .json file name")
        if _same_file(args.report, args.data) or _same_file(args.report, args.out):
            raise DataError("--report must differ from --data and --out")
    for path in filter(None, (args.out, args.report)):
        if not path.resolve().parent.is_dir():
            raise DataError(f"{path}: the folder {path.resolve().parent} does not exist")


def _write_atomically(frames: list[tuple[Path, object]]) -> None:
    """Write every file to a temporary name, then move all into place; on failure write none."""
    temps = []
    try:
        for path, content in frames:
            fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.resolve().parent)
            os.close(fd)
            temps.append((tmp, path))
            if isinstance(content, str):
                Path(tmp).write_text(content, encoding="utf-8")
            elif table_format(path) == "csv":
                content.to_csv(tmp, index=False)
            else:
                content.to_parquet(tmp, index=False)
        for tmp, path in temps:
            os.replace(tmp, path)
    finally:
        for tmp, _ in temps:
            if os.path.exists(tmp):
                os.remove(tmp)


def run_anonymize(args) -> int:
    _check_paths(args)
    if args.method == "ag" and not args.target:
        raise DataError("--method ag needs --target: the default model is trained on it to guide "
                        "the anonymization (or use --method mondrian)")
    if not 0 <= args.risk_threshold <= 1:
        raise DataError(f"--risk-threshold must be between 0 and 1, got {args.risk_threshold}")
    table = read_table(args.data)
    validate_roles(table, args.qi, args.target, args.sensitive)
    check_k(args.k, len(table))
    anonymizer = anonymizer_for(args.method, args.k, args.qi, args.seed, args.tree_features)
    if args.method == "ag":
        features = table.drop(columns=[args.target])
        model = train_default_model(features, table[args.target], args.seed)
        anonymizer.fit(features, model.predict(features))
    else:
        anonymizer.fit(table)
    result = anonymizer.result_
    out = table.copy()
    out[args.qi] = result.data[args.qi]
    metrics = privacy_metrics(out, args.qi, k=args.k, original=table, sensitive=args.sensitive,
                              risk_threshold=args.risk_threshold)
    report = {"method": args.method, "seed": args.seed, "quasi_identifiers": args.qi,
              "target": args.target, **metrics.to_dict(), "seconds": round(result.seconds, 4)}
    files = [(args.out, out)]
    if args.report is not None:
        files.append((args.report, json.dumps(report, indent=2)))
    _write_atomically(files)
    print(f"wrote {args.out}: {metrics.n_rows} rows in {metrics.n_classes} classes, "
          f"k achieved {metrics.k_achieved}, GCP {metrics.gcp:.3f}, {result.seconds:.2f} s "
          f"({args.method}, seed {args.seed})")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
        return args.func(args)
    except (_UsageError, DataError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return EXIT_INTERNAL
    except Exception as exc:  # a bug of ours: still one line, with a way to see more
        if os.environ.get("ANONYMIZER_DEBUG"):
            raise
        print(f"error: unexpected {type(exc).__name__}: {exc} (set ANONYMIZER_DEBUG=1 for details)",
              file=sys.stderr)
        return EXIT_INTERNAL

