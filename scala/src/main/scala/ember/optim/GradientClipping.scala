package ember.optim

import ember.tensor.Tensor

/**
 * Gradient clipping on a flat gradient (BigDL's `setConstantGradientClipping` /
 * `setGradientClippingByL2Norm`). The distributed optimizer clips per slice: constant clipping is
 * elementwise, and L2-norm clipping needs the norm of the whole gradient, so it is split into
 * [[L2NormClipping.scaleFor]] (from the global sum of squares, summed over slices) and a scale.
 */
sealed trait GradientClipping extends Serializable {

  /** Clips a whole gradient vector in place. */
  def apply(grad: Tensor): Unit
}

/** No clipping. */
case object NoClipping extends GradientClipping {
  override def apply(grad: Tensor): Unit = ()
}

/** Clamps every gradient value into [min, max]. */
final case class ConstantClipping(min: Double, max: Double) extends GradientClipping {
  require(!min.isNaN && !max.isNaN && min <= max, s"constant gradient clipping: need min <= max, got min=$min max=$max")

  override def apply(grad: Tensor): Unit = {
    val (lo, hi) = (min.toFloat, max.toFloat)
    val (g, o, n) = (grad.storage, grad.offset, grad.nElement)
    require(grad.isContiguous, "gradient clipping needs a contiguous gradient")
    var i = 0
    while (i < n) { val v = g(o + i); if (v < lo) g(o + i) = lo else if (v > hi) g(o + i) = hi; i += 1 }
  }
}

/** Rescales the gradient so that its L2 norm is at most `maxNorm`. */
final case class L2NormClipping(maxNorm: Double) extends GradientClipping {
  require(maxNorm > 0 && !maxNorm.isInfinite, s"L2-norm gradient clipping: maxNorm must be a finite value > 0, got $maxNorm")

  /** The factor to multiply every slice by, given the sum of squares of the whole gradient. */
  def scaleFor(globalSumSquares: Double): Float = {
    val norm = math.sqrt(globalSumSquares)
    if (norm > maxNorm) (maxNorm / norm).toFloat else 1f
  }

  override def apply(grad: Tensor): Unit = {
    val s = scaleFor(grad.sumSquares())
    if (s != 1f) grad.mul(s)
  }
}
