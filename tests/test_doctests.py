"""The examples in every module's docstrings run and give what they show."""

import doctest
import importlib
import pkgutil

import matplotlib
import pytest

import gradavg

matplotlib.use("Agg")

MODULES = sorted(m.name for m in pkgutil.walk_packages(gradavg.__path__, "gradavg.")
                 if not m.ispkg and m.name != "gradavg.__main__")


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0
