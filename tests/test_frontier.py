"""The Pareto front against a brute force; the recommendation keeps to its budget."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from anonymizer import DataError
from anonymizer.frontier import Recommendation, pareto_front, recommend, strongest_attack_point


def dominates(s, t) -> bool:
    return (s["utility"] >= t["utility"] and s["advantage"] <= t["advantage"]
            and (s["utility"] > t["utility"] or s["advantage"] < t["advantage"]))


# few distinct values, so ties in utility, in advantage and in both are common
value = st.sampled_from([0.0, 0.1, 0.2, 0.25, 0.5, 0.8, 1.0])
points_strategy = st.lists(st.fixed_dictionaries({"utility": value, "advantage": value}), min_size=1, max_size=25)


@settings(max_examples=400, deadline=None)
@given(points_strategy)
def test_pareto_front_equals_the_brute_force(points):
    want = [not any(dominates(s, t) for s in points) for t in points]
    assert pareto_front(points).tolist() == want


def test_pareto_front_on_a_hand_checked_case():
    points = pd.DataFrame({"setting": ["original", "qi", "ag10", "ag100", "dp1", "same"],
                           "utility": [0.85, 0.80, 0.84, 0.82, 0.78, 0.84],
                           "advantage": [0.20, 0.02, 0.10, 0.10, 0.02, 0.10]})
    # ag100 loses to ag10 (same advantage, less utility); dp1 loses to qi; ag10 and "same" tie: both stay
    assert pareto_front(points).tolist() == [True, True, True, False, False, True]


def sweep():
    return pd.DataFrame({"setting": ["original", "QIs dropped", "AG k=10", "AG k=100", "Mondrian k=10", "DP e=1"],
                         "utility": [0.860, 0.820, 0.855, 0.845, 0.840, 0.790],
                         "advantage": [0.200, 0.010, 0.120, 0.060, 0.090, 0.005],
                         "auc": [0.70, 0.51, 0.62, 0.56, 0.58, 0.50]})


@pytest.mark.parametrize("budget, setting", [(0, "original"), (0.5, "AG k=10"), (1.5, "AG k=100"),
                                             (4, "QIs dropped"), (7, "DP e=1"), (100, "DP e=1")])
def test_recommendation_on_a_hand_checked_sweep(budget, setting):
    rec = recommend(sweep(), budget)
    assert rec.setting == setting
    row = sweep().set_index("setting").loc[setting]
    assert rec.utility == row["utility"] and rec.advantage == row["advantage"] and rec.auc == row["auc"]
    assert rec.original_utility == 0.86 and rec.original_advantage == 0.2 and rec.original_auc == 0.7
    assert rec.cost_points == pytest.approx(100 * (0.86 - row["utility"]))
    assert rec.advantage_removed == pytest.approx(0.2 - row["advantage"])


@settings(max_examples=300, deadline=None)
@given(points_strategy, st.floats(0, 100))
def test_recommendation_respects_the_budget_and_is_the_most_private_within_it(points, budget):
    frame = pd.DataFrame(points)
    frame["setting"] = ["original"] + [f"s{i}" for i in range(1, len(frame))]
    rec = recommend(frame, budget)
    assert isinstance(rec, Recommendation)
    floor = frame["utility"].iloc[0] - budget / 100
    assert rec.utility >= floor - 1e-12 and rec.cost_points <= budget + 1e-9
    within = frame[frame["utility"] >= floor - 1e-12]
    assert rec.advantage == within["advantage"].min()
    assert rec.utility == within.loc[within["advantage"] == rec.advantage, "utility"].max()


def test_strongest_attack_point_and_bad_input():
    membership = {"threshold": {"auc": 0.6, "advantage": 0.1},
                  "lira": {"auc": 0.7, "advantage": 0.3, "advantage_std": 0.01},
                  "rmia": {"auc": 0.72, "advantage": 0.25}}
    point = strongest_attack_point("AG k=10", "ag", 0.84, membership, 0.83, 0.85)
    assert point == {"setting": "AG k=10", "kind": "ag", "utility": 0.84, "utility_low": 0.83,
                     "utility_high": 0.85, "advantage": 0.3, "advantage_std": 0.01, "auc": 0.7, "attack": "lira"}
    with pytest.raises(DataError, match="exactly one setting named 'original'"):
        recommend(sweep().iloc[1:], 1)
    with pytest.raises(DataError, match="non-negative number of points"):
        recommend(sweep(), -1)
    with pytest.raises(DataError, match="finite utility"):
        pareto_front([{"utility": np.nan, "advantage": 0.1}])
    with pytest.raises(DataError, match="no membership attack figures"):
        strongest_attack_point("x", "ag", 0.8, {})


def test_frontier_chart_joins_the_pareto_points_and_shows_auc_and_intervals():
    import json

    from anonymizer import charts

    points = sweep().assign(kind=["original", "qi_dropped", "ag", "ag", "mondrian", "dp"], attack="rmia",
                            utility_low=lambda f: f["utility"] - 0.01, utility_high=lambda f: f["utility"] + 0.01)
    fig = charts.privacy_utility_frontier(points, recommended="AG k=100")
    line = fig.data[0]
    # front: DP e=1 (0.005), QIs dropped (0.01), AG k=100 (0.06), AG k=10 (0.12), original (0.2);
    # Mondrian k=10 (0.84 at 0.09) is dominated by AG k=100 (0.845 at 0.06)
    assert list(line.x) == [0.005, 0.01, 0.06, 0.12, 0.2]
    markers = {trace.name: trace for trace in fig.data[1:]}
    assert set(markers) == {"Original", "QIs dropped", "Accuracy-guided", "Mondrian", "Differential privacy (DP-EBM)"}
    ag = markers["Accuracy-guided"]
    assert list(ag.customdata[0]) == ["AG k=10", 0.62, "RMIA (offline)"] and "AUC" in ag.hovertemplate
    assert list(ag.error_y.array) == pytest.approx([0.01, 0.01])
    assert fig.layout.annotations[0].text == "recommended: AG k=100"
    json.loads(fig.to_json())  # serializable for the report
    text = charts.reading_frontier(recommend(points, 1.5))
    assert text.startswith("Within an accuracy budget of 1.5 points, the most private setting is AG k=100: 84.5%")
    assert "falls from 0.200 to 0.060, AUC 0.560" in text
    assert "no setting is more private" in charts.reading_frontier(recommend(points, 0))
