package ember.ml

import ember.io.ModelFile
import ember.nn.Module
import ember.tensor.Tensor
import org.apache.hadoop.fs.{FileSystem, Path}
import org.apache.spark.ml.Model
import org.apache.spark.ml.linalg.{SQLDataTypes, Vectors}
import org.apache.spark.ml.param.ParamMap
import org.apache.spark.ml.util.{MLReadable, MLReader}
import org.apache.spark.sql.{DataFrame, Dataset, Encoders, Row, SparkSession}
import org.apache.spark.sql.types._

/*
 * Scoring a DataFrame with a trained network, on the executors.
 *
 * The network is broadcast once per transform as its model file bytes (modules are not Java-serializable);
 * each task builds one evaluation-mode copy on its first row, reads `batchSize` rows at a time, decodes
 * their features ([[ColumnDecoder]]), runs one forward pass and appends the output columns to each row.
 * Every input column and row stays, in order; nothing is collected to or zipped on the driver.
 */

/** How one sample's network output becomes the values of the appended columns (runs in the tasks). */
trait OutputColumns extends Serializable {
  def fields: Seq[StructField]
  def values(out: Array[Float], offset: Int, n: Int): Seq[Any]
}

/**
 * A trained network as a Spark ML Model (BigDL's `NNModel`): appends `predictionCol`, a double when the
 * network gives one value per row, else an array of doubles.
 */
class NNModel(override val uid: String) extends Model[NNModel] with NNModelParams with EmberWritable {
  @transient private[ml] var module: Module = _
  private[ml] var preprocessing: FeaturePreprocessing = FeaturePreprocessing.none
  @transient private var outShape: Option[Array[Int]] = None

  def this() = this(org.apache.spark.ml.util.Identifiable.randomUID("NNModel"))

  /** A model scoring with `model` (BigDL's `NNModel(model)`). */
  def this(model: Module) = { this(); setModel(model) }

  def this(model: Module, featureSize: Array[Int]) = { this(model); setFeatureSize(featureSize) }

  def setModel(model: Module): this.type = { require(model != null, "NNModel: model must not be null"); module = model; outShape = None; this }
  def getModel: Module = module
  def setFeaturesCol(value: String): this.type = set(featuresCol, value)
  def setPredictionCol(value: String): this.type = set(predictionCol, value)
  def setBatchSize(value: Int): this.type = set(batchSize, value)
  def setFeatureSize(value: Array[Int]): this.type = { outShape = None; set(featureSize, value) }

  /** Stages run on the features column before the network (usually set by the estimator). */
  def setFeaturePreprocessing(stages: Array[ColumnStage]): this.type = { preprocessing = new FeaturePreprocessing(stages); this }

  /** The network's output shape for one row, from a forward pass on zeros (None if the feature shape is unknown). */
  def outputShape: Option[Array[Int]] = {
    if (outShape.isEmpty && module != null && $(featureSize).nonEmpty)
      outShape = Some(NNModel.probe(module, $(featureSize), $(featuresCol)))
    outShape
  }

  protected def outputColumns: OutputColumns = {
    val name = $(predictionCol)
    val scalar = outputShape.exists(_.product == 1)
    new OutputColumns {
      val fields = Seq(StructField(name, if (scalar) DoubleType else ArrayType(DoubleType, containsNull = false), nullable = false))
      def values(out: Array[Float], offset: Int, n: Int): Seq[Any] =
        if (scalar) Seq(out(offset).toDouble) else Seq(Array.tabulate(n)(i => out(offset + i).toDouble).toSeq)
    }
  }

  override def transformSchema(schema: StructType): StructType = {
    require(module != null, s"$uid: no network (load a saved model or set one with setModel)")
    val pre = preprocessing.transformSchema(schema, $(featuresCol))
    ColumnKind.of(pre, preprocessing.column($(featuresCol)), "features", scalars = false, images = true)
    val added = outputColumns.fields
    added.foreach(f => require(!schema.fieldNames.contains(f.name),
      s"output column '${f.name}' already exists in the DataFrame; choose another name (set${f.name.capitalize}Col)"))
    StructType(schema.fields ++ added)
  }

