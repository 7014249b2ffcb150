"""The optimizer settings shared by local and distributed training (:class:`BaseOptimizer`, BigDL's setter
names) and the progress bar that ``optimize()`` draws while the JVM trains in a background thread.

The concrete optimizers are :class:`~ember.optim.local_optimizer.LocalOptimizer` (numpy arrays, the driver JVM)
and :class:`~ember.optim.distri_optimizer.DistriOptimizer` (Spark data); ``ember.optim.optimizer.Optimizer``
chooses between them.
"""
import sys
import threading
import time

from ember._args import as_batch_size
from ember._java import JavaValue, call_method
from ember.data.dataset import as_local_dataset
from ember.optim.method import SGD, OptimMethod
from ember.optim.summary import TrainSummary, ValidationSummary
from ember.optim.trigger import EveryEpoch, MaxEpoch, Trigger
from ember.optim.validation import methods_array


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
                   as_batch_size(batch_size))
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
        if batch_size is not None and as_batch_size(batch_size) != self.batch_size:
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
