package ember.keras

import org.apache.spark.rdd.RDD

import ember.data.{LocalDataSet, Sample}
import ember.io.ModelFile
import ember.nn.{Criterion, Module}
import ember.optim._
import ember.tensor.Tensor

/** One row of [[KerasModel.summary]]: a layer, its output shape and its parameter count. */
final case class LayerSummary(name: String, kind: String, outputShape: Array[Int], parameters: Long, inputs: Seq[String])

/** What [[KerasModel.compile]] set: the optim method, the loss and the metrics shown by fit and evaluate. */
final case class CompileSettings(optimMethod: OptimMethod, loss: Criterion, metrics: Array[ValidationMethod]) {
  require(optimMethod != null, "compile: optimizer must not be null")
  require(loss != null, "compile: loss must not be null")
  require(metrics != null && !metrics.contains(null), "compile: metrics must not be null")
}

/**
 * Keras' model methods over an ordinary Ember model ([[module]]): `compile`, `fit` (a [[LocalOptimizer]] for
 * in-memory data, a [[DistriOptimizer]] for an RDD), `evaluate`, `predict`, `summary`, `save`. Each `fit` runs one
 * optimizer for `nbEpoch` epochs with the compiled optim method, whose state (moments, schedule) carries over to
 * the next `fit`. With validation data, the metrics (or the loss when there are none) are computed after each epoch.
 */
abstract class KerasModel {

  /** The Ember model this Keras model builds (trained in place by `fit`). */
  def module: Module

  /** The layers with their output shapes, in order. */
  def layers: Seq[LayerSummary]

  private var settings: Option[CompileSettings] = None

  /** The settings of the last [[compile]]. */
  def compiled: CompileSettings =
    settings.getOrElse(throw new IllegalStateException("the model is not compiled: call compile(optimizer, loss, metrics) first"))

  def compile(optimizer: OptimMethod, loss: Criterion, metrics: Array[ValidationMethod]): this.type = {
    settings = Some(CompileSettings(optimizer, loss, if (metrics == null) Array.empty else metrics)); this
  }

  /** `compile("adam", "sparse_categorical_crossentropy", Array("accuracy"))`: names as in [[KerasNames]]. */
  def compile(optimizer: String, loss: String, metrics: Array[String]): this.type = {
    val criterion = KerasNames.criterion(loss)
    compile(KerasNames.optimMethod(optimizer), criterion,
      Option(metrics).getOrElse(Array.empty[String]).map(KerasNames.metric(_, criterion)))
  }

  def compile(optimizer: String, loss: String): this.type = compile(optimizer, loss, Array.empty[String])

  private def validationMethods: Array[ValidationMethod] =
    if (compiled.metrics.nonEmpty) compiled.metrics else Array(new Loss(compiled.loss))

  private def run(opt: Optimizer, nbEpoch: Int): this.type = {
    require(nbEpoch > 0, s"fit: nbEpoch must be positive, got $nbEpoch")
    opt.setOptimMethod(compiled.optimMethod).setEndWhen(MaxEpoch(nbEpoch)).optimize()
    this
  }

  /** Trains on in-memory data for `nbEpoch` epochs; `validation` (or null) is scored after each epoch. */
  def fit(data: LocalDataSet, batchSize: Int, nbEpoch: Int, validation: LocalDataSet): this.type = {
    val opt = Optimizer(module, data, compiled.loss, batchSize)
    if (validation != null) opt.setValidation(EveryEpoch(), validation, validationMethods, batchSize)
    run(opt, nbEpoch)
  }

  /** Trains on features `x` [n, ...] and labels or targets `y` [n, ...] (class labels 0-based). */
  def fit(x: Tensor, y: Tensor, batchSize: Int, nbEpoch: Int): this.type = fit(KerasModel.dataSet(x, y), batchSize, nbEpoch, null)

  def fit(x: Tensor, y: Tensor, batchSize: Int, nbEpoch: Int, validationX: Tensor, validationY: Tensor): this.type =
    fit(KerasModel.dataSet(x, y), batchSize, nbEpoch, KerasModel.dataSet(validationX, validationY))

