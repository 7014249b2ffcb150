package ember.ml

import java.util.Base64

import com.fasterxml.jackson.databind.ObjectMapper
import com.fasterxml.jackson.databind.node.ObjectNode
import ember.data.Sample
import ember.io.ModelFile
import ember.nn.{Criterion, Module, ModuleSpec}
import ember.optim._
import ember.summary.{TrainSummary, ValidationSummary}
import org.apache.hadoop.fs.{FileSystem, Path}
import org.apache.spark.ml.Estimator
import org.apache.spark.ml.param.ParamMap
import org.apache.spark.ml.util.{Identifiable, MLReadable, MLReader}
import org.apache.spark.rdd.RDD
import org.apache.spark.sql.{DataFrame, Dataset}
import org.apache.spark.sql.types.StructType
import org.apache.spark.storage.StorageLevel

/*
 * How NNEstimator.fit trains (BigDL's NNEstimator, on Ember's engine):
 *   1. transformSchema checks the feature and label columns' types (an error names the column) before any job;
 *   2. the feature preprocessing stages, if any, run on the executors;
 *   3. the network is built from `modelFile` (or `modelStructure`) and probed with one zero row of the
 *      feature shape on the driver, so a network that does not fit the features fails before training;
 *   4. the rows are decoded to an RDD[Sample] on the executors ([[FrameSamples]]; cached if cachingSample)
 *      and trained by Ember's distributed optimizer (`ember.optim.Optimizer(model, rdd, criterion, batch)`)
 *      over the DataFrame's partitions with the criterion, optim method, triggers, validation, checkpoints,
 *      summaries and clipping of this stage;
 *   5. the trained network becomes an NNModel (NNClassifierModel for the classifier) with this stage's params.
 */

/** Settings that are objects, not Params (Scala / py4j only; see the README on Spark Connect). */
final case class TrainingExtras(
    endWhen: Option[Trigger] = None,
    validation: Option[(Trigger, DataFrame, Array[ValidationMethod], Int)] = None,
    trainSummary: Option[TrainSummary] = None,
    validationSummary: Option[ValidationSummary] = None,
    checkpointTrigger: Trigger = EveryEpoch(),
    preprocessing: FeaturePreprocessing = FeaturePreprocessing.none)

/**
 * Trains a network on a DataFrame as a Spark ML Estimator (BigDL's `NNEstimator`): any criterion, features
 * and labels as tensors (vectors, arrays, nested arrays, images; labels as numbers or arrays). `fit` returns
 * an [[NNModel]]. See the notes at the top of this file.
 */
class NNEstimator(override val uid: String) extends Estimator[NNModel] with NNEstimatorParams with EmberWritable {
  private[ml] var extras = TrainingExtras()
  setDefault(criterion -> "MSECriterion")

  def this() = this(Identifiable.randomUID("NNEstimator"))

  /** BigDL's `NNEstimator(model, criterion)`. */
  def this(model: Module, criterion: Criterion) = { this(); setModel(model); setCriterion(criterion) }

  /** BigDL's `NNEstimator(model, criterion, featureSize, labelSize)`. */
  def this(model: Module, criterion: Criterion, featureSize: Array[Int], labelSize: Array[Int]) = {
    this(model, criterion); setFeatureSize(featureSize); setLabelSize(labelSize)
  }

