"""Intervals and tests against chance, checked by hand and against scipy/scikit-learn."""

import math

import numpy as np
import pytest
from sklearn.metrics import r2_score, roc_auc_score

from anonymizer import DataError
from anonymizer.stats import (
    accuracy_interval,
    auc_against_chance,
    auc_interval,
    bootstrap_interval,
    majority_rate,
    mean_prediction_r2,
    r2_interval,
    wilson_interval,
    within_noise,
)


def test_wilson_interval_hand_checked():
    # 50 of 100: centre 0.5, half-width 1.96/1.038416 * sqrt(0.0025 + 0.038416/400)
    lo, hi = wilson_interval(0.5, 100)
    half = 1.96 / 1.038416 * math.sqrt(0.0025 + 0.038416 / 400)
    assert (lo, hi) == pytest.approx((0.5 - half, 0.5 + half), abs=1e-12)
    assert (lo, hi) == pytest.approx((0.40383, 0.59617), abs=1e-5)
    # 0 of 10 is not a zero-width interval: upper bound z²/(n + z²) = 3.8416/13.8416
    assert wilson_interval(0.0, 10) == pytest.approx((0.0, 3.8416 / 13.8416), abs=1e-12)
    assert wilson_interval(1.0, 10) == pytest.approx((1 - 3.8416 / 13.8416, 1.0), abs=1e-12)
    # narrower with more rows, and a wider z widens it
    assert np.diff(wilson_interval(0.7, 6000)) < np.diff(wilson_interval(0.7, 600))
    assert np.diff(wilson_interval(0.7, 600, z=2.576)) > np.diff(wilson_interval(0.7, 600))


def test_accuracy_interval_and_baselines():
    y = np.array([1, 1, 0, 1])
    assert accuracy_interval(y, np.array([1, 0, 0, 1])) == wilson_interval(0.75, 4)
    assert majority_rate(["a", "a", "b"]) == pytest.approx(2 / 3)
    assert majority_rate(np.array([1.0, np.nan, 1.0, 0.0])) == pytest.approx(2 / 3)  # missing ignored
    assert mean_prediction_r2([1, 2, 3], 2) == 0.0
    assert mean_prediction_r2([1, 2, 3], 1) == pytest.approx(1 - 5 / 2)


@pytest.mark.parametrize("call, message", [
    (lambda: wilson_interval(0.5, 0), "at least one row"),
    (lambda: wilson_interval(1.2, 10), "between 0 and 1"),
    (lambda: accuracy_interval([1, 0], [1]), "2 true labels but 1"),
    (lambda: majority_rate([]), "at least one"),
    (lambda: mean_prediction_r2([3, 3], 1), "every held-out target value is the same"),
    (lambda: auc_against_chance([], [1]), "no member scores"),
    (lambda: auc_against_chance([np.nan], [1]), "missing"),
    (lambda: auc_against_chance([1], [0], alternative="less"), "unknown alternative"),
    (lambda: r2_interval([1.0], [1.0]), "at least two"),
    (lambda: r2_interval([1.0, 2.0], [1.0, 2.0], level=95), "confidence level"),
    (lambda: within_noise(0.5, 0.6, (0.6, 0.7)), "outside its own interval"),
])
def test_bad_input_is_a_data_error(call, message):
    with pytest.raises(DataError, match=message):
        call()


def test_auc_against_chance_hand_checked():
    # pairs (3,1) (3,2) (2,1) won, (2,2) tied: U = 3.5 of 4; ranks 1, 2.5, 2.5, 4
    test = auc_against_chance([3, 2], [1, 2])
    assert (test.auc, test.u) == (0.875, 3.5)
    variance = 2 * 2 / 12 * (5 - (2 ** 3 - 2) / (4 * 3))  # tie correction: one tie of two
    assert variance == 1.5
    assert test.z == pytest.approx(1.5 / math.sqrt(1.5), abs=1e-12)
    assert test.p_value == pytest.approx(math.erfc(test.z / math.sqrt(2)), abs=1e-12)
    greater = auc_against_chance([3, 2], [1, 2], alternative="greater")
    assert greater.p_value == pytest.approx(test.p_value / 2, abs=1e-12)
    assert test.to_dict()["n_members"] == 2
    # every score tied: AUC 0.5 and no evidence at all
    flat = auc_against_chance([1, 1, 1], [1, 1])
    assert (flat.auc, flat.z, flat.p_value) == (0.5, 0.0, 1.0)


