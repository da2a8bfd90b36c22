"""Typed results: what the engine measured, each with the rows it was measured on, and its JSON contract.

Every face (the pages, the HTML report, the CLI and its JSON) reads these objects; none recomputes a
figure or re-decides a rule. `to_dict()` is the JSON contract (strict JSON: missing is null, never NaN).
The rules that used to be written in several places live here, once (docs/design.md, "Results"):

- the headline utility figure (`headline_figure`): balanced accuracy where the target is imbalanced;
- the strongest membership attack (`Membership.strongest`): the largest advantage;
- the small-sample flag (`SMALL_SAMPLE`): figures measured on fewer rows than this say so;
- the leak verdict (`LeakReport.verdict`): clear, "k over the QIs only", or a leak;
- whether a frontier may recommend anything (`Frontier.recommend`): only when finished.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from dataclasses import asdict, dataclass, field, fields

import numpy as np
import pandas as pd

from .names import ATTACK_NAMES, CLASSIFICATION, REGRESSION, utility_name

SMALL_SAMPLE = 100  # figures measured on fewer rows carry a visible small-sample flag
Z95 = 1.96
IMBALANCE = 1.5  # a target (or sensitive attribute) is imbalanced when its majority share > 1.5 / classes


def json_ready(value):
    """`value` as strict JSON data: NaN and infinities become None, numpy scalars Python ones, tuples lists."""
    if isinstance(value, dict):
        return {str(k): json_ready(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_ready(v) for v in value]
    if isinstance(value, np.ndarray):
        return [json_ready(v) for v in value.tolist()]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if value is pd.NaT or value is pd.NA:
        return None
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    return value


def imbalanced(shares) -> bool:
    """The one imbalance rule: the most frequent class holds more than 1.5 / (number of classes)."""
    shares = np.asarray(shares, dtype=float)
    return len(shares) > 1 and float(shares.max()) > IMBALANCE / len(shares)


# --- utility ---------------------------------------------------------------------------------------

def headline_figure(task: str, class_shares=None) -> str:
    """The figure every face leads with: R² for a regression; for classes, balanced accuracy where the target
    is imbalanced (accuracy would flatter a model that mostly predicts the majority), else accuracy."""
    if task == REGRESSION:
        return "r2"
    return "balanced_accuracy" if class_shares is not None and imbalanced(class_shares) else "accuracy"


@dataclass(frozen=True, kw_only=True)
class Utility:
    """Held-out figures of one model, measured on `n` rows; `headline` names the figure to lead with."""

    n: int
    headline: str
    retrained_as: str | None = None  # how the model was rebuilt, where it was
    rows: dict | None = field(default=None, repr=False, compare=False)  # per-row truth and predictions

    def change(self, reference: Utility, key: str | None = None, seed: int = 0) -> Change:
        """This figure against `reference`'s (the original model's): the difference and its 95% interval, both
        scored on the same rows (a paired bootstrap, far narrower than the two figures' own intervals; where the
        rows differ, the two intervals taken as independent). The one rule for "within noise"."""
        from .stats import paired_differences, within_noise

        key = key or self.headline
        diff = self.value(key) - reference.value(key)
        if self.rows is not None and reference.rows is not None:
            ci = paired_differences(key, reference.rows, [self.rows], seed=seed)[0]
            if ci is not None:
                return Change(diff, ci[0], ci[1], ci[0] <= 0 <= ci[1], True)
        a, b = reference.interval(key), self.interval(key)
        noise = bool(a and b and within_noise(reference.value(key), self.value(key), a, b))
        return Change(diff, None, None, noise, False)

    @property
    def task(self) -> str:
        raise NotImplementedError

    @property
    def small_sample(self) -> bool:
        return self.n < SMALL_SAMPLE

    def value(self, key: str | None = None) -> float:
        return float(getattr(self, key or self.headline))

    def interval(self, key: str | None = None) -> tuple[float, float] | None:
        ci = getattr(self, f"{key or self.headline}_ci", None)
        return None if ci is None else (float(ci[0]), float(ci[1]))

    @property
    def headline_name(self) -> str:
        return utility_name(self.headline)

    def show(self, key: str | None = None) -> str:
        """A figure as people read it: 85.20% for a share, 0.412 for R²."""
        key = key or self.headline
        return f"{self.value(key):.3f}" if key == "r2" else f"{self.value(key):.2%}"

    def describe(self, key: str | None = None) -> str:
        """'balanced accuracy 81.20% (95% interval 80.10% – 82.30%, 16,281 rows)', flagged when few rows."""
        key = key or self.headline
        ci = self.interval(key)
        fmt = (lambda v: f"{v:.3f}") if key == "r2" else (lambda v: f"{v:.2%}")
        interval = f"95% interval {fmt(ci[0])} – {fmt(ci[1])}, " if ci else "no interval, "
        flag = "; small sample: read with care" if self.small_sample else ""
        base = self.baseline_value(key)
        no_better = "; no better than the no-model baseline" if ci and base is not None and ci[0] <= base else ""
        return f"{utility_name(key)} {self.show(key)} ({interval}{self.n:,} rows{flag}{no_better})"

    def baseline_value(self, key: str | None = None) -> float | None:
        """The figure a model that always predicts the same gets (the majority class, the members' mean)."""
        return None

    def to_dict(self) -> dict:
        out = {f.name: getattr(self, f.name) for f in fields(self) if f.name != "rows"}
        out["small_sample"] = self.small_sample
        if out.get("retrained_as") is None:
            out.pop("retrained_as", None)
        return json_ready(out)


@dataclass(frozen=True)
class Change:
    """A figure's change from a reference: `diff`, its 95% interval (paired: both scored on the same rows), and
    whether it is within noise (the interval holds 0)."""

    diff: float
    low: float | None
    high: float | None
    within_noise: bool
    paired: bool


@dataclass(frozen=True, kw_only=True)
class ClassificationUtility(Utility):
    accuracy: float
    balanced_accuracy: float
    roc_auc: float | None
    majority_rate: float | None
    majority_balanced_accuracy: float | None
    accuracy_ci: tuple[float, float]
    balanced_accuracy_ci: tuple[float, float]

    @property
    def task(self) -> str:
        return CLASSIFICATION

    def baseline_value(self, key: str | None = None) -> float | None:
        key = key or self.headline
        return {"accuracy": self.majority_rate, "balanced_accuracy": self.majority_balanced_accuracy}.get(key)

    def baseline_text(self) -> str:
        return (f"always predicting the most frequent class gives accuracy {self.majority_rate:.2%} and balanced "
                f"accuracy {self.majority_balanced_accuracy:.2%}")


@dataclass(frozen=True, kw_only=True)
class RegressionUtility(Utility):
    r2: float
    mae: float
    rmse: float
    baseline_mean: float
    baseline_r2: float
    baseline_mae: float
    r2_ci: tuple[float, float] | None

    @property
    def task(self) -> str:
        return REGRESSION

    def baseline_value(self, key: str | None = None) -> float | None:
        return self.baseline_r2 if (key or self.headline) == "r2" else None

    def baseline_text(self) -> str:
        return (f"always predicting the members' mean ({self.baseline_mean:,.4g}) gives R² {self.baseline_r2:.3f}, "
                f"MAE {self.baseline_mae:,.4g}")


# --- membership inference --------------------------------------------------------------------------

LOW_FPR = {"tpr_at_1pct_fpr": 0.01, "tpr_at_0_1pct_fpr": 0.001}
CHANCE_P = 0.05  # a p-value against chance below this says the attack beats guessing


@dataclass(frozen=True, kw_only=True)
class AttackFigures:
    """One membership attack against one model: the same shape for every attack.

    Means over `repeats` balanced draws of members and non-members (`*_std`: their spread); a TPR at a low
    FPR is `_supported` only when at least 10 / FPR non-members back it.
    """

    auc: float
    advantage: float
    tpr_at_1pct_fpr: float
    tpr_at_0_1pct_fpr: float
    tpr_at_1pct_fpr_supported: bool
    tpr_at_0_1pct_fpr_supported: bool
    n_members: int
    n_nonmembers: int
    repeats: int = 1
    auc_std: float | None = None  # spread over the repeated draws: None with one draw (not measured)
    advantage_std: float | None = None
    tpr_at_1pct_fpr_std: float | None = None
    tpr_at_0_1pct_fpr_std: float | None = None
    p_value_vs_chance: float | None = None
    roc: dict | None = field(default=None, repr=False)  # {"fpr": [...], "tpr": [...]} of the first draw

    @property
    def auc_se(self) -> float:
        """Standard error of the AUC on a draw of n_members and n_nonmembers (Hanley & McNeil 1982): the noise
        a difference between two AUCs is read against (the spread over repeated draws of one model's scores
        leaves the model's own sampling out, so it understates it)."""
        a, n1, n0 = self.auc, max(self.n_members, 1), max(self.n_nonmembers, 1)
        q1, q2 = a / (2 - a), 2 * a * a / (1 + a)
        return math.sqrt(max(a * (1 - a) + (n1 - 1) * (q1 - a * a) + (n0 - 1) * (q2 - a * a), 0.0) / (n1 * n0))

    @property
    def beats_chance(self) -> bool | None:
        return None if self.p_value_vs_chance is None else self.p_value_vs_chance < CHANCE_P

    def to_dict(self, with_roc: bool = True) -> dict:
        out = asdict(self)
        out["auc_se"] = self.auc_se
        if not with_roc or self.roc is None:
            out.pop("roc")
        return json_ready(out)


class Membership(Mapping):
    """Every membership attack's figures against one model, in the order of `names.ATTACK_NAMES`."""

    def __init__(self, figures: Mapping[str, AttackFigures]):
        self._figures = {a: figures[a] for a in [*ATTACK_NAMES, *figures] if a in figures}

    def __getitem__(self, attack: str) -> AttackFigures:
        return self._figures[attack]

    def __iter__(self) -> Iterator[str]:
        return iter(self._figures)

    def __len__(self) -> int:
        return len(self._figures)

    def strongest(self) -> str:
        """The one definition of "the strongest attack": the largest advantage (max TPR − FPR), ties going to
        the larger AUC, then to the earlier attack in the usual order."""
        if not self._figures:
            raise ValueError("no membership attack figures")
        order = list(self._figures)
        return max(order, key=lambda a: (self._figures[a].advantage, self._figures[a].auc, -order.index(a)))

    def auc_change(self, attack: str, after: Membership) -> str:
        """The one rule for whether an attack's AUC changed from this model to `after`: 'up' or 'down' when the
        difference is beyond 1.96 standard errors of it (Hanley-McNeil for each AUC, taken as independent,
        which errs towards 'same'), else 'same'."""
        a, b = self[attack], after[attack]
        noise = Z95 * math.hypot(a.auc_se, b.auc_se)
        return "up" if b.auc > a.auc + noise else "down" if b.auc < a.auc - noise else "same"

    def to_dict(self, with_roc: bool = True) -> dict:
        return {name: figures.to_dict(with_roc) for name, figures in self._figures.items()}


# --- attribute inference ---------------------------------------------------------------------------

@dataclass(frozen=True, kw_only=True)
class AttributeInference:
    """Guessing the sensitive attribute with and without the model, on members and non-members."""

    sensitive: str
    metric: str  # 'balanced_accuracy' where the attribute is imbalanced, else 'accuracy'
    majority_rate: float
    n_values: int
    n_members: int
    n_nonmembers: int
    baseline_members: float
    baseline_nonmembers: float
    attack_members: float
    attack_nonmembers: float
    advantage_members: float
    advantage_nonmembers: float
    attack_variant: str
    variants: dict = field(repr=False)

    @property
    def small_sample(self) -> bool:
        return min(self.n_members, self.n_nonmembers) < SMALL_SAMPLE

    def to_dict(self) -> dict:
        out = asdict(self)
        out["small_sample"] = self.small_sample
        return json_ready(out)


@dataclass(frozen=True)
class Evaluation:
    """What one model costs and leaks: held-out utility, membership and attribute inference."""

    utility: Utility
    membership: Membership
    attribute: AttributeInference | None
    scores: dict = field(repr=False)  # attack -> (member scores, non-member scores)
    seconds: dict = field(default_factory=dict)

    def to_dict(self, with_roc: bool = False) -> dict:
        return {**self.utility.to_dict(), "membership": self.membership.to_dict(with_roc),
                "attribute": None if self.attribute is None else self.attribute.to_dict(),
                "seconds": {k: round(v, 3) for k, v in self.seconds.items()}}


# --- target leaks ----------------------------------------------------------------------------------

LEAK, NEAR = "leak", "near"


@dataclass(frozen=True)
class TargetLeak:
    """A column that gives the target away: one to one with it, or predicting it alone on held-out rows."""

    column: str
    reason: str
    level: str  # LEAK (at or above the threshold: drop it) or NEAR (just below: warn)
    score: float | None = None  # held-out balanced accuracy or R² of the column alone; None for one-to-one

    def message(self, target: str) -> str:
        if self.level == LEAK:
            return (f"'{self.column}' {self.reason}: a model that reads it finds the answer there, so every utility "
                    f"figure mostly measures this column; drop it unless the model really has it before '{target}' "
                    "is known")
        return (f"'{self.column}' {self.reason}, just under the threshold at which it is dropped: check that the "
                f"model really has it before '{target}' is known")

    def to_dict(self) -> dict:
        return json_ready(asdict(self))


@dataclass(frozen=True)
class TargetLeakCheck:
    """The target-leak check for whatever target is in use (suggested, picked, or given on the command line)."""

    target: str
    task: str
    findings: tuple[TargetLeak, ...]
    threshold: float
    near_threshold: float
    rows_checked: int

    @property
    def leaks(self) -> tuple[TargetLeak, ...]:
        return tuple(f for f in self.findings if f.level == LEAK)

    @property
    def near(self) -> tuple[TargetLeak, ...]:
        return tuple(f for f in self.findings if f.level == NEAR)

    @property
    def columns(self) -> list[str]:
        return [f.column for f in self.leaks]

    def messages(self) -> list[str]:
        return [f.message(self.target) for f in self.findings]

    def to_dict(self) -> list[dict]:
        """JSON `target_leaks`: one entry per finding (`column`, `reason`, `level`, `score`)."""
        return [f.to_dict() for f in self.findings]


# --- what the released table reveals ---------------------------------------------------------------

MAKE_QI, DROP = "make_qi", "drop"
CLEAR, WEAK, LEAKING = "clear", "weak", "leak"


@dataclass(frozen=True)
class Leak:
    """A kept column whose value determines a generalized QI's original value for `share` of the rows."""

    column: str
    reveals: str
    share: float

    @property
    def fixes(self) -> tuple[dict, ...]:
        """The one-click fixes, the first one recommended: generalize the column too, or drop it."""
        return ({"action": MAKE_QI, "column": self.column}, {"action": DROP, "column": self.column})

    def to_dict(self) -> dict:
        return {"column": self.column, "reveals": self.reveals, "share": self.share}


@dataclass(frozen=True)
class LeakVerdict:
    """The one reading of a leak check at k, which every face renders: `level` is CLEAR (the all-clear),
    WEAK (k holds over the QIs only: a kept column known beside them narrows a class) or LEAKING (a kept
    column reveals a QI or singles people out); `lines` say why, each a full sentence."""

    level: str
    headline: str
    findings: tuple[str, ...] = ()  # one sentence a kept column that reveals a QI or singles people out
    weak: str = ""  # what an attacker who knows a weak kept column gains ('' when none is weak)
    k: int = 0

    @property
    def clear(self) -> bool:
        return self.level == CLEAR

    @property
    def lines(self) -> tuple[str, ...]:
        """Everything after the headline, each a sentence (the report's reading)."""
        return self.findings + ((self.weak,) if self.weak else ())

    @property
    def weak_line(self) -> str:
        """The weak finding as a sentence of its own ('' when none): what the pages and the CLI warn."""
        return f"k = {self.k} holds over the quasi-identifiers only. {self.weak}" if self.weak else ""


@dataclass(frozen=True)
class LeakReport:
    """What the released table reveals beyond its quasi-identifiers' k (docs/design.md, "Leak check")."""

    n_rows: int
    quasi_identifiers: tuple[str, ...]
    kept_columns: tuple[str, ...]
    changed_quasi_identifiers: tuple[str, ...]  # QIs whose values the anonymization actually changed
    leaks: tuple[Leak, ...]
    near_unique_columns: tuple[str, ...]
    distinct_ratios: dict[str, float]  # kept column -> distinct values / rows
    unique_share_all_columns: float  # rows whose tuple over all released columns occurs once
    k_quasi_identifiers: int  # k over the QIs alone, on the released table
    k_with_column: dict[str, int]  # kept column -> k over the QIs plus that column, on the released table
    threshold: float = 0.95
    near_unique_threshold: float = 0.9

    @property
    def clean(self) -> bool:
        """No kept column reveals a QI or singles people out on its own. Not enough for an all-clear: see
        `verdict`."""
        return not self.leaks and not self.near_unique_columns

    def weak_columns(self, k: int) -> list[str]:
        """Kept columns that, known beside the QIs, leave some class smaller than `k`."""
        return [column for column, value in self.k_with_column.items() if value < k]

    def weak_detail(self, k: int) -> str:
        """What an attacker who knows the weak columns gains, in one sentence ('' when none is weak)."""
        from .display import describe_k

        weak = self.weak_columns(k)
        if not weak:
            return ""
        shown = ", ".join(map(str, weak[:6])) + (" ..." if len(weak) > 6 else "")
        smallest = min(self.k_with_column[c] for c in weak)
        return (f"An attacker who also knows {shown} narrows a class to {describe_k(smallest)}; "
                f"{self.unique_share_all_columns:.1%} of records are unique over all released columns.")

    def holds_with_kept_columns(self, k: int) -> bool:
        """The all-clear: clean, and k still holds with any one kept column added to the QIs."""
        return self.clean and not self.weak_columns(k)

    def verdict(self, k: int) -> LeakVerdict:
        """The one verdict at k (pages, report and CLI render it; none words it again)."""
        if self.holds_with_kept_columns(k):
            return LeakVerdict(CLEAR, f"No column released unchanged reveals a generalized quasi-identifier or singles "
                                      f"people out, and k = {k} holds with any one of them added "
                                      f"({len(self.kept_columns)} kept column(s) checked); "
                                      f"{self.unique_share_all_columns:.1%} of records are unique over all released "
                                      "columns.", k=k)
        findings = tuple(f["message"] + "." for f in self.findings())
        if not self.clean:
            return LeakVerdict(LEAKING, f"k = {k} does not hold for the released table until these columns are made "
                                        "quasi-identifiers or dropped.", findings, self.weak_detail(k), k)
        return LeakVerdict(WEAK, f"k = {k} holds over the quasi-identifiers only.", findings, self.weak_detail(k), k)

    def findings(self) -> list[dict]:
        """One finding per flagged kept column, with a plain message and its fixes as data (first: recommended).

        A near-unique column trivially determines every QI (each of its groups is one row), so it is
        one finding that says it singles people out, not one leak per QI.
        """
        out = []
        by_column: dict[str, list[Leak]] = {}
        for leak in self.leaks:
            by_column.setdefault(leak.column, []).append(leak)
        for col in [*by_column, *(c for c in self.near_unique_columns if c not in by_column)]:
            leaks = by_column.get(col, [])
            finding = {"column": col, "reveals": [leak.reveals for leak in leaks],
                       "share": max((leak.share for leak in leaks), default=None),
                       "distinct_ratio": self.distinct_ratios[col]}
            if col in self.near_unique_columns:
                finding.update(kind="near_unique", fixes=[{"action": DROP, "column": col},
                                                          {"action": MAKE_QI, "column": col}],
                               message=f"'{col}' is released unchanged and has nearly a value of its own a "
                                       f"row (distinct values: {100 * self.distinct_ratios[col]:.1f}% of the rows "
                                       "that hold one): it singles people out on its own")
            else:
                revealed = " and ".join(f"'{leak.reveals}' ({100 * leak.share:.1f}% of rows)" for leak in leaks)
                finding.update(kind="leak", fixes=list(leaks[0].fixes),
                               message=f"'{col}' is released unchanged and determines the original {revealed}")
            out.append(finding)
        return out

    def to_dict(self) -> dict:
        """JSON-ready; `leaks`, `near_unique_columns` and `unique_share_all_columns` are the CLI contract."""
        return json_ready({"leaks": [leak.to_dict() for leak in self.leaks],
                           "near_unique_columns": list(self.near_unique_columns),
                           "unique_share_all_columns": self.unique_share_all_columns,
                           "k_quasi_identifiers": self.k_quasi_identifiers,
                           "k_with_column": dict(self.k_with_column),
                           "changed_quasi_identifiers": list(self.changed_quasi_identifiers),
                           "leak_threshold": self.threshold, "near_unique_threshold": self.near_unique_threshold})


# --- the privacy-utility frontier ------------------------------------------------------------------

RECOMMENDED, NOTHING_BETTER, UNDECIDED, PARTIAL = "recommended", "nothing_better", "undecided", "partial"


@dataclass(frozen=True)
class Recommendation:
    """What the frontier concludes within a utility budget, and on which figures.

    `status`: RECOMMENDED (`setting` is the most private setting within the budget, and the 95% intervals
    leave no doubt about which settings are within it), NOTHING_BETTER (no setting within the budget is more
    private than the original), UNDECIDED (an interval crosses the budget line, so the choice rests on noise:
    no recommendation; `overlapping` names those settings and `surely_within` the most private setting whose
    whole interval is within the budget) or PARTIAL (the frontier did not finish: no recommendation).
    """

    status: str
    budget_points: float
    utility_key: str
    n_holdout: int
    setting: str | None = None
    utility: float | None = None
    utility_low: float | None = None
    utility_high: float | None = None
    advantage: float | None = None
    advantage_std: float | None = None
    auc: float | None = None
    original_utility: float | None = None
    original_low: float | None = None
    original_high: float | None = None
    original_advantage: float | None = None
    original_auc: float | None = None
    change_low: float | None = None  # 95% interval of (pick − original), paired on the same hold-out rows
    change_high: float | None = None
    candidates: int = 0  # settings within the budget
    overlapping: tuple[str, ...] = ()
    surely_within: str | None = None
    missing: tuple[str, ...] = ()
    paired: bool = False  # judged on the change from the original, on the same rows
    family: str | None = None  # the pick's family (names.FAMILY_OF_KIND)
    families: tuple[dict, ...] = ()  # per family, its most private setting within the budget (frontier.family_winners)

    @property
    def decided(self) -> bool:
        return self.status in (RECOMMENDED, NOTHING_BETTER)

    @property
    def cost_points(self) -> float | None:
        """Utility lost against the original, in points (100 x the difference; negative: a gain)."""
        if self.utility is None or self.original_utility is None:
            return None
        return float(100 * (self.original_utility - self.utility))

    @property
    def advantage_removed(self) -> float | None:
        if self.advantage is None or self.original_advantage is None:
            return None
        return self.original_advantage - self.advantage

    @property
    def small_sample(self) -> bool:
        return self.n_holdout < SMALL_SAMPLE

    def to_dict(self) -> dict:
        out = asdict(self)
        out.update(decided=self.decided, cost_points=self.cost_points, small_sample=self.small_sample)
        return json_ready(out)


@dataclass(frozen=True)
class Frontier:
    """The privacy-utility frontier as far as it was computed.

    `points`: one row per finished setting (setting, kind, utility and its interval, the strongest attack's
    advantage with its spread, its AUC, the attack's name, `pareto`); `requested`: every setting asked for,
    in order. A frontier with settings missing is partial: it is shown as such and never recommends.
    """

    points: pd.DataFrame = field(repr=False)
    requested: tuple[str, ...]
    utility_key: str
    n_holdout: int
    privacy: str = "model"  # the privacy axis: the strongest attack on the model, or the linkage on the release

    @property
    def missing(self) -> tuple[str, ...]:
        done = set(self.points["setting"]) if len(self.points) else set()
        return tuple(s for s in self.requested if s not in done)

    @property
    def complete(self) -> bool:
        return not self.missing

    @property
    def utility_name(self) -> str:
        return utility_name(self.utility_key)

    @property
    def progress_text(self) -> str:
        """'' when complete, else '12 of 17 settings' (the partial label every face shows)."""
        return "" if self.complete else f"{len(self.points)} of {len(self.requested)} settings"

    def recommend(self, budget_points: float) -> Recommendation:
        from .frontier import recommend

        if not self.complete:
            return Recommendation(PARTIAL, float(budget_points), self.utility_key, self.n_holdout,
                                  missing=self.missing)
        return recommend(self.points, budget_points, utility_key=self.utility_key, n_holdout=self.n_holdout)

    def to_dict(self, budget_points: float | None = None) -> dict:
        out = {"utility": self.utility_key, "privacy": self.privacy, "complete": self.complete,
               "requested": list(self.requested),
               "missing": list(self.missing), "n_holdout": self.n_holdout,
               "small_sample": self.n_holdout < SMALL_SAMPLE,
               "points": self.points.to_dict("records")}
        if budget_points is not None:
            out["recommendation"] = self.recommend(budget_points).to_dict()
        return json_ready(out)
