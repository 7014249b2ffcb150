"""Training (BigDL's ``bigdl.optim.optimizer`` names): :class:`Optimizer`, optim methods, triggers,
validation methods and summaries, all importable from here.

Examples:
    >>> import numpy as np
    >>> from ember.nn.layer import Sequential, Linear, LogSoftMax
    >>> from ember.nn.criterion import ClassNLLCriterion
    >>> x = np.random.RandomState(0).rand(64, 4).astype(np.float32); y = (x[:, 0] > 0.5).astype(np.float32)
    >>> model = Sequential().add(Linear(4, 2)).add(LogSoftMax())
    >>> opt = Optimizer.create(model=model, training_set=(x, y), criterion=ClassNLLCriterion(),
    ...                        optim_method=SGD(learningrate=0.5), end_trigger=MaxEpoch(2), batch_size=16)
    >>> trained = opt.optimize(progress=False)
    >>> trained is model
    True
"""
import sys
import threading
import time

from ember import errors
from ember._java import JavaValue, call_method
from ember.data.dataset import as_local_dataset
from ember.nn.module import Criterion, Model, _as_batch_size
from ember.optim.method import LBFGS, SGD, Adadelta, Adagrad, Adam, Adamax, Ftrl, OptimMethod, RMSprop
from ember.optim.regularizer import L1L2Regularizer, L1Regularizer, L2Regularizer, Regularizer
from ember.optim.summary import TrainSummary, ValidationSummary
from ember.optim.trigger import (EarlyStopping, EveryEpoch, MaxEpoch, MaxIteration, MaxScore, MinLoss, SeveralIteration,
                                 Trigger, TriggerAnd, TriggerOr)
from ember.optim.schedule import (Default, EpochStep, Exponential, LearningRateSchedule, MultiStep, NaturalExp, Plateau,
                                  Poly, SequentialSchedule, Step, Warmup)
from ember.optim.validation import (MAE, NDCG, ROCAUC, HitRatio, Loss, PrecisionRecallAUC, Top1Accuracy,
                                    Top5Accuracy, ValidationMethod, ValidationResult, methods_array)
from ember.optim.validation_detection import MeanAveragePrecision

__all__ = [
    "Optimizer", "LocalOptimizer", "BaseOptimizer", "OptimMethod", "SGD", "Adam", "Adagrad", "RMSprop", "Trigger",
    "MaxEpoch", "MaxIteration", "EveryEpoch", "SeveralIteration", "MaxScore", "MinLoss", "TriggerAnd", "TriggerOr",
    "EarlyStopping",
    "ValidationMethod", "Top1Accuracy", "Top5Accuracy", "Loss", "ValidationResult", "TrainSummary",
    "ValidationSummary", "Regularizer", "L1Regularizer", "L2Regularizer", "L1L2Regularizer", "Adadelta", "Adamax",
    "Ftrl", "LBFGS", "LearningRateSchedule", "Default", "Poly", "Step", "MultiStep", "EpochStep", "Exponential",
    "NaturalExp", "Plateau", "Warmup", "SequentialSchedule", "MAE", "HitRatio", "NDCG", "PrecisionRecallAUC",
    "ROCAUC", "MeanAveragePrecision",
]


def _check(value, cls, name):
    if not isinstance(value, cls):
        raise TypeError(f"{name}: expected {cls.__name__}, got {type(value).__name__}")
    return value