def test_auc_against_chance_matches_scipy_and_sklearn():
    scipy_stats = pytest.importorskip("scipy.stats")
    rng = np.random.default_rng(3)
    members, nonmembers = rng.normal(0.1, 1, 700).round(1), rng.normal(0, 1, 500).round(1)  # many ties
    test = auc_against_chance(members, nonmembers)
    reference = scipy_stats.mannwhitneyu(members, nonmembers, method="asymptotic", use_continuity=False)
    assert test.u == reference.statistic
    assert test.p_value == pytest.approx(reference.pvalue, rel=1e-9)
    labels = np.r_[np.ones(700), np.zeros(500)]
    assert test.auc == pytest.approx(roc_auc_score(labels, np.r_[members, nonmembers]), abs=1e-12)
    one_sided = scipy_stats.mannwhitneyu(members, nonmembers, method="asymptotic", use_continuity=False,
                                         alternative="greater")
    assert auc_against_chance(members, nonmembers, "greater").p_value == pytest.approx(one_sided.pvalue, rel=1e-9)


def test_auc_interval_is_seeded_and_holds_the_estimate():
    rng = np.random.default_rng(0)
    members, nonmembers = rng.normal(0.3, 1, 400), rng.normal(0, 1, 300)
    a = auc_interval(members, nonmembers, n_resamples=300, seed=1)
    assert a == auc_interval(members, nonmembers, n_resamples=300, seed=1)
    assert a != auc_interval(members, nonmembers, n_resamples=300, seed=2)
    auc = auc_against_chance(members, nonmembers).auc
    assert a[0] < auc < a[1] and a[1] - a[0] < 0.15
    # perfectly separated scores: every resample has AUC 1; reversed: 0
    assert auc_interval([5, 6, 7], [1, 2], n_resamples=50) == (1.0, 1.0)
    assert auc_interval([1, 2], [5, 6, 7], n_resamples=50) == (0.0, 0.0)


def test_auc_interval_of_one_score_per_side():
    # with one member and one non-member per side the only resample is the data itself
    assert auc_interval([2.0], [1.0], n_resamples=5) == (1.0, 1.0)
    assert auc_interval([1.0], [1.0], n_resamples=5) == (0.5, 0.5)


def test_r2_interval_seeded_and_consistent_with_a_plain_bootstrap():
    rng = np.random.default_rng(0)
    y = rng.normal(size=300)
    f = y + rng.normal(scale=0.8, size=300)
    fast = r2_interval(y, f, n_resamples=600, seed=4)
    assert fast == r2_interval(y, f, n_resamples=600, seed=4)
    assert fast[0] < r2_score(y, f) < fast[1]
    plain = bootstrap_interval(r2_score, y, f, n_resamples=600, seed=4)
    assert fast == pytest.approx(plain, abs=0.03)  # same statistic, different draws
    assert r2_interval(y, y, n_resamples=50) == (1.0, 1.0)


def test_within_noise_hand_checked():
    # half-widths 0.02 and 0.02: noise of the difference sqrt(0.02² + 0.02²) = 0.0283
    assert within_noise(0.80, 0.82, (0.78, 0.82), (0.80, 0.84))
    assert not within_noise(0.80, 0.83, (0.78, 0.82), (0.81, 0.85))
    # the side facing the other figure counts: a lopsided interval
    assert within_noise(0.50, 0.45, (0.40, 0.51))  # 0.05 below, lower half-width 0.10
    assert not within_noise(0.50, 0.55, (0.40, 0.51))  # 0.05 above, upper half-width 0.01
    # a fixed baseline has no interval of its own
    assert within_noise(0.5, 0.5, (0.5, 0.5))
