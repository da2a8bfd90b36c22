"""RMIA against a hand-computed case and against models whose leak is known."""

import numpy as np
import pandas as pd
import pytest
from sklearn.dummy import DummyClassifier
from sklearn.neighbors import KNeighborsClassifier

from anonymizer import DataError, attacks


class FixedModel:
    """Gives each record (by its id) a fixed probability of label 1; every true label here is 1."""

    classes_ = np.array([0, 1])

    def __init__(self, p: dict):
        self.p = p

    def predict_proba(self, X):
        p = np.array([self.p[i] for i in X["id"]])
        return np.column_stack([1 - p, p])


POOL = pd.DataFrame({"id": ["z1", "z2", "z3", "z4"]})
EVAL = pd.DataFrame({"id": ["x1", "x2"]})
ONES_POOL, ONES_EVAL = np.ones(4, int), np.ones(2, int)
# reference model A trained on z1, z2; B on z3, z4. The 0.99s are IN values and must be ignored.
A = FixedModel({"z1": 0.99, "z2": 0.99, "z3": 0.5, "z4": 0.25, "x1": 0.4, "x2": 0.6})
B = FixedModel({"z1": 0.5, "z2": 0.8, "z3": 0.99, "z4": 0.99, "x1": 0.6, "x2": 0.2})
BANK = attacks.ReferenceBank([A, B], np.array([[True, True, False, False], [False, False, True, True]]))
TARGET = FixedModel({"x1": 0.9, "x2": 0.3, "z1": 0.5, "z2": 0.85, "z3": 0.25, "z4": 0.4375})


@pytest.mark.parametrize("gamma, want", [(1.0, [1.0, 0.25]), (1.1, [1.0, 0.25]), (2.0, [0.25, 0.0])])
def test_rmia_score_matches_the_hand_computation(gamma, want):
    # a = 0.5: P = (1.5 P_out + 0.5) / 2 = 0.75 P_out + 0.25
    # P_out: x1 (0.4 + 0.6) / 2 = 0.5 -> P 0.625; x2 0.4 -> 0.55; z1 (B only) 0.5 -> 0.625;
    #        z2 0.8 -> 0.85; z3 (A only) 0.5 -> 0.625; z4 0.25 -> 0.4375
    # target / P: x1 1.44, x2 0.5454; z1 0.8, z2 1.0, z3 0.4, z4 1.0
    # gamma 1: x1 beats all four z, x2 only z3. gamma 2: x1 needs z <= 0.72 (z3); x2 needs z <= 0.27 (none)
    rmia = attacks.OfflineRMIA(a=0.5, gamma=gamma, tie_break=False).fit(BANK, EVAL, ONES_EVAL, POOL, ONES_POOL)
    assert rmia.score(TARGET, EVAL, ONES_EVAL) == pytest.approx(want)


def test_tie_break_orders_within_a_share_and_never_across():
    broken = attacks.OfflineRMIA(a=0.5).fit(BANK, EVAL, ONES_EVAL, POOL, ONES_POOL).score(TARGET, EVAL, ONES_EVAL)
    assert np.floor(broken * 4) / 4 == pytest.approx([1.0, 0.25])
    assert broken[1] < 0.5


def test_a_is_tuned_on_a_reference_model_and_inputs_are_checked():
    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(1200, 3)), columns=list("abc"))
    y = pd.Series(rng.integers(0, 5, len(X)))
    bank = attacks.train_reference_bank(lambda s: KNeighborsClassifier(1), X[:800], y[:800], 4, seed=0)
    rmia = attacks.OfflineRMIA().fit(bank, X[800:], y[800:], X[:800], y[:800])
    assert rmia.a_ in attacks.OfflineRMIA.A_GRID
    assert rmia.tuning_auc_[rmia.a_] == max(rmia.tuning_auc_.values()) > 0.7  # 1-NN leaks to every a
    with pytest.raises(DataError, match="the pool the reference models were trained on"):
        attacks.OfflineRMIA().fit(bank, X[800:], y[800:], X[:700], y[:700])
    with pytest.raises(DataError, match="scores the 400 records it was fit on"):
        rmia.score(bank.models[0], X[:10], y[:10])


def random_label_data(n, n_classes, seed):
    rng = np.random.default_rng(seed)
    return (pd.DataFrame(rng.normal(size=(n, 4)), columns=list("abcd")),
            pd.Series(rng.integers(0, n_classes, n)).astype(str))


@pytest.mark.parametrize("factory, low, high", [
    (lambda seed: KNeighborsClassifier(n_neighbors=1), 0.9, 1.0),  # memorizes: caught
    (lambda seed: DummyClassifier(strategy="prior"), 0.45, 0.55),  # says nothing about anyone: chance
])
def test_rmia_catches_memorization_and_gives_chance_on_a_constant_model(factory, low, high):
    X, y = random_label_data(3000, 20, 0)
    mem, non, pool = slice(0, 1000), slice(1000, 2000), slice(2000, 3000)
    bank = attacks.train_reference_bank(factory, X[pool], y[pool], n_models=6, seed=0)
    target = factory(0).fit(X[mem], y[mem])
    X_e, y_e = pd.concat([X[mem], X[non]]), pd.concat([y[mem], y[non]])
    scores = attacks.OfflineRMIA().fit(bank, X_e, y_e, X[pool], y[pool]).score(target, X_e, y_e)
    assert low <= attacks.membership_metrics(scores[:1000], scores[1000:]).auc <= high


def test_shared_reference_outputs_give_the_same_lira_and_rmia():
    X, y = random_label_data(1500, 5, 2)
    bank = attacks.train_reference_bank(lambda s: KNeighborsClassifier(3), X[1000:], y[1000:], 4, seed=0)
    target = KNeighborsClassifier(3).fit(X[:500], y[:500])
    X_e, y_e = X[:1000], y[:1000]
    outputs = attacks.reference_outputs(bank, X_e, y_e)
    assert outputs.shape == (4, 1000)
    np.testing.assert_array_equal(attacks.OfflineLiRA().fit(bank, X_e, y_e, outputs=outputs).score(target, X_e, y_e),
                                  attacks.OfflineLiRA().fit(bank, X_e, y_e).score(target, X_e, y_e))
    shared = attacks.OfflineRMIA(max_pool_rows=300).fit(bank, X_e, y_e, X[1000:], y[1000:], outputs=outputs)
    alone = attacks.OfflineRMIA(max_pool_rows=300).fit(bank, X_e, y_e, X[1000:], y[1000:])
    np.testing.assert_array_equal(shared.score(target, X_e, y_e), alone.score(target, X_e, y_e))
    assert len(shared.X_z_) <= 300  # tuning and population come from a bounded, seeded share of the pool
