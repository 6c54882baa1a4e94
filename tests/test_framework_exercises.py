"""Tests of gradavg.derivations.framework_exercises: the exact model behind the framework page's answer boxes."""

import sympy as sp

from gradavg.derivations.framework_exercises import pmean_of_local_means_weight


def test_pmean_of_local_means_weights_each_example_by_one_over_devices_times_its_shard():
    weights = [pmean_of_local_means_weight((2, 3), example) for example in range(5)]
    assert weights == [sp.Rational(1, 4)] * 2 + [sp.Rational(1, 6)] * 3 and sum(weights) == 1
