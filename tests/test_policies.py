"""Retention policies: a contract every registered policy honours, and the registry's promise.

``PolicyContract`` is the Axelrod-style contract: one subclass per registered
policy (generated below), so a newly registered policy is tested the moment it
exists. Every policy must be reproducible from a seed, picklable, return one
finite non-negative weight per relationship, and behave the same fresh or used.
"""

from __future__ import annotations

import pickle

import numpy as np
import pandas as pd
import pytest

import sim
from sim import POLICIES, Policy, PolicyView, register_policy
from sim.vocab import COMMITMENT, EXPANSION, EXPLORATION

MODEL_MD_POLICIES = (
    "uniform",
    "new_customers_first",
    "key_accounts",
    "at_risk",
    "satisfaction_survey",
    "customer_database",
    "shared_values_program",
)
SMALL = dict(n_exporters=6, n_buyers=120)


def synthetic_view(n: int = 50, seed: int = 0, tick: int = 12) -> PolicyView:
    """A PolicyView over ``n`` made-up relationships of three exporters."""
    g = np.random.default_rng(seed)
    return PolicyView(
        tick=tick,
        exporter=g.integers(3, size=n),
        stage=g.choice([EXPLORATION, EXPANSION, COMMITMENT], size=n).astype(np.int8),
        age=g.integers(0, 100, size=n).astype(np.float64),
        revenue=g.exponential(50.0, size=n) * (g.random(n) < 0.9),
        last_order=g.exponential(3.0, size=n),
        perceived=g.uniform(-0.5, 0.5, size=n),
        buyer_size=g.lognormal(2.0, 0.5, size=n),
        rng=np.random.default_rng(seed + 1),
    )


class PolicyContract:
    """What every retention policy must do. Subclasses set ``policy_name``."""

    policy_name: str = ""

    @pytest.fixture
    def policy(self):
        return POLICIES[self.policy_name]()

    def run(self, seed=0, ticks=40):
        model = sim.MarketModel(rng=seed, policy=self.policy_name, **SMALL)
        model.run_for(ticks)
        return model

    def test_registered_under_its_name(self, policy):
        assert isinstance(policy, Policy)
        assert policy.name == self.policy_name and POLICIES[policy.name] is type(policy)
        assert policy.description

    def test_reproducible_with_a_seed(self):
        a, b = self.run(seed=5), self.run(seed=5)
        pd.testing.assert_frame_equal(a.timeseries, b.timeseries)
        pd.testing.assert_frame_equal(a.events, b.events)
        assert a.policy.name == self.policy_name

    def test_picklable(self, policy):
        clone = pickle.loads(pickle.dumps(policy))
        assert clone == policy and type(clone) is type(policy)
        model = self.run(ticks=10)
        again = pickle.loads(pickle.dumps(model))
        model.run_for(5)
        again.run_for(5)
        pd.testing.assert_frame_equal(model.timeseries, again.timeseries)

    @pytest.mark.parametrize("n", [0, 1, 50])
    def test_one_finite_non_negative_weight_per_row(self, policy, n):
        w = np.asarray(policy.priority(synthetic_view(n)), dtype=np.float64)
        assert w.shape == (n,)
        assert np.all(np.isfinite(w)) and np.all(w >= 0)
        if n:
            assert w.sum() > 0  # the budget goes somewhere

    def test_fresh_instance_behaves_like_a_used_one(self, policy):
        for seed in range(5):  # use it
            policy.priority(synthetic_view(40, seed=seed, tick=seed))
        self.run(ticks=15)  # and let a model use an instance of the same class
        fresh = POLICIES[self.policy_name]()
        view_a, view_b = synthetic_view(60, seed=42), synthetic_view(60, seed=42)
        np.testing.assert_array_equal(policy.priority(view_a), fresh.priority(view_b))