  // ---------------------------------------------------------------- BigDL's setters
  def setModel(model: Module): this.type = {
    require(model != null, "setModel: model must not be null")
    set(modelFile, Base64.getEncoder.encodeToString(ModelFile.toBytes(model)))
  }
  def setModelFile(base64: String): this.type = set(modelFile, base64)
  def setModelStructure(json: String): this.type = set(modelStructure, json)
  def setCriterion(c: Criterion): this.type = { require(c != null, "setCriterion: null"); set(criterion, ModuleSpec.describe(c).toString) }
  def setCriterion(spec: String): this.type = set(criterion, spec)
  def setFeaturesCol(value: String): this.type = set(featuresCol, value)
  def setLabelCol(value: String): this.type = set(labelCol, value)
  def setPredictionCol(value: String): this.type = set(predictionCol, value)
  def setBatchSize(value: Int): this.type = set(batchSize, value)
  def setMaxEpoch(value: Int): this.type = set(maxEpoch, value)
  def setLearningRate(value: Double): this.type = set(learningRate, value)
  def setLearningRateDecay(value: Double): this.type = set(learningRateDecay, value)
  def setOptimMethod(method: OptimMethod): this.type = { require(method != null, "setOptimMethod: null"); set(optimMethod, OptimMethodSpec.describe(method)) }
  def setOptimMethod(json: String): this.type = set(optimMethod, json)
  def setFeatureSize(value: Array[Int]): this.type = set(featureSize, value)
  def setLabelSize(value: Array[Int]): this.type = set(labelSize, value)
  def setCachingSample(value: Boolean): this.type = set(cachingSample, value)
  def setSeed(value: Long): this.type = set(seed, value)
  def setEndWhen(trigger: Trigger): this.type = { require(trigger != null, "setEndWhen: null"); extras = extras.copy(endWhen = Some(trigger)); this }
  def setTrainSummary(s: TrainSummary): this.type = { extras = extras.copy(trainSummary = Option(s)); this }
  def setValidationSummary(s: ValidationSummary): this.type = { extras = extras.copy(validationSummary = Option(s)); this }
  def getTrainSummary: TrainSummary = extras.trainSummary.orNull
  def getValidationSummary: ValidationSummary = extras.validationSummary.orNull
  def setCheckpoint(path: String, trigger: Trigger): this.type = {
    require(trigger != null, "setCheckpoint: trigger must not be null")
    extras = extras.copy(checkpointTrigger = trigger); set(checkpointPath, path)
  }
  def setConstantGradientClipping(min: Double, max: Double): this.type = {
    require(min <= max, s"setConstantGradientClipping: min $min > max $max")
    set(constantGradientClippingMin, min).set(constantGradientClippingMax, max)
  }
  def setGradientClippingByL2Norm(norm: Double): this.type = set(gradientClippingL2Norm, norm)

  /** Validates on `df` (same columns as the training data) each time `trigger` fires. */
  def setValidation(trigger: Trigger, df: DataFrame, methods: Array[ValidationMethod], batchSize: Int): this.type = {
    require(trigger != null && df != null && methods != null && methods.nonEmpty && batchSize > 0,
      "setValidation needs a trigger, a DataFrame, at least one ValidationMethod and a positive batch size")
    extras = extras.copy(validation = Some((trigger, df, methods, batchSize))); this
  }

  /** Stages run on the features column (training, validation and the fitted model's transform). */
  def setFeaturePreprocessing(stages: Array[ColumnStage]): this.type = {
    extras = extras.copy(preprocessing = new FeaturePreprocessing(stages)); this
  }

  // ---------------------------------------------------------------- schema, network, criterion, optim method
  override def transformSchema(schema: StructType): StructType = {
    val pre = extras.preprocessing.transformSchema(schema, $(featuresCol))
    ColumnKind.of(pre, extras.preprocessing.column($(featuresCol)), "features", scalars = false, images = true)
    ColumnKind.of(schema, $(labelCol), "label", scalars = true, images = false)
    require(!schema.fieldNames.contains($(predictionCol)),
      s"output column '${$(predictionCol)}' already exists in the DataFrame; choose another name (setPredictionCol)")
    schema
  }

  /** A fresh copy of the network to train (from modelFile, else modelStructure). */
  def buildModel(): Module = {
    if ($(modelFile).nonEmpty) {
      val bytes = try Base64.getDecoder.decode($(modelFile)) catch {
        case e: IllegalArgumentException => throw new IllegalArgumentException(s"$uid: modelFile is not base64: ${e.getMessage}")
      }
      ModelFile.fromBytes(bytes)
    } else {
      require($(modelStructure).nonEmpty, s"$uid: no network: set the model (setModel, modelFile or modelStructure)")
      ModuleSpec.build(NNEstimator.json($(modelStructure), "modelStructure"))
    }
  }

  def buildCriterion(): Criterion = NNEstimator.criterionFrom($(criterion))