class BaseOptimizer(JavaValue):
    """Settings shared by the local and distributed optimizers (BigDL's setter names)."""

    _java_class = "ember.optim.Optimizer"

    def _setup(self, model, criterion, optim_method, end_trigger, batch_size):
        self.model = model
        self.batch_size = batch_size
        self._call("setOptimMethod", _check(optim_method or SGD(), OptimMethod, "optim_method").value)
        self._call("setEndWhen", _check(end_trigger or MaxEpoch(1), Trigger, "end_trigger").value)

    def set_validation(self, batch_size, val_rdd=None, trigger=None, val_method=None):
        """Validates each time ``trigger`` (default :class:`EveryEpoch`) fires.

        Args:
            batch_size (int): validation batch size.
            val_rdd: validation data, an ``(x, y)`` tuple of numpy arrays for the local optimizer.
            trigger (Trigger): when to validate. Default: ``EveryEpoch()``.
            val_method (list of ValidationMethod): Default: ``[Top1Accuracy()]``.
        """
        if val_rdd is None:
            raise ValueError("set_validation: val_rdd (the validation data) is required")
        _, jmethods = methods_array(val_method)
        trigger = _check(trigger or EveryEpoch(), Trigger, "trigger")
        self._call("setValidation", trigger.value, as_local_dataset(val_rdd, "val_rdd").value, jmethods,
                   _as_batch_size(batch_size))
        return self

    def set_traindata(self, training_data, batch_size=None):
        """Replaces the training data for the next :meth:`optimize` call (BigDL's ``set_traindata``), e.g. with
        fresh negative samples each epoch. The optim method keeps its state (Adam's moments, the learning-rate
        schedule) and training goes on from the same epoch and iteration. Returns ``self``.

        Args:
            training_data: an ``(X, y)`` tuple for a local optimizer; an RDD, DataFrame or SampleRDD for a
                distributed one.
            batch_size (int, optional): must equal the optimizer's batch size when given.

        Raises:
            ValueError: another batch size, or data without labels.
        """
        if batch_size is not None and _as_batch_size(batch_size) != self.batch_size:
            raise ValueError(f"batch_size: the optimizer trains with {self.batch_size}, got {batch_size}; create a "
                             "new Optimizer for another batch size")
        self._call("setTrainData", self._training_data(training_data).value)
        return self

    def _training_data(self, data):
        return as_local_dataset(data, "training_data")

    def set_checkpoint(self, checkpoint_trigger, checkpoint_path, isOverWrite=True):
        """Writes model + optim-method state to the directory ``checkpoint_path`` when the trigger fires.

        Args:
            checkpoint_trigger (Trigger): when to write one, e.g. ``EveryEpoch()``.
            checkpoint_path (str): the checkpoint directory.
            isOverWrite (bool): keep only the latest checkpoint (BigDL's default), else keep them all.
        """
        self._call("setCheckpoint", str(checkpoint_path), _check(checkpoint_trigger, Trigger, "checkpoint_trigger").value)
        if isOverWrite:
            self._call("overWriteCheckpoint")
        return self

    def resume_from(self, checkpoint_path, iteration=None):
        """Continues from the latest checkpoint in ``checkpoint_path`` (or that of ``iteration``): its
        weights, its optim method with its state, and its training position (epoch and iteration).

        Raises:
            FileNotFoundError: no checkpoint there. ValueError: it holds a model of another structure.
        """
        self._call("resumeFrom", str(checkpoint_path), -1 if iteration is None else int(iteration))
        return self

    def set_train_summary(self, summary):
        self._call("setTrainSummary", _check(summary, TrainSummary, "summary").value)
        return self

    def set_val_summary(self, summary):
        self._call("setValidationSummary", _check(summary, ValidationSummary, "summary").value)
        return self

    def set_end_when(self, end_when):
        self._call("setEndWhen", _check(end_when, Trigger, "end_when").value)
        return self

    def set_gradclip_const(self, min_value, max_value):
        self._call("setConstantGradientClipping", float(min_value), float(max_value))
        return self

    def set_gradclip_l2norm(self, clip_norm):
        self._call("setGradientClippingByL2Norm", float(clip_norm))
        return self

    def disable_gradclip(self):
        self._call("disableGradientClipping")
        return self

    def set_seed(self, seed):
        """Seed of the data order (each epoch's shuffle)."""
        self._call("setSeed", int(seed))
        return self

    def set_deterministic(self, deterministic=True):
        """Fixed shares of each batch per worker: bitwise-reproducible runs for a given seed and layout.

        By default the workers of one JVM (model replicas, training tasks) claim chunks of each batch as
        they go, which is faster on cores of uneven speed and gives the same result up to float rounding.
        """
        self._call("setDeterministic", bool(deterministic))
        return self

    def set_mixed_precision(self, mode):
        """Compute precision of the oneDNN layers (convolutions, inner products, LSTM/GRU).

        Args:
            mode (str): ``"bf16"`` for mixed precision as PyTorch's CPU autocast (bf16 compute, float32 master
                weights, gradients and optim state), or ``"fp32"`` (the default). On a CPU without AVX512-BF16
                or AMX, or without the oneDNN kernels, ``"bf16"`` falls back to float32 and the JVM log says
                so; :meth:`get_mixed_precision` tells which one is in effect.

        Raises:
            TypeError: ``mode`` is not a string. ValueError: it is neither ``"bf16"`` nor ``"fp32"``.
        """
        if not isinstance(mode, str):
            raise TypeError(f"set_mixed_precision: mode must be a string ('bf16' or 'fp32'), got {type(mode).__name__}")
        if mode.strip().lower() not in ("bf16", "bfloat16", "fp32", "float32"):
            raise ValueError(f"set_mixed_precision: mode must be 'bf16' or 'fp32', got {mode!r}")
        self._call("setMixedPrecision", mode)
        return self

    def get_mixed_precision(self):
        """The compute precision in effect: ``"fp32"`` or ``"bf16"``."""
        return self._call("mixedPrecision")

    def optimize(self, progress=True):
        """Trains until the end trigger fires and returns the trained model.

        Args:
            progress (bool): draw a progress bar and print per-epoch loss, validation scores and
                throughput while training (polled from the JVM's progress snapshot).
        """
        outcome = {}

        def run():
            try:
                outcome["model"] = self._call("optimize")
            except BaseException as e:  # re-raised in the caller's thread
                outcome["error"] = e

        worker = threading.Thread(target=run, name="ember-optimize", daemon=True)
        start = time.time()
        worker.start()
        reporter = _ProgressReporter(self, self.batch_size) if progress else None
        while worker.is_alive():
            worker.join(0.25)
            if reporter:
                reporter.update()
        if reporter:
            reporter.close(time.time() - start)
        if "error" in outcome:
            raise outcome["error"]
        return self.model


