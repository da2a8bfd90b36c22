"""One analysis, described: which table (a digest of its content), the roles, the method and k, the seed,
the model family and the DP settings, and the defaults of each.

A `Scenario` is written into every JSON the CLI writes and into the HTML report; `--scenario FILE` replays
it from the command line (the table given with `--data` must have the digest it names), and the dashboard
carries it in its URL so that a link reopens the same analysis (docs/design.md, "Scenario").
The defaults here are the only place the tool's default settings are written.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field, replace
from pathlib import Path

import pandas as pd

from .data import DataError, check_seed
from .names import FAMILIES, METHODS, TASKS
from .roles import Roles

DEFAULT_METHOD = "ag"
DEFAULT_K = 10
DEFAULT_SEED = 0
DEFAULT_FAMILY = "lightgbm"
DP_EPSILONS = (0.5, 1.0, 2.0, 4.0, 8.0)  # the DP comparator's epsilons
DP_DELTA = 1e-5
SYNTHETIC_EPSILONS = (1.0, 4.0, 16.0)  # DP synthetic data (MST) on the frontier
SWEEP_KS = (5, 10, 25, 50, 100, 250, 500, 1000)  # the Utility page's sweep
FRONTIER_KS = (10, 50, 100, 500, 1000)  # the Attacks page's sweep and the frontier's k values
UTILITY_BUDGET = 1.0  # points of utility the analyst would give up, for the frontier's recommendation
VERSION = 1


@dataclass(frozen=True)
class AttackSettings:
    """How strong and how repeated the simulated attacker is; every draw derives from the seed."""

    n_reference: int = 8  # reference models for the shadow attack, LiRA and RMIA
    n_repeats: int = 3  # balanced evaluation draws behind each membership figure
    attribute_rows: int = 4000  # cap on pool rows and on members/non-members for attribute inference


DEFAULT_ATTACKS = AttackSettings()


def digest_bytes(content: bytes) -> str:
    """The digest that names a table (or model) file: the first 16 hex digits of its SHA-256."""
    return hashlib.sha256(content).hexdigest()[:16]


def digest_file(path: str | Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()[:16]


def digest_frame(frame: pd.DataFrame) -> str:
    """A digest of a table held in memory (no file behind it): its column names, dtypes and every value."""
    h = hashlib.sha256()
    h.update(json.dumps([[str(c), str(t)] for c, t in frame.dtypes.items()]).encode())
    h.update(pd.util.hash_pandas_object(frame, index=False).to_numpy().tobytes())
    return "frame-" + h.hexdigest()[:16]


def _floats(values) -> tuple[float, ...]:
    try:
        out = tuple(float(v) for v in values)
    except (TypeError, ValueError):
        raise DataError(f"epsilons must be numbers; got {values!r}") from None
    if not all(v > 0 for v in out):
        raise DataError(f"epsilons must be positive; got {list(out)}")
    return out


def _strict(d: dict, key: str, kinds: tuple, default, what: str):
    """d[key] if it is of one of `kinds` (bool is not a number here), the default if absent; else DataError."""
    value = d.get(key, default)
    if value is None and None in kinds:
        return None
    ok = isinstance(value, tuple(k for k in kinds if k is not None)) and not (isinstance(value, bool)
                                                                                and bool not in kinds)
    if not ok:
        raise DataError(f"the scenario's {key} must be {what}; got {value!r}")
    return value


def _names(d: dict, key: str) -> tuple[str, ...]:
    value = d.get(key) or []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise DataError(f"the scenario's {key} must be a list of column names; got {value!r}")
    return tuple(value)


from .release import OUTPUT_FORMS, REPRESENTATIVE  # noqa: E402  (the output forms are defined there)

TREE_FEATURES = ("qi", "all")
DEFAULT_RISK_THRESHOLD = 0.1  # a record in a class of fewer than 10 is "at risk" by default


def _rules(d):
    """The release rules of a scenario's JSON (None: k alone); scenarios written before rules existed have none."""
    if d is None:
        return None
    from .constraints import ReleaseRules

    return ReleaseRules.from_scenario(d)


