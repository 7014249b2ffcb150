package ember.keras

import ember.nn.{AbsCriterion, BCECriterion, CategoricalCrossEntropy, ClassNLLCriterion, Criterion, MSECriterion}
import ember.optim._

/**
 * Keras' string names for `compile(optimizer, loss, metrics)`. Optimizers get Keras' default learning rates.
 * "sparse_categorical_crossentropy" takes probabilities (a softmax output) and 0-based class indices;
 * "categorical_crossentropy" probabilities and one-hot rows. The metric "accuracy" follows the loss, as in
 * Keras: 0/1 thresholding at 0.5 for "binary_crossentropy", the arg-max of one-hot targets for
 * "categorical_crossentropy", else top-1 accuracy on class indices.
 */
object KerasNames {
  private val optimizers: Map[String, () => OptimMethod] = Map(
    "sgd" -> (() => new SGD(0.01)), "adam" -> (() => new Adam(1e-3)), "rmsprop" -> (() => new RMSprop(1e-3)),
    "adagrad" -> (() => new Adagrad(0.01)), "adadelta" -> (() => new Adadelta(0.95, 1e-8, 1.0)), "adamax" -> (() => new Adamax(0.002)))

  private val losses: Map[String, () => Criterion] = Map(
    "sparse_categorical_crossentropy" -> (() => new ClassNLLCriterion(null, true, false)),
    "categorical_crossentropy" -> (() => new CategoricalCrossEntropy()),
    "binary_crossentropy" -> (() => new BCECriterion()),
    "mse" -> (() => new MSECriterion()), "mean_squared_error" -> (() => new MSECriterion()),
    "mae" -> (() => new AbsCriterion()), "mean_absolute_error" -> (() => new AbsCriterion()))

  private def lookup[T](what: String, table: Map[String, () => T], name: String): T = {
    require(name != null, s"$what: a name is required (one of ${table.keys.toSeq.sorted.mkString(", ")})")
    table.getOrElse(name.toLowerCase, throw new IllegalArgumentException(
      s"$what: unknown name '$name'; expected one of ${table.keys.toSeq.sorted.mkString(", ")}"))()
  }

  /** A new optim method for a Keras optimizer name ("adam", "sgd", ...). */
  def optimMethod(name: String): OptimMethod = lookup("optimizer", optimizers, name)

  /** A new criterion for a Keras loss name. */
  def criterion(name: String): Criterion = lookup("loss", losses, name)

  /** A validation method for a Keras metric name; "accuracy" depends on the `loss` it is compiled with. */
  def metric(name: String, loss: Criterion): ValidationMethod = Option(name).map(_.toLowerCase).orNull match {
    case "accuracy" | "acc" => loss match {
      case _: BCECriterion => new BinaryAccuracy()
      case _: CategoricalCrossEntropy => new CategoricalAccuracy()
      case _ => new Top1Accuracy()
    }
    case "binary_accuracy" => new BinaryAccuracy()
    case "categorical_accuracy" => new CategoricalAccuracy()
    case "sparse_categorical_accuracy" => new Top1Accuracy()
    case "top5accuracy" | "top_5_accuracy" => new Top5Accuracy()
    case "mae" | "mean_absolute_error" => new MAE()
    case "loss" => new Loss(loss)
    case _ => throw new IllegalArgumentException(s"metrics: unknown name '$name'; expected accuracy, binary_accuracy, " +
      "categorical_accuracy, sparse_categorical_accuracy, top5accuracy, mae or loss")
  }
}

/** The share of outputs on the right side of 0.5 for 0/1 targets of the same number of elements (Keras' binary accuracy). */
class BinaryAccuracy extends ValidationMethod {
  override def apply(output: ember.tensor.Activity, target: ember.tensor.Activity): ValidationResult = {
    val (o, t) = (output.toTensor.contiguous().toArray, target.toTensor.contiguous().toArray)
    require(o.length == t.length, s"$name: ${o.length} outputs for ${t.length} targets")
    AccuracyResult(o.indices.count(i => (o(i) > 0.5f) == (t(i) > 0.5f)).toLong, o.length.toLong)
  }
}

/** Top-1 accuracy against one-hot (or probability) target rows: the arg-max of output and target agree. */
class CategoricalAccuracy extends ValidationMethod {
  override def apply(output: ember.tensor.Activity, target: ember.tensor.Activity): ValidationResult = {
    val (o, t) = (output.toTensor, target.toTensor)
    require(o.dim == 2 && t.shape.sameElements(o.shape),
      s"$name: expected outputs and one-hot targets of one shape [batch, nClasses], got ${o.shapeString} and ${t.shapeString}")
    val (oa, ta, c) = (o.contiguous().toArray, t.contiguous().toArray, o.size(1))
    def argmax(a: Array[Float], r: Int): Int = (0 until c).maxBy(j => a(r * c + j))
    AccuracyResult((0 until o.size(0)).count(r => argmax(oa, r) == argmax(ta, r)).toLong, o.size(0).toLong)
  }
}
