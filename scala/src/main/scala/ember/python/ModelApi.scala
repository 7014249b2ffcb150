package ember.python

import ember.data.{LocalDataSet, Sample}
import ember.nn.{Module, Regularizer}
import ember.optim.{Evaluator, Predictor, Top1Accuracy, ValidationMethod, ValidationResult}
import ember.tensor.{Activity, Tensor}
import org.apache.spark.rdd.RDD

/**
 * Module operations that Python would otherwise do with one py4j call per batch or per tensor: batched
 * prediction over a whole array, and getting/setting all weights at once. Everything else Python calls on
 * the module itself.
 */
object ModelApi {

  /** The rows [start, start + length) of `x` along dimension 0. */
  private def rows(x: Tensor, start: Int, length: Int): Tensor = x.narrow(0, start, length)

  private def checkBatch(x: Tensor, batchSize: Int): Unit = {
    require(batchSize > 0, s"batch_size must be positive, got $batchSize")
    require(x.dim >= 1 && x.size(0) > 0, s"predict: expected a non-empty batch [n, ...], got ${x.shapeString}")
  }

  /** The model's outputs (evaluation mode) for every row of `x`, computed `batchSize` rows at a time. */
  def predict(model: Module, x: Tensor, batchSize: Int): Tensor = {
    checkBatch(x, batchSize)
    val n = x.size(0)
    var result: Tensor = null
    var start = 0
    while (start < n) {
      val len = math.min(batchSize, n - start)
      val out = model.predict(rows(x, start, len).contiguous())
      require(out.dim >= 1 && out.size(0) == len,
        s"predict: the model returned shape ${out.shapeString} for a batch of $len; expected [$len, ...]")
      if (result == null) result = Tensor(n +: out.shape.drop(1): _*)
      rows(result, start, len).copy(out)
      start += len
    }
    result
  }

  /** 0-based index of the largest output of each row, as little-endian int32 bytes. */
  def predictClass(model: Module, x: Tensor, batchSize: Int): Array[Byte] = {
    val out = predict(model, x, batchSize)
    val scores = if (out.dim == 1) out.view(out.size(0), 1) else out.reshape(out.size(0), -1)
    Convert.intBytes(scores.argmaxRows())
  }

  /** Copies of all weights, in `namedParameters` order. */
  def weights(model: Module): Array[Tensor] = model.parameters()._1.map(_.clone())

  /** Names of all weights ("0.weight", "3.bias"), in the same order as [[weights]]. */
  /** Copies of all parameter gradients, in [[Module.namedParameters]] order. */
  def gradients(model: Module): Array[Tensor] = model.parameters()._2.map(_.clone())

  def weightNames(model: Module): Array[String] = model.namedParameters.map(_._1).toArray

  /** Sets all weights (same order, count and shapes as [[weights]]), checking before copying any. */
  def setWeights(model: Module, values: java.util.List[Tensor]): Unit = {
    val targets = model.namedParameters
    require(values.size == targets.length,
      s"set_weights: the model has ${targets.length} weight tensors (${targets.map(_._1).mkString(", ")}), got ${values.size}")
    targets.zipWithIndex.foreach { case ((name, p), i) =>
      val v = values.get(i)
      require(v.sameShape(p.value), s"set_weights: weight $i ($name) has shape ${p.value.shapeString}, got ${v.shapeString}")
    }
    targets.zipWithIndex.foreach { case ((_, p), i) => p.value.copy(values.get(i)) }
  }

  /** The module's own regularizers as (parameter name, regularizer) pairs. */
  def regularizers(model: Module): Array[(String, Regularizer)] = model.regularizers.toArray

  /** One validation score as Python's `ValidationResult` shows it: the method's name, the score, the sample count. */
  final case class Score(method: String, score: Double, count: Long)

  /** `Model.evaluate(x, y)`: `methods` (none: Top1Accuracy) over in-memory data, in the driver JVM. */
  def evaluate(model: Module, data: LocalDataSet, methods: Array[AnyRef], batchSize: Int): Array[Score] = {
    val ms = validationMethods(methods)
    scores(ms, Evaluator.evaluate(model, data, ms, batchSize))
  }

  /** `Model.evaluate(rdd)`: `methods` (none: Top1Accuracy) over Spark data, on the executors. */
  def evaluate(model: Module, data: RDD[Sample], methods: Array[AnyRef], batchSize: Int): Array[Score] = {
    val ms = validationMethods(methods)
    scores(ms, Predictor(model, batchSize).evaluate(data, ms))
  }

  private def validationMethods(methods: Array[AnyRef]): Array[ValidationMethod] =
    if (methods == null || methods.isEmpty) Array(new Top1Accuracy)
    else methods.zipWithIndex.map {
      case (m: ValidationMethod, _) => m
      case (other, i) => throw new IllegalArgumentException(
        s"methods[$i]: expected a validation method such as Top1Accuracy(), got $other")
    }

  private def scores(methods: Array[ValidationMethod], results: Array[ValidationResult]): Array[Score] =
    methods.zip(results).map { case (m, r) => Score(m.name, r.score, r.count) }

  /** `model.backward` (which checks that `gradOutput` has the shape of the last forward's output). */
  def backward(model: Module, input: Activity, gradOutput: Activity): Activity = model.backward(input, gradOutput)

  /** The direct children of a container, as an array Python can iterate. */
  def children(model: Module): Array[Module] = model.children.toArray
}
