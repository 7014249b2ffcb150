"""``pyspark.ml`` wrappers of ``ember.ml.NNEstimator`` / ``NNClassifier`` and their fitted models.

They are ordinary ``JavaEstimator`` / ``JavaModel`` stages: they sit in ``pyspark.ml.Pipeline``, are tuned by
``CrossValidator`` / ``TrainValidationSplit`` over ``ParamGridBuilder`` grids of ``learningRate``, ``batchSize``,
``maxEpoch`` (or any other param), and save / load with the pipeline (the network as Ember's model file inside
the stage directory). Every setting that is a Param is a plain value, so the same classes work from a
Spark Connect client: there the network is given as a model file (path or bytes) or as a JVM-free description
(:mod:`ember.ml.spec`). BigDL's setter names (``setBatchSize``, ``setMaxEpoch``, ``setLearningRate``,
``setOptimMethod``, ``setValidation``, ...) are kept; class labels are 0-based.
"""
import os
import tempfile

from pyspark.ml.param import Param, Params, TypeConverters
from pyspark.ml.util import JavaMLReadable, JavaMLWritable
from pyspark.ml.wrapper import JavaEstimator, JavaModel
from pyspark.sql import is_remote

from ember import _pyspark
from ember._java import call_java, call_static, java_array
from ember.ml import spec


def _list_of_ints(value, name):
    if value is None:
        return []
    try:
        out = [int(v) for v in value]
    except TypeError:
        raise TypeError(f"{name} must be a list of ints, got {value!r}") from None
    if any(v <= 0 for v in out):
        raise ValueError(f"{name} must hold positive sizes, got {out}")
    return out


def _model_base64(model):
    """An ``ember.nn`` model (needs the JVM), a model-file path or its bytes -> base64 of the model file."""
    if isinstance(model, (bytes, bytearray, memoryview, str, os.PathLike)):
        return spec.model_file_base64(model)
    if hasattr(model, "saveModel"):
        with tempfile.TemporaryDirectory(prefix="ember-ml-") as d:
            path = os.path.join(d, "model.ember")
            model.saveModel(path, over_write=True)
            return spec.model_file_base64(path)
    raise TypeError(f"model must be an ember.nn model, a model-file path or its bytes, got {type(model).__name__}")


def _criterion_text(criterion):
    if isinstance(criterion, (str, dict)):
        return spec.to_json(criterion)
    if hasattr(criterion, "value"):
        return str(call_static("ember.nn.ModuleSpec", "describe", criterion.value).toString())
    raise TypeError(f"criterion must be an ember.nn criterion, a class name or a JSON description, got {type(criterion).__name__}")


def _optim_text(method):
    if isinstance(method, (str, dict)):
        return spec.to_json(method)
    if hasattr(method, "value"):
        return str(call_static("ember.optim.OptimMethodSpec", "describe", method.value))
    raise TypeError(f"optim_method must be an ember.optim method or its JSON description, got {type(method).__name__}")


def _needs_jvm(what):
    if is_remote():
        raise NotImplementedError(
            f"{what} takes JVM objects (triggers, DataFrames, summaries) and is not available from a Spark Connect "
            "client; use the params (maxEpoch, checkpointPath, ...) or a classic SparkSession")


class _ModelParams(Params):
    featuresCol = Param(Params._dummy(), "featuresCol", "features column name", TypeConverters.toString)
    predictionCol = Param(Params._dummy(), "predictionCol", "prediction column name", TypeConverters.toString)
    batchSize = Param(Params._dummy(), "batchSize", "mini-batch size", TypeConverters.toInt)
    featureSize = Param(Params._dummy(), "featureSize", "shape of one row's features", TypeConverters.toListInt)

    def __init__(self):
        super().__init__()
        self._setDefault(featuresCol="features", predictionCol="prediction", batchSize=32, featureSize=[])

    def setFeaturesCol(self, value):
        return self._set(featuresCol=value)

    def setPredictionCol(self, value):
        return self._set(predictionCol=value)

    def setBatchSize(self, value):
        return self._set(batchSize=value)

    def setFeatureSize(self, value):
        return self._set(featureSize=_list_of_ints(value, "featureSize"))

    def getFeaturesCol(self):
        return self.getOrDefault(self.featuresCol)

    def getPredictionCol(self):
        return self.getOrDefault(self.predictionCol)

    def getBatchSize(self):
        return self.getOrDefault(self.batchSize)

    def getFeatureSize(self):
        return self.getOrDefault(self.featureSize)


