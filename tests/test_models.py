"""Tests of gradavg.engine.models: the models."""

import pytest

from gradavg.engine.models import linear_regression


def test_linear_regression_model():
    model = linear_regression(2)
    assert [str(p) for p in model.params] == ["w_1", "w_2", "b"]
    assert [str(d) for d in model.data] == ["x_1", "x_2", "y"]
    with pytest.raises(ValueError):
        linear_regression(0)