  /** Distributed training over an RDD of samples (one Spark task per partition or executor, see [[DistriOptimizer]]). */
  def fit(data: RDD[Sample], batchSize: Int, nbEpoch: Int, validation: RDD[Sample]): this.type = {
    val opt = Optimizer(module, data, compiled.loss, batchSize)
    if (validation != null) opt.setValidation(EveryEpoch(), validation, validationMethods, batchSize)
    run(opt, nbEpoch)
  }

  def fit(data: RDD[Sample], batchSize: Int, nbEpoch: Int): this.type = fit(data, batchSize, nbEpoch, null)

  /** The compiled metrics (the loss if none) on in-memory data. */
  def evaluate(data: LocalDataSet, batchSize: Int): Array[ValidationResult] =
    Evaluator.evaluate(module, data, validationMethods, batchSize)

  def evaluate(x: Tensor, y: Tensor, batchSize: Int): Array[ValidationResult] = evaluate(KerasModel.dataSet(x, y), batchSize)

  /** The compiled metrics (the loss if none) on an RDD, computed on the executors. */
  def evaluate(data: RDD[Sample], batchSize: Int): Array[ValidationResult] = Predictor(module, batchSize).evaluate(data, validationMethods)

  /** Outputs for the rows of `x` in evaluation mode, `batchSize` rows at a time. */
  def predict(x: Tensor, batchSize: Int): Tensor = {
    require(batchSize > 0, s"predict: batchSize must be positive, got $batchSize")
    require(x.dim >= 1 && x.size(0) > 0, s"predict: x must have at least one row, got ${x.shapeString}")
    var out: Tensor = null
    for (from <- 0 until x.size(0) by batchSize) {
      val rows = math.min(batchSize, x.size(0) - from)
      val part = module.predict(x.narrow(0, from, rows))
      if (out == null) out = Tensor((x.size(0) +: part.shape.tail).toIndexedSeq: _*)
      out.narrow(0, from, rows).copy(part)
    }
    out
  }

  /** Outputs per sample of an RDD, computed on the executors. */
  def predict(data: RDD[Sample], batchSize: Int): RDD[Tensor] = Predictor(module, batchSize).predict(data)

  /** Saves the Ember model (the usual model file; load it with `ember.io.ModelFile.load`). */
  def save(path: String, overWrite: Boolean): this.type = { ModelFile.save(module, path, overWrite); this }

  /** A table of the layers: name (kind), output shape with the batch as None, parameters, inputs; then the total. */
  def summary(): String = {
    val rows = layers.map { l =>
      Seq(s"${l.name} (${l.kind})", "(None" + l.outputShape.map(", " + _).mkString + ")", l.parameters.toString, l.inputs.mkString(", "))
    }
    val header = Seq("Layer (type)", "Output Shape", "Param #", "Connected to")
    val widths = header.indices.map(i => (header +: rows).map(_(i).length).max + 2)
    def line(cells: Seq[String]) = cells.zip(widths).map { case (c, w) => c.padTo(w, ' ') }.mkString.trim
    val rule = "-" * widths.sum
    (Seq(rule, line(header), rule.replace('-', '=')) ++ rows.map(line) ++
      Seq(rule, s"Total params: ${module.parameterCount}", rule)).mkString("\n")
  }

  override def toString: String = s"${getClass.getSimpleName}(${layers.map(_.name).mkString(", ")})"
}

private[keras] object KerasModel {
  def dataSet(x: Tensor, y: Tensor): LocalDataSet = {
    require(x != null && y != null, "fit/evaluate: x and y are required")
    require(x.dim >= 1 && y.dim >= 1 && x.size(0) == y.size(0),
      s"fit/evaluate: x ${x.shapeString} and y ${y.shapeString} must have the same number of rows")
    LocalDataSet.fromArrays(x.contiguous().toArray, x.shape.tail, y.contiguous().toArray, y.shape.tail)
  }

  def parameters(m: Module): Long = m.parameterCount
}
