"""Every metric on a five-row table computed by hand (docs/design.md, "Privacy metrics")."""

import math

import numpy as np
import pandas as pd
import pytest

from anonymizer import DataError, equivalence_classes, privacy_metrics
from anonymizer.metrics import sensitive_metrics


@pytest.fixture
def tables():
    original = pd.DataFrame({
        "age": [10, 20, 30, 40, 50],
        "color": pd.array(["r", "g", "r", "b", "b"], dtype="str"),
        "s": pd.array(["x", "y", "x", "x", "z"], dtype="str"),
        "salary": [1, 2, 3, 1, 3],
    })
    anonymized = original.copy()
    anonymized["age"] = [20, 20, 20, 40, 40]
    anonymized["color"] = pd.array(["r", "r", "r", "b", "b"], dtype="str")
    return original, anonymized  # classes: rows {0,1,2} and {3,4}


def test_class_structure_metrics(tables):
    original, anonymized = tables
    m = privacy_metrics(anonymized, ["age", "color"], k=2, original=original, risk_threshold=0.4)
    assert (m.k_achieved, m.n_rows, m.n_classes) == (2, 5, 2)
    assert m.discernibility == 3 ** 2 + 2 ** 2
    assert m.avg_class_size_metric == pytest.approx((5 / 2) / 2)
    assert m.max_risk == 0.5
    assert m.avg_risk == pytest.approx(2 / 5)
    assert m.share_at_risk == pytest.approx(2 / 5)  # the two rows with risk 1/2 > 0.4
    assert m.class_size_distribution["min"] == 2 and m.class_size_distribution["max"] == 3


def test_share_at_risk_is_strictly_above_the_threshold(tables):
    original, anonymized = tables
    assert privacy_metrics(anonymized, ["age", "color"], risk_threshold=0.5).share_at_risk == 0.0
    assert privacy_metrics(anonymized, ["age", "color"], risk_threshold=0.3).share_at_risk == 1.0


def test_ncp_and_gcp(tables):
    original, anonymized = tables
    m = privacy_metrics(anonymized, ["age", "color"], k=2, original=original)
    # age: range 40; class 1 [10,30] -> 0.5, class 2 [40,50] -> 0.25; weighted (3*.5 + 2*.25)/5
    assert m.ncp["age"] == pytest.approx(0.4)
    # color: 3 distinct; class 1 {r,g} -> 2/3, class 2 {b} -> 0; weighted (3*2/3)/5
    assert m.ncp["color"] == pytest.approx(0.4)
    assert m.gcp == pytest.approx(0.4)


def test_l_diversity_and_t_closeness_categorical(tables):
    original, anonymized = tables
    m = privacy_metrics(anonymized, ["age", "color"], sensitive="s")
    assert m.l_distinct == 2
    # class 1 has (2/3, 1/3): exp(H) = 3 / 2**(2/3); class 2 has (1/2, 1/2): exp(H) = 2
    assert m.l_entropy == pytest.approx(3 / 2 ** (2 / 3))
    # table (x .6, y .2, z .2); class 1 half-L1 = 0.2, class 2 = 0.3
    assert m.t_closeness == pytest.approx(0.3)


def test_t_closeness_numeric_is_the_ordered_emd(tables):
    original, anonymized = tables
    m = privacy_metrics(anonymized, ["age", "color"], sensitive="salary")
    # values 1<2<3, table (.4,.2,.4); class 1 (1/3 each): cumulative |-1/15|+|1/15| over 2 -> 1/15
    # class 2 (.5, 0, .5): cumulative |.1|+|-.1| over 2 -> 0.1
    assert m.t_closeness == pytest.approx(0.1)
    assert m.l_distinct == 2


def test_sensitive_metrics_in_blocks_match_one_block(monkeypatch):
    rng = np.random.default_rng(0)
    ids = rng.integers(0, 50, 2000)
    ids = np.unique(ids, return_inverse=True)[1]
    values = pd.Series(rng.integers(0, 30, 2000))
    whole = sensitive_metrics(ids, values)
    import anonymizer.metrics as metrics
    monkeypatch.setattr(metrics, "_BLOCK", 90)  # three classes a block
    blocks = metrics.sensitive_metrics(ids, values)
    assert np.array_equal(blocks.pop("homogeneous"), whole.pop("homogeneous"))
    assert blocks == pytest.approx(whole)


def test_missing_sensitive_values_count_as_a_value():
    anonymized = pd.DataFrame({"q": ["a"] * 4, "s": pd.array(["x", None, "x", None], dtype="str")})
    m = privacy_metrics(anonymized, ["q"], sensitive="s")
    assert m.l_distinct == 2 and m.l_entropy == pytest.approx(2.0) and m.t_closeness == 0.0


def test_classes_come_from_the_output_table_missing_equal_to_missing():
    anonymized = pd.DataFrame({"q": pd.array(["a", None, None, "a"], dtype="str"), "n": [1.0, np.nan, np.nan, 1.0]})
    ids = equivalence_classes(anonymized, ["q", "n"])
    assert ids[0] == ids[3] and ids[1] == ids[2] and ids[0] != ids[1]


def test_to_dict_leaves_out_sensitive_keys_without_a_sensitive_attribute(tables):
    original, anonymized = tables
    d = privacy_metrics(anonymized, ["age", "color"], k=2, original=original).to_dict()
    assert "l_distinct" not in d and d["gcp"] == pytest.approx(0.4)
    d = privacy_metrics(anonymized, ["age", "color"], sensitive="s").to_dict()
    assert math.isclose(d["t_closeness"], 0.3)


def test_bad_metric_input(tables):
    original, anonymized = tables
    with pytest.raises(DataError, match="between 0 and 1"):
        privacy_metrics(anonymized, ["age"], risk_threshold=2)
    with pytest.raises(DataError, match="rows and index"):
        privacy_metrics(anonymized, ["age"], original=original.iloc[:3])
    with pytest.raises(DataError, match="sensitive"):
        privacy_metrics(anonymized, ["age"], sensitive="nope")
