package ember.nn

/** Mean over the 0-based `dimension` (BigDL's `Mean(dimension, nInputDims, squeeze)`; see [[Reduction]]). */
class Mean(val dimension: Int, val nInputDims: Int, val squeeze: Boolean)
    extends SumBase("Mean", dimension, nInputDims, true, squeeze) {
  def this(dimension: Int) = this(dimension, -1, true)
  def this() = this(0)

  override def config: Seq[(String, Any)] = Seq("dimension" -> dimension, "nInputDims" -> nInputDims, "squeeze" -> squeeze)
  override def configDefaults: Seq[(String, Any)] = Seq("nInputDims" -> -1, "squeeze" -> true)
}
