"""Attacks against hand-built models whose answers are known, and the metric functions."""

import numpy as np
import pandas as pd
import pytest
from sklearn.dummy import DummyClassifier
from sklearn.neighbors import KNeighborsClassifier
from sklearn.tree import DecisionTreeClassifier

from anonymizer import attacks


def test_roc_metrics_on_hand_computed_points():
    # ranking M M N M N N: ROC (0,0) (0,1/3) (0,2/3) (1/3,2/3) (1/3,1) (2/3,1) (1,1)
    m = attacks.membership_metrics([0.9, 0.8, 0.4], [0.7, 0.3, 0.2])
    assert m.auc == pytest.approx(8 / 9)
    assert m.advantage == pytest.approx(2 / 3)
    assert m.tpr_at_1pct_fpr == pytest.approx(2 / 3)
    assert m.tpr_at_0_1pct_fpr == pytest.approx(2 / 3)
    assert m.tpr_at_1pct_fpr_supported is False  # 3 non-members < 10 / 0.01
    roc = dict(zip(m.roc["fpr"], m.roc["tpr"]))
    assert roc[0.0] == pytest.approx(2 / 3) and roc[1.0] == 1.0
    fpr = np.array(m.roc["fpr"])
    assert np.array(m.roc["tpr"])[(fpr >= 1 / 3) & (fpr < 2 / 3)] == pytest.approx(1.0)


def test_tpr_at_fpr_never_interpolates():
    fpr, tpr = np.array([0, 0.005, 0.02, 1]), np.array([0.1, 0.3, 0.9, 1])
    assert attacks.tpr_at_fpr(fpr, tpr, 0.01) == 0.3


def test_low_fpr_figures_are_flagged_by_support():
    rng = np.random.default_rng(0)
    m = attacks.membership_metrics(rng.random(1000), rng.random(1000))
    assert m.tpr_at_1pct_fpr_supported and not m.tpr_at_0_1pct_fpr_supported


def test_repeats_draw_balanced_sets_and_report_spread():
    rng = np.random.default_rng(0)
    m = attacks.repeated_membership_metrics(rng.random(500) + 0.1, rng.random(200), n_repeats=4, seed=1)
    assert m.n_members == m.n_nonmembers == 200 and m.repeats == 4
    assert 0.5 < m.auc < 0.8 and m.auc_std > 0


def random_label_data(n, n_classes, seed):
    """Features with no signal and labels from `n_classes`: only memorization can fit them."""
    rng = np.random.default_rng(seed)
    X = pd.DataFrame(rng.normal(size=(n, 4)), columns=list("abcd"))
    y = pd.Series(rng.integers(0, n_classes, n)).astype(str)
    return X, y


def bank_and_eval(factory, seed=0):
    X, y = random_label_data(3000, 20, seed)
    members, nonmembers, pool = slice(0, 1000), slice(1000, 2000), slice(2000, 3000)
    bank = attacks.train_reference_bank(factory, X[pool], y[pool], n_models=6, seed=seed)
    return X, y, members, nonmembers, pool, bank


def test_memorizing_model_is_caught_by_threshold_and_lira():
    factory = lambda seed: KNeighborsClassifier(n_neighbors=1)
    X, y, mem, non, pool, bank = bank_and_eval(factory)
    target = factory(0).fit(X[mem], y[mem])
    X_e, y_e = pd.concat([X[mem], X[non]]), pd.concat([y[mem], y[non]])
    th = attacks.threshold_scores(target, X_e, y_e)
    # members are always right (confidence 1); non-members right 1 time in 20: AUC = 1 - 0.05 / 2
    assert attacks.membership_metrics(th[:1000], th[1000:]).auc > 0.95
    lira = attacks.OfflineLiRA().fit(bank, X_e, y_e).score(target, X_e, y_e)
    assert attacks.membership_metrics(lira[:1000], lira[1000:]).auc > 0.9
    shadow = attacks.ShadowAttack(0).fit(bank, X[pool], y[pool]).score(target, X_e, y_e)
    assert attacks.membership_metrics(shadow[:1000], shadow[1000:]).auc > 0.9


