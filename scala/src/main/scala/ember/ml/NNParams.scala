package ember.ml

import org.apache.spark.ml.param._

/*
 * The Params of Ember's pipeline stages. Every value is a plain number, string, boolean or array of ints
 * or doubles: the types Spark Connect's ML handler can set on a stage it built by class name, so a Python
 * client without a JVM can configure every one of them. The network travels as `modelFile` (Ember's model
 * file, base64) or `modelStructure` (its JSON structure, weights initialised on the server); the criterion
 * and the optim method as their JSON descriptions (or a class name).
 */

/** Params of a fitted [[NNModel]] (shared with the estimator). */
trait NNModelParams extends Params {
  final val featuresCol = new Param[String](this, "featuresCol", "features column name")
  final val predictionCol = new Param[String](this, "predictionCol", "prediction column name")
  final val batchSize = new IntParam(this, "batchSize", "mini-batch size (training: global batch)", ParamValidators.gt(0))
  final val featureSize = new IntArrayParam(this, "featureSize",
    "shape of one row's features, e.g. [1, 28, 28] (empty: the row's own shape)", (a: Array[Int]) => a.forall(_ > 0))
  setDefault(featuresCol -> "features", predictionCol -> "prediction", batchSize -> 32, featureSize -> Array.emptyIntArray)

  def getFeaturesCol: String = $(featuresCol)
  def getPredictionCol: String = $(predictionCol)
  def getBatchSize: Int = $(batchSize)
  def getFeatureSize: Array[Int] = $(featureSize)
}

/** Params of the classifier and its model: Spark's probability and raw-prediction columns. */
trait NNClassifierParams extends NNModelParams {
  final val probabilityCol = new Param[String](this, "probabilityCol",
    "column of class probabilities, the softmax of the network's output (empty: none)")
  final val rawPredictionCol = new Param[String](this, "rawPredictionCol", "column of the network's raw output (empty: none)")
  setDefault(probabilityCol -> "probability", rawPredictionCol -> "rawPrediction")

  def getProbabilityCol: String = $(probabilityCol)
  def getRawPredictionCol: String = $(rawPredictionCol)
}

/** Params of [[NNEstimator]] (training). */
trait NNEstimatorParams extends NNModelParams {
  final val labelCol = new Param[String](this, "labelCol", "label column name")
  final val modelFile = new Param[String](this, "modelFile", "the network: Ember's model file bytes, base64")
  final val modelStructure = new Param[String](this, "modelStructure",
    "the network as its JSON structure (ember.nn.ModuleSpec), weights initialised when fitting; used when modelFile is empty")
  final val criterion = new Param[String](this, "criterion",
    "the criterion: its JSON description or class name (e.g. ClassNLLCriterion)")
  final val maxEpoch = new IntParam(this, "maxEpoch", "number of epochs (when no end trigger is set)", ParamValidators.gt(0))
  final val learningRate = new DoubleParam(this, "learningRate", "learning rate", ParamValidators.gtEq(0))
  final val learningRateDecay = new DoubleParam(this, "learningRateDecay", "learning-rate decay of the default SGD",
    ParamValidators.gtEq(0))
  final val optimMethod = new Param[String](this, "optimMethod",
    "optim method as JSON (ember.optim.OptimMethodSpec); empty: SGD(learningRate, learningRateDecay)")
  final val labelSize = new IntArrayParam(this, "labelSize", "shape of one row's label (empty: from the data)",
    (a: Array[Int]) => a.forall(_ > 0))
  final val cachingSample = new BooleanParam(this, "cachingSample", "keep the decoded samples cached while training")
  final val checkpointPath = new Param[String](this, "checkpointPath", "checkpoint directory (empty: none)")
  final val constantGradientClippingMin = new DoubleParam(this, "constantGradientClippingMin",
    "lower clamp of gradient values (with constantGradientClippingMax; NaN: off)")
  final val constantGradientClippingMax = new DoubleParam(this, "constantGradientClippingMax",
    "upper clamp of gradient values (NaN: off)")
  final val gradientClippingL2Norm = new DoubleParam(this, "gradientClippingL2Norm",
    "rescale the gradient to this L2 norm at most (0: off)", ParamValidators.gtEq(0))
  final val seed = new LongParam(this, "seed", "seed of the data order")
  setDefault(labelCol -> "label", modelFile -> "", modelStructure -> "", maxEpoch -> 50, learningRate -> 1e-3,
    learningRateDecay -> 0.0, optimMethod -> "", labelSize -> Array.emptyIntArray, cachingSample -> true,
    checkpointPath -> "", constantGradientClippingMin -> Double.NaN, constantGradientClippingMax -> Double.NaN,
    gradientClippingL2Norm -> 0.0, seed -> 1L)

  def getLabelCol: String = $(labelCol)
  def getMaxEpoch: Int = $(maxEpoch)
  def getLearningRate: Double = $(learningRate)
  def getLearningRateDecay: Double = $(learningRateDecay)
  def getOptimMethodJson: String = $(optimMethod)
  def getCriterion: String = $(criterion)
  def getLabelSize: Array[Int] = $(labelSize)
  def isCachingSample: Boolean = $(cachingSample)
  def getCheckpointPath: String = $(checkpointPath)
  def getModelFileBase64: String = $(modelFile)
  def getModelStructure: String = $(modelStructure)
}