class _ClassifierParams(Params):
    probabilityCol = Param(Params._dummy(), "probabilityCol", "class probability column ('' for none)",
                           TypeConverters.toString)
    rawPredictionCol = Param(Params._dummy(), "rawPredictionCol", "raw network output column ('' for none)",
                             TypeConverters.toString)

    def __init__(self):
        super().__init__()
        self._setDefault(probabilityCol="probability", rawPredictionCol="rawPrediction")

    def setProbabilityCol(self, value):
        return self._set(probabilityCol=value)

    def setRawPredictionCol(self, value):
        return self._set(rawPredictionCol=value)

    def getProbabilityCol(self):
        return self.getOrDefault(self.probabilityCol)

    def getRawPredictionCol(self):
        return self.getOrDefault(self.rawPredictionCol)


class _EstimatorParams(_ModelParams):
    labelCol = Param(Params._dummy(), "labelCol", "label column name", TypeConverters.toString)
    modelFile = Param(Params._dummy(), "modelFile", "the network: Ember's model file, base64", TypeConverters.toString)
    modelStructure = Param(Params._dummy(), "modelStructure", "the network as ModuleSpec JSON", TypeConverters.toString)
    criterion = Param(Params._dummy(), "criterion", "criterion: JSON description or class name", TypeConverters.toString)
    maxEpoch = Param(Params._dummy(), "maxEpoch", "number of epochs", TypeConverters.toInt)
    learningRate = Param(Params._dummy(), "learningRate", "learning rate", TypeConverters.toFloat)
    learningRateDecay = Param(Params._dummy(), "learningRateDecay", "learning-rate decay of the default SGD",
                              TypeConverters.toFloat)
    optimMethod = Param(Params._dummy(), "optimMethod", "optim method JSON ('' for SGD)", TypeConverters.toString)
    labelSize = Param(Params._dummy(), "labelSize", "shape of one row's label", TypeConverters.toListInt)
    cachingSample = Param(Params._dummy(), "cachingSample", "cache the decoded samples", TypeConverters.toBoolean)
    checkpointPath = Param(Params._dummy(), "checkpointPath", "checkpoint directory ('' for none)",
                           TypeConverters.toString)
    constantGradientClippingMin = Param(Params._dummy(), "constantGradientClippingMin", "gradient clamp min",
                                        TypeConverters.toFloat)
    constantGradientClippingMax = Param(Params._dummy(), "constantGradientClippingMax", "gradient clamp max",
                                        TypeConverters.toFloat)
    gradientClippingL2Norm = Param(Params._dummy(), "gradientClippingL2Norm", "gradient L2-norm clip (0: off)",
                                   TypeConverters.toFloat)
    seed = Param(Params._dummy(), "seed", "seed of the data order", TypeConverters.toInt)

    def __init__(self):
        super().__init__()
        self._setDefault(labelCol="label", modelFile="", modelStructure="", maxEpoch=50, learningRate=1e-3,
                         learningRateDecay=0.0, optimMethod="", labelSize=[], cachingSample=True,
                         checkpointPath="", constantGradientClippingMin=float("nan"),
                         constantGradientClippingMax=float("nan"), gradientClippingL2Norm=0.0, seed=1)

    # BigDL's setters
    def setModel(self, model):
        """The network: an ``ember.nn`` model (classic session), a model-file path or bytes, or a
        :func:`ember.ml.spec.sequential` / :func:`~ember.ml.spec.layer` description (no JVM needed)."""
        if isinstance(model, dict):
            return self._set(modelStructure=spec.to_json(model), modelFile="")
        return self._set(modelFile=_model_base64(model))

    def setCriterion(self, criterion):
        return self._set(criterion=_criterion_text(criterion))

    def setLabelCol(self, value):
        return self._set(labelCol=value)

    def setMaxEpoch(self, value):
        return self._set(maxEpoch=value)

    def setLearningRate(self, value):
        return self._set(learningRate=value)

    def setLearningRateDecay(self, value):
        return self._set(learningRateDecay=value)

    def setOptimMethod(self, method):
        return self._set(optimMethod=_optim_text(method))

    def setLabelSize(self, value):
        return self._set(labelSize=_list_of_ints(value, "labelSize"))

    def setCachingSample(self, value):
        return self._set(cachingSample=value)

    def setSeed(self, value):
        return self._set(seed=value)

    def setConstantGradientClipping(self, min, max):
        if min > max:
            raise ValueError(f"setConstantGradientClipping: min {min} > max {max}")
        return self._set(constantGradientClippingMin=min, constantGradientClippingMax=max)

    def setGradientClippingByL2Norm(self, clip_norm):
        return self._set(gradientClippingL2Norm=clip_norm)

    def getLabelCol(self):
        return self.getOrDefault(self.labelCol)

    def getMaxEpoch(self):
        return self.getOrDefault(self.maxEpoch)

    def getLearningRate(self):
        return self.getOrDefault(self.learningRate)

    def getOptimMethod(self):
        return self.getOrDefault(self.optimMethod)


