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
SWEEP_KS = (5, 10, 25, 50, 100, 250, 500, 1000)  # the Utility page's sweep
FRONTIER_KS = (10, 50, 100, 500, 1000)  # the Attacks page's sweep and the frontier's k values
UTILITY_BUDGET = 1.0  # points of utility the analyst would give up, for the frontier's recommendation
VERSION = 1


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


@dataclass(frozen=True)
class Scenario:
    """The typed description of one analysis; hashable, so it can key caches."""

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
    version: int = field(default=VERSION, compare=False)

    def __post_init__(self):
        if self.method not in METHODS:
            raise DataError(f"unknown method '{self.method}'; use {' or '.join(METHODS)}")
        if isinstance(self.k, bool) or not isinstance(self.k, int) or self.k < 1:
            raise DataError(f"k must be a whole number of at least 1; got {self.k!r}")
        check_seed(self.seed)
        if self.model_family not in FAMILIES:
            raise DataError(f"unknown model family '{self.model_family}'; choose one of {', '.join(FAMILIES)}")
        object.__setattr__(self, "epsilons", _floats(self.epsilons))
        if not 0 < float(self.delta) < 1:
            raise DataError(f"delta must lie strictly between 0 and 1; got {self.delta}")

    def with_(self, **changes) -> Scenario:
        return replace(self, **changes)

    def to_dict(self) -> dict:
        r = self.roles
        return {"version": self.version, "data": self.data, "test": self.test, "model": self.model,
                "target": r.target, "quasi_identifiers": list(r.quasi_identifiers), "sensitive": r.sensitive,
                "dropped": list(r.dropped), "task": r.task, "method": self.method, "k": self.k, "seed": self.seed,
                "model_family": self.model_family, "epsilons": list(self.epsilons), "delta": self.delta}

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=1, allow_nan=False)

    @classmethod
    def from_dict(cls, d: dict) -> Scenario:
        """A scenario from its JSON form, or from any JSON this tool writes (its "scenario" entry)."""
        if not isinstance(d, dict):
            raise DataError("a scenario is a JSON object")
        if "scenario" in d and isinstance(d["scenario"], dict):
            d = d["scenario"]
        if not d.get("data") or not isinstance(d.get("data"), str):
            raise DataError("the scenario names no table ('data': the digest of the table it ran on)")
        qis = d.get("quasi_identifiers") or []
        if not isinstance(qis, list) or not all(isinstance(q, str) for q in qis):
            raise DataError("the scenario's quasi_identifiers must be a list of column names")
        task = d.get("task")
        if task is not None and task not in TASKS:
            raise DataError(f"unknown task '{task}' in the scenario")
        try:
            roles = Roles(d.get("target"), tuple(qis), d.get("sensitive"), tuple(d.get("dropped") or ()), task)
            return cls(d["data"], roles, d.get("method", DEFAULT_METHOD), int(d.get("k", DEFAULT_K)),
                       int(d.get("seed", DEFAULT_SEED)), d.get("model_family", DEFAULT_FAMILY),
                       tuple(d.get("epsilons", DP_EPSILONS)), float(d.get("delta", DP_DELTA)),
                       d.get("test"), d.get("model"))
        except (TypeError, ValueError) as exc:
            if isinstance(exc, DataError):
                raise
            raise DataError(f"the scenario is not valid: {exc}") from None

    @classmethod
    def read(cls, path: str | Path) -> Scenario:
        path = Path(path)
        if not path.is_file():
            raise DataError(f"{path}: no such scenario file")
        try:
            return cls.from_dict(json.loads(path.read_text(encoding="utf-8")))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise DataError(f"{path.name}: not a JSON scenario ({exc})") from None

    def check_data(self, digest: str, what: str = "the table") -> None:
        """Refuse to replay the scenario on another table than the one it names."""
        if digest != self.data:
            raise DataError(f"{what} is not the table this scenario ran on (its digest is {digest}, the scenario's "
                            f"{self.data}); give the same file")

    # -- the dashboard's URL ---------------------------------------------------------------------

    QUERY_KEYS = ("data", "target", "qi", "sensitive", "drop", "task", "method", "k", "seed", "family", "eps")

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
            out["eps"] = [f"{e:g}" for e in self.epsilons]
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
            return cls(data, roles, get("method") or DEFAULT_METHOD, int(get("k") or DEFAULT_K),
                       int(get("seed") or DEFAULT_SEED), get("family") or DEFAULT_FAMILY,
                       tuple(float(e) for e in eps) if eps else DP_EPSILONS)
        except ValueError as exc:
            if isinstance(exc, DataError):
                raise
            raise DataError(f"the link's settings are not valid ({exc})") from None
