"""Command line: the engine for scripts, with a contract that other tools rely on.

    python -m anonymizer anonymize --data FILE --qi COL,COL --k N --out FILE [options]
    python -m anonymizer anonymize --engine dask --data DIR_OR_GLOB --qi COL,COL --k N --out DIR [options]
    python -m anonymizer evaluate --data FILE --target COL --qi COL,COL --k 10,50 --out FILE.json [options]

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

from .anonymize import anonymize_table
from .data import DataError, check_k, check_seed, read_table, table_format, validate_roles
from .metrics import DEFAULT_RISK_THRESHOLD, privacy_metrics
from .models import DEFAULT_SEED, check_model, load_model, model_features, train_default_model

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
    p.add_argument("--engine", choices=["memory", "dask"], default="memory",
                   help="memory: one table in RAM (default); dask: a folder or glob of Parquet files, "
                        "processed out of core, written as a folder of Parquet files")
    p.add_argument("--scheduler", help="dask: address of a running Dask scheduler (default: a local cluster)")
    _model_options(p)
    p.set_defaults(func=run_anonymize)

    e = sub.add_parser("evaluate", help="what anonymization costs (accuracy) and buys (attacks), over k",
                       description="Split the data once, train or load the model, then for every method and "
                                   "k: anonymize the members, retrain, and measure accuracy, membership "
                                   "inference and attribute inference against the original model.")
    e.add_argument("--data", required=True, type=Path, help="the table (.csv or .parquet)")
    e.add_argument("--target", required=True, help="the column the model predicts")
    e.add_argument("--qi", required=True, type=_columns, help="quasi-identifiers, comma separated")
    e.add_argument("--k", required=True, type=_ints, help="k values, comma separated, e.g. 10,50,100")
    e.add_argument("--out", required=True, type=Path, help="the results as one JSON object (.json)")
    e.add_argument("--method", type=_methods, default=["ag", "mondrian"],
                   help="methods, comma separated: ag, mondrian (default both)")
    e.add_argument("--sensitive", help="sensitive attribute for attribute inference")
    e.add_argument("--test", type=Path, help="held-out table for accuracy (required with --model)")
    e.add_argument("--seed", type=int, default=DEFAULT_SEED, help="seed of every random choice (default 0)")
    e.add_argument("--references", type=int, default=8, help="reference models for shadow/LiRA (default 8)")
    e.add_argument("--repeats", type=int, default=3, help="balanced evaluation draws per figure (default 3)")
    e.add_argument("--roc", action="store_true", help="include ROC curve points in the JSON")
    _model_options(e)
    e.set_defaults(func=run_evaluate)
    return parser


def _model_options(p) -> None:
    p.add_argument("--model", type=Path,
                   help="a trained model: LightGBM text (.txt) or skops (.skops); default: train LightGBM")
    p.add_argument("--allow-pickle", action="store_true",
                   help="also accept pickle/joblib models. DANGER: loading one runs any code inside the "
                        "file; use only for files you made yourself")


def _ints(text: str) -> list[int]:
    try:
        values = [int(v) for v in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a comma-separated list of whole numbers") from None
    return values


def _methods(text: str) -> list[str]:
    methods = [m.strip() for m in text.split(",")]
    bad = [m for m in methods if m not in ("ag", "mondrian")]
    if bad or not methods:
        raise argparse.ArgumentTypeError(f"unknown method(s) {bad}; use ag, mondrian or ag,mondrian")
    return methods


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
    check_seed(args.seed)
    inputs = [p for p in (args.data, getattr(args, "model", None)) if p is not None]
    if any(_same_file(p, args.out) for p in inputs):
        raise DataError(f"--out {args.out} is an input file; choose another name, inputs are never overwritten")
    if args.out.is_dir():
        raise DataError(f"--out {args.out} is a folder; give a file name")
    if args.report is not None:
        if args.report.suffix.lower() != ".json":
            raise DataError(f"--report {args.report}: use a .json file name")
        if any(_same_file(args.report, p) for p in [*inputs, args.out]):
            raise DataError("--report must differ from --data, --model and --out")
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
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600; outputs get the usual permissions
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
    if args.engine == "dask":
        from .dask_engine import run_cli

        return run_cli(args)
    if args.scheduler:
        raise DataError("--scheduler needs --engine dask")
    _check_paths(args)
    if args.method == "ag" and not args.target:
        raise DataError("--method ag needs --target: the default model is trained on it to guide "
                        "the anonymization (or use --method mondrian)")
    if not 0 <= args.risk_threshold <= 1:
        raise DataError(f"--risk-threshold must be between 0 and 1, got {args.risk_threshold}")
    table = read_table(args.data)
    validate_roles(table, args.qi, args.target, args.sensitive)
    check_k(args.k, len(table))
    if args.model is not None and args.method != "ag":
        raise DataError("--model guides the accuracy-guided method; drop it or use --method ag")
    guide = None
    if args.method == "ag":
        features = table.drop(columns=[args.target])
        if args.model is not None:
            model = check_model(load_model(args.model, args.allow_pickle), features, table[args.target])
            guide = model.predict(features[model_features(model, features)])
        else:
            guide = train_default_model(features, table[args.target], args.seed).predict(features)
    result = anonymize_table(table, args.qi, args.k, args.method, args.target, guide, args.seed, args.tree_features)
    out = result.data
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


def run_evaluate(args) -> int:
    from .experiment import Experiment, ExperimentConfig

    table_format(args.data)
    if args.out.suffix.lower() != ".json":
        raise DataError(f"--out {args.out}: use a .json file name")
    for path in filter(None, (args.data, args.test, args.model)):
        if _same_file(path, args.out):
            raise DataError(f"--out {args.out} is an input file; choose another name")
    if not args.out.resolve().parent.is_dir():
        raise DataError(f"{args.out}: the folder {args.out.resolve().parent} does not exist")
    if args.out.is_dir():
        raise DataError(f"--out {args.out} is a folder; give a file name")
    check_seed(args.seed)
    if args.references < 1 or args.repeats < 1:
        raise DataError("--references and --repeats must be at least 1")
    model = load_model(args.model, args.allow_pickle) if args.model is not None else None
    table = read_table(args.data)
    test = read_table(args.test) if args.test is not None else None
    config = ExperimentConfig(args.target, args.qi, args.sensitive, args.seed, n_reference=args.references,
                              n_repeats=args.repeats)
    experiment = Experiment(table, config, test=test, model=model, ks=args.k)
    print(f"prepared in {experiment.seconds['total']:.1f} s: split, model, reference models (seed {args.seed})",
          file=sys.stderr)

    def progress(done, total, label):
        print(f"[{done}/{total}] {label} done", file=sys.stderr)

    runs = experiment.sweep(args.k, args.method, progress)
    _write_atomically([(args.out, json.dumps(experiment.report(runs, with_roc=args.roc), indent=1))])
    original = experiment.original_evaluation
    print(f"wrote {args.out}: original accuracy {original.accuracy:.4f}, "
          f"{len(runs)} runs ({','.join(args.method)} at k={','.join(map(str, args.k))})")
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

