package ember.nn

/**
 * Mean absolute percentage error (BigDL / Keras `mape`): `100 * mean(|y - x| / max(|y|, 1e-7))` over all
 * elements.
 */
class MeanAbsolutePercentageCriterion extends PointwiseCriterion(true) {
  private val Eps = 1e-7

  override protected def lossAt(x: Double, y: Double, i: Int): Double = 100 * math.abs(y - x) / math.max(math.abs(y), Eps)
  override protected def gradAt(x: Double, y: Double, i: Int): Double = 100 * math.signum(x - y) / math.max(math.abs(y), Eps)
}
