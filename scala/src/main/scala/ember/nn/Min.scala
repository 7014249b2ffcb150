package ember.nn

/**
 * Minimum over the 0-based `dim` (BigDL's `Min(dim, numInputDims)`, plus PyTorch's keepdim as
 * `squeeze = false`; see [[Reduction]]). The gradient goes to the first minimal position; NaN wins, as in PyTorch.
 */
class Min(val dim: Int, val numInputDims: Int, val squeeze: Boolean)
    extends ExtremumBase("Min", dim, numInputDims, squeeze, max = false) {
  def this(dim: Int, numInputDims: Int) = this(dim, numInputDims, true)
  def this(dim: Int) = this(dim, -1, true)
  def this() = this(0)

  override def config: Seq[(String, Any)] = Seq("dim" -> dim, "numInputDims" -> numInputDims, "squeeze" -> squeeze)
  override def configDefaults: Seq[(String, Any)] = Seq("numInputDims" -> -1, "squeeze" -> true)
}
