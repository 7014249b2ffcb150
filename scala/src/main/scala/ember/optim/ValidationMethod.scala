package ember.optim

import ember.nn.{Criterion, ModuleSpec}
import ember.tensor.{Activity, Tensor}

/**
 * The result of a validation method on some batches. Results are mergeable (`+`) and Serializable, so
 * Spark can reduce them across partitions and the LocalOptimizer across replicas.
 */
trait ValidationResult extends Serializable {

  /** The score (accuracy, mean loss) and the number of samples it covers. */
  def result: (Float, Long)

  def +(other: ValidationResult): ValidationResult

  /** The score alone. */
  def score: Float = result._1

  /** The number of samples the result covers. */
  def count: Long
}

/** `correct` right predictions out of `count` samples. */
final case class AccuracyResult(correct: Long, count: Long) extends ValidationResult {
  require(correct >= 0 && count >= correct, s"AccuracyResult: need 0 <= correct <= count, got $correct of $count")
  override def result: (Float, Long) = (if (count == 0) Float.NaN else (correct.toDouble / count).toFloat, count)
  override def +(other: ValidationResult): ValidationResult = other match {
    case AccuracyResult(c, n) => AccuracyResult(correct + c, count + n)
    case o => throw new IllegalArgumentException(s"cannot add ${o.getClass.getSimpleName} to an AccuracyResult")
  }
  override def toString: String = s"Accuracy(correct: $correct, count: $count, accuracy: $score)"
}

/** Sum of per-sample losses over `count` samples; the score is their mean. */
final case class LossResult(sum: Double, count: Long) extends ValidationResult {
  override def result: (Float, Long) = (if (count == 0) Float.NaN else (sum / count).toFloat, count)
  override def +(other: ValidationResult): ValidationResult = other match {
    case LossResult(s, n) => LossResult(sum + s, count + n)
    case o => throw new IllegalArgumentException(s"cannot add ${o.getClass.getSimpleName} to a LossResult")
  }
  override def toString: String = s"Loss(sum: $sum, count: $count, mean: $score)"
}

/**
 * Scores a model's output on a batch against the target. Implementations must be thread-safe: the
 * LocalOptimizer calls one instance from several replica threads at once.
 */
trait ValidationMethod extends Serializable {

  /** The result on one batch: `output` is the model's output, `target` the batch's labels. */
  def apply(output: Activity, target: Activity): ValidationResult

  /** The name used in logs and summaries ("Top1Accuracy"). */
  def name: String = getClass.getSimpleName

  /** Whether a larger score is better (true for accuracy, false for a loss). */
  def higherIsBetter: Boolean = true

  override def toString: String = name
}

/**
 * Top-k accuracy on 0-based class labels: the output is [batch, nClasses] scores (or [nClasses] for one
 * sample), the target [batch] or [batch, 1] class indices stored as floats.
 */
class TopKAccuracy(val k: Int) extends ValidationMethod {
  require(k > 0, s"TopKAccuracy: k must be > 0, got $k")

  override def apply(output: Activity, target: Activity): ValidationResult = {
    val out0 = output.toTensor
    val out = (if (out0.dim == 1) out0.view(1, out0.nElement) else out0).contiguous()
    require(out.dim == 2, s"$name: expected an output of shape [batch, nClasses], got ${out0.shapeString}")
    val labels = target.toTensor.contiguous().toArray
    val (rows, classes) = (out.size(0), out.size(1))
    require(labels.length == rows, s"$name: ${labels.length} labels for an output of $rows rows")
    val (s, off) = (out.storage, out.offset)
    var correct = 0L
    var r = 0
    while (r < rows) {
      val label = labels(r)
      require(label >= 0 && label < classes && label == label.toInt,
        s"$name: label $label of sample $r is not a class index in [0, $classes) (labels are 0-based)")
      val v = s(off + r * classes + label.toInt)
      // rank of the label's score; ties go to the lower class index, as argmax does (a constant output is
      // not "correct" for every label)
      var higher = 0; var c = 0
      while (c < classes) { val x = s(off + r * classes + c); if (x > v || (x == v && c < label.toInt)) higher += 1; c += 1 }
      if (higher < k && !v.isNaN) correct += 1
      r += 1
    }
    AccuracyResult(correct, rows)
  }

  override def name: String = s"Top${k}Accuracy"
}

/** Top-1 accuracy (BigDL `Top1Accuracy`). */
class Top1Accuracy extends TopKAccuracy(1)

/** Top-5 accuracy (BigDL `Top5Accuracy`). */
class Top5Accuracy extends TopKAccuracy(5)

/**
 * The mean of `criterion`'s loss over the validation samples (BigDL `Loss`). Batch losses are weighted by
 * batch size, which is right for criterions that average over the batch (the default `sizeAverage`).
 *
 * The criterion is kept as its description (class name and constructor arguments, as in the model file)
 * and rebuilt once per thread, so the method is Serializable and thread-safe although criterions are not.
 */
class Loss(criterion: Criterion) extends ValidationMethod {
  require(criterion != null, "Loss: criterion must not be null")
  private val spec: String = ModuleSpec.describe(criterion).toString

  @transient private lazy val perThread: ThreadLocal[Criterion] = ThreadLocal.withInitial(() =>
    ModuleSpec.buildCriterion(new com.fasterxml.jackson.databind.ObjectMapper().readTree(spec)))

  override def apply(output: Activity, target: Activity): ValidationResult = {
    val n = output match { case t: Tensor => if (t.dim <= 1) 1 else t.size(0); case _ => 1 }
    LossResult(perThread.get().forward(output, target).toDouble * n, n)
  }

  override def higherIsBetter: Boolean = false
}