  override def transform(dataset: Dataset[_]): DataFrame = {
    val outSchema = transformSchema(dataset.schema, logging = true)
    val input = preprocessing(dataset.toDF(), $(featuresCol))
    val col = preprocessing.column($(featuresCol))
    val kind = ColumnKind.of(input.schema, col, "features", scalars = false, images = true)
    val shape = if ($(featureSize).nonEmpty) $(featureSize) else FrameSamples.featureShape(input, col, kind, Array.emptyIntArray)
    val decoder = new ColumnDecoder(col, kind, shape.product)
    val (fi, keep, bs, outputs) = (input.schema.fieldIndex(col), dataset.schema.length, $(batchSize), outputColumns)
    val chunks = input.sparkSession.sparkContext.broadcast(ModelFile.toChunks(module)) // no 2 GB array for any model
    input.mapPartitions { rows =>
      lazy val net = ModelFile.fromChunks(chunks.value).evaluate()
      rows.grouped(bs).flatMap { group =>
        val n = shape.product
        val data = new Array[Float](group.length * n)
        var i = 0
        group.foreach { r => System.arraycopy(decoder.external(r.get(fi)), 0, data, i * n, n); i += 1 }
        val out = NNModel.forward(net, Tensor.fromArray(data, group.length +: shape), col)
        val per = out.length / group.length
        group.iterator.zipWithIndex.map { case (r, j) =>
          Row.fromSeq(r.toSeq.take(keep) ++ outputs.values(out, j * per, per))
        }
      }
    }(Encoders.row(outSchema))
  }

  override def copy(extra: ParamMap): NNModel = {
    val c = defaultCopy[NNModel](extra)
    c.module = module; c.preprocessing = preprocessing
    c.setParent(parent)
  }

  override protected def paramsStoredAsFiles: Set[String] = Set.empty

  override protected def saveFiles(fs: FileSystem, dir: Path): Unit = {
    require(module != null, s"$uid: no network to save")
    val out = fs.create(new Path(dir, NNModel.ModelFileName), false)
    try ModelFile.writeTo(module, out) finally out.close() // streamed, for any size of model
    preprocessing.save(fs, dir, org.apache.spark.sql.SparkSession.active)
  }

  override private[ml] def loadFiles(fs: FileSystem, dir: Path): Unit = {
    module = ModelFile.fromChunks(StageIO.readChunks(fs, new Path(dir, NNModel.ModelFileName)))
    // a network with Python layers (ember.jep) runs code named in the file: only with the explicit opt-in
    val session = SparkSession.getActiveSession.orElse(SparkSession.getDefaultSession)
    val trusted = session.exists(_.conf.get(NNModel.TrustPythonCode, "false").toBoolean)
    ModelFile.requireTrusted(module, dir.toString, trusted,
      s"set the Spark setting ${NNModel.TrustPythonCode}=true to load it")
    preprocessing = FeaturePreprocessing.load(fs, dir)
  }

  override def toString: String = s"NNModel: uid=$uid, network=${Option(module).map(_.getClass.getSimpleName).orNull}"
}

object NNModel extends MLReadable[NNModel] {
  /** The Spark setting that lets a saved stage's network hold Python layers (ember.jep): the opt-in of trusted code. */
  val TrustPythonCode = "spark.ember.trustPythonCode"

  /** The network's file inside a saved stage directory. */
  val ModelFileName = "model.ember"

  override def read: MLReader[NNModel] = new EmberReader(classOf[NNModel])

  /** BigDL's `NNModel(model)`. */
  def apply(model: Module): NNModel = new NNModel(model)

  /**
   * The output shape of `module` for one row of `shape` (a forward pass on a zero batch of one in evaluation
   * mode); an error naming the features column when the network does not accept that shape.
   */
  def probe(module: Module, shape: Array[Int], column: String): Array[Int] = {
    val wasTraining = module.isTraining
    module.evaluate()
    try {
      val out = forwardTensor(module, Tensor(scala.collection.immutable.ArraySeq.unsafeWrapArray(1 +: shape): _*), column)
      out.shape.drop(1)
    } finally if (wasTraining) module.training()
  }

