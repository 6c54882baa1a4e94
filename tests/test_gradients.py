"""Tests of gradavg.engine.gradients: gradients from the definition of the derivative."""

import pytest
import sympy as sp

from gradavg.engine.gradients import (
    H,
    derivative_by_definition,
    difference_quotient,
    examples,
    gradient_identity,
    limit_at_zero,
    mean_of_gradients,
    per_example_losses,
)
from gradavg.engine.models import linear_regression

w, x = sp.symbols("w x")


def test_examples_and_per_example_losses():
    batch = examples([x], 3)
    assert [str(e[x]) for e in batch] == ["x_1", "x_2", "x_3"]
    assert per_example_losses(w * x, batch) == [w * e[x] for e in batch]


def test_mean_of_gradients():
    losses = [w**2, 3 * w]
    assert mean_of_gradients(losses, [w]) == [(2 * w + 3) / 2]


def test_difference_quotient_and_its_limit_give_the_derivative():
    quotient = difference_quotient(w**3, w)
    assert quotient.has(H)
    assert sp.expand(limit_at_zero(quotient) - 3 * w**2) == 0
    assert limit_at_zero(difference_quotient(sp.exp(2 * w), w)).equals(2 * sp.exp(2 * w))
    assert derivative_by_definition(w**3 * x, w, {w: 2, x: 5}) == 60


def test_gradient_identity_on_a_mean_and_on_a_product():
    model = linear_regression(1)
    losses = per_example_losses(model.loss, examples(model.data, 3))
    assert gradient_identity(sp.Add(*losses) / 3, losses, model.params).holds
    product = gradient_identity(sp.Mul(*losses), losses, model.params)
    assert not product.holds and product.witness
    assert gradient_identity(sp.Add(*losses) / 2, losses, model.params).holds is False  # wrong normaliser


def test_a_kink_has_no_derivative_from_the_definition_and_a_smooth_point_does():
    # both one-sided limits are taken: at the kink of |w| they differ (-1, 1), so there is no derivative
    w = sp.Symbol("w", real=True)
    with pytest.raises(ArithmeticError, match="one-sided limits"):
        derivative_by_definition(sp.Abs(w), w, {w: sp.Integer(0)})
    assert derivative_by_definition(sp.Abs(w), w, {w: sp.Rational(1, 2)}) == 1
    assert derivative_by_definition(sp.Abs(w), w, {w: sp.Rational(-1, 2)}) == -1