class _ProgressReporter:
    """Draws a progress bar (tqdm when installed) for the running epoch and prints one line per finished
    epoch. The lines come from the JVM's epoch history, so an epoch that finished between two polls (or
    after the last one) is still printed, in order."""

    def __init__(self, optimizer, batch_size):
        self.opt, self.batch_size = optimizer, batch_size
        # epochs of earlier optimize() calls (e.g. before set_end_when) were printed then
        self.bar, self.bar_epoch, self.printed = None, None, len(optimizer._call("epochHistory", 0))
        try:
            from tqdm import tqdm

            self._tqdm = tqdm
        except ImportError:
            self._tqdm = None

    def _snapshot(self):
        p = self.opt._call("progress")
        fields = ("epoch", "iteration", "epochIteration", "itersPerEpoch", "loss", "done")
        return {f: call_method(p, f) for f in fields}

    def _print_finished_epochs(self):
        for r in self.opt._call("epochHistory", self.printed):
            self.printed += 1
            names, scores = list(call_method(r, "validationNames")), list(call_method(r, "validationScores"))
            val = "  ".join(f"{k} {v:.4f}" for k, v in zip(names, scores))
            line = (f"epoch {call_method(r, 'epoch')}: loss {call_method(r, 'loss'):.4f}  {val}  "
                    f"{call_method(r, 'throughput'):,.0f} samples/s  ({call_method(r, 'seconds'):.1f} s)")
            self._close_bar()
            print(line, flush=True)

    def _close_bar(self):
        if self.bar is not None:
            self.bar.close()
            self.bar, self.bar_epoch = None, None

    def update(self):
        self._print_finished_epochs()
        s = self._snapshot()
        if self._tqdm is None or s["itersPerEpoch"] <= 0 or s["done"]:
            return
        if self.bar_epoch != s["epoch"]:
            self._close_bar()
            self.bar = self._tqdm(total=s["itersPerEpoch"], desc=f"epoch {s['epoch']}", unit="it", leave=False,
                                  file=sys.stdout, dynamic_ncols=True)
            self.bar_epoch = s["epoch"]
        self.bar.n = s["epochIteration"]
        if s["epochIteration"] > 0:  # before the epoch's first iteration the loss is the previous epoch's (or NaN)
            self.bar.set_postfix(loss=f"{s['loss']:.4f}", refresh=False)
        self.bar.refresh()

    def close(self, seconds):
        self._close_bar()
        self._print_finished_epochs()