  private def forwardTensor(module: Module, input: Tensor, column: String): Tensor = {
    val out = try module.forward(input) catch {
      case e: IllegalArgumentException => throw new IllegalArgumentException(
        s"the network does not accept features of shape ${input.shape.drop(1).mkString("[", ", ", "]")} from column " +
          s"'$column' (set featureSize to the shape the network expects): ${e.getMessage}", e)
      case e: IndexOutOfBoundsException => throw new IllegalArgumentException(
        s"the network does not accept the values of column '$column' (shape ${input.shape.drop(1).mkString("[", ", ", "]")}): ${e.getMessage}", e)
    }
    require(out.isTensor, s"the network's output is a ${out.getClass.getSimpleName}; ember.ml needs a tensor")
    out.toTensor
  }

  /** One batch forward pass; the output as a flat row-major array. */
  private[ml] def forward(net: Module, input: Tensor, column: String): Array[Float] = {
    val out = forwardTensor(net, input, column)
    require(out.dim >= 1 && out.size(0) == input.size(0),
      s"the network returned shape ${out.shapeString} for a batch of ${input.size(0)}")
    out.contiguous().toArray
  }
}

/**
 * A trained classifier (BigDL's `NNClassifierModel`): `predictionCol` is the 0-based class (argmax of the
 * output; a single output is read as the probability of class 1), `rawPredictionCol` the output vector and
 * `probabilityCol` its softmax (the class probabilities when the network ends with LogSoftMax or gives
 * logits), so Spark's Multiclass/BinaryClassificationEvaluator work on the result.
 */
class NNClassifierModel(uid: String) extends NNModel(uid) with NNClassifierParams {
  def this() = this(org.apache.spark.ml.util.Identifiable.randomUID("NNClassifierModel"))
  def this(model: Module) = { this(); setModel(model) }
  def this(model: Module, featureSize: Array[Int]) = { this(model); setFeatureSize(featureSize) }

  def setProbabilityCol(value: String): this.type = set(probabilityCol, value)
  def setRawPredictionCol(value: String): this.type = set(rawPredictionCol, value)

  override protected def outputColumns: OutputColumns = {
    val (pred, raw, prob) = ($(predictionCol), $(rawPredictionCol), $(probabilityCol))
    new OutputColumns {
      val fields: Seq[StructField] = Seq(StructField(pred, DoubleType, nullable = false)) ++
        Seq(raw, prob).filter(_.nonEmpty).map(StructField(_, SQLDataTypes.VectorType, nullable = false))
      def values(out: Array[Float], offset: Int, n: Int): Seq[Any] = {
        val scores = if (n == 1) { val p = out(offset).toDouble; Array(1 - p, p) }
          else Array.tabulate(n)(i => out(offset + i).toDouble)
        var best = 0
        var i = 1
        while (i < scores.length) { if (scores(i) > scores(best)) best = i; i += 1 }
        val m = scores(best)
        val e = if (n == 1) scores else scores.map(s => math.exp(s - m))
        val z = e.sum
        val extra: Seq[Any] = (if (raw.nonEmpty) Seq(Vectors.dense(scores)) else Nil) ++
          (if (prob.nonEmpty) Seq(Vectors.dense(e.map(_ / z))) else Nil)
        best.toDouble +: extra
      }
    }
  }

  override def copy(extra: ParamMap): NNClassifierModel = super.copy(extra).asInstanceOf[NNClassifierModel]

  override def toString: String = s"NNClassifierModel: uid=$uid, network=${Option(module).map(_.getClass.getSimpleName).orNull}"
}

object NNClassifierModel extends MLReadable[NNClassifierModel] {
  override def read: MLReader[NNClassifierModel] = new EmberReader(classOf[NNClassifierModel])

  def apply(model: Module): NNClassifierModel = new NNClassifierModel(model)
}
