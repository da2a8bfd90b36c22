"""Command line: the engine for scripts, with a contract that other tools rely on.

    python -m anonymizer anonymize --data FILE --qi COL,COL --k N --out FILE [options]
    python -m anonymizer anonymize --engine dask --data DIR_OR_GLOB --qi COL,COL --k N --out DIR [options]
    python -m anonymizer evaluate --data FILE --target COL --qi COL,COL --k 10,50 --out FILE.json [options]
    python -m anonymizer suggest --data FILE

Bad input (an output that cannot be written included) ends with exit status 2 and one line on
stderr starting `error:` that says what is wrong: no traceback, no library log lines, every path
checked before any work, nothing written and nothing overwritten. Ctrl-C at any time ends with
exit status 130 and the one line `error: interrupted`.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import warnings
from pathlib import Path

from .analysis import Analysis
from .data import DataError, check_k, check_seed, read_table_bytes, table_format
from .export import csv_bytes
from .metrics import DEFAULT_RISK_THRESHOLD
from .models import load_model
from .names import FAMILIES, METHODS
from .results import json_ready
from .roles import Roles
from .scenario import (
    DEFAULT_ATTACKS,
    DEFAULT_FAMILY,
    DEFAULT_METHOD,
    DEFAULT_SEED,
    DP_DELTA,
    UTILITY_BUDGET,
    AttackSettings,
    Scenario,
    digest_bytes,
)
from .workers import limit_native_threads, set_workers

EXIT_BAD_INPUT = 2
EXIT_INTERNAL = 1
EXIT_INTERRUPTED = 130  # 128 + SIGINT, as shells report Ctrl-C
INTERRUPTED = "error: interrupted"


class _UsageError(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    """argparse that raises instead of printing usage and exiting, so errors stay one line."""

    def error(self, message):
        raise _UsageError(f"{message} (see --help)")


def _columns(text: str) -> list[str]:
    """Column names, comma separated; or a JSON list for names with commas or edge spaces: '["a, b", "c"]'."""
    if text.lstrip().startswith("["):
        try:
            cols = json.loads(text)
        except json.JSONDecodeError:
            cols = None
        if not (isinstance(cols, list) and cols and all(isinstance(c, str) for c in cols)):
            raise argparse.ArgumentTypeError(f"'{text}' is not a JSON list of column names")
        return cols
    cols = [c.strip() for c in text.split(",")]
    if not all(cols):
        raise argparse.ArgumentTypeError(f"empty column name in '{text}'; separate names with commas")
    return cols


def _rule_options(parser) -> None:
    """The release-rule flags of `anonymize` and `evaluate` (read by `_release_rules`)."""
    r = parser.add_argument_group("release rules", "hierarchies, local suppression, l-diversity and t-closeness "
                                              "(docs/design.md, 'Publishable releases')")
    r.add_argument("--hierarchy", action="append", default=[], metavar="COL=SPEC",
                   help="a QI's generalization hierarchy: prefix (postcodes: 02139 -> 0213* -> ...), "
                        "date:day|month|quarter|year|decade (the finest level released), bands:W (round width W, "
                        "then wider round bands), bands:E1,E2,... (your edges), or a taxonomy FILE.json / FILE.csv "
                        "(child,parent); repeat for more QIs")
    r.add_argument("--hierarchy-splits", choices=["boundary", "lift"],
                   help="boundary (default): the partitioning splits a hierarchy's QI only at node boundaries; "
                        "lift: it splits the values and each class is lifted to its lowest shared node")
    r.add_argument("--suppress", type=float, metavar="MAX_SHARE",
                   help="local suppression: suppress at most this share of records (e.g. 0.01) when that spares "
                        "their class a coarser generalization (default 0: off)")
    r.add_argument("--suppression", choices=["missing", "remove"],
                   help="suppressed records' QI cells set to missing (default) or the rows removed")
    r.add_argument("--l", type=int, help="l-diversity of --sensitive in every class, enforced")
    r.add_argument("--l-kind", choices=["distinct", "entropy"],
                   help="distinct (default: l distinct values) or entropy (exp(entropy) >= l)")
    r.add_argument("--t", type=float, help="t-closeness of --sensitive in every class, enforced (e.g. 0.2)")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="python -m anonymizer",
                     description="Anonymize the training data of a machine-learning model.")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    p = sub.add_parser("anonymize", help="k-anonymize a table (accuracy-guided or Mondrian)",
                       description="Generalize the quasi-identifiers of a table so that every "
                                   "combination of their values is shared by at least k rows.")
    p.add_argument("--data", required=True, type=Path, help="input table (.csv or .parquet)")
    p.add_argument("--qi", type=_columns, action="extend",
                   help='quasi-identifiers, comma separated (or a JSON list: \'["hours, weekly", "age"]\'; '
                        'given twice, both count); required unless --scenario gives them')
    p.add_argument("--k", type=int, help="minimum number of rows in every class (required unless --scenario)")
    p.add_argument("--out", required=True, type=Path,
                   help="anonymized table; .csv or .parquet, by extension")
    p.add_argument("--target", help="the column the model predicts (needed by --method ag)")
    p.add_argument("--method", choices=list(METHODS),
                   help="ag: accuracy-guided, led by a LightGBM model trained on --target "
                        "(default); mondrian: classic k-anonymity")
    p.add_argument("--sensitive", help="sensitive attribute: adds l-diversity and t-closeness")
    p.add_argument("--report", type=Path, help="write the metrics as one JSON object here")
    p.add_argument("--overwrite", action="store_true",
                   help="replace --out and --report files that exist (default: refuse them; a dask --out "
                        "folder is never replaced)")
    p.add_argument("--seed", type=int, help=f"seed of every random choice (default {DEFAULT_SEED})")
    p.add_argument("--tree-features", choices=["all", "qi"],
                   help="ag: the guiding tree sees only the QIs (default; more accurate on Adult) or all columns")
    p.add_argument("--output-form", choices=["representative", "generalized"],
                   help="QI cells as one real value per class (representative, default: for retraining) or as the "
                        "class's [lo, hi] range / {a, b} set (generalized: for release to people)")
    p.add_argument("--risk-threshold", type=float,
                   help="report the share of rows whose re-identification risk 1/|class| exceeds "
                        f"this (default {DEFAULT_RISK_THRESHOLD})")
    p.add_argument("--engine", choices=["memory", "dask"], default="memory",
                   help="memory: one table in RAM (default); dask: a folder or glob of Parquet files, "
                        "processed out of core, written as a folder of Parquet files")
    p.add_argument("--scheduler", help="dask: address of a running Dask scheduler (default: a local cluster)")
    _rule_options(p)
    _model_options(p)
    _role_options(p)
    _family_option(p)
    _common_options(p)
    p.set_defaults(func=run_anonymize)

    e = sub.add_parser("evaluate", help="what anonymization costs (accuracy) and buys (attacks), over k",
                       description="Split the data once, train or load the model, then for every method and "
                                   "k: anonymize the members, retrain, and measure accuracy, membership "
                                   "inference and attribute inference against the original model.")
    e.add_argument("--data", required=True, type=Path, help="the table (.csv or .parquet)")
    e.add_argument("--target", help="the column the model predicts (required unless --scenario gives it)")
    e.add_argument("--qi", type=_columns, action="extend",
                   help='quasi-identifiers, comma separated (or a JSON list: \'["hours, weekly", "age"]\'; '
                        'given twice, both count); required unless --scenario gives them')
    e.add_argument("--k", type=_ints, help="k values, comma separated, e.g. 10,50,100 (required unless --scenario)")
    e.add_argument("--out", required=True, type=Path, help="the results as one JSON object (.json)")
    e.add_argument("--overwrite", action="store_true", help="replace an --out file that exists (default: refuse)")
    e.add_argument("--method", type=_methods, help="methods, comma separated: ag, mondrian (default both)")
    e.add_argument("--sensitive", help="sensitive attribute for attribute inference")
    e.add_argument("--test", type=Path, help="held-out table for accuracy (required with --model)")
    e.add_argument("--seed", type=int, help=f"seed of every random choice (default {DEFAULT_SEED})")
    e.add_argument("--references", type=int,
                   help=f"reference models for shadow/LiRA/RMIA (default {DEFAULT_ATTACKS.n_reference})")
    e.add_argument("--repeats", type=int,
                   help=f"balanced evaluation draws per figure (default {DEFAULT_ATTACKS.n_repeats})")
    e.add_argument("--roc", action="store_true", help="include ROC curve points in the JSON")
    e.add_argument("--dp-epsilon", type=_floats,
                   help="also train DP-EBM (the differential-privacy comparator) at these epsilons, e.g. 0.5,1,2,4,8; "
                        "scored and attacked like the other models")
    e.add_argument("--dp-delta", type=float, help=f"delta of the DP models (default {DP_DELTA:g})")
    e.add_argument("--synthetic-epsilon", type=_floats, default=[],
                   help="also release DP synthetic data (MST) of the members at these epsilons, e.g. 1,4,16 (delta: "
                        "--dp-delta); the model retrained on it is scored and attacked like the others, and the "
                        "table's fidelity, copies and control-set risks are measured")
    e.add_argument("--no-release-attacks", action="store_true",
                   help="skip the attacks on the released table (linkage, singling-out, linkability, inference) "
                        "and the frontier on the release")
    e.add_argument("--sampling-fraction", type=float,
                   help="the table's share of its population, in (0, 1]: adds the population risks of each release")
    e.add_argument("--budget", type=float,
                   help="utility points you would give up, for the frontier's recommendation "
                        f"(default {UTILITY_BUDGET:g})")
    _rule_options(e)
    _model_options(e)
    _role_options(e)
    _family_option(e)
    _common_options(e)
    e.set_defaults(func=run_evaluate)

    a = sub.add_parser("audit", help="attack a released table: linkage, singling-out, linkability, inference",
                       description="Play the adversary who holds an identified table: link --auxiliary to the "
                                   "release and count who is named correctly; with --control, the singling-out, "
                                   "linkability and inference risks against people not released; with "
                                   "--sampling-fraction, the population risks. Writes one JSON object.")
    a.add_argument("--original", required=True, type=Path,
                   help="the table that was anonymized, with the identifier column, every released row in order")
    a.add_argument("--release", required=True, type=Path, help="the released table (either output form)")
    a.add_argument("--qi", required=True, type=_columns, action="extend", help="the quasi-identifiers")
    a.add_argument("--auxiliary", required=True, type=Path, help="the adversary's table: --id and the known columns")
    a.add_argument("--id", required=True, help="the identifier column of --original and --auxiliary")
    a.add_argument("--out", required=True, type=Path, help="the results as one JSON object (.json)")
    a.add_argument("--known", type=_columns, help="the columns the adversary knows (default: the QIs)")
    a.add_argument("--knowledge", choices=["exact", "coarsened", "noisy"], default="exact",
                   help="how well the adversary knows them (default exact)")
    a.add_argument("--control", type=Path, help="people of the same population who are not in the release")
    a.add_argument("--secret", help="the column the inference attack guesses (with --control)")
    a.add_argument("--sampling-fraction", type=float, help="the release's share of its population, in (0, 1]")
    a.add_argument("--seed", type=int, default=DEFAULT_SEED,
                   help=f"seed of every random choice (default {DEFAULT_SEED})")
    a.add_argument("--overwrite", action="store_true", help="replace an --out file that exists (default: refuse)")
    _encoding_option(a)
    a.set_defaults(func=run_audit)

    y = sub.add_parser("synthesize", help="write a differentially private synthetic table (MST)",
                       description="Measure the table's marginals with differential privacy (MST: every column, "
                                   "a tree of column pairs) and write a synthetic table with the same columns and "
                                   "dtypes. Without --schema, bounds and categories are read from the data, which "
                                   "spends privacy the epsilon does not count (said on stderr and in --report).")
    y.add_argument("--data", required=True, type=Path, help="the table (.csv or .parquet)")
    y.add_argument("--epsilon", required=True, type=float, help="the privacy budget epsilon (> 0)")
    y.add_argument("--out", required=True, type=Path, help="the synthetic table; .csv or .parquet, by extension")
    y.add_argument("--delta", type=float, default=DP_DELTA, help=f"delta (default {DP_DELTA:g})")
    y.add_argument("--seed", type=int, default=DEFAULT_SEED,
                   help=f"seed of the noise and the sampling (default {DEFAULT_SEED}; a release meant to be private "
                        "needs a secret, fresh seed)")
    y.add_argument("--rows", type=int, help="rows to write (default: as many as the data)")
    y.add_argument("--schema", type=Path,
                   help='public bounds and categories as JSON: {"age": [17, 90], "sex": ["Female", "Male"], '
                        '"date": ["2020-01-01", "2024-12-31"]}; columns it omits are read from the data')
    y.add_argument("--report", type=Path, help="write the budget, schema source, seed and fidelity as JSON here")
    y.add_argument("--overwrite", action="store_true", help="replace --out and --report files that exist")
    _encoding_option(y)
    y.set_defaults(func=run_synthesize)

    w = sub.add_parser("warm", help="compile the anonymization tree's loops now (once after an install)",
                       description="Compile (or load from numba's cache) the compiled loops of the accuracy-guided "
                                   "tree, so that no later run pays the compile. The setup commands run it.")
    w.set_defaults(func=run_warm)

    s = sub.add_parser("suggest", help="suggest roles for a table: target, task, QIs, identifiers, sensitive",
                       description="Read a table and print one JSON object with the suggested target and task, "
                                   "quasi-identifiers, direct identifiers to drop (with reasons), a sensitive "
                                   "attribute, and every column as read.")
    s.add_argument("--data", required=True, type=Path, help="the table (.csv or .parquet)")
    _encoding_option(s)
    s.set_defaults(func=run_suggest)
    return parser


def _model_options(p) -> None:
    p.add_argument("--model", type=Path,
                   help="a trained model: LightGBM text (.txt) or skops (.skops); default: train LightGBM")
    p.add_argument("--allow-pickle", action="store_true",
                   help="also accept pickle/joblib models. DANGER: loading one runs any code inside the "
                        "file; use only for files you made yourself")


def _family_option(p) -> None:
    p.add_argument("--model-family", choices=list(FAMILIES),
                   help="the default model when no --model is given: LightGBM (default), a full-depth random forest "
                        "(as often shipped; leaky) or logistic regression (ridge for a regression target)")


def _encoding_option(p) -> None:
    p.add_argument("--encoding", help="text encoding of a CSV table, e.g. cp1252, latin-1, utf-16 (default: UTF-8; "
                                      "a file in another encoding is refused with the likely one named)")


def _workers(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"--workers must be at least 1, got {value}")
    return value


def _common_options(p) -> None:
    _encoding_option(p)
    p.add_argument("--workers", type=_workers,
                   help="fits run side by side, each on one thread (default: ANONYMIZER_WORKERS, else the number "
                        "of cores); 1 keeps the run to one core, beside other jobs")
    p.add_argument("--scenario", type=Path,
                   help="replay a scenario: a scenario JSON, or any JSON this tool wrote (its 'scenario' entry). "
                        "It gives the roles, method, k, seed, model family and DP settings; options given here win. "
                        "--data must be the table it names (same digest)")


def _floats(text: str) -> list[float]:
    try:
        values = [float(v) for v in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a comma-separated list of numbers") from None
    if not all(v > 0 for v in values):
        raise argparse.ArgumentTypeError(f"epsilons must be positive, got '{text}'")
    return values


def _role_options(p) -> None:
    p.add_argument("--drop", type=_columns, default=[],
                   help="columns to drop before anything else (direct identifiers), comma separated")
    p.add_argument("--task", choices=["classification", "regression"],
                   help="what the target is (default: detected from its values; see `suggest`)")


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


def _check_outputs(outputs: dict[str, Path], inputs: list[Path], overwrite: bool = False) -> None:
    """Before any work: inputs exist, and every output is a new name (or, with `overwrite`, a file we may
    replace) we can write in its folder.

    `outputs` maps each option (like "--out") to its path. The folder is tried with a real
    temporary file, so a read-only disk, a missing permission or a pseudo-filesystem shows now.
    """
    for path in inputs:
        if not path.is_file():
            raise DataError(f"{path}: no such file" + (" (it is a folder)" if path.is_dir() else ""))
    seen: list[Path] = []
    for flag, path in outputs.items():
        if any(_same_file(p, path) for p in inputs):
            raise DataError(f"{flag} {path} is an input file; choose another name, inputs are never overwritten")
        if any(_same_file(p, path) for p in seen):
            raise DataError(f"{flag} {path} is also another output; give each output its own name")
        seen.append(path)
        if path.is_dir():
            raise DataError(f"{flag} {path} is a folder; give a file name")
        if path.exists() and not path.is_file():
            raise DataError(f"{flag} {path} is not a regular file; give a file name")
        if path.exists() and not overwrite:
            raise DataError(f"{flag} {path} exists; give a new name, or add --overwrite to replace it")
        folder = path.resolve().parent
        if not folder.is_dir():
            raise DataError(f"{path}: the folder {folder} does not exist")
        try:
            fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
            os.close(fd)
            os.remove(tmp)
        except OSError as exc:
            raise DataError(f"{flag} {path}: cannot write in {folder} ({exc.strerror or exc})") from None


def _check_paths(args) -> None:
    table_format(args.data)
    table_format(args.out)
    check_seed(args.seed)
    if args.report is not None and args.report.suffix.lower() != ".json":
        raise DataError(f"--report {args.report}: use a .json file name")
    outputs = {"--out": args.out, **({"--report": args.report} if args.report is not None else {})}
    _check_outputs(outputs, [p for p in (args.data, getattr(args, "model", None)) if p is not None],
                   args.overwrite)


def _write_content(tmp: str, path: Path, content) -> None:
    if isinstance(content, str):
        Path(tmp).write_text(content, encoding="utf-8")
    elif table_format(path) == "csv":
        Path(tmp).write_bytes(csv_bytes(content))
    else:
        content.to_parquet(tmp, index=False)


def _write_atomically(files: list[tuple[Path, object]]) -> None:
    """Write every file under a temporary name, then move all into place.

    On any failure, or Ctrl-C, every path holds what it held before (old files are kept as hard
    links, or copies, until all are in place) and no temporary file is left. A failure to write is
    a DataError naming the file. CSV is for people, so it is defused (see export.spreadsheet_safe).
    """
    temps: list[tuple[str, Path]] = []
    placed: list[tuple[Path, str | None]] = []
    path = None
    try:
        for path, content in files:
            fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.resolve().parent)
            os.close(fd)
            temps.append((tmp, path))
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600; outputs get the usual permissions
            _write_content(tmp, path, content)
        for tmp, path in temps:
            old = _keep_old(path)
            try:
                os.replace(tmp, path)
            except BaseException:
                if old is not None:
                    os.remove(old)
                raise
            placed.append((path, old))
    except BaseException as exc:
        for done, old in reversed(placed):
            if old is None:
                os.remove(done)
            else:
                os.replace(old, done)
        placed = []
        if isinstance(exc, OSError):
            raise DataError(f"could not write {path}: {exc.strerror or exc}") from None
        raise
    finally:
        for leftover in [tmp for tmp, _ in temps] + [old for _, old in placed if old is not None]:
            if os.path.exists(leftover):
                os.remove(leftover)


def _keep_old(path: Path) -> str | None:
    """A second name for the file at `path` (None if there is none), to put back if a later step fails."""
    if not path.exists():
        return None
    fd, keep = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".old", dir=path.resolve().parent)
    os.close(fd)
    os.remove(keep)
    try:
        os.link(path, keep)
    except OSError:
        shutil.copy2(path, keep)
    return keep


def _roles(args, table) -> Roles:
    """The roles named on the command line, checked against the table once."""
    return Roles(args.target, tuple(args.qi), args.sensitive, tuple(args.drop or ()), args.task).validate(table)


def _model(args):
    return load_model(args.model, args.allow_pickle) if args.model is not None else None


def _read(path: Path, encoding: str | None) -> tuple[object, str]:
    """(table, digest of the file's bytes): the digest names the table in every JSON and scenario."""
    fmt = table_format(path)
    if not path.is_file():
        raise DataError(f"{path}: no such file" + (" (it is a folder)" if path.is_dir() else ""))
    content = path.read_bytes()
    table = read_table_bytes(content, fmt, name=path.name, encoding=encoding)
    for note in table.attrs.get("reading_notes", []):
        print(f"note: {path.name}: {note}", file=sys.stderr)
    return table, digest_bytes(content)


def _apply_scenario(args, evaluate: bool) -> Scenario | None:
    """Fill every option left out from --scenario (options given on the command line win), then the defaults;
    refuse a --data whose digest is not the scenario's. Returns the scenario, or None without one."""
    scenario = None
    if args.scenario is not None:
        scenario = Scenario.read(args.scenario)
        fmt = table_format(args.data)
        if not args.data.is_file():
            raise DataError(f"{args.data}: no such file")
        content = args.data.read_bytes()
        frame = None
        if scenario.data.startswith("frame-"):  # made from a table held in Python: compare the table as read
            frame = read_table_bytes(content, fmt, name=args.data.name, encoding=args.encoding or scenario.encoding)
        scenario.check_data(digest_bytes(content), frame, f"--data {args.data}")
        r = scenario.roles
        filled = {"qi": list(r.quasi_identifiers) or None, "target": r.target, "sensitive": r.sensitive,
                  "drop": list(r.dropped), "task": r.task, "seed": scenario.seed, "model_family": scenario.model_family,
                  "encoding": scenario.encoding}
        if evaluate:
            filled.update(method=list(scenario.methods or (scenario.method,)), k=list(scenario.ks or (scenario.k,)),
                          dp_epsilon=list(scenario.epsilons), dp_delta=scenario.delta, budget=scenario.budget,
                          references=scenario.references, repeats=scenario.repeats)
        else:
            filled.update(method=scenario.method, k=scenario.k, output_form=scenario.output_form,
                          tree_features=scenario.tree_features, risk_threshold=scenario.risk_threshold)
        for name, value in filled.items():
            if getattr(args, name, None) in (None, []):
                setattr(args, name, value)
        args.scenario_rules = scenario.rules  # under the flags given (`_release_rules`)
    defaults = {"seed": DEFAULT_SEED, "model_family": DEFAULT_FAMILY, "drop": [],
                "method": list(METHODS) if evaluate else DEFAULT_METHOD}
    if evaluate:
        defaults.update(dp_epsilon=[], dp_delta=DP_DELTA, budget=UTILITY_BUDGET,
                        references=DEFAULT_ATTACKS.n_reference, repeats=DEFAULT_ATTACKS.n_repeats)
    else:
        defaults.update(output_form="representative", tree_features="qi", risk_threshold=DEFAULT_RISK_THRESHOLD)
    for name, value in defaults.items():
        if getattr(args, name, None) is None:
            setattr(args, name, value)
    missing = [flag for flag, name in (("--qi", "qi"), ("--k", "k")) + ((("--target", "target"),) if evaluate else ())
               if getattr(args, name) in (None, [])]
    if missing:
        raise DataError(f"{' and '.join(missing)} {'is' if len(missing) == 1 else 'are'} required (or give "
                        "--scenario FILE)")
    return scenario


def _scenario(analysis: Analysis, args, evaluate: bool) -> dict:
    """The scenario of this run, with everything it was given, for its JSON."""
    if evaluate:
        return analysis.scenario(args.method[0], args.k[0], args.dp_epsilon or (), args.dp_delta,
                                 encoding=args.encoding, ks=tuple(args.k), methods=tuple(args.method),
                                 references=args.references, repeats=args.repeats, budget=args.budget).to_dict()
    return analysis.scenario(args.method, args.k, encoding=args.encoding, output_form=args.output_form).to_dict()


def _dumps(report: dict, indent: int = 2) -> str:
    """Strict JSON: missing figures are null, never NaN (which strict parsers refuse)."""
    return json.dumps(json_ready(report), indent=indent, allow_nan=False)


def _warnings(analysis: Analysis, anonymization=None, k: int | None = None) -> list[str]:
    """The `warning:` lines of a run: target leaks, attribute disclosure, and the leak verdict at k."""
    lines = []
    check = analysis.target_leaks
    if check is not None:
        lines += [message + ("; drop it (--drop)" if f.level == "leak" else "")
                  for f, message in zip(check.findings, check.messages())]
    if anonymization is not None:
        disclosure = anonymization.metrics.disclosure_reading()
        if disclosure:
            lines.append(disclosure + " A larger k, or a coarser sensitive attribute, is needed")
        verdict = anonymization.leaks.verdict(k)
        lines += [f"{line.rstrip('.')}; make it a QI (--qi) or drop it (--drop)" for line in verdict.findings]
        if verdict.weak:
            lines.append(f"{verdict.weak_line.rstrip('.')}; make such a column a QI (--qi) if an attacker may know it")
    return lines


_RULE_FLAGS = (("--hierarchy", "hierarchy"), ("--hierarchy-splits", "hierarchy_splits"), ("--suppress", "suppress"),
               ("--suppression", "suppression"), ("--l", "l"), ("--l-kind", "l_kind"), ("--t", "t"))


def _release_rules(args):
    """The release rules of the command line (`constraints.ReleaseRules`) over those of --scenario (a flag given
    replaces the scenario's value; a --hierarchy replaces the scenario's hierarchy of that column); one line for
    a malformed one."""
    from dataclasses import replace

    from .constraints import NO_RULES
    from .hierarchies import parse_hierarchy

    base = getattr(args, "scenario_rules", None) or NO_RULES
    hierarchies = dict(base.hierarchies)
    for item in args.hierarchy:
        column, sep, spec = item.partition("=")
        if not sep or not column.strip() or not spec.strip():
            raise DataError(f"--hierarchy takes COL=SPEC (e.g. zip=prefix, age=bands:5), got '{item}'")
        hierarchies[column.strip()] = parse_hierarchy(spec)
    if (args.l is not None or args.t is not None) and not args.sensitive:
        raise DataError("--l and --t constrain the sensitive attribute; name it with --sensitive")
    if args.l_kind is not None and args.l is None and base.l is None:
        raise DataError("--l-kind needs --l")
    if args.suppression is not None and not (args.suppress or base.max_suppression):
        raise DataError("--suppression needs --suppress MAX_SHARE")
    if args.hierarchy_splits is not None and not hierarchies:
        raise DataError("--hierarchy-splits needs a --hierarchy")
    given = {"hierarchy_splits": args.hierarchy_splits, "max_suppression": args.suppress,
             "suppression": args.suppression, "l": args.l, "l_kind": args.l_kind, "t": args.t}
    return replace(base, hierarchies=tuple(hierarchies.items()),
                   **{name: value for name, value in given.items() if value is not None})


def run_anonymize(args) -> int:
    if args.engine == "dask":
        rule_flags = [flag for flag, name in _RULE_FLAGS if getattr(args, name) not in (None, [], 0.0)]
        if rule_flags:
            raise DataError(f"{', '.join(rule_flags)} not available with --engine dask yet; use the in-memory "
                            "engine for hierarchies, suppression, l and t")
        if args.scenario is not None:
            raise DataError("--scenario is not available with --engine dask yet; give the options")
        if args.encoding is not None:
            raise DataError("--encoding is for CSV tables; the dask engine reads Parquet")
        generalized = args.output_form not in (None, "representative")
        unsupported = [flag for flag, used in (("--drop", args.drop), ("--task", args.task),
                                               ("--output-form generalized", generalized),
                                               ("--model-family", args.model_family not in (None, "lightgbm")))
                       if used]
        if unsupported:  # refused rather than silently ignored
            raise DataError(f"{', '.join(unsupported)} not available with --engine dask yet; drop the columns from "
                            "the Parquet files first, or use the in-memory engine")
        _apply_scenario(args, evaluate=False)
        from .dask_engine import run_cli

        return run_cli(args)
    if args.scheduler:
        raise DataError("--scheduler needs --engine dask")
    _apply_scenario(args, evaluate=False)
    _check_paths(args)
    if args.method == "ag" and not args.target:
        raise DataError("--method ag needs --target: the default model is trained on it to guide "
                        "the anonymization (or use --method mondrian)")
    if not 0 <= args.risk_threshold <= 1:
        raise DataError(f"--risk-threshold must be between 0 and 1, got {args.risk_threshold}")
    if args.model is not None and args.method != "ag":
        raise DataError("--model guides the accuracy-guided method; drop it or use --method ag")
    rules = _release_rules(args)
    model = _model(args)
    table, digest = _read(args.data, args.encoding)
    analysis = Analysis(table, _roles(args, table), seed=args.seed, model=model, name=args.data.name,
                        model_name=args.model.name if args.model else None, tree_features=args.tree_features,
                        risk_threshold=args.risk_threshold, model_family=args.model_family, digest=digest,
                        model_digest=digest_bytes(args.model.read_bytes()) if args.model else None, rules=rules)
    analysis.check_k(args.k)
    anonymization = analysis.anonymize(args.method, args.k)
    metrics, result = anonymization.metrics, anonymization.result
    check = analysis.target_leaks
    report = {"method": args.method, "seed": args.seed, "quasi_identifiers": args.qi, "target": args.target,
              "task": analysis.task, "dropped": list(args.drop or []), "measured_on": anonymization.measured_on,
              **metrics.to_dict(), **anonymization.leaks.to_dict(),
              "target_leaks": check.to_dict() if check is not None else [],
              "output_form": args.output_form, "seconds": round(result.seconds, 4),
              "release_rules": rules.to_dict(), "scenario": _scenario(analysis, args, evaluate=False)}
    files = [(args.out, anonymization.output(args.output_form))]
    if args.report is not None:
        files.append((args.report, _dumps(report)))
    _write_atomically(files)
    print(f"wrote {args.out}: {metrics.n_rows} rows in {metrics.n_classes} classes, "
          f"k achieved {metrics.k_achieved}, GCP {metrics.gcp:.3f}, {result.seconds:.2f} s "
          f"({args.method}, seed {args.seed})")
    if rules.active:
        print(f"rules: {rules.describe()}; " + _rules_achieved(metrics))
    for line in metrics.rule_notes:
        print(f"warning: {line}", file=sys.stderr)
    for line in _warnings(analysis, anonymization, args.k):
        print(f"warning: {line}", file=sys.stderr)
    return 0


def _rules_achieved(metrics) -> str:
    """What the rules achieved, in one line: suppression, l and t measured on the release, levels reached."""
    parts = []
    if metrics.suppression is not None:
        what = "rows removed" if metrics.suppression == "remove" else "QI cells set to missing"
        parts.append(f"{metrics.suppressed_rows:,} records suppressed ({metrics.suppressed_share:.2%}, {what})")
    if metrics.l_required is not None and metrics.l_distinct is not None:
        achieved = metrics.l_distinct if metrics.l_kind == "distinct" else round(metrics.l_entropy, 2)
        parts.append(f"{metrics.l_kind} l achieved {achieved} (required {metrics.l_required})")
    if metrics.t_required is not None and metrics.t_closeness is not None:
        parts.append(f"t achieved {metrics.t_closeness:.3f} (required {metrics.t_required:g})")
    for q, levels in metrics.hierarchy_levels.items():
        reached = {name: n for name, n in levels["records_by_level"].items() if n}
        parts.append(f"'{q}' released at " + ", ".join(f"{name} ({n:,})" for name, n in reached.items()))
    return "; ".join(parts)


def run_evaluate(args) -> int:
    table_format(args.data)
    if args.out.suffix.lower() != ".json":
        raise DataError(f"--out {args.out}: use a .json file name")
    _apply_scenario(args, evaluate=True)
    _check_outputs({"--out": args.out}, [p for p in (args.data, args.test, args.model, args.scenario)
                                         if p is not None], args.overwrite)
    check_seed(args.seed)
    if args.references < 1 or args.repeats < 1:
        raise DataError("--references and --repeats must be at least 1")
    if not 0 < args.dp_delta < 1:
        raise DataError(f"--dp-delta must be between 0 and 1, got {args.dp_delta}")
    if args.sampling_fraction is not None and not 0 < args.sampling_fraction <= 1:
        raise DataError(f"--sampling-fraction must be in (0, 1], got {args.sampling_fraction:g}")
    if args.sampling_fraction is not None and args.no_release_attacks:
        raise DataError("--sampling-fraction is for the release attacks, which --no-release-attacks skips")
    if not (args.budget >= 0):
        raise DataError(f"--budget must be a non-negative number of points, got {args.budget}")
    for k in args.k:  # before any work: k is checked against the table once it is read, then against the split
        if k < 1:
            raise DataError(f"k must be at least 1, got {k}")
    rules = _release_rules(args)
    model = _model(args)
    table, digest = _read(args.data, args.encoding)
    test, test_digest = _read(args.test, args.encoding) if args.test is not None else (None, None)
    settings = AttackSettings(n_reference=args.references, n_repeats=args.repeats)
    analysis = Analysis(table, _roles(args, table), seed=args.seed, model=model, test=test, name=args.data.name,
                        model_name=args.model.name if args.model else None, attack_settings=settings,
                        model_family=args.model_family, digest=digest, test_digest=test_digest,
                        model_digest=digest_bytes(args.model.read_bytes()) if args.model else None, rules=rules)
    if rules.active:
        print(f"rules: {rules.describe()} (every anonymization run and release below is under them)", file=sys.stderr)
    for k in args.k:
        check_k(k, len(analysis.table))
    if args.sensitive is not None:  # before any model is trained
        from .attacks import check_inferable

        values = analysis.table[args.sensitive]
        check_inferable(args.sensitive, int(values.nunique()) + int(values.isna().any()))
    for line in _warnings(analysis):
        print(f"warning: {line}", file=sys.stderr)
    sim = analysis.simulation
    for k in args.k:
        check_k(k, len(sim.split.members), sim.split.members_text)
    print(f"prepared in {sum(sim.seconds.values()):.1f} s: split and model (seed {args.seed}, task {analysis.task})",
          file=sys.stderr)

    def progress(done, total, label):
        print(f"[{done}/{total}] {label} done", file=sys.stderr)

    runs = sim.sweep(args.k, args.method, progress)
    dp_runs = []
    for i, eps in enumerate(args.dp_epsilon, start=1):
        dp_runs.append(sim.dp_run(eps, args.dp_delta))
        print(f"[dp {i}/{len(args.dp_epsilon)}] epsilon={eps:g} done", file=sys.stderr)
    synthetic = list(args.synthetic_epsilon or [])
    synthetic_runs = []
    for i, eps in enumerate(synthetic, start=1):
        synthetic_runs.append(sim.synthetic_run(eps, args.dp_delta))
        print(f"[synthetic {i}/{len(synthetic)}] epsilon={eps:g} done", file=sys.stderr)
    report = sim.report(runs, with_roc=args.roc, dp_runs=dp_runs, synthetic_runs=synthetic_runs)
    frontier = sim.frontier(args.k, args.method, args.dp_epsilon, args.dp_delta, synthetic=synthetic)
    report["frontier"] = frontier.to_dict(args.budget)
    if not args.no_release_attacks:
        report["release"] = sim.release_report(runs, args.sampling_fraction)
        print(f"[release] {len(report['release'])} releases attacked", file=sys.stderr)
        report["release_frontier"] = sim.frontier(args.k, args.method, args.dp_epsilon, args.dp_delta,
                                                  privacy="release", synthetic=synthetic).to_dict(args.budget)
    report["settings"]["rows_without_target"] = analysis.n_without_target
    report["target_leaks"] = analysis.target_leaks.to_dict()
    report["scenario"] = _scenario(analysis, args, evaluate=True)
    _write_atomically([(args.out, _dumps(report, indent=1))])
    original = sim.original_utility
    leaked = analysis.target_leaks.leaks
    caution = (f"; a column gives the target away ({', '.join(f.column for f in leaked)}): these figures mostly "
               "measure it" if leaked else "")
    print(f"wrote {args.out}: original model {original.describe()}, {len(runs)} runs "
          f"({','.join(args.method)} at k={','.join(map(str, args.k))}){caution}")
    from .charts import reading_frontier

    print(reading_frontier(frontier.recommend(args.budget), frontier.utility_name))
    return 0


def run_synthesize(args) -> int:
    from .synthetic import schema_with, synthesize

    table_format(args.data)
    table_format(args.out)
    check_seed(args.seed)
    outputs = {"--out": args.out} | ({"--report": args.report} if args.report is not None else {})
    if args.report is not None and args.report.suffix.lower() != ".json":
        raise DataError(f"--report {args.report}: use a .json file name")
    _check_outputs(outputs, [p for p in (args.data, args.schema) if p is not None], args.overwrite)
    if args.rows is not None and args.rows < 0:
        raise DataError(f"--rows must be at least 0, got {args.rows}")
    table, digest = _read(args.data, args.encoding)
    given = _read_json(args.schema, "--schema") if args.schema is not None else None
    schema = schema_with(table, given)
    synthetic, model = synthesize(table, args.epsilon, args.delta, schema, args.seed, args.rows)
    budget = model.budget_.to_dict()
    from .synthetic import fidelity

    report = {"data": args.data.name, "digest": digest, "method": "MST", "epsilon": args.epsilon,
              "delta": args.delta, "seed": args.seed, "rows": len(synthetic), "budget": budget,
              "schema": {d.name: d.describe() for d in model.domains_},
              "fidelity": fidelity(table, synthetic, model.domains_), "seconds": round(model.seconds_, 3)}
    files = [(args.out, synthetic)] + ([(args.report, _dumps(report))] if args.report is not None else [])
    _write_atomically(files)
    if budget["not_counted"]:
        print(f"warning: {budget['not_counted']}", file=sys.stderr)
    print(f"wrote {args.out}: {len(synthetic):,} synthetic rows, {synthetic.shape[1]} columns (MST, epsilon "
          f"{args.epsilon:g}, delta {args.delta:g}, seed {args.seed}; 1-way TVD {report['fidelity']['tvd_1way']:.3f}"
          + (f", 2-way TVD {report['fidelity']['tvd_2way']:.3f}" if report["fidelity"]["tvd_2way"] is not None else "")
          + f"; {model.seconds_:.1f} s)")
    return 0


def _read_json(path: Path, flag: str):
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise DataError(f"{flag} {path.name}: not a JSON file ({str(exc).splitlines()[0]})") from None


def run_warm(args) -> int:
    from .trees import warm_up

    print(f"the tree's compiled loops are ready ({warm_up():.2f} s)")
    return 0


def run_audit(args) -> int:
    from .release_attacks import Knowledge, audit

    check_seed(args.seed)
    if args.out.suffix.lower() != ".json":
        raise DataError(f"--out {args.out}: use a .json file name")
    inputs = [p for p in (args.original, args.release, args.auxiliary, args.control) if p is not None]
    for p in inputs:
        table_format(p)
    _check_outputs({"--out": args.out}, inputs, args.overwrite)
    original, _ = _read(args.original, args.encoding)
    release, _ = _read(args.release, args.encoding)
    auxiliary, _ = _read(args.auxiliary, args.encoding)
    control = _read(args.control, args.encoding)[0] if args.control is not None else None
    if args.secret is not None and control is None:
        raise DataError("--secret is the inference attack's, which needs --control")
    result = audit(original, release, args.qi, auxiliary, args.id, known=args.known, control=control,
                   secret=args.secret, sampling_fraction=args.sampling_fraction,
                   knowledge=Knowledge(args.knowledge), seed=args.seed)
    _write_atomically([(args.out, _dumps(json_ready(result), indent=2))])
    link = result["linkage"]
    from .display import share_with_interval

    share = share_with_interval(link["reidentified_share"], link["reidentified_share_ci"], 1)
    print(f"wrote {args.out}: {link['correct']} of {link['targets_in_release']} targets in the release named "
          f"correctly ({share}), {link['claims']} claims of {link['targets']} targets; class-size baseline "
          f"{link['baseline_share']:.1%} ({args.knowledge} knowledge of {', '.join(link['known'])}, seed {args.seed})"
          if link["baseline_share"] is not None else f"wrote {args.out}: no target is in the release")
    for column, n in link.get("unreadable_cells", {}).items():
        print(f"warning: {n:,} released cells of '{column}' hold no value of the original column (hierarchy nodes "
              "such as 021** or 2018?); the linkage matches them to no one, so it understates the risk",
              file=sys.stderr)
    return 0


def run_suggest(args) -> int:
    from .suggest import suggest

    table, _ = _read(args.data, args.encoding)
    print(_dumps(suggest(table).to_dict(), indent=1))
    return 0


def _quiet_libraries() -> None:
    """Only our own lines on stderr: LightGBM's log lines and library warnings would come before `error:`.

    LightGBM's logger is process-wide: once the CLI ran, this process no longer prints LightGBM's logs.
    """
    import logging

    import lightgbm

    quiet = logging.getLogger("anonymizer.cli.lightgbm")
    quiet.addHandler(logging.NullHandler())
    quiet.propagate = False
    lightgbm.register_logger(quiet)
    warnings.simplefilter("ignore")


def main(argv: list[str] | None = None) -> int:
    """Run one command; returns the exit status: 0 done, 1 a bug of ours, 2 bad input, 130 Ctrl-C."""
    debug = bool(os.environ.get("ANONYMIZER_DEBUG"))
    try:
        with warnings.catch_warnings():
            if not debug:
                _quiet_libraries()
            args = build_parser().parse_args(argv)
            if getattr(args, "workers", None) is not None:
                set_workers(args.workers)
            limit_native_threads()
            if args.command in ("anonymize", "evaluate"):  # the tree's loops load while the table is read
                from .trees import start_warm_up

                start_warm_up()
            return args.func(args)
    except (_UsageError, DataError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print(INTERRUPTED, file=sys.stderr)
        return EXIT_INTERRUPTED
    except Exception as exc:  # a bug of ours: still one line, with a way to see more
        if debug:
            raise
        print(f"error: unexpected {type(exc).__name__}: {exc} (set ANONYMIZER_DEBUG=1 for details)",
              file=sys.stderr)
        return EXIT_INTERNAL