def test_constant_model_gives_chance():
    factory = lambda seed: DummyClassifier(strategy="prior")
    X, y, mem, non, pool, bank = bank_and_eval(factory)
    target = factory(0).fit(X[mem], y[mem])
    X_e, y_e = pd.concat([X[mem], X[non]]), pd.concat([y[mem], y[non]])
    for scores in (attacks.threshold_scores(target, X_e, y_e),
                   attacks.OfflineLiRA().fit(bank, X_e, y_e).score(target, X_e, y_e)):
        assert abs(attacks.membership_metrics(scores[:1000], scores[1000:]).auc - 0.5) < 0.05
    uniform = DummyClassifier(strategy="uniform").fit(X[mem], y[mem])
    s = attacks.threshold_scores(uniform, X_e, y_e)
    assert attacks.membership_metrics(s[:1000], s[1000:]).auc == 0.5  # every score tied


def test_correct_means_member_matches_the_train_test_gap():
    rng = np.random.default_rng(3)
    X = pd.DataFrame({"a": rng.normal(size=2000), "b": rng.normal(size=2000)})
    y = np.where(X["a"] + rng.normal(scale=1.0, size=2000) > 0, "p", "n")
    model = DecisionTreeClassifier(max_depth=8, random_state=0).fit(X[:1000], y[:1000])
    members, nonmembers = X[:1000], X[1000:1700]  # unbalanced on purpose: the rule balances them
    n = 700
    train_acc = (model.predict(members[:n]) == y[:n]).mean()
    test_acc = (model.predict(nonmembers) == y[1000:1700]).mean()
    got = attacks.correct_means_member_accuracy(model, members, y[:1000], nonmembers, y[1000:1700])
    assert train_acc > test_acc
    assert got == pytest.approx(0.5 + (train_acc - test_acc) / 2)


def test_true_label_proba_aligns_classes_and_unknown_labels():
    model = DummyClassifier(strategy="prior").fit([[0]] * 4, ["b", "a", "a", "a"])
    p = attacks.true_label_proba(model, pd.DataFrame({"x": [0, 0, 0]}), ["a", "b", "zzz"])
    assert p.tolist() == [0.75, 0.25, 0.0]


def test_attribute_inference_finds_what_a_memorizing_model_leaks():
    rng = np.random.default_rng(0)
    n = 3000
    frame = pd.DataFrame({"x1": rng.random(n), "x2": rng.random(n),
                          "s": pd.array(rng.choice(["u", "v"], n), dtype="str"),
                          "y": rng.choice(["yes", "no"], n)})
    features = ["x1", "x2", "s"]

    class OneNN:  # memorizes (x1, x2, s): a wrong s lands on another record's label
        def fit(self, X, y):
            self.knn = KNeighborsClassifier(1).fit(self._enc(X), y)
            self.classes_ = self.knn.classes_
            return self

        def _enc(self, X):
            return np.column_stack([X["x1"], X["x2"], (X["s"] == "u") * 100.0])

        def predict_proba(self, X):
            return self.knn.predict_proba(self._enc(X))

    members, nonmembers, pool = frame[:1000], frame[1000:2000], frame[2000:]
    model = OneNN().fit(members[features], members["y"])
    setup = attacks.prepare_attribute_attack(pool, pd.concat([members, nonmembers]), features, "s", "y", seed=0)
    result = attacks.attribute_inference(setup, model, pool, members, nonmembers, seed=0)
    conf = result.variants["confidence"]
    # members: the true s gives confidence 1, a wrong s only half the time -> ~0.75; non-members ~0.5
    assert conf["attack_members"] > 0.68 and abs(conf["attack_nonmembers"] - 0.5) < 0.06
    assert abs(result.baseline_members - 0.5) < 0.06  # s is independent of what the attacker knows
    assert conf["advantage_members"] > 0.15
    # the headline variant is the one stronger on the attacker's own held-out pool rows, never chosen
    # on the scored members: here both are near chance on the pool, so the leak stays in its own block
    holdout = {v: result.variants[v]["attack_pool_holdout"] for v in ("blackbox", "confidence")}
    assert result.attack_variant == max(holdout, key=holdout.get)
    assert result.attack_members == result.variants[result.attack_variant]["attack_members"]
    assert result.metric == "accuracy" and result.n_values == 2


