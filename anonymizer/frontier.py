"""The privacy-utility frontier: which settings are worth considering, and which one to pick.

A setting (original, QIs dropped, a method at a k, DP at an epsilon) is a point: its utility (the
headline figure on held-out data, with its 95% interval) and the advantage of the strongest membership
attack against it (`results.Membership.strongest`). A setting s dominates t when utility(s) >= utility(t)
and advantage(s) <= advantage(t), one of them strictly; the Pareto front is the undominated settings.
The recommendation is the most private setting whose utility stays within a budget of the original's,
made only when the intervals leave no doubt about which settings are within the budget
(docs/design.md, "Frontier"). The result types live in `results` (`Frontier`, `Recommendation`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import numpy as np
import pandas as pd

from .data import DataError
from .names import FAMILY_OF_KIND, SETTING_FAMILIES
from .results import NOTHING_BETTER, RECOMMENDED, UNDECIDED, Membership, Recommendation

ORIGINAL = "original"
PRIVACY_AXES = {"model": "the strongest membership attack on the retrained model",
                "release": "the linkage attack on the released table"}


def check_privacy_axis(privacy: str) -> str:
    if privacy not in PRIVACY_AXES:
        raise DataError(f"the privacy axis must be one of {', '.join(PRIVACY_AXES)}, not {privacy!r}")
    return privacy


def release_point(point: Mapping, linkage: Mapping) -> dict:
    """A frontier point on the release axis: the same utility, and for privacy the share of the adversary's
    released people it names correctly (`release_attacks.linkage_attack`) with its 95% interval. Settings
    without a released table (a DP model) have no such point."""
    share = linkage["reidentified_share"]
    if share is None:
        raise DataError(f"the setting '{point['setting']}' has no linkage figure: none of the adversary's people "
                        "is in its release")
    low, high = linkage["reidentified_share_ci"]
    return {**point, "advantage": float(share), "advantage_std": None, "advantage_low": float(low),
            "advantage_high": float(high), "auc": None, "attack": "linkage",
            "baseline_share": linkage["baseline_share"], "targets_in_release": linkage["targets_in_release"]}


def strongest_attack_point(setting: str, kind: str, utility: float, membership: Mapping,
                           utility_low: float | None = None, utility_high: float | None = None) -> dict:
    """One frontier point from a model's membership figures: the strongest attack (`Membership.strongest`)
    gives the point its advantage (with its spread over repeats) and its AUC."""
    if not membership:
        raise DataError(f"the setting '{setting}' has no membership attack figures")
    membership = membership if isinstance(membership, Membership) else Membership(membership)
    attack = membership.strongest()
    m = membership[attack]
    spread = None if m.advantage_std is None else float(m.advantage_std)
    return {"setting": setting, "kind": kind, "utility": float(utility),
            "utility_low": utility if utility_low is None else float(utility_low),
            "utility_high": utility if utility_high is None else float(utility_high),
            "advantage": float(m.advantage), "advantage_std": spread,
            "auc": float(m.auc), "attack": attack}


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


def _most_private(frame: pd.DataFrame) -> pd.Series:
    """The row with the smallest advantage (ties: more utility, then lower AUC, then the earlier point)."""
    frame = frame.assign(_auc=frame["auc"] if "auc" in frame.columns else 0.0, _pos=np.arange(len(frame)))
    return frame.sort_values(["advantage", "utility", "_auc", "_pos"], ascending=[True, False, True, True]).iloc[0]


def recommend(points: pd.DataFrame | Iterable[Mapping], budget_points: float, original: str = ORIGINAL,
              utility_key: str = "accuracy", n_holdout: int = 0) -> Recommendation:
    """Among settings whose utility is at least the original's minus `budget_points` / 100, the one
    with the smallest advantage (ties: more utility, then lower AUC, then the earlier point).

    points need `setting`, `utility`, `advantage` (optionally `auc`, `advantage_std`, the interval
    `utility_low`/`utility_high` and the paired interval of the change from the original
    `change_low`/`change_high`); one setting is `original`, the reference of the budget. With intervals,
    the choice is made only when they settle it: no setting that is more private than the pick may have an
    interval reaching above the budget line, and the pick's own interval must lie above it; otherwise the
    result is UNDECIDED and names the settings whose intervals cross the line. The interval used is that of
    the change from the original where it is given (every model is scored on the same rows, so the change is
    far less noisy than either figure), else the setting's own.
    """
    frame = _frame(points)
    if not np.isfinite(budget_points) or budget_points < 0:
        raise DataError(f"the utility budget must be a non-negative number of points; got {budget_points}")
    if "setting" not in frame.columns or (frame["setting"] == original).sum() != 1:
        raise DataError(f"frontier points need exactly one setting named '{original}'")
    is_original = frame["setting"] == original
    base_utility = float(frame.loc[is_original, "utility"].iloc[0])
    low = frame["utility_low"] if "utility_low" in frame.columns else frame["utility"]
    high = frame["utility_high"] if "utility_high" in frame.columns else frame["utility"]
    paired = "change_low" in frame.columns and bool(frame["change_low"].notna().all())
    if paired:  # the change from the original, on the same rows
        low, high = base_utility + frame["change_low"], base_utility + frame["change_high"]
    frame = frame.assign(_low=low.fillna(frame["utility"]), _high=high.fillna(frame["utility"]))
    base = frame[is_original].iloc[0]
    floor = base["utility"] - budget_points / 100
    within = frame[frame["utility"] >= floor - 1e-12]
    best = _most_private(within)

    def value(row, name):
        return float(row[name]) if name in row.index and pd.notna(row[name]) else None

    common = dict(budget_points=float(budget_points), utility_key=utility_key, n_holdout=int(n_holdout), paired=paired,
                  original_utility=float(base["utility"]), original_low=value(base, "utility_low"),
                  original_high=value(base, "utility_high"), original_advantage=float(base["advantage"]),
                  original_auc=value(base, "auc"), candidates=len(within))
    # the original is within its own budget by definition; every other setting is judged by its interval
    others = frame[~is_original]
    crossing = others[(others["_low"] < floor - 1e-12) & (others["_high"] >= floor - 1e-12)]
    doubtful = crossing[crossing["advantage"] < best["advantage"]]
    if best["setting"] != original and best["_low"] < floor - 1e-12:  # the pick itself may be outside the budget
        doubtful = pd.concat([doubtful, frame[frame["setting"] == best["setting"]]])
    surely = others[others["_low"] >= floor - 1e-12]
    pick = dict(setting=str(best["setting"]), utility=float(best["utility"]),
                utility_low=value(best, "utility_low"), utility_high=value(best, "utility_high"),
                change_low=float(best["_low"] - base_utility) if paired else None,
                change_high=float(best["_high"] - base_utility) if paired else None,
                advantage=float(best["advantage"]), advantage_std=value(best, "advantage_std"), auc=value(best, "auc"))
    if len(doubtful):
        return Recommendation(UNDECIDED, **common, overlapping=tuple(map(str, doubtful["setting"])),
                              surely_within=str(_most_private(surely)["setting"]) if len(surely) else None)
    status = NOTHING_BETTER if best["advantage"] >= base["advantage"] else RECOMMENDED
    return Recommendation(status, **common, **pick, family=FAMILY_OF_KIND.get(best.get("kind"), None),
                          families=family_winners(frame, within))


def family_winners(frame: pd.DataFrame, within: pd.DataFrame) -> tuple[dict, ...]:
    """Per family among the points (anonymization, DP training, DP synthetic data): its most private setting within
    the budget (the rule `recommend` applies to all), or, when none is within it, its best-utility setting and by
    how much it misses. Empty unless the points carry their `kind`."""
    if "kind" not in frame.columns:
        return ()
    out = []
    for family in SETTING_FAMILIES:
        mine = frame[frame["kind"].map(FAMILY_OF_KIND.get) == family]
        if not len(mine):
            continue
        inside = within[within["kind"].map(FAMILY_OF_KIND.get) == family]
        if len(inside):
            best = _most_private(inside)
            out.append({"family": family, "setting": str(best["setting"]), "within_budget": True,
                        "advantage": float(best["advantage"]), "utility": float(best["utility"]),
                        "advantage_std": None if pd.isna(best.get("advantage_std", np.nan)) else
                        float(best["advantage_std"])})
        else:
            best = mine.sort_values("utility", ascending=False).iloc[0]
            out.append({"family": family, "setting": str(best["setting"]), "within_budget": False,
                        "advantage": float(best["advantage"]), "utility": float(best["utility"]),
                        "advantage_std": None})
    return tuple(out)
