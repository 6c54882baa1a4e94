"""Tests of gradavg.checks.budget: the time and memory budget of a check."""

import pytest
import sympy as sp

from gradavg.checks.budget import BudgetExceeded, run_with_budget


def test_the_budget_bounds_memory_and_passes_errors_back():
    with pytest.raises(BudgetExceeded, match="more memory than its budget"):
        run_with_budget(lambda: bytearray(8 * 1024**3), seconds=60, memory=256 * 1024**2)
    with pytest.raises(ZeroDivisionError):
        run_with_budget(lambda: 1 / 0, seconds=60)
    assert run_with_budget(lambda: sp.Rational(1, 3), seconds=60) == sp.Rational(1, 3)