def test_attribute_inference_rejects_unusable_attributes():
    frame = pd.DataFrame({"x": np.arange(100.0), "id": np.arange(100), "one": ["a"] * 100, "y": ["p", "q"] * 50})
    with pytest.raises(Exception, match="at most 30"):
        attacks.prepare_attribute_attack(frame, frame, ["x", "id"], "id", "y", 0)
    with pytest.raises(Exception, match="single value"):
        attacks.prepare_attribute_attack(frame, frame, ["x", "one"], "one", "y", 0)


# --- exact ROC figures: every one equals a brute force over all thresholds, ties included ------------

from fractions import Fraction  # noqa: E402

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402


def brute_force_roc(members, nonmembers):
    """(FPR, TPR) of "member when score >= t" for every t, as exact fractions (plus the empty rule)."""
    thresholds = sorted(set(members) | set(nonmembers)) + [float("inf")]
    return [(Fraction(sum(s >= t for s in nonmembers), len(nonmembers)),
             Fraction(sum(s >= t for s in members), len(members))) for t in thresholds]


def brute_force_figures(members, nonmembers, levels):
    points = brute_force_roc(members, nonmembers)
    wins = sum(1 if m > n else Fraction(1, 2) if m == n else 0 for m in members for n in nonmembers)
    out = {"auc": Fraction(wins, len(members) * len(nonmembers)),
           "advantage": max(tpr - fpr for fpr, tpr in points)}
    for key, level in levels.items():
        out[key] = max(tpr for fpr, tpr in points if fpr <= Fraction(level).limit_denominator(10**6))
    return out


def test_tied_scores_keep_the_roc_point_the_tpr_at_fpr_step_needs():
    # 100 non-members, so one false positive is FPR 1%. Tied groups put (0, 0.1), (0.01, 0.2) and
    # (0.02, 0.3) on one straight line; dropping the middle point as "intermediate" reported 0.1.
    members = [10, 9, 8, 5, 5, 5, 5, 5, 5, 5]
    nonmembers = [9, 8] + [0] * 98
    m = attacks.membership_metrics(members, nonmembers)
    assert brute_force_figures(members, nonmembers, {"at_1pct": 0.01})["at_1pct"] == Fraction(2, 10)
    assert m.tpr_at_1pct_fpr == pytest.approx(0.2)
    roc = dict(zip(m.roc["fpr"], m.roc["tpr"]))
    assert roc[0.01] == pytest.approx(0.2)


tie_heavy = st.lists(st.integers(0, 6), min_size=1, max_size=40)


@settings(max_examples=300, deadline=None)
@given(tie_heavy, tie_heavy)
def test_every_roc_figure_equals_the_brute_force(members, nonmembers):
    m = attacks.membership_metrics(members, nonmembers)
    levels = {**attacks.FPR_LEVELS, **{f"grid_{i}": g for i, g in enumerate(m.roc["fpr"])}}
    want = brute_force_figures(members, nonmembers, levels)
    assert m.auc == pytest.approx(float(want["auc"]), abs=1e-12)
    assert m.advantage == pytest.approx(float(want["advantage"]), abs=1e-12)
    for key in attacks.FPR_LEVELS:
        assert getattr(m, key) == pytest.approx(float(want[key]), abs=1e-12)
    for i, tpr in enumerate(m.roc["tpr"]):
        assert tpr == pytest.approx(float(want[f"grid_{i}"]), abs=1e-6)


# --- regression targets: attacks on the per-record squared error --------------------------------

from sklearn.dummy import DummyRegressor  # noqa: E402
from sklearn.neighbors import KNeighborsRegressor  # noqa: E402


def random_target_data(n, seed):
    """Features with no signal and a noisy numeric target: only memorization can fit it."""
    rng = np.random.default_rng(seed)
    return pd.DataFrame(rng.normal(size=(n, 4)), columns=list("abcd")), pd.Series(rng.normal(50, 10, n))


