"""Every Python wrapper checks its scalar arguments before the JVM sees them (issue 11 point 3), driven by the
registry of wrapper classes: for each constructor argument whose valid value is an int, a float, a bool, a
string or a list of ints, a wrong type gives a ``TypeError`` and a fractional, out-of-range (beyond Java's
int) or complex value a ``ValueError`` / ``TypeError``, each naming the argument; never py4j's "Constructor
... does not exist" and never a silent ``int(2.5)``.

A class whose required arguments are not in ``BY_NAME`` needs an entry in ``BY_CLASS`` (or, with the reason,
in ``SKIP``): the test fails on a class it cannot build, so a new wrapper cannot escape the check."""
import importlib
import inspect

import pytest

MODULES = ["ember.nn.layer", "ember.nn.criterion", "ember.optim.optimizer", "ember.optim.validation",
           "ember.nn.initialization_method", "ember.optim.validation_detection", "ember.optim.distri_optimizer",
           "ember.optim.predictor", "ember.data.rdd"]

FAMILIES = ("ember.nn.", "ember.optim.", "ember.summary.", "ember.data.")

# Abstract bases and classes built from other objects only (no scalar constructor arguments of their own).
SKIP = {
    "ember.nn.Module": "abstract base", "ember.nn.Container": "abstract base", "ember.nn.Criterion": "abstract base",
    "ember.nn.InitMethod": "abstract base", "ember.nn.Node": "a graph node, built by Module.inputs()",
    "ember.optim.LearningRateSchedule": "abstract base", "ember.optim.OptimMethod": "abstract base",
    "ember.optim.Optimizer": "abstract base", "ember.nn.Regularizer": "abstract base",
    "ember.optim.Trigger": "abstract base", "ember.optim.ValidationMethod": "abstract base",
    "ember.nn.Graph": "built from graph nodes", "ember.data.LocalDataSet": "built from arrays (tests/test_errors.py)",
    "ember.optim.LocalOptimizer": "built from a model and arrays (tests/test_errors.py, tests/test_optimizer.py)",
    "ember.optim.DistriOptimizer": "built from a model and Spark data (tests/test_errors.py, test_distributed_rdd.py)",
}

# A valid value for each required argument, by name (the same name means the same thing across wrappers).
BY_NAME = {
    "input_size": 4, "output_size": 3, "hidden_size": 3, "n_output": 3, "num_classes": 3, "n_classes": 3,
    "n_input_plane": 2, "n_output_plane": 2, "kw": 2, "kh": 2, "kernel_w": 2, "kernel_h": 2, "dimension": 1,
    "dim": 1, "index": 1, "n_index": 1, "n_input_dim": 1, "offset": 0, "pos": 0, "pad": 1, "pad_left": 1,
    "pad_right": 1, "pad_top": 1, "pad_bottom": 1, "input_frame_size": 3, "output_frame_size": 2, "n_features": 3,
    "output_height": 4, "output_width": 4, "input_size1": 2, "input_size2": 3, "k": 2, "interval": 2,
    "max_epoch": 2, "max_iteration": 5, "step_size": 2, "decay_step": 2, "iteration_per_epoch": 2,
    "sizes": [2, 2], "step_sizes": [1, 2], "gamma": 0.5, "min": -1.0, "max": 1.0, "power": 2.0, "l1": 0.1,
    "l2": 0.1, "constant_scalar": 2.0, "value": 1.0, "stddev": 0.1, "stdv": 0.1, "mean": 0.0, "scalar": 2.0,
    "p": 2.0, "decay_rate": 0.9, "delta": 1.0, "log_dir": "/tmp/ember-argument-checks", "app_name": "args",
}


def _objects():
    from ember.nn.criterion import ClassNLLCriterion
    from ember.optim.optimizer import MaxEpoch

    return {"criterion": ClassNLLCriterion, "first": lambda: MaxEpoch(1), "second": lambda: MaxEpoch(2)}


# Classes whose required arguments need values other than BY_NAME's.
BY_CLASS = {
    "ember.nn.CAdd": {"size": [2, 3]}, "ember.nn.CMul": {"size": [2, 3]}, "ember.nn.Highway": {"size": 4},
    "ember.nn.InferReshape": {"size": [2, -1]}, "ember.nn.Reshape": {"size": [2, 2]},
    "ember.nn.Transpose": {"permutations": [(0, 1)]},
    "ember.nn.DetectionOutput": {"feature_map_sizes": [1], "sizes": [0.5], "aspect_ratios": [1.0], "num_classes": 2},
    "ember.nn.MultiBoxCriterion": {"feature_map_sizes": [1], "sizes": [0.5], "aspect_ratios": [1.0], "num_classes": 2},
}