# one contract test class per registered policy (Axelrod style)
for _name in sorted(POLICIES):
    _cls = type(f"TestPolicy_{_name}", (PolicyContract,), {"policy_name": _name})
    globals()[_cls.__name__] = _cls
del _name, _cls


def test_model_md_policies_are_registered():
    assert set(MODEL_MD_POLICIES) <= set(POLICIES)
    for name in MODEL_MD_POLICIES:
        assert sim.get_policy(name).name == name


def test_policies_differ_where_they_claim_to():
    view = synthetic_view(200)
    w = {name: np.asarray(POLICIES[name]().priority(view), dtype=np.float64) for name in MODEL_MD_POLICIES}
    share = lambda x, mask: x[mask].sum() / x.sum()  # noqa: E731
    exploring = view.stage == EXPLORATION
    assert share(w["new_customers_first"], exploring) > share(w["uniform"], exploring) + 0.1
    big = view.revenue > np.median(view.revenue)
    assert share(w["key_accounts"], big) > 0.8
    unhappy = view.perceived < 0
    assert share(w["at_risk"], unhappy) > share(w["uniform"], unhappy) + 0.2
    assert POLICIES["satisfaction_survey"].survey and POLICIES["customer_database"].database
    assert POLICIES["shared_values_program"].value_alignment > 0


@pytest.fixture
def exploration_only():
    """Register a policy inside the test (no engine edit); unregister afterwards."""

    @register_policy
    class ExplorationOnly(Policy):
        name = "test_exploration_only"
        description = "All retention budget on exploration-stage customers."

        def priority(self, view):
            return (view.stage == EXPLORATION).astype(np.float64)

    try:
        yield ExplorationOnly
    finally:
        POLICIES.pop(ExplorationOnly.name, None)


def test_a_policy_registered_in_a_test_runs_by_name(exploration_only):
    assert exploration_only.name in POLICIES
    PolicyContract.policy_name = exploration_only.name  # the new policy honours the contract too
    try:
        contract = PolicyContract()
        contract.test_one_finite_non_negative_weight_per_row(exploration_only(), 30)
    finally:
        PolicyContract.policy_name = ""

    def outcome(policy):
        out = []
        for seed in (0, 1):
            m = sim.MarketModel(rng=seed, n_exporters=10, n_buyers=300, policy=policy)
            m.run_for(100)
            assert m.policy.name == policy
            ev, ts = m.events, m.timeseries
            out.append(((ev["cause"] == "trust_built").sum(), ts["mean_trust"].iloc[-30:].mean()))
        return np.mean(out, axis=0)

    built_u, trust_u = outcome("uniform")
    built_x, trust_x = outcome(exploration_only.name)
    # nursing exploration moves more relationships on to expansion, and starves the rest of contact
    assert built_x > 1.1 * built_u, (built_u, built_x)
    assert trust_u - trust_x > 0.03, (trust_u, trust_x)


def test_registry_is_clean_after_the_test_policy():
    assert "test_exploration_only" not in POLICIES
    with pytest.raises(ValueError, match="policy"):
        sim.MarketModel(policy="test_exploration_only")


@pytest.mark.parametrize("bad", ["negative", "nan", "inf", "one_negative", "shape"])
def test_invalid_priorities_are_rejected(bad):
    @register_policy
    class Broken(Policy):
        name = "test_broken"

        def priority(self, view):
            w = np.ones(view.exporter.size)
            if w.size == 0:  # no customers yet: nothing to get wrong
                return w
            if bad == "negative":
                return -w
            if bad == "nan":
                w[-1] = np.nan
            if bad == "inf":
                w[0] = np.inf
            if bad == "one_negative":
                w[w.size // 2] = -1e-12
            if bad == "shape":
                return w[1:]
            return w

    try:
        model = sim.MarketModel(rng=0, policy="test_broken", **SMALL)
        with pytest.raises(ValueError, match="test_broken"):
            model.run_for(10)
    finally:
        POLICIES.pop("test_broken", None)
