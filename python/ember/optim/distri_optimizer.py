"""Distributed training on Spark data: :class:`DistriOptimizer` (``ember.optim.DistriOptimizer``).

``Optimizer(model=..., training_rdd=rdd, ...)`` and ``Optimizer.create(...)`` return one when the training
data is an RDD or a DataFrame; everything set on the base optimizer (validation, checkpoints, resume,
summaries, gradient clipping, the progress bar) works the same.
"""
from ember._args import as_batch_size
from ember._java import JavaValue
from ember.data.rdd import is_spark_data, to_sample_rdd
from ember.nn.module import Criterion, Model
from ember.optim.base_optimizer import BaseOptimizer, _check
from ember.optim.trigger import EveryEpoch, Trigger
from ember.optim.validation import methods_array


class DistriOptimizer(BaseOptimizer):
    """Synchronous data-parallel training over the partitions of an RDD (BigDL's DistriOptimizer).

    One Spark task per partition trains all iterations of a segment at once (its model replicas, one per
    core), and the tasks sum their gradients through Spark's block manager. The RDD needs at most as many
    partitions as the cluster runs tasks at once (``rdd.repartition(n)`` / ``coalesce(n)`` otherwise).
    The samples are decoded once per ``optimize()`` call; pass a cached :class:`~ember.data.SampleRDD`
    (``to_sample_rdd(rdd).cache()``) to decode them once for several runs.

    Args:
        model (Model): the model (trained in place and returned by ``optimize()``).
        training_rdd: an RDD of :class:`~ember.data.Sample` or ``(features, label)`` pairs (labels 0-based),
            a DataFrame with ``features`` and ``label`` columns, or a :class:`~ember.data.SampleRDD`.
        criterion (Criterion): the loss.
        end_trigger (Trigger): when to stop. Default: ``MaxEpoch(1)``.
        batch_size (int): the global mini-batch size (split among all tasks and replicas). Default: 32.
        optim_method (OptimMethod): Default: ``SGD()``.

    Examples:
        >>> import numpy as np
        >>> from ember.util.common import init_engine
        >>> from ember.nn.layer import Sequential, Linear, LogSoftMax
        >>> from ember.nn.criterion import ClassNLLCriterion
        >>> from ember.optim.optimizer import Optimizer, SGD, MaxEpoch
        >>> sc = init_engine()
        >>> x = np.random.RandomState(0).rand(64, 4).astype(np.float32)
        >>> rdd = sc.parallelize([(r, float(r[0] > 0.5)) for r in x], 2)
        >>> model = Sequential().add(Linear(4, 2)).add(LogSoftMax())
        >>> opt = Optimizer(model=model, training_rdd=rdd, criterion=ClassNLLCriterion(),
        ...                 optim_method=SGD(learningrate=0.5), end_trigger=MaxEpoch(2), batch_size=16)
        >>> type(opt).__name__
        'DistriOptimizer'
        >>> opt.optimize(progress=False) is model
        True
    """

    _java_class = "ember.optim.DistriOptimizer"

    def __init__(self, model, training_rdd, criterion, end_trigger=None, batch_size=32, optim_method=None):
        _check(model, Model, "model")
        _check(criterion, Criterion, "criterion")
        batch_size = as_batch_size(batch_size)
        samples = to_sample_rdd(training_rdd, "training_rdd", labels_required=True)
        JavaValue.__init__(self, None, model.value, samples.value, criterion.value, batch_size)
        self._setup(model, criterion, optim_method, end_trigger, batch_size)

    def _training_data(self, data):
        return to_sample_rdd(data, "training_data", labels_required=True)

    def set_validation(self, batch_size, val_rdd=None, trigger=None, val_method=None):
        """Validates each time ``trigger`` (default :class:`EveryEpoch`) fires.

        Args:
            batch_size (int): validation batch size.
            val_rdd: validation data: an RDD or DataFrame (scored on the executors, one Spark job per
                validation), or an ``(x, y)`` tuple of numpy arrays (scored in the driver).
            trigger (Trigger): when to validate. Default: ``EveryEpoch()``.
            val_method (list of ValidationMethod): Default: ``[Top1Accuracy()]``.
        """
        if val_rdd is None or not is_spark_data(val_rdd):
            return super().set_validation(batch_size, val_rdd, trigger, val_method)
        _, jmethods = methods_array(val_method)
        trigger = _check(trigger or EveryEpoch(), Trigger, "trigger")
        self._call("setValidation", trigger.value, to_sample_rdd(val_rdd, "val_rdd").value, jmethods,
                   as_batch_size(batch_size))
        return self

    def set_wire_codec(self, name):
        """How gradient and weight slices cross between tasks: ``"none"`` (float32, default) or ``"bf16"``
        (bfloat16, rounded to nearest even: half the bytes)."""
        self._call("setWireCodec", str(name))
        return self

    def set_task_layout(self, layout):
        """How training is spread over Spark tasks: "executor" (default) or "partition".

        "executor" (BigDL's layout): the training samples are coalesced to one partition per executor and
        each task trains one model replica per core of its executor, so only executors exchange gradient
        slices (in local mode nothing is exchanged). "partition": one task per partition of the RDD.
        """
        self._call("setTaskLayout", str(layout))
        return self

    def set_max_retries(self, n):
        """How many times a failed segment (a lost task or executor) is rerun from its start. Default: 2."""
        self._call("setMaxRetries", int(n))
        return self

    def set_segment_iterations(self, n):
        """The most iterations one Spark job runs (default: up to the next validation, checkpoint or end)."""
        self._call("setSegmentIterations", int(n))
        return self

    def time_split(self):
        """Where the training time went so far: compute, synchronisation and scheduling (a summary string)."""
        return str(self._call("timeSplit").toString())

    def task_profiles(self):
        """Per task of the last segment, one line of ``key=value`` fields: its compute and waiting per iteration
        (mean/p50/p90/max ms), how often it was the slowest task, and its JVM's CPU by thread group, GC and JIT."""
        return [str(p.fields()) for p in self._call("taskProfiles")]

    def segment_timing(self):
        """Where the last segment's Spark job spent its wall clock outside the iterations (``key=value`` fields, ms)."""
        return str(self._call("segmentTiming").fields())
