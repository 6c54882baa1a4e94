"""The examples in every module's docstrings run and give what they show."""

import doctest
import importlib
import pkgutil

import matplotlib
import pytest

import derivations
import gradavg

matplotlib.use("Agg")

MODULES = sorted(
    [f"gradavg.{m.name}" for m in pkgutil.iter_modules(gradavg.__path__) if m.name != "__main__"]
    + [f"derivations.{m.name}" for m in pkgutil.iter_modules(derivations.__path__)]
)


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0
