package ember.optim

import ember.tensor.Activity

/**
 * The scores and 0/1 labels seen so far; the area under their precision-recall curve is computed when read,
 * so partial results merge exactly (concatenation).
 */
final class PRAUCResult(val scores: Array[Float], val labels: Array[Boolean]) extends ValidationResult {
  require(scores.length == labels.length, s"PRAUCResult: ${scores.length} scores but ${labels.length} labels")

  override def count: Long = scores.length

  /**
   * Spark's `BinaryClassificationMetrics.areaUnderPR`: one point (recall, precision) per distinct score, from
   * the highest, preceded by (0, precision of the first point), joined by the trapezoidal rule. NaN without
   * positives.
   */
  override def result: (Float, Long) = {
    val positives = labels.count(identity)
    if (positives == 0) return (Float.NaN, count)
    val order = scores.indices.sortBy(i => -scores(i).toDouble)
    var (tp, fp, area, lastRecall, lastPrecision) = (0L, 0L, 0.0, 0.0, Double.NaN)
    var i = 0
    while (i < order.length) {
      val s = scores(order(i))
      while (i < order.length && scores(order(i)) == s) { if (labels(order(i))) tp += 1 else fp += 1; i += 1 }
      val (recall, precision) = (tp.toDouble / positives, tp.toDouble / (tp + fp))
      if (lastPrecision.isNaN) lastPrecision = precision
      area += (recall - lastRecall) * (precision + lastPrecision) / 2
      lastRecall = recall; lastPrecision = precision
    }
    (area.toFloat, count)
  }

  override def +(other: ValidationResult): ValidationResult = other match {
    case o: PRAUCResult => new PRAUCResult(scores ++ o.scores, labels ++ o.labels)
    case o => throw new IllegalArgumentException(s"cannot add ${o.getClass.getSimpleName} to a PRAUCResult")
  }

  override def toString: String = s"PrecisionRecallAUC(count: $count, auc: $score)"
}

/**
 * Area under the precision-recall curve of a binary classifier (BigDL `PrecisionRecallAUC`): the output is
 * the score of the positive class, [batch] or [batch, 1], or [batch, 2] two-class scores (column 1 is
 * positive); the target is [batch] labels 0 or 1.
 */
class PrecisionRecallAUC extends ValidationMethod {

  override def apply(output: Activity, target: Activity): ValidationResult = {
    val (o, t) = (output.toTensor, target.toTensor)
    val rows = t.nElement
    val scores = o.toArray
    val positive =
      if (o.nElement == rows) scores
      else if (o.dim == 2 && o.size(1) == 2 && o.size(0) == rows) Array.tabulate(rows)(r => scores(2 * r + 1))
      else throw new IllegalArgumentException(s"$name: expected an output of [$rows], [$rows, 1] or [$rows, 2] scores for " +
        s"$rows labels, got ${o.shapeString}")
    val y = t.toArray
    y.zipWithIndex.find { case (v, _) => v != 0f && v != 1f }.foreach { case (v, i) =>
      throw new IllegalArgumentException(s"$name: label $v of sample $i is not 0 or 1") }
    new PRAUCResult(positive, y.map(_ == 1f))
  }
}