class _JavaStage:
    """Ember stages are ``ember.ml.<Name>`` on the JVM; ``__module__`` says so to pyspark's readers."""

    @classmethod
    def _java_class_name(cls):
        return "ember.ml." + cls.__name__


class _NNEstimatorBase(_JavaStage, JavaEstimator, JavaMLWritable, JavaMLReadable):
    def __init__(self, model=None, criterion=None, feature_size=None, label_size=None, **params):
        super().__init__()
        self._java_obj = self._new_java_obj(self._java_class_name(), self.uid)
        if model is not None:
            self.setModel(model)
        if criterion is not None:
            self.setCriterion(criterion)
        if feature_size is not None:
            self.setFeatureSize(feature_size)
        if label_size is not None:
            self.setLabelSize(label_size)
        self._set_params(params)

    def _set_params(self, params):
        for name, value in params.items():
            setter = getattr(self, "set" + name[0].upper() + name[1:], None)
            if not self.hasParam(name) or setter is None:
                raise TypeError(f"{type(self).__name__}: unknown parameter {name!r}")
            setter(value)

    def setParams(self, **params):
        self._set_params(params)
        return self

    # settings that are JVM objects: classic (py4j) sessions only
    def setEndWhen(self, trigger):
        _needs_jvm("setEndWhen")
        call_java(self._java_obj.setEndWhen, trigger.value)
        return self

    def setValidation(self, trigger, val_df, val_method, batch_size):
        """Validates on ``val_df`` with ``val_method`` (a ValidationMethod or a list) each time ``trigger`` fires."""
        _needs_jvm("setValidation")
        methods = val_method if isinstance(val_method, (list, tuple)) else [val_method]
        jm = java_array("ember.optim.ValidationMethod", [m.value for m in methods])
        call_java(self._java_obj.setValidation, trigger.value, _pyspark.java_dataframe(val_df), jm, int(batch_size))
        return self

    def setCheckpoint(self, path, trigger):
        _needs_jvm("setCheckpoint")
        call_java(self._java_obj.setCheckpoint, str(path), trigger.value)
        return self._set(checkpointPath=str(path))

    def setTrainSummary(self, summary):
        _needs_jvm("setTrainSummary")
        self._train_summary = summary
        call_java(self._java_obj.setTrainSummary, summary.value)
        return self

    def setValidationSummary(self, summary):
        _needs_jvm("setValidationSummary")
        self._val_summary = summary
        call_java(self._java_obj.setValidationSummary, summary.value)
        return self

    def getTrainSummary(self):
        return getattr(self, "_train_summary", None)

    def getValidationSummary(self):
        return getattr(self, "_val_summary", None)

    def setFeaturePreprocessing(self, stages):
        """Preprocessing stages (:mod:`ember.ml.preprocessing`) run on the features column, also by the fitted model."""
        _needs_jvm("setFeaturePreprocessing")
        stages = stages if isinstance(stages, (list, tuple)) else [stages]
        for s in stages:
            s._transfer_params_to_java()
        call_java(self._java_obj.setFeaturePreprocessing, java_array("ember.ml.ColumnStage", [s._java_obj for s in stages]))
        return self

    def _fit_java(self, dataset):
        self._transfer_params_to_java()
        return call_java(self._java_obj.fit, _pyspark.java_dataframe(dataset))


