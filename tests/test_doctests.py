"""The docstring examples of the Python API run (PyTorch-style Examples sections are executable)."""
import doctest
import importlib
import pkgutil

import pytest

import ember

MODULES = sorted(m.name for m in pkgutil.walk_packages(ember.__path__, "ember."))


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(sc, name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE, verbose=False)
    assert result.failed == 0, f"{result.failed} doctest(s) failed in {name}"
