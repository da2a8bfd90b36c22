"""The privacy-utility frontier: which settings are worth considering, and which one to pick.

A setting (original, QIs dropped, a method at a k, DP at an epsilon) is a point: its utility
(accuracy or R² on held-out data) and the advantage of the strongest membership attack against it.
A setting s dominates t when utility(s) >= utility(t) and advantage(s) <= advantage(t), one of them
strictly (GUIDE section 12); the Pareto front is the undominated settings. The recommendation is
the most private setting whose utility stays within a budget of the original's.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .data import DataError

ORIGINAL = "original"


def strongest_attack_point(setting: str, kind: str, utility: float, membership: Mapping[str, dict],
                           utility_low: float | None = None, utility_high: float | None = None) -> dict:
    """One frontier point from a model's membership figures: the attack with the largest advantage
    is the strongest; its advantage (with spread, if repeated) and AUC go on the point."""
    if not membership:
        raise DataError(f"the setting '{setting}' has no membership attack figures")
    attack = max(membership, key=lambda a: membership[a]["advantage"])
    m = membership[attack]
    return {"setting": setting, "kind": kind, "utility": float(utility),
            "utility_low": utility if utility_low is None else float(utility_low),
            "utility_high": utility if utility_high is None else float(utility_high),
            "advantage": float(m["advantage"]), "advantage_std": float(m.get("advantage_std", 0.0)),
            "auc": float(m["auc"]), "attack": attack}


def _frame(points) -> pd.DataFrame:
    frame = points.copy() if isinstance(points, pd.DataFrame) else pd.DataFrame(list(points))
    missing = [c for c in ("utility", "advantage") if c not in frame.columns]
    if missing:
        raise DataError(f"frontier points need column(s) {missing}")
    values = frame[["utility", "advantage"]].to_numpy(dtype=float)
    if len(frame) and not np.isfinite(values).all():
        raise DataError("frontier points need finite utility and advantage values")
    return frame.reset_index(drop=True)


def pareto_front(points: pd.DataFrame | Iterable[Mapping]) -> np.ndarray:
    """Boolean mask, one per point: True where no other point dominates it. Equal points do not
    dominate each other, so both stay on the front."""
    frame = _frame(points)
    u, a = frame["utility"].to_numpy(dtype=float), frame["advantage"].to_numpy(dtype=float)
    # sort by advantage ascending, utility descending: a point is dominated exactly when an earlier
    # point (no more advantage) has more utility, or equal utility with strictly less advantage
    order = np.lexsort((-u, a))
    on_front = np.zeros(len(frame), dtype=bool)
    best_u, best_u_adv = -np.inf, np.inf
    for i in order:
        dominated = u[i] < best_u or (u[i] == best_u and a[i] > best_u_adv)
        on_front[i] = not dominated
        if u[i] > best_u:
            best_u, best_u_adv = u[i], a[i]
    return on_front


@dataclass(frozen=True)
class Recommendation:
    """The most private setting within the budget, with the figures that support it."""

    setting: str
    utility: float
    advantage: float
    auc: float | None
    original_utility: float
    original_advantage: float
    original_auc: float | None
    budget_points: float
    cost_points: float  # utility lost against the original, in points (100 x the difference)
    candidates: int  # settings within the budget

    @property
    def advantage_removed(self) -> float:
        return self.original_advantage - self.advantage


def recommend(points: pd.DataFrame | Iterable[Mapping], budget_points: float,
              original: str = ORIGINAL) -> Recommendation:
    """Among settings whose utility is at least the original's minus `budget_points` / 100, the one
    with the smallest advantage (ties: more utility, then lower AUC, then the earlier point).

    points need `setting`, `utility`, `advantage` (and optionally `auc`); one setting is `original`.
    """
    frame = _frame(points)
    if not np.isfinite(budget_points) or budget_points < 0:
        raise DataError(f"the utility budget must be a non-negative number of points; got {budget_points}")
    if "setting" not in frame.columns or (frame["setting"] == original).sum() != 1:
        raise DataError(f"frontier points need exactly one setting named '{original}'")
    base = frame[frame["setting"] == original].iloc[0]
    floor = base["utility"] - budget_points / 100
    within = frame[frame["utility"] >= floor - 1e-12].copy()
    within["_auc"] = within["auc"] if "auc" in within.columns else 0.0
    within["_pos"] = np.arange(len(within))
    best = within.sort_values(["advantage", "utility", "_auc", "_pos"], ascending=[True, False, True, True]).iloc[0]

    def auc(row):
        return float(row["auc"]) if "auc" in row.index and pd.notna(row["auc"]) else None

    return Recommendation(setting=str(best["setting"]), utility=float(best["utility"]),
                          advantage=float(best["advantage"]), auc=auc(best),
                          original_utility=float(base["utility"]), original_advantage=float(base["advantage"]),
                          original_auc=auc(base), budget_points=float(budget_points),
                          cost_points=float(100 * (base["utility"] - best["utility"])), candidates=len(within))
