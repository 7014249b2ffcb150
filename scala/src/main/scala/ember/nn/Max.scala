package ember.nn

/**
 * Maximum over the 0-based `dim` (BigDL's `Max(dim, numInputDims)`, plus PyTorch's keepdim as
 * `squeeze = false`; see [[Reduction]]). The gradient goes to the first maximal position; NaN is maximal.
 */
class Max(val dim: Int, val numInputDims: Int, val squeeze: Boolean)
    extends ExtremumBase("Max", dim, numInputDims, squeeze, max = true) {
  def this(dim: Int, numInputDims: Int) = this(dim, numInputDims, true)
  def this(dim: Int) = this(dim, -1, true)
  def this() = this(0)

  override def config: Seq[(String, Any)] = Seq("dim" -> dim, "numInputDims" -> numInputDims, "squeeze" -> squeeze)
  override def configDefaults: Seq[(String, Any)] = Seq("numInputDims" -> -1, "squeeze" -> true)
}
