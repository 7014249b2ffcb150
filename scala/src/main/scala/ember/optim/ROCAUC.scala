package ember.optim

import ember.tensor.Activity

/**
 * The scores and 0/1 labels seen so far; the area under their ROC curve is computed when read, so partial
 * results merge exactly (concatenation), as [[PRAUCResult]]'s do.
 */
final class ROCAUCResult(val scores: Array[Float], val labels: Array[Boolean]) extends ValidationResult {
  require(scores.length == labels.length, s"ROCAUCResult: ${scores.length} scores but ${labels.length} labels")

  override def count: Long = scores.length

  /**
   * Spark's `BinaryClassificationMetrics.areaUnderROC`: one point (false-positive rate, true-positive rate) per
   * distinct score, from the highest, between (0, 0) and (1, 1), joined by the trapezoidal rule; this equals
   * the probability that a random positive scores above a random negative, ties counting one half. NaN
   * without positives or without negatives.
   */
  override def result: (Float, Long) = {
    val positives = labels.count(identity).toLong
    val negatives = labels.length - positives
    if (positives == 0 || negatives == 0) return (Float.NaN, count)
    val order = scores.indices.sortBy(i => -scores(i).toDouble)
    var (tp, fp, area) = (0L, 0L, 0.0)
    var i = 0
    while (i < order.length) {
      val s = scores(order(i))
      val (tp0, fp0) = (tp, fp)
      while (i < order.length && scores(order(i)) == s) { if (labels(order(i))) tp += 1 else fp += 1; i += 1 }
      area += (fp - fp0).toDouble / negatives * (tp + tp0).toDouble / positives / 2
    }
    (area.toFloat, count)
  }

  override def +(other: ValidationResult): ValidationResult = other match {
    case o: ROCAUCResult => new ROCAUCResult(scores ++ o.scores, labels ++ o.labels)
    case o => throw new IllegalArgumentException(s"cannot add ${o.getClass.getSimpleName} to a ROCAUCResult")
  }

  override def toString: String = s"ROCAUC(count: $count, auc: $score)"
}

/**
 * Area under the ROC curve of a binary classifier: the output is the score of the positive class, [batch] or
 * [batch, 1], or [batch, 2] two-class scores (column 1 is positive, e.g. log-probabilities); the target is
 * [batch] labels 0 or 1. Inputs are checked as by [[PrecisionRecallAUC]], which reads them.
 */
class ROCAUC extends ValidationMethod {
  private val binary = new PrecisionRecallAUC

  override def apply(output: Activity, target: Activity): ValidationResult =
    try {
      val r = binary(output, target).asInstanceOf[PRAUCResult]
      new ROCAUCResult(r.scores, r.labels)
    } catch {
      case e: IllegalArgumentException => throw new IllegalArgumentException(e.getMessage.replace(binary.name, name), e)
    }
}