class LocalOptimizer(BaseOptimizer):
    """Trains on in-memory numpy data in the driver JVM, one model replica per core.

    Args:
        X (ndarray): training features (N, *). y (ndarray): 0-based labels (N,) or targets (N, *).
        model (Model), criterion (Criterion), end_trigger (Trigger), batch_size (int), optim_method.
    """

    _java_class = "ember.optim.LocalOptimizer"

    def __init__(self, X, y, model, criterion, end_trigger=None, batch_size=32, optim_method=None, cores=None):
        _check(model, Model, "model")
        _check(criterion, Criterion, "criterion")
        batch_size = _as_batch_size(batch_size)
        data = as_local_dataset((X, y))
        JavaValue.__init__(self, None, model.value, data.value, criterion.value, batch_size)
        if cores is not None:
            self._call("setModelReplicas", int(cores))
        self._setup(model, criterion, optim_method, end_trigger, batch_size)


class Optimizer(BaseOptimizer):
    """BigDL's entry point: ``Optimizer(model, training_rdd, criterion, end_trigger, batch_size, optim_method)``
    or ``Optimizer.create(...)`` gives a :class:`~ember.optim.DistriOptimizer` for an RDD or DataFrame and
    a :class:`LocalOptimizer` for an ``(X, y)`` tuple of numpy arrays.
    """

    def __new__(cls, model, training_rdd, criterion, end_trigger=None, batch_size=32, optim_method=None, **kwargs):
        return Optimizer.create(model, training_rdd, criterion, end_trigger, batch_size, optim_method, **kwargs)

    @staticmethod
    def create(model, training_set, criterion, end_trigger=None, batch_size=32, optim_method=None, cores=None):
        """An optimizer for ``training_set``: a :class:`~ember.optim.DistriOptimizer` for Spark data, a
        :class:`LocalOptimizer` for an ``(X, y)`` tuple of arrays.

        Args:
            model (Model): the model to train (trained in place and returned by ``optimize()``).
            training_set: an RDD of Samples or ``(features, label)`` pairs, a DataFrame (``features`` and
                ``label`` columns) or a SampleRDD: distributed training; or ``(X, y)`` numpy arrays. Labels
                are 0-based.
            criterion (Criterion): the loss.
            end_trigger (Trigger): when to stop. Default: ``MaxEpoch(1)``.
            batch_size (int): global mini-batch size. Default: 32.
            optim_method (OptimMethod): Default: ``SGD()``.
            cores (int, optional): model replicas (default: Ember's Engine choice, one per core).
        """
        from ember.data.rdd import is_spark_data

        if is_spark_data(training_set):
            from ember.optim.distri_optimizer import DistriOptimizer

            if cores is not None:
                raise errors.EmberValueError("cores: the distributed optimizer uses one replica per executor core; "
                                             "set the cores of the Spark executors instead")
            return DistriOptimizer(model, training_set, criterion, end_trigger, batch_size, optim_method)
        if isinstance(training_set, tuple) and len(training_set) == 2:
            return LocalOptimizer(training_set[0], training_set[1], model, criterion, end_trigger, batch_size,
                                  optim_method, cores)
        raise errors.EmberValueError(
            f"training_set: expected an RDD or DataFrame (distributed training) or an (X, y) tuple of numpy "
            f"arrays, got {type(training_set).__name__}")


def __getattr__(name):
    # DistriOptimizer lives in ember.optim.distri_optimizer (it imports this module), importable here under
    # BigDL's path; out of __all__ so that ember.optim's star import does not import it back half-way.
    if name == "DistriOptimizer":
        from ember.optim.distri_optimizer import DistriOptimizer

        return DistriOptimizer
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