@dataclass(frozen=True)
class Scenario:
    """The typed description of one analysis; hashable, so it can key caches.

    Beside the roles and the settings every face has (method, k, seed, family, DP), it holds what a CLI run
    was given (the output form, the tree's features, the risk threshold, the CSV encoding, the release rules with
    a taxonomy's links; for `evaluate` its ks, methods, attacker size and budget), so a replay runs exactly what
    was recorded."""

    data: str  # digest of the table (digest_bytes of its file, or digest_frame)
    roles: Roles
    method: str = DEFAULT_METHOD
    k: int = DEFAULT_K
    seed: int = DEFAULT_SEED
    model_family: str = DEFAULT_FAMILY
    epsilons: tuple[float, ...] = DP_EPSILONS
    delta: float = DP_DELTA
    test: str | None = None  # digest of a separate test table
    model: str | None = None  # digest of the analyst's model file
    output_form: str = REPRESENTATIVE
    tree_features: str = "qi"
    risk_threshold: float = DEFAULT_RISK_THRESHOLD
    encoding: str | None = None
    ks: tuple[int, ...] | None = None  # evaluate: every k (None: just `k`)
    methods: tuple[str, ...] | None = None  # evaluate: every method (None: just `method`)
    references: int | None = None
    repeats: int | None = None
    budget: float = UTILITY_BUDGET
    rules: object = None  # the release rules (constraints.ReleaseRules) beyond k; None: k alone
    version: int = field(default=VERSION, compare=False)

    def __post_init__(self):
        for method in (self.method, *(self.methods or ())):
            if method not in METHODS:
                raise DataError(f"unknown method '{method}'; use {' or '.join(METHODS)}")
        for k in (self.k, *(self.ks or ())):
            if isinstance(k, bool) or not isinstance(k, int) or k < 1:
                raise DataError(f"k must be a whole number of at least 1; got {k!r}")
        check_seed(self.seed)
        if self.model_family not in FAMILIES:
            raise DataError(f"unknown model family '{self.model_family}'; choose one of {', '.join(FAMILIES)}")
        object.__setattr__(self, "epsilons", _floats(self.epsilons))
        if not 0 < float(self.delta) < 1:
            raise DataError(f"delta must lie strictly between 0 and 1; got {self.delta}")
        if self.output_form not in OUTPUT_FORMS or self.tree_features not in TREE_FEATURES:
            raise DataError(f"unknown output form '{self.output_form}' or tree features '{self.tree_features}'")
        if not 0 <= float(self.risk_threshold) <= 1 or not float(self.budget) >= 0:
            raise DataError("the risk threshold must lie between 0 and 1, and the budget be at least 0")
        for name in ("references", "repeats"):
            value = getattr(self, name)
            if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
                raise DataError(f"{name} must be a whole number of at least 1; got {value!r}")
        if self.rules is not None:
            from .constraints import ReleaseRules

            if not isinstance(self.rules, ReleaseRules):
                raise DataError("a scenario's rules are a ReleaseRules")
            if not self.rules.active:  # one form for k alone, so equal scenarios compare and hash equal
                object.__setattr__(self, "rules", None)
        if self.version != VERSION:
            raise DataError(f"scenario version {self.version} is not one this tool reads (it reads {VERSION})")

    def with_(self, **changes) -> Scenario:
        return replace(self, **changes)

    def to_dict(self) -> dict:
        r = self.roles
        return {"version": self.version, "data": self.data, "test": self.test, "model": self.model,
                "target": r.target, "quasi_identifiers": list(r.quasi_identifiers), "sensitive": r.sensitive,
                "dropped": list(r.dropped), "task": r.task, "method": self.method, "k": self.k, "seed": self.seed,
                "model_family": self.model_family, "epsilons": list(self.epsilons), "delta": self.delta,
                "output_form": self.output_form, "tree_features": self.tree_features,
                "risk_threshold": self.risk_threshold, "encoding": self.encoding,
                "ks": None if self.ks is None else list(self.ks),
                "methods": None if self.methods is None else list(self.methods),
                "references": self.references, "repeats": self.repeats, "budget": self.budget,
                "release_rules": None if self.rules is None else self.rules.to_scenario()}

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=1, allow_nan=False)

    @classmethod
    def from_dict(cls, d: dict) -> Scenario:
        """A scenario from its JSON form, or from any JSON this tool writes (its "scenario" entry); every value
        is checked for its type (a k of `true` or 10.5 is refused, not converted)."""
        if not isinstance(d, dict):
            raise DataError("a scenario is a JSON object")
        if "scenario" in d and isinstance(d["scenario"], dict):
            d = d["scenario"]
        data = _strict(d, "data", (str,), None, "the digest of the table it ran on")
        number, text, opt_text = (int, float), (str,), (str, None)
        task = _strict(d, "task", opt_text, None, "classification, regression or null")
        if task is not None and task not in TASKS:
            raise DataError(f"unknown task '{task}' in the scenario")
        roles = Roles(_strict(d, "target", opt_text, None, "a column name or null"), _names(d, "quasi_identifiers"),
                      _strict(d, "sensitive", opt_text, None, "a column name or null"), _names(d, "dropped"), task)
        ks = _strict(d, "ks", (list, None), None, "a list of whole numbers or null")
        methods = _strict(d, "methods", (list, None), None, "a list of methods or null")
        return cls(data, roles, _strict(d, "method", text, DEFAULT_METHOD, "ag or mondrian"),
                   _strict(d, "k", (int,), DEFAULT_K, "a whole number"),
                   _strict(d, "seed", (int,), DEFAULT_SEED, "a whole number"),
                   _strict(d, "model_family", text, DEFAULT_FAMILY, "a model family"),
                   tuple(_strict(d, "epsilons", (list,), list(DP_EPSILONS), "a list of numbers")),
                   float(_strict(d, "delta", number, DP_DELTA, "a number")),
                   _strict(d, "test", opt_text, None, "a digest or null"),
                   _strict(d, "model", opt_text, None, "a digest or null"),
                   _strict(d, "output_form", text, REPRESENTATIVE, "representative or generalized"),
                   _strict(d, "tree_features", text, "qi", "qi or all"),
                   float(_strict(d, "risk_threshold", number, DEFAULT_RISK_THRESHOLD, "a number")),
                   _strict(d, "encoding", opt_text, None, "an encoding name or null"),
                   None if ks is None else tuple(ks), None if methods is None else tuple(methods),
                   _strict(d, "references", (int, None), None, "a whole number or null"),
                   _strict(d, "repeats", (int, None), None, "a whole number or null"),
                   float(_strict(d, "budget", number, UTILITY_BUDGET, "a number")),
                   rules=_rules(d.get("release_rules")),
                   version=_strict(d, "version", (int,), VERSION, "a whole number"))

    @classmethod
    def read(cls, path: str | Path) -> Scenario:
        path = Path(path)
        if not path.is_file():
            raise DataError(f"{path}: no such scenario file")
        try:
            return cls.from_dict(json.loads(path.read_text(encoding="utf-8")))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise DataError(f"{path.name}: not a JSON scenario ({exc})") from None

    def check_data(self, file_digest: str, table=None, what: str = "the table") -> None:
        """Refuse to replay the scenario on another table than the one it names: by the file's digest, or, for
        a scenario made from a table held in Python (`frame-` digest), by the digest of the table as read."""
        digest = digest_frame(table) if self.data.startswith("frame-") and table is not None else file_digest
        if digest != self.data:
            raise DataError(f"{what} is not the table this scenario ran on (its digest is {digest}, the scenario's "
                            f"{self.data}); give the same file")

    # -- the dashboard's URL ---------------------------------------------------------------------

    QUERY_KEYS = ("data", "target", "qi", "sensitive", "drop", "task", "method", "k", "seed", "family", "eps",
                  "rules")

    def to_query(self) -> dict[str, str | list[str]]:
        """Query parameters (repeated keys as lists); defaults are left out to keep links short."""
        r = self.roles
        out: dict[str, str | list[str]] = {"data": self.data, "qi": list(r.quasi_identifiers),
                                           "method": self.method, "k": str(self.k)}
        if r.target is not None:
            out["target"] = r.target
        if r.sensitive is not None:
            out["sensitive"] = r.sensitive
        if r.dropped:
            out["drop"] = list(r.dropped)
        if r.task is not None:
            out["task"] = r.task
        if self.seed != DEFAULT_SEED:
            out["seed"] = str(self.seed)
        if self.model_family != DEFAULT_FAMILY:
            out["family"] = self.model_family
        if self.epsilons != DP_EPSILONS:
            out["eps"] = [f"{e:g}" for e in self.epsilons] or ["none"]
        if self.rules is not None:  # compact JSON; a taxonomy's links stay out of a link (the report holds them)
            rules = self.rules.to_scenario()
            rules["hierarchies"] = {q: h for q, h in rules["hierarchies"].items() if "links" not in h}
            out["rules"] = json.dumps(rules, separators=(",", ":"))  # in order: the order is part of the rules
        return out

    @classmethod
    def from_query(cls, get, get_all) -> Scenario | None:
        """The scenario in a URL (`get(key)` -> str | None, `get_all(key)` -> list), or None when it holds none.
        Raises DataError for a link whose values do not make a scenario."""
        data = get("data")
        if not data:
            return None
        try:
            roles = Roles(get("target") or None, tuple(get_all("qi")), get("sensitive") or None,
                          tuple(get_all("drop")), get("task") or None)
            eps = get_all("eps")
            epsilons = () if eps == ["none"] else tuple(float(e) for e in eps) if eps else DP_EPSILONS
            rules = get("rules")
            try:
                rules = _rules(json.loads(rules)) if rules else None
            except json.JSONDecodeError:
                raise DataError("the link's release rules are not valid JSON") from None
            return cls(data, roles, get("method") or DEFAULT_METHOD, int(get("k") or DEFAULT_K),
                       int(get("seed") or DEFAULT_SEED), get("family") or DEFAULT_FAMILY, epsilons, rules=rules)
        except ValueError as exc:
            if isinstance(exc, DataError):
                raise
            raise DataError(f"the link's settings are not valid ({exc})") from None