  /** The optim method: `optimMethod` (learning rate replaced when learningRate was set), else SGD. */
  def buildOptimMethod(): OptimMethod =
    if ($(optimMethod).isEmpty) new SGD($(learningRate), $(learningRateDecay), 0.0, 0.0, 0.0, false, null)
    else {
      val node = NNEstimator.json($(optimMethod), "optimMethod").deepCopy[com.fasterxml.jackson.databind.JsonNode]()
      val args = node.get("args")
      if (isSet(learningRate) && args != null && args.has("learningRate"))
        args.asInstanceOf[ObjectNode].put("learningRate", $(learningRate))
      OptimMethodSpec.build(node.toString)
    }

  /** The label check of this estimator for a network of `outputs` values per row (the classifier's is stricter). */
  protected def labelCheck(outputs: Int): LabelCheck = LabelCheck.Any

  /** The label shape for a number column when labelSize is not set. */
  protected def scalarLabelShape(outputShape: Array[Int]): Array[Int] =
    if (outputShape.product == 1) outputShape else Array.emptyIntArray

  protected def newModel(uid: String): NNModel = new NNModel(uid)

  // ---------------------------------------------------------------- training
  override def fit(dataset: Dataset[_]): NNModel = {
    transformSchema(dataset.schema, logging = true)
    val pre = extras.preprocessing
    val df = pre(dataset.toDF(), $(featuresCol))
    val col = pre.column($(featuresCol))
    val kind = ColumnKind.of(df.schema, col, "features", scalars = false, images = true)
    val module = buildModel()
    val shape = FrameSamples.featureShape(df, col, kind, $(featureSize))
    val outShape = NNModel.probe(module, shape, col)
    val layout = FrameSamples.layout(df, col, shape, Some($(labelCol)), $(labelSize), scalarLabelShape(outShape))
    val check = labelCheck(outShape.product)
    val train = cached(FrameSamples.samples(df, layout, check), "training")
    val valid = extras.validation.map { case (t, vdf, methods, bs) =>
      val v = pre(vdf.toDF(), $(featuresCol))
      (t, cached(FrameSamples.samples(v, layout, check), "validation"), methods, bs)
    }
    try {
      val opt = ember.optim.Optimizer(module, train, buildCriterion(), $(batchSize))
      opt.setOptimMethod(buildOptimMethod()).setEndWhen(extras.endWhen.getOrElse(MaxEpoch($(maxEpoch)))).setSeed($(seed))
      valid.foreach { case (t, rdd, methods, bs) => opt.setValidation(t, rdd, methods, bs) }
      if ($(checkpointPath).nonEmpty) opt.setCheckpoint($(checkpointPath), extras.checkpointTrigger)
      extras.trainSummary.foreach(opt.setTrainSummary)
      extras.validationSummary.foreach(opt.setValidationSummary)
      if (!$(constantGradientClippingMin).isNaN && !$(constantGradientClippingMax).isNaN)
        opt.setConstantGradientClipping($(constantGradientClippingMin), $(constantGradientClippingMax))
      if ($(gradientClippingL2Norm) > 0) opt.setGradientClippingByL2Norm($(gradientClippingL2Norm))
      try opt.optimize() finally opt.unpersist()
    } finally {
      train.unpersist(blocking = false); valid.foreach(_._2.unpersist(blocking = false))
    }
    val model = newModel(uid + "_model").setModel(module).setFeaturePreprocessing(pre.stages)
    copyValues(model.setParent(this)).setFeatureSize(shape)
  }

  private def cached(rdd: RDD[Sample], what: String): RDD[Sample] =
    if ($(cachingSample)) rdd.setName(s"ember.ml $what samples").persist(StorageLevel.MEMORY_AND_DISK) else rdd

  override def copy(extra: ParamMap): NNEstimator = {
    val c = defaultCopy[NNEstimator](extra)
    c.extras = extras
    c
  }

  // ---------------------------------------------------------------- persistence: the network as a model file
  override protected def paramsStoredAsFiles: Set[String] = Set("modelFile")

  override protected def saveFiles(fs: FileSystem, dir: Path): Unit = {
    if ($(modelFile).nonEmpty) StageIO.writeBytes(fs, new Path(dir, NNModel.ModelFileName), Base64.getDecoder.decode($(modelFile)))
    extras.preprocessing.save(fs, dir, org.apache.spark.sql.SparkSession.active)
  }