def regression_aucs(factory):
    X, y = random_target_data(3000, 1)
    mem, non, pool = slice(0, 1000), slice(1000, 2000), slice(2000, 3000)
    bank = attacks.train_reference_bank(factory, X[pool], y[pool], n_models=6, seed=0)
    assert bank.task == "regression"
    target = factory(0).fit(X[mem], y[mem])
    X_e, y_e = pd.concat([X[mem], X[non]]), pd.concat([y[mem], y[non]])
    scores = {"threshold": attacks.threshold_scores(target, X_e, y_e),
              "lira": attacks.OfflineLiRA().fit(bank, X_e, y_e).score(target, X_e, y_e),
              "shadow": attacks.ShadowAttack(0).fit(bank, X[pool], y[pool]).score(target, X_e, y_e),
              "rmia": attacks.OfflineRMIA().fit(bank, X_e, y_e, X[pool], y[pool]).score(target, X_e, y_e)}
    return {name: attacks.membership_metrics(s[:1000], s[1000:]).auc for name, s in scores.items()}


def test_memorizing_regressor_is_caught_by_every_attack():
    aucs = regression_aucs(lambda seed: KNeighborsRegressor(n_neighbors=1))
    assert min(aucs.values()) > 0.9, aucs


def test_constant_regressor_gives_chance_to_every_attack():
    aucs = regression_aucs(lambda seed: DummyRegressor(strategy="mean"))
    assert all(abs(auc - 0.5) < 0.05 for auc in aucs.values()), aucs


def test_regression_threshold_score_is_minus_the_squared_error():
    model = DummyRegressor(strategy="constant", constant=3.0).fit([[0]] * 2, [0, 1])
    X = pd.DataFrame({"x": [0, 0, 0]})
    assert attacks.threshold_scores(model, X, [3.0, 5.0, 1.5]).tolist() == [0.0, -4.0, -2.25]
    assert attacks.lira_signal(model, X, [3.0, 5.0, 1.5]).tolist() == [0.0, -4.0, -2.25]


def test_attribute_inference_works_against_a_regressor():
    rng = np.random.default_rng(0)
    n = 3000
    frame = pd.DataFrame({"x1": rng.random(n), "x2": rng.random(n),
                          "s": pd.array(rng.choice(["u", "v"], n), dtype="str"), "y": rng.normal(size=n)})
    features = ["x1", "x2", "s"]

    class OneNN:  # a regressor that memorizes (x1, x2, s): a wrong s lands on another record's target
        def fit(self, X, y):
            self.knn = KNeighborsRegressor(1).fit(self._enc(X), y)
            return self

        def _enc(self, X):
            return np.column_stack([X["x1"], X["x2"], (X["s"] == "u") * 100.0])

        def predict(self, X):
            return self.knn.predict(self._enc(X))

    members, nonmembers, pool = frame[:1000], frame[1000:2000], frame[2000:]
    model = OneNN().fit(members[features], members["y"])
    setup = attacks.prepare_attribute_attack(pool, pd.concat([members, nonmembers]), features, "s", "y", seed=0)
    result = attacks.attribute_inference(setup, model, pool, members, nonmembers, seed=0)
    conf = result.variants["confidence"]
    assert conf["attack_members"] > 0.95  # the true s fits y exactly; a wrong s almost never does
    assert abs(conf["attack_nonmembers"] - 0.5) < 0.06 and abs(result.baseline_members - 0.5) < 0.06
    # S not a model input: the black-box attack gets the single prediction column
    no_s = OneNN.__new__(OneNN)
    no_s.knn = KNeighborsRegressor(1).fit(members[["x1", "x2"]].to_numpy(), members["y"])
    no_s._enc = lambda X: X[["x1", "x2"]].to_numpy()
    setup2 = attacks.prepare_attribute_attack(pool, pd.concat([members, nonmembers]), ["x1", "x2"], "s", "y", 0)
    result2 = attacks.attribute_inference(setup2, no_s, pool, members, nonmembers, seed=0)
    assert result2.attack_variant == "blackbox" and abs(result2.attack_members - 0.5) < 0.06
