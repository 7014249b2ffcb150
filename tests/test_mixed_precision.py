"""bf16 mixed precision from Python: the optimizer setter, its validation and the float32 fall-back."""
import numpy as np
import pytest

from ember.nn.criterion import ClassNLLCriterion
from ember.nn.layer import Linear, LogSoftMax, Sequential
from ember.optim.optimizer import SGD, MaxIteration, Optimizer


def _cpu_has_bf16():
    with open("/proc/cpuinfo") as f:
        flags = next((line.split() for line in f if line.startswith("flags")), [])
    return "avx512_bf16" in flags or "amx_bf16" in flags


def _optimizer(rng):
    x = rng.standard_normal((64, 4)).astype(np.float32)
    y = (x[:, 0] > 0).astype(np.float32)
    model = Sequential().add(Linear(4, 2)).add(LogSoftMax())
    return Optimizer.create(model=model, training_set=(x, y), criterion=ClassNLLCriterion(),
                            optim_method=SGD(learningrate=0.1), end_trigger=MaxIteration(3), batch_size=16)


def test_bf16_is_used_where_the_cpu_has_it_and_falls_back_to_float32_elsewhere(sc, rng):
    opt = _optimizer(rng)
    try:
        assert opt.set_mixed_precision("bf16") is opt
        # oneDNN's ISA query decides in the JVM; the cpuinfo flags are the independent reference here (a jar
        # without the oneDNN natives also falls back)
        assert opt.get_mixed_precision() in ("bf16", "fp32")
        if not _cpu_has_bf16():
            assert opt.get_mixed_precision() == "fp32"
        opt.optimize(progress=False)
    finally:
        opt.set_mixed_precision("fp32")
    assert opt.get_mixed_precision() == "fp32"


@pytest.mark.parametrize("bad, error", [("fp16", ValueError), ("", ValueError), (16, TypeError), (None, TypeError)])
def test_bad_modes_are_refused_in_python(sc, rng, bad, error):
    with pytest.raises(error, match="bf16"):
        _optimizer(rng).set_mixed_precision(bad)
