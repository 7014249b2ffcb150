package ember.optim

/** A mean of per-sample (or per-user) values: `sum` over `count`; merges with results of the same `metric`. */
final case class MeanResult(metric: String, sum: Double, count: Long) extends ValidationResult {
  require(count >= 0, s"MeanResult: count must be >= 0, got $count")
  override def result: (Float, Long) = (if (count == 0) Float.NaN else (sum / count).toFloat, count)
  override def +(other: ValidationResult): ValidationResult = other match {
    case MeanResult(m, s, n) if m == metric => MeanResult(metric, sum + s, count + n)
    case o => throw new IllegalArgumentException(s"cannot add ${o.getClass.getSimpleName} ${o} to a $metric result")
  }
  override def toString: String = s"$metric(sum: $sum, count: $count, mean: $score)"
}