  override private[ml] def loadFiles(fs: FileSystem, dir: Path): Unit = {
    val f = new Path(dir, NNModel.ModelFileName)
    if (fs.exists(f)) set(modelFile, Base64.getEncoder.encodeToString(StageIO.readBytes(fs, f)))
    extras = extras.copy(preprocessing = FeaturePreprocessing.load(fs, dir))
  }
}

object NNEstimator extends MLReadable[NNEstimator] {
  private val mapper = new ObjectMapper()

  override def read: MLReader[NNEstimator] = new EmberReader(classOf[NNEstimator])

  private[ml] def json(text: String, what: String) = try mapper.readTree(text) catch {
    case e: Exception => throw new IllegalArgumentException(s"$what is not valid JSON: ${e.getMessage}")
  }

  /** A criterion from its JSON description or its class name ("ClassNLLCriterion", "ember.nn.MSECriterion"). */
  def criterionFrom(spec: String): Criterion = {
    require(spec != null && spec.trim.nonEmpty, "criterion is empty")
    val node = if (spec.trim.startsWith("{")) json(spec, "criterion") else {
      val cls = if (spec.contains(".")) spec.trim else s"ember.nn.${spec.trim}"
      mapper.createObjectNode().put("class", cls)
    }
    try ModuleSpec.buildCriterion(node) catch {
      case e: ember.io.ModelFileException => throw new IllegalArgumentException(s"criterion '$spec': ${e.getMessage}", e)
    }
  }
}

/**
 * An [[NNEstimator]] for classification (BigDL's `NNClassifier`): labels are 0-based class indices (a number
 * per row, checked to be a whole number below the network's output count before training), the default
 * criterion is ClassNLLCriterion (the network should end with LogSoftMax), and `fit` returns an
 * [[NNClassifierModel]] with prediction, raw-prediction and probability columns.
 */
class NNClassifier(uid: String) extends NNEstimator(uid) with NNClassifierParams {
  setDefault(criterion -> "ClassNLLCriterion")

  def this() = this(Identifiable.randomUID("NNClassifier"))
  def this(model: Module, criterion: Criterion) = { this(); setModel(model); setCriterion(criterion) }
  def this(model: Module) = { this(); setModel(model) }
  def this(model: Module, criterion: Criterion, featureSize: Array[Int]) = {
    this(model, criterion); setFeatureSize(featureSize)
  }

  def setProbabilityCol(value: String): this.type = set(probabilityCol, value)
  def setRawPredictionCol(value: String): this.type = set(rawPredictionCol, value)

  override def transformSchema(schema: StructType): StructType = {
    super.transformSchema(schema)
    require(ColumnKind.of(schema, $(labelCol), "label", scalars = true, images = false).isInstanceOf[ColumnKind.ScalarCell],
      s"label column '${$(labelCol)}' has type ${schema($(labelCol)).dataType.simpleString}; NNClassifier needs one " +
        "0-based class index (a number) per row")
    Seq($(rawPredictionCol), $(probabilityCol)).filter(_.nonEmpty).foreach(c => require(!schema.fieldNames.contains(c),
      s"output column '$c' already exists in the DataFrame; choose another name"))
    schema
  }

  override protected def labelCheck(outputs: Int): LabelCheck = LabelCheck.ClassIndex(if (outputs == 1) 2 else outputs)
  override protected def scalarLabelShape(outputShape: Array[Int]): Array[Int] =
    if (outputShape.product == 1) outputShape else Array.emptyIntArray
  override protected def newModel(uid: String): NNModel = new NNClassifierModel(uid)

  override def fit(dataset: Dataset[_]): NNClassifierModel = super.fit(dataset).asInstanceOf[NNClassifierModel]
  override def copy(extra: ParamMap): NNClassifier = super.copy(extra).asInstanceOf[NNClassifier]
}

object NNClassifier extends MLReadable[NNClassifier] {
  override def read: MLReader[NNClassifier] = new EmberReader(classOf[NNClassifier])
}
