package ember.nn

/**
 * Sum over the 0-based `dimension` (BigDL's `Sum(dimension, nInputDims, sizeAverage, squeeze)`; see
 * [[Reduction]] for `nInputDims` and `squeeze`); with `sizeAverage`, the mean.
 */
class Sum(val dimension: Int, val nInputDims: Int, val sizeAverage: Boolean, val squeeze: Boolean)
    extends SumBase("Sum", dimension, nInputDims, sizeAverage, squeeze) {
  def this(dimension: Int) = this(dimension, -1, false, true)
  def this() = this(0)

  override def config: Seq[(String, Any)] =
    Seq("dimension" -> dimension, "nInputDims" -> nInputDims, "sizeAverage" -> sizeAverage, "squeeze" -> squeeze)
  override def configDefaults: Seq[(String, Any)] = Seq("nInputDims" -> -1, "sizeAverage" -> false, "squeeze" -> true)
}
