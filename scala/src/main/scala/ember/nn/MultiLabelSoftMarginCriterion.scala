package ember.nn

import ember.tensor.Tensor

/**
 * Multi-label one-versus-all logistic loss (BigDL / Torch `MultiLabelSoftMarginCriterion`, = Sigmoid +
 * BCECriterion): for scores `x` of shape [batch, nClasses] (or [nClasses]) and 0/1 targets of the same shape,
 * per element `-w_c (y log sigmoid(x) + (1 - y) log(1 - sigmoid(x)))`, computed stably as
 * `w_c (softplus(x) - y x)`; summed, divided by the number of elements when `sizeAverage`. `weights`
 * (one per class, or null) rescales each class.
 */
class MultiLabelSoftMarginCriterion(val weights: Array[Float], val sizeAverage: Boolean) extends PointwiseCriterion(sizeAverage) {
  require(weights == null || weights.nonEmpty && weights.forall(w => w >= 0 && !w.isInfinite),
    s"MultiLabelSoftMarginCriterion: weights must be finite and >= 0, got ${Module.show(weights)}")

  def this(weights: Array[Float]) = this(weights, true)
  def this() = this(null, true)

  private def checkInput(input: Tensor): Unit =
    require(weights == null || input.dim >= 1 && input.size(input.dim - 1) == weights.length,
      s"$name: ${weights.length} weights for an input of shape ${input.shapeString} (one weight per class, the last dimension)")

  override def updateOutput(input: Tensor, target: Tensor): Float = { checkInput(input); super.updateOutput(input, target) }
  override def updateGradInput(input: Tensor, target: Tensor): Tensor = { checkInput(input); super.updateGradInput(input, target) }

  private def w(i: Int): Double = if (weights == null) 1.0 else weights(i % weights.length).toDouble

  override protected def lossAt(x: Double, y: Double, i: Int): Double = w(i) * (Targets.softplus(x) - y * x)
  override protected def gradAt(x: Double, y: Double, i: Int): Double = w(i) * (Targets.sigmoid(x) - y)

  override def config: Seq[(String, Any)] = Seq("weights" -> weights, "sizeAverage" -> sizeAverage)
  override def configDefaults: Seq[(String, Any)] = Seq("weights" -> null, "sizeAverage" -> true)
}