def _params(cls):
    sig = inspect.signature(cls.__init__)
    return [p for p in list(sig.parameters.values())[1:] if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)]


def valid_kwargs(cls):
    """Keyword arguments that build ``cls``: its required arguments from BY_CLASS / BY_NAME; None if unknown."""
    jname = cls.__dict__["_java_class"]
    kw = dict(BY_CLASS.get(jname, {}))
    objects = _objects()
    for p in _params(cls):
        if p.default is not p.empty or p.name in kw:
            continue
        if p.name in objects:
            kw[p.name] = objects[p.name]()
        elif p.name in BY_NAME:
            kw[p.name] = BY_NAME[p.name]
        else:
            return None
    return kw


def _names_it(err, name, kinds):
    return isinstance(err, kinds) and name in str(err) and "does not exist" not in str(err)


def checks(cls, kw):
    """(argument, bad value, what was raised (None: nothing), whether that is right) for every checkable argument."""
    values = {p.name: kw.get(p.name, p.default) for p in _params(cls)}

    def attempt(name, bad):
        try:
            cls(**dict(kw, **{name: bad}))
        except Exception as e:  # noqa: BLE001 - the test inspects whatever was raised
            return e
        return None

    for name, v in values.items():
        if isinstance(v, bool):
            err = attempt(name, "False")
            yield name, "False", err, _names_it(err, name, TypeError)
        elif isinstance(v, int):
            err = attempt(name, "3")
            yield name, "3", err, _names_it(err, name, TypeError)
            err = attempt(name, 2.5)
            if err is None:  # a real-valued argument with an integral default: then complex numbers are refused
                err = attempt(name, 1 + 2j)
                yield name, 1 + 2j, err, _names_it(err, name, TypeError)
                continue
            yield name, 2.5, err, _names_it(err, name, ValueError)
            err = attempt(name, 2**40)
            yield name, 2**40, err, _names_it(err, name, ValueError)
        elif isinstance(v, float):
            err = attempt(name, "x")
            yield name, "x", err, _names_it(err, name, TypeError)
            err = attempt(name, 1 + 2j)
            yield name, 1 + 2j, err, _names_it(err, name, TypeError)
        elif isinstance(v, str):
            err = attempt(name, 3)
            yield name, 3, err, _names_it(err, name, TypeError)
        elif isinstance(v, (list, tuple)) and v and all(isinstance(e, int) and not isinstance(e, bool) for e in v):
            bad = list(v[:-1]) + [2.5]
            err = attempt(name, bad)
            yield name, bad, err, _names_it(err, name, ValueError)
            err = attempt(name, "ab")
            yield name, "ab", err, _names_it(err, name, TypeError)


def wrapper_classes():
    from ember._java import _registry

    for m in MODULES:
        importlib.import_module(m)
    # the families of MODULES (other packages, e.g. ember.keras, register wrappers when a test imports them);
    # quantized layers are made from float ones by quantize(), not constructed from sizes
    return sorted((j, c) for j, c in _registry.items() if j not in SKIP and j.startswith(FAMILIES)
                  and not j.startswith("ember.nn.quantized."))


def test_every_wrapper_names_a_bad_scalar_argument(sc):
    unbuilt, problems, checked = [], [], 0
    for jname, cls in wrapper_classes():
        kw = valid_kwargs(cls)
        try:
            if kw is None:
                raise KeyError("required arguments not in BY_NAME / BY_CLASS")
            cls(**kw)
        except Exception as e:  # noqa: BLE001
            unbuilt.append(f"{jname}: {type(e).__name__}: {str(e)[:200]}")
            continue
        for name, bad, err, ok in checks(cls, kw):
            checked += 1
            if not ok:
                got = "accepted" if err is None else f"{type(err).__name__}: {str(err)[:200]}"
                problems.append(f"{jname}({name}={bad!r}): {got}")
    assert not unbuilt, "wrappers the test cannot build (add them to BY_CLASS or SKIP):\n" + "\n".join(unbuilt)
    assert checked > 300, checked
    assert not problems, "bad arguments not refused with an error naming them:\n" + "\n".join(problems)


@pytest.mark.parametrize("bad, error", [(2**31, ValueError), (-(2**31) - 1, ValueError), (3.5, ValueError),
                                        ("4", TypeError), (4 + 0j, TypeError), (None, TypeError)])
def test_a_size_beyond_java_int_or_not_whole_is_refused_by_name(sc, bad, error):
    from ember.nn.layer import SpatialConvolution

    with pytest.raises(error, match="kernel_w"):
        SpatialConvolution(1, 2, bad, 3)
