package ember.optim

/**
 * Early stopping (Keras' `EarlyStopping`): an end trigger that fires once the monitored validation score
 * has not improved by more than `minDelta` for `patience` validations in a row. With `restoreBestWeights`,
 * the optimizer puts back, when the run ends, the weights and running statistics of the best validation
 * ("keep the best model"), so the model returned by `optimize()` is the best one seen, not the last one.
 *
 * How it works: after each validation the optimizer hands the scores to every EarlyStopping in its end
 * trigger (alone or inside [[TriggerAnd]] / [[TriggerOr]]) through [[observe]], which returns whether this
 * validation is the best so far; the optimizer then copies the weights. [[apply]] only reads the count of
 * validations without improvement, so it is evaluated after every iteration like any trigger. The state
 * persists over `optimize()` calls on one optimizer (a continued run keeps its best). Validation must be
 * set (`setValidation`); the check runs when `optimize()` starts.
 *
 * @param patience validations without improvement before stopping (0: stop at the first one)
 * @param minDelta the smallest change of the score that counts as an improvement
 * @param mode "max" (larger is better), "min" or "auto" (from the method's `higherIsBetter`: "max" for
 *             accuracies, "min" for `Loss`)
 * @param monitor the name of the validation method to watch (e.g. "Top1Accuracy", "Loss"); null: the first
 * @param restoreBestWeights restore the best validation's weights at the end of the run
 */
final class EarlyStopping(val patience: Int, val minDelta: Double, val mode: String, val monitor: String,
    val restoreBestWeights: Boolean) extends Trigger {
  require(patience >= 0, s"EarlyStopping: patience must be >= 0, got $patience")
  require(minDelta >= 0 && !minDelta.isInfinite, s"EarlyStopping: minDelta must be a finite number >= 0, got $minDelta")
  require(Set("auto", "max", "min").contains(mode), s"EarlyStopping: mode must be 'auto', 'max' or 'min', got '$mode'")

  def this(patience: Int) = this(patience, 0.0, "auto", null, true)
  def this(patience: Int, minDelta: Double) = this(patience, minDelta, "auto", null, true)

  private var best = Double.NaN
  private var bestAt = -1L
  private var waited = 0

  /** The best monitored score so far (NaN before the first validation). */
  def bestScore: Double = best

  /** The iteration after which the best score was measured (-1 before the first validation). */
  def bestIteration: Long = bestAt

  /** Validations since the last improvement. */
  def validationsWithoutImprovement: Int = waited

  /** The index of the monitored method among `methods`; fails naming the methods there are. */
  private[optim] def monitored(methods: Seq[ValidationMethod]): Int = {
    val i = if (monitor == null) 0 else methods.indexWhere(_.name == monitor)
    require(i >= 0, s"EarlyStopping: no validation method named '$monitor' (validation methods: ${methods.map(_.name).mkString(", ")})")
    i
  }

  /** Records one validation's scores (in the order of `methods`); returns whether it is the best so far. */
  private[optim] def observe(methods: Seq[ValidationMethod], scores: Seq[Float], iteration: Long): Boolean = {
    val i = monitored(methods)
    val higher = mode match { case "max" => true; case "min" => false; case _ => methods(i).higherIsBetter }
    val s = scores(i).toDouble
    val improved = !s.isNaN && (best.isNaN || (if (higher) s > best + minDelta else s < best - minDelta))
    if (improved) { best = s; bestAt = iteration; waited = 0 } else waited += 1
    improved
  }

  override def apply(s: TrainingPosition): Boolean = waited > 0 && waited >= patience

  override def toString: String = s"EarlyStopping(patience=$patience, minDelta=$minDelta, mode=$mode" +
    (if (monitor == null) "" else s", monitor=$monitor") + s", restoreBestWeights=$restoreBestWeights)"
}

object EarlyStopping {

  /** The EarlyStopping triggers inside `t` (itself, or nested in TriggerAnd / TriggerOr). */
  def within(t: Trigger): Seq[EarlyStopping] = t match {
    case e: EarlyStopping      => Seq(e)
    case TriggerAnd(f, o @ _*) => (f +: o).flatMap(within)
    case TriggerOr(f, o @ _*)  => (f +: o).flatMap(within)
    case _                     => Nil
  }
}