class _NNModelBase(_JavaStage, JavaModel, JavaMLWritable, JavaMLReadable):
    def __init__(self, model=None, feature_size=None):
        from py4j.java_gateway import JavaObject
        from pyspark.ml.util import RemoteModelRef

        # a fitted JVM model (classic), a server-side model (Spark Connect), else BigDL's NNModel(network)
        java_model = model if isinstance(model, (JavaObject, RemoteModelRef)) else None
        super().__init__(java_model)
        if model is not None and java_model is None:  # BigDL's NNModel(model): a network to score with
            self._java_obj = self._new_java_obj(self._java_class_name(), self.uid)
            call_java(self._java_obj.setModel, model.value)
        if feature_size is not None:
            self.setFeatureSize(feature_size)

    def getModel(self):
        """The trained network as an ``ember.nn`` model (classic session only)."""
        _needs_jvm("getModel")
        from ember.nn.module import Model

        return Model.of(call_java(self._java_obj.getModel))

    def _transform(self, dataset):
        if is_remote():
            return super()._transform(dataset)
        self._transfer_params_to_java()
        return _pyspark.python_dataframe(call_java(self._java_obj.transform, _pyspark.java_dataframe(dataset)),
                                         dataset.sparkSession)


class NNModel(_NNModelBase, _ModelParams):
    """A trained network scoring a DataFrame (BigDL's ``NNModel``): appends ``predictionCol``."""

    __module__ = "ember.ml"


class NNClassifierModel(_NNModelBase, _ModelParams, _ClassifierParams):
    """A trained classifier: ``prediction`` (0-based class), ``rawPrediction`` and ``probability`` vectors."""

    __module__ = "ember.ml"


class NNEstimator(_NNEstimatorBase, _EstimatorParams):
    """Trains a network on a DataFrame (BigDL's ``NNEstimator(model, criterion, feature_size, label_size)``).

    Args:
        model: the network (see :meth:`setModel`).
        criterion: an ``ember.nn`` criterion, its class name or JSON description (default MSECriterion).
        feature_size, label_size: shapes of one row's features and label (default: the row's own).
        **params: any param by name (``batchSize=64, maxEpoch=5, learningRate=0.01, ...``).
    """

    __module__ = "ember.ml"

    def __init__(self, model=None, criterion=None, feature_size=None, label_size=None, **params):
        super().__init__(model, criterion, feature_size, label_size, **params)
        self._setDefault(criterion="MSECriterion")

    def _create_model(self, java_model):
        return NNModel(java_model)


class NNClassifier(_NNEstimatorBase, _EstimatorParams, _ClassifierParams):
    """Trains a classifier (BigDL's ``NNClassifier(model, criterion, feature_size)``; labels 0-based).

    The default criterion is ClassNLLCriterion (the network ends with LogSoftMax).
    """

    __module__ = "ember.ml"

    def __init__(self, model=None, criterion=None, feature_size=None, **params):
        super().__init__(model, criterion, feature_size, None, **params)
        self._setDefault(criterion="ClassNLLCriterion")

    def _create_model(self, java_model):
        return NNClassifierModel(java_model)
