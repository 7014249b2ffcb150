package ember.nn

/**
 * Poisson negative log-likelihood of counts `y` given predicted rates `x` (BigDL / Keras `poisson`):
 * the mean over elements of `x - y * log(x + 1e-7)`.
 */
class PoissonCriterion extends PointwiseCriterion(true) {
  private val Eps = 1e-7

  override protected def lossAt(x: Double, y: Double, i: Int): Double = x - y * math.log(x + Eps)
  override protected def gradAt(x: Double, y: Double, i: Int): Double = 1 - y / (x + Eps)
}
